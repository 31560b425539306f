//! Consumption from the readings of a cumulative register: pure rules, no storage.
//!
//! A counter's consumption over an interval is the difference of two consecutive readings, except:
//!
//! - **Reset, roll-over, replacement** — the reading went *down*. The meter was reset to zero,
//!   wrapped at its register's limit, or was replaced. The new reading is counted as the
//!   consumption since zero when that amount is plausible for the interval (a reset or a
//!   roll-over: the energy after the wrap is kept, what was counted between the last reading and
//!   the wrap is lost, as the register's limit is unknown); otherwise (a replacement meter that
//!   starts at its own index) the interval counts nothing. Either way the new reading becomes the
//!   reference, so no negative value and no spike ever appears.
//! - **Implausible jump** — the reading went *up* faster than plausible (a misread register, a
//!   meter swapped for one with a higher index): the interval counts nothing and the new reading
//!   becomes the reference. Plausible is at most `max(floor, 20 × the fastest rate seen so far)`,
//!   the floor being 1 MW for energy and 100 m³/h for volumes, so a site's meters never trip it
//!   in normal use and a large industrial meter raises its own limit as it runs.
//! - **Gap** — readings missing for a while (device off, bus fault, server stopped): the difference
//!   across the gap is real consumption of the gap, so it is *spread evenly over the gap's time*.
//!   A day histogram shows a flat stretch where nothing was read rather than a spike at the hour
//!   the meter answered again; day, month and year totals stay exact.

/// What the store remembers of a counter between readings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CounterState {
    /// Unix seconds of the last reading.
    pub time: i64,
    /// The last reading, in resolution units.
    pub reading: i64,
    /// Fastest accepted consumption so far, in resolution units per hour.
    pub peak_per_hour: i64,
}

/// How an interval's consumption was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// The plain difference.
    Counted,
    /// The counter went down; the new reading was counted from zero.
    ResetFromZero,
    /// The counter went down to a reading too high to be counted from zero (a replacement).
    Replaced,
    /// The counter went up faster than plausible.
    Implausible,
}

/// The consumption between two readings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interval {
    /// Unix seconds of the previous reading.
    pub start: i64,
    /// Unix seconds of this reading.
    pub end: i64,
    /// In resolution units, never negative.
    pub consumption: i64,
    pub change: Change,
}

/// How many times the fastest rate seen a jump may reach before it is implausible.
const PLAUSIBLE_FACTOR: i64 = 20;

/// Takes a new reading: the interval since the previous one, if there was one and the new
/// reading is newer. `floor_per_hour` is the rate that is always plausible (resolution units per
/// hour). A reading not newer than the last one is ignored (returns `None`, state unchanged).
pub fn advance(
    state: &mut Option<CounterState>,
    time: i64,
    reading: i64,
    floor_per_hour: i64,
) -> Option<Interval> {
    let Some(previous) = *state else {
        *state = Some(CounterState {
            time,
            reading,
            peak_per_hour: 0,
        });
        return None;
    };
    if time <= previous.time {
        return None;
    }
    let seconds = time - previous.time;
    let limit_per_hour =
        floor_per_hour.max(previous.peak_per_hour.saturating_mul(PLAUSIBLE_FACTOR));
    let limit = i128::from(limit_per_hour) * i128::from(seconds) / 3600;
    let difference = i128::from(reading) - i128::from(previous.reading);
    let (consumption, change) = if difference >= 0 {
        if difference <= limit {
            (difference as i64, Change::Counted)
        } else {
            (0, Change::Implausible)
        }
    } else if reading >= 0 && i128::from(reading) <= limit {
        (reading, Change::ResetFromZero)
    } else {
        (0, Change::Replaced)
    };
    let rate = (i128::from(consumption) * 3600 / i128::from(seconds)) as i64;
    *state = Some(CounterState {
        time,
        reading,
        peak_per_hour: previous.peak_per_hour.max(rate),
    });
    Some(Interval {
        start: previous.time,
        end: time,
        consumption,
        change,
    })
}

