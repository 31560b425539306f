//! Maps the body of a data-notification onto a [`HanReading`]: which value is which quantity,
//! and in which unit.
//!
//! Push lists come in four layouts:
//! - positional, no OBIS codes (Kaifa, Norwegian lists 1–3): the element count and the list
//!   version say what each element is;
//! - an array of `{OBIS, value, {scaler, unit}}` structures (Aidon, Norway and Sweden);
//! - a flat structure alternating OBIS and value (Kamstrup, Swedish Kaifa), no scaler;
//! - a structure whose first element lists the captured objects and the rest their values
//!   (Landis+Gyr E450 push setup), no scaler.
//!
//! Values without a scaler get the unit their maker's HAN documentation gives; see
//! [`default_exponent`].

use thiserror::Error;

use super::axdr::Value;
use super::clock::MeterClock;
use super::dlms::DataNotification;
use super::obis::{self, Obis};
use super::reading::{HanReading, Manufacturer};

/// Why a notification body could not be read as a meter list.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ListError {
    #[error("notification body is not a structure or array")]
    NotAList,
    #[error("positional list with {elements} elements matches no known layout")]
    UnknownLayout { elements: usize },
}

/// What a value in a list means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    ListVersion,
    MeterId,
    MeterType,
    Clock,
    PowerImport,
    PowerExport,
    ReactiveImport,
    ReactiveExport,
    PhasePowerImport(usize),
    PhasePowerExport(usize),
    PhaseReactiveImport(usize),
    PhaseReactiveExport(usize),
    Current(usize),
    Voltage(usize),
    EnergyImport,
    EnergyExport,
    ReactiveEnergyImport,
    ReactiveEnergyExport,
}

/// Unit family of a numeric field, for the default scale of lists without scalers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Power,
    Current,
    Voltage,
    Energy,
}

impl Field {
    fn kind(self) -> Option<Kind> {
        use Field::*;
        match self {
            ListVersion | MeterId | MeterType | Clock => None,
            Current(_) => Some(Kind::Current),
            Voltage(_) => Some(Kind::Voltage),
            EnergyImport | EnergyExport | ReactiveEnergyImport | ReactiveEnergyExport => {
                Some(Kind::Energy)
            }
            _ => Some(Kind::Power),
        }
    }

    /// The field an OBIS code names (channel B and billing period F ignored).
    fn for_obis(code: Obis) -> Option<Field> {
        const SIMPLE: [(Obis, Field); 12] = [
            (obis::ACTIVE_POWER_IMPORT, Field::PowerImport),
            (obis::ACTIVE_POWER_EXPORT, Field::PowerExport),
            (obis::REACTIVE_POWER_IMPORT, Field::ReactiveImport),
            (obis::REACTIVE_POWER_EXPORT, Field::ReactiveExport),
            (obis::ACTIVE_ENERGY_IMPORT, Field::EnergyImport),
            (obis::ACTIVE_ENERGY_EXPORT, Field::EnergyExport),
            (obis::REACTIVE_ENERGY_IMPORT, Field::ReactiveEnergyImport),
            (obis::REACTIVE_ENERGY_EXPORT, Field::ReactiveEnergyExport),
            (obis::CLOCK, Field::Clock),
            (obis::LIST_VERSION, Field::ListVersion),
            (obis::METER_ID, Field::MeterId),
            (obis::METER_TYPE, Field::MeterType),
        ];
        /// Per-phase codes and the field each phase index maps to.
        type Phased = ([Obis; 3], fn(usize) -> Field);
        const PHASED: [Phased; 6] = [
            (obis::CURRENT, Field::Current),
            (obis::VOLTAGE, Field::Voltage),
            (obis::ACTIVE_POWER_IMPORT_PHASE, Field::PhasePowerImport),
            (obis::ACTIVE_POWER_EXPORT_PHASE, Field::PhasePowerExport),
            (
                obis::REACTIVE_POWER_IMPORT_PHASE,
                Field::PhaseReactiveImport,
            ),
            (
                obis::REACTIVE_POWER_EXPORT_PHASE,
                Field::PhaseReactiveExport,
            ),
        ];
        // Kamstrup's own codes for id and type; checked with B so that DSMR's 0-0:96.1.1
        // (equipment id, A = 0) is not mistaken for a type.
        if code.same_quantity(obis::METER_ID_KAMSTRUP) {
            return Some(Field::MeterId);
        }
        if code.same_quantity(obis::METER_TYPE_KAMSTRUP) {
            return Some(Field::MeterType);
        }
        if let Some((_, field)) = SIMPLE.iter().find(|(known, _)| code.same_quantity(*known)) {
            return Some(*field);
        }
        PHASED.iter().find_map(|(codes, make)| {
            codes
                .iter()
                .position(|known| code.same_quantity(*known))
                .map(make)
        })
    }
}

