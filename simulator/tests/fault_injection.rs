//! Fault injection observed from outside, by independent clients: tokio-modbus' RTU client on the
//! pseudo-terminal, its TCP client on the gateway, raw bytes where the client hides what arrived,
//! reqwest on the control API and the `simulator` binary itself.
//!
//! Timing assertions are lower bounds only ("not before", "nothing within"), so load cannot make
//! them fail.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};
use shared::Catalog;
use simulator::{DemoSite, DemoSiteOptions, Fault, start_demo_site};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_modbus::client::{Context, rtu, tcp};
use tokio_modbus::prelude::{ExceptionCode, Reader, Slave, SlaveContext};
use tokio_serial::{ClearBuffer, SerialPort, SerialPortBuilderExt, SerialStream};

/// How long a client waits before concluding that no reply is coming.
const SILENCE: Duration = Duration::from_millis(800);
/// How long a reply that must come may take, generous for loaded machines.
const PATIENCE: Duration = Duration::from_secs(10);
/// `01 04 00 00 00 02 71 CB`: unit 1, read 2 input registers at 0 (SDM630 voltage L1).
const RAW_REQUEST: [u8; 8] = [0x01, 0x04, 0x00, 0x00, 0x00, 0x02, 0x71, 0xCB];

fn catalog_dir() -> PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/catalog")
}

async fn site() -> DemoSite {
    let catalog = Catalog::load_dir(&catalog_dir()).unwrap();
    start_demo_site(DemoSiteOptions {
        tick: Duration::from_millis(100),
        ..DemoSiteOptions::new(catalog)
    })
    .await
    .unwrap()
}

/// The gateway's end of the virtual line, opened as the product opens a pty (8N1), with nothing
/// left over from earlier clients.
fn open_line(site: &DemoSite) -> SerialStream {
    let port = tokio_serial::new(site.serial_path.to_string_lossy(), 19_200)
        .data_bits(tokio_serial::DataBits::Eight)
        .parity(tokio_serial::Parity::None)
        .stop_bits(tokio_serial::StopBits::One)
        .open_native_async()
        .unwrap();
    port.clear(ClearBuffer::All).unwrap();
    port
}

fn rtu_client(site: &DemoSite, unit: u8) -> Context {
    rtu::attach_slave(open_line(site), Slave(unit))
}

async fn tcp_client(site: &DemoSite, unit: u8) -> Context {
    tcp::connect_slave(site.tcp_address, Slave(unit))
        .await
        .unwrap()
}

/// Reads 2 input registers at 0; `None` when nothing came within `wait`.
async fn read(client: &mut Context, wait: Duration) -> Option<tokio_modbus::Result<Vec<u16>>> {
    tokio::time::timeout(wait, client.read_input_registers(0, 2))
        .await
        .ok()
}

async fn assert_reads(client: &mut Context) {
    let words = read(client, PATIENCE)
        .await
        .expect("no reply")
        .expect("transport error")
        .expect("exception");
    assert_eq!(words.len(), 2);
}

/// Sends `RAW_REQUEST` and collects what arrives within `SILENCE` (or until `want` bytes).
async fn raw_exchange(site: &DemoSite, want: usize) -> Vec<u8> {
    let mut port = open_line(site);
    port.write_all(&RAW_REQUEST).await.unwrap();
    let mut reply = Vec::new();
    let mut chunk = [0u8; 64];
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while reply.len() < want {
        match tokio::time::timeout_at(deadline, port.read(&mut chunk)).await {
            Ok(Ok(read)) if read > 0 => reply.extend_from_slice(&chunk[..read]),
            _ => break,
        }
    }
    reply
}

/// CRC-16/MODBUS, written again here so the test does not trust the simulator's.
fn crc16(bytes: &[u8]) -> [u8; 2] {
    let mut crc: u16 = 0xFFFF;
    for byte in bytes {
        crc ^= u16::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xA001
            } else {
                crc >> 1
            };
        }
    }
    crc.to_le_bytes()
}

