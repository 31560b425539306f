//! The data model of the device catalog: one file per device model in `assets/catalog/`, declaring
//! the registers the model exposes, how each is encoded, its scale and unit, and the quantity it feeds.
//!
//! Adding a meter model is adding a file; no code changes. The gateway's driver and the bus
//! simulator both read these files, so what is simulated is exactly what is polled.
//!
//! `assets/catalog/schema.json` describes the same format as a JSON Schema (for editors and
//! reviewers); a test keeps its keys and this module's in step.
//!
//! What a file can say, beyond address, type, scale, unit and quantity of each register:
//! - `function` on a register overrides the profile's read function: 1 (coils) and 2 (discrete
//!   inputs) read single bits, 3 and 4 read registers.
//! - `bit` makes a register a single bit: bit 0 (least significant) to 15 of a `u16` register read
//!   with function 3 or 4, or `bit = 0` for a coil or discrete input (function 1 or 2), which is one
//!   bit by nature. Several bit registers may share one word; a whole-word register may not.
//! - `index` numbers the inputs and outputs of a device that has several of one quantity
//!   (`digital_input`, `analog_input`, `relay_output`), 1-based; `order` is the harmonic order of
//!   a `*_harmonic_*` quantity (2 to 63). A stored series is (quantity, index or order).
//! - `refresh = "once"` for identification registers read when a device is first reached.
//! - `[[outputs]]`: what the gateway may write (relays, setpoints), with the NO/NC, command mode and
//!   ON-time configuration registers of supervision modules.
//! - `[scale_register]`: a register holding a scale factor, and who applies it.
//! - `generic = true`: the map is representative of a class of devices, not one vendor's
//!   documented map.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::encoding::{DecodeError, Encoding, ValueType, WordOrder};
use crate::quantity::{Commodity, Quantity};
use crate::site::HanProtocol;
use crate::units::Unit;

/// What kind of device a model is; decides how its devices are configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Family {
    /// An energy meter with its own Modbus address.
    ElectricityMeter,
    /// A module counting pulses of several water or gas meters, one per position (channel).
    PulseConcentrator,
    /// A power-supervision I/O module: digital inputs, analogue inputs, relay outputs. Meters
    /// nothing by itself (no commodity).
    IoModule,
    /// An EV charging station: charging state, plug state, power, energy, current setpoint.
    EvCharger,
    /// A converter that reads a smart meter's HAN/P1 port and serves its values as Modbus
    /// registers (e.g. HAN2X). It is an electricity meter as far as energy goes, kept as its own
    /// family because its values come from another meter: the totals move only when that meter
    /// sends them (hourly for AMS meters), the converter adds estimated totals in between, and it
    /// has diagnostics of its own (temperature, uptime, the meter's clock).
    HanConverter,
    /// A smart meter read directly on its HAN port (DLMS/COSEM push frames), with no converter in
    /// between. It has no registers: the gateway's HAN decoder reads what the meter pushes.
    HanMeter,
    /// A smart meter read directly on its P1 port (DSMR telegrams); no registers either.
    P1Meter,
}

impl Family {
    /// The customer-port protocol of a smart-meter family, `None` for Modbus devices. Decides
    /// which gateways a model may sit on: smart meters on a HAN gateway of their protocol, every
    /// other family on the RS485 port or a Modbus TCP gateway.
    pub fn han_protocol(self) -> Option<HanProtocol> {
        match self {
            Family::HanMeter => Some(HanProtocol::DlmsHdlc),
            Family::P1Meter => Some(HanProtocol::P1),
            _ => None,
        }
    }
}

/// How fresh a value must be: power is read every cycle, energy counters less often,
/// identification once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Refresh {
    Fast,
    Slow,
    /// Read when the device is first reached (and after it comes back): serial number, model
    /// code, firmware version.
    Once,
}

/// One value a model exposes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RegisterSpec {
    /// 0-based PDU address sent on the wire (a coil or discrete input number for functions 1/2).
    pub address: u16,
    #[serde(rename = "type")]
    pub value_type: ValueType,
    #[serde(default)]
    pub word_order: WordOrder,
    /// Multiplies the raw number to get a value in `unit`.
    #[serde(default = "one")]
    pub scale: f64,
    /// Unit after scaling, e.g. "kWh", "W", "kW", "V", "A", "Hz", "m3", "var", "kvarh", "VA", "%",
    /// "°C", "h", "" for states and codes, or "pulse" for pulse counters whose weight is
    /// configured per device.
    pub unit: String,
    pub quantity: Quantity,
    /// Defaults to once for identification, slow for counters and fast for everything else.
    #[serde(default)]
    pub refresh: Option<Refresh>,
    /// For pulse concentrators: the position (1-based) this counter belongs to.
    #[serde(default)]
    pub channel: Option<u8>,
    /// Read function for this register when it differs from the profile's: 1 (coils),
    /// 2 (discrete inputs), 3 (holding registers) or 4 (input registers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function: Option<u8>,
    /// The value is one bit: bit 0-15 of a `u16` register (functions 3/4), or `0` for a coil or
    /// discrete input (functions 1/2). The value is then 0 or 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bit: Option<u8>,
    /// Number (1-based) of the input or output this register reads, for the quantities a device
    /// has several of (`digital_input`, `analog_input`, `relay_output`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<u8>,
    /// Harmonic order (2-63) of a harmonic quantity (`voltage_harmonic_l1` …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<u8>,
}

fn one() -> f64 {
    1.0
}

fn u16_type() -> ValueType {
    ValueType::U16
}

fn write_single_register() -> u8 {
    6
}

/// Whether an output switches something on and off or sets a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum OutputKind {
    /// Two values: on and off (a relay, an enable flag).
    #[default]
    Switch,
    /// A number between `min` and `max` in `unit` (a charging current).
    Setpoint,
}

/// Something the gateway may write: a relay, an enable flag, a setpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct OutputSpec {
    /// Number of the output (1-based), unique in the model; the read-back register of a relay
    /// carries the same `index`.
    pub index: u8,
    /// Translation key of the output's default label (installers may rename outputs per device).
    #[serde(default)]
    pub label: Option<String>,
    #[serde(default)]
    pub kind: OutputKind,
    /// 5 (write single coil), 6 (write single register) or 16 (write multiple registers).
    pub write_function: u8,
    /// 0-based coil (function 5) or holding-register (6, 16) address.
    pub address: u16,
    /// Encoding of the written value (functions 6 and 16; 6 writes one word only).
    #[serde(rename = "type", default = "u16_type")]
    pub value_type: ValueType,
    #[serde(default)]
    pub word_order: WordOrder,
    /// Raw value meaning "on" (switches). Defaults to 0xFF00 for a coil, 1 for a register.
    #[serde(default)]
    pub on_value: Option<u16>,
    /// Raw value meaning "off" (switches). Defaults to 0.
    #[serde(default)]
    pub off_value: Option<u16>,
    /// For setpoints: raw = value in `unit` / scale.
    #[serde(default = "one")]
    pub scale: f64,
    /// For setpoints: the unit of `min`/`max` and of the written value (as for registers).
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(default)]
    pub min: Option<f64>,
    #[serde(default)]
    pub max: Option<f64>,
    /// The quantity of the register that reads the output back (with the same `index` for
    /// indexed quantities), e.g. `relay_output` or `ev_max_current`.
    #[serde(default)]
    pub quantity: Option<Quantity>,
    /// Register choosing the relay's normal state (NO or NC), when configurable.
    #[serde(default)]
    pub normal_state: Option<ConfigRegister>,
    /// Register choosing the command mode (e.g. impulsive or blinking), when configurable.
    #[serde(default)]
    pub mode: Option<ConfigRegister>,
    /// Register holding the ON time in seconds; 0 means the command is maintained.
    #[serde(default)]
    pub on_time: Option<ConfigRegister>,
}

