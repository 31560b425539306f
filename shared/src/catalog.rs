//! The data model of the device catalog: one file per device model in `assets/catalog/`, declaring
//! the registers the model exposes, how each is encoded, its scale and unit, and the quantity it feeds.
//!
//! Adding a meter model is adding a file; no code changes. The gateway's driver and the bus
//! simulator both read these files, so what is simulated is exactly what is polled.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::encoding::{Encoding, ValueType, WordOrder};
use crate::quantity::{Commodity, Quantity};
use crate::units::Unit;

/// What kind of device a model is; decides how its devices are configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    /// An energy meter with its own Modbus address.
    ElectricityMeter,
    /// A module counting pulses of several water or gas meters, one per position (channel).
    PulseConcentrator,
}

/// How fresh a value must be: power is read every cycle, energy counters less often.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Refresh {
    Fast,
    Slow,
}

/// One value a model exposes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterSpec {
    /// 0-based PDU address sent on the wire.
    pub address: u16,
    #[serde(rename = "type")]
    pub value_type: ValueType,
    #[serde(default)]
    pub word_order: WordOrder,
    /// Multiplies the raw number to get a value in `unit`.
    #[serde(default = "one")]
    pub scale: f64,
    /// Unit after scaling, e.g. "kWh", "W", "kW", "V", "A", "Hz", "m3", or "pulse" for pulse
    /// counters whose weight is configured per device.
    pub unit: String,
    pub quantity: Quantity,
    /// Defaults to slow for counters and fast for everything else.
    #[serde(default)]
    pub refresh: Option<Refresh>,
    /// For pulse concentrators: the position (1-based) this counter belongs to.
    #[serde(default)]
    pub channel: Option<u8>,
}

fn one() -> f64 {
    1.0
}

/// A device model: who makes it and which registers it exposes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceProfile {
    /// Stable identifier, lowercase letters, digits and dashes (e.g. `eastron-sdm630`).
    pub id: String,
    pub manufacturer: String,
    pub model: String,
    pub family: Family,
    /// What the model meters; pulse concentrators leave it to each device (water or gas).
    #[serde(default)]
    pub commodity: Option<Commodity>,
    #[serde(default = "one_phase")]
    pub phases: u8,
    /// Modbus read function: 3 (holding registers) or 4 (input registers).
    pub function: u8,
    /// Number of positions of a pulse concentrator.
    #[serde(default)]
    pub channels: Option<u8>,
    /// Where the register map comes from.
    #[serde(default)]
    pub source: Option<String>,
    pub registers: Vec<RegisterSpec>,
}

fn one_phase() -> u8 {
    1
}

/// A catalog file that cannot be used, with what is wrong in it.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum CatalogError {
    #[error("model id {0:?} must be lowercase letters, digits and dashes")]
    BadId(String),
    #[error("model {model}: read function {function} is not 3 or 4")]
    BadFunction { model: String, function: u8 },
    #[error("model {model}: register {address:#06x} unit {unit:?} does not fit {quantity:?}")]
    BadUnit {
        model: String,
        address: u16,
        unit: String,
        quantity: Quantity,
    },
    #[error("model {model}: register {address:#06x} overlaps another register")]
    Overlap { model: String, address: u16 },
    #[error("model {model}: register {address:#06x} runs past the last Modbus address")]
    PastEnd { model: String, address: u16 },
    #[error("model {model}: register {address:#06x} scale must be a finite non-zero number")]
    BadScale { model: String, address: u16 },
    #[error(
        "model {model}: register {address:#06x} channel must be between 1 and the model's channels"
    )]
    BadChannel { model: String, address: u16 },
    #[error("model {model} has no registers")]
    Empty { model: String },
    #[error("model {model}: {message}")]
    Inconsistent { model: String, message: String },
}

impl RegisterSpec {
    /// The register's encoding.
    pub fn encoding(&self) -> Encoding {
        Encoding::new(self.value_type, self.word_order)
    }

    /// How many registers the value occupies.
    pub fn words(&self) -> u16 {
        self.value_type.words()
    }

    /// How fresh the value must be.
    pub fn refresh(&self) -> Refresh {
        self.refresh.unwrap_or(if self.quantity.is_counter() {
            Refresh::Slow
        } else {
            Refresh::Fast
        })
    }

    /// True when the value counts pulses whose weight each device sets.
    pub fn is_pulse_count(&self) -> bool {
        self.unit == "pulse"
    }

