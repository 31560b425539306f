//! OBIS codes (IEC 62056-61): the six-group names `A-B:C.D.E.F` COSEM objects go by.
//!
//! A is the medium (0 abstract, 1 electricity, 7 gas), B the channel, C the quantity, D how it is
//! processed (7 instantaneous, 8 cumulative), E the tariff and F the billing period (255 = current).
//! Meters disagree on B (Kamstrup and Landis+Gyr say 1 where Kaifa and Aidon say 0, DSMR uses it for
//! the M-Bus channel), so the lookups here match on A, C, D and E only.

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

/// A six-group OBIS code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Obis(pub [u8; 6]);

/// Why a text could not be read as an OBIS code.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("not an OBIS code: {0:?}")]
pub struct ObisParseError(pub String);

impl Obis {
    /// Builds a code from its six groups.
    pub const fn new(a: u8, b: u8, c: u8, d: u8, e: u8, f: u8) -> Self {
        Obis([a, b, c, d, e, f])
    }

    /// Reads the six raw bytes an A-XDR octet-string of length 6 carries.
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        <[u8; 6]>::try_from(bytes).ok().map(Obis)
    }

    /// Medium group A.
    pub const fn a(self) -> u8 {
        self.0[0]
    }

    /// Channel group B.
    pub const fn b(self) -> u8 {
        self.0[1]
    }

    /// True when both name the same quantity whatever channel (B) and billing period (F) they use.
    pub fn same_quantity(self, other: Obis) -> bool {
        self.0[0] == other.0[0] && self.0[2..5] == other.0[2..5]
    }
}

impl fmt::Display for Obis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d, e, g] = self.0;
        write!(f, "{a}-{b}:{c}.{d}.{e}.{g}")
    }
}

impl FromStr for Obis {
    type Err = ObisParseError;

    /// Accepts the dotted form `1.0.1.7.0.255`, the reduced-ID form `1-0:1.7.0.255` and the
    /// five-group P1 form `1-0:1.8.1` (F defaults to 255). `*` and `&` are accepted before F as
    /// IEC 62056-61 allows.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let error = || ObisParseError(text.to_owned());
        let groups: Vec<&str> = text.trim().split(['.', '-', ':', '*', '&']).collect();
        if groups.len() != 5 && groups.len() != 6 {
            return Err(error());
        }
        let mut out = [0u8, 0, 0, 0, 0, 255];
        for (slot, group) in out.iter_mut().zip(&groups) {
            if group.is_empty() || !group.bytes().all(|b| b.is_ascii_digit()) {
                return Err(error());
            }
            *slot = group.parse().map_err(|_| error())?;
        }
        Ok(Obis(out))
    }
}

