//! The installation as configured: gateways and the devices behind them.
//!
//! Kept as a TOML file in the data directory for now; the bus simulator writes one describing
//! exactly what it simulates, so the demo and the tests start with a matching installation.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::installation::{LoadType, MeasureGroup, PanelBoard, Recording};
use crate::quantity::Commodity;

/// Serial parity. Real RS485 meters mostly use even parity; pseudo-terminals accept only none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum Parity {
    None,
    #[default]
    Even,
    Odd,
}

/// How a gateway reaches its devices.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum GatewayLink {
    /// The box's RS485 port.
    Local {
        serial_port: String,
        #[serde(default = "default_baud")]
        baud: u32,
        #[serde(default)]
        parity: Parity,
        #[serde(default = "default_stop_bits")]
        stop_bits: u8,
        #[serde(default = "default_timeout_ms")]
        timeout_ms: u64,
        /// Silence kept between frames, in milliseconds; `None`: 3.5 characters at the baud
        /// rate, as the Modbus standard asks. Some devices need more time to turn around.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        frame_gap_ms: Option<u32>,
    },
    /// A Modbus TCP gateway.
    ModbusTcp {
        host: String,
        #[serde(default = "default_tcp_port")]
        port: u16,
        #[serde(default = "default_timeout_ms")]
        timeout_ms: u64,
    },
    /// A smart meter's customer port (HAN or P1), read directly: the meter pushes its readings
    /// on its own, nothing is polled, and exactly one meter sits behind the port.
    Han {
        serial_port: String,
        protocol: HanProtocol,
        /// 2400 for M-Bus HAN, 115200 for DSMR 4/5 P1 (see [`HanProtocol::default_baud`]).
        baud: u32,
        /// Even for M-Bus HAN, none for P1 (see [`HanProtocol::default_parity`]).
        parity: Parity,
        /// 8 on every current meter; 7 on DSMR 2.2 P1 ports.
        #[serde(default = "default_data_bits")]
        data_bits: u8,
        #[serde(default = "default_stop_bits")]
        stop_bits: u8,
    },
}

/// What a smart meter sends on its customer port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum HanProtocol {
    /// IEC 62056-46 HDLC frames carrying DLMS/COSEM data-notifications, on the M-Bus HAN port of
    /// Norwegian, Swedish, Danish and Swiss AMS meters (Kaifa, Aidon, Kamstrup, Landis+Gyr).
    #[default]
    DlmsHdlc,
    /// DSMR P1 text telegrams (the Netherlands, Belgium, Luxembourg, and the P1 variants of
    /// Nordic meters).
    P1,
}

impl HanProtocol {
    /// Both protocols, in the order the configuration form offers them.
    pub const ALL: [HanProtocol; 2] = [HanProtocol::DlmsHdlc, HanProtocol::P1];

    /// The speed the port runs at unless the meter's documentation says otherwise: 2400 baud on
    /// M-Bus HAN, 115200 on DSMR 4 and 5 P1 ports.
    pub fn default_baud(self) -> u32 {
        match self {
            HanProtocol::DlmsHdlc => 2400,
            HanProtocol::P1 => 115_200,
        }
    }

    /// Even parity on M-Bus HAN (8E1), none on P1 (8N1).
    pub fn default_parity(self) -> Parity {
        match self {
            HanProtocol::DlmsHdlc => Parity::Even,
            HanProtocol::P1 => Parity::None,
        }
    }

    /// The serialised name (`dlms_hdlc`, `p1`), also the suffix of its translation key.
    pub fn as_str(self) -> &'static str {
        match self {
            HanProtocol::DlmsHdlc => "dlms_hdlc",
            HanProtocol::P1 => "p1",
        }
    }

    /// The link a new gateway of this protocol starts with: the protocol's line settings.
    pub fn default_link(self, serial_port: String) -> GatewayLink {
        GatewayLink::Han {
            serial_port,
            protocol: self,
            baud: self.default_baud(),
            parity: self.default_parity(),
            data_bits: default_data_bits(),
            stop_bits: default_stop_bits(),
        }
    }
}