/// A holding register configuring an output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ConfigRegister {
    /// 0-based holding-register address (read with function 3, written with `write_function`).
    pub address: u16,
    /// 6 (write single register, the default) or 16 (write multiple registers).
    #[serde(default = "write_single_register")]
    pub write_function: u8,
    /// The values the register takes, each with the translation key of its label; empty for a
    /// plain number (the ON time).
    #[serde(default)]
    pub choices: Vec<Choice>,
    /// Largest value accepted for a plain number.
    #[serde(default)]
    pub max: Option<u16>,
}

/// One value of a configuration register and its label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Choice {
    pub value: u16,
    /// Translation key, e.g. `output.normally_open`.
    pub label: String,
}

/// Who applies a scale factor held in a register.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ScaleAppliedBy {
    /// The device already multiplies its outputs by the factor (HAN2X: a meter measuring through
    /// current transformers): values read are final, the gateway must NOT apply it again. The
    /// gateway reads the register only to show (and, when writable, to set) the factor.
    #[default]
    Device,
    /// The device sends unscaled numbers: the gateway multiplies the `applies_to` quantities by
    /// `raw / divisor` on top of each register's own `scale`.
    Gateway,
}

/// A register holding a scale factor (`factor = raw / divisor`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ScaleRegister {
    pub address: u16,
    #[serde(rename = "type")]
    pub value_type: ValueType,
    #[serde(default)]
    pub word_order: WordOrder,
    /// Read function when it differs from the profile's (3 or 4).
    #[serde(default)]
    pub function: Option<u8>,
    /// The raw number meaning a factor of 1 (HAN2X: 1000).
    pub divisor: f64,
    #[serde(default)]
    pub applied_by: ScaleAppliedBy,
    /// The quantities the factor concerns.
    pub applies_to: Vec<Quantity>,
    /// Whether the register can be written (function 16 for two words, 6 for one).
    #[serde(default)]
    pub writable: bool,
    /// Smallest and largest raw values the device accepts.
    #[serde(default)]
    pub min: Option<f64>,
    #[serde(default)]
    pub max: Option<f64>,
}

impl ScaleRegister {
    /// The factor a raw register value stands for.
    pub fn factor(&self, raw: f64) -> f64 {
        raw / self.divisor
    }
}

/// A device model: who makes it and which registers it exposes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct DeviceProfile {
    /// Stable identifier, lowercase letters, digits and dashes (e.g. `eastron-sdm630`).
    pub id: String,
    pub manufacturer: String,
    pub model: String,
    pub family: Family,
    /// What the model meters; pulse concentrators leave it to each device (water or gas); I/O
    /// modules meter nothing.
    #[serde(default)]
    pub commodity: Option<Commodity>,
    #[serde(default = "one_phase")]
    pub phases: u8,
    /// Modbus read function of the registers that do not name their own: 3 (holding registers)
    /// or 4 (input registers). Smart meters read on their HAN/P1 port leave it out (0).
    #[serde(default)]
    pub function: u8,
    /// Number of positions of a pulse concentrator.
    #[serde(default)]
    pub channels: Option<u8>,
    /// Where the register map comes from.
    #[serde(default)]
    pub source: Option<String>,
    /// True when the map is representative of a class of devices rather than one vendor's
    /// documented map: check it against the device's own manual before relying on it.
    #[serde(default)]
    pub generic: bool,
    /// Required for Modbus devices; smart meters read on their HAN/P1 port have none.
    #[serde(default)]
    pub registers: Vec<RegisterSpec>,
    /// What the gateway may write.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outputs: Vec<OutputSpec>,
    /// A register holding a scale factor, and who applies it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale_register: Option<ScaleRegister>,
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
    #[error("model {model}: register {address:#06x} read function {function} is not 1, 2, 3 or 4")]
    BadRegisterFunction {
        model: String,
        address: u16,
        function: u8,
    },
    #[error(
        "model {model}: register {address:#06x} is read with function {function}, which reads single bits: it needs `bit = 0`"
    )]
    NotABit {
        model: String,
        address: u16,
        function: u8,
    },
    #[error(
        "model {model}: register {address:#06x} bit {bit} is out of range (0-15 of a u16 register, 0 for a coil or discrete input)"
    )]
    BadBit {
        model: String,
        address: u16,
        bit: u8,
    },
    #[error("model {model}: register {address:#06x} {message}")]
    BadIndex {
        model: String,
        address: u16,
        message: String,
    },
    #[error("model {model}: registers {first:#06x} and {second:#06x} feed the same series")]
    DuplicateSeries {
        model: String,
        first: u16,
        second: u16,
    },
    #[error(
        "model {model}: output {index} uses function {function}, which does not write (5, 6 or 16 do)"
    )]
    ReadOnlyOutput {
        model: String,
        index: u8,
        function: u8,
    },
    #[error("model {model}: output {index}: {message}")]
    BadOutput {
        model: String,
        index: u8,
        message: String,
    },
    #[error("model {model}: scale register: {message}")]
    BadScaleRegister { model: String, message: String },
}

impl RegisterSpec {
    /// The register's encoding.
    pub fn encoding(&self) -> Encoding {
        Encoding::new(self.value_type, self.word_order)
    }

    /// How many registers the value occupies (1 for a bit).
    pub fn words(&self) -> u16 {
        self.value_type.words()
    }

    /// How fresh the value must be.
    pub fn refresh(&self) -> Refresh {
        self.refresh
            .unwrap_or(if self.quantity.is_identification() {
                Refresh::Once
            } else if self.quantity.is_counter() {
                Refresh::Slow
            } else {
                Refresh::Fast
            })
    }

    /// The read function of this register, given the profile's.
    pub fn read_function(&self, profile_function: u8) -> u8 {
        self.function.unwrap_or(profile_function)
    }

    /// True when the value is a single bit (0 or 1).
    pub fn is_bit(&self) -> bool {
        self.bit.is_some()
    }

    /// The raw number of this register from the words read (for coils and discrete inputs, one
    /// word 0 or 1 per bit), before scaling: a bit register gives 0 or 1.
    pub fn decode(&self, words: &[u16]) -> Result<f64, DecodeError> {
        match self.bit {
            Some(bit) => match words {
                [word] => Ok(f64::from((word >> bit) & 1)),
                _ => Err(DecodeError::WrongLength {
                    expected: 1,
                    got: words.len(),
                }),
            },
            None => self.encoding().decode(words),
        }
    }

