//! Energy totals between a smart meter's hourly readings.
//!
//! AMS meters push their cumulative energies once an hour (Kaifa and Aidon list 3, at hh:00:10),
//! and their power every 2–10 s. Like the HAN-to-Modbus converter of
//! `../shared/seeds/001_0db217fb6483904f.txt` ("Estimert" registers), we keep an estimate of each
//! total in between: the last real total plus the energy integrated from power since it arrived
//! (trapezoidal rule). The estimates go under their own quantities (`*_estimated`), so a bill never
//! mixes them with metered totals, and the real totals still move only when the meter sends one.
//!
//! Choices, and why:
//! - **Time base: the gateway's clock at reception**, not the meter's. List 1 frames carry no
//!   clock at all, meters disagree on local time versus UTC, and what matters for integration is
//!   the spacing of samples, which the receive time gives. The few seconds between the meter
//!   capturing a total (hh:00:00) and pushing it (hh:00:10) are not corrected for: at most 10 s of
//!   power, which the rule below absorbs.
//! - **An estimate never goes backwards.** It is a counter: a step down would read as negative
//!   consumption in every histogram. When a real total arrives below the running estimate (the
//!   integration ran ahead of the meter), the estimate holds its value until real total + new
//!   integral catches up. When it arrives above, the estimate jumps up to it.
//! - **A real total that goes down** is a replaced or reset meter, not an estimation error: the
//!   estimate follows it down, as the metered counter does.
//! - **Missing power:** a channel without a power value in a frame just has no new sample (list 1
//!   carries only the import power). Two samples further apart than [`MAX_SAMPLE_GAP_MS`] are not
//!   integrated across: a silent line is not guessed at, the next real total closes the gap.
//! - **No estimate before the first real total**: there is nothing to add the integral to.

use shared::{Quantity, Reading};

use super::reading::HanReading;

/// Samples further apart than this are not integrated across (milliseconds). Meters push power
/// every 2 to 10 s; a minute without one means the line was down.
pub const MAX_SAMPLE_GAP_MS: i64 = 60_000;

/// Milliseconds per hour, to turn W × ms into Wh.
const MS_PER_HOUR: f64 = 3_600_000.0;

/// One total and its estimate: active or reactive, import or export.
#[derive(Debug, Clone, Default, PartialEq)]
struct Channel {
    /// The last real total (Wh or varh).
    anchor: Option<f64>,
    /// Energy integrated from power since the anchor arrived.
    integral: f64,
    /// The last power sample: receive time (ms) and value (W or var, never negative).
    last_sample: Option<(i64, f64)>,
    /// The last estimate handed out, which the next may not go below.
    published: Option<f64>,
}

impl Channel {
    /// Adds a power sample taken at `at_ms`.
    fn sample(&mut self, at_ms: i64, power: f64) {
        let power = power.max(0.0);
        if let Some((previous_at, previous_power)) = self.last_sample {
            let elapsed = at_ms - previous_at;
            if elapsed > 0 && elapsed <= MAX_SAMPLE_GAP_MS {
                self.integral += (previous_power + power) / 2.0 * elapsed as f64 / MS_PER_HOUR;
            }
            if elapsed < 0 {
                // The gateway's clock was set back: start integrating afresh from here.
                self.last_sample = Some((at_ms, power));
                return;
            }
        }
        self.last_sample = Some((at_ms, power));
    }

    /// A real total arrived.
    fn anchor(&mut self, total: f64) {
        if self.anchor.is_some_and(|previous| total < previous) {
            // The meter's own counter went down: a new or reset meter. Follow it.
            self.published = None;
        }
        self.anchor = Some(total);
        self.integral = 0.0;
    }

    /// The estimate now, never below the previous one.
    fn estimate(&mut self) -> Option<f64> {
        let raw = self.anchor? + self.integral;
        let estimate = match self.published {
            Some(previous) if previous > raw => previous,
            _ => raw,
        };
        self.published = Some(estimate);
        Some(estimate)
    }
}

/// The estimated totals of one meter, fed with every reading it pushes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EnergyEstimator {
    /// Active import, active export, reactive import, reactive export.
    channels: [Channel; 4],
}

/// The estimated quantity of each channel, in the order of [`EnergyEstimator::channels`].
const ESTIMATES: [Quantity; 4] = [
    Quantity::ActiveEnergyImportEstimated,
    Quantity::ActiveEnergyExportEstimated,
    Quantity::ReactiveEnergyImportEstimated,
    Quantity::ReactiveEnergyExportEstimated,
];

