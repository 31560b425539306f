//! Listening to a smart meter's HAN or P1 port: one task per HAN gateway owns the serial port,
//! feeds what arrives to the decoder of the gateway's protocol, and turns each reading into live
//! values (metered and estimated, see [`super::estimator`]).
//!
//! Nothing is asked of the meter: it pushes on its own. So "communication error" here means the
//! port failed to open or read, or no valid frame arrived for [`SILENCE`] (three times the
//! slowest push interval of the supported meters, 10 s); the task then reopens the port with a
//! growing back-off, and the device page says why.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use shared::{DeviceConfig, GatewayConfig, GatewayLink, HanProtocol, Parity, Reading};
use thiserror::Error;
use tokio::io::AsyncReadExt;
use tokio_serial::{SerialPortBuilderExt, SerialStream};
use tracing::{debug, info, warn};

use super::decoder::{HanDecoder, HanError};
use super::estimator::EnergyEstimator;
use super::hdlc::HdlcError;
use super::p1::{P1Error, TelegramReader};
use super::reading::HanReading;
use crate::acquisition::{Diagnostics, Outcome, TestReport, now_ms};
use crate::live::LiveState;

/// No valid frame for this long is a communication error: meters push every 2 s (Kaifa list 1)
/// to 10 s (Kamstrup, DSMR 4 P1), so three missed pushes of the slowest.
pub const SILENCE: Duration = Duration::from_secs(30);
/// How long a test listens for the first valid frame: one push of the slowest meter, plus margin.
pub const TEST_LISTEN: Duration = Duration::from_secs(12);
/// Longest wait before reopening a port that failed.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Why listening stopped.
#[derive(Debug, Error)]
pub enum ListenError {
    #[error("not a HAN/P1 gateway")]
    NotHan,
    #[error("cannot open serial port {path}: {source}")]
    Open {
        path: String,
        #[source]
        source: tokio_serial::Error,
    },
    #[error("cannot read serial port {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("serial port {path} was closed")]
    Closed { path: String },
    #[error(
        "no data from the meter for {seconds} s: check the cable and that the meter's customer port is enabled"
    )]
    Silent { seconds: u64 },
    #[error("no valid frame from the meter for {seconds} s; last error: {last_error}")]
    NoValidFrame { seconds: u64, last_error: String },
}

/// The decoder of one protocol.
#[derive(Debug)]
enum PortDecoder {
    Dlms(Box<HanDecoder>),
    P1(TelegramReader),
}

/// A frame the decoder rejected, with how the bus diagnostics count it.
struct Rejected {
    outcome: Outcome,
    message: String,
}

impl PortDecoder {
    fn new(protocol: HanProtocol) -> Self {
        match protocol {
            HanProtocol::DlmsHdlc => PortDecoder::Dlms(Box::default()),
            HanProtocol::P1 => PortDecoder::P1(TelegramReader::new()),
        }
    }

    fn push(&mut self, bytes: &[u8]) {
        match self {
            PortDecoder::Dlms(decoder) => decoder.push(bytes),
            PortDecoder::P1(reader) => reader.push(bytes),
        }
    }

    fn pop(&mut self) -> Option<Result<HanReading, Rejected>> {
        match self {
            PortDecoder::Dlms(decoder) => Some(decoder.pop()?.map_err(|error| Rejected {
                outcome: match error {
                    HanError::Hdlc(
                        HdlcError::FcsMismatch { .. } | HdlcError::HcsMismatch { .. },
                    ) => Outcome::CrcError,
                    _ => Outcome::Garbled,
                },
                message: error.to_string(),
            })),
            PortDecoder::P1(reader) => Some(
                reader
                    .pop()?
                    .map(|telegram| telegram.to_han_reading())
                    .map_err(|error| Rejected {
                        outcome: match error {
                            P1Error::CrcMismatch { .. } => Outcome::CrcError,
                            _ => Outcome::Garbled,
                        },
                        message: error.to_string(),
                    }),
            ),
        }
    }
}

/// A HAN gateway's line settings.
#[derive(Debug, Clone, PartialEq)]
pub struct PortSettings {
    pub path: String,
    pub protocol: HanProtocol,
    pub baud: u32,
    pub parity: Parity,
    pub data_bits: u8,
    pub stop_bits: u8,
}

