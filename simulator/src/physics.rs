//! Values that behave like a real installation: power follows a daily profile with noise, energy
//! integrates power, voltage and frequency wander slightly around 230 V / 50 Hz, and water and gas
//! meters advance in whole pulses.

use std::collections::BTreeMap;

use rand::Rng;
use shared::Quantity;

/// The shape of a load over a day, in watts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ConsumptionProfile {
    /// Always-on consumption.
    pub base_watts: f64,
    /// Extra consumption at the morning and evening peaks.
    pub peak_watts: f64,
    /// Peak output of solar panels behind the meter (0 for none); when they produce more than the
    /// load, power turns negative and the export counter runs.
    pub solar_watts: f64,
}

impl ConsumptionProfile {
    /// Expected power at `hour` (local, fractional, 0–24), before noise; negative when exporting.
    pub fn power_at(&self, hour: f64) -> f64 {
        let bump = |centre: f64, width: f64| (-((hour - centre) / width).powi(2)).exp();
        let load = self.base_watts + self.peak_watts * (0.8 * bump(7.5, 1.2) + bump(19.5, 2.0));
        let daylight = ((hour - 6.0) / 14.0 * std::f64::consts::PI).sin().max(0.0);
        load - self.solar_watts * daylight.powf(1.5)
    }
}

/// The state of a simulated electricity meter.
#[derive(Debug, Clone, PartialEq)]
pub struct MeterState {
    pub profile: ConsumptionProfile,
    pub phases: u8,
    pub energy_import_wh: f64,
    pub energy_export_wh: f64,
    pub power_watts: f64,
    /// Power per phase; the phases are deliberately unbalanced as in real buildings.
    pub phase_power_watts: [f64; 3],
    pub voltages: [f64; 3],
    pub frequency: f64,
    pub power_factor: f64,
}

impl MeterState {
    pub fn new(profile: ConsumptionProfile, phases: u8, energy_import_wh: f64) -> Self {
        MeterState {
            profile,
            phases,
            energy_import_wh,
            energy_export_wh: 0.0,
            power_watts: profile.base_watts,
            phase_power_watts: [profile.base_watts, 0.0, 0.0],
            voltages: [230.0; 3],
            frequency: 50.0,
            power_factor: 0.95,
        }
    }

    /// Moves the meter `seconds` forward to local `hour`: new power, and energy integrated with the
    /// trapezoidal rule so that the counters agree with the power shown.
    pub fn advance(&mut self, hour: f64, seconds: f64, rng: &mut impl Rng) {
        let previous = self.power_watts;
        let noise = 1.0 + rng.random_range(-0.06..0.06);
        let expected = self.profile.power_at(hour);
        let load_part = expected.max(0.0) * noise;
        let power = if expected >= 0.0 {
            load_part
        } else {
            expected * (1.0 + rng.random_range(-0.03..0.03))
        };
        self.power_watts = power;
        let energy_wh = (previous + power) / 2.0 * seconds / 3600.0;
        if energy_wh >= 0.0 {
            self.energy_import_wh += energy_wh;
        } else {
            self.energy_export_wh -= energy_wh;
        }
        let shares: [f64; 3] = if self.phases >= 3 {
            [0.42, 0.33, 0.25]
        } else {
            [1.0, 0.0, 0.0]
        };
        for (phase, share) in shares.iter().enumerate() {
            self.phase_power_watts[phase] = power * share;
            self.voltages[phase] = 230.0 + rng.random_range(-2.5..2.5);
        }
        self.frequency = 50.0 + rng.random_range(-0.04..0.04);
        self.power_factor = (0.93 + rng.random_range(-0.02..0.04f64)).min(1.0);
    }

    /// Every quantity the meter measures now, in base units.
    pub fn quantities(&self) -> BTreeMap<Quantity, f64> {
        let mut values = BTreeMap::new();
        values.insert(Quantity::ActiveEnergyImport, self.energy_import_wh);
        values.insert(Quantity::ActiveEnergyExport, self.energy_export_wh);
        values.insert(Quantity::ActivePower, self.power_watts);
        values.insert(Quantity::Frequency, self.frequency);
        values.insert(Quantity::PowerFactor, self.power_factor);
        let phase_quantities = [
            (
                Quantity::ActivePowerL1,
                Quantity::VoltageL1,
                Quantity::CurrentL1,
            ),
            (
                Quantity::ActivePowerL2,
                Quantity::VoltageL2,
                Quantity::CurrentL2,
            ),
            (
                Quantity::ActivePowerL3,
                Quantity::VoltageL3,
                Quantity::CurrentL3,
            ),
        ];
        for (phase, (power, voltage, current)) in phase_quantities.into_iter().enumerate() {
            if phase >= usize::from(self.phases.max(1)) {
                break;
            }
            let watts = self.phase_power_watts[phase];
            values.insert(power, watts);
            values.insert(voltage, self.voltages[phase]);
            values.insert(
                current,
                watts.abs() / (self.voltages[phase] * self.power_factor),
            );
        }
        values
    }
}