fn is_success(result: &Option<tokio_modbus::Result<Vec<u16>>>) -> bool {
    matches!(result, Some(Ok(Ok(_))))
}

#[tokio::test]
async fn rtu_timeout_is_silence_until_healed() {
    let site = site().await;
    site.rtu_bus.set_fault(1, Fault::Timeout).unwrap();
    let mut client = rtu_client(&site, 1);
    assert!(read(&mut client, SILENCE).await.is_none(), "a reply came");
    // The other devices on the line still answer.
    drop(client);
    let mut other = rtu_client(&site, 2);
    assert_reads(&mut other).await;
    drop(other);
    site.rtu_bus.set_fault(1, Fault::Healthy).unwrap();
    assert_reads(&mut rtu_client(&site, 1)).await;
    assert!(site.rtu_bus.requests(1) >= 2);
}

#[tokio::test]
async fn rtu_corrupt_crc_arrives_whole_with_a_wrong_checksum() {
    let site = site().await;
    site.rtu_bus.set_fault(1, Fault::CorruptCrc).unwrap();
    let reply = raw_exchange(&site, 9).await;
    assert_eq!(reply.len(), 9, "{reply:02X?}");
    assert_eq!(reply[..3], [0x01, 0x04, 0x04]);
    assert_ne!(crc16(&reply[..7]), reply[7..]);
    // The client refuses it: an error, or it keeps waiting for a valid frame.
    let result = read(&mut rtu_client(&site, 1), SILENCE).await;
    assert!(!is_success(&result), "{result:?}");
    site.rtu_bus.set_fault(1, Fault::Healthy).unwrap();
    assert_reads(&mut rtu_client(&site, 1)).await;
}

#[tokio::test]
async fn rtu_garbage_is_noise_of_a_frames_length() {
    let site = site().await;
    site.rtu_bus.set_fault(1, Fault::Garbage).unwrap();
    let reply = raw_exchange(&site, 9).await;
    assert_eq!(reply.len(), 9, "{reply:02X?}");
    assert_ne!(crc16(&reply[..7]), reply[7..], "{reply:02X?}");
    let result = read(&mut rtu_client(&site, 1), SILENCE).await;
    assert!(!is_success(&result), "{result:?}");
    site.rtu_bus.set_fault(1, Fault::Healthy).unwrap();
    assert_reads(&mut rtu_client(&site, 1)).await;
}

#[tokio::test]
async fn rtu_slow_turnaround_answers_after_the_delay() {
    let site = site().await;
    site.rtu_bus
        .set_fault(1, Fault::SlowTurnaround { delay_ms: 400 })
        .unwrap();
    let mut client = rtu_client(&site, 1);
    let started = Instant::now();
    assert_reads(&mut client).await;
    assert!(started.elapsed() >= Duration::from_millis(400));
}

#[tokio::test]
async fn rtu_exception_is_answered() {
    let site = site().await;
    site.rtu_bus
        .set_fault(1, Fault::Exception { code: 4 })
        .unwrap();
    let mut client = rtu_client(&site, 1);
    let result = read(&mut client, PATIENCE)
        .await
        .expect("no reply")
        .unwrap();
    assert_eq!(result, Err(ExceptionCode::ServerDeviceFailure));
    site.rtu_bus.set_fault(1, Fault::Healthy).unwrap();
    assert_reads(&mut client).await;
}

