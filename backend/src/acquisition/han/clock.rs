//! The meter's clock as a frame states it: a local date-time plus whatever the frame says about
//! its relation to UTC, and nothing more. Meters disagree on whether they send local time or UTC
//! (Aidon's deviation 0 may mean either), so no time zone is assumed here.

use chrono::{NaiveDate, NaiveDateTime};

/// A meter clock reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MeterClock {
    /// Date and time as sent.
    pub local: NaiveDateTime,
    /// Offset of `local` from UTC in minutes (local = UTC + offset) when the frame states one:
    /// the COSEM deviation with its sign turned round (COSEM counts UTC − local), absent for the
    /// "not specified" deviation 0x8000 and in P1 telegrams.
    pub utc_offset_minutes: Option<i16>,
    /// Daylight saving time in effect, when the frame says: the COSEM clock-status bit 7, or the
    /// `S` (summer) / `W` (winter) suffix of a P1 timestamp.
    pub dst: Option<bool>,
}

/// COSEM "deviation not specified".
const DEVIATION_UNSPECIFIED: i16 = i16::MIN;
/// COSEM clock status "not specified".
const STATUS_UNSPECIFIED: u8 = 0xFF;
/// COSEM clock status bit: daylight saving active.
const STATUS_DST: u8 = 0x80;

impl MeterClock {
    /// Reads a 12-byte COSEM date-time: year (2), month, day, weekday, hour, minute, second,
    /// hundredths, deviation (2, signed), clock status. Wildcards (0xFF) in the date or time, or
    /// a date that does not exist, give `None`; unspecified hundredths count as 0.
    pub fn from_cosem(bytes: &[u8]) -> Option<Self> {
        let bytes: &[u8; 12] = bytes.try_into().ok()?;
        let year = i32::from(u16::from_be_bytes([bytes[0], bytes[1]]));
        let [month, day, hour, minute, second] =
            [bytes[2], bytes[3], bytes[5], bytes[6], bytes[7]].map(u32::from);
        let hundredths = match bytes[8] {
            0xFF => 0,
            h if h < 100 => u32::from(h),
            _ => return None,
        };
        let local = NaiveDate::from_ymd_opt(year, month, day)?.and_hms_milli_opt(
            hour,
            minute,
            second,
            hundredths * 10,
        )?;
        let deviation = i16::from_be_bytes([bytes[9], bytes[10]]);
        let utc_offset_minutes = match deviation {
            DEVIATION_UNSPECIFIED => None,
            d if (-720..=840).contains(&d) => Some(-d),
            _ => None,
        };
        let dst = match bytes[11] {
            STATUS_UNSPECIFIED => None,
            status => Some(status & STATUS_DST != 0),
        };
        Some(MeterClock {
            local,
            utc_offset_minutes,
            dst,
        })
    }

    /// ISO 8601 text: `2022-10-15T15:08:15`, with `+01:00` appended when the offset is known.
    pub fn to_iso8601(&self) -> String {
        let base = self.local.format("%Y-%m-%dT%H:%M:%S").to_string();
        match self.utc_offset_minutes {
            None => base,
            Some(offset) => {
                let sign = if offset < 0 { '-' } else { '+' };
                let abs = offset.unsigned_abs();
                format!("{base}{sign}{:02}:{:02}", abs / 60, abs % 60)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kaifa_clock_without_deviation() {
        let bytes = [
            0x07, 0xE1, 0x09, 0x0E, 0x04, 0x15, 0x11, 0x00, 0xFF, 0x80, 0x00, 0x00,
        ];
        let clock = MeterClock::from_cosem(&bytes).unwrap();
        assert_eq!(clock.to_iso8601(), "2017-09-14T21:17:00");
        assert_eq!(clock.utc_offset_minutes, None);
        assert_eq!(clock.dst, Some(false));
    }

    #[test]
    fn swedish_kaifa_deviation_minus_60_is_utc_plus_one() {
        let bytes = [
            0x07, 0xE6, 0x0A, 0x0F, 0x06, 0x0F, 0x08, 0x0F, 0xFF, 0xFF, 0xC4, 0x00,
        ];
        let clock = MeterClock::from_cosem(&bytes).unwrap();
        assert_eq!(clock.to_iso8601(), "2022-10-15T15:08:15+01:00");
    }

    #[test]
    fn kamstrup_dst_status() {
        let bytes = [
            0x07, 0xE5, 0x06, 0x0E, 0x01, 0x11, 0x25, 0x1E, 0xFF, 0x80, 0x00, 0x80,
        ];
        let clock = MeterClock::from_cosem(&bytes).unwrap();
        assert_eq!(clock.dst, Some(true));
        assert_eq!(clock.to_iso8601(), "2021-06-14T17:37:30");
    }

    #[test]
    fn wildcards_and_garbage_give_none() {
        assert!(MeterClock::from_cosem(&[0xFF; 12]).is_none());
        assert!(MeterClock::from_cosem(&[0x07, 0xE6, 2, 30, 0, 0, 0, 0, 0, 0, 0, 0]).is_none());
        assert!(MeterClock::from_cosem(&[0x07, 0xE6]).is_none());
    }
}