    /// Which series of its quantity the register feeds: its `index` or `order`, 0 when neither.
    pub fn series(&self) -> u8 {
        self.index.or(self.order).unwrap_or(0)
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

impl OutputSpec {
    /// The raw value written to switch the output on.
    pub fn on_raw(&self) -> u16 {
        self.on_value
            .unwrap_or(if self.write_function == 5 { 0xFF00 } else { 1 })
    }

    /// The raw value written to switch the output off.
    pub fn off_raw(&self) -> u16 {
        self.off_value.unwrap_or(0)
    }

    /// Factor from a setpoint in its quantity's base unit to the raw number written.
    pub fn raw_per_base(&self) -> f64 {
        let base = self.quantity.map_or(Unit::None, Quantity::unit);
        let unit = self.unit.as_deref().unwrap_or("");
        1.0 / (self.scale * unit_factor(unit, base).unwrap_or(1.0))
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
        (Unit::None | Unit::State, "" | "-") => 1.0,
        (Unit::VoltAmpere, "VA") | (Unit::Var, "var" | "VAr" | "VAR") => 1.0,
        (Unit::VoltAmpere, "kVA") | (Unit::Var, "kvar" | "kVAr" | "kVAR") => 1_000.0,
        (Unit::VarHour, "varh" | "VArh" | "VARh") => 1.0,
        (Unit::VarHour, "kvarh" | "kVArh" | "kVARh") => 1_000.0,
        (Unit::VarHour, "Mvarh" | "MVArh" | "MVARh") => 1_000_000.0,
        (Unit::Percent, "%") => 1.0,
        (Unit::DegreeCelsius, "°C" | "degC") => 1.0,
        (Unit::Hour, "h") => 1.0,
        (Unit::Hour, "min") => 1.0 / 60.0,
        (Unit::Hour, "s") => 1.0 / 3600.0,
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

    /// The output numbered `index`.
    pub fn output(&self, index: u8) -> Option<&OutputSpec> {
        self.outputs.iter().find(|output| output.index == index)
    }

    /// What a device of this model at `channel` meters, for consumption totals: the device's
    /// own setting (`configured`, a pulse counter's water or gas) or the model's, and only when
    /// the device reads that commodity's counter (energy or volume). `None` for a device whose
    /// readings are no consumption at all, e.g. an I/O module: counting it in a commodity's
    /// total would list it among the devices summed although it adds nothing.
    ///
    /// A smart meter read on its HAN/P1 port has no registers: the protocol's decoder always
    /// delivers its energy totals.
    pub fn metered_commodity(
        &self,
        configured: Option<Commodity>,
        channel: Option<u8>,
    ) -> Option<Commodity> {
        let commodity = configured.or(self.commodity)?;
        let counter = commodity.consumption_quantity();
        let reads_counter = self.family.han_protocol().is_some()
            || self
                .registers_for(channel)
                .any(|register| register.quantity == counter);
        reads_counter.then_some(commodity)
    }
}

/// A smart meter read on its HAN/P1 port: what it sends is fixed by the protocol, so the file
/// names who makes it and how many phases it has, and nothing of Modbus.
fn validate_smart_meter(profile: &DeviceProfile) -> Result<(), CatalogError> {
    let problem = if profile.function != 0 || !profile.registers.is_empty() {
        Some("a smart meter read on its HAN/P1 port has no read function and no registers")
    } else if !profile.outputs.is_empty() || profile.scale_register.is_some() {
        Some("a smart meter read on its HAN/P1 port has no outputs and no scale register")
    } else if profile.commodity != Some(Commodity::Electricity) || profile.channels.is_some() {
        Some("a smart meter meters electricity and has no channels")
    } else if !(1..=3).contains(&profile.phases) {
        Some("phases must be 1, 2 or 3")
    } else {
        None
    };
    match problem {
        Some(message) => Err(CatalogError::Inconsistent {
            model: profile.id.clone(),
            message: message.into(),
        }),
        None => Ok(()),
    }
}

/// How a register uses a word of one address space: whole, or some of its bits.
#[derive(Clone, Copy)]
enum WordUse {
    Whole,
    Bits(u16),
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
    if profile.family.han_protocol().is_some() {
        return validate_smart_meter(profile);
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
    if !(1..=3).contains(&profile.phases) {
        return Err(CatalogError::Inconsistent {
            model: model(),
            message: format!("phases must be 1, 2 or 3, not {}", profile.phases),
        });
    }
    let electricity = Some(Commodity::Electricity);
    let family_ok = match (profile.family, profile.commodity, profile.channels) {
        (Family::ElectricityMeter, Some(_), None) => true,
        (Family::PulseConcentrator, None, Some(channels)) => channels > 0,
        (Family::HanConverter | Family::EvCharger, commodity, None) => commodity == electricity,
        (Family::IoModule, None, None) => true,
        _ => false,
    };
    if !family_ok {
        return Err(CatalogError::Inconsistent {
            model: model(),
            message: "a meter names its commodity; a pulse concentrator names its channels instead; \
                      a HAN converter and a charging station meter electricity; an I/O module names \
                      neither"
                .into(),
        });
    }
    // Words in use, per read function (each function has its own address space).
    let mut used: HashMap<(u8, u16), WordUse> = HashMap::new();
    let mut series: HashMap<(Quantity, u8, Option<u8>), u16> = HashMap::new();
    for register in &profile.registers {
        validate_register(profile, register, &mut used)?;
        let key = (register.quantity, register.series(), register.channel);
        if let Some(first) = series.insert(key, register.address) {
            return Err(CatalogError::DuplicateSeries {
                model: model(),
                first,
                second: register.address,
            });
        }
    }
    validate_outputs(profile)?;
    if let Some(scale) = &profile.scale_register {
        validate_scale_register(profile, scale, &used)?;
    }
    Ok(())
}

fn validate_register(
    profile: &DeviceProfile,
    register: &RegisterSpec,
    used: &mut HashMap<(u8, u16), WordUse>,
) -> Result<(), CatalogError> {
    let model = || profile.id.clone();
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
        (None, _) => profile.family != Family::PulseConcentrator,
        (Some(channel), Some(channels)) => (1..=channels).contains(&channel),
        (Some(_), None) => false,
    };
    if !channel_ok {
        return Err(CatalogError::BadChannel {
            model: model(),
            address,
        });
    }
    let function = register.read_function(profile.function);
    if !(1..=4).contains(&function) {
        return Err(CatalogError::BadRegisterFunction {
            model: model(),
            address,
            function,
        });
    }
    let bits_only = matches!(function, 1 | 2);
    match register.bit {
        None if bits_only => {
            return Err(CatalogError::NotABit {
                model: model(),
                address,
                function,
            });
        }
        Some(bit) => {
            let in_range = register.value_type == ValueType::U16
                && if bits_only { bit == 0 } else { bit < 16 };
            if !in_range {
                return Err(CatalogError::BadBit {
                    model: model(),
                    address,
                    bit,
                });
            }
        }
        None => {}
    }
    let index_problem = match (register.quantity.is_indexed(), register.index) {
        (true, None) => Some("needs an `index` (which input or output it reads)".to_owned()),
        (true, Some(0)) => Some("index is 1-based".to_owned()),
        (false, Some(_)) => Some(format!("{:?} takes no `index`", register.quantity)),
        _ => None,
    }
    .or(match (register.quantity.is_harmonic(), register.order) {
        (true, Some(order)) if (2..=63).contains(&order) => None,
        (true, _) => Some("needs an `order` between 2 and 63".to_owned()),
        (false, Some(_)) => Some(format!("{:?} takes no `order`", register.quantity)),
        (false, None) => None,
    });
    if let Some(message) = index_problem {
        return Err(CatalogError::BadIndex {
            model: model(),
            address,
            message,
        });
    }
    for offset in 0..register.words() {
        let word = (function, address + offset);
        let claim = match register.bit {
            Some(bit) => WordUse::Bits(1 << bit),
            None => WordUse::Whole,
        };
        let merged = match (used.get(&word), claim) {
            (None, claim) => Some(claim),
            (Some(WordUse::Bits(taken)), WordUse::Bits(bit)) if taken & bit == 0 => {
                Some(WordUse::Bits(taken | bit))
            }
            _ => None,
        };
        match merged {
            Some(merged) => {
                used.insert(word, merged);
            }
            None => {
                return Err(CatalogError::Overlap {
                    model: model(),
                    address,
                });
            }
        }
    }
    Ok(())
}

fn validate_outputs(profile: &DeviceProfile) -> Result<(), CatalogError> {
    let mut indices = HashSet::new();
    // Written coils and written holding registers, apart.
    let mut coils = HashSet::new();
    let mut holding = HashSet::new();
    for output in &profile.outputs {
        let index = output.index;
        let bad = |message: String| CatalogError::BadOutput {
            model: profile.id.clone(),
            index,
            message,
        };
        if index == 0 || !indices.insert(index) {
            return Err(bad("index must be 1-based and unique".into()));
        }
        if !matches!(output.write_function, 5 | 6 | 16) {
            return Err(CatalogError::ReadOnlyOutput {
                model: profile.id.clone(),
                index,
                function: output.write_function,
            });
        }
        let words = if output.write_function == 5 {
            1
        } else {
            output.value_type.words()
        };
        if output.write_function == 6 && words != 1 {
            return Err(bad(
                "function 6 writes one word: use function 16 for a wider type".into(),
            ));
        }
        if u32::from(output.address) + u32::from(words) > 0x1_0000 {
            return Err(bad("runs past the last Modbus address".into()));
        }
        let space = if output.write_function == 5 {
            &mut coils
        } else {
            &mut holding
        };
        for offset in 0..words {
            if !space.insert(output.address + offset) {
                return Err(bad("writes where another output writes".into()));
            }
        }
        match output.kind {
            OutputKind::Switch => {
                if output.write_function == 5
                    && (!matches!(output.on_value, None | Some(0xFF00))
                        || !matches!(output.off_value, None | Some(0)))
                {
                    return Err(bad(
                        "a coil is switched on with 0xFF00 and off with 0".into()
                    ));
                }
                if output.on_raw() == output.off_raw() {
                    return Err(bad("on and off values must differ".into()));
                }
                if output.unit.is_some() || output.min.is_some() || output.max.is_some() {
                    return Err(bad("a switch has no unit, min or max".into()));
                }
            }
            OutputKind::Setpoint => {
                if output.write_function == 5 {
                    return Err(bad("a setpoint is written to a register, not a coil".into()));
                }
                let Some(quantity) = output.quantity else {
                    return Err(bad("a setpoint names the quantity it sets".into()));
                };
                let unit = output.unit.as_deref().unwrap_or("");
                if unit_factor(unit, quantity.unit()).is_none() {
                    return Err(bad(format!("unit {unit:?} does not fit {quantity:?}")));
                }
                if !output.scale.is_finite() || output.scale == 0.0 {
                    return Err(bad("scale must be a finite non-zero number".into()));
                }
                match (output.min, output.max) {
                    (Some(min), Some(max)) if min.is_finite() && max.is_finite() && min < max => {}
                    _ => return Err(bad("a setpoint needs finite min < max".into())),
                }
                if output.on_value.is_some() || output.off_value.is_some() {
                    return Err(bad("a setpoint has no on or off value".into()));
                }
            }
        }
        if let Some(quantity) = output.quantity {
            let wanted_index = quantity.is_indexed().then_some(index);
            let read_back = profile
                .registers
                .iter()
                .any(|register| register.quantity == quantity && register.index == wanted_index);
            if !read_back {
                return Err(bad(format!(
                    "no register reads {quantity:?} back{}",
                    if quantity.is_indexed() {
                        " with this index"
                    } else {
                        ""
                    }
                )));
            }
        }
        let config = [
            ("normal_state", &output.normal_state),
            ("mode", &output.mode),
            ("on_time", &output.on_time),
        ];
        for (name, register) in config {
            let Some(register) = register else { continue };
            if output.kind != OutputKind::Switch {
                return Err(bad(format!("{name} configures a switch, not a setpoint")));
            }
            if !matches!(register.write_function, 6 | 16) {
                return Err(bad(format!(
                    "{name} register is written with function 6 or 16, not {}",
                    register.write_function
                )));
            }
            if !holding.insert(register.address) {
                return Err(bad(format!(
                    "{name} register {:#06x} is written by something else too",
                    register.address
                )));
            }
            let mut values = HashSet::new();
            if !register
                .choices
                .iter()
                .all(|choice| values.insert(choice.value) && !choice.label.is_empty())
            {
                return Err(bad(format!(
                    "{name} choices need distinct values and labels"
                )));
            }
            let wants_choices = name != "on_time";
            if wants_choices == register.choices.is_empty() {
                return Err(bad(if wants_choices {
                    format!("{name} register lists its choices")
                } else {
                    "the ON time is a number of seconds, without choices".into()
                }));
            }
        }
    }
    Ok(())
}

fn validate_scale_register(
    profile: &DeviceProfile,
    scale: &ScaleRegister,
    used: &HashMap<(u8, u16), WordUse>,
) -> Result<(), CatalogError> {
    let bad = |message: &str| CatalogError::BadScaleRegister {
        model: profile.id.clone(),
        message: message.to_owned(),
    };
    let function = scale.function.unwrap_or(profile.function);
    if !matches!(function, 3 | 4) {
        return Err(bad("is read with function 3 or 4"));
    }
    if scale.writable && function != 3 {
        return Err(bad("only a holding register (function 3) can be writable"));
    }
    let words = scale.value_type.words();
    if u32::from(scale.address) + u32::from(words) > 0x1_0000 {
        return Err(bad("runs past the last Modbus address"));
    }
    if (0..words).any(|offset| used.contains_key(&(function, scale.address + offset))) {
        return Err(bad("overlaps a register"));
    }
    if !scale.divisor.is_finite() || scale.divisor <= 0.0 {
        return Err(bad("divisor must be a finite positive number"));
    }
    if scale.applies_to.is_empty() {
        return Err(bad("names the quantities it applies to"));
    }
    if let Some(quantity) = scale.applies_to.iter().find(|quantity| {
        !profile
            .registers
            .iter()
            .any(|register| register.quantity == **quantity)
    }) {
        return Err(bad(&format!(
            "applies to {quantity:?}, which no register reads"
        )));
    }
    match (scale.min, scale.max) {
        (Some(min), Some(max)) if !(min.is_finite() && max.is_finite() && min <= max) => {
            return Err(bad("min must not exceed max"));
        }
        _ => {}
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
            function: None,
            bit: None,
            index: None,
            order: None,
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
            generic: false,
            registers,
            outputs: Vec::new(),
            scale_register: None,
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

    fn bit(address: u16, function: Option<u8>, bit: u8, index: u8) -> RegisterSpec {
        RegisterSpec {
            function,
            bit: Some(bit),
            index: Some(index),
            ..register(address, ValueType::U16, "", Quantity::DigitalInput)
        }
    }

    fn io_module(registers: Vec<RegisterSpec>, outputs: Vec<OutputSpec>) -> DeviceProfile {
        DeviceProfile {
            family: Family::IoModule,
            commodity: None,
            function: 3,
            outputs,
            ..meter(registers)
        }
    }

    fn relay(index: u8, write_function: u8, address: u16) -> OutputSpec {
        OutputSpec {
            index,
            label: Some("output.relay".into()),
            kind: OutputKind::Switch,
            write_function,
            address,
            value_type: ValueType::U16,
            word_order: WordOrder::HighFirst,
            on_value: None,
            off_value: None,
            scale: 1.0,
            unit: None,
            min: None,
            max: None,
            quantity: Some(Quantity::RelayOutput),
            normal_state: None,
            mode: None,
            on_time: None,
        }
    }

    fn relay_state(index: u8) -> RegisterSpec {
        RegisterSpec {
            function: Some(1),
            bit: Some(0),
            index: Some(index),
            ..register(
                u16::from(index) - 1,
                ValueType::U16,
                "",
                Quantity::RelayOutput,
            )
        }
    }

    #[test]
    fn new_units_convert_to_their_base_units() {
        let reactive = register(0, ValueType::U32, "kvarh", Quantity::ReactiveEnergyImport);
        assert_eq!(reactive.factor_to_base(1.0), 1000.0);
        let mut temperature = register(0, ValueType::U16, "°C", Quantity::Temperature);
        temperature.scale = 0.01;
        assert_eq!(temperature.factor_to_base(1.0), 0.01);
        assert_eq!(
            register(0, ValueType::U32, "VAR", Quantity::ReactivePower).factor_to_base(1.0),
            1.0
        );
        assert_eq!(
            register(0, ValueType::F32, "kVA", Quantity::ApparentPowerL1).factor_to_base(1.0),
            1000.0
        );
        let profile = meter(vec![register(0, ValueType::F32, "%", Quantity::VoltageL1)]);
        assert!(matches!(
            validate_profile(&profile),
            Err(CatalogError::BadUnit { .. })
        ));
    }

    #[test]
    fn identification_defaults_to_a_single_read() {
        assert_eq!(
            register(0, ValueType::U16, "", Quantity::FirmwareVersion).refresh(),
            Refresh::Once
        );
        let mut clock = register(0, ValueType::U16, "", Quantity::MeterClockYear);
        assert_eq!(clock.refresh(), Refresh::Fast);
        clock.refresh = Some(Refresh::Slow);
        assert_eq!(clock.refresh(), Refresh::Slow);
    }

    #[test]
    fn bits_decode_to_zero_or_one() {
        let third = RegisterSpec {
            bit: Some(3),
            ..register(0, ValueType::U16, "", Quantity::DigitalInput)
        };
        assert_eq!(third.decode(&[0b1000]), Ok(1.0));
        assert_eq!(third.decode(&[0b0111]), Ok(0.0));
        assert!(third.decode(&[0, 0]).is_err());
        let whole = register(0, ValueType::U16, "", Quantity::EvChargingState);
        assert_eq!(whole.decode(&[3]), Ok(3.0));
    }

    #[test]
    fn bits_of_one_word_share_it_but_not_with_a_whole_register() {
        let shared = io_module(vec![bit(0, None, 0, 1), bit(0, None, 1, 2)], vec![]);
        assert_eq!(validate_profile(&shared), Ok(()));
        let same_bit = io_module(vec![bit(0, None, 0, 1), bit(0, None, 0, 2)], vec![]);
        assert!(matches!(
            validate_profile(&same_bit),
            Err(CatalogError::Overlap { .. })
        ));
        let mut whole = register(0, ValueType::U16, "", Quantity::AnalogInput);
        whole.index = Some(1);
        let mixed = io_module(vec![bit(0, None, 0, 1), whole], vec![]);
        assert!(matches!(
            validate_profile(&mixed),
            Err(CatalogError::Overlap { .. })
        ));
        // Each read function is its own address space.
        let spaces = io_module(vec![bit(0, Some(2), 0, 1), bit(0, Some(1), 0, 2)], vec![]);
        assert_eq!(validate_profile(&spaces), Ok(()));
    }

    #[test]
    fn bit_mistakes_are_refused() {
        let coil_not_bit = io_module(
            vec![RegisterSpec {
                function: Some(2),
                index: Some(1),
                ..register(0, ValueType::U16, "", Quantity::DigitalInput)
            }],
            vec![],
        );
        assert!(matches!(
            validate_profile(&coil_not_bit),
            Err(CatalogError::NotABit { function: 2, .. })
        ));
        for (function, bit_index) in [(None, 16), (Some(1), 1)] {
            let profile = io_module(vec![bit(0, function, bit_index, 1)], vec![]);
            assert!(
                matches!(validate_profile(&profile), Err(CatalogError::BadBit { .. })),
                "{function:?} {bit_index}"
            );
        }
        let float_bit = io_module(
            vec![RegisterSpec {
                value_type: ValueType::F32,
                ..bit(0, None, 0, 1)
            }],
            vec![],
        );
        assert!(matches!(
            validate_profile(&float_bit),
            Err(CatalogError::BadBit { .. })
        ));
        let write_function = io_module(vec![bit(0, Some(5), 0, 1)], vec![]);
        assert!(matches!(
            validate_profile(&write_function),
            Err(CatalogError::BadRegisterFunction { function: 5, .. })
        ));
    }

    #[test]
    fn indices_and_orders_are_checked() {
        let missing_index = io_module(
            vec![register(0, ValueType::U16, "", Quantity::DigitalInput)],
            vec![],
        );
        assert!(matches!(
            validate_profile(&missing_index),
            Err(CatalogError::BadIndex { .. })
        ));
        let mut voltage = register(0, ValueType::F32, "V", Quantity::VoltageL1);
        voltage.index = Some(1);
        assert!(matches!(
            validate_profile(&meter(vec![voltage])),
            Err(CatalogError::BadIndex { .. })
        ));
        let mut third = register(0, ValueType::U16, "%", Quantity::VoltageHarmonicL1);
        third.scale = 0.1;
        assert!(matches!(
            validate_profile(&meter(vec![third.clone()])),
            Err(CatalogError::BadIndex { .. })
        ));
        third.order = Some(3);
        let mut fifth = third.clone();
        fifth.address = 1;
        fifth.order = Some(5);
        assert_eq!(validate_profile(&meter(vec![third.clone(), fifth])), Ok(()));
        let mut again = third.clone();
        again.address = 1;
        assert!(matches!(
            validate_profile(&meter(vec![third, again])),
            Err(CatalogError::DuplicateSeries {
                first: 0,
                second: 1,
                ..
            })
        ));
    }

    #[test]
    fn families_name_what_they_meter() {
        let module = io_module(vec![bit(0, None, 0, 1)], vec![]);
        assert_eq!(validate_profile(&module), Ok(()));
        let metering_module = DeviceProfile {
            commodity: Some(Commodity::Electricity),
            ..module.clone()
        };
        assert!(matches!(
            validate_profile(&metering_module),
            Err(CatalogError::Inconsistent { .. })
        ));
        let water_converter = DeviceProfile {
            family: Family::HanConverter,
            commodity: Some(Commodity::Water),
            ..meter(vec![register(
                0,
                ValueType::U32,
                "W",
                Quantity::ActivePowerImport,
            )])
        };
        assert!(matches!(
            validate_profile(&water_converter),
            Err(CatalogError::Inconsistent { .. })
        ));
        let mut three_phase = meter(vec![register(0, ValueType::F32, "V", Quantity::VoltageL1)]);
        three_phase.phases = 4;
        assert!(validate_profile(&three_phase).is_err());
    }

    #[test]
    fn a_relay_with_its_configuration_passes() {
        let mut output = relay(1, 5, 0);
        output.normal_state = Some(ConfigRegister {
            address: 0x100,
            write_function: 6,
            choices: vec![
                Choice {
                    value: 0,
                    label: "output.normally_open".into(),
                },
                Choice {
                    value: 1,
                    label: "output.normally_closed".into(),
                },
            ],
            max: None,
        });
        output.on_time = Some(ConfigRegister {
            address: 0x102,
            write_function: 6,
            choices: vec![],
            max: None,
        });
        let profile = io_module(vec![relay_state(1)], vec![output]);
        assert_eq!(validate_profile(&profile), Ok(()));
        let output = profile.output(1).unwrap();
        assert_eq!((output.on_raw(), output.off_raw()), (0xFF00, 0));
    }

    #[test]
    fn output_mistakes_are_refused() {
        let read_only = io_module(vec![relay_state(1)], vec![relay(1, 3, 0)]);
        assert!(matches!(
            validate_profile(&read_only),
            Err(CatalogError::ReadOnlyOutput { function: 3, .. })
        ));
        let mut odd_coil = relay(1, 5, 0);
        odd_coil.on_value = Some(1);
        let cases: Vec<(&str, Vec<OutputSpec>)> = vec![
            ("coil on value", vec![odd_coil]),
            (
                "wide single write",
                vec![OutputSpec {
                    value_type: ValueType::U32,
                    ..relay(1, 6, 0)
                }],
            ),
            ("twice the same index", vec![relay(1, 5, 0), relay(1, 5, 1)]),
            ("twice the same coil", vec![relay(1, 5, 0), relay(2, 5, 0)]),
            ("no read-back", vec![relay(2, 5, 1)]),
            (
                "setpoint without range",
                vec![OutputSpec {
                    kind: OutputKind::Setpoint,
                    quantity: None,
                    ..relay(1, 6, 0)
                }],
            ),
            (
                "on time with choices",
                vec![OutputSpec {
                    on_time: Some(ConfigRegister {
                        address: 9,
                        write_function: 6,
                        choices: vec![Choice {
                            value: 0,
                            label: "x".into(),
                        }],
                        max: None,
                    }),
                    ..relay(1, 5, 0)
                }],
            ),
            (
                "mode written with a read function",
                vec![OutputSpec {
                    mode: Some(ConfigRegister {
                        address: 9,
                        write_function: 3,
                        choices: vec![Choice {
                            value: 0,
                            label: "x".into(),
                        }],
                        max: None,
                    }),
                    ..relay(1, 5, 0)
                }],
            ),
        ];
        for (case, outputs) in cases {
            let profile = io_module(vec![relay_state(1)], outputs);
            assert!(
                matches!(
                    validate_profile(&profile),
                    Err(CatalogError::BadOutput { .. })
                ),
                "{case}: {:?}",
                validate_profile(&profile)
            );
        }
    }

    #[test]
    fn a_setpoint_converts_to_its_raw_value() {
        let mut current = register(3, ValueType::U16, "A", Quantity::EvMaxCurrent);
        current.scale = 0.1;
        let setpoint = OutputSpec {
            label: Some("output.max_current".into()),
            kind: OutputKind::Setpoint,
            scale: 0.1,
            unit: Some("A".into()),
            min: Some(6.0),
            max: Some(32.0),
            quantity: Some(Quantity::EvMaxCurrent),
            ..relay(1, 6, 3)
        };
        let profile = DeviceProfile {
            family: Family::EvCharger,
            outputs: vec![setpoint],
            ..meter(vec![current])
        };
        assert_eq!(validate_profile(&profile), Ok(()));
        assert!((profile.outputs[0].raw_per_base() - 10.0).abs() < 1e-9);
    }

    fn scaled_converter(scale: ScaleRegister) -> DeviceProfile {
        DeviceProfile {
            family: Family::HanConverter,
            function: 3,
            scale_register: Some(scale),
            ..meter(vec![register(
                0,
                ValueType::U32,
                "W",
                Quantity::ActivePowerImport,
            )])
        }
    }

    fn scale_register() -> ScaleRegister {
        ScaleRegister {
            address: 48,
            value_type: ValueType::U32,
            word_order: WordOrder::HighFirst,
            function: None,
            divisor: 1000.0,
            applied_by: ScaleAppliedBy::Device,
            applies_to: vec![Quantity::ActivePowerImport],
            writable: true,
            min: Some(10.0),
            max: Some(1_000_000.0),
        }
    }

    #[test]
    fn a_scale_register_is_checked() {
        assert_eq!(
            validate_profile(&scaled_converter(scale_register())),
            Ok(())
        );
        assert_eq!(scale_register().factor(10_000.0), 10.0);
        let broken = [
            ScaleRegister {
                divisor: 0.0,
                ..scale_register()
            },
            ScaleRegister {
                address: 1,
                ..scale_register()
            },
            ScaleRegister {
                function: Some(1),
                ..scale_register()
            },
            ScaleRegister {
                function: Some(4),
                ..scale_register()
            },
            ScaleRegister {
                applies_to: vec![],
                ..scale_register()
            },
            ScaleRegister {
                applies_to: vec![Quantity::VoltageL1],
                ..scale_register()
            },
            ScaleRegister {
                min: Some(5.0),
                max: Some(1.0),
                ..scale_register()
            },
        ];
        for scale in broken {
            assert!(
                matches!(
                    validate_profile(&scaled_converter(scale.clone())),
                    Err(CatalogError::BadScaleRegister { .. })
                ),
                "{scale:?}"
            );
        }
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
            catalog.profiles().len() >= 10,
            "{:?}",
            catalog.profiles().len()
        );
        for family in [
            Family::ElectricityMeter,
            Family::PulseConcentrator,
            Family::IoModule,
            Family::EvCharger,
            Family::HanConverter,
        ] {
            assert!(
                catalog.profiles().iter().any(|p| p.family == family),
                "no {family:?} model"
            );
        }
        // The seven first ids stay: installations refer to them.
        for id in [
            "abb-b23",
            "carlo-gavazzi-em24",
            "eastron-sdm120",
            "eastron-sdm630",
            "janitza-b23",
            "pulse-concentrator-4",
            "schneider-iem3155",
        ] {
            assert!(catalog.get(id).is_some(), "{id}");
        }
        for profile in catalog.profiles() {
            assert!(profile.source.is_some(), "{} names no source", profile.id);
        }
        let sdm630 = catalog.get("eastron-sdm630").unwrap();
        assert_eq!(sdm630.function, 4);
        assert_eq!(sdm630.phases, 3);
    }

    fn shipped() -> Catalog {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/catalog");
        Catalog::load_dir(&dir).unwrap()
    }

    #[test]
    fn only_devices_reading_a_counter_meter_a_commodity() {
        let catalog = shipped();
        let metered = |model: &str, configured: Option<Commodity>, channel: Option<u8>| {
            catalog
                .get(model)
                .unwrap_or_else(|| panic!("{model} is shipped"))
                .metered_commodity(configured, channel)
        };
        let electricity = Some(Commodity::Electricity);
        for model in [
            "eastron-sdm630",
            "eastron-sdm120",
            "evse-generic",
            "han2x",
            "han-dlms-meter",
            "p1-meter",
        ] {
            assert_eq!(metered(model, None, None), electricity, "{model}");
        }
        // A pulse counter meters what its device says, on its own channel.
        let water = Some(Commodity::Water);
        assert_eq!(metered("pulse-concentrator-4", water, Some(2)), water);
        assert_eq!(metered("pulse-concentrator-4", None, Some(2)), None);
        assert_eq!(metered("pulse-concentrator-4", water, Some(9)), None);
        // An I/O module meters nothing, whatever a device might claim.
        assert_eq!(metered("io-module-generic", None, None), None);
        assert_eq!(metered("io-module-generic", electricity, None), None);
    }

    #[test]
    fn smart_meters_are_read_on_their_port_not_over_modbus() {
        let catalog = shipped();
        let han = catalog.get("han-dlms-meter").unwrap();
        assert_eq!(han.family.han_protocol(), Some(HanProtocol::DlmsHdlc));
        assert!(han.registers.is_empty());
        assert_eq!(han.function, 0);
        let p1 = catalog.get("p1-meter").unwrap();
        assert_eq!(p1.family.han_protocol(), Some(HanProtocol::P1));
        assert_eq!(catalog.get("han2x").unwrap().family.han_protocol(), None);

        // A smart meter with Modbus registers, or a Modbus meter without its read function, is
        // refused rather than half-used.
        let with_registers = Catalog::from_sources([(
            "bad.toml",
            "id = \"bad\"\nmanufacturer = \"x\"\nmodel = \"y\"\nfamily = \"han_meter\"\n\
             commodity = \"electricity\"\nfunction = 3\nsource = \"s\"\n\
             registers = [{ address = 0, type = \"u16\", unit = \"V\", quantity = \"voltage_l1\" }]\n",
        )]);
        assert!(matches!(
            with_registers,
            Err(CatalogLoadError::Invalid {
                source: CatalogError::Inconsistent { .. },
                ..
            })
        ));
        let no_function = Catalog::from_sources([(
            "bad.toml",
            "id = \"bad\"\nmanufacturer = \"x\"\nmodel = \"y\"\nfamily = \"electricity_meter\"\n\
             commodity = \"electricity\"\n\
             registers = [{ address = 0, type = \"u16\", unit = \"V\", quantity = \"voltage_l1\" }]\n",
        )]);
        assert!(matches!(
            no_function,
            Err(CatalogLoadError::Invalid {
                source: CatalogError::BadFunction { function: 0, .. },
                ..
            })
        ));
    }

    #[test]
    fn the_han_converter_follows_its_register_table() {
        let catalog = shipped();
        let han = catalog.get("han2x").unwrap();
        assert_eq!(han.family, Family::HanConverter);
        assert_eq!(han.function, 3);
        let at = |address: u16| han.registers.iter().find(|r| r.address == address).unwrap();
        // The manual's example: 40015-40016 = 0x0000_0956 → 239.0 V.
        let voltage = at(14);
        assert_eq!(voltage.quantity, Quantity::VoltageL1);
        let raw = voltage.decode(&[0x0000, 0x0956]).unwrap();
        assert!((raw * voltage.factor_to_base(1.0) - 239.0).abs() < 1e-9);
        // Signed milliamperes.
        let current = at(8);
        let raw = current.decode(&[0xFFFF, 0xFC18]).unwrap();
        assert!((raw * current.factor_to_base(1.0) + 1.0).abs() < 1e-9);
        assert_eq!(at(28).quantity, Quantity::ActiveEnergyImportEstimated);
        assert_eq!(at(28).factor_to_base(1.0), 1000.0);
        assert_eq!(at(43).factor_to_base(1.0), 0.01);
        assert_eq!(at(47).quantity, Quantity::OperatingHours);
        assert_eq!(at(50).quantity, Quantity::DigitalInput);
        let scale = han.scale_register.as_ref().unwrap();
        assert_eq!((scale.address, scale.value_type), (48, ValueType::U32));
        assert_eq!(scale.applied_by, ScaleAppliedBy::Device);
        assert_eq!(scale.factor(1000.0), 1.0);
    }

    #[test]
    fn the_io_module_reads_bits_and_writes_relays() {
        let catalog = shipped();
        let module = catalog.get("io-module-generic").unwrap();
        assert!(module.generic);
        let count = |quantity| {
            module
                .registers
                .iter()
                .filter(|r| r.quantity == quantity)
                .count()
        };
        assert_eq!(count(Quantity::DigitalInput), 4);
        assert_eq!(count(Quantity::AnalogInput), 2);
        assert_eq!(count(Quantity::RelayOutput), 2);
        assert_eq!(module.outputs.len(), 2);
        for output in &module.outputs {
            assert_eq!(output.write_function, 5);
            assert!(output.normal_state.is_some() && output.mode.is_some());
            assert!(output.on_time.as_ref().unwrap().choices.is_empty());
        }
        let charger = catalog.get("evse-generic").unwrap();
        assert_eq!(charger.family, Family::EvCharger);
        assert!(
            charger
                .outputs
                .iter()
                .any(|o| o.kind == OutputKind::Setpoint
                    && o.quantity == Some(Quantity::EvMaxCurrent))
        );
    }

    /// An electricity meter shows what a user paid for, not just P/V/I/energy: every model declares
    /// the values its documented map has, and the scheduler reads each at the right pace. Gaps are
    /// listed with the reason their TOML file gives, so a new model cannot silently lack them.
    #[test]
    fn electricity_meters_declare_the_values_users_expect() {
        use Quantity::*;
        // iEM3155: its total PF encodes the quadrant (not a linear scale), it has no per-phase PF.
        let without_power_factor = ["schneider-iem3155"];
        // Janitza B23 float block: no source confirms its reactive/apparent power registers.
        let without_reactive_and_apparent = ["janitza-b23"];
        // THD is documented (and declared) for the SDM630 only among the shipped meters.
        let with_thd = ["eastron-sdm630"];
        let catalog = shipped();
        let meters: Vec<&DeviceProfile> = catalog
            .profiles()
            .iter()
            .filter(|p| p.family == Family::ElectricityMeter)
            .collect();
        assert!(meters.len() >= 9, "{}", meters.len());
        for meter in meters {
            let id = meter.id.as_str();
            let has = |quantity: Quantity| meter.registers.iter().any(|r| r.quantity == quantity);
            for quantity in [
                ActivePower,
                Frequency,
                ActiveEnergyImport,
                ActiveEnergyExport,
            ] {
                assert!(has(quantity), "{id} lacks {quantity:?}");
            }
            let per_phase: &[[Quantity; 4]] = if meter.phases == 1 {
                &[[VoltageL1, CurrentL1, ActivePower, PowerFactor]]
            } else {
                &[
                    [VoltageL1, CurrentL1, ActivePowerL1, PowerFactorL1],
                    [VoltageL2, CurrentL2, ActivePowerL2, PowerFactorL2],
                    [VoltageL3, CurrentL3, ActivePowerL3, PowerFactorL3],
                ]
            };
            for [voltage, current, power, factor] in per_phase {
                for quantity in [*voltage, *current, *power] {
                    assert!(has(quantity), "{id} lacks {quantity:?}");
                }
                if !without_power_factor.contains(&id) {
                    assert!(has(*factor) || has(PowerFactor), "{id} lacks {factor:?}");
                }
            }
            if !without_reactive_and_apparent.contains(&id) {
                for quantity in [ReactivePower, ApparentPower] {
                    assert!(has(quantity), "{id} lacks {quantity:?}");
                }
                let reactive_energy = has(ReactiveEnergyImport) && has(ReactiveEnergyExport);
                // The SDM72 documents only an import+export reactive sum; the ABB's accumulator
                // addresses are unconfirmed.
                assert!(
                    reactive_energy || ["eastron-sdm72", "abb-b23"].contains(&id),
                    "{id} lacks reactive energies"
                );
            }
            if meter.phases == 3 && !without_reactive_and_apparent.contains(&id) {
                assert!(
                    has(VoltageL1L2) && has(VoltageL2L3) && has(VoltageL3L1),
                    "{id}"
                );
            }
            let thd = [
                VoltageThdL1,
                VoltageThdL2,
                VoltageThdL3,
                CurrentThdL1,
                CurrentThdL2,
                CurrentThdL3,
            ];
            if with_thd.contains(&id) {
                assert!(thd.iter().all(|q| has(*q)), "{id} lacks THD");
            } else {
                assert!(!thd.iter().any(|q| has(*q)), "{id}: THD not listed here");
            }
            // Power, voltage, current, PF and Hz every cycle; counters and THD less often.
            for register in &meter.registers {
                let quantity = register.quantity;
                let want = if quantity.is_counter() || thd.contains(&quantity) {
                    Refresh::Slow
                } else {
                    Refresh::Fast
                };
                assert_eq!(register.refresh(), want, "{id} {quantity:?}");
            }
        }
    }

    #[test]
    fn profiles_survive_a_round_trip() {
        for profile in shipped().profiles() {
            let text = toml::to_string(profile).unwrap();
            let back: DeviceProfile = toml::from_str(&text).unwrap();
            assert_eq!(&back, profile, "{text}");
            let json = serde_json::to_string(profile).unwrap();
            let back: DeviceProfile = serde_json::from_str(&json).unwrap();
            assert_eq!(&back, profile);
        }
    }

    #[test]
    fn unknown_keys_in_outputs_and_scale_registers_are_refused() {
        let head = r#"id = "m"
manufacturer = "x"
model = "y"
family = "io_module"
function = 3
registers = [{ address = 0, function = 1, bit = 0, type = "u16", unit = "", quantity = "relay_output", index = 1 }]
"#;
        let good = format!(
            "{head}[[outputs]]\nindex = 1\nwrite_function = 5\naddress = 0\nquantity = \"relay_output\"\n"
        );
        assert!(Catalog::from_sources([("a.toml", good.as_str())]).is_ok());
        let typo = good.replace("write_function", "write_fonction");
        assert!(Catalog::from_sources([("a.toml", typo.as_str())]).is_err());
        let config = format!("{good}on_time = {{ address = 5, secs = 1 }}\n");
        assert!(Catalog::from_sources([("a.toml", config.as_str())]).is_err());
        let scale = format!(
            "{good}[scale_register]\naddress = 9\ntype = \"u16\"\ndivisor = 1\napplies_to = [\"relay_output\"]\nfactor = 2\n"
        );
        assert!(Catalog::from_sources([("a.toml", scale.as_str())]).is_err());
    }

    /// The object keys of a JSON Schema definition's `properties`.
    fn schema_keys(definition: &serde_json::Value) -> std::collections::BTreeSet<String> {
        definition["properties"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect()
    }

    /// The keys serde writes for a value whose every optional field is set.
    fn struct_keys<T: Serialize>(value: &T) -> std::collections::BTreeSet<String> {
        serde_json::to_value(value)
            .unwrap()
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect()
    }

    #[test]
    fn the_schema_names_every_key_the_format_accepts() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/catalog/schema.json");
        let schema: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let config = ConfigRegister {
            address: 1,
            write_function: 6,
            choices: vec![Choice {
                value: 0,
                label: "l".into(),
            }],
            max: Some(1),
        };
        let output = OutputSpec {
            index: 1,
            label: Some("l".into()),
            kind: OutputKind::Switch,
            write_function: 5,
            address: 0,
            value_type: ValueType::U16,
            word_order: WordOrder::HighFirst,
            on_value: Some(1),
            off_value: Some(0),
            scale: 1.0,
            unit: Some("A".into()),
            min: Some(0.0),
            max: Some(1.0),
            quantity: Some(Quantity::RelayOutput),
            normal_state: Some(config.clone()),
            mode: Some(config.clone()),
            on_time: Some(config.clone()),
        };
        let register = RegisterSpec {
            address: 0,
            value_type: ValueType::U16,
            word_order: WordOrder::HighFirst,
            scale: 1.0,
            unit: String::new(),
            quantity: Quantity::RelayOutput,
            refresh: Some(Refresh::Once),
            channel: Some(1),
            function: Some(1),
            bit: Some(0),
            index: Some(1),
            order: Some(2),
        };
        let scale = ScaleRegister {
            address: 0,
            value_type: ValueType::U32,
            word_order: WordOrder::HighFirst,
            function: Some(3),
            divisor: 1000.0,
            applied_by: ScaleAppliedBy::Device,
            applies_to: vec![Quantity::ActivePower],
            writable: true,
            min: Some(1.0),
            max: Some(2.0),
        };
        let profile = DeviceProfile {
            id: "m".into(),
            manufacturer: "x".into(),
            model: "y".into(),
            family: Family::IoModule,
            commodity: Some(Commodity::Electricity),
            phases: 1,
            function: 3,
            channels: Some(1),
            source: Some("s".into()),
            generic: true,
            registers: vec![register.clone()],
            outputs: vec![output.clone()],
            scale_register: Some(scale.clone()),
        };
        let defs = &schema["$defs"];
        assert_eq!(schema_keys(&schema), struct_keys(&profile));
        assert_eq!(schema_keys(&defs["register"]), struct_keys(&register));
        assert_eq!(schema_keys(&defs["output"]), struct_keys(&output));
        assert_eq!(schema_keys(&defs["config_register"]), struct_keys(&config));
        assert_eq!(schema_keys(&defs["scale_register"]), struct_keys(&scale));
        // Every quantity the format accepts is listed, and nothing else.
        let listed: std::collections::BTreeSet<String> = defs["quantity"]["enum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|q| q.as_str().unwrap().to_owned())
            .collect();
        let quantities: std::collections::BTreeSet<String> = Quantity::ALL
            .iter()
            .map(|q| {
                serde_json::to_value(q)
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        assert_eq!(listed, quantities);
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
