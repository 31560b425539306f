//! Inputs and outputs of I/O modules (§8.2.1): the keys of their custom labels (§7.16.1.4), the
//! commands an installer sends to an output, what the device page shows, and the rules the
//! browser and the server both apply.
//!
//! Label keys name an input by its quantity and index (`digital_input.1`, `analog_input.2`) and an
//! output by its number (`output.1`); the catalog's `index` values make them stable.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::catalog::{DeviceProfile, Family, OutputKind, OutputSpec};
use crate::quantity::Quantity;
use crate::site::DeviceConfig;
use crate::validation::FieldError;

/// Longest custom label of an input or output.
pub const LABEL_MAX_CHARS: usize = 32;
/// Shortest ON time of a pulse: relays need tens of milliseconds to pull in.
pub const PULSE_MIN_MS: u32 = 100;
/// Longest ON time of a pulse; longer is a maintained command followed by an "off".
pub const PULSE_MAX_MS: u32 = 600_000;

/// What to do with an output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum OutputAction {
    On,
    Off,
    /// On for `on_time_ms`, then off.
    Pulse,
}

/// `POST /api/devices/{id}/outputs/{output}`: a command for one output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct OutputCommand {
    pub action: OutputAction,
    /// For a pulse only: how long the output stays on, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_time_ms: Option<u32>,
}

/// What became of an output command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct OutputResult {
    /// True when the device confirmed the write.
    pub ok: bool,
    /// What was written, or why it could not be.
    pub message: String,
    /// The output's state as the user sees it after the command (on = the load is supplied,
    /// whatever the relay's NO/NC wiring), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on: Option<bool>,
}

/// One input of an I/O module as the device page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct InputState {
    /// Label key, e.g. `digital_input.1`.
    pub key: String,
    pub quantity: Quantity,
    /// Number of the input (1-based).
    pub index: u8,
    /// The installer's label, if any (otherwise the quantity's name and the index).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// The latest value (0/1 for a digital input), when read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
}

/// One output of an I/O module as the device page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct OutputState {
    /// Label key, e.g. `output.1`.
    pub key: String,
    /// Number of the output (1-based), as in the command's path.
    pub index: u8,
    /// The installer's label, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Translation key of the catalog's default label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_label: Option<String>,
    pub kind: OutputKind,
    /// On as the user sees it (the load supplied), when read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on: Option<bool>,
    /// The relay's normal state read from the module: true for normally closed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub normally_closed: Option<bool>,
}

/// `GET /api/devices/{id}/io`: the inputs and outputs of an I/O module.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct DeviceIo {
    pub device_id: u32,
    pub inputs: Vec<InputState>,
    pub outputs: Vec<OutputState>,
    /// Unix milliseconds of the last read of the inputs and outputs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<i64>,
}

/// The label key of input `index` of `quantity`.
pub fn input_key(quantity: Quantity, index: u8) -> String {
    let name = quantity
        .label_key()
        .strip_prefix("quantity.")
        .unwrap_or(quantity.label_key());
    format!("{name}.{index}")
}

/// The label key of output `index`.
pub fn output_key(index: u8) -> String {
    format!("output.{index}")
}

/// Every label key a model offers: its indexed inputs (not the read-back of its outputs) and its
/// outputs, in catalog order.
pub fn label_keys(profile: &DeviceProfile) -> Vec<String> {
    let mut keys: Vec<String> = io_inputs(profile)
        .map(|(quantity, index)| input_key(quantity, index))
        .collect();
    keys.extend(
        profile
            .outputs
            .iter()
            .map(|output| output_key(output.index)),
    );
    keys
}

/// The inputs of a model: registers of indexed quantities other than an output's read-back.
pub fn io_inputs(profile: &DeviceProfile) -> impl Iterator<Item = (Quantity, u8)> + '_ {
    profile.registers.iter().filter_map(move |register| {
        let index = register.index?;
        let read_back = profile
            .outputs
            .iter()
            .any(|output| output.quantity == Some(register.quantity) && output.index == index);
        (!read_back).then_some((register.quantity, index))
    })
}

fn error(field: &'static str, code: &'static str, message: &'static str) -> FieldError {
    FieldError {
        field,
        code,
        message,
    }
}

