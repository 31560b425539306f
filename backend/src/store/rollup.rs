//! Consumption from counter samples: pure functions, no storage.

/// Consumption in each interval between consecutive `boundaries` (Unix seconds, ascending), from
/// counter `samples` (ascending by time) taken around them.
///
/// The counter's value at a boundary is its last sample at or before it. An interval with no sample
/// inside is `None` (unknown, not zero). An interval whose counter went down (meter reset or
/// replacement) is `None` too rather than a negative spike.
pub fn consumption_per_interval(boundaries: &[i64], samples: &[(i64, f64)]) -> Vec<Option<f64>> {
    let value_at = |time: i64| -> Option<f64> {
        let index = samples.partition_point(|&(at, _)| at <= time);
        index.checked_sub(1).map(|last| samples[last].1)
    };
    boundaries
        .windows(2)
        .map(|interval| {
            let (start, end) = (interval[0], interval[1]);
            let first_inside = samples.partition_point(|&(at, _)| at <= start);
            let has_sample_inside = samples.get(first_inside).is_some_and(|&(at, _)| at <= end);
            if !has_sample_inside {
                return None;
            }
            let opening = value_at(start).unwrap_or(samples[first_inside].1);
            let closing = value_at(end)?;
            let used = closing - opening;
            (used >= 0.0).then_some(used)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hourly_differences_of_a_counter() {
        let boundaries = [0, 3600, 7200, 10800];
        let samples = [
            (0, 100.0),
            (1800, 150.0),
            (3600, 200.0),
            (5400, 260.0),
            (7200, 300.0),
        ];
        assert_eq!(
            consumption_per_interval(&boundaries, &samples),
            vec![Some(100.0), Some(100.0), None]
        );
    }

    #[test]
    fn the_first_hour_without_an_earlier_sample_starts_at_its_first_sample() {
        let samples = [(600, 10.0), (3000, 40.0)];
        assert_eq!(
            consumption_per_interval(&[0, 3600], &samples),
            vec![Some(30.0)]
        );
    }

    #[test]
    fn a_counter_that_went_down_gives_no_negative_spike() {
        let samples = [(0, 1000.0), (1800, 5.0), (3600, 10.0)];
        assert_eq!(consumption_per_interval(&[0, 3600], &samples), vec![None]);
    }

    #[test]
    fn an_hour_without_samples_is_unknown_not_zero() {
        let samples = [(0, 1.0), (7200, 3.0)];
        assert_eq!(
            consumption_per_interval(&[0, 3600, 7200], &samples),
            vec![None, Some(2.0)]
        );
    }
}
