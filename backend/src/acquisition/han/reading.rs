//! One meter reading from the HAN or P1 port, in base units, and its mapping onto our quantities.

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
    /// The values our [`Quantity`] set can hold, in its base units. Reactive power and energy
    /// have no quantity yet and are left out.
    pub fn to_readings(&self) -> Vec<Reading> {
        let phases = [
            [
                Quantity::ActivePowerL1,
                Quantity::VoltageL1,
                Quantity::CurrentL1,
            ],
            [
                Quantity::ActivePowerL2,
                Quantity::VoltageL2,
                Quantity::CurrentL2,
            ],
            [
                Quantity::ActivePowerL3,
                Quantity::VoltageL3,
                Quantity::CurrentL3,
            ],
        ];
        let mut values = vec![(
            Quantity::ActivePower,
            net(self.active_power_import_w, self.active_power_export_w),
        )];
        for (phase, [power, voltage, current]) in phases.into_iter().enumerate() {
            values.push((
                power,
                net(
                    self.active_power_import_phase_w[phase],
                    self.active_power_export_phase_w[phase],
                ),
            ));
            values.push((voltage, self.voltage_v[phase]));
            values.push((current, self.current_a[phase]));
        }
        values.push((Quantity::ActiveEnergyImport, self.active_energy_import_wh));
        values.push((Quantity::ActiveEnergyExport, self.active_energy_export_wh));
        values
            .into_iter()
            .filter_map(|(quantity, value)| {
                value
                    .filter(|v| v.is_finite())
                    .map(|value| Reading { quantity, value })
            })
            .collect()
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
        assert_eq!(readings.len(), 5);
    }

    #[test]
    fn list1_gives_only_power() {
        let reading = HanReading {
            active_power_import_w: Some(733.0),
            ..HanReading::default()
        };
        let readings = reading.to_readings();
        assert_eq!(readings.len(), 1);
        assert_eq!(value(&readings, Quantity::ActivePower), Some(733.0));
    }
}