/// Custom labels of a device of model `profile`: keys the model has, labels of 1 to 32
/// printable characters.
pub fn validate_labels(
    labels: &BTreeMap<String, String>,
    profile: Option<&DeviceProfile>,
) -> Result<(), FieldError> {
    if labels.is_empty() {
        return Ok(());
    }
    let keys = profile.map(label_keys).unwrap_or_default();
    for (key, label) in labels {
        if !keys.contains(key) {
            return Err(error(
                "labels",
                "error.label_unknown",
                "Labels are for the inputs and outputs of the device's model only.",
            ));
        }
        validate_label(label)?;
    }
    Ok(())
}

/// One custom label: 1 to 32 characters, not only spaces, no control characters.
pub fn validate_label(label: &str) -> Result<(), FieldError> {
    if label.trim().is_empty() {
        return Err(error(
            "labels",
            "error.label_empty",
            "A label is empty: clear the field to use the default label.",
        ));
    }
    if label.chars().count() > LABEL_MAX_CHARS {
        return Err(error(
            "labels",
            "error.label_too_long",
            "A label is longer than 32 characters.",
        ));
    }
    if label.chars().any(char::is_control) {
        return Err(error(
            "labels",
            "error.label_characters",
            "A label contains control characters.",
        ));
    }
    Ok(())
}

/// Why an output command cannot be sent. The status tells the server which HTTP answer fits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandRefused {
    pub error: FieldError,
    /// True when the request is fine but the device's state forbids it (switched off).
    pub conflict: bool,
}

/// Checks a command for output `output` of `device` (model `profile`), whose gateway is
/// `gateway_enabled`; returns the output to write.
pub fn validate_output_command<'a>(
    device: &DeviceConfig,
    profile: Option<&'a DeviceProfile>,
    gateway_enabled: bool,
    output: u8,
    command: &OutputCommand,
) -> Result<&'a OutputSpec, CommandRefused> {
    let refuse = |field, code, message| CommandRefused {
        error: error(field, code, message),
        conflict: false,
    };
    let Some(profile) = profile.filter(|profile| profile.family == Family::IoModule) else {
        return Err(refuse(
            "device",
            "error.not_io_module",
            "Only I/O modules take output commands.",
        ));
    };
    let Some(spec) = profile
        .output(output)
        .filter(|spec| spec.kind == OutputKind::Switch)
    else {
        return Err(refuse(
            "output",
            "error.output_unknown",
            "The module has no such switched output.",
        ));
    };
    match (command.action, command.on_time_ms) {
        (OutputAction::Pulse, Some(ms)) if (PULSE_MIN_MS..=PULSE_MAX_MS).contains(&ms) => {}
        (OutputAction::Pulse, _) => {
            return Err(refuse(
                "on_time_ms",
                "error.pulse_time_range",
                "The ON time of a pulse is between 100 ms and 600000 ms (10 minutes).",
            ));
        }
        (OutputAction::On | OutputAction::Off, Some(_)) => {
            return Err(refuse(
                "on_time_ms",
                "error.pulse_time_unexpected",
                "Only a pulse takes an ON time.",
            ));
        }
        (OutputAction::On | OutputAction::Off, None) => {}
    }
    if !device.enabled || !gateway_enabled {
        return Err(CommandRefused {
            error: error(
                "device",
                "error.device_off",
                "The device or its gateway is switched off: switch it on first.",
            ),
            conflict: true,
        });
    }
    Ok(spec)
}

/// The value to write to a switched output so that the user sees `on`: a normally closed relay
/// supplies its load when its coil is released, so its commands are inverted.
pub fn coil_state(on: bool, normally_closed: bool) -> bool {
    on != normally_closed
}