/// Decimal exponent of the unit a maker uses for values sent without a scaler.
///
/// - Kaifa: W/var, 1 mA, 0.1 V, Wh (Kaifa HAN interface description, confirmed by every vector).
/// - Kamstrup: W/var, 0.01 A, 1 V and energy in units of **10 Wh**. That is the Norwegian
///   Kamstrup HAN specification, and what the public decoders (amsreader, amshan) apply. A Swedish
///   user reported his Omnipower's counter reads in Wh (vector `kamstrup_gh239-2_amsreader`); the
///   frame carries nothing to tell them apart, so we decode every Kamstrup list the same way
///   (10 Wh) rather than guess by country. A per-device override is the fix if it proves true.
/// - Aidon always sends scalers; the fallback mirrors its usual ones.
/// - Unknown (Landis+Gyr E450 push): W, Wh and 0.01 A, the assumption amsreader shares; the
///   E450 push carries no voltages.
fn default_exponent(manufacturer: Manufacturer, kind: Kind) -> i8 {
    use Kind::*;
    use Manufacturer::*;
    match (manufacturer, kind) {
        (_, Power) => 0,
        (Kaifa, Current) => -3,
        (Kaifa, Voltage) | (Aidon, Current) | (Aidon, Voltage) | (Unknown, Voltage) => -1,
        (Kamstrup, Current) | (Unknown, Current) => -2,
        (Kamstrup, Voltage) => 0,
        (Kaifa, Energy) | (Unknown, Energy) => 0,
        (Kamstrup, Energy) | (Aidon, Energy) => 1,
    }
}

/// `raw × 10^exponent`, dividing for negative exponents so that 2322 × 10⁻¹ is exactly 232.2.
fn scale(raw: f64, exponent: i8) -> f64 {
    let factor = 10f64.powi(i32::from(exponent.unsigned_abs()));
    if exponent < 0 {
        raw / factor
    } else {
        raw * factor
    }
}

/// One value of the list, with its OBIS code and scaler when the list carries them.
struct Record<'a> {
    obis: Option<Obis>,
    value: &'a Value,
    /// Decimal exponent from a `{scaler, unit}` structure.
    scaler: Option<i8>,
}

/// An OBIS code in a list is an octet-string of six bytes whose first group is a small medium
/// number; a six-character ASCII id starts with a printable byte and is not taken for one.
fn as_obis(value: &Value) -> Option<Obis> {
    match value {
        Value::OctetString(bytes) => Obis::from_bytes(bytes).filter(|code| code.a() < 0x20),
        _ => None,
    }
}

/// `{integer scaler, enum unit}`.
fn as_scaler(value: &Value) -> Option<i8> {
    match value.elements()? {
        [Value::I8(scaler), Value::Enum(_)] => Some(*scaler),
        _ => None,
    }
}

/// Which of the four layouts a body has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    CaptureObjects,
    /// Aidon's array of `{OBIS, value, {scaler, unit}}`; no other maker uses it on HAN.
    TaggedStructures,
    /// Alternating OBIS and value, or positional when no OBIS code turns up.
    Flat,
}

