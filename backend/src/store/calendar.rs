//! Local calendar of the site: which local hour, day, month and year an instant falls in, in the
//! configured time zone, with 23- and 25-hour days where the clocks change.

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use chrono_tz::Tz;

/// Days from 0001-01-01 (chrono's day count) to 1970-01-01.
const UNIX_EPOCH_DAYS_FROM_CE: i32 = 719_163;

/// A local day: where it starts and ends in Unix seconds and where it sits in the calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalDay {
    /// Unix seconds of local midnight (or the first instant of the day when midnight is skipped).
    pub start: i64,
    /// Start of the next local day.
    pub end: i64,
    pub date: NaiveDate,
    /// Days since 1970-01-01 of the local date (the key of the hourly roll-up).
    pub day_number: i32,
    /// `year * 12 + month − 1` (the key of the daily roll-up).
    pub month_number: i32,
    pub year: i32,
    /// Day of the month, from 0.
    pub day_of_month: usize,
    /// Month of the year, from 0.
    pub month_of_year: usize,
}

impl LocalDay {
    /// Number of hour slots: 24, 23 or 25 on clock-change days.
    pub fn hours(&self) -> usize {
        ((self.end - self.start + 3599) / 3600) as usize
    }

    /// The hour slot of an instant of this day.
    pub fn hour_slot(&self, time: i64) -> usize {
        ((time - self.start) / 3600) as usize
    }
}

/// Converts instants to local days in one time zone; remembers the last day looked up, since
/// samples come in time order and most lookups hit the same day.
#[derive(Debug, Clone)]
pub struct Calendar {
    zone: Tz,
    last: Option<LocalDay>,
}

impl Calendar {
    /// A calendar of `zone`.
    pub fn new(zone: Tz) -> Calendar {
        Calendar { zone, last: None }
    }

    /// The local day that contains `time` (Unix seconds).
    pub fn day_of(&mut self, time: i64) -> LocalDay {
        if let Some(day) = self.last
            && day.start <= time
            && time < day.end
        {
            return day;
        }
        let date = self
            .zone
            .timestamp_opt(time, 0)
            .single()
            .map(|local| local.date_naive())
            .unwrap_or_else(|| chrono::DateTime::UNIX_EPOCH.date_naive());
        let day = self.day(date);
        self.last = Some(day);
        day
    }

    /// The local day of `date`.
    pub fn day(&self, date: NaiveDate) -> LocalDay {
        let start = self.first_instant(date);
        let end = date
            .succ_opt()
            .map_or(start + 86_400, |next| self.first_instant(next));
        LocalDay {
            start,
            end,
            date,
            day_number: date.num_days_from_ce() - UNIX_EPOCH_DAYS_FROM_CE,
            month_number: month_number(date),
            year: date.year(),
            day_of_month: date.day0() as usize,
            month_of_year: date.month0() as usize,
        }
    }

    /// The first instant of a local date: midnight, or when a clock change skips midnight (some
    /// zones change at 00:00), the first local time that exists.
    pub fn first_instant(&self, date: NaiveDate) -> i64 {
        let midnight = NaiveDateTime::new(date, NaiveTime::MIN);
        for quarter in 0..=16 {
            let local = midnight + chrono::Duration::minutes(15 * quarter);
            if let Some(instant) = self.zone.from_local_datetime(&local).earliest() {
                return instant.timestamp();
            }
        }
        // No zone skips four hours; fall back to the UTC reading of the date.
        midnight.and_utc().timestamp()
    }
}

/// `year * 12 + month − 1` of a date.
pub fn month_number(date: NaiveDate) -> i32 {
    date.year() * 12 + date.month0() as i32
}

/// The first day of the month `month_number`.
pub fn month_start(month_number: i32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(
        month_number.div_euclid(12),
        month_number.rem_euclid(12) as u32 + 1,
        1,
    )
}

/// Number of days in the month `month_number`.
pub fn days_in_month(month_number: i32) -> usize {
    match (month_start(month_number), month_start(month_number + 1)) {
        (Some(first), Some(next)) => (next - first).num_days() as usize,
        _ => 31,
    }
}

/// The date of a day number (days since 1970-01-01).
#[cfg(test)]
pub fn date_of_day_number(day_number: i32) -> Option<NaiveDate> {
    NaiveDate::from_num_days_from_ce_opt(day_number + UNIX_EPOCH_DAYS_FROM_CE)
}

/// The site's time zone when none is configured: `TZ` if it names a zone, else the system's zone,
/// else UTC.
pub fn system_zone() -> Tz {
    std::env::var("TZ")
        .ok()
        .and_then(|name| name.trim_start_matches(':').parse::<Tz>().ok())
        .or_else(|| {
            iana_time_zone::get_timezone()
                .ok()
                .and_then(|name| name.parse::<Tz>().ok())
        })
        .unwrap_or(Tz::UTC)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn clock_change_days_have_23_and_25_hours() {
        for zone in [chrono_tz::Europe::Oslo, chrono_tz::Europe::Paris] {
            let calendar = Calendar::new(zone);
            assert_eq!(calendar.day(date(2026, 3, 28)).hours(), 24);
            assert_eq!(calendar.day(date(2026, 3, 29)).hours(), 23);
            assert_eq!(calendar.day(date(2026, 10, 25)).hours(), 25);
            // Midnight of 29 March 2026 is 23:00 UTC the day before (CET, UTC+1).
            assert_eq!(calendar.day(date(2026, 3, 29)).start, 1_774_738_800);
        }
    }

    #[test]
    fn instants_find_their_local_day_and_hour() {
        let mut calendar = Calendar::new(chrono_tz::Europe::Paris);
        // 2026-10-25 01:30 UTC is 02:30 CET, the second 02:xx of the day: slot 3.
        let day = calendar.day_of(1_792_891_800);
        assert_eq!(day.date, date(2026, 10, 25));
        assert_eq!(day.hour_slot(1_792_891_800), 3);
        assert_eq!(day.month_number, 2026 * 12 + 9);
        assert_eq!(day.day_of_month, 24);
        assert_eq!(date_of_day_number(day.day_number), Some(day.date));
        assert_eq!(days_in_month(2024 * 12 + 1), 29);
        assert_eq!(month_start(2026 * 12 + 11), Some(date(2026, 12, 1)));
    }

    #[test]
    fn a_zone_that_skips_midnight_starts_its_day_at_one() {
        // Chile moved its clocks at midnight (2022-09-11 00:00 → 01:00).
        let calendar = Calendar::new(chrono_tz::America::Santiago);
        let day = calendar.day(date(2022, 9, 11));
        assert_eq!(day.hours(), 23);
        let local = chrono_tz::America::Santiago
            .timestamp_opt(day.start, 0)
            .unwrap();
        assert_eq!(local.format("%H:%M").to_string(), "01:00");
    }
}
