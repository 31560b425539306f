//! Smart meters read directly on their customer ports, end to end: the simulator's Kaifa meter
//! (HDLC/DLMS lists 1–3) and DSMR 5 meter (P1 telegrams) push on real pseudo-terminals, the
//! server listens to them like to a real HAN/P1 port, and everything is checked through the
//! HTTP API (and the store the recorder writes to).

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use shared::{
    DeviceConfig, DeviceInfo, DeviceStatus, GatewayConfig, GatewayLink, HanProtocol, Parity,
    Quantity, SiteConfig,
};
use simulator::{HAN_DEVICE, HanMeters, HanTiming, P1_DEVICE, start_han_meters};

// The server is started here rather than by `common`: this test keeps its state to look into its store.
mod common;

/// A fast meter: a "hour" of 8 s so that hourly totals arrive during the test, pushes every
/// 0.5 s (list 1), 2 s (list 2) and 1 s (P1).
const TIMING: HanTiming = HanTiming {
    list1: Duration::from_millis(500),
    list2: Duration::from_secs(2),
    hour: Duration::from_secs(8),
    p1: Duration::from_secs(1),
};

struct Running {
    base: String,
    state: backend::AppState,
    _data_dir: tempfile::TempDir,
    _meters: HanMeters,
}

/// The installation: the (switched off) Local port, the two simulated meters, and a HAN port
/// with nothing behind it.
fn site(meters: &HanMeters) -> SiteConfig {
    let mut site = SiteConfig {
        gateways: vec![GatewayConfig {
            id: 1,
            name: "Local".into(),
            description: String::new(),
            link: GatewayLink::Local {
                serial_port: "/dev/ttyS0".into(),
                baud: 19_200,
                parity: Parity::None,
                stop_bits: 1,
                timeout_ms: 300,
                frame_gap_ms: None,
            },
            enabled: false,
        }],
        devices: Vec::new(),
        ..SiteConfig::default()
    };
    meters.add_to_site(&mut site);
    let mut missing =
        HanProtocol::DlmsHdlc.default_link("/dev/han-port-that-does-not-exist".into());
    if let GatewayLink::Han { parity, .. } = &mut missing {
        *parity = Parity::None;
    }
    site.gateways.push(GatewayConfig {
        id: 9,
        name: "Unplugged HAN port".into(),
        description: String::new(),
        link: missing,
        enabled: true,
    });
    site.devices.push(DeviceConfig {
        id: 9,
        gateway: 9,
        name: "Unplugged meter".into(),
        model: "han-dlms-meter".into(),
        address: 1,
        ..DeviceConfig::default()
    });
    site
}

async fn start() -> Running {
    let meters = start_han_meters(TIMING).unwrap();
    let data_dir = tempfile::tempdir().unwrap();
    let site_file = data_dir.path().join("site.toml");
    std::fs::write(&site_file, toml::to_string(&site(&meters)).unwrap()).unwrap();
    let started = backend::start(&common::test_options(data_dir.path(), site_file)).unwrap();
    let state = started.state.clone();
    let base = common::serve_state(started.state).await;
    Running {
        base,
        state,
        _data_dir: data_dir,
        _meters: meters,
    }
}

