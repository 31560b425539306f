//! The JSON API's request and response bodies, and the WebSocket's messages.

use serde::{Deserialize, Serialize};

use crate::quantity::{Commodity, Quantity};

/// `GET /api/health`: answered without a session, for supervisors and load balancers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Health {
    pub status: String,
    pub version: String,
    /// True until the first administrator has been created.
    pub setup_required: bool,
}

/// `GET /api/setup`: whether the one-time setup is still open.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SetupStatus {
    pub setup_required: bool,
}

/// `POST /api/setup`: creates the first administrator with the token the server printed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SetupRequest {
    pub token: String,
    pub username: String,
    pub password: String,
}

/// `POST /api/login`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

/// What a user may do; each role has its own set of pages (main manual §8.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Administrator,
    Installer,
    GreenUp,
    User,
    /// A user whose pages an administrator chose one by one (§8.1.2).
    Custom,
}

/// `GET /api/session`: who is logged in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SessionInfo {
    pub username: String,
    pub role: Role,
    /// The pages this user may open (see [`crate::Page`]).
    pub pages: Vec<crate::Page>,
    /// A tenant sees only these devices; `None`: every device.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub devices: Option<Vec<u32>>,
    /// The session is locked (§8.1.4): nothing but unlocking or logging out until the password
    /// or the PIN is given again.
    pub locked: bool,
    /// Whether the user chose a PIN to unlock with.
    pub has_pin: bool,
}

/// Every error the API returns: a message in English for logs and scripts, a translation key for
/// the user interface and, for bad input, the field at fault.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ApiError {
    pub message: String,
    pub code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// For a wrong password or PIN given to unlock a session: the tries left before it closes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tries_left: Option<u32>,
}

/// How a gateway reaches its devices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum GatewayKind {
    /// The box's own RS485 port (Modbus RTU).
    Local,
    /// A Modbus TCP gateway.
    ModbusTcp,
    /// A smart meter's HAN or P1 port, listened to.
    Han,
}

/// A gateway as listed in the UI.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct GatewayInfo {
    pub id: u32,
    pub name: String,
    pub kind: GatewayKind,
    /// Serial device path or `host:port`.
    pub address: String,
    pub enabled: bool,
}

/// A device's communication status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum DeviceStatus {
    /// Read successfully.
    On,
    /// Switched off by the user (or its gateway is).
    Off,
    /// Enabled but not answering correctly.
    CommunicationError,
    /// Enabled, not read yet since the start.
    Pending,
}

/// One measured value in the quantity's base unit (see [`Quantity::unit`]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Reading {
    pub quantity: Quantity,
    pub value: f64,
}

/// A device with its latest values, as My panel board shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct DeviceInfo {
    pub id: u32,
    pub gateway_id: u32,
    pub name: String,
    pub modbus_address: u8,
    /// Position on a pulse concentrator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<u8>,
    pub model_id: String,
    pub model_name: String,
    pub commodity: Commodity,
    pub status: DeviceStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    pub values: Vec<Reading>,
    /// Unix milliseconds of the last successful read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<i64>,
}

impl DeviceInfo {
    /// The latest value of `quantity`, if the device measures it.
    pub fn value(&self, quantity: Quantity) -> Option<f64> {
        self.values
            .iter()
            .find(|reading| reading.quantity == quantity)
            .map(|reading| reading.value)
    }
}

/// Pushed over `GET /api/live` (WebSocket) each time a device is read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LiveMessage {
    /// The latest state of one device.
    Device(DeviceInfo),
}

/// `GET /api/devices/{id}/energy/today`: consumption per hour of the current local day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct HourlyEnergy {
    pub device_id: u32,
    /// Local date, `YYYY-MM-DD`.
    pub date: String,
    /// The counter the consumption comes from.
    pub quantity: Quantity,
    /// One entry per local hour: 24, or 23 and 25 on the days the clocks change; `None` where
    /// nothing was recorded.
    pub hours: Vec<Option<f64>>,
    /// The local start of each entry of `hours`, `HH:MM`: the hour the clocks skip is missing
    /// and the one they repeat comes twice, so a chart labels its bars from these rather than
    /// counting from midnight.
    #[serde(default)]
    pub starts: Vec<String>,
}

/// Bus statistics of one device (`GET /api/diagnostics`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct DeviceDiagnostics {
    pub device_id: u32,
    pub name: String,
    /// Requests sent since the server started.
    pub requests: u64,
    /// Requests per second over the last minute.
    pub requests_per_second: f64,
    /// Reply time of the last requests, median and 95th percentile, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_median_ms: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_p95_ms: Option<f64>,
    pub timeouts: u64,
    pub crc_errors: u64,
    pub exceptions: u64,
    /// Other failures: garbled or short replies, replies from another unit, closed links.
    pub other_errors: u64,
    /// Of `other_errors`: replies too short or not fitting the request (noise on the line).
    #[serde(default)]
    pub garbled_frames: u64,
    /// Of `other_errors`: well-formed replies from another unit id (two devices at one address).
    #[serde(default)]
    pub wrong_unit_replies: u64,
    /// The reply timeout the poller uses for this device now, adapted to its reply times.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
    /// Unix milliseconds of the last successful read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_success: Option<i64>,
    /// While a failing device is backed off: seconds until it is probed again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_in_seconds: Option<u64>,
}

/// Bus statistics of one gateway and its devices.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct GatewayDiagnostics {
    pub gateway_id: u32,
    pub name: String,
    pub enabled: bool,
    pub devices: Vec<DeviceDiagnostics>,
}