/// Flattens the body into records, whichever of the four layouts it has.
fn records(body: &Value) -> Result<(Layout, Vec<Record<'_>>), ListError> {
    let items = body.elements().ok_or(ListError::NotAList)?;

    // Landis+Gyr: element 0 is the capture-object list {class, OBIS, attribute, index} of the
    // push setup, one entry per element of the structure (the list itself included).
    if let Some(Value::Array(captures)) = items.first()
        && captures.len() == items.len()
        && !captures.is_empty()
    {
        let codes: Option<Vec<Obis>> = captures
            .iter()
            .map(|capture| capture.elements().and_then(|c| c.get(1)).and_then(as_obis))
            .collect();
        if let Some(codes) = codes {
            return Ok((
                Layout::CaptureObjects,
                codes
                    .into_iter()
                    .zip(items)
                    .skip(1)
                    .map(|(code, value)| Record {
                        obis: Some(code),
                        value,
                        scaler: None,
                    })
                    .collect(),
            ));
        }
    }

    // Aidon: every element is a structure {OBIS, value[, {scaler, unit}]}.
    let tagged_structures = !items.is_empty()
        && items.iter().all(|item| {
            matches!(item, Value::Structure(fields) if fields.len() >= 2 && as_obis(&fields[0]).is_some())
        });
    if tagged_structures {
        return Ok((
            Layout::TaggedStructures,
            items
                .iter()
                .filter_map(|item| match item.elements()? {
                    [code, value, rest @ ..] => Some(Record {
                        obis: as_obis(code),
                        value,
                        scaler: rest.first().and_then(as_scaler),
                    }),
                    _ => None,
                })
                .collect(),
        ));
    }

    // Kamstrup / Swedish Kaifa: OBIS, value, OBIS, value … with untagged items (a leading list
    // version, null padding for absent phases) in between. Kaifa's positional lists have no
    // OBIS code at all and come out as untagged records.
    let mut out = Vec::with_capacity(items.len());
    let mut index = 0;
    while let Some(item) = items.get(index) {
        match (as_obis(item), items.get(index + 1)) {
            (Some(code), Some(value)) => {
                out.push(Record {
                    obis: Some(code),
                    value,
                    scaler: None,
                });
                index += 2;
            }
            _ => {
                out.push(Record {
                    obis: None,
                    value: item,
                    scaler: None,
                });
                index += 1;
            }
        }
    }
    Ok((Layout::Flat, out))
}

/// Kaifa's positional layouts, chosen by element count.
fn kaifa_layout(elements: usize) -> Option<Vec<Field>> {
    use Field::*;
    let one_phase = [
        ListVersion,
        MeterId,
        MeterType,
        PowerImport,
        PowerExport,
        ReactiveImport,
        ReactiveExport,
        Current(0),
        Voltage(0),
    ];
    let three_phase = [
        ListVersion,
        MeterId,
        MeterType,
        PowerImport,
        PowerExport,
        ReactiveImport,
        ReactiveExport,
        Current(0),
        Current(1),
        Current(2),
        Voltage(0),
        Voltage(1),
        Voltage(2),
    ];
    let hourly = [
        Clock,
        EnergyImport,
        EnergyExport,
        ReactiveEnergyImport,
        ReactiveEnergyExport,
    ];
    Some(match elements {
        1 => vec![PowerImport],
        9 => one_phase.to_vec(),
        13 => three_phase.to_vec(),
        14 => [&one_phase[..], &hourly[..]].concat(),
        18 => [&three_phase[..], &hourly[..]].concat(),
        _ => return None,
    })
}

fn manufacturer_from_version(version: &str) -> Manufacturer {
    let upper = version.to_ascii_uppercase();
    if upper.starts_with("KFM") {
        Manufacturer::Kaifa
    } else if upper.starts_with("AIDON") {
        Manufacturer::Aidon
    } else if upper.starts_with("KAMSTRUP") {
        Manufacturer::Kamstrup
    } else {
        Manufacturer::Unknown
    }
}

