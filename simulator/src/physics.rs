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

/// How a 3-phase building shares its load between the phases: deliberately unbalanced, as in real
/// buildings (the neutral then carries a current).
const THREE_PHASE_SHARES: [f64; 3] = [0.42, 0.33, 0.25];

/// Each phase's power factor departs a little from the meter's: different loads on each phase.
const PHASE_FACTOR_OFFSETS: [f64; 3] = [0.0, -0.025, 0.015];

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
    /// The load's power factor; each phase departs from it by [`PHASE_FACTOR_OFFSETS`].
    pub power_factor: f64,
    /// Reactive, per-phase and power-quality state (boxed: a bus keeps its devices in one enum,
    /// and this is most of a meter's size).
    pub detail: Box<MeterDetail>,
}

/// What a meter measures beyond power, voltage and the two active counters.
#[derive(Debug, Clone, PartialEq)]
pub struct MeterDetail {
    /// Reactive power per phase (var), inductive (positive) like a building's motors and ballasts.
    pub phase_reactive_var: [f64; 3],
    /// Active energy per phase; the phases add up to the meter's totals.
    pub phase_energy_import_wh: [f64; 3],
    pub phase_energy_export_wh: [f64; 3],
    /// Reactive energy counters, integrating reactive power like the active ones integrate power.
    pub reactive_import_varh: f64,
    pub reactive_export_varh: f64,
    pub phase_reactive_import_varh: [f64; 3],
    pub phase_reactive_export_varh: [f64; 3],
    /// Small departures (degrees) of the phase angles from 120°, so L-L voltages are not exactly
    /// √3 times L-N.
    pub angle_errors: [f64; 3],
    /// Total harmonic distortion (%) of each phase voltage and current; they drift slowly.
    pub voltage_thd: [f64; 3],
    pub current_thd: [f64; 3],
}

impl MeterState {
    pub fn new(profile: ConsumptionProfile, phases: u8, energy_import_wh: f64) -> Self {
        let shares = Self::shares(phases);
        let power_factor = 0.95;
        // Counters of a meter that has run a while: reactive energy about a third of the active
        // one (tan φ of a 0.95 load), some capacitive periods behind the export counter.
        let reactive_import_varh = energy_import_wh * 0.3;
        let reactive_export_varh = energy_import_wh * 0.02;
        let mut meter = MeterState {
            profile,
            phases,
            energy_import_wh,
            energy_export_wh: 0.0,
            power_watts: profile.base_watts,
            phase_power_watts: shares.map(|share| profile.base_watts * share),
            voltages: [230.0; 3],
            frequency: 50.0,
            power_factor,
            detail: Box::new(MeterDetail {
                phase_reactive_var: [0.0; 3],
                phase_energy_import_wh: shares.map(|share| energy_import_wh * share),
                phase_energy_export_wh: [0.0; 3],
                reactive_import_varh,
                reactive_export_varh,
                phase_reactive_import_varh: shares.map(|share| reactive_import_varh * share),
                phase_reactive_export_varh: shares.map(|share| reactive_export_varh * share),
                angle_errors: [0.0; 3],
                voltage_thd: [2.1, 2.4, 2.2],
                current_thd: [12.0, 15.0, 18.0],
            }),
        };
        meter.detail.phase_reactive_var = meter.reactive_now();
        meter
    }

    /// How the load splits between the phases the meter has.
    fn shares(phases: u8) -> [f64; 3] {
        if phases >= 3 {
            THREE_PHASE_SHARES
        } else {
            [1.0, 0.0, 0.0]
        }
    }

    /// The phases in use (1 or 3).
    fn phase_count(&self) -> usize {
        if self.phases >= 3 { 3 } else { 1 }
    }

    /// Power factor of one phase.
    fn phase_power_factor(&self, phase: usize) -> f64 {
        (self.power_factor + PHASE_FACTOR_OFFSETS[phase]).clamp(0.5, 1.0)
    }

    /// Reactive power of each phase from its active power and power factor: Q = |P|·tan φ.
    fn reactive_now(&self) -> [f64; 3] {
        std::array::from_fn(|phase| {
            let factor = self.phase_power_factor(phase);
            self.phase_power_watts[phase].abs() * (1.0 - factor * factor).sqrt() / factor
        })
    }