#[tokio::test]
async fn tcp_faults_as_a_client_sees_them() {
    let site = site().await;
    let bus = &site.tcp_bus;

    bus.set_fault(1, Fault::Timeout).unwrap();
    assert!(
        read(&mut tcp_client(&site, 1).await, SILENCE)
            .await
            .is_none()
    );

    // No checksum on TCP: both arrive as garbage the client rejects at once.
    for fault in [Fault::Garbage, Fault::CorruptCrc] {
        bus.set_fault(1, fault).unwrap();
        let result = read(&mut tcp_client(&site, 1).await, PATIENCE).await;
        assert!(matches!(result, Some(Err(_))), "{fault:?}: {result:?}");
    }

    bus.set_fault(1, Fault::SlowTurnaround { delay_ms: 300 })
        .unwrap();
    let mut client = tcp_client(&site, 1).await;
    let started = Instant::now();
    assert_reads(&mut client).await;
    assert!(started.elapsed() >= Duration::from_millis(300));

    bus.set_fault(1, Fault::Exception { code: 6 }).unwrap();
    let result = read(&mut client, PATIENCE)
        .await
        .expect("no reply")
        .unwrap();
    assert_eq!(result, Err(ExceptionCode::ServerDeviceBusy));

    bus.set_fault(1, Fault::Healthy).unwrap();
    assert_reads(&mut client).await;
    assert_eq!(bus.requests(1), 6);
}

#[tokio::test]
async fn tcp_unknown_unit_is_a_gateway_exception() {
    let site = site().await;
    let mut client = tcp_client(&site, 42).await;
    let result = read(&mut client, PATIENCE)
        .await
        .expect("no reply")
        .unwrap();
    assert_eq!(result, Err(ExceptionCode::GatewayTargetDevice));
    // The connection survives it.
    client.set_slave(Slave(1));
    assert_reads(&mut client).await;
}

#[tokio::test]
async fn tcp_drop_closes_connections_until_cleared() {
    let site = site().await;
    let mut open = tcp_client(&site, 1).await;
    assert_reads(&mut open).await;

    site.tcp_bus.set_drop_connections(true);
    let result = read(&mut open, PATIENCE).await;
    assert!(matches!(result, Some(Err(_))), "{result:?}");
    // New connections are closed too: the handshake succeeds, the first read fails.
    if let Ok(mut new) = tcp::connect_slave(site.tcp_address, Slave(1)).await {
        let result = read(&mut new, PATIENCE).await;
        assert!(matches!(result, Some(Err(_))), "{result:?}");
    }

    site.tcp_bus.set_drop_connections(false);
    assert_reads(&mut tcp_client(&site, 1).await).await;
}

#[tokio::test]
async fn wire_time_holds_the_line_to_19200_baud() {
    let site = site().await;
    site.rtu_bus.set_wire_baud(Some(19_200));
    let mut client = rtu_client(&site, 1);
    let started = Instant::now();
    for _ in 0..20 {
        let words = tokio::time::timeout(PATIENCE, client.read_input_registers(0, 10))
            .await
            .expect("no reply")
            .unwrap()
            .unwrap();
        assert_eq!(words.len(), 10);
    }
    let elapsed = started.elapsed();
    // Request 8 bytes, reply 3 + 20 + 2 = 25 bytes, 11 bits a character, and two silences of
    // 3.5 characters (before the request, and the turnaround) per exchange.
    let bits_per_exchange = (8.0 + 25.0) * 11.0 + 2.0 * 3.5 * 11.0;
    let wire_time = Duration::from_secs_f64(20.0 * bits_per_exchange / 19_200.0);
    assert!(
        elapsed >= wire_time,
        "{elapsed:?} is faster than the wire's {wire_time:?}"
    );
    assert_eq!(site.rtu_bus.requests(1), 20);
}