/// Reads a notification as a meter list.
pub fn decode_notification(notification: &DataNotification) -> Result<HanReading, ListError> {
    let (layout, records) = records(&notification.body)?;
    let tagged = records.iter().any(|record| record.obis.is_some());

    let version = records
        .iter()
        .find(|record| match record.obis {
            Some(code) => code.same_quantity(obis::LIST_VERSION),
            None => record.value.as_bytes().is_some(),
        })
        .and_then(|record| record.value.as_text());

    let fields: Vec<(Option<Field>, &Record<'_>)> = if tagged {
        records
            .iter()
            .map(|record| {
                let field = match record.obis {
                    Some(code) => Field::for_obis(code),
                    // Kamstrup's list version is the one untagged string.
                    None if record.value.as_bytes().is_some() => Some(Field::ListVersion),
                    None => None,
                };
                (field, record)
            })
            .collect()
    } else {
        let layout = kaifa_layout(records.len()).ok_or(ListError::UnknownLayout {
            elements: records.len(),
        })?;
        layout.into_iter().map(Some).zip(records.iter()).collect()
    };

    let manufacturer = match &version {
        Some(version) => manufacturer_from_version(version),
        // Only Kaifa sends a bare positional list 1, only Aidon the scaler-unit structures.
        None if !tagged => Manufacturer::Kaifa,
        None if layout == Layout::TaggedStructures => Manufacturer::Aidon,
        None => Manufacturer::Unknown,
    };

    let mut reading = HanReading {
        manufacturer: Some(manufacturer),
        ..HanReading::default()
    };
    for (field, record) in fields {
        if let Some(field) = field {
            assign(&mut reading, field, record, manufacturer);
        }
    }
    if reading.meter_clock.is_none() {
        reading.meter_clock = notification.clock();
    }
    Ok(reading)
}

fn assign(reading: &mut HanReading, field: Field, record: &Record<'_>, manufacturer: Manufacturer) {
    let text = || record.value.as_text();
    match field {
        Field::ListVersion => reading.list_version = text(),
        Field::MeterId => reading.meter_id = text(),
        Field::MeterType => reading.meter_type = text(),
        Field::Clock => {
            let clock = match record.value {
                Value::OctetString(bytes) | Value::DateTime(bytes) => MeterClock::from_cosem(bytes),
                _ => None,
            };
            if clock.is_some() {
                reading.meter_clock = clock;
            }
        }
        _ => {
            let (Some(raw), Some(kind)) = (record.value.as_f64(), field.kind()) else {
                return;
            };
            let exponent = record
                .scaler
                .unwrap_or_else(|| default_exponent(manufacturer, kind));
            let value = Some(scale(raw, exponent));
            match field {
                Field::PowerImport => reading.active_power_import_w = value,
                Field::PowerExport => reading.active_power_export_w = value,
                Field::ReactiveImport => reading.reactive_power_import_var = value,
                Field::ReactiveExport => reading.reactive_power_export_var = value,
                Field::PhasePowerImport(p) => {
                    set(&mut reading.active_power_import_phase_w, p, value)
                }
                Field::PhasePowerExport(p) => {
                    set(&mut reading.active_power_export_phase_w, p, value)
                }
                Field::PhaseReactiveImport(p) => {
                    set(&mut reading.reactive_power_import_phase_var, p, value)
                }
                Field::PhaseReactiveExport(p) => {
                    set(&mut reading.reactive_power_export_phase_var, p, value)
                }
                Field::Current(p) => set(&mut reading.current_a, p, value),
                Field::Voltage(p) => set(&mut reading.voltage_v, p, value),
                Field::EnergyImport => reading.active_energy_import_wh = value,
                Field::EnergyExport => reading.active_energy_export_wh = value,
                Field::ReactiveEnergyImport => reading.reactive_energy_import_varh = value,
                Field::ReactiveEnergyExport => reading.reactive_energy_export_varh = value,
                Field::ListVersion | Field::MeterId | Field::MeterType | Field::Clock => {}
            }
        }
    }
}