fn default_data_bits() -> u8 {
    8
}

fn default_baud() -> u32 {
    19_200
}
fn default_stop_bits() -> u8 {
    1
}
fn default_timeout_ms() -> u64 {
    300
}
fn default_tcp_port() -> u16 {
    502
}
fn enabled() -> bool {
    true
}

/// One gateway.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct GatewayConfig {
    /// Assigned by the server; ignored in create requests.
    #[serde(default)]
    pub id: u32,
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(flatten)]
    pub link: GatewayLink,
    #[serde(default = "enabled")]
    pub enabled: bool,
}

/// Which way the supply flows through a meter (§7.16.1.3): a meter wired "downstream" sees the
/// flow reversed, so its power changes sign and import and export swap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum SupplyDirection {
    #[default]
    Upstream,
    Downstream,
}

/// The "Generic Modbus meter" (§7.16.1.3): one register holding positive active energy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct GenericRegister {
    /// 3 (holding registers) or 4 (input registers).
    pub function: u8,
    /// Register address as the meter's documentation writes it, in hexadecimal (`0x0048` or `48`).
    pub register: String,
    /// 1, 2 or 4 words (unsigned, high word first).
    pub words: u8,
    /// Raw value × multiplier = kWh.
    pub multiplier: f64,
}

/// One device on a gateway.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct DeviceConfig {
    /// Assigned by the server; ignored in create requests.
    #[serde(default)]
    pub id: u32,
    pub gateway: u32,
    pub name: String,
    /// Catalog model id.
    pub model: String,
    /// Modbus unit id, 1 to 247.
    pub address: u8,
    /// Position on a pulse concentrator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<u8>,
    /// What a pulse counter meters (water or gas); meters take it from the catalog.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commodity: Option<Commodity>,
    /// Cubic metres per pulse, for pulse counters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pulse_weight: Option<f64>,
    #[serde(default = "enabled")]
    pub enabled: bool,
    /// Load type id (see [`LOAD_TYPES`]).
    #[serde(default = "default_load_type")]
    pub load_type: String,
    #[serde(default)]
    pub supply: SupplyDirection,
    /// Left out of grand totals and partials, still shown in Details (§7.16.1.4).
    #[serde(default)]
    pub exclude_from_totals: bool,
    /// No alert for this device's events.
    #[serde(default)]
    pub exclude_alerts: bool,
    /// Measure groups the device belongs to (at most five).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<u32>,
    /// Custom labels of inputs and outputs, by their catalog key.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub labels: std::collections::BTreeMap<String, String>,
    /// For the generic Modbus meter only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generic: Option<GenericRegister>,
}

impl Default for DeviceConfig {
    /// An enabled device of load type "others", everything else empty: the same defaults as a
    /// configuration file that leaves the fields out.
    fn default() -> Self {
        DeviceConfig {
            id: 0,
            gateway: 0,
            name: String::new(),
            model: String::new(),
            address: 0,
            position: None,
            commodity: None,
            pulse_weight: None,
            enabled: true,
            load_type: default_load_type(),
            supply: SupplyDirection::default(),
            exclude_from_totals: false,
            exclude_alerts: false,
            groups: Vec::new(),
            labels: std::collections::BTreeMap::new(),
            generic: None,
        }
    }
}

/// The predefined load types: the six RT 2012 usages and "others" (§7.16.2.2).
pub const LOAD_TYPES: [&str; 7] = [
    "heating",
    "cooling",
    "domestic_hot_water",
    "lighting",
    "ventilation",
    "sockets",
    "others",
];

fn default_load_type() -> String {
    "others".to_owned()
}