/// Splits `amount` over consecutive parts proportionally to their `weights`, in whole units,
/// so that the parts add up to exactly `amount` (cumulative rounding).
pub fn spread(amount: i64, weights: &[i64]) -> Vec<i64> {
    let total: i128 = weights.iter().map(|&weight| i128::from(weight)).sum();
    if total <= 0 {
        let mut parts = vec![0; weights.len()];
        if let Some(last) = parts.last_mut() {
            *last = amount;
        }
        return parts;
    }
    let mut cumulative = 0i128;
    let mut given = 0i64;
    weights
        .iter()
        .map(|&weight| {
            cumulative += i128::from(weight);
            let until_here = ((i128::from(amount) * cumulative + total / 2) / total) as i64;
            let part = until_here - given;
            given = until_here;
            part
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const FLOOR: i64 = 1_000_000;

    fn readings(points: &[(i64, i64)]) -> Vec<Interval> {
        let mut state = None;
        points
            .iter()
            .filter_map(|&(time, reading)| advance(&mut state, time, reading, FLOOR))
            .collect()
    }

    #[test]
    fn plain_differences() {
        let intervals = readings(&[(0, 100), (600, 150), (1200, 150)]);
        assert_eq!(
            intervals
                .iter()
                .map(|interval| (interval.start, interval.end, interval.consumption))
                .collect::<Vec<_>>(),
            vec![(0, 600, 50), (600, 1200, 0)]
        );
    }

    #[test]
    fn a_reset_counts_from_zero() {
        let intervals = readings(&[(0, 5_000_000), (600, 5_000_400), (1200, 30)]);
        assert_eq!(intervals[1].consumption, 30);
        assert_eq!(intervals[1].change, Change::ResetFromZero);
        // And the next difference starts from the new reading.
        let mut state = None;
        for (time, reading) in [(0, 5_000_000), (600, 30), (1200, 90)] {
            advance(&mut state, time, reading, FLOOR);
        }
        assert_eq!(state.unwrap().reading, 90);
    }

    #[test]
    fn a_replacement_meter_with_its_own_index_counts_nothing() {
        let intervals = readings(&[(0, 48_000_000), (600, 48_000_500), (1200, 9_000_000)]);
        assert_eq!(intervals[1].consumption, 0);
        assert_eq!(intervals[1].change, Change::Replaced);
    }

    #[test]
    fn an_absurd_jump_counts_nothing_and_rebases() {
        // 1 MWh in 10 minutes on a 500 W household: 6 MW.
        let intervals = readings(&[
            (0, 1_000),
            (600, 1_083),
            (1200, 1_001_083),
            (1800, 1_001_166),
        ]);
        assert_eq!(intervals[1].consumption, 0);
        assert_eq!(intervals[1].change, Change::Implausible);
        assert_eq!(intervals[2].consumption, 83);
    }

    #[test]
    fn a_big_meter_raises_its_own_limit() {
        // 2 MW for 10 minutes is 333 kWh: above the 1 MW floor at first.
        let mut state = Some(CounterState {
            time: 0,
            reading: 0,
            peak_per_hour: 500_000,
        });
        let interval = advance(&mut state, 600, 333_333, FLOOR).unwrap();
        assert_eq!(interval.change, Change::Counted);
        assert_eq!(state.unwrap().peak_per_hour, 1_999_998);
    }

    #[test]
    fn older_or_repeated_readings_are_ignored() {
        let mut state = None;
        advance(&mut state, 600, 10, FLOOR);
        assert_eq!(advance(&mut state, 600, 20, FLOOR), None);
        assert_eq!(advance(&mut state, 0, 5, FLOOR), None);
        assert_eq!(state.unwrap().reading, 10);
    }

    #[test]
    fn spreading_keeps_the_total() {
        assert_eq!(spread(10, &[1, 1, 1]), vec![3, 4, 3]);
        assert_eq!(spread(100, &[1800, 3600, 1800]), vec![25, 50, 25]);
        assert_eq!(spread(7, &[0, 0]), vec![0, 7]);
        let parts = spread(1_000_003, &[7, 13, 3600, 1]);
        assert_eq!(parts.iter().sum::<i64>(), 1_000_003);
    }
}