impl Running {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Sets up the administrator and returns a logged-in client.
    async fn logged_in(&self) -> reqwest::Client {
        let client = common::client();
        let token = std::fs::read_to_string(self._data_dir.path().join("setup-token")).unwrap();
        let (status, body) = self
            .post(
                &client,
                "/api/setup",
                json!({"token": token, "username": "admin", "password": common::ADMIN_PASSWORD}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        client
    }

    async fn device(&self, client: &reqwest::Client, name: &str) -> DeviceInfo {
        let devices: Vec<DeviceInfo> = client
            .get(self.url("/api/devices"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        devices
            .into_iter()
            .find(|device| device.name == name)
            .unwrap_or_else(|| panic!("no device {name}"))
    }

    async fn post(&self, client: &reqwest::Client, path: &str, body: Value) -> (StatusCode, Value) {
        common::send(client, reqwest::Method::POST, self.url(path), Some(body)).await
    }
}

/// Polls `probe` every 200 ms until `ready` holds, for at most `seconds`.
async fn eventually<T, F, Fut>(seconds: u64, probe: F, ready: impl Fn(&T) -> bool) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = T>,
{
    common::eventually(Duration::from_secs(seconds), probe, ready).await
}

fn in_range(device: &DeviceInfo, quantity: Quantity, range: std::ops::Range<f64>) -> bool {
    device
        .value(quantity)
        .is_some_and(|value| range.contains(&value))
}

#[tokio::test]
async fn han_and_p1_meters_are_read_live_with_estimated_energy_between_hourly_totals() {
    let running = start().await;
    let client = running.logged_in().await;

    // Both meters come on with plausible values; each frame type decoded (list 2: voltages and
    // currents; P1: the same plus counters in every telegram).
    for name in [HAN_DEVICE, P1_DEVICE] {
        let device = eventually(
            20,
            || running.device(&client, name),
            |device| {
                device.status == DeviceStatus::On
                    && device.value(Quantity::VoltageL1).is_some()
                    && device.value(Quantity::CurrentL1).is_some()
            },
        )
        .await;
        assert_eq!(device.status, DeviceStatus::On, "{name}: {device:?}");
        assert!(
            in_range(&device, Quantity::VoltageL1, 220.0..240.0),
            "{device:?}"
        );
        assert!(
            in_range(&device, Quantity::VoltageL3, 220.0..240.0),
            "{device:?}"
        );
        assert!(
            in_range(&device, Quantity::ActivePower, 100.0..20_000.0),
            "{device:?}"
        );
        assert!(
            in_range(&device, Quantity::CurrentL1, 0.1..40.0),
            "{device:?}"
        );
        assert!(device.updated_at.is_some());
    }
    let p1 = running.device(&client, P1_DEVICE).await;
    assert!(
        in_range(
            &p1,
            Quantity::ActiveEnergyImport,
            12_000_000.0..13_000_000.0
        ),
        "{p1:?}"
    );

    // The HAN meter's first hourly total arrives after 8 s; from then on the estimate runs.
    let first = eventually(
        20,
        || running.device(&client, HAN_DEVICE),
        |device| device.value(Quantity::ActiveEnergyImport).is_some(),
    )
    .await;
    let total_1 = first.value(Quantity::ActiveEnergyImport).unwrap();
    assert!((52_000_000.0..53_000_000.0).contains(&total_1), "{total_1}");
    assert!(first.value(Quantity::ReactiveEnergyImport).is_some());
    let clock_year = first.value(Quantity::MeterClockYear).unwrap();
    assert!(clock_year >= 2024.0, "{clock_year}");

    // Between two totals: the metered total stands still, the estimate climbs.
    let mut estimates = Vec::new();
    let mut total_2 = None;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while tokio::time::Instant::now() < deadline {
        let device = running.device(&client, HAN_DEVICE).await;
        let total = device.value(Quantity::ActiveEnergyImport).unwrap();
        let estimate = device
            .value(Quantity::ActiveEnergyImportEstimated)
            .expect("an estimate once a real total is known");
        if total != total_1 {
            total_2 = Some((total, estimate));
            break;
        }
        estimates.push(estimate);
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let (total_2, estimate_at_total_2) = total_2.expect("a second hourly total within 20 s");
    assert!(estimates.len() >= 5, "{estimates:?}");
    assert!(
        estimates.windows(2).all(|pair| pair[1] >= pair[0]),
        "the estimate never goes back: {estimates:?}"
    );
    let last_estimate = *estimates.last().unwrap();
    assert!(
        last_estimate > estimates[0] && estimates[0] >= total_1,
        "the estimate moved between totals: {estimates:?}"
    );
    // The meter counted what the estimate integrated, within the few power samples that fall
    // between the estimate's last sample and the meter's capture.
    let metered = total_2 - total_1;
    let estimated = last_estimate - total_1;
    assert!(metered > 0.0, "{total_1} → {total_2}");
    eprintln!(
        "hourly totals {total_1} → {total_2} Wh: metered {metered:.2} Wh, estimated {estimated:.2} Wh \
         over {} samples; estimate at the new total {estimate_at_total_2:.2}",
        estimates.len()
    );
    assert!(
        (estimated - metered).abs() <= metered * 0.15 + 2.0,
        "estimated {estimated:.2} Wh against metered {metered:.2} Wh"
    );
    // Re-anchored on the new total: never below it, and no further ahead than the hold rule
    // allows (the estimate may only wait for the meter, not run away from it).
    assert!(
        estimate_at_total_2 >= total_2 - 1e-6,
        "{estimate_at_total_2} < {total_2}"
    );
    assert!(
        estimate_at_total_2 - total_2 <= metered * 0.15 + 2.0,
        "{estimate_at_total_2} vs {total_2}"
    );

    // The recorder keeps the estimate under its own quantity, apart from the metered total.
    let han = running.device(&client, HAN_DEVICE).await;
    let now = chrono::Utc::now().timestamp();
    let store = running.state.store.clone();
    let stored = tokio::task::spawn_blocking(move || {
        (
            store
                .series(
                    han.id,
                    Quantity::ActiveEnergyImportEstimated,
                    now - 120,
                    now + 1,
                )
                .unwrap(),
            store
                .series(han.id, Quantity::ActiveEnergyImport, now - 120, now + 1)
                .unwrap(),
        )
    })
    .await
    .unwrap();
    assert!(stored.0.len() >= 3, "estimated samples: {:?}", stored.0);
    assert!(!stored.1.is_empty(), "metered samples: {:?}", stored.1);

    // A HAN port that cannot be opened: the meter shows a communication error naming the port.
    let unplugged = eventually(
        10,
        || running.device(&client, "Unplugged meter"),
        |device| device.status == DeviceStatus::CommunicationError,
    )
    .await;
    assert_eq!(unplugged.status, DeviceStatus::CommunicationError);
    let error = unplugged.last_error.unwrap_or_default();
    assert!(
        error.contains("/dev/han-port-that-does-not-exist"),
        "{error}"
    );

    // Tests answer from the listening task (the port is not opened twice) …
    let site: SiteConfig = client
        .get(running.url("/api/config"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let han_config = site
        .devices
        .iter()
        .find(|device| device.name == HAN_DEVICE)
        .unwrap()
        .clone();
    let (status, report) = running
        .post(
            &client,
            &format!("/api/config/gateways/{}/test", han_config.gateway),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["ok"], true, "{report}");
    let (status, report) = running
        .post(
            &client,
            "/api/config/devices/test",
            serde_json::to_value(&han_config).unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["ok"], true, "{report}");
    assert!(
        !report["readings"].as_array().unwrap().is_empty(),
        "{report}"
    );
    // … and an unplugged port says why.
    let (_, report) = running
        .post(&client, "/api/config/gateways/9/test", json!({}))
        .await;
    assert_eq!(report["ok"], false, "{report}");

    // A second meter on a HAN port, or a Modbus model there, is refused with its field.
    let mut second = han_config.clone();
    second.id = 0;
    second.name = "Second meter".into();
    let (status, body) = running
        .post(
            &client,
            "/api/config/devices",
            serde_json::to_value(&second).unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["field"], "gateway", "{body}");
    second.model = "eastron-sdm630".into();
    let (status, body) = running
        .post(
            &client,
            "/api/config/devices",
            serde_json::to_value(&second).unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["field"], "model", "{body}");

    // The gateway list names the kind.
    let gateways: Value = client
        .get(running.url("/api/gateways"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        gateways
            .as_array()
            .unwrap()
            .iter()
            .any(|gateway| gateway["kind"] == "han"),
        "{gateways}"
    );
}