impl PortSettings {
    /// The settings of a HAN link, `None` for other links.
    pub fn of(link: &GatewayLink) -> Option<PortSettings> {
        match link {
            GatewayLink::Han {
                serial_port,
                protocol,
                baud,
                parity,
                data_bits,
                stop_bits,
            } => Some(PortSettings {
                path: serial_port.clone(),
                protocol: *protocol,
                baud: *baud,
                parity: *parity,
                data_bits: *data_bits,
                stop_bits: *stop_bits,
            }),
            _ => None,
        }
    }

    /// Opens the port for reading.
    fn open(&self) -> Result<SerialStream, ListenError> {
        let open_error = |source| ListenError::Open {
            path: self.path.clone(),
            source,
        };
        let mut port = tokio_serial::new(&self.path, self.baud)
            .data_bits(if self.data_bits == 7 {
                tokio_serial::DataBits::Seven
            } else {
                tokio_serial::DataBits::Eight
            })
            .parity(match self.parity {
                Parity::None => tokio_serial::Parity::None,
                Parity::Even => tokio_serial::Parity::Even,
                Parity::Odd => tokio_serial::Parity::Odd,
            })
            .stop_bits(if self.stop_bits == 2 {
                tokio_serial::StopBits::Two
            } else {
                tokio_serial::StopBits::One
            })
            .open_native_async()
            .map_err(open_error)?;
        // Exclusive mode would keep the port locked after a crash until the next reboot.
        port.set_exclusive(false).map_err(open_error)?;
        Ok(port)
    }
}

/// What the listening tasks last heard, by gateway id: lets a device test answer from the
/// running task instead of opening a port that task owns.
#[derive(Debug, Clone, Default)]
pub struct HanPorts {
    heard: Arc<RwLock<HashMap<u32, Heard>>>,
}

/// The last valid reading of a port and when it came.
#[derive(Debug, Clone)]
struct Heard {
    device_id: u32,
    at: Option<Instant>,
    readings: Vec<Reading>,
    last_error: Option<String>,
}

impl HanPorts {
    fn set(&self, gateway: u32, change: impl FnOnce(&mut Heard), device_id: u32) {
        let mut heard = self
            .heard
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let entry = heard.entry(gateway).or_insert_with(|| Heard {
            device_id,
            at: None,
            readings: Vec::new(),
            last_error: None,
        });
        entry.device_id = device_id;
        change(entry);
    }

    /// Forgets a gateway whose task stopped.
    pub fn forget(&self, gateway: u32) {
        self.heard
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .remove(&gateway);
    }

    /// The test result of what a running task listens to on `gateway` (of `device_id`, when
    /// given), `None` when no task listens there.
    pub fn report(&self, gateway: u32, device_id: Option<u32>) -> Option<TestReport> {
        let heard = self
            .heard
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let heard = heard
            .get(&gateway)
            .filter(|h| device_id.is_none_or(|id| h.device_id == id))?;
        Some(match heard.at {
            Some(at) if at.elapsed() < SILENCE => TestReport {
                ok: true,
                message: format!(
                    "the port is listened to; the meter pushed a valid frame {} s ago",
                    at.elapsed().as_secs()
                ),
                latency_ms: None,
                readings: heard.readings.clone(),
            },
            _ => TestReport {
                ok: false,
                message: heard
                    .last_error
                    .clone()
                    .unwrap_or_else(|| "the port is listened to; no valid frame yet".into()),
                latency_ms: None,
                readings: Vec::new(),
            },
        })
    }
}

/// The meter behind a HAN port, as the listening task needs it.
#[derive(Debug, Clone)]
struct Meter {
    id: u32,
    name: String,
    /// Wired downstream: import and export swap.
    reversed: bool,
}

/// Listens to a HAN gateway's port until aborted. A gateway without a (switched on) meter does
/// not open its port, so a device test may.
pub async fn run(
    gateway: GatewayConfig,
    device: Option<DeviceConfig>,
    live: LiveState,
    diagnostics: Diagnostics,
    ports: HanPorts,
) {
    run_with_silence(gateway, device, live, diagnostics, ports, SILENCE).await
}