    /// Factor from a raw register number to the quantity's base unit (see [`Quantity::unit`]).
    /// `pulse_weight` (base units per pulse) applies to pulse counters only.
    pub fn factor_to_base(&self, pulse_weight: f64) -> f64 {
        if self.is_pulse_count() {
            return self.scale * pulse_weight;
        }
        self.scale * unit_factor(&self.unit, self.quantity.unit()).unwrap_or(1.0)
    }
}

/// Factor from `unit` to `base`, or None when the unit cannot express that base unit.
fn unit_factor(unit: &str, base: Unit) -> Option<f64> {
    let factor = match (base, unit) {
        (Unit::WattHour, "Wh") | (Unit::Watt, "W") => 1.0,
        (Unit::WattHour, "kWh") | (Unit::Watt, "kW") => 1_000.0,
        (Unit::WattHour, "MWh") | (Unit::Watt, "MW") => 1_000_000.0,
        (Unit::Volt, "V") | (Unit::Ampere, "A") | (Unit::Hertz, "Hz") => 1.0,
        (Unit::Volt, "kV") => 1_000.0,
        (Unit::Ampere, "mA") | (Unit::Volt, "mV") => 0.001,
        (Unit::CubicMetre, "m3" | "m³") => 1.0,
        (Unit::CubicMetre, "dm3" | "dm³" | "L" | "l") => 0.001,
        (Unit::None, "" | "-") => 1.0,
        _ => return None,
    };
    Some(factor)
}

impl DeviceProfile {
    /// "Manufacturer Model", as shown to users.
    pub fn display_name(&self) -> String {
        format!("{} {}", self.manufacturer, self.model)
    }

    /// The registers a device at `channel` (pulse concentrators) or any device (meters) reads.
    pub fn registers_for(&self, channel: Option<u8>) -> impl Iterator<Item = &RegisterSpec> {
        self.registers
            .iter()
            .filter(move |register| register.channel.is_none() || register.channel == channel)
    }
}

