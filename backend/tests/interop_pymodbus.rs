//! Interoperability: an independent Modbus implementation, pymodbus 3.16.1 run as a Modbus TCP
//! server (tests/interop/pymodbus_meter.py), plays an Eastron SDM630 (unit 1) and a Carlo Gavazzi
//! EM24 (unit 2). The gateway is declared through the API like an installer would, and every value
//! must come out of `/api/devices` in base units, as the meters' documentation says.
//!
//! Needs python3 with pymodbus 3.16.1: `scripts/setup.sh` installs it. Without it this test fails.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use shared::{DeviceInfo, DeviceStatus, Quantity, Reading};

const PYMODBUS_VERSION: &str = "3.16.1";

/// What the meters must read as, in base units (W, Wh, V, A, Hz), with the tolerance allowed.
/// Kept in step with the register images in pymodbus_meter.py.
struct Expected {
    quantity: Quantity,
    value: f64,
    tolerance: f64,
}

/// Float32 keeps about 7 significant digits: a relative tolerance well above its rounding.
fn f32_value(quantity: Quantity, value: f64) -> Expected {
    Expected {
        quantity,
        value,
        tolerance: value.abs() * 1e-6,
    }
}

/// Integers with a decimal divisor: exact but for the last bit of a double.
fn exact(quantity: Quantity, value: f64) -> Expected {
    Expected {
        quantity,
        value,
        tolerance: value.abs() * 1e-9 + 1e-12,
    }
}

fn sdm630_expected() -> Vec<Expected> {
    use Quantity::*;
    vec![
        f32_value(VoltageL1, 231.5),
        f32_value(VoltageL2, 229.25),
        f32_value(VoltageL3, 232.75),
        f32_value(CurrentL1, 4.25),
        f32_value(CurrentL2, 1.5),
        f32_value(CurrentL3, 0.125),
        f32_value(ActivePowerL1, 980.5),
        f32_value(ActivePowerL2, 269.25),
        f32_value(ActivePowerL3, -15.25),
        f32_value(ActivePower, 1234.5),
        f32_value(PowerFactor, 0.96875),
        f32_value(Frequency, 49.98),
        // 12345.678 kWh is sent as float32 12345.677734375 kWh.
        Expected {
            quantity: ActiveEnergyImport,
            value: 12_345_678.0,
            tolerance: 10.0,
        },
        Expected {
            quantity: ActiveEnergyExport,
            value: 12_500.0,
            tolerance: 10.0,
        },
    ]
}

fn em24_expected() -> Vec<Expected> {
    use Quantity::*;
    vec![
        exact(VoltageL1, 230.1),
        exact(VoltageL2, 229.5),
        exact(VoltageL3, 231.8),
        exact(CurrentL1, 5.432),
        exact(CurrentL2, 1.25),
        exact(CurrentL3, 0.075),
        exact(ActivePowerL1, -500.0),
        exact(ActivePower, 1234.5),
        exact(PowerFactor, 0.95),
        exact(Frequency, 50.0),
        exact(ActiveEnergyImport, 12_345_700.0),
        exact(ActiveEnergyExport, 7_000_000.0),
    ]
}

/// The differences between `readings` and `expected`, one line each; empty when all match.
fn mismatches(readings: &[Reading], expected: &[Expected]) -> Vec<String> {
    expected
        .iter()
        .filter_map(|e| {
            let found = readings.iter().find(|r| r.quantity == e.quantity);
            match found {
                None => Some(format!("{:?}: missing", e.quantity)),
                Some(r) if (r.value - e.value).abs() > e.tolerance => Some(format!(
                    "{:?}: read {}, expected {} ± {}",
                    e.quantity, r.value, e.value, e.tolerance
                )),
                Some(_) => None,
            }
        })
        .collect()
}

/// Fails, saying what to do, unless python3 has pymodbus 3.16.1.
fn require_pymodbus() {
    let output = Command::new("python3")
        .args(["-c", "import pymodbus; print(pymodbus.__version__)"])
        .output();
    let output = match output {
        Ok(output) => output,
        Err(error) => panic!(
            "python3 cannot be run ({error}): this interoperability test needs python3 with \
             pymodbus=={PYMODBUS_VERSION}; run scripts/setup.sh"
        ),
    };
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        panic!(
            "`python3 -c \"import pymodbus\"` failed: {}\nThis interoperability test needs \
             pymodbus=={PYMODBUS_VERSION}; run scripts/setup.sh to install it.",
            stderr.trim().lines().last().unwrap_or("")
        );
    }
    let version = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    assert_eq!(
        version, PYMODBUS_VERSION,
        "python3 has pymodbus {version}, this test pins {PYMODBUS_VERSION}; run scripts/setup.sh"
    );
}

/// The pymodbus process. Dropping it closes its stdin and kills it, so a failing test leaves
/// nothing running. (tokio's `process` feature is not enabled in this workspace, hence std.)
struct Meter {
    child: Child,
    stdin: Option<ChildStdin>,
    port: u16,
}