/// [`run`] with the silence after which the meter counts as lost (tests shorten it).
async fn run_with_silence(
    gateway: GatewayConfig,
    device: Option<DeviceConfig>,
    live: LiveState,
    diagnostics: Diagnostics,
    ports: HanPorts,
    silence: Duration,
) {
    let (Some(settings), Some(device)) = (PortSettings::of(&gateway.link), device) else {
        return std::future::pending().await;
    };
    let meter = Meter {
        id: device.id,
        name: device.name.clone(),
        reversed: device.supply == shared::SupplyDirection::Downstream,
    };
    // From now on the port is this task's: tests ask it rather than open the port again.
    ports.set(gateway.id, |_| {}, meter.id);
    // Kept across reopenings: a short outage must not lose the estimate's anchor.
    let mut estimator = EnergyEstimator::new();
    let mut failures: u32 = 0;
    loop {
        let outcome = listen(
            gateway.id,
            silence,
            &settings,
            &meter,
            &live,
            &diagnostics,
            &ports,
            &mut estimator,
            &mut failures,
        )
        .await;
        if let Err(error) = outcome {
            let message = error.to_string();
            warn!(gateway = gateway.id, device = %meter.name, %message, "HAN port");
            if matches!(error, ListenError::Silent { .. }) {
                diagnostics.record(meter.id, Outcome::Timeout, Duration::ZERO, now_ms());
            }
            live.record_failure(meter.id, message.clone());
            ports.set(gateway.id, |h| h.last_error = Some(message), meter.id);
        }
        failures = failures.saturating_add(1);
        let wait = Duration::from_secs(1)
            .saturating_mul(2u32.saturating_pow(failures.saturating_sub(1).min(8)))
            .min(MAX_BACKOFF);
        tokio::time::sleep(wait).await;
    }
}

/// Opens the port and hands every reading to the live state, until the port fails or falls
/// silent. Resets `failures` once a valid reading arrives.
#[allow(clippy::too_many_arguments)]
async fn listen(
    gateway: u32,
    silence: Duration,
    settings: &PortSettings,
    meter: &Meter,
    live: &LiveState,
    diagnostics: &Diagnostics,
    ports: &HanPorts,
    estimator: &mut EnergyEstimator,
    failures: &mut u32,
) -> Result<(), ListenError> {
    let mut port = settings.open()?;
    info!(gateway, path = %settings.path, protocol = ?settings.protocol, "listening to the meter");
    let mut decoder = PortDecoder::new(settings.protocol);
    let mut buffer = [0u8; 1024];
    let mut last_valid = Instant::now();
    let mut last_error: Option<String> = None;
    loop {
        let read = match tokio::time::timeout(silence, port.read(&mut buffer)).await {
            Err(_) => {
                return Err(ListenError::Silent {
                    seconds: silence.as_secs(),
                });
            }
            Ok(Err(source)) => {
                return Err(ListenError::Read {
                    path: settings.path.clone(),
                    source,
                });
            }
            Ok(Ok(0)) => {
                return Err(ListenError::Closed {
                    path: settings.path.clone(),
                });
            }
            Ok(Ok(read)) => read,
        };
        decoder.push(&buffer[..read]);
        while let Some(result) = decoder.pop() {
            let now = now_ms();
            match result {
                Ok(reading) => {
                    let reading = reading.oriented(meter.reversed);
                    let mut readings = reading.to_readings();
                    readings.extend(estimator.update(now, &reading));
                    live.record_success(meter.id, &readings, now);
                    diagnostics.record(meter.id, Outcome::Success, Duration::ZERO, now);
                    ports.set(
                        gateway,
                        |heard| {
                            heard.at = Some(Instant::now());
                            heard.readings = readings;
                            heard.last_error = None;
                        },
                        meter.id,
                    );
                    last_valid = Instant::now();
                    last_error = None;
                    *failures = 0;
                }
                Err(rejected) => {
                    debug!(gateway, error = %rejected.message, "frame rejected");
                    diagnostics.record(meter.id, rejected.outcome, Duration::ZERO, now);
                    last_error = Some(rejected.message);
                }
            }
        }
        // Bytes keep coming but none make a valid frame (wrong speed, wrong protocol, noise).
        if last_valid.elapsed() > silence {
            return Err(ListenError::NoValidFrame {
                seconds: silence.as_secs(),
                last_error: last_error
                    .take()
                    .unwrap_or_else(|| "none decoded".to_owned()),
            });
        }
    }
}