async fn send(request: reqwest::RequestBuilder) -> (StatusCode, Value) {
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn control_api_switches_faults_end_to_end() {
    let mut site = site().await;
    let control = site
        .start_control("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    assert_eq!(site.control_address, Some(control));
    let base = format!("http://{control}");
    let http = reqwest::Client::new();

    let (status, overview) = send(http.get(format!("{base}/faults"))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(overview["rtu"].as_array().unwrap().len(), 5);
    assert_eq!(overview["tcp"].as_array().unwrap().len(), 3);
    assert_eq!(overview["tcp_drop"], json!(false));
    assert_eq!(
        overview["rtu"][0],
        json!({"unit": 1, "model": "eastron-sdm630", "fault": "healthy", "requests": 0})
    );

    let (status, device) = send(
        http.put(format!("{base}/faults/tcp/1"))
            .json(&json!({"fault": "exception", "code": 4})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(device["fault"], "exception");
    assert_eq!(device["code"], 4);
    let result = read(&mut tcp_client(&site, 1).await, PATIENCE)
        .await
        .expect("no reply")
        .unwrap();
    assert_eq!(result, Err(ExceptionCode::ServerDeviceFailure));

    let (status, _) = send(
        http.put(format!("{base}/faults/rtu/2"))
            .json(&json!({"fault": "slow_turnaround", "delay_ms": 800})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        site.rtu_bus.fault(2),
        Some(Fault::SlowTurnaround { delay_ms: 800 })
    );
    let (_, device) = send(http.get(format!("{base}/faults/rtu/2"))).await;
    assert_eq!(device["delay_ms"], 800);

    // Bad requests: JSON messages, nothing changed.
    for (path, body, want) in [
        ("/faults/rtu/1", json!({"fault": "slow_turnaround"}), 400),
        ("/faults/rtu/1", json!({"fault": "on_fire"}), 400),
        (
            "/faults/rtu/1",
            json!({"fault": "exception", "code": 0}),
            400,
        ),
        ("/faults/rtu/x", json!({"fault": "timeout"}), 400),
        ("/faults/rtu/99", json!({"fault": "timeout"}), 404),
        ("/faults/can/1", json!({"fault": "timeout"}), 404),
        ("/tcp/drop", json!({"drop": "yes"}), 400),
    ] {
        let (status, error) = send(http.put(format!("{base}{path}")).json(&body)).await;
        assert_eq!(status.as_u16(), want, "{path} {body}");
        assert!(error["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    let (status, _) = send(
        http.put(format!("{base}/faults/rtu/1"))
            .header("content-type", "application/json")
            .body("{not json"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(site.rtu_bus.fault(1), Some(Fault::Healthy));

    let (status, flag) = send(
        http.put(format!("{base}/tcp/drop"))
            .json(&json!({"drop": true})),
    )
    .await;
    assert_eq!((status, flag), (StatusCode::OK, json!({"drop": true})));
    assert!(site.tcp_bus.drops_connections());

    let (_, wire) = send(
        http.put(format!("{base}/rtu/wire"))
            .json(&json!({"baud": 19200})),
    )
    .await;
    assert_eq!(wire, json!({"baud": 19200}));
    assert_eq!(site.rtu_bus.wire_baud(), Some(19_200));

    let (status, overview) = send(http.delete(format!("{base}/faults"))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(overview["tcp_drop"], json!(false));
    assert!(
        overview["rtu"]
            .as_array()
            .unwrap()
            .iter()
            .chain(overview["tcp"].as_array().unwrap())
            .all(|device| device["fault"] == "healthy")
    );
    assert_reads(&mut tcp_client(&site, 1).await).await;

    let (status, error) = send(http.get(format!("{base}/nothing"))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(error["message"].is_string());
}

/// Kills the binary under test however the test ends.
struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn the_binary_publishes_its_control_url() {
    let dir = std::env::temp_dir().join(format!("simulator-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let control_file = dir.join("control.url");
    let site_file = dir.join("site.toml");
    let _running = Running(
        std::process::Command::new(env!("CARGO_BIN_EXE_simulator"))
            .arg("--catalog")
            .arg(catalog_dir())
            .arg("--control-out")
            .arg(&control_file)
            .arg("--site-out")
            .arg(&site_file)
            .args(["--wire-baud", "9600"])
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while !site_file.exists() {
        assert!(Instant::now() < deadline, "the simulator did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let url = std::fs::read_to_string(&control_file).unwrap();
    let address: SocketAddr = url.strip_prefix("http://").unwrap().parse().unwrap();
    assert!(address.ip().is_loopback() && address.port() != 0);
    let (status, overview) = send(reqwest::Client::new().get(format!("{url}/faults"))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(overview["rtu_wire_baud"], 9600);
    let _ = std::fs::remove_dir_all(&dir);
}