/// Checks a profile for everything a loader must refuse: a broken file is reported, never half-used.
pub fn validate_profile(profile: &DeviceProfile) -> Result<(), CatalogError> {
    let model = || profile.id.clone();
    let id_ok = !profile.id.is_empty()
        && profile
            .id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !id_ok {
        return Err(CatalogError::BadId(profile.id.clone()));
    }
    if !matches!(profile.function, 3 | 4) {
        return Err(CatalogError::BadFunction {
            model: model(),
            function: profile.function,
        });
    }
    if profile.registers.is_empty() {
        return Err(CatalogError::Empty { model: model() });
    }
    match (profile.family, profile.commodity, profile.channels) {
        (Family::ElectricityMeter, Some(_), None) => {}
        (Family::PulseConcentrator, None, Some(channels)) if channels > 0 => {}
        _ => {
            return Err(CatalogError::Inconsistent {
                model: model(),
                message:
                    "a meter names its commodity; a pulse concentrator names its channels instead"
                        .into(),
            });
        }
    }
    let mut used: HashSet<u16> = HashSet::new();
    for register in &profile.registers {
        let address = register.address;
        if u32::from(address) + u32::from(register.words()) > 0x1_0000 {
            return Err(CatalogError::PastEnd {
                model: model(),
                address,
            });
        }
        if !register.scale.is_finite() || register.scale == 0.0 {
            return Err(CatalogError::BadScale {
                model: model(),
                address,
            });
        }
        let unit_ok = if register.is_pulse_count() {
            register.quantity == Quantity::Volume
        } else {
            unit_factor(&register.unit, register.quantity.unit()).is_some()
        };
        if !unit_ok {
            return Err(CatalogError::BadUnit {
                model: model(),
                address,
                unit: register.unit.clone(),
                quantity: register.quantity,
            });
        }
        let channel_ok = match (register.channel, profile.channels) {
            (None, _) => profile.family == Family::ElectricityMeter,
            (Some(channel), Some(channels)) => (1..=channels).contains(&channel),
            (Some(_), None) => false,
        };
        if !channel_ok {
            return Err(CatalogError::BadChannel {
                model: model(),
                address,
            });
        }
        for offset in 0..register.words() {
            if !used.insert(address + offset) {
                return Err(CatalogError::Overlap {
                    model: model(),
                    address,
                });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn register(
        address: u16,
        value_type: ValueType,
        unit: &str,
        quantity: Quantity,
    ) -> RegisterSpec {
        RegisterSpec {
            address,
            value_type,
            word_order: WordOrder::HighFirst,
            scale: 1.0,
            unit: unit.into(),
            quantity,
            refresh: None,
            channel: None,
        }
    }

    fn meter(registers: Vec<RegisterSpec>) -> DeviceProfile {
        DeviceProfile {
            id: "test-meter".into(),
            manufacturer: "Test".into(),
            model: "M1".into(),
            family: Family::ElectricityMeter,
            commodity: Some(Commodity::Electricity),
            phases: 1,
            function: 4,
            channels: None,
            source: None,
            registers,
        }
    }

    #[test]
    fn units_convert_to_the_base_unit() {
        let energy = register(0, ValueType::F32, "kWh", Quantity::ActiveEnergyImport);
        assert_eq!(energy.factor_to_base(1.0), 1000.0);
        let mut current = register(0, ValueType::I32, "A", Quantity::CurrentL1);
        current.scale = 0.001;
        assert_eq!(current.factor_to_base(1.0), 0.001);
    }

    #[test]
    fn counters_default_to_slow_refresh() {
        assert_eq!(
            register(0, ValueType::F32, "kWh", Quantity::ActiveEnergyImport).refresh(),
            Refresh::Slow
        );
        assert_eq!(
            register(0, ValueType::F32, "W", Quantity::ActivePower).refresh(),
            Refresh::Fast
        );
    }

    #[test]
    fn a_sound_profile_passes() {
        let profile = meter(vec![
            register(0, ValueType::F32, "V", Quantity::VoltageL1),
            register(2, ValueType::F32, "kWh", Quantity::ActiveEnergyImport),
        ]);
        assert_eq!(validate_profile(&profile), Ok(()));
    }

    #[test]
    fn overlapping_registers_are_refused() {
        let profile = meter(vec![
            register(0, ValueType::F32, "V", Quantity::VoltageL1),
            register(1, ValueType::F32, "V", Quantity::VoltageL2),
        ]);
        assert!(matches!(
            validate_profile(&profile),
            Err(CatalogError::Overlap { address: 1, .. })
        ));
    }

    #[test]
    fn a_unit_that_does_not_fit_the_quantity_is_refused() {
        let profile = meter(vec![register(
            0,
            ValueType::F32,
            "V",
            Quantity::ActivePower,
        )]);
        assert!(matches!(
            validate_profile(&profile),
            Err(CatalogError::BadUnit { .. })
        ));
    }

    #[test]
    fn bad_function_and_id_are_refused() {
        let mut profile = meter(vec![register(0, ValueType::U16, "V", Quantity::VoltageL1)]);
        profile.function = 6;
        assert!(matches!(
            validate_profile(&profile),
            Err(CatalogError::BadFunction { .. })
        ));
        profile.function = 3;
        profile.id = "Bad Id".into();
        assert!(matches!(
            validate_profile(&profile),
            Err(CatalogError::BadId(_))
        ));
    }

    #[test]
    fn registers_past_the_address_space_are_refused() {
        let profile = meter(vec![register(
            0xFFFF,
            ValueType::F32,
            "V",
            Quantity::VoltageL1,
        )]);
        assert!(matches!(
            validate_profile(&profile),
            Err(CatalogError::PastEnd { .. })
        ));
    }

    #[test]
    fn a_concentrator_reads_only_its_channel() {
        let mut first = register(0, ValueType::U32, "pulse", Quantity::Volume);
        first.channel = Some(1);
        let mut second = register(2, ValueType::U32, "pulse", Quantity::Volume);
        second.channel = Some(2);
        let profile = DeviceProfile {
            family: Family::PulseConcentrator,
            commodity: None,
            channels: Some(2),
            ..meter(vec![first, second])
        };
        assert_eq!(validate_profile(&profile), Ok(()));
        let addresses: Vec<u16> = profile.registers_for(Some(2)).map(|r| r.address).collect();
        assert_eq!(addresses, vec![2]);
        assert_eq!(profile.registers[0].factor_to_base(0.001), 0.001);
    }
}

/// Every device model the gateway knows, loaded from the catalog files.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Catalog {
    profiles: Vec<DeviceProfile>,
}

/// A catalog file that could not be loaded, named so the installer can fix it.
#[derive(Debug, Error)]
pub enum CatalogLoadError {
    #[error("cannot read the catalog directory {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("catalog file {file}: {message}")]
    Syntax { file: String, message: String },
    #[error("catalog file {file}: {source}")]
    Invalid {
        file: String,
        #[source]
        source: CatalogError,
    },
    #[error("catalog files {first} and {second} both define model {id}")]
    DuplicateId {
        id: String,
        first: String,
        second: String,
    },
}

impl Catalog {
    /// Parses and validates catalog files given as `(file name, TOML text)`. One bad file fails the
    /// whole load: a half-loaded catalog would silently drop devices.
    pub fn from_sources<'a>(
        sources: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Catalog, CatalogLoadError> {
        let mut profiles: Vec<(String, DeviceProfile)> = Vec::new();
        for (file, text) in sources {
            let profile: DeviceProfile =
                toml::from_str(text).map_err(|error| CatalogLoadError::Syntax {
                    file: file.to_owned(),
                    message: error.to_string(),
                })?;
            validate_profile(&profile).map_err(|source| CatalogLoadError::Invalid {
                file: file.to_owned(),
                source,
            })?;
            if let Some((first, _)) = profiles.iter().find(|(_, known)| known.id == profile.id) {
                return Err(CatalogLoadError::DuplicateId {
                    id: profile.id,
                    first: first.clone(),
                    second: file.to_owned(),
                });
            }
            profiles.push((file.to_owned(), profile));
        }
        let mut profiles: Vec<DeviceProfile> = profiles.into_iter().map(|(_, p)| p).collect();
        profiles.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(Catalog { profiles })
    }

    /// Loads every `*.toml` file of a directory.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn load_dir(path: &std::path::Path) -> Result<Catalog, CatalogLoadError> {
        let read_error = |source| CatalogLoadError::Read {
            path: path.display().to_string(),
            source,
        };
        let mut files = Vec::new();
        for entry in std::fs::read_dir(path).map_err(read_error)? {
            let entry_path = entry.map_err(read_error)?.path();
            if entry_path.extension().is_some_and(|ext| ext == "toml") {
                let text = std::fs::read_to_string(&entry_path).map_err(read_error)?;
                let name = entry_path
                    .file_name()
                    .map(|name| name.to_string_lossy().into_owned())
                    .unwrap_or_default();
                files.push((name, text));
            }
        }
        Catalog::from_sources(
            files
                .iter()
                .map(|(name, text)| (name.as_str(), text.as_str())),
        )
    }

    /// The model with this id.
    pub fn get(&self, id: &str) -> Option<&DeviceProfile> {
        self.profiles.iter().find(|profile| profile.id == id)
    }

    /// Every model, sorted by id.
    pub fn profiles(&self) -> &[DeviceProfile] {
        &self.profiles
    }
}

#[cfg(test)]
mod catalog_files_tests {
    use super::*;

    /// Every model shipped in `assets/catalog/` must load: a broken file is caught here, not on site.
    #[test]
    fn the_shipped_catalog_loads() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/catalog");
        let catalog = Catalog::load_dir(&dir).unwrap();
        assert!(
            catalog.profiles().len() >= 7,
            "{:?}",
            catalog.profiles().len()
        );
        let sdm630 = catalog.get("eastron-sdm630").unwrap();
        assert_eq!(sdm630.function, 4);
        assert_eq!(sdm630.phases, 3);
    }

    #[test]
    fn a_syntax_error_names_the_file() {
        let error = Catalog::from_sources([("broken.toml", "id = ")]).unwrap_err();
        assert!(error.to_string().contains("broken.toml"), "{error}");
    }

    #[test]
    fn two_files_with_one_id_are_refused() {
        let text = r#"id = "m"
manufacturer = "x"
model = "y"
family = "electricity_meter"
commodity = "electricity"
function = 3
registers = [{ address = 0, type = "u16", unit = "V", quantity = "voltage_l1" }]
"#;
        let error = Catalog::from_sources([("a.toml", text), ("b.toml", text)]).unwrap_err();
        assert!(matches!(error, CatalogLoadError::DuplicateId { .. }));
    }

    #[test]
    fn unknown_keys_are_refused_rather_than_ignored() {
        let text = r#"id = "m"
manufacturer = "x"
model = "y"
family = "electricity_meter"
commodity = "electricity"
function = 3
registers = [{ address = 0, type = "u16", unit = "V", quantity = "voltage_l1", scael = 2 }]
"#;
        assert!(Catalog::from_sources([("a.toml", text)]).is_err());
    }
}