impl Meter {
    async fn start() -> Meter {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/pymodbus_meter.py");
        let mut child = Command::new("python3")
            .arg(&script)
            .arg("0")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|error| panic!("cannot start python3 {}: {error}", script.display()));
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().unwrap();
        // Reads `READY <port>`, then keeps draining stdout so the meter never blocks on it.
        let (ready, port) = tokio::sync::oneshot::channel::<String>();
        std::thread::spawn(move || {
            let mut ready = Some(ready);
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                match (line.strip_prefix("READY "), ready.take()) {
                    (Some(port), Some(sender)) => {
                        let _ = sender.send(port.trim().to_owned());
                    }
                    (_, not_sent) => {
                        ready = not_sent;
                        eprintln!("pymodbus meter: {line}");
                    }
                }
            }
        });
        let mut meter = Meter {
            child,
            stdin,
            port: 0,
        };
        let port = match tokio::time::timeout(Duration::from_secs(20), port).await {
            Ok(Ok(port)) => port,
            Ok(Err(_)) => panic!(
                "the pymodbus meter exited before printing READY ({:?}); see its stderr above",
                meter.child.try_wait()
            ),
            Err(_) => panic!("the pymodbus meter did not print READY within 20 s"),
        };
        meter.port = port
            .parse()
            .unwrap_or_else(|_| panic!("the pymodbus meter printed a bad port: READY {port}"));
        meter
    }

    /// Closes stdin, which must make the meter exit by itself; kills it if it does not.
    async fn stop(mut self) {
        drop(self.stdin.take());
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "the pymodbus meter exited with {status}");
                return;
            }
            if tokio::time::Instant::now() > deadline {
                panic!("the pymodbus meter did not exit within 10 s of its stdin closing");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Meter {
    fn drop(&mut self) {
        drop(self.stdin.take());
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

struct Backend {
    base: String,
    data_dir: tempfile::TempDir,
}

/// The backend with only the box's own RS485 port, switched off: every device comes from the API.
async fn start_backend() -> Backend {
    let (base, data_dir) = common::serve_backend(
        "[[gateways]]\nid = 1\nname = \"Local\"\nkind = \"local\"\nserial_port = \"/dev/ttyS0\"\nenabled = false\n",
    )
    .await;
    Backend { base, data_dir }
}

impl Backend {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Sets up the administrator and returns a logged-in client.
    async fn admin(&self) -> reqwest::Client {
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .build()
            .unwrap();
        let token = std::fs::read_to_string(self.data_dir.path().join("setup-token")).unwrap();
        let (status, body) = self
            .post(
                &client,
                "/api/setup",
                json!({"token": token, "username": "admin", "password": "correct horse battery"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        client
    }

    async fn post(&self, client: &reqwest::Client, path: &str, body: Value) -> (StatusCode, Value) {
        let response = client
            .post(self.url(path))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn devices(&self, client: &reqwest::Client) -> Vec<DeviceInfo> {
        client
            .get(self.url("/api/devices"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

#[tokio::test]
async fn a_pymodbus_server_playing_an_sdm630_and_an_em24_is_read_right() {
    require_pymodbus();
    let meter = Meter::start().await;
    let backend = start_backend().await;
    let admin = backend.admin().await;

    let (status, gateway) = backend
        .post(
            &admin,
            "/api/config/gateways",
            json!({"name": "pymodbus", "kind": "modbus_tcp", "host": "127.0.0.1", "port": meter.port, "timeout_ms": 1000}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{gateway}");
    let gateway_id = gateway["id"].as_u64().unwrap();
    let (_, report) = backend
        .post(
            &admin,
            &format!("/api/config/gateways/{gateway_id}/test"),
            Value::Null,
        )
        .await;
    assert_eq!(report["ok"], true, "{report}");

    let meters = [
        ("Main", "eastron-sdm630", 1, sdm630_expected()),
        ("Annex", "carlo-gavazzi-em24", 2, em24_expected()),
    ];
    let mut ids = Vec::new();
    for (name, model, unit, expected) in &meters {
        let device = json!({"gateway": gateway_id, "name": name, "model": model, "address": unit});
        // The installer's test reads every register once: the values are already right there.
        let (status, report) = backend
            .post(&admin, "/api/config/devices/test", device.clone())
            .await;
        assert_eq!(status, StatusCode::OK, "{model}: {report}");
        assert_eq!(report["ok"], true, "{model}: {report}");
        let readings: Vec<Reading> = serde_json::from_value(report["readings"].clone()).unwrap();
        let wrong = mismatches(&readings, expected);
        assert!(wrong.is_empty(), "{model} test read:\n{}", wrong.join("\n"));

        let (status, created) = backend.post(&admin, "/api/config/devices", device).await;
        assert_eq!(status, StatusCode::CREATED, "{model}: {created}");
        ids.push(u32::try_from(created["id"].as_u64().unwrap()).unwrap());
    }

    // Polled: on, with every value (energies come on the slow cycle) right.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let read = backend.devices(&admin).await;
        let mut problems = Vec::new();
        for ((_, model, unit, expected), id) in meters.iter().zip(&ids) {
            match read.iter().find(|d| d.id == *id) {
                None => problems.push(format!("{model}: not listed")),
                Some(device) => {
                    assert_eq!(u32::from(device.modbus_address), *unit as u32);
                    assert_eq!(device.model_id, *model);
                    if device.status != DeviceStatus::On {
                        problems.push(format!(
                            "{model}: {:?} ({:?})",
                            device.status, device.last_error
                        ));
                    }
                    for line in mismatches(&device.values, expected) {
                        problems.push(format!("{model} {line}"));
                    }
                }
            }
        }
        if problems.is_empty() {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "not right after 20 s of polling:\n{}",
            problems.join("\n")
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    meter.stop().await;
}