/// Electricity: sum active power, import (+P), instantaneous.
pub const ACTIVE_POWER_IMPORT: Obis = Obis::new(1, 0, 1, 7, 0, 255);
/// Electricity: sum active power, export (−P).
pub const ACTIVE_POWER_EXPORT: Obis = Obis::new(1, 0, 2, 7, 0, 255);
/// Electricity: sum reactive power, import (+Q, quadrants I+II).
pub const REACTIVE_POWER_IMPORT: Obis = Obis::new(1, 0, 3, 7, 0, 255);
/// Electricity: sum reactive power, export (−Q, quadrants III+IV).
pub const REACTIVE_POWER_EXPORT: Obis = Obis::new(1, 0, 4, 7, 0, 255);
/// Active power import per phase (L1, L2, L3).
pub const ACTIVE_POWER_IMPORT_PHASE: [Obis; 3] = [
    Obis::new(1, 0, 21, 7, 0, 255),
    Obis::new(1, 0, 41, 7, 0, 255),
    Obis::new(1, 0, 61, 7, 0, 255),
];
/// Active power export per phase.
pub const ACTIVE_POWER_EXPORT_PHASE: [Obis; 3] = [
    Obis::new(1, 0, 22, 7, 0, 255),
    Obis::new(1, 0, 42, 7, 0, 255),
    Obis::new(1, 0, 62, 7, 0, 255),
];
/// Reactive power import per phase.
pub const REACTIVE_POWER_IMPORT_PHASE: [Obis; 3] = [
    Obis::new(1, 0, 23, 7, 0, 255),
    Obis::new(1, 0, 43, 7, 0, 255),
    Obis::new(1, 0, 63, 7, 0, 255),
];
/// Reactive power export per phase.
pub const REACTIVE_POWER_EXPORT_PHASE: [Obis; 3] = [
    Obis::new(1, 0, 24, 7, 0, 255),
    Obis::new(1, 0, 44, 7, 0, 255),
    Obis::new(1, 0, 64, 7, 0, 255),
];
/// Instantaneous current L1, L2, L3 (C = 31, 51, 71).
pub const CURRENT: [Obis; 3] = [
    Obis::new(1, 0, 31, 7, 0, 255),
    Obis::new(1, 0, 51, 7, 0, 255),
    Obis::new(1, 0, 71, 7, 0, 255),
];
/// Instantaneous phase-to-neutral voltage L1, L2, L3 (C = 32, 52, 72).
pub const VOLTAGE: [Obis; 3] = [
    Obis::new(1, 0, 32, 7, 0, 255),
    Obis::new(1, 0, 52, 7, 0, 255),
    Obis::new(1, 0, 72, 7, 0, 255),
];
/// Cumulative active energy import (A+), all tariffs.
pub const ACTIVE_ENERGY_IMPORT: Obis = Obis::new(1, 0, 1, 8, 0, 255);
/// Cumulative active energy export (A−).
pub const ACTIVE_ENERGY_EXPORT: Obis = Obis::new(1, 0, 2, 8, 0, 255);
/// Cumulative reactive energy import (R+).
pub const REACTIVE_ENERGY_IMPORT: Obis = Obis::new(1, 0, 3, 8, 0, 255);
/// Cumulative reactive energy export (R−).
pub const REACTIVE_ENERGY_EXPORT: Obis = Obis::new(1, 0, 4, 8, 0, 255);
/// The meter's clock object (its value is a 12-byte COSEM date-time).
pub const CLOCK: Obis = Obis::new(0, 0, 1, 0, 0, 255);
/// Norwegian HAN list version identifier ("AIDON_V0001", "KFM_001").
pub const LIST_VERSION: Obis = Obis::new(1, 1, 0, 2, 129, 255);
/// Meter identifier (serial / GS1 number) as Aidon, Kaifa and Landis+Gyr send it.
pub const METER_ID: Obis = Obis::new(0, 0, 96, 1, 0, 255);
/// Meter identifier as Kamstrup sends it (1.1.0.0.5.255).
pub const METER_ID_KAMSTRUP: Obis = Obis::new(1, 1, 0, 0, 5, 255);
/// Meter type / model as Aidon and Kaifa send it.
pub const METER_TYPE: Obis = Obis::new(0, 0, 96, 1, 7, 255);
/// Meter type as Kamstrup sends it (1.1.96.1.1.255; under A = 0 this code is the DSMR equipment id).
pub const METER_TYPE_KAMSTRUP: Obis = Obis::new(1, 1, 96, 1, 1, 255);
/// DSMR equipment identifier (0-0:96.1.1).
pub const EQUIPMENT_ID: Obis = Obis::new(0, 0, 96, 1, 1, 255);
/// DSMR P1 version (1-3:0.2.8).
pub const P1_VERSION: Obis = Obis::new(1, 3, 0, 2, 8, 255);
/// DSMR tariff indicator (0-0:96.14.0), 1 = low / night, 2 = normal / day.
pub const TARIFF_INDICATOR: Obis = Obis::new(0, 0, 96, 14, 0, 255);
/// DSMR M-Bus device type on channel B (0-n:24.1.0); 3 = gas, 7 = water.
pub const MBUS_DEVICE_TYPE: Obis = Obis::new(0, 0, 24, 1, 0, 255);
/// DSMR M-Bus hourly reading with its capture time (0-n:24.2.1).
pub const MBUS_READING: Obis = Obis::new(0, 0, 24, 2, 1, 255);
/// Belgian (e-MUCS) M-Bus 5-minute reading, not temperature corrected (0-n:24.2.3).
pub const MBUS_READING_BE: Obis = Obis::new(0, 0, 24, 2, 3, 255);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_all_written_forms() {
        assert_eq!("1.0.1.7.0.255".parse(), Ok(ACTIVE_POWER_IMPORT));
        assert_eq!("1-0:1.7.0.255".parse(), Ok(ACTIVE_POWER_IMPORT));
        assert_eq!("1-0:1.7.0".parse(), Ok(ACTIVE_POWER_IMPORT));
        assert_eq!("0-1:24.2.1".parse::<Obis>().map(|o| o.b()), Ok(1));
        assert_eq!("1-0:1.8.1*255".parse(), Ok(Obis::new(1, 0, 1, 8, 1, 255)));
    }

    #[test]
    fn rejects_malformed_codes() {
        for bad in [
            "",
            "1-0:4:24.7.0.1",
            "1-0:1.8",
            "1-0:1.8.x",
            "256.0.1.8.0.255",
            "1..1.8.0",
        ] {
            assert!(bad.parse::<Obis>().is_err(), "{bad}");
        }
    }

    #[test]
    fn displays_as_reduced_id() {
        assert_eq!(CURRENT[1].to_string(), "1-0:51.7.0.255");
    }

    #[test]
    fn same_quantity_ignores_channel_and_billing_period() {
        let kamstrup = Obis::new(1, 1, 1, 7, 0, 255);
        assert!(kamstrup.same_quantity(ACTIVE_POWER_IMPORT));
        assert!(Obis::new(1, 0, 1, 7, 0, 0).same_quantity(ACTIVE_POWER_IMPORT));
        assert!(!Obis::new(1, 0, 2, 7, 0, 255).same_quantity(ACTIVE_POWER_IMPORT));
        assert!(!Obis::new(0, 0, 1, 7, 0, 255).same_quantity(ACTIVE_POWER_IMPORT));
    }

    #[test]
    fn reads_raw_bytes() {
        assert_eq!(Obis::from_bytes(&[0, 0, 1, 0, 0, 255]), Some(CLOCK));
        assert_eq!(Obis::from_bytes(&[0, 0, 1]), None);
    }
}
