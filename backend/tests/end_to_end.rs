//! The whole backend against the simulated bus: a real pseudo-terminal for Modbus RTU, a real TCP
//! gateway, real HTTP and WebSocket clients.

use std::time::Duration;

use futures_util::StreamExt;
use reqwest::StatusCode;
use serde_json::{Value, json};
use shared::{DeviceInfo, DeviceStatus, Health, HourlyEnergy, LiveMessage, Quantity};
use simulator::DemoSite;

mod common;

use common::{Server, client, send};

/// The demo site and a server reading it.
struct Running {
    server: Server,
    site: DemoSite,
}

async fn start() -> Running {
    let (server, site) = common::start_demo().await;
    Running { server, site }
}

impl Running {
    fn url(&self, path: &str) -> String {
        self.server.url(path)
    }

    fn setup_token(&self) -> String {
        self.server.setup_token()
    }

    async fn post(&self, client: &reqwest::Client, path: &str, body: Value) -> (StatusCode, Value) {
        send(client, reqwest::Method::POST, self.url(path), Some(body)).await
    }

    async fn health(&self) -> Health {
        client()
            .get(self.url("/api/health"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Sets up the administrator and returns a logged-in client.
    async fn logged_in(&self) -> reqwest::Client {
        self.server.administrator().await
    }
}

async fn devices(running: &Running, client: &reqwest::Client) -> Vec<DeviceInfo> {
    client
        .get(running.url("/api/devices"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Polls until `ready` holds, for at most 15 s.
async fn eventually<T, F, Fut>(probe: F, ready: impl Fn(&T) -> bool) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = T>,
{
    common::eventually(Duration::from_secs(15), probe, ready).await
}

#[tokio::test]
async fn bad_setup_input_is_refused_and_changes_nothing() {
    let running = start().await;
    let client = client();
    let token = running.setup_token();
    let cases = [
        (
            json!({"token": "", "username": "admin", "password": "correct horse battery"}),
            StatusCode::BAD_REQUEST,
            Some("token"),
        ),
        (
            json!({"token": token, "username": "", "password": "correct horse battery"}),
            StatusCode::BAD_REQUEST,
            Some("username"),
        ),
        (
            json!({"token": token, "username": "a".repeat(33), "password": "correct horse battery"}),
            StatusCode::BAD_REQUEST,
            Some("username"),
        ),
        (
            json!({"token": token, "username": "admin", "password": "short"}),
            StatusCode::BAD_REQUEST,
            Some("password"),
        ),
        (
            json!({"token": token, "username": "admin", "password": "p".repeat(129)}),
            StatusCode::BAD_REQUEST,
            Some("password"),
        ),
        (
            json!({"token": "0123456789abcdef", "username": "admin", "password": "correct horse battery"}),
            StatusCode::FORBIDDEN,
            Some("token"),
        ),
        (json!({"username": "admin"}), StatusCode::BAD_REQUEST, None),
    ];
    for (body, expected_status, expected_field) in cases {
        let (status, error) = running.post(&client, "/api/setup", body.clone()).await;
        assert_eq!(status, expected_status, "{body}");
        assert_eq!(error["field"].as_str(), expected_field, "{body}: {error}");
        assert!(
            error["code"].as_str().unwrap().starts_with("error."),
            "{error}"
        );
        assert!(
            running.health().await.setup_required,
            "{body} changed the setup state"
        );
    }
    // Nobody can log in yet.
    let (status, _) = running
        .post(
            &client,
            "/api/login",
            json!({"username": "admin", "password": "correct horse battery"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn setup_works_once_then_login_and_logout() {
    let running = start().await;
    let token = running.setup_token();
    let admin = running.logged_in().await;
    assert!(!running.health().await.setup_required);
    assert!(!running.server.data_dir.path().join("setup-token").exists());

    // The token does not work twice.
    let (status, error) = running
        .post(
            &client(),
            "/api/setup",
            json!({"token": token, "username": "eve", "password": "correct horse battery"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(error["code"], "error.setup_closed");

    let session: Value = admin
        .get(running.url("/api/session"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(session["username"], "admin");
    assert_eq!(session["role"], "administrator");

    let other = client();
    let (status, error) = running
        .post(
            &other,
            "/api/login",
            json!({"username": "admin", "password": "wrong password"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error["code"], "error.login_failed");
    let (status, _) = running
        .post(
            &other,
            "/api/login",
            json!({"username": "nobody", "password": "wrong password"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, error) = running
        .post(
            &other,
            "/api/login",
            json!({"username": "", "password": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error["field"], "username");

    let response = other
        .post(running.url("/api/login"))
        .json(&json!({"username": "admin", "password": "correct horse battery"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Strict"), "{cookie}");
    assert_eq!(
        other
            .get(running.url("/api/devices"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );

    let logout = other.post(running.url("/api/logout")).send().await.unwrap();
    assert_eq!(logout.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        other
            .get(running.url("/api/devices"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );
    let session: Value = other
        .get(running.url("/api/session"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(session, Value::Null);
    // The other session is untouched.
    assert_eq!(
        admin
            .get(running.url("/api/devices"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn every_api_route_but_health_setup_and_login_needs_a_session() {
    let running = start().await;
    let anonymous = client();
    for path in [
        "/api/gateways",
        "/api/devices",
        "/api/devices/1",
        "/api/devices/1/energy/today",
        "/api/live",
    ] {
        let status = anonymous
            .get(running.url(path))
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}");
    }
    for path in ["/api/health", "/api/setup"] {
        assert_eq!(
            anonymous
                .get(running.url(path))
                .send()
                .await
                .unwrap()
                .status(),
            StatusCode::OK,
            "{path}"
        );
    }
    // Who am I: nobody.
    let session = anonymous
        .get(running.url("/api/session"))
        .send()
        .await
        .unwrap();
    assert_eq!(session.status(), StatusCode::OK);
    assert_eq!(session.json::<Value>().await.unwrap(), Value::Null);
    assert_eq!(
        anonymous
            .get(running.url("/api/nothing"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn every_simulated_device_is_read_over_rtu_and_tcp_with_moving_values() {
    let running = start().await;
    let admin = running.logged_in().await;
    let gateways: Value = admin
        .get(running.url("/api/gateways"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(gateways.as_array().unwrap().len(), 2);

    let first = eventually(
        || devices(&running, &admin),
        |devices| devices.iter().all(|d| d.status == DeviceStatus::On),
    )
    .await;
    assert_eq!(first.len(), 9);
    for device in &first {
        assert_eq!(
            device.status,
            DeviceStatus::On,
            "{} {:?}",
            device.name,
            device.last_error
        );
    }
    let supply = first
        .iter()
        .find(|d| d.model_id == "eastron-sdm630")
        .unwrap();
    let volts = supply.value(Quantity::VoltageL1).unwrap();
    assert!((225.0..235.0).contains(&volts), "{volts}");
    let hertz = supply.value(Quantity::Frequency).unwrap();
    assert!((49.9..50.1).contains(&hertz), "{hertz}");
    // The whole documented map is read, not just P/V/I/energy: the SDM630's extra registers arrive.
    for quantity in [
        Quantity::VoltageL1L2,
        Quantity::CurrentNeutral,
        Quantity::ApparentPower,
        Quantity::ReactivePowerL3,
        Quantity::PowerFactorL2,
        Quantity::VoltageThdL1,
        Quantity::CurrentThdL3,
        Quantity::ReactiveEnergyImport,
        Quantity::ActiveEnergyImportL2,
    ] {
        assert!(
            supply.value(quantity).is_some(),
            "SDM630 lacks {quantity:?}"
        );
    }
    // Every electrical value of every meter, whatever its encoding, decodes to a plausible number.
    for device in &first {
        for reading in &device.values {
            let range = match reading.quantity {
                Quantity::VoltageL1
                | Quantity::VoltageL2
                | Quantity::VoltageL3
                | Quantity::VoltageAverage => 220.0..240.0,
                Quantity::VoltageL1L2
                | Quantity::VoltageL2L3
                | Quantity::VoltageL3L1
                | Quantity::VoltageLineAverage => 380.0..416.0,
                Quantity::CurrentL1
                | Quantity::CurrentL2
                | Quantity::CurrentL3
                | Quantity::CurrentNeutral
                | Quantity::CurrentAverage => 0.0..100.0,
                Quantity::ActivePower
                | Quantity::ActivePowerL1
                | Quantity::ActivePowerL2
                | Quantity::ActivePowerL3 => -20_000.0..20_000.0,
                // Inductive loads: reactive power is positive.
                Quantity::ReactivePower
                | Quantity::ReactivePowerL1
                | Quantity::ReactivePowerL2
                | Quantity::ReactivePowerL3
                | Quantity::ApparentPower
                | Quantity::ApparentPowerL1
                | Quantity::ApparentPowerL2
                | Quantity::ApparentPowerL3 => 0.0..25_000.0,
                Quantity::PowerFactor
                | Quantity::PowerFactorL1
                | Quantity::PowerFactorL2
                | Quantity::PowerFactorL3 => 0.5..1.0001,
                Quantity::VoltageThdL1 | Quantity::VoltageThdL2 | Quantity::VoltageThdL3 => {
                    0.5..8.0001
                }
                Quantity::CurrentThdL1 | Quantity::CurrentThdL2 | Quantity::CurrentThdL3 => {
                    2.0..60.0001
                }
                quantity if quantity.is_counter() => 0.0..1e11,
                _ => continue,
            };
            assert!(
                range.contains(&reading.value),
                "{} {:?} = {}",
                device.name,
                reading.quantity,
                reading.value
            );
        }
    }
    // The EM24 (TCP, low word first, ÷10) and the ABB (RTU, u64 ÷100 kWh) decode to their counters.
    let em24 = first
        .iter()
        .find(|d| d.model_id == "carlo-gavazzi-em24")
        .unwrap();
    let energy = em24.value(Quantity::ActiveEnergyImport).unwrap();
    assert!((15_320_000.0..15_400_000.0).contains(&energy), "{energy}");
    let water = first.iter().find(|d| d.name == "Cold water").unwrap();
    let volume = water.value(Quantity::Volume).unwrap();
    assert!((1234.0..1240.0).contains(&volume), "{volume}");

    let moved = eventually(
        || devices(&running, &admin),
        |now| {
            now.iter()
                .zip(&first)
                .all(|(now, before)| now.updated_at > before.updated_at)
        },
    )
    .await;
    let power_changed = moved.iter().zip(&first).any(|(now, before)| {
        now.value(Quantity::ActivePower) != before.value(Quantity::ActivePower)
    });
    assert!(power_changed);
}

#[tokio::test]
async fn the_websocket_pushes_readings_and_closes_at_logout() {
    let running = start().await;
    let admin = running.logged_in().await;
    // The WebSocket client carries the session cookie the HTTP client got.
    let response = admin
        .post(running.url("/api/login"))
        .json(&json!({"username": "admin", "password": "correct horse battery"}))
        .send()
        .await
        .unwrap();
    let cookie = common::session_cookie_of(&response);
    let mut socket = common::live_socket(&running.server.base, &cookie).await;

    let mut seen_on = std::collections::HashSet::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while seen_on.len() < 9 && tokio::time::Instant::now() < deadline {
        let Ok(Some(Ok(message))) =
            tokio::time::timeout(Duration::from_secs(5), socket.next()).await
        else {
            break;
        };
        if let Ok(text) = message.to_text() {
            let LiveMessage::Device(device) = serde_json::from_str(text).unwrap();
            // An I/O module's states are indexed and come with `/api/devices/{id}/io`.
            let io_module = device.model_id == "io-module-generic";
            if device.status == DeviceStatus::On && (!device.values.is_empty() || io_module) {
                seen_on.insert(device.id);
            }
        }
    }
    assert_eq!(seen_on.len(), 9, "live updates of every device");

    // Logging out (this session) closes the socket on the server's next check.
    admin.post(running.url("/api/logout")).send().await.unwrap();
    let closed = tokio::time::timeout(Duration::from_secs(12), async {
        while let Some(Ok(message)) = socket.next().await {
            if message.is_close() {
                return true;
            }
        }
        true
    })
    .await
    .unwrap_or(false);
    assert!(closed, "the socket outlived its session");
}

#[tokio::test]
async fn todays_hourly_energy_comes_from_recorded_samples() {
    let running = start().await;
    let admin = running.logged_in().await;
    let hourly: HourlyEnergy = eventually(
        || async {
            admin
                .get(running.url("/api/devices/1/energy/today"))
                .send()
                .await
                .unwrap()
                .json::<HourlyEnergy>()
                .await
                .unwrap()
        },
        |hourly| hourly.hours.iter().flatten().count() > 0,
    )
    .await;
    assert_eq!(hourly.hours.len(), 24);
    assert_eq!(hourly.quantity, Quantity::ActiveEnergyImport);
    assert!(hourly.hours.iter().flatten().all(|wh| *wh >= 0.0));
    let missing = admin
        .get(running.url("/api/devices/99/energy/today"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn installers_declare_a_tcp_gateway_and_devices_that_get_read() {
    let running = start().await;
    let admin = running.logged_in().await;
    let tcp = running.site.tcp_address;
    use reqwest::Method;

    // Anonymous users cannot see or change the configuration.
    assert_eq!(
        client()
            .get(running.url("/api/config"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );
    let catalog: Value = admin
        .get(running.url("/api/catalog"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        catalog
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["id"] == "generic-modbus-meter")
    );

    let before: Value = admin
        .get(running.url("/api/config"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // Bad gateway input: refused on its field, nothing changes.
    for (body, field) in [
        (
            json!({"name": "Annex", "kind": "modbus_tcp", "host": "not a host!", "port": tcp.port()}),
            "host",
        ),
        (
            json!({"name": "Annex", "kind": "modbus_tcp", "host": "127.0.0.1", "port": 0}),
            "port",
        ),
        (
            json!({"name": "Local", "kind": "modbus_tcp", "host": "127.0.0.1", "port": tcp.port()}),
            "name",
        ),
        (
            json!({"name": "Annex", "kind": "modbus_tcp", "host": "127.0.0.1", "port": tcp.port(), "timeout_ms": 1}),
            "timeout_ms",
        ),
    ] {
        let (status, error) = send(
            &admin,
            Method::POST,
            running.url("/api/config/gateways"),
            Some(body.clone()),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(error["field"], field, "{body}: {error}");
    }
    let (status, _) = send(
        &admin,
        Method::POST,
        running.url("/api/config/gateways"),
        Some(json!({"name": "Second port", "kind": "local", "serial_port": "/dev/ttyS1"})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let after: Value = admin
        .get(running.url("/api/config"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(before, after, "a rejected change changed the configuration");

    // A new gateway, with an empty name: it is named after its address.
    let (status, gateway) = send(
        &admin,
        Method::POST,
        running.url("/api/config/gateways"),
        Some(json!({"name": "", "kind": "modbus_tcp", "host": tcp.ip().to_string(), "port": tcp.port(), "timeout_ms": 500})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{gateway}");
    assert_eq!(gateway["name"], tcp.ip().to_string());
    let gateway_id = gateway["id"].as_u64().unwrap();
    let (_, report) = send(
        &admin,
        Method::POST,
        running.url(&format!("/api/config/gateways/{gateway_id}/test")),
        None,
    )
    .await;
    assert_eq!(report["ok"], true, "{report}");

    // Test an unsaved device, then add two.
    let em24 = json!({"gateway": gateway_id, "name": "Annex lighting", "model": "carlo-gavazzi-em24", "address": 1, "load_type": "lighting"});
    let (status, report) = send(
        &admin,
        Method::POST,
        running.url("/api/config/devices/test"),
        Some(em24.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(report["ok"], true, "{report}");
    assert!(
        report["readings"].as_array().unwrap().len() >= 10,
        "{report}"
    );
    // A device that is not there: the test says why.
    let absent =
        json!({"gateway": gateway_id, "name": "Ghost", "model": "eastron-sdm630", "address": 99});
    let (_, report) = send(
        &admin,
        Method::POST,
        running.url("/api/config/devices/test"),
        Some(absent),
    )
    .await;
    assert_eq!(report["ok"], false, "{report}");
    assert!(!report["message"].as_str().unwrap().is_empty());

    let (status, created) = send(
        &admin,
        Method::POST,
        running.url("/api/config/devices"),
        Some(em24.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let em24_id = created["id"].as_u64().unwrap();
    // Same address on the same gateway, same name elsewhere: refused on their fields.
    let (status, error) = send(
        &admin,
        Method::POST,
        running.url("/api/config/devices"),
        Some(json!({"gateway": gateway_id, "name": "Other", "model": "janitza-b23", "address": 1})),
    )
    .await;
    assert_eq!(
        (status, error["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("address"))
    );
    let (status, error) = send(&admin, Method::POST, running.url("/api/config/devices"), Some(json!({"gateway": gateway_id, "name": "annex LIGHTING", "model": "janitza-b23", "address": 3}))).await;
    assert_eq!(
        (status, error["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("name"))
    );
    // Unnamed: the manual's default name.
    let (status, janitza) = send(&admin, Method::POST, running.url("/api/config/devices"), Some(json!({"gateway": gateway_id, "name": "", "model": "janitza-b23", "address": 3, "supply": "downstream"}))).await;
    assert_eq!(status, StatusCode::CREATED, "{janitza}");
    assert_eq!(janitza["name"], "3");
    let janitza_id = janitza["id"].as_u64().unwrap();

    // Both get read; the downstream one reports negative power.
    let read = eventually(
        || devices(&running, &admin),
        |read| {
            [em24_id, janitza_id].iter().all(|id| {
                read.iter()
                    .any(|d| u64::from(d.id) == *id && d.status == DeviceStatus::On)
            })
        },
    )
    .await;
    let janitza_live = read.iter().find(|d| u64::from(d.id) == janitza_id).unwrap();
    assert_eq!(
        janitza_live.status,
        DeviceStatus::On,
        "{:?}",
        janitza_live.last_error
    );
    assert!(janitza_live.value(Quantity::ActivePower).unwrap() < 0.0);

    // Off, then on again.
    let mut switched = created.clone();
    switched["enabled"] = json!(false);
    let (status, _) = send(
        &admin,
        Method::PUT,
        running.url(&format!("/api/config/devices/{em24_id}")),
        Some(switched.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let off = eventually(
        || devices(&running, &admin),
        |d| {
            d.iter()
                .any(|d| u64::from(d.id) == em24_id && d.status == DeviceStatus::Off)
        },
    )
    .await;
    assert!(
        off.iter()
            .any(|d| u64::from(d.id) == em24_id && d.status == DeviceStatus::Off)
    );
    switched["enabled"] = json!(true);
    send(
        &admin,
        Method::PUT,
        running.url(&format!("/api/config/devices/{em24_id}")),
        Some(switched),
    )
    .await;
    let on = eventually(
        || devices(&running, &admin),
        |d| {
            d.iter()
                .any(|d| u64::from(d.id) == em24_id && d.status == DeviceStatus::On)
        },
    )
    .await;
    assert!(
        on.iter()
            .any(|d| u64::from(d.id) == em24_id && d.status == DeviceStatus::On)
    );

    // Deleting: not a gateway with devices, never Local.
    let (status, error) = send(
        &admin,
        Method::DELETE,
        running.url(&format!("/api/config/gateways/{gateway_id}")),
        None,
    )
    .await;
    assert_eq!(
        (status, error["code"].as_str()),
        (StatusCode::CONFLICT, Some("error.gateway_has_devices"))
    );
    let (status, error) = send(
        &admin,
        Method::DELETE,
        running.url("/api/config/gateways/1"),
        None,
    )
    .await;
    assert_eq!(
        (status, error["code"].as_str()),
        (StatusCode::CONFLICT, Some("error.gateway_local_permanent"))
    );
    for id in [em24_id, janitza_id] {
        let (status, _) = send(
            &admin,
            Method::DELETE,
            running.url(&format!("/api/config/devices/{id}")),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
    }
    let (status, _) = send(
        &admin,
        Method::DELETE,
        running.url(&format!("/api/config/gateways/{gateway_id}")),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let config: Value = admin
        .get(running.url("/api/config"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // Back as it was, except that the ids given out stay retired.
    let mut config = config;
    let issued = config
        .as_object_mut()
        .and_then(|config| config.remove("issued"))
        .unwrap();
    let mut before = before;
    before.as_object_mut().unwrap().remove("issued");
    assert_eq!(config, before);
    assert!(issued["device"].as_u64().unwrap() > 9, "{issued}");
    assert!(issued["gateway"].as_u64().unwrap() > 2, "{issued}");
    assert_eq!(devices(&running, &admin).await.len(), 9);
}

#[tokio::test]
async fn a_dead_device_never_stalls_the_others_and_recovers_by_itself() {
    let running = start().await;
    let admin = running.logged_in().await;
    eventually(
        || devices(&running, &admin),
        |d| d.iter().all(|d| d.status == DeviceStatus::On),
    )
    .await;
    let id_of = |devices: &[DeviceInfo], model: &str| {
        devices.iter().find(|d| d.model_id == model).unwrap().id
    };
    let all = devices(&running, &admin).await;
    let (dead_rtu, dead_tcp) = (
        id_of(&all, "eastron-sdm120"),
        id_of(&all, "carlo-gavazzi-em24"),
    );

    running
        .site
        .rtu_bus
        .set_fault(2, simulator::Fault::Timeout)
        .unwrap();
    running
        .site
        .tcp_bus
        .set_fault(1, simulator::Fault::Exception { code: 4 })
        .unwrap();
    let failing = eventually(
        || devices(&running, &admin),
        |d| {
            d.iter()
                .filter(|d| d.id == dead_rtu || d.id == dead_tcp)
                .all(|d| d.status == DeviceStatus::CommunicationError)
        },
    )
    .await;
    for id in [dead_rtu, dead_tcp] {
        let device = failing.iter().find(|d| d.id == id).unwrap();
        assert_eq!(
            device.status,
            DeviceStatus::CommunicationError,
            "{}",
            device.name
        );
        assert!(device.last_error.is_some());
    }
    // The others keep being read.
    let later = eventually(
        || devices(&running, &admin),
        |now| {
            now.iter()
                .filter(|d| d.id != dead_rtu && d.id != dead_tcp)
                .all(|d| {
                    let before = failing.iter().find(|b| b.id == d.id).unwrap();
                    d.updated_at > before.updated_at && d.status == DeviceStatus::On
                })
        },
    )
    .await;
    for device in later
        .iter()
        .filter(|d| d.id != dead_rtu && d.id != dead_tcp)
    {
        let before = failing.iter().find(|b| b.id == device.id).unwrap();
        assert!(
            device.updated_at > before.updated_at,
            "{} stalled",
            device.name
        );
    }
    // The diagnostics count what happened and show the back-off.
    let diagnostics: Value = admin
        .get(running.url("/api/diagnostics"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let device = |id: u32| {
        diagnostics
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|g| g["devices"].as_array().unwrap().clone())
            .find(|d| d["device_id"] == id)
            .unwrap()
    };
    assert!(
        device(dead_rtu)["timeouts"].as_u64().unwrap() >= 1,
        "{diagnostics}"
    );
    assert!(
        device(dead_tcp)["exceptions"].as_u64().unwrap() >= 1,
        "{diagnostics}"
    );
    let healthy = device(id_of(&all, "eastron-sdm630"));
    assert!(healthy["requests"].as_u64().unwrap() > 0);
    assert!(healthy["latency_median_ms"].as_f64().is_some());
    assert_eq!(healthy["timeouts"], 0);

    // Healed, they come back on their own.
    running
        .site
        .rtu_bus
        .set_fault(2, simulator::Fault::Healthy)
        .unwrap();
    running
        .site
        .tcp_bus
        .set_fault(1, simulator::Fault::Healthy)
        .unwrap();
    let healed = eventually(
        || devices(&running, &admin),
        |d| d.iter().all(|d| d.status == DeviceStatus::On),
    )
    .await;
    assert!(healed.iter().all(|d| d.status == DeviceStatus::On));
}
