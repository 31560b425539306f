//! Units and their human scaling (Wh → kWh → MWh, m³ → dm³).

use serde::{Deserialize, Serialize};

/// The base unit a quantity is stored and sent in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    WattHour,
    Watt,
    Volt,
    Ampere,
    Hertz,
    CubicMetre,
    /// Dimensionless (power factor).
    None,
    /// Apparent power.
    VoltAmpere,
    /// Reactive power.
    Var,
    /// Reactive energy.
    VarHour,
    /// A ratio in percent (total harmonic distortion, harmonic content).
    Percent,
    /// A state or code without dimension: 0/1 of a digital input or relay, a charging state, a
    /// firmware version. Shown as a whole number.
    State,
    /// Temperature.
    DegreeCelsius,
    /// A duration in hours (operating hours).
    Hour,
}

impl Unit {
    /// The symbol of the base unit.
    pub fn symbol(self) -> &'static str {
        match self {
            Unit::WattHour => "Wh",
            Unit::Watt => "W",
            Unit::Volt => "V",
            Unit::Ampere => "A",
            Unit::Hertz => "Hz",
            Unit::CubicMetre => "m³",
            Unit::None => "",
            Unit::VoltAmpere => "VA",
            Unit::Var => "var",
            Unit::VarHour => "varh",
            Unit::Percent => "%",
            Unit::State => "",
            Unit::DegreeCelsius => "°C",
            Unit::Hour => "h",
        }
    }
}

/// Formats a value in the largest unit that keeps it readable, e.g. 12 345 Wh → "12.35 kWh".
///
/// `decimal_comma` writes "12,35" as French readers expect.
pub fn format_scaled(value: f64, unit: Unit, decimal_comma: bool) -> String {
    let (scaled, symbol, decimals) = scale(value, unit);
    let text = format!("{scaled:.decimals$}");
    let text = if decimal_comma {
        text.replace('.', ",")
    } else {
        text
    };
    if symbol.is_empty() {
        text
    } else {
        format!("{text} {symbol}")
    }
}

fn scale(value: f64, unit: Unit) -> (f64, &'static str, usize) {
    let magnitude = value.abs();
    match unit {
        Unit::WattHour if magnitude >= 1_000_000.0 => (value / 1_000_000.0, "MWh", 3),
        Unit::WattHour if magnitude >= 1_000.0 => (value / 1_000.0, "kWh", 2),
        Unit::WattHour => (value, "Wh", 0),
        Unit::Watt if magnitude >= 1_000_000.0 => (value / 1_000_000.0, "MW", 3),
        Unit::Watt if magnitude >= 10_000.0 => (value / 1_000.0, "kW", 2),
        Unit::Watt => (value, "W", 0),
        Unit::CubicMetre if magnitude < 1.0 => (value * 1_000.0, "dm³", 0),
        Unit::CubicMetre => (value, "m³", 3),
        Unit::Volt => (value, "V", 1),
        Unit::Ampere => (value, "A", 2),
        Unit::Hertz => (value, "Hz", 2),
        Unit::None => (value, "", 3),
        Unit::VoltAmpere if magnitude >= 1_000_000.0 => (value / 1_000_000.0, "MVA", 3),
        Unit::VoltAmpere if magnitude >= 10_000.0 => (value / 1_000.0, "kVA", 2),
        Unit::VoltAmpere => (value, "VA", 0),
        Unit::Var if magnitude >= 1_000_000.0 => (value / 1_000_000.0, "Mvar", 3),
        Unit::Var if magnitude >= 10_000.0 => (value / 1_000.0, "kvar", 2),
        Unit::Var => (value, "var", 0),
        Unit::VarHour if magnitude >= 1_000_000.0 => (value / 1_000_000.0, "Mvarh", 3),
        Unit::VarHour if magnitude >= 1_000.0 => (value / 1_000.0, "kvarh", 2),
        Unit::VarHour => (value, "varh", 0),
        Unit::Percent => (value, "%", 1),
        Unit::State => (value, "", 0),
        Unit::DegreeCelsius => (value, "°C", 1),
        Unit::Hour => (value, "h", 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn energy_scales_to_the_readable_unit() {
        assert_eq!(format_scaled(950.0, Unit::WattHour, false), "950 Wh");
        assert_eq!(format_scaled(12_345.0, Unit::WattHour, false), "12.35 kWh");
        assert_eq!(format_scaled(12_345.0, Unit::WattHour, true), "12,35 kWh");
        assert_eq!(
            format_scaled(2_500_000.0, Unit::WattHour, false),
            "2.500 MWh"
        );
    }

    #[test]
    fn small_volumes_read_in_litres() {
        assert_eq!(format_scaled(0.25, Unit::CubicMetre, false), "250 dm³");
        assert_eq!(format_scaled(12.5, Unit::CubicMetre, false), "12.500 m³");
    }

    #[test]
    fn power_factor_has_no_unit() {
        assert_eq!(format_scaled(0.95, Unit::None, false), "0.950");
    }

    #[test]
    fn reactive_and_apparent_units_scale_like_their_active_kin() {
        assert_eq!(format_scaled(950.0, Unit::Var, false), "950 var");
        assert_eq!(format_scaled(-12_345.0, Unit::Var, false), "-12.35 kvar");
        assert_eq!(format_scaled(12_345.0, Unit::VoltAmpere, true), "12,35 kVA");
        assert_eq!(format_scaled(2_500.0, Unit::VarHour, false), "2.50 kvarh");
        assert_eq!(
            format_scaled(2_500_000.0, Unit::VarHour, false),
            "2.500 Mvarh"
        );
    }

    #[test]
    fn ratios_states_and_diagnostics_read_plainly() {
        assert_eq!(format_scaled(3.24, Unit::Percent, false), "3.2 %");
        assert_eq!(format_scaled(3.24, Unit::Percent, true), "3,2 %");
        assert_eq!(format_scaled(1.0, Unit::State, false), "1");
        assert_eq!(format_scaled(41.27, Unit::DegreeCelsius, false), "41.3 °C");
        assert_eq!(format_scaled(1234.0, Unit::Hour, false), "1234 h");
    }
}