/// The whole installation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SiteConfig {
    #[serde(default)]
    pub gateways: Vec<GatewayConfig>,
    #[serde(default)]
    pub devices: Vec<DeviceConfig>,
    /// Load types (§7.16.2.2); the predefined ones are always there.
    #[serde(default = "crate::installation::default_loads")]
    pub loads: Vec<LoadType>,
    /// Measure groups (§7.16.2.3).
    #[serde(default)]
    pub groups: Vec<MeasureGroup>,
    /// Panel boards (§7.16.2.1).
    #[serde(default)]
    pub panel_boards: Vec<PanelBoard>,
    /// How often values are recorded (§7.16.4).
    #[serde(default)]
    pub recording: Recording,
    /// The highest ids ever given out.
    #[serde(default)]
    pub issued: IssuedIds,
    /// Separators of the CSV files (§8.4.1).
    #[serde(default)]
    pub csv: crate::consumption::CsvSettings,
}

/// The highest id ever given to each kind of record. An erased record's id is never given again,
/// so the history and references keyed by it cannot pass to a newcomer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct IssuedIds {
    #[serde(default)]
    pub gateway: u32,
    #[serde(default)]
    pub device: u32,
    #[serde(default)]
    pub group: u32,
    #[serde(default)]
    pub panel_board: u32,
}

/// One id past both the highest issued and the highest in use (an installation written by hand
/// or by an older version has ids nobody recorded as issued).
fn issue(issued: &mut u32, in_use: impl Iterator<Item = u32>) -> u32 {
    let id = (*issued).max(in_use.max().unwrap_or(0)) + 1;
    *issued = id;
    id
}

impl Default for SiteConfig {
    /// No gateway, no device, the predefined loads, the default sample rate.
    fn default() -> Self {
        SiteConfig {
            gateways: Vec::new(),
            devices: Vec::new(),
            loads: crate::installation::default_loads(),
            groups: Vec::new(),
            panel_boards: Vec::new(),
            recording: Recording::default(),
            issued: IssuedIds::default(),
            csv: crate::consumption::CsvSettings::default(),
        }
    }
}

/// Why a site configuration cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SiteError {
    #[error("gateway id {0} is used twice")]
    DuplicateGateway(u32),
    #[error("device id {0} is used twice")]
    DuplicateDevice(u32),
    #[error("device {device}: gateway {gateway} does not exist")]
    UnknownGateway { device: u32, gateway: u32 },
    #[error("device {device}: Modbus address {address} is outside 1 to 247")]
    BadAddress { device: u32, address: u8 },
    #[error("device {device}: address {address} is already used on its gateway")]
    AddressInUse { device: u32, address: u8 },
    #[error("device name {0:?} is used twice")]
    DuplicateName(String),
    #[error("device {0}: the name is empty")]
    EmptyName(u32),
    #[error("device {0}: the pulse weight must be a positive number of cubic metres")]
    BadPulseWeight(u32),
}

impl SiteConfig {
    /// A new gateway id, never given before.
    pub fn issue_gateway_id(&mut self) -> u32 {
        issue(&mut self.issued.gateway, self.gateways.iter().map(|g| g.id))
    }

    /// A new device id, never given before.
    pub fn issue_device_id(&mut self) -> u32 {
        issue(&mut self.issued.device, self.devices.iter().map(|d| d.id))
    }

    /// A new measure group id, never given before.
    pub fn issue_group_id(&mut self) -> u32 {
        issue(&mut self.issued.group, self.groups.iter().map(|g| g.id))
    }

    /// A new panel board id, never given before.
    pub fn issue_panel_board_id(&mut self) -> u32 {
        issue(
            &mut self.issued.panel_board,
            self.panel_boards.iter().map(|b| b.id),
        )
    }

