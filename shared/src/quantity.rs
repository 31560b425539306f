//! The physical quantities a device can feed, independent of how a given model encodes them.

use serde::{Deserialize, Serialize};

use crate::units::Unit;

/// What a meter measures. A catalog register declares which quantity it feeds, so every page,
/// chart and export works the same whatever the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Quantity {
    /// Cumulative active energy drawn from the grid.
    ActiveEnergyImport,
    /// Cumulative active energy sent to the grid.
    ActiveEnergyExport,
    /// Total active power; positive when importing.
    ActivePower,
    ActivePowerL1,
    ActivePowerL2,
    ActivePowerL3,
    /// Phase-to-neutral voltages.
    VoltageL1,
    VoltageL2,
    VoltageL3,
    CurrentL1,
    CurrentL2,
    CurrentL3,
    Frequency,
    PowerFactor,
    /// Cumulative volume counted by a water or gas meter.
    Volume,
}

impl Quantity {
    /// Every quantity, in display order.
    pub const ALL: [Quantity; 15] = [
        Quantity::ActiveEnergyImport,
        Quantity::ActiveEnergyExport,
        Quantity::ActivePower,
        Quantity::ActivePowerL1,
        Quantity::ActivePowerL2,
        Quantity::ActivePowerL3,
        Quantity::VoltageL1,
        Quantity::VoltageL2,
        Quantity::VoltageL3,
        Quantity::CurrentL1,
        Quantity::CurrentL2,
        Quantity::CurrentL3,
        Quantity::Frequency,
        Quantity::PowerFactor,
        Quantity::Volume,
    ];

    /// The unit values of this quantity are stored and sent in (SI-like base units: Wh, W, V, A, Hz, m³).
    pub fn unit(self) -> Unit {
        match self {
            Quantity::ActiveEnergyImport | Quantity::ActiveEnergyExport => Unit::WattHour,
            Quantity::ActivePower
            | Quantity::ActivePowerL1
            | Quantity::ActivePowerL2
            | Quantity::ActivePowerL3 => Unit::Watt,
            Quantity::VoltageL1 | Quantity::VoltageL2 | Quantity::VoltageL3 => Unit::Volt,
            Quantity::CurrentL1 | Quantity::CurrentL2 | Quantity::CurrentL3 => Unit::Ampere,
            Quantity::Frequency => Unit::Hertz,
            Quantity::PowerFactor => Unit::None,
            Quantity::Volume => Unit::CubicMetre,
        }
    }

    /// Counters only grow (until a meter reset): consumption is their difference over time.
    pub fn is_counter(self) -> bool {
        matches!(
            self,
            Quantity::ActiveEnergyImport | Quantity::ActiveEnergyExport | Quantity::Volume
        )
    }

    /// Stable small number used as a storage key; never reorder existing entries.
    pub fn code(self) -> u16 {
        match self {
            Quantity::ActiveEnergyImport => 1,
            Quantity::ActiveEnergyExport => 2,
            Quantity::ActivePower => 3,
            Quantity::ActivePowerL1 => 4,
            Quantity::ActivePowerL2 => 5,
            Quantity::ActivePowerL3 => 6,
            Quantity::VoltageL1 => 7,
            Quantity::VoltageL2 => 8,
            Quantity::VoltageL3 => 9,
            Quantity::CurrentL1 => 10,
            Quantity::CurrentL2 => 11,
            Quantity::CurrentL3 => 12,
            Quantity::Frequency => 13,
            Quantity::PowerFactor => 14,
            Quantity::Volume => 15,
        }
    }

    /// The inverse of [`Quantity::code`].
    pub fn from_code(code: u16) -> Option<Quantity> {
        Quantity::ALL
            .into_iter()
            .find(|quantity| quantity.code() == code)
    }

    /// Translation key of the quantity's label.
    pub fn label_key(self) -> &'static str {
        match self {
            Quantity::ActiveEnergyImport => "quantity.active_energy_import",
            Quantity::ActiveEnergyExport => "quantity.active_energy_export",
            Quantity::ActivePower => "quantity.active_power",
            Quantity::ActivePowerL1 => "quantity.active_power_l1",
            Quantity::ActivePowerL2 => "quantity.active_power_l2",
            Quantity::ActivePowerL3 => "quantity.active_power_l3",
            Quantity::VoltageL1 => "quantity.voltage_l1",
            Quantity::VoltageL2 => "quantity.voltage_l2",
            Quantity::VoltageL3 => "quantity.voltage_l3",
            Quantity::CurrentL1 => "quantity.current_l1",
            Quantity::CurrentL2 => "quantity.current_l2",
            Quantity::CurrentL3 => "quantity.current_l3",
            Quantity::Frequency => "quantity.frequency",
            Quantity::PowerFactor => "quantity.power_factor",
            Quantity::Volume => "quantity.volume",
        }
    }
}

/// What a device meters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Commodity {
    Electricity,
    Water,
    Gas,
    Heat,
}

impl Commodity {
    /// The counter whose difference is this commodity's consumption.
    pub fn consumption_quantity(self) -> Quantity {
        match self {
            Commodity::Electricity | Commodity::Heat => Quantity::ActiveEnergyImport,
            Commodity::Water | Commodity::Gas => Quantity::Volume,
        }
    }

    /// Translation key of the commodity's name.
    pub fn label_key(self) -> &'static str {
        match self {
            Commodity::Electricity => "commodity.electricity",
            Commodity::Water => "commodity.water",
            Commodity::Gas => "commodity.gas",
            Commodity::Heat => "commodity.heat",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_round_trip() {
        let mut codes: Vec<u16> = Quantity::ALL.iter().map(|q| q.code()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), Quantity::ALL.len());
        for quantity in Quantity::ALL {
            assert_eq!(Quantity::from_code(quantity.code()), Some(quantity));
        }
        assert_eq!(Quantity::from_code(0), None);
    }

    #[test]
    fn only_cumulative_registers_are_counters() {
        assert!(Quantity::ActiveEnergyImport.is_counter());
        assert!(Quantity::Volume.is_counter());
        assert!(!Quantity::ActivePower.is_counter());
        assert!(!Quantity::VoltageL1.is_counter());
    }

    #[test]
    fn water_consumption_is_volume_and_electricity_is_energy() {
        assert_eq!(Commodity::Water.consumption_quantity(), Quantity::Volume);
        assert_eq!(
            Commodity::Electricity.consumption_quantity(),
            Quantity::ActiveEnergyImport
        );
    }
}