/// A water or gas meter wired to a pulse concentrator input.
#[derive(Debug, Clone, PartialEq)]
pub struct PulseChannel {
    /// Cubic metres per pulse.
    pub pulse_weight: f64,
    /// Average flow at the daily peak, in cubic metres per hour.
    pub peak_flow: f64,
    /// Volume flowed so far, including the part of a pulse not yet counted.
    pub volume: f64,
}

impl PulseChannel {
    /// Moves the meter `seconds` forward to local `hour`.
    pub fn advance(&mut self, hour: f64, seconds: f64, rng: &mut impl Rng) {
        let morning = (-((hour - 7.5) / 1.0f64).powi(2)).exp();
        let evening = (-((hour - 20.0) / 1.5f64).powi(2)).exp();
        let flow = self.peak_flow * (0.05 + morning + 0.8 * evening) * rng.random_range(0.5..1.5);
        self.volume += flow * seconds / 3600.0;
    }

    /// Whole pulses counted so far.
    pub fn pulses(&self) -> f64 {
        (self.volume / self.pulse_weight).floor()
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::*;

    fn house() -> ConsumptionProfile {
        ConsumptionProfile {
            base_watts: 400.0,
            peak_watts: 3000.0,
            solar_watts: 0.0,
        }
    }

    #[test]
    fn evening_peak_is_higher_than_night() {
        assert!(house().power_at(19.5) > 3.0 * house().power_at(3.0));
    }

    #[test]
    fn energy_integrates_power() {
        let mut rng = StdRng::seed_from_u64(1);
        let mut meter = MeterState::new(house(), 3, 1_000_000.0);
        let mut seconds = 0.0;
        let mut power_integral = 0.0;
        let mut previous = meter.power_watts;
        while seconds < 3600.0 {
            meter.advance(12.0 + seconds / 3600.0, 10.0, &mut rng);
            power_integral += (previous + meter.power_watts) / 2.0 * 10.0 / 3600.0;
            previous = meter.power_watts;
            seconds += 10.0;
        }
        let counted = meter.energy_import_wh - 1_000_000.0;
        assert!(
            (counted - power_integral).abs() < 1e-6,
            "{counted} vs {power_integral}"
        );
        assert!(counted > 300.0 && counted < 3000.0, "{counted}");
    }

    #[test]
    fn values_are_physically_plausible() {
        let mut rng = StdRng::seed_from_u64(2);
        let mut meter = MeterState::new(house(), 3, 0.0);
        for step in 0..1000 {
            meter.advance(f64::from(step % 24), 60.0, &mut rng);
            let values = meter.quantities();
            let volts = values[&Quantity::VoltageL1];
            assert!((225.0..235.0).contains(&volts));
            assert!((49.9..50.1).contains(&values[&Quantity::Frequency]));
            let phases: f64 = [
                Quantity::ActivePowerL1,
                Quantity::ActivePowerL2,
                Quantity::ActivePowerL3,
            ]
            .iter()
            .map(|q| values[q])
            .sum();
            assert!((phases - values[&Quantity::ActivePower]).abs() < 1e-6);
        }
    }

    #[test]
    fn solar_surplus_runs_the_export_counter() {
        let mut rng = StdRng::seed_from_u64(3);
        let profile = ConsumptionProfile {
            base_watts: 300.0,
            peak_watts: 500.0,
            solar_watts: 5000.0,
        };
        let mut meter = MeterState::new(profile, 3, 0.0);
        for _ in 0..60 {
            meter.advance(13.0, 60.0, &mut rng);
        }
        assert!(meter.power_watts < 0.0);
        assert!(meter.energy_export_wh > 1000.0);
    }

    #[test]
    fn pulses_advance_in_whole_steps() {
        let mut rng = StdRng::seed_from_u64(4);
        let mut water = PulseChannel {
            pulse_weight: 0.001,
            peak_flow: 0.6,
            volume: 12.3456,
        };
        let before = water.pulses();
        assert_eq!(before, 12345.0);
        water.advance(7.5, 600.0, &mut rng);
        assert!(water.pulses() > before);
        assert_eq!(water.pulses().fract(), 0.0);
    }
}
