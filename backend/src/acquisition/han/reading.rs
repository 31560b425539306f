//! One meter reading from the HAN or P1 port, in base units, and its mapping onto our quantities.

use chrono::{Datelike, Timelike};
use shared::{Quantity, Reading};

use super::clock::MeterClock;

/// Who made the meter, as far as the frame tells. It decides the units of lists that carry no
/// scaler (Kaifa, Kamstrup, Landis+Gyr).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Manufacturer {
    Kaifa,
    Aidon,
    Kamstrup,
    /// No list version identifier to go by (e.g. the Landis+Gyr E450 push, P1 telegrams of
    /// unknown makes).
    Unknown,
}

/// A meter reading in base units: W, var, V, A, Wh, varh.
///
/// Import and export are kept apart, as meters send them (both non-negative); the net active
/// power (import − export, positive when drawing from the grid) is what [`HanReading::to_readings`]
/// reports as [`Quantity::ActivePower`]. A field is `None` when the list did not carry it: a
/// list-1 frame holds only the active power import.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HanReading {
    /// Maker, from the list version identifier or the P1 header.
    pub manufacturer: Option<Manufacturer>,
    /// List version identifier ("KFM_001", "AIDON_V0001", "Kamstrup_V0001"), or the P1 version.
    pub list_version: Option<String>,
    /// Meter serial / GS1 number.
    pub meter_id: Option<String>,
    /// Meter type or model ("MA304H3E", "6534", "6841121BN243101040", P1 identification).
    pub meter_type: Option<String>,
    /// The meter's clock as sent.
    pub meter_clock: Option<MeterClock>,
    pub active_power_import_w: Option<f64>,
    pub active_power_export_w: Option<f64>,
    pub reactive_power_import_var: Option<f64>,
    pub reactive_power_export_var: Option<f64>,
    /// Per phase L1, L2, L3.
    pub active_power_import_phase_w: [Option<f64>; 3],
    pub active_power_export_phase_w: [Option<f64>; 3],
    pub reactive_power_import_phase_var: [Option<f64>; 3],
    pub reactive_power_export_phase_var: [Option<f64>; 3],
    /// Phase currents L1, L2, L3 (signed: some Aidon meters send negative currents).
    pub current_a: [Option<f64>; 3],
    /// Phase-to-neutral voltages L1, L2, L3 (0 on the unmeasured phase of IT networks).
    pub voltage_v: [Option<f64>; 3],
    /// Cumulative energies, all tariffs.
    pub active_energy_import_wh: Option<f64>,
    pub active_energy_export_wh: Option<f64>,
    pub reactive_energy_import_varh: Option<f64>,
    pub reactive_energy_export_varh: Option<f64>,
}

/// Import − export when either is known; a missing side counts as zero.
fn net(import: Option<f64>, export: Option<f64>) -> Option<f64> {
    match (import, export) {
        (None, None) => None,
        (import, export) => Some(import.unwrap_or(0.0) - export.unwrap_or(0.0)),
    }
}

impl HanReading {
    /// The values our [`Quantity`] set can hold, in its base units: net power (import − export)
    /// and each side apart, reactive power likewise, per-phase power, voltages and currents, the
    /// cumulative energies, and the meter's clock as it states it (local date and time).
    pub fn to_readings(&self) -> Vec<Reading> {
        let phases = [
            [
                Quantity::ActivePowerL1,
                Quantity::ReactivePowerL1,
                Quantity::VoltageL1,
                Quantity::CurrentL1,
            ],
            [
                Quantity::ActivePowerL2,
                Quantity::ReactivePowerL2,
                Quantity::VoltageL2,
                Quantity::CurrentL2,
            ],
            [
                Quantity::ActivePowerL3,
                Quantity::ReactivePowerL3,
                Quantity::VoltageL3,
                Quantity::CurrentL3,
            ],
        ];
        let mut values = vec![
            (
                Quantity::ActivePower,
                net(self.active_power_import_w, self.active_power_export_w),
            ),
            (Quantity::ActivePowerImport, self.active_power_import_w),
            (Quantity::ActivePowerExport, self.active_power_export_w),
            (
                Quantity::ReactivePower,
                net(
                    self.reactive_power_import_var,
                    self.reactive_power_export_var,
                ),
            ),
            (
                Quantity::ReactivePowerImport,
                self.reactive_power_import_var,
            ),
            (
                Quantity::ReactivePowerExport,
                self.reactive_power_export_var,
            ),
        ];
        for (phase, [power, reactive, voltage, current]) in phases.into_iter().enumerate() {
            values.push((
                power,
                net(
                    self.active_power_import_phase_w[phase],
                    self.active_power_export_phase_w[phase],
                ),
            ));
            values.push((
                reactive,
                net(
                    self.reactive_power_import_phase_var[phase],
                    self.reactive_power_export_phase_var[phase],
                ),
            ));
            values.push((voltage, self.voltage_v[phase]));
            values.push((current, self.current_a[phase]));
        }
        values.push((Quantity::ActiveEnergyImport, self.active_energy_import_wh));
        values.push((Quantity::ActiveEnergyExport, self.active_energy_export_wh));
        values.push((
            Quantity::ReactiveEnergyImport,
            self.reactive_energy_import_varh,
        ));
        values.push((
            Quantity::ReactiveEnergyExport,
            self.reactive_energy_export_varh,
        ));
        if let Some(clock) = &self.meter_clock {
            let local = clock.local;
            values.extend([
                (Quantity::MeterClockYear, Some(f64::from(local.year()))),
                (Quantity::MeterClockMonth, Some(f64::from(local.month()))),
                (Quantity::MeterClockDay, Some(f64::from(local.day()))),
                (Quantity::MeterClockHour, Some(f64::from(local.hour()))),
                (Quantity::MeterClockMinute, Some(f64::from(local.minute()))),
                (Quantity::MeterClockSecond, Some(f64::from(local.second()))),
            ]);
        }
        values
            .into_iter()
            .filter_map(|(quantity, value)| {
                value
                    .filter(|v| v.is_finite())
                    .map(|value| Reading { quantity, value })
            })
            .collect()
    }