    /// Moves the meter `seconds` forward to local `hour`: new power, and energy integrated with the
    /// trapezoidal rule so that the counters agree with the power shown.
    pub fn advance(&mut self, hour: f64, seconds: f64, rng: &mut impl Rng) {
        let previous = self.power_watts;
        let previous_phases = self.phase_power_watts;
        let previous_reactive = self.detail.phase_reactive_var;
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
        let shares = Self::shares(self.phases);
        for (phase, share) in shares.iter().enumerate() {
            self.phase_power_watts[phase] = power * share;
            self.voltages[phase] = 230.0 + rng.random_range(-2.5..2.5);
            self.detail.angle_errors[phase] = rng.random_range(-0.3..0.3);
        }
        self.frequency = 50.0 + rng.random_range(-0.04..0.04);
        self.power_factor = (0.93 + rng.random_range(-0.02..0.04f64)).min(1.0);
        self.detail.phase_reactive_var = self.reactive_now();
        for phase in 0..3 {
            let active = (previous_phases[phase] + self.phase_power_watts[phase]) / 2.0;
            let active_wh = active * seconds / 3600.0;
            if active_wh >= 0.0 {
                self.detail.phase_energy_import_wh[phase] += active_wh;
            } else {
                self.detail.phase_energy_export_wh[phase] -= active_wh;
            }
            let reactive = (previous_reactive[phase] + self.detail.phase_reactive_var[phase]) / 2.0;
            let reactive_varh = reactive * seconds / 3600.0;
            if reactive_varh >= 0.0 {
                self.detail.phase_reactive_import_varh[phase] += reactive_varh;
                self.detail.reactive_import_varh += reactive_varh;
            } else {
                self.detail.phase_reactive_export_varh[phase] -= reactive_varh;
                self.detail.reactive_export_varh -= reactive_varh;
            }
        }
        // THD drifts back towards what the load causes: more current distortion at light load
        // (electronics dominate), a voltage THD of a few percent. It moves over tens of minutes.
        let pull = (seconds / 1800.0).min(1.0);
        let load = (power.abs() / self.profile.base_watts.max(1.0)).max(0.1);
        for phase in 0..3 {
            let voltage_target = 2.0 + 0.4 * phase as f64 + 0.3 * load.min(3.0);
            let current_target = (30.0 / load.sqrt()).clamp(5.0, 40.0) + 2.0 * phase as f64;
            self.detail.voltage_thd[phase] += (voltage_target - self.detail.voltage_thd[phase])
                * pull
                + rng.random_range(-0.05..0.05);
            self.detail.current_thd[phase] += (current_target - self.detail.current_thd[phase])
                * pull
                + rng.random_range(-0.3..0.3);
            self.detail.voltage_thd[phase] = self.detail.voltage_thd[phase].clamp(0.5, 8.0);
            self.detail.current_thd[phase] = self.detail.current_thd[phase].clamp(2.0, 60.0);
        }
    }

