//! When the recorder runs Optimize (file compaction, [`Store::optimize`](super::Store::optimize))
//! by itself: once a night, in a quiet local hour, right after one of its own commits (so never
//! during one, and with the most time before the next), and only when it pays off. Decisions
//! only; the recorder does the I/O.
//!
//! When it pays off: redb grows a file below 4 GiB by doubling it, and a compacted file has no
//! free page left, so the first commit after a compaction doubles it (the store's tests and the
//! bench show it: 2.66 bytes a sample right after an Optimize, 5.29 two days of recording
//! later). Compacting gives space back for good only when the pages in use fill well under half
//! the file, as after large deletions (gauge points past their retention, a time-zone change
//! rebuilding the roll-ups); otherwise it would rewrite the SD card to end with a file as large.

use std::ops::Range;

use chrono::{NaiveDate, NaiveDateTime, TimeZone, Timelike};

use super::{FileSpace, Tz};

/// Local hours the nightly Optimize may start in: 03:00 to 04:59. The sites' zones change
/// clocks at 02:00 or 03:00, so these hours come exactly once every day, also on the 23- and
/// 25-hour days; at a 60-minute sample rate they still hold two commits, hence two tries.
pub(super) const QUIET_HOURS: Range<u32> = 3..5;

/// What compaction must give back, once the next commit has doubled the compacted file, to be
/// worth its writes: a tenth of the file, and at least a mebibyte.
const WORTH_SHARE: f64 = 0.10;
const WORTH_BYTES: u64 = 1 << 20;

/// Whether tonight's Optimize is behind us.
#[derive(Debug, Default)]
pub(super) struct NightlyOptimize {
    /// The local date of the last night whose Optimize ran or was found not worth running.
    done_on: Option<NaiveDate>,
}

impl NightlyOptimize {
    /// Whether to look at the file after a commit at local time `now`: inside the quiet hours
    /// and not yet done tonight. A try that failed (a query held a read transaction) leaves it
    /// due, so the next commit of the window tries again.
    pub(super) fn due(&self, now: NaiveDateTime) -> bool {
        QUIET_HOURS.contains(&now.hour()) && self.done_on != Some(now.date())
    }

    /// Tonight's Optimize ran, or was not worth running: nothing more until tomorrow's window.
    pub(super) fn done(&mut self, now: NaiveDateTime) {
        self.done_on = Some(now.date());
    }
}

/// Whether compacting the file would give enough back for good: the compacted file (the pages
/// in use) doubled by the next commit must be smaller than the file by [`WORTH_SHARE`].
pub(super) fn worth_compacting(space: FileSpace) -> bool {
    let regrown = space.allocated_bytes.saturating_mul(2);
    let saved = space.file_bytes.saturating_sub(regrown);
    saved >= WORTH_BYTES && saved as f64 >= space.file_bytes as f64 * WORTH_SHARE
}

/// The local wall-clock time of a Unix time in the site's zone.
pub(super) fn local_time(zone: Tz, unix_seconds: i64) -> Option<NaiveDateTime> {
    zone.timestamp_opt(unix_seconds, 0)
        .single()
        .map(|time| time.naive_local())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(date: &str, time: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(&format!("{date} {time}"), "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn due_once_a_night_in_the_quiet_hours() {
        let mut nightly = NightlyOptimize::default();
        assert!(!nightly.due(at("2025-06-01", "02:50")), "too early");
        assert!(!nightly.due(at("2025-06-01", "05:00")), "too late");
        assert!(!nightly.due(at("2025-06-01", "14:00")), "daytime");
        assert!(nightly.due(at("2025-06-01", "03:00")));
        assert!(nightly.due(at("2025-06-01", "04:50")));
        // A failed try (not marked done) is tried again at the next commit.
        assert!(nightly.due(at("2025-06-01", "03:10")));
        nightly.done(at("2025-06-01", "03:10"));
        assert!(!nightly.due(at("2025-06-01", "03:20")), "once a night");
        assert!(!nightly.due(at("2025-06-01", "04:50")), "once a night");
        assert!(nightly.due(at("2025-06-02", "03:00")), "the next night");
        // Done late in the window, due again early in the next night's.
        nightly.done(at("2025-06-02", "04:59"));
        assert!(nightly.due(at("2025-06-03", "03:00")));
    }

    /// Runs the decisions over every commit time of `days` local days from `first` (UTC Unix
    /// times, `step` seconds apart), every try succeeding; the local dates it ran on.
    fn nights(zone: Tz, first: NaiveDate, days: u64, step: i64) -> Vec<NaiveDateTime> {
        let midnight = |date: NaiveDate| {
            zone.from_local_datetime(&date.and_hms_opt(0, 0, 0).unwrap())
                .unwrap()
                .timestamp()
        };
        let (start, end) = (midnight(first), midnight(first + chrono::Days::new(days)));
        let mut nightly = NightlyOptimize::default();
        let mut runs = Vec::new();
        for time in (start..end).step_by(step as usize) {
            let local = local_time(zone, time).unwrap();
            if nightly.due(local) {
                nightly.done(local);
                runs.push(local);
            }
        }
        runs
    }

    #[test]
    fn exactly_one_run_per_day_also_when_the_clocks_change() {
        let paris: Tz = chrono_tz::Europe::Paris;
        for (first, days) in [("2025-03-29", 3), ("2025-10-25", 3)] {
            let first = NaiveDate::parse_from_str(first, "%Y-%m-%d").unwrap();
            for step in [600, 3_600] {
                let runs = nights(paris, first, days, step);
                let dates: Vec<NaiveDate> = runs.iter().map(NaiveDateTime::date).collect();
                let expected: Vec<NaiveDate> = first.iter_days().take(days as usize).collect();
                assert_eq!(dates, expected, "every {step} s from {first}");
                assert!(runs.iter().all(|run| run.hour() == 3 && run.minute() == 0));
            }
        }
        // A whole year of 10-minute commits in New York: one run a day.
        let new_york: Tz = chrono_tz::America::New_York;
        let first = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
        assert_eq!(nights(new_york, first, 365, 600).len(), 365);
    }

    #[test]
    fn compaction_waits_until_it_pays_off_after_the_next_growth() {
        let space = |file_bytes: u64, allocated_bytes: u64| FileSpace {
            file_bytes,
            allocated_bytes,
        };
        const MIB: u64 = 1 << 20;
        // After the bench's history import (a third free): compacted to 37 MiB, the next
        // commit would double it to 74 MiB, worse than the 53 MiB it is.
        assert!(!worth_compacting(space(53 * MIB, 37 * MIB)));
        // The file a compaction and a doubling left, half free: nothing to gain.
        assert!(!worth_compacting(space(74 * MIB, 37 * MIB)));
        assert!(!worth_compacting(space(300 * MIB, 290 * MIB)));
        // After large deletions (a third in use): 200 MiB doubled is a third smaller than 300.
        assert!(worth_compacting(space(300 * MIB, 100 * MIB)));
        // Just under the line: 2 × 135 = 270 MiB saves a tenth of 300.
        assert!(worth_compacting(space(300 * MIB, 135 * MIB)));
        assert!(!worth_compacting(space(300 * MIB, 136 * MIB)));
        // A young file is mostly free pages, but a mebibyte is not worth it either.
        assert!(!worth_compacting(space(MIB, MIB / 8)));
        assert!(worth_compacting(space(4 * MIB, MIB)));
        // Sizes read in the middle of a change never underflow.
        assert!(!worth_compacting(space(MIB, 2 * MIB)));
    }
}