/// Translation keys of every error above, so a test can check the catalogs cover them.
pub const OUTPUT_ERROR_CODES: &[&str] = &[
    "error.label_unknown",
    "error.label_empty",
    "error.label_too_long",
    "error.label_characters",
    "error.not_io_module",
    "error.output_unknown",
    "error.pulse_time_range",
    "error.pulse_time_unexpected",
    "error.device_off",
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;

    fn catalog() -> Catalog {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/catalog");
        Catalog::load_dir(&dir).unwrap()
    }

    fn io_device() -> DeviceConfig {
        DeviceConfig {
            id: 9,
            gateway: 1,
            name: "IO".into(),
            model: "io-module-generic".into(),
            address: 20,
            ..DeviceConfig::default()
        }
    }

    #[test]
    fn the_io_module_offers_its_inputs_and_outputs_as_label_keys() {
        let catalog = catalog();
        let keys = label_keys(catalog.get("io-module-generic").unwrap());
        assert_eq!(
            keys,
            [
                "digital_input.1",
                "digital_input.2",
                "digital_input.3",
                "digital_input.4",
                "analog_input.1",
                "analog_input.2",
                "output.1",
                "output.2"
            ]
        );
        // A meter has none.
        assert!(label_keys(catalog.get("eastron-sdm630").unwrap()).is_empty());
    }

    #[test]
    fn labels_are_checked_against_the_model() {
        let catalog = catalog();
        let io = catalog.get("io-module-generic");
        let labels = |key: &str, label: &str| BTreeMap::from([(key.to_owned(), label.to_owned())]);
        assert_eq!(validate_labels(&labels("output.1", "Boiler"), io), Ok(()));
        assert_eq!(validate_labels(&BTreeMap::new(), None), Ok(()));
        let code = |result: Result<(), FieldError>| result.unwrap_err().code;
        assert_eq!(
            code(validate_labels(&labels("output.7", "X"), io)),
            "error.label_unknown"
        );
        assert_eq!(
            code(validate_labels(
                &labels("output.1", "X"),
                catalog.get("eastron-sdm630")
            )),
            "error.label_unknown"
        );
        assert_eq!(
            code(validate_labels(&labels("output.1", "  "), io)),
            "error.label_empty"
        );
        assert_eq!(
            code(validate_labels(&labels("output.1", &"é".repeat(33)), io)),
            "error.label_too_long"
        );
        assert_eq!(
            validate_labels(&labels("output.1", &"é".repeat(32)), io),
            Ok(())
        );
        assert_eq!(
            code(validate_labels(
                &labels("digital_input.2", "Door\nopen"),
                io
            )),
            "error.label_characters"
        );
    }

    #[test]
    fn commands_are_checked_before_they_reach_the_bus() {
        let catalog = catalog();
        let io = catalog.get("io-module-generic");
        let device = io_device();
        let on = OutputCommand {
            action: OutputAction::On,
            on_time_ms: None,
        };
        let pulse = |ms| OutputCommand {
            action: OutputAction::Pulse,
            on_time_ms: ms,
        };
        let code = |result: Result<&OutputSpec, CommandRefused>| result.unwrap_err().error.code;
        assert_eq!(
            validate_output_command(&device, io, true, 1, &on)
                .unwrap()
                .address,
            0
        );
        assert!(validate_output_command(&device, io, true, 2, &pulse(Some(500))).is_ok());
        assert_eq!(
            code(validate_output_command(
                &device,
                catalog.get("eastron-sdm630"),
                true,
                1,
                &on
            )),
            "error.not_io_module"
        );
        assert_eq!(
            code(validate_output_command(&device, None, true, 1, &on)),
            "error.not_io_module"
        );
        assert_eq!(
            code(validate_output_command(&device, io, true, 3, &on)),
            "error.output_unknown"
        );
        for bad in [None, Some(99), Some(600_001)] {
            assert_eq!(
                code(validate_output_command(&device, io, true, 1, &pulse(bad))),
                "error.pulse_time_range"
            );
        }
        assert_eq!(
            code(validate_output_command(
                &device,
                io,
                true,
                1,
                &OutputCommand {
                    action: OutputAction::Off,
                    on_time_ms: Some(500)
                }
            )),
            "error.pulse_time_unexpected"
        );
        let refused = validate_output_command(&device, io, false, 1, &on).unwrap_err();
        assert_eq!(
            (refused.error.code, refused.conflict),
            ("error.device_off", true)
        );
        let mut off = io_device();
        off.enabled = false;
        assert!(validate_output_command(&off, io, true, 1, &on).is_err());
    }

    #[test]
    fn a_normally_closed_relay_is_driven_inverted() {
        assert!(coil_state(true, false));
        assert!(!coil_state(false, false));
        assert!(!coil_state(true, true));
        assert!(coil_state(false, true));
    }

    #[test]
    fn every_error_is_translated_in_every_language() {
        use crate::i18n::{Language, Translations};
        for language in Language::ALL {
            let translations = Translations::load(language);
            for code in OUTPUT_ERROR_CODES {
                assert!(translations.contains(code), "{language:?} misses {code}");
            }
        }
    }

    #[test]
    fn commands_parse_from_the_documented_json() {
        let command: OutputCommand =
            serde_json::from_str(r#"{"action":"pulse","on_time_ms":1500}"#).unwrap();
        assert_eq!(command.action, OutputAction::Pulse);
        assert_eq!(command.on_time_ms, Some(1500));
        assert!(serde_json::from_str::<OutputCommand>(r#"{"action":"toggle"}"#).is_err());
        assert!(serde_json::from_str::<OutputCommand>(r#"{"action":"on","extra":1}"#).is_err());
    }
}