    /// Every quantity the meter measures now, in base units.
    pub fn quantities(&self) -> BTreeMap<Quantity, f64> {
        use Quantity::*;
        let mut values = BTreeMap::new();
        values.insert(ActiveEnergyImport, self.energy_import_wh);
        values.insert(ActiveEnergyExport, self.energy_export_wh);
        values.insert(ReactiveEnergyImport, self.detail.reactive_import_varh);
        values.insert(ReactiveEnergyExport, self.detail.reactive_export_varh);
        values.insert(ActivePower, self.power_watts);
        values.insert(Frequency, self.frequency);
        let per_phase = [
            [
                ActivePowerL1,
                VoltageL1,
                CurrentL1,
                ReactivePowerL1,
                ApparentPowerL1,
                PowerFactorL1,
                ActiveEnergyImportL1,
                ActiveEnergyExportL1,
                ReactiveEnergyImportL1,
                ReactiveEnergyExportL1,
                VoltageThdL1,
                CurrentThdL1,
            ],
            [
                ActivePowerL2,
                VoltageL2,
                CurrentL2,
                ReactivePowerL2,
                ApparentPowerL2,
                PowerFactorL2,
                ActiveEnergyImportL2,
                ActiveEnergyExportL2,
                ReactiveEnergyImportL2,
                ReactiveEnergyExportL2,
                VoltageThdL2,
                CurrentThdL2,
            ],
            [
                ActivePowerL3,
                VoltageL3,
                CurrentL3,
                ReactivePowerL3,
                ApparentPowerL3,
                PowerFactorL3,
                ActiveEnergyImportL3,
                ActiveEnergyExportL3,
                ReactiveEnergyImportL3,
                ReactiveEnergyExportL3,
                VoltageThdL3,
                CurrentThdL3,
            ],
        ];
        let count = self.phase_count();
        let mut currents = [0.0; 3];
        let mut apparent_total = 0.0;
        let mut reactive_total = 0.0;
        for (phase, names) in per_phase.iter().enumerate().take(count) {
            let [p, v, i, q, s, pf, e_imp, e_exp, q_imp, q_exp, v_thd, i_thd] = *names;
            let watts = self.phase_power_watts[phase];
            let factor = self.phase_power_factor(phase);
            // S = V·I and |P| = S·PF on each phase.
            let apparent = watts.abs() / factor;
            currents[phase] = apparent / self.voltages[phase];
            apparent_total += apparent;
            reactive_total += self.detail.phase_reactive_var[phase];
            values.insert(p, watts);
            values.insert(v, self.voltages[phase]);
            values.insert(i, currents[phase]);
            values.insert(q, self.detail.phase_reactive_var[phase]);
            values.insert(s, apparent);
            values.insert(pf, factor);
            values.insert(e_imp, self.detail.phase_energy_import_wh[phase]);
            values.insert(e_exp, self.detail.phase_energy_export_wh[phase]);
            values.insert(q_imp, self.detail.phase_reactive_import_varh[phase]);
            values.insert(q_exp, self.detail.phase_reactive_export_varh[phase]);
            // Meters show THD to a tenth of a percent.
            values.insert(
                v_thd,
                (self.detail.voltage_thd[phase] * 10.0).round() / 10.0,
            );
            values.insert(
                i_thd,
                (self.detail.current_thd[phase] * 10.0).round() / 10.0,
            );
        }
        values.insert(ReactivePower, reactive_total);
        values.insert(ApparentPower, apparent_total);
        // The total power factor is the ratio of the totals (as the meters compute it).
        let total_factor = if apparent_total > 1e-9 {
            self.power_watts.abs() / apparent_total
        } else {
            self.phase_power_factor(0)
        };
        values.insert(PowerFactor, total_factor);
        let phases = count as f64;
        values.insert(
            VoltageAverage,
            self.voltages[..count].iter().sum::<f64>() / phases,
        );
        values.insert(
            CurrentAverage,
            currents[..count].iter().sum::<f64>() / phases,
        );
        if count == 3 {
            // Phasor differences of voltages 120° apart (plus the small angle errors).
            let line = |a: usize, b: usize| {
                let angle = (120.0 + self.detail.angle_errors[a] - self.detail.angle_errors[b])
                    .to_radians();
                let (va, vb) = (self.voltages[a], self.voltages[b]);
                (va * va + vb * vb - 2.0 * va * vb * angle.cos()).sqrt()
            };
            let lines = [line(0, 1), line(1, 2), line(2, 0)];
            values.insert(VoltageL1L2, lines[0]);
            values.insert(VoltageL2L3, lines[1]);
            values.insert(VoltageL3L1, lines[2]);
            values.insert(VoltageLineAverage, lines.iter().sum::<f64>() / 3.0);
            // The neutral carries the phasor sum of the phase currents, each lagging its
            // voltage (0°, -120°, +120°) by its own φ: zero only when the load is balanced.
            let (mut real, mut imaginary) = (0.0, 0.0);
            for (phase, current) in currents.iter().enumerate() {
                let angle =
                    (-120.0 * phase as f64).to_radians() - self.phase_power_factor(phase).acos();
                real += current * angle.cos();
                imaginary += current * angle.sin();
            }
            values.insert(CurrentNeutral, real.hypot(imaginary));
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
    fn phase_values_follow_the_power_triangle() {
        let mut rng = StdRng::seed_from_u64(5);
        let mut meter = MeterState::new(house(), 3, 5_000_000.0);
        let mut previous: Option<BTreeMap<Quantity, f64>> = None;
        for step in 0..600 {
            meter.advance(f64::from(step % 24), 60.0, &mut rng);
            let values = meter.quantities();
            let value = |q: Quantity| values[&q];
            let phases = [
                (
                    Quantity::VoltageL1,
                    Quantity::CurrentL1,
                    Quantity::ActivePowerL1,
                    Quantity::ReactivePowerL1,
                    Quantity::ApparentPowerL1,
                    Quantity::PowerFactorL1,
                ),
                (
                    Quantity::VoltageL2,
                    Quantity::CurrentL2,
                    Quantity::ActivePowerL2,
                    Quantity::ReactivePowerL2,
                    Quantity::ApparentPowerL2,
                    Quantity::PowerFactorL2,
                ),
                (
                    Quantity::VoltageL3,
                    Quantity::CurrentL3,
                    Quantity::ActivePowerL3,
                    Quantity::ReactivePowerL3,
                    Quantity::ApparentPowerL3,
                    Quantity::PowerFactorL3,
                ),
            ];
            let (mut q_sum, mut s_sum, mut max_current) = (0.0, 0.0, 0.0f64);
            for (v, i, p, q, s, pf) in phases {
                let (v, i, p, q, s, pf) =
                    (value(v), value(i), value(p), value(q), value(s), value(pf));
                assert!(
                    (s - v * i).abs() < 1e-6 * s.max(1.0),
                    "S = V·I: {s} vs {v}·{i}"
                );
                assert!((p * p + q * q - s * s).abs() < 1e-6 * (s * s).max(1.0));
                assert!((p.abs() - s * pf).abs() < 1e-6 * s.max(1.0));
                assert!((0.5..=1.0).contains(&pf), "{pf}");
                assert!(q >= 0.0, "an inductive building: {q}");
                q_sum += q;
                s_sum += s;
                max_current = max_current.max(i);
            }
            assert!((q_sum - value(Quantity::ReactivePower)).abs() < 1e-6);
            assert!((s_sum - value(Quantity::ApparentPower)).abs() < 1e-6);
            let total_pf = value(Quantity::PowerFactor);
            assert!((total_pf - value(Quantity::ActivePower).abs() / s_sum).abs() < 1e-9);
            // L-L = √3·L-N give or take the small voltage and angle differences.
            for line in [
                Quantity::VoltageL1L2,
                Quantity::VoltageL2L3,
                Quantity::VoltageL3L1,
            ] {
                let ratio = value(line) / value(Quantity::VoltageAverage);
                assert!((ratio - 3f64.sqrt()).abs() < 0.02, "{line:?} {ratio}");
            }
            let lines = value(Quantity::VoltageL1L2)
                + value(Quantity::VoltageL2L3)
                + value(Quantity::VoltageL3L1);
            assert!((lines / 3.0 - value(Quantity::VoltageLineAverage)).abs() < 1e-9);
            // Unbalanced phases: the neutral carries some current, less than the largest phase.
            let neutral = value(Quantity::CurrentNeutral);
            assert!(
                neutral > 0.05 * max_current && neutral < max_current,
                "{neutral}"
            );
            // THD: a few percent of voltage, more of current, moving slowly between readings.
            for (voltage_thd, current_thd) in [
                (Quantity::VoltageThdL1, Quantity::CurrentThdL1),
                (Quantity::VoltageThdL2, Quantity::CurrentThdL2),
                (Quantity::VoltageThdL3, Quantity::CurrentThdL3),
            ] {
                assert!((0.5..=8.0).contains(&value(voltage_thd)));
                assert!((2.0..=60.0).contains(&value(current_thd)));
                if let Some(before) = &previous {
                    assert!((value(voltage_thd) - before[&voltage_thd]).abs() < 0.5);
                    assert!((value(current_thd) - before[&current_thd]).abs() < 8.0);
                }
            }
            previous = Some(values);
        }
    }

    #[test]
    fn phase_and_reactive_counters_integrate_their_powers() {
        let mut rng = StdRng::seed_from_u64(6);
        let mut meter = MeterState::new(house(), 3, 2_000_000.0);
        let start = meter.quantities();
        let mut reactive_integral = 0.0;
        let mut previous = start[&Quantity::ReactivePower];
        for step in 0..360 {
            meter.advance(8.0 + f64::from(step) / 360.0, 10.0, &mut rng);
            let now = meter.quantities()[&Quantity::ReactivePower];
            reactive_integral += (previous + now) / 2.0 * 10.0 / 3600.0;
            previous = now;
        }
        let end = meter.quantities();
        let counted = end[&Quantity::ReactiveEnergyImport] - start[&Quantity::ReactiveEnergyImport];
        assert!(
            (counted - reactive_integral).abs() < 1e-6,
            "{counted} vs {reactive_integral}"
        );
        assert!(counted > 50.0, "{counted}");
        // The phases' counters add up to the totals, before and after.
        for values in [&start, &end] {
            let sum = |quantities: [Quantity; 3]| quantities.iter().map(|q| values[q]).sum::<f64>();
            let import = sum([
                Quantity::ActiveEnergyImportL1,
                Quantity::ActiveEnergyImportL2,
                Quantity::ActiveEnergyImportL3,
            ]);
            assert!((import - values[&Quantity::ActiveEnergyImport]).abs() < 1e-3);
            let reactive = sum([
                Quantity::ReactiveEnergyImportL1,
                Quantity::ReactiveEnergyImportL2,
                Quantity::ReactiveEnergyImportL3,
            ]);
            assert!((reactive - values[&Quantity::ReactiveEnergyImport]).abs() < 1e-3);
        }
    }

    #[test]
    fn a_single_phase_meter_reports_its_phase_as_the_total() {
        let mut rng = StdRng::seed_from_u64(7);
        let mut meter = MeterState::new(house(), 1, 0.0);
        meter.advance(19.5, 60.0, &mut rng);
        let values = meter.quantities();
        assert_eq!(
            values[&Quantity::ActivePower],
            values[&Quantity::ActivePowerL1]
        );
        assert_eq!(
            values[&Quantity::ApparentPower],
            values[&Quantity::ApparentPowerL1]
        );
        assert_eq!(
            values[&Quantity::ReactivePower],
            values[&Quantity::ReactivePowerL1]
        );
        assert!((values[&Quantity::PowerFactor] - values[&Quantity::PowerFactorL1]).abs() < 1e-12);
        assert!(!values.contains_key(&Quantity::VoltageL2));
        assert!(!values.contains_key(&Quantity::CurrentNeutral));
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
