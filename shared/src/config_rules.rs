//! The rules a gateway or device configuration must follow before the server accepts it
//! (§7.16.1). The browser runs them as the installer types; the server runs them again as the guard.

use crate::catalog::{Catalog, Family};
use crate::quantity::Commodity;
use crate::site::{DeviceConfig, GatewayConfig, GatewayLink, HanProtocol, LOAD_TYPES, SiteConfig};
use crate::validation::FieldError;

/// Longest gateway or device name.
pub const NAME_MAX_CHARS: usize = 32;
/// Longest gateway description.
pub const DESCRIPTION_MAX_CHARS: usize = 128;
/// Serial speeds an RS485 port offers.
pub const BAUD_RATES: [u32; 8] = [1200, 2400, 4800, 9600, 19_200, 38_400, 57_600, 115_200];
/// The model id of the "Generic Modbus meter", which has no catalog file: its one register is
/// configured on the device.
pub const GENERIC_MODEL: &str = "generic-modbus-meter";

fn error(field: &'static str, code: &'static str, message: &'static str) -> FieldError {
    FieldError {
        field,
        code,
        message,
    }
}

fn check_name(name: &str) -> Result<(), FieldError> {
    if name.chars().count() > NAME_MAX_CHARS {
        return Err(error(
            "name",
            "error.name_too_long",
            "The name is longer than 32 characters.",
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(error(
            "name",
            "error.name_characters",
            "The name contains control characters.",
        ));
    }
    Ok(())
}

/// A gateway's settings. `site` is the installation it joins (its own entry, if any, is skipped
/// by id when checking that names are unique).
pub fn validate_gateway(gateway: &GatewayConfig, site: &SiteConfig) -> Result<(), FieldError> {
    check_name(&gateway.name)?;
    let name = effective_gateway_name(gateway);
    if name.trim().is_empty() {
        return Err(error("name", "error.name_empty", "Enter a name."));
    }
    if site
        .gateways
        .iter()
        .any(|other| other.id != gateway.id && other.name.trim().eq_ignore_ascii_case(name.trim()))
    {
        return Err(error(
            "name",
            "error.name_taken",
            "Another gateway already has this name.",
        ));
    }
    if gateway.description.chars().count() > DESCRIPTION_MAX_CHARS {
        return Err(error(
            "description",
            "error.description_too_long",
            "The description is longer than 128 characters.",
        ));
    }
    match &gateway.link {
        GatewayLink::Local {
            serial_port,
            baud,
            stop_bits,
            timeout_ms,
            frame_gap_ms,
            ..
        } => {
            if serial_port.trim().is_empty()
                || serial_port.len() > 255
                || !serial_port.starts_with('/')
            {
                return Err(error(
                    "serial_port",
                    "error.serial_port_invalid",
                    "Enter the serial device path, e.g. /dev/ttyS0.",
                ));
            }
            if !BAUD_RATES.contains(baud) {
                return Err(error(
                    "baud",
                    "error.baud_invalid",
                    "Choose one of the offered speeds.",
                ));
            }
            if !matches!(stop_bits, 1 | 2) {
                return Err(error(
                    "stop_bits",
                    "error.stop_bits_invalid",
                    "Stop bits are 1 or 2.",
                ));
            }
            check_timeout(*timeout_ms)?;
            check_frame_gap(*frame_gap_ms, *baud)
        }
        GatewayLink::ModbusTcp {
            host,
            port,
            timeout_ms,
        } => {
            if !valid_host(host) {
                return Err(error(
                    "host",
                    "error.host_invalid",
                    "Enter an IP address or a host name.",
                ));
            }
            if *port == 0 {
                return Err(error(
                    "port",
                    "error.port_invalid",
                    "The port is between 1 and 65535.",
                ));
            }
            check_timeout(*timeout_ms)
        }
        GatewayLink::Han {
            serial_port,
            baud,
            data_bits,
            stop_bits,
            ..
        } => {
            if serial_port.trim().is_empty()
                || serial_port.len() > 255
                || !serial_port.starts_with('/')
            {
                return Err(error(
                    "serial_port",
                    "error.serial_port_invalid",
                    "Enter the serial device path, e.g. /dev/ttyUSB0.",
                ));
            }
            // Two gateways on one port would steal each other's bytes.
            if site.gateways.iter().any(|other| {
                other.id != gateway.id
                    && matches!(&other.link,
                        GatewayLink::Local { serial_port: port, .. }
                        | GatewayLink::Han { serial_port: port, .. } if port == serial_port)
            }) {
                return Err(error(
                    "serial_port",
                    "error.serial_port_taken",
                    "Another gateway already uses this serial port.",
                ));
            }
            if !BAUD_RATES.contains(baud) {
                return Err(error(
                    "baud",
                    "error.baud_invalid",
                    "Choose one of the offered speeds.",
                ));
            }
            if !matches!(data_bits, 7 | 8) {
                return Err(error(
                    "data_bits",
                    "error.data_bits_invalid",
                    "Data bits are 7 or 8.",
                ));
            }
            if !matches!(stop_bits, 1 | 2) {
                return Err(error(
                    "stop_bits",
                    "error.stop_bits_invalid",
                    "Stop bits are 1 or 2.",
                ));
            }
            check_kind_change(gateway, site)
        }
    }
}

/// The protocol devices on a link speak: `None` for Modbus, the HAN protocol otherwise.
fn link_protocol(link: &GatewayLink) -> Option<HanProtocol> {
    match link {
        GatewayLink::Han { protocol, .. } => Some(*protocol),
        _ => None,
    }
}

/// A gateway that has devices keeps speaking their protocol: Modbus devices cannot move onto a
/// HAN port, nor a P1 meter onto a DLMS one, by a change of the gateway's settings.
fn check_kind_change(gateway: &GatewayConfig, site: &SiteConfig) -> Result<(), FieldError> {
    let Some(current) = site.gateways.iter().find(|other| other.id == gateway.id) else {
        return Ok(());
    };
    let has_devices = site
        .devices
        .iter()
        .any(|device| device.gateway == gateway.id);
    if has_devices && link_protocol(&current.link) != link_protocol(&gateway.link) {
        return Err(error(
            "protocol",
            "error.gateway_kind_has_devices",
            "Delete the gateway's devices before changing what it speaks.",
        ));
    }
    Ok(())
}

/// Longest silence between frames an installer may ask for.
pub const FRAME_GAP_MAX_MS: u32 = 1000;

/// The silence the Modbus standard asks between RTU frames at `baud`: 3.5 characters of 11 bits,
/// rounded up to the millisecond.
pub fn min_frame_gap_ms(baud: u32) -> u32 {
    let baud = u64::from(baud.max(1));
    // 3.5 × 11 bits = 38.5 bits = 77 half bits.
    (77_000u64.div_ceil(2 * baud)) as u32
}

fn check_frame_gap(frame_gap_ms: Option<u32>, baud: u32) -> Result<(), FieldError> {
    match frame_gap_ms {
        Some(gap) if gap < min_frame_gap_ms(baud) || gap > FRAME_GAP_MAX_MS => Err(error(
            "frame_gap_ms",
            "error.frame_gap_invalid",
            "The gap between frames is at least 3.5 characters at the baud rate and at most 1000 ms.",
        )),
        _ => Ok(()),
    }
}

fn check_timeout(timeout_ms: u64) -> Result<(), FieldError> {
    if (20..=10_000).contains(&timeout_ms) {
        Ok(())
    } else {
        Err(error(
            "timeout_ms",
            "error.timeout_invalid",
            "The timeout is between 20 and 10000 ms.",
        ))
    }
}

/// IPv4, IPv6 or a DNS name (letters, digits, dashes and dots, labels of 1–63 characters).
fn valid_host(host: &str) -> bool {
    if host.parse::<std::net::IpAddr>().is_ok() {
        return true;
    }
    !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

/// The name a gateway gets when left empty: its address (§7.16.1.5).
pub fn effective_gateway_name(gateway: &GatewayConfig) -> String {
    if !gateway.name.trim().is_empty() {
        return gateway.name.trim().to_owned();
    }
    match &gateway.link {
        GatewayLink::Local { .. } => "Local".to_owned(),
        GatewayLink::ModbusTcp { host, .. } => host.clone(),
        GatewayLink::Han { serial_port, .. } => serial_port.clone(),
    }
}

/// The name a device gets when left empty (§7.16.1.5): its Modbus address, or address-position
/// for a pulse counter; followed by the gateway's name if that is already taken.
pub fn default_device_name(device: &DeviceConfig, site: &SiteConfig) -> String {
    let base = match device.position {
        Some(position) => format!("{}-{position}", device.address),
        None => device.address.to_string(),
    };
    let taken = |name: &str| {
        site.devices
            .iter()
            .any(|other| other.id != device.id && other.name.eq_ignore_ascii_case(name))
    };
    if !taken(&base) {
        return base;
    }
    let gateway = site
        .gateways
        .iter()
        .find(|gateway| gateway.id == device.gateway)
        .map(effective_gateway_name)
        .unwrap_or_default();
    format!("{base} ({gateway})")
}

/// Parses a register address written in hexadecimal, with or without `0x`.
pub fn parse_register(text: &str) -> Option<u16> {
    let digits = text.trim();
    let digits = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
        .unwrap_or(digits);
    if digits.is_empty() || digits.len() > 4 {
        return None;
    }
    u16::from_str_radix(digits, 16).ok()
}

/// A device's settings, with its name already defaulted. `site` is the installation it joins
/// (its own entry, if any, is skipped by id).
pub fn validate_device(
    device: &DeviceConfig,
    site: &SiteConfig,
    catalog: &Catalog,
) -> Result<(), FieldError> {
    let Some(gateway) = site
        .gateways
        .iter()
        .find(|gateway| gateway.id == device.gateway)
    else {
        return Err(error(
            "gateway",
            "error.gateway_unknown",
            "Choose a gateway.",
        ));
    };
    let profile = catalog.get(&device.model);
    let generic = device.model == GENERIC_MODEL;
    if profile.is_none() && !generic {
        return Err(error(
            "model",
            "error.model_unknown",
            "Choose a model from the catalog.",
        ));
    }
    // Smart meters sit on a HAN gateway of their protocol, alone; everything else speaks Modbus.
    let gateway_protocol = link_protocol(&gateway.link);
    if profile.and_then(|profile| profile.family.han_protocol()) != gateway_protocol {
        return Err(error(
            "model",
            "error.model_gateway_mismatch",
            if gateway_protocol.is_some() {
                "Choose a smart meter of the HAN gateway's protocol."
            } else {
                "A smart meter is read on a HAN gateway, not over Modbus."
            },
        ));
    }
    if gateway_protocol.is_some()
        && site
            .devices
            .iter()
            .any(|other| other.id != device.id && other.gateway == device.gateway)
    {
        return Err(error(
            "gateway",
            "error.han_one_meter",
            "A HAN port reads one meter, and this one already has it.",
        ));
    }
    if !(1..=247).contains(&device.address) {
        return Err(error(
            "address",
            "error.address_range",
            "The Modbus address is between 1 and 247.",
        ));
    }
    let concentrator = profile.is_some_and(|profile| profile.family == Family::PulseConcentrator);
    if concentrator {
        let channels = profile.and_then(|profile| profile.channels).unwrap_or(0);
        match device.position {
            Some(position) if (1..=channels).contains(&position) => {}
            _ => {
                return Err(error(
                    "position",
                    "error.position_invalid",
                    "Choose the counter's input position on the concentrator.",
                ));
            }
        }
        if !matches!(device.commodity, Some(Commodity::Water | Commodity::Gas)) {
            return Err(error(
                "commodity",
                "error.commodity_required",
                "Choose whether the counter meters water or gas.",
            ));
        }
        match device.pulse_weight {
            Some(weight) if weight.is_finite() && weight > 0.0 && weight <= 100.0 => {}
            _ => {
                return Err(error(
                    "pulse_weight",
                    "error.pulse_weight_invalid",
                    "Enter the volume of one pulse in m³ (e.g. 0.001 for one litre).",
                ));
            }
        }
    } else if device.position.is_some() {
        return Err(error(
            "position",
            "error.position_invalid",
            "Only pulse counters have a position.",
        ));
    }
    let same_address = site.devices.iter().any(|other| {
        other.id != device.id
            && other.gateway == device.gateway
            && other.address == device.address
            && (!concentrator || other.position == device.position || other.model != device.model)
    });
    if same_address {
        return Err(error(
            "address",
            "error.address_taken",
            "Another device on this gateway has this address.",
        ));
    }
    check_name(&device.name)?;
    if device.name.trim().is_empty() {
        return Err(error("name", "error.name_empty", "Enter a name."));
    }
    if site.devices.iter().any(|other| {
        other.id != device.id && other.name.trim().eq_ignore_ascii_case(device.name.trim())
    }) {
        return Err(error(
            "name",
            "error.name_taken",
            "Another device already has this name.",
        ));
    }
    let automatic_load = matches!(device.commodity, Some(Commodity::Water | Commodity::Gas))
        && matches!(device.load_type.as_str(), "water" | "gas");
    let known_load = LOAD_TYPES.contains(&device.load_type.as_str())
        || site.loads.iter().any(|load| load.id == device.load_type);
    if !automatic_load && !known_load {
        return Err(error(
            "load_type",
            "error.load_type_unknown",
            "Choose a load type.",
        ));
    }
    crate::installation::validate_device_groups(&device.groups, site)?;
    crate::output_rules::validate_labels(&device.labels, profile)?;
    if generic {
        let Some(register) = &device.generic else {
            return Err(error(
                "generic.register",
                "error.generic_register",
                "Enter the energy register in hexadecimal.",
            ));
        };
        if !matches!(register.function, 3 | 4) {
            return Err(error(
                "generic.function",
                "error.generic_function",
                "The read function is 3 or 4.",
            ));
        }
        let Some(address) = parse_register(&register.register) else {
            return Err(error(
                "generic.register",
                "error.generic_register",
                "Enter the energy register in hexadecimal.",
            ));
        };
        if !matches!(register.words, 1 | 2 | 4)
            || u32::from(address) + u32::from(register.words) > 0x1_0000
        {
            return Err(error(
                "generic.words",
                "error.generic_words",
                "The value spans 1, 2 or 4 words.",
            ));
        }
        if !(register.multiplier.is_finite() && register.multiplier > 0.0) {
            return Err(error(
                "generic.multiplier",
                "error.generic_multiplier",
                "The multiplier is a positive number.",
            ));
        }
    } else if device.generic.is_some() {
        return Err(error(
            "generic.register",
            "error.generic_register",
            "Only the generic Modbus meter takes a register.",
        ));
    }
    Ok(())
}

/// Translation keys of every error above, so a test can check the catalogs cover them.
pub const CONFIG_ERROR_CODES: &[&str] = &[
    "error.name_too_long",
    "error.name_characters",
    "error.name_empty",
    "error.name_taken",
    "error.description_too_long",
    "error.serial_port_invalid",
    "error.baud_invalid",
    "error.stop_bits_invalid",
    "error.timeout_invalid",
    "error.frame_gap_invalid",
    "error.host_invalid",
    "error.port_invalid",
    "error.serial_port_taken",
    "error.data_bits_invalid",
    "error.gateway_kind_has_devices",
    "error.gateway_unknown",
    "error.model_gateway_mismatch",
    "error.han_one_meter",
    "error.model_unknown",
    "error.address_range",
    "error.position_invalid",
    "error.commodity_required",
    "error.pulse_weight_invalid",
    "error.address_taken",
    "error.load_type_unknown",
    "error.label_too_long",
    "error.label_characters",
    "error.label_empty",
    "error.label_unknown",
    "error.generic_register",
    "error.generic_function",
    "error.generic_words",
    "error.generic_multiplier",
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::site::{GenericRegister, Parity};

    fn catalog() -> Catalog {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/catalog");
        Catalog::load_dir(&dir).unwrap()
    }

    fn site() -> SiteConfig {
        SiteConfig {
            gateways: vec![
                GatewayConfig {
                    id: 1,
                    name: "Local".into(),
                    description: String::new(),
                    link: GatewayLink::Local {
                        serial_port: "/dev/ttyS0".into(),
                        baud: 19_200,
                        parity: Parity::Even,
                        stop_bits: 1,
                        timeout_ms: 300,
                        frame_gap_ms: None,
                    },
                    enabled: true,
                },
                GatewayConfig {
                    id: 2,
                    name: "Building B".into(),
                    description: String::new(),
                    link: GatewayLink::ModbusTcp {
                        host: "192.168.1.20".into(),
                        port: 502,
                        timeout_ms: 500,
                    },
                    enabled: true,
                },
            ],
            devices: vec![meter(1, 1, 1, "Main")],
            ..SiteConfig::default()
        }
    }

    fn meter(id: u32, gateway: u32, address: u8, name: &str) -> DeviceConfig {
        DeviceConfig {
            id,
            gateway,
            name: name.into(),
            model: "eastron-sdm630".into(),
            address,
            enabled: true,
            load_type: "others".into(),
            ..DeviceConfig::default()
        }
    }

    fn field(result: Result<(), FieldError>) -> &'static str {
        result.unwrap_err().field
    }

    #[test]
    fn a_sound_device_passes_and_each_rule_names_its_field() {
        let (site, catalog) = (site(), catalog());
        assert_eq!(
            validate_device(&meter(0, 1, 2, "Flat 1"), &site, &catalog),
            Ok(())
        );
        // Same address on another gateway is fine.
        assert_eq!(
            validate_device(&meter(0, 2, 1, "B main"), &site, &catalog),
            Ok(())
        );
        assert_eq!(
            field(validate_device(&meter(0, 1, 1, "Other"), &site, &catalog)),
            "address"
        );
        assert_eq!(
            field(validate_device(&meter(0, 1, 0, "Other"), &site, &catalog)),
            "address"
        );
        assert_eq!(
            field(validate_device(&meter(0, 1, 248, "Other"), &site, &catalog)),
            "address"
        );
        assert_eq!(
            field(validate_device(&meter(0, 1, 2, "main"), &site, &catalog)),
            "name"
        );
        assert_eq!(
            field(validate_device(&meter(0, 1, 2, ""), &site, &catalog)),
            "name"
        );
        assert_eq!(
            field(validate_device(
                &meter(0, 1, 2, &"x".repeat(33)),
                &site,
                &catalog
            )),
            "name"
        );
        assert_eq!(
            field(validate_device(&meter(0, 9, 2, "X"), &site, &catalog)),
            "gateway"
        );
        let mut unknown = meter(0, 1, 2, "X");
        unknown.model = "nope".into();
        assert_eq!(field(validate_device(&unknown, &site, &catalog)), "model");
        let mut load = meter(0, 1, 2, "X");
        load.load_type = "rockets".into();
        assert_eq!(field(validate_device(&load, &site, &catalog)), "load_type");
        // Editing a device keeps its own name and address.
        assert_eq!(
            validate_device(&meter(1, 1, 1, "Main"), &site, &catalog),
            Ok(())
        );
    }

    #[test]
    fn pulse_counters_need_position_commodity_and_weight() {
        let (mut site, catalog) = (site(), catalog());
        let counter = |id, position| DeviceConfig {
            id,
            gateway: 1,
            name: format!("Counter {id}"),
            model: "pulse-concentrator-4".into(),
            address: 10,
            position: Some(position),
            commodity: Some(Commodity::Water),
            pulse_weight: Some(0.001),
            enabled: true,
            load_type: "water".into(),
            ..DeviceConfig::default()
        };
        assert_eq!(validate_device(&counter(0, 1), &site, &catalog), Ok(()));
        site.devices.push(counter(5, 1));
        assert_eq!(
            field(validate_device(&counter(0, 1), &site, &catalog)),
            "address"
        );
        assert_eq!(validate_device(&counter(0, 2), &site, &catalog), Ok(()));
        assert_eq!(
            field(validate_device(&counter(0, 5), &site, &catalog)),
            "position"
        );
        let mut no_commodity = counter(0, 2);
        no_commodity.commodity = None;
        assert_eq!(
            field(validate_device(&no_commodity, &site, &catalog)),
            "commodity"
        );
        let mut no_weight = counter(0, 2);
        no_weight.pulse_weight = Some(0.0);
        assert_eq!(
            field(validate_device(&no_weight, &site, &catalog)),
            "pulse_weight"
        );
        let mut meter_with_position = meter(0, 1, 3, "X");
        meter_with_position.position = Some(1);
        assert_eq!(
            field(validate_device(&meter_with_position, &site, &catalog)),
            "position"
        );
    }

    #[test]
    fn the_generic_meter_needs_a_sound_register() {
        let (site, catalog) = (site(), catalog());
        let generic = |function, register: &str, words, multiplier| DeviceConfig {
            model: GENERIC_MODEL.into(),
            generic: Some(GenericRegister {
                function,
                register: register.into(),
                words,
                multiplier,
            }),
            ..meter(0, 1, 5, "Generic")
        };
        assert_eq!(
            validate_device(&generic(4, "0x0048", 2, 0.01), &site, &catalog),
            Ok(())
        );
        assert_eq!(
            validate_device(&generic(3, "5B00", 4, 1.0), &site, &catalog),
            Ok(())
        );
        assert_eq!(
            field(validate_device(
                &generic(6, "0x48", 2, 1.0),
                &site,
                &catalog
            )),
            "generic.function"
        );
        assert_eq!(
            field(validate_device(&generic(3, "zz", 2, 1.0), &site, &catalog)),
            "generic.register"
        );
        assert_eq!(
            field(validate_device(
                &generic(3, "12345", 2, 1.0),
                &site,
                &catalog
            )),
            "generic.register"
        );
        assert_eq!(
            field(validate_device(
                &generic(3, "0x48", 3, 1.0),
                &site,
                &catalog
            )),
            "generic.words"
        );
        assert_eq!(
            field(validate_device(
                &generic(3, "0xFFFF", 2, 1.0),
                &site,
                &catalog
            )),
            "generic.words"
        );
        assert_eq!(
            field(validate_device(
                &generic(3, "0x48", 2, -1.0),
                &site,
                &catalog
            )),
            "generic.multiplier"
        );
    }

    #[test]
    fn gateways_are_checked_field_by_field() {
        let site = site();
        let tcp = |name: &str, host: &str, port, timeout_ms| GatewayConfig {
            id: 0,
            name: name.into(),
            description: String::new(),
            link: GatewayLink::ModbusTcp {
                host: host.into(),
                port,
                timeout_ms,
            },
            enabled: true,
        };
        assert_eq!(
            validate_gateway(&tcp("C", "10.0.0.7", 502, 500), &site),
            Ok(())
        );
        assert_eq!(
            validate_gateway(&tcp("C", "meter-gw.local", 502, 500), &site),
            Ok(())
        );
        assert_eq!(validate_gateway(&tcp("C", "::1", 502, 500), &site), Ok(()));
        // An empty name defaults to the address.
        assert_eq!(
            validate_gateway(&tcp("", "10.0.0.7", 502, 500), &site),
            Ok(())
        );
        assert_eq!(
            field(validate_gateway(
                &tcp("building b", "10.0.0.7", 502, 500),
                &site
            )),
            "name"
        );
        assert_eq!(
            field(validate_gateway(&tcp("C", "bad host!", 502, 500), &site)),
            "host"
        );
        assert_eq!(
            field(validate_gateway(&tcp("C", "", 502, 500), &site)),
            "host"
        );
        assert_eq!(
            field(validate_gateway(&tcp("C", "10.0.0.7", 0, 500), &site)),
            "port"
        );
        assert_eq!(
            field(validate_gateway(&tcp("C", "10.0.0.7", 502, 5), &site)),
            "timeout_ms"
        );
        let mut local = site.gateways[0].clone();
        assert_eq!(validate_gateway(&local, &site), Ok(()));
        local.link = GatewayLink::Local {
            serial_port: "/dev/ttyS0".into(),
            baud: 12345,
            parity: Parity::Even,
            stop_bits: 1,
            timeout_ms: 300,
            frame_gap_ms: None,
        };
        assert_eq!(field(validate_gateway(&local, &site)), "baud");
    }

    #[test]
    fn the_frame_gap_is_at_least_three_and_a_half_characters() {
        assert_eq!(min_frame_gap_ms(19_200), 3);
        assert_eq!(min_frame_gap_ms(9_600), 5);
        assert_eq!(min_frame_gap_ms(1_200), 33);
        assert_eq!(min_frame_gap_ms(115_200), 1);
        let site = site();
        let mut local = site.gateways[0].clone();
        let with_gap = |gap: Option<u32>, baud: u32| GatewayLink::Local {
            serial_port: "/dev/ttyS0".into(),
            baud,
            parity: Parity::Even,
            stop_bits: 1,
            timeout_ms: 300,
            frame_gap_ms: gap,
        };
        for (gap, baud, ok) in [
            (None, 1200, true),
            (Some(3), 19_200, true),
            (Some(2), 19_200, false),
            (Some(20), 1200, false),
            (Some(40), 1200, true),
            (Some(1000), 9600, true),
            (Some(1001), 9600, false),
        ] {
            local.link = with_gap(gap, baud);
            let result = validate_gateway(&local, &site);
            assert_eq!(result.is_ok(), ok, "{gap:?} at {baud}");
            if !ok {
                assert_eq!(field(result), "frame_gap_ms");
            }
        }
    }

    #[test]
    fn default_names_follow_the_manual() {
        let site = site();
        let mut device = meter(0, 1, 7, "");
        assert_eq!(default_device_name(&device, &site), "7");
        device.position = Some(2);
        assert_eq!(default_device_name(&device, &site), "7-2");
        let mut clash = site.clone();
        clash.devices.push(meter(9, 1, 3, "7"));
        let mut other = meter(0, 2, 7, "");
        other.gateway = 2;
        assert_eq!(default_device_name(&other, &clash), "7 (Building B)");
        let unnamed = GatewayConfig {
            name: String::new(),
            ..site.gateways[1].clone()
        };
        assert_eq!(effective_gateway_name(&unnamed), "192.168.1.20");
    }

    fn han_gateway(id: u32, port: &str, protocol: HanProtocol) -> GatewayConfig {
        GatewayConfig {
            id,
            name: format!("HAN {id}"),
            description: String::new(),
            link: protocol.default_link(port.into()),
            enabled: true,
        }
    }

    #[test]
    fn han_gateways_take_one_smart_meter_of_their_protocol() {
        let (mut site, catalog) = (site(), catalog());
        let han = han_gateway(3, "/dev/ttyUSB0", HanProtocol::DlmsHdlc);
        assert_eq!(validate_gateway(&han, &site), Ok(()));
        assert_eq!(
            han.link,
            GatewayLink::Han {
                serial_port: "/dev/ttyUSB0".into(),
                protocol: HanProtocol::DlmsHdlc,
                baud: 2400,
                parity: Parity::Even,
                data_bits: 8,
                stop_bits: 1
            }
        );
        // The RS485 port is not free for a HAN gateway.
        assert_eq!(
            field(validate_gateway(
                &han_gateway(3, "/dev/ttyS0", HanProtocol::P1),
                &site
            )),
            "serial_port"
        );
        let mut bad = han.clone();
        if let GatewayLink::Han { data_bits, .. } = &mut bad.link {
            *data_bits = 9;
        }
        assert_eq!(field(validate_gateway(&bad, &site)), "data_bits");
        let mut bad = han.clone();
        if let GatewayLink::Han { baud, .. } = &mut bad.link {
            *baud = 2401;
        }
        assert_eq!(field(validate_gateway(&bad, &site)), "baud");
        site.gateways.push(han);
        site.gateways
            .push(han_gateway(4, "/dev/ttyUSB1", HanProtocol::P1));

        let smart = |id, gateway, model: &str| DeviceConfig {
            model: model.into(),
            ..meter(id, gateway, 1, &format!("Smart {id}"))
        };
        assert_eq!(
            validate_device(&smart(0, 3, "han-dlms-meter"), &site, &catalog),
            Ok(())
        );
        assert_eq!(
            validate_device(&smart(0, 4, "p1-meter"), &site, &catalog),
            Ok(())
        );
        // Wrong protocol, Modbus model on a HAN port, smart meter on the RS485 port.
        for (gateway, model) in [
            (3, "p1-meter"),
            (3, "eastron-sdm630"),
            (1, "han-dlms-meter"),
        ] {
            assert_eq!(
                field(validate_device(&smart(0, gateway, model), &site, &catalog)),
                "model",
                "{model} on {gateway}"
            );
        }
        // One meter per HAN port; editing it is fine.
        site.devices.push(smart(7, 3, "han-dlms-meter"));
        assert_eq!(
            field(validate_device(
                &smart(0, 3, "han-dlms-meter"),
                &site,
                &catalog
            )),
            "gateway"
        );
        assert_eq!(
            validate_device(&smart(7, 3, "han-dlms-meter"), &site, &catalog),
            Ok(())
        );
        // A gateway with a meter keeps its protocol.
        let switched = han_gateway(3, "/dev/ttyUSB0", HanProtocol::P1);
        assert_eq!(field(validate_gateway(&switched, &site)), "protocol");
        let empty_switch = han_gateway(4, "/dev/ttyUSB1", HanProtocol::DlmsHdlc);
        assert_eq!(validate_gateway(&empty_switch, &site), Ok(()));
    }

    #[test]
    fn registers_parse_as_hexadecimal() {
        assert_eq!(parse_register("0x0048"), Some(0x48));
        assert_eq!(parse_register("5B00"), Some(0x5B00));
        assert_eq!(parse_register(" 48 "), Some(0x48));
        assert_eq!(parse_register(""), None);
        assert_eq!(parse_register("0x"), None);
        assert_eq!(parse_register("10000"), None);
    }
}