    /// Checks the rules that do not need the catalog.
    pub fn validate(&self) -> Result<(), SiteError> {
        let mut gateway_ids = HashSet::new();
        for gateway in &self.gateways {
            if !gateway_ids.insert(gateway.id) {
                return Err(SiteError::DuplicateGateway(gateway.id));
            }
        }
        let mut device_ids = HashSet::new();
        let mut addresses = HashSet::new();
        let mut names = HashSet::new();
        for device in &self.devices {
            if !device_ids.insert(device.id) {
                return Err(SiteError::DuplicateDevice(device.id));
            }
            if !gateway_ids.contains(&device.gateway) {
                return Err(SiteError::UnknownGateway {
                    device: device.id,
                    gateway: device.gateway,
                });
            }
            if !(1..=247).contains(&device.address) {
                return Err(SiteError::BadAddress {
                    device: device.id,
                    address: device.address,
                });
            }
            // Pulse counters share their concentrator's address, one per position.
            if !addresses.insert((device.gateway, device.address, device.position)) {
                return Err(SiteError::AddressInUse {
                    device: device.id,
                    address: device.address,
                });
            }
            let name = device.name.trim();
            if name.is_empty() {
                return Err(SiteError::EmptyName(device.id));
            }
            if !names.insert(name.to_lowercase()) {
                return Err(SiteError::DuplicateName(device.name.clone()));
            }
            if let Some(weight) = device.pulse_weight
                && !(weight.is_finite() && weight > 0.0)
            {
                return Err(SiteError::BadPulseWeight(device.id));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site() -> SiteConfig {
        toml_like(
            r#"{"gateways":[{"id":1,"name":"Local","kind":"local","serial_port":"/dev/ttyS0"}],
                "devices":[{"id":1,"gateway":1,"name":"Main","model":"eastron-sdm630","address":1},
                           {"id":2,"gateway":1,"name":"Water","model":"pulse-concentrator-4","address":10,"position":1,"commodity":"water","pulse_weight":0.001},
                           {"id":3,"gateway":1,"name":"Gas","model":"pulse-concentrator-4","address":10,"position":2,"commodity":"gas","pulse_weight":0.01}]}"#,
        )
    }

    fn toml_like(json: &str) -> SiteConfig {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn an_erased_id_is_never_given_again() {
        let mut site = site();
        let first = site.issue_device_id();
        assert!(site.devices.iter().all(|device| device.id < first));
        site.devices.push(DeviceConfig {
            id: first,
            gateway: 1,
            name: "New".into(),
            model: "eastron-sdm120".into(),
            address: 9,
            ..DeviceConfig::default()
        });
        site.devices.retain(|device| device.id != first);
        assert_eq!(site.issue_device_id(), first + 1);
        // Kept across a save and a reload.
        let reloaded: SiteConfig =
            serde_json::from_str(&serde_json::to_string(&site).unwrap()).unwrap();
        let mut reloaded = reloaded;
        assert_eq!(reloaded.issue_device_id(), first + 2);
        assert_eq!(reloaded.issue_group_id(), 1);
        assert_eq!(reloaded.issue_group_id(), 2);
    }

    #[test]
    fn defaults_are_the_manuals() {
        let site = site();
        assert_eq!(
            site.gateways[0].link,
            GatewayLink::Local {
                serial_port: "/dev/ttyS0".into(),
                baud: 19_200,
                parity: Parity::Even,
                stop_bits: 1,
                timeout_ms: 300,
                frame_gap_ms: None,
            }
        );
        assert!(site.devices[0].enabled);
        assert_eq!(site.validate(), Ok(()));
    }

    #[test]
    fn pulse_counters_share_an_address_by_position_only() {
        let mut site = site();
        site.devices[2].position = Some(1);
        assert!(matches!(
            site.validate(),
            Err(SiteError::AddressInUse { device: 3, .. })
        ));
    }

    #[test]
    fn broken_sites_are_refused() {
        let mut bad = site();
        bad.devices[0].address = 0;
        assert!(matches!(bad.validate(), Err(SiteError::BadAddress { .. })));
        let mut bad = site();
        bad.devices[1].name = "main".into();
        assert!(matches!(bad.validate(), Err(SiteError::DuplicateName(_))));
        let mut bad = site();
        bad.devices[0].gateway = 9;
        assert!(matches!(
            bad.validate(),
            Err(SiteError::UnknownGateway { .. })
        ));
        let mut bad = site();
        bad.devices[1].pulse_weight = Some(-1.0);
        assert!(matches!(bad.validate(), Err(SiteError::BadPulseWeight(2))));
        let mut bad = site();
        bad.devices[1].id = 1;
        assert!(matches!(bad.validate(), Err(SiteError::DuplicateDevice(1))));
    }
}