impl EnergyEstimator {
    /// An estimator that has seen nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes in a reading received at `at_ms` (gateway clock, Unix milliseconds) and returns the
    /// estimated totals of every channel that has had a real total.
    pub fn update(&mut self, at_ms: i64, reading: &HanReading) -> Vec<Reading> {
        let powers = [
            reading.active_power_import_w,
            reading.active_power_export_w,
            reading.reactive_power_import_var,
            reading.reactive_power_export_var,
        ];
        let totals = [
            reading.active_energy_import_wh,
            reading.active_energy_export_wh,
            reading.reactive_energy_import_varh,
            reading.reactive_energy_export_varh,
        ];
        let mut estimates = Vec::new();
        for (index, channel) in self.channels.iter_mut().enumerate() {
            // Power first: the stretch up to this frame belongs to the previous total.
            if let Some(power) = powers[index].filter(|p| p.is_finite()) {
                channel.sample(at_ms, power);
            }
            if let Some(total) = totals[index].filter(|t| t.is_finite()) {
                channel.anchor(total);
            }
            if let Some(value) = channel.estimate() {
                estimates.push(Reading {
                    quantity: ESTIMATES[index],
                    value,
                });
            }
        }
        estimates
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn power(at_import_w: f64) -> HanReading {
        HanReading {
            active_power_import_w: Some(at_import_w),
            ..HanReading::default()
        }
    }

    fn total(import_wh: f64, import_w: f64) -> HanReading {
        HanReading {
            active_power_import_w: Some(import_w),
            active_energy_import_wh: Some(import_wh),
            ..HanReading::default()
        }
    }

    fn import(readings: &[Reading]) -> Option<f64> {
        readings
            .iter()
            .find(|r| r.quantity == Quantity::ActiveEnergyImportEstimated)
            .map(|r| r.value)
    }

    /// Feeds `watts` every `step_ms` for `steps` steps from `start_ms`; returns the last estimate.
    fn run(
        estimator: &mut EnergyEstimator,
        start_ms: i64,
        step_ms: i64,
        steps: i64,
        watts: f64,
    ) -> Option<f64> {
        let mut last = None;
        for step in 1..=steps {
            last = import(&estimator.update(start_ms + step * step_ms, &power(watts)));
        }
        last
    }

    #[test]
    fn nothing_is_estimated_before_the_first_real_total() {
        let mut estimator = EnergyEstimator::new();
        assert_eq!(estimator.update(0, &power(1000.0)), Vec::new());
        assert_eq!(run(&mut estimator, 0, 2_000, 10, 1000.0), None);
    }

    #[test]
    fn constant_power_integrates_to_its_energy() {
        let mut estimator = EnergyEstimator::new();
        assert_eq!(
            import(&estimator.update(0, &total(10_000.0, 3600.0))),
            Some(10_000.0)
        );
        // 3600 W for half an hour in 2 s steps: 1800 Wh.
        let estimate = run(&mut estimator, 0, 2_000, 900, 3600.0).unwrap();
        assert!((estimate - 11_800.0).abs() < 1e-6, "{estimate}");
    }

    #[test]
    fn the_trapezoid_follows_a_ramp_exactly() {
        let mut estimator = EnergyEstimator::new();
        estimator.update(0, &total(0.0, 0.0));
        // Power rises linearly from 0 to 3600 W over one hour: 1800 Wh.
        let mut estimate = None;
        for step in 1..=360 {
            let at = step * 10_000;
            estimate = import(&estimator.update(at, &power(at as f64 / 1000.0)));
        }
        assert!((estimate.unwrap() - 1800.0).abs() < 1e-6, "{estimate:?}");
    }

    #[test]
    fn a_real_total_above_the_estimate_re_anchors() {
        let mut estimator = EnergyEstimator::new();
        estimator.update(0, &total(50_000.0, 1000.0));
        let before = run(&mut estimator, 0, 10_000, 360, 1000.0).unwrap();
        assert!((before - 51_000.0).abs() < 1e-6);
        // The meter counted 1 020 Wh: the estimate jumps to the real total, then integrates on.
        let anchored = import(&estimator.update(3_600_000, &total(51_020.0, 1000.0))).unwrap();
        assert_eq!(anchored, 51_020.0);
        let after = run(&mut estimator, 3_600_000, 10_000, 36, 1000.0).unwrap();
        assert!((after - 51_120.0).abs() < 1e-6, "{after}");
    }

    #[test]
    fn a_real_total_below_the_estimate_is_held_until_it_catches_up() {
        let mut estimator = EnergyEstimator::new();
        estimator.update(0, &total(50_000.0, 1000.0));
        let before = run(&mut estimator, 0, 10_000, 360, 1000.0).unwrap();
        assert!((before - 51_000.0).abs() < 1e-6);
        // The meter counted only 980 Wh: the estimate (51 000) stays put …
        let held = import(&estimator.update(3_600_000, &total(50_980.0, 1000.0))).unwrap();
        assert_eq!(held, before);
        // … for the 20 Wh the new integral needs (72 s at 1000 W) …
        let still = run(&mut estimator, 3_600_000, 10_000, 7, 1000.0).unwrap();
        assert_eq!(still, before);
        // … then moves on from the real total.
        let moving = run(&mut estimator, 3_670_000, 10_000, 3, 1000.0).unwrap();
        assert!((moving - (50_980.0 + 100.0 / 3.6)).abs() < 1e-6, "{moving}");
    }

    #[test]
    fn estimates_never_decrease_whatever_comes() {
        let mut estimator = EnergyEstimator::new();
        let mut previous = f64::MIN;
        let mut at = 0;
        for step in 0..2_000i64 {
            at += 2_000 + (step % 7) * 1_000;
            let watts = ((step * 37) % 5000) as f64;
            let reading = if step % 300 == 0 {
                // Real totals that sometimes lag the estimate.
                total(100_000.0 + step as f64 * 2.0, watts)
            } else {
                power(watts)
            };
            if let Some(value) = import(&estimator.update(at, &reading)) {
                assert!(value >= previous, "step {step}: {value} < {previous}");
                previous = value;
            }
        }
    }

    #[test]
    fn a_silent_line_is_not_integrated_across() {
        let mut estimator = EnergyEstimator::new();
        estimator.update(0, &total(1_000.0, 3600.0));
        // Ten minutes without a frame, then power again: nothing is guessed for the gap.
        let estimate = import(&estimator.update(600_000, &power(3600.0))).unwrap();
        assert_eq!(estimate, 1_000.0);
        let estimate = import(&estimator.update(602_000, &power(3600.0))).unwrap();
        assert!((estimate - 1_002.0).abs() < 1e-9);
    }

    #[test]
    fn a_meter_whose_counter_goes_down_is_followed() {
        let mut estimator = EnergyEstimator::new();
        estimator.update(0, &total(90_000.0, 0.0));
        let replaced = import(&estimator.update(3_600_000, &total(12.0, 0.0))).unwrap();
        assert_eq!(replaced, 12.0);
    }

    #[test]
    fn export_and_reactive_channels_are_estimated_apart() {
        let mut estimator = EnergyEstimator::new();
        let reading = HanReading {
            active_power_import_w: Some(0.0),
            active_power_export_w: Some(1800.0),
            reactive_power_import_var: Some(360.0),
            active_energy_import_wh: Some(5.0),
            active_energy_export_wh: Some(7.0),
            reactive_energy_import_varh: Some(9.0),
            ..HanReading::default()
        };
        estimator.update(0, &reading);
        let later = HanReading {
            active_energy_import_wh: None,
            active_energy_export_wh: None,
            reactive_energy_import_varh: None,
            ..reading
        };
        let estimates = estimator.update(10_000, &later);
        let value = |q| estimates.iter().find(|r| r.quantity == q).map(|r| r.value);
        assert_eq!(value(Quantity::ActiveEnergyImportEstimated), Some(5.0));
        assert_eq!(value(Quantity::ActiveEnergyExportEstimated), Some(12.0));
        assert_eq!(value(Quantity::ReactiveEnergyImportEstimated), Some(10.0));
        assert_eq!(value(Quantity::ReactiveEnergyExportEstimated), None);
    }

    #[test]
    fn negative_or_non_finite_values_are_ignored() {
        let mut estimator = EnergyEstimator::new();
        estimator.update(0, &total(100.0, -500.0));
        let estimate = import(&estimator.update(
            10_000,
            &HanReading {
                active_power_import_w: Some(f64::NAN),
                active_energy_import_wh: Some(f64::INFINITY),
                ..HanReading::default()
            },
        ));
        assert_eq!(estimate, Some(100.0));
    }
}