    /// The reading as seen by a meter wired "downstream" (§7.16.1.3) when `reversed`: import
    /// and export swap, so net power changes sign. Unchanged otherwise.
    pub fn oriented(mut self, reversed: bool) -> HanReading {
        if reversed {
            std::mem::swap(
                &mut self.active_power_import_w,
                &mut self.active_power_export_w,
            );
            std::mem::swap(
                &mut self.reactive_power_import_var,
                &mut self.reactive_power_export_var,
            );
            std::mem::swap(
                &mut self.active_power_import_phase_w,
                &mut self.active_power_export_phase_w,
            );
            std::mem::swap(
                &mut self.reactive_power_import_phase_var,
                &mut self.reactive_power_export_phase_var,
            );
            std::mem::swap(
                &mut self.active_energy_import_wh,
                &mut self.active_energy_export_wh,
            );
            std::mem::swap(
                &mut self.reactive_energy_import_varh,
                &mut self.reactive_energy_export_varh,
            );
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(readings: &[Reading], quantity: Quantity) -> Option<f64> {
        readings
            .iter()
            .find(|r| r.quantity == quantity)
            .map(|r| r.value)
    }

    #[test]
    fn net_power_is_import_minus_export() {
        let reading = HanReading {
            active_power_import_w: Some(2.0),
            active_power_export_w: Some(7.0),
            active_power_export_phase_w: [Some(14.0), None, None],
            active_power_import_phase_w: [None, Some(2.0), None],
            voltage_v: [Some(229.4), None, None],
            active_energy_import_wh: Some(2_564_183.0),
            reactive_energy_import_varh: Some(5.0),
            ..HanReading::default()
        };
        let readings = reading.to_readings();
        assert_eq!(value(&readings, Quantity::ActivePower), Some(-5.0));
        assert_eq!(value(&readings, Quantity::ActivePowerL1), Some(-14.0));
        assert_eq!(value(&readings, Quantity::ActivePowerL2), Some(2.0));
        assert_eq!(value(&readings, Quantity::ActivePowerL3), None);
        assert_eq!(value(&readings, Quantity::VoltageL1), Some(229.4));
        assert_eq!(
            value(&readings, Quantity::ActiveEnergyImport),
            Some(2_564_183.0)
        );
        assert_eq!(value(&readings, Quantity::ActiveEnergyExport), None);
        assert_eq!(value(&readings, Quantity::ActivePowerImport), Some(2.0));
        assert_eq!(value(&readings, Quantity::ActivePowerExport), Some(7.0));
        assert_eq!(value(&readings, Quantity::ReactiveEnergyImport), Some(5.0));
        assert_eq!(value(&readings, Quantity::ReactivePower), None);
        assert_eq!(readings.len(), 8);
    }

    #[test]
    fn the_meter_clock_is_given_as_stated() {
        let clock = MeterClock::from_cosem(&[
            0x07, 0xE6, 0x0A, 0x0F, 0x06, 0x0F, 0x08, 0x0F, 0xFF, 0xFF, 0xC4, 0x00,
        ]);
        let readings = HanReading {
            meter_clock: clock,
            ..HanReading::default()
        }
        .to_readings();
        assert_eq!(value(&readings, Quantity::MeterClockYear), Some(2022.0));
        assert_eq!(value(&readings, Quantity::MeterClockMonth), Some(10.0));
        assert_eq!(value(&readings, Quantity::MeterClockHour), Some(15.0));
        assert_eq!(value(&readings, Quantity::MeterClockSecond), Some(15.0));
    }

    #[test]
    fn downstream_meters_swap_import_and_export() {
        let reading = HanReading {
            active_power_import_w: Some(100.0),
            active_power_export_w: Some(0.0),
            active_energy_import_wh: Some(9.0),
            ..HanReading::default()
        };
        let readings = reading.clone().oriented(true).to_readings();
        assert_eq!(value(&readings, Quantity::ActivePower), Some(-100.0));
        assert_eq!(value(&readings, Quantity::ActiveEnergyExport), Some(9.0));
        assert_eq!(value(&readings, Quantity::ActiveEnergyImport), None);
        assert_eq!(reading.clone().oriented(false), reading);
    }

    #[test]
    fn list1_gives_only_power() {
        let reading = HanReading {
            active_power_import_w: Some(733.0),
            ..HanReading::default()
        };
        let readings = reading.to_readings();
        assert_eq!(readings.len(), 2);
        assert_eq!(value(&readings, Quantity::ActivePower), Some(733.0));
        assert_eq!(value(&readings, Quantity::ActivePowerImport), Some(733.0));
    }
}