/// Opens a HAN port that no task listens to and waits up to [`TEST_LISTEN`] for a valid frame:
/// the "Test" of a HAN gateway or of its meter before it is saved.
pub async fn test_port(link: &GatewayLink) -> TestReport {
    let failed = |message: String| TestReport {
        ok: false,
        message,
        latency_ms: None,
        readings: Vec::new(),
    };
    let Some(settings) = PortSettings::of(link) else {
        return failed(ListenError::NotHan.to_string());
    };
    let mut port = match settings.open() {
        Ok(port) => port,
        Err(error) => return failed(error.to_string()),
    };
    let started = Instant::now();
    let mut decoder = PortDecoder::new(settings.protocol);
    let mut buffer = [0u8; 1024];
    let mut last_error = None;
    let deadline = tokio::time::Instant::now() + TEST_LISTEN;
    loop {
        let read = match tokio::time::timeout_at(deadline, port.read(&mut buffer)).await {
            Err(_) => {
                return failed(match last_error {
                    Some(error) => format!(
                        "no valid frame within {} s; last error: {error}",
                        TEST_LISTEN.as_secs()
                    ),
                    None => format!(
                        "no data from the meter within {} s: check the cable and that the meter's customer port is enabled",
                        TEST_LISTEN.as_secs()
                    ),
                });
            }
            Ok(Err(source)) => {
                return failed(
                    ListenError::Read {
                        path: settings.path.clone(),
                        source,
                    }
                    .to_string(),
                );
            }
            Ok(Ok(0)) => {
                return failed(
                    ListenError::Closed {
                        path: settings.path.clone(),
                    }
                    .to_string(),
                );
            }
            Ok(Ok(read)) => read,
        };
        decoder.push(&buffer[..read]);
        while let Some(result) = decoder.pop() {
            match result {
                Ok(reading) => {
                    return TestReport {
                        ok: true,
                        message: format!(
                            "valid frame received after {} ms",
                            started.elapsed().as_millis()
                        ),
                        latency_ms: Some(started.elapsed().as_millis() as u64),
                        readings: reading.to_readings(),
                    };
                }
                Err(rejected) => last_error = Some(rejected.message),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoders_sort_rejections_for_the_diagnostics() {
        let mut p1 = PortDecoder::new(HanProtocol::P1);
        p1.push(b"/ISK5\\2M550T-1012\r\n\r\n1-0:1.7.0(00.244*kW)\r\n!0000\r\n");
        let Some(Err(rejected)) = p1.pop() else {
            panic!("a bad CRC must be rejected");
        };
        assert_eq!(rejected.outcome, Outcome::CrcError);

        let mut dlms = PortDecoder::new(HanProtocol::DlmsHdlc);
        // A Kaifa list 1 frame with its last FCS byte flipped.
        let mut frame = hex(
            "7EA027010201105A87E6E7000F40000000090C07E60B0701092C26FF80000002010600000225F2B57E",
        );
        let fcs = frame.len() - 2;
        frame[fcs] ^= 0xFF;
        dlms.push(&frame);
        let Some(Err(rejected)) = dlms.pop() else {
            panic!("a bad FCS must be rejected");
        };
        assert_eq!(rejected.outcome, Outcome::CrcError);
        dlms.push(&hex(
            "7EA027010201105A87E6E7000F40000000090C07E60B0701092C26FF80000002010600000225F2B57E",
        ));
        let Some(Ok(reading)) = dlms.pop() else {
            panic!("a good frame must decode");
        };
        assert_eq!(reading.active_power_import_w, Some(549.0));
    }

    fn hex(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn only_han_links_have_port_settings() {
        let han = HanProtocol::P1.default_link("/dev/ttyUSB0".into());
        let settings = PortSettings::of(&han).unwrap();
        assert_eq!(settings.baud, 115_200);
        assert_eq!(settings.parity, Parity::None);
        let tcp = GatewayLink::ModbusTcp {
            host: "10.0.0.1".into(),
            port: 502,
            timeout_ms: 300,
        };
        assert_eq!(PortSettings::of(&tcp), None);
    }

    /// A minimal DSMR telegram with its CRC.
    fn telegram(kilowatts: f64) -> Vec<u8> {
        let mut text = format!(
            "/KFM5KAIFA-METER\r\n\r\n1-0:1.7.0({kilowatts:06.3}*kW)\r\n1-0:32.7.0(230.1*V)\r\n!"
        );
        let crc = super::super::crc::crc16_arc(text.as_bytes());
        text.push_str(&format!("{crc:04X}\r\n"));
        text.into_bytes()
    }

    /// Waits up to `seconds` for the device's status to become `wanted`.
    async fn status_becomes(
        live: &LiveState,
        id: u32,
        wanted: shared::DeviceStatus,
        seconds: u64,
    ) -> shared::DeviceInfo {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(seconds);
        loop {
            let device = live.get(id).unwrap();
            if device.status == wanted || tokio::time::Instant::now() > deadline {
                return device;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    #[tokio::test]
    async fn a_meter_that_falls_silent_is_a_communication_error_until_it_pushes_again() {
        use tokio::io::AsyncWriteExt;
        let (mut meter, gateway_end) = SerialStream::pair().unwrap();
        let path = tokio_serial::SerialPort::name(&gateway_end).unwrap();
        let mut link = HanProtocol::P1.default_link(path);
        if let GatewayLink::Han { parity, .. } = &mut link {
            *parity = Parity::None;
        }
        let gateway = GatewayConfig {
            id: 5,
            name: "P1".into(),
            description: String::new(),
            link,
            enabled: true,
        };
        let device = DeviceConfig {
            id: 7,
            gateway: 5,
            name: "Meter".into(),
            model: "p1-meter".into(),
            address: 1,
            ..DeviceConfig::default()
        };
        let live = LiveState::new(vec![shared::DeviceInfo {
            id: 7,
            gateway_id: 5,
            name: "Meter".into(),
            modbus_address: 1,
            position: None,
            model_id: "p1-meter".into(),
            model_name: "P1".into(),
            commodity: shared::Commodity::Electricity,
            status: shared::DeviceStatus::Pending,
            last_error: None,
            values: Vec::new(),
            updated_at: None,
        }]);
        let diagnostics = Diagnostics::default();
        let task = tokio::spawn(run_with_silence(
            gateway,
            Some(device),
            live.clone(),
            diagnostics.clone(),
            HanPorts::default(),
            Duration::from_millis(700),
        ));
        // A telegram with a broken CRC is counted and ignored; a good one brings the meter on.
        let mut broken = telegram(1.0);
        let bang = broken.iter().position(|&b| b == b'!').unwrap();
        broken[bang - 5] ^= 0x01;
        meter.write_all(&broken).await.unwrap();
        meter.write_all(&telegram(1.234)).await.unwrap();
        let on = status_becomes(&live, 7, shared::DeviceStatus::On, 5).await;
        assert_eq!(on.status, shared::DeviceStatus::On, "{on:?}");
        assert_eq!(on.value(shared::Quantity::ActivePower), Some(1234.0));
        assert_eq!(on.value(shared::Quantity::VoltageL1), Some(230.1));
        assert_eq!(diagnostics.device(7, "Meter").crc_errors, 1);

        // Silence: a communication error that says what to check, the last values kept.
        let lost = status_becomes(&live, 7, shared::DeviceStatus::CommunicationError, 5).await;
        assert_eq!(lost.status, shared::DeviceStatus::CommunicationError);
        assert!(
            lost.last_error
                .as_deref()
                .unwrap_or("")
                .contains("no data from the meter"),
            "{lost:?}"
        );
        assert_eq!(lost.value(shared::Quantity::ActivePower), Some(1234.0));

        // The port is reopened after a back-off and the meter comes back.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(8);
        let mut back = lost;
        while back.status != shared::DeviceStatus::On && tokio::time::Instant::now() < deadline {
            meter.write_all(&telegram(2.5)).await.unwrap();
            tokio::time::sleep(Duration::from_millis(200)).await;
            back = live.get(7).unwrap();
        }
        assert_eq!(back.status, shared::DeviceStatus::On, "{back:?}");
        assert_eq!(back.value(shared::Quantity::ActivePower), Some(2500.0));
        task.abort();
    }

    #[tokio::test]
    async fn a_missing_port_is_a_clear_test_failure() {
        let report =
            test_port(&HanProtocol::DlmsHdlc.default_link("/dev/no-such-port".into())).await;
        assert!(!report.ok);
        assert!(
            report.message.contains("/dev/no-such-port"),
            "{}",
            report.message
        );
    }
}