fn set(slots: &mut [Option<f64>; 3], phase: usize, value: Option<f64>) {
    if let Some(slot) = slots.get_mut(phase) {
        *slot = value;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::acquisition::han::dlms::{Apdu, parse_apdu};

    fn hex(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
            .collect()
    }

    fn decode(payload: &str) -> HanReading {
        let Apdu::DataNotification(n) = parse_apdu(&hex(payload)).unwrap() else {
            panic!("not a notification");
        };
        decode_notification(&n).unwrap()
    }

    #[test]
    fn kaifa_positional_list2() {
        let r = decode(
            "E6E7000F40000000090C07E40119060D091EFF800000020D09074B464D5F30303109103639373036333134303236313434373609084D4133303448334506000026110600000000060000000006000001B306000084150600006DC7060000470206000008780600000000060000088C",
        );
        assert_eq!(r.manufacturer, Some(Manufacturer::Kaifa));
        assert_eq!(r.list_version.as_deref(), Some("KFM_001"));
        assert_eq!(r.meter_type.as_deref(), Some("MA304H3E"));
        assert_eq!(r.active_power_import_w, Some(9745.0));
        assert_eq!(r.current_a, [Some(33.813), Some(28.103), Some(18.178)]);
        assert_eq!(r.voltage_v, [Some(216.8), Some(0.0), Some(218.8)]);
        assert_eq!(r.meter_clock.unwrap().to_iso8601(), "2020-01-25T13:09:30");
    }

    #[test]
    fn aidon_scaler_applies() {
        let r = decode("E6E7000F40000000000101020309060100010700FF060000011802020F00161B");
        assert_eq!(r.manufacturer, Some(Manufacturer::Aidon));
        assert_eq!(r.active_power_import_w, Some(280.0));
    }

    #[test]
    fn kamstrup_null_padding_and_10_wh_energy() {
        let r = decode(
            "E6E7000F000000000C07E50B1803000019FF80000002230A0E4B616D73747275705F563030303109060101000005FF0A103537303537303537303537303537303209060101600101FF0A1236383631313131424E32343231303130343009060101010700FF060000274209060101020700FF060000000009060101030700FF060000000009060101040700FF0600000117090601011F0700FF06000011A00000000009060101200700FF1200DF0000000009060001010000FF090C07E50B1803000019FF80000009060101010800FF0600762EE209060101020800FF060000000009060101030800FF06000035A309060101040800FF0600116B53",
        );
        assert_eq!(r.manufacturer, Some(Manufacturer::Kamstrup));
        assert_eq!(r.meter_id.as_deref(), Some("5705705705705702"));
        assert_eq!(r.meter_type.as_deref(), Some("6861111BN242101040"));
        assert_eq!(r.current_a, [Some(45.12), None, None]);
        assert_eq!(r.voltage_v, [Some(223.0), None, None]);
        assert_eq!(r.active_energy_import_wh, Some(77_452_500.0));
    }

    #[test]
    fn unknown_positional_layout_is_an_error() {
        let n = DataNotification {
            invoke_id: 0,
            date_time: None,
            body: Value::Structure(vec![Value::U8(1), Value::U8(2)]),
        };
        assert_eq!(
            decode_notification(&n),
            Err(ListError::UnknownLayout { elements: 2 })
        );
        let n = DataNotification {
            body: Value::U8(1),
            ..n
        };
        assert_eq!(decode_notification(&n), Err(ListError::NotAList));
    }

    #[test]
    fn six_character_ascii_is_not_an_obis_code() {
        assert_eq!(as_obis(&Value::OctetString(b"MA304H".to_vec())), None);
        assert_eq!(
            as_obis(&Value::OctetString(vec![1, 0, 1, 7, 0, 255])),
            Some(obis::ACTIVE_POWER_IMPORT)
        );
    }
}
