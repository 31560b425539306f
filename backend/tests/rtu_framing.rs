//! Our RTU framing against the simulator over a real pseudo-terminal, with faults switched
//! through the simulator's control API: every outcome is classified as what it is (a CRC error
//! is not a timeout), the line is usable again right after each fault, and the running server
//! counts each class in its bus diagnostics.

mod common;

use std::time::Duration;

use backend::acquisition::{ExchangeError, Reply, Request, RtuClient};
use reqwest::StatusCode;
use serde_json::{Value, json};
use shared::{Catalog, DeviceInfo, DeviceStatus};
use simulator::{DemoSite, DemoSiteOptions, start_demo_site};
use tokio_serial::{SerialPortBuilderExt, SerialStream};

/// Generous for a loaded machine: only the timeout fault is expected to use it up.
const TIMEOUT: Duration = Duration::from_millis(500);
const READ_VOLTAGE: Request = Request::ReadInputRegisters {
    address: 0,
    count: 2,
};

async fn site() -> (DemoSite, String) {
    let catalog = Catalog::load_dir(&common::catalog_dir()).unwrap();
    let mut site = start_demo_site(DemoSiteOptions {
        tick: Duration::from_millis(100),
        ..DemoSiteOptions::new(catalog)
    })
    .await
    .unwrap();
    let control = site
        .start_control("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    (site, format!("http://{control}"))
}

fn open(site: &DemoSite) -> RtuClient<SerialStream> {
    let port = tokio_serial::new(site.serial_path.to_string_lossy(), 19_200)
        .data_bits(tokio_serial::DataBits::Eight)
        .parity(tokio_serial::Parity::None)
        .stop_bits(tokio_serial::StopBits::One)
        .open_native_async()
        .unwrap();
    RtuClient::new(port, 19_200, Duration::from_millis(3))
}

/// Switches unit `unit` of the RTU bus into `fault` through the control API.
async fn set_fault(control: &str, unit: u8, fault: Value) {
    let response = reqwest::Client::new()
        .put(format!("{control}/faults/rtu/{unit}"))
        .json(&fault)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{fault}");
}

/// What a fault's replies must be classified as.
type Expected = fn(&ExchangeError) -> bool;

#[tokio::test]
async fn every_fault_is_classified_and_the_next_request_is_clean() {
    let (site, control) = site().await;
    let mut client = open(&site);
    let healthy = client.exchange(1, &READ_VOLTAGE, TIMEOUT).await.unwrap();
    assert!(matches!(healthy, Reply::Words(ref words) if words.len() == 2));

    let cases: [(Value, Expected); 5] = [
        (json!({"fault": "corrupt_crc"}), |e| {
            matches!(e, ExchangeError::Crc)
        }),
        (json!({"fault": "garbage"}), |e| {
            // Noise whose first bytes happen to look like the reply's header is a CRC error.
            matches!(e, ExchangeError::Garbled(_) | ExchangeError::Crc)
        }),
        (json!({"fault": "wrong_unit"}), |e| {
            matches!(
                e,
                ExchangeError::WrongUnit {
                    expected: 1,
                    got: 2
                }
            )
        }),
        (json!({"fault": "exception", "code": 4}), |e| {
            matches!(e, ExchangeError::Exception { code: 4 })
        }),
        (json!({"fault": "timeout"}), |e| {
            matches!(e, ExchangeError::Timeout(500))
        }),
    ];
    for (fault, expected) in cases {
        set_fault(&control, 1, fault.clone()).await;
        for _ in 0..3 {
            let error = client
                .exchange(1, &READ_VOLTAGE, TIMEOUT)
                .await
                .unwrap_err();
            assert!(expected(&error), "{fault}: {error:?}");
        }
        // The line is clean at once: the next device answers the very next request.
        let other = client
            .exchange(
                2,
                &Request::ReadInputRegisters {
                    address: 0,
                    count: 2,
                },
                TIMEOUT,
            )
            .await;
        assert!(other.is_ok(), "after {fault}: {other:?}");
        set_fault(&control, 1, json!({"fault": "healthy"})).await;
        assert!(client.exchange(1, &READ_VOLTAGE, TIMEOUT).await.is_ok());
    }
    // Three garbage replies: noise looks like a fitting header only by rare chance.
    set_fault(&control, 1, json!({"fault": "garbage"})).await;
    let mut garbled = 0;
    for _ in 0..10 {
        if let Err(ExchangeError::Garbled(_)) = client.exchange(1, &READ_VOLTAGE, TIMEOUT).await {
            garbled += 1;
        }
    }
    assert!(
        garbled >= 8,
        "{garbled} of 10 garbage replies classified as garbled"
    );
}

#[tokio::test]
async fn the_server_counts_each_class_in_its_diagnostics() {
    let (site, control) = site().await;
    let (base, _data) = common::serve_backend(&toml::to_string(&site.site).unwrap()).await;
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let token = std::fs::read_to_string(_data.path().join("setup-token")).unwrap();
    let created = client
        .post(format!("{base}/api/setup"))
        .json(&json!({"token": token, "username": "admin", "password": "correct horse battery"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let devices = || async {
        client
            .get(format!("{base}/api/devices"))
            .send()
            .await
            .unwrap()
            .json::<Vec<DeviceInfo>>()
            .await
            .unwrap()
    };
    let diagnostics = || async {
        let gateways: Value = client
            .get(format!("{base}/api/diagnostics"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        gateways
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|gateway| gateway["devices"].as_array().unwrap().clone())
            .collect::<Vec<Value>>()
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let all = loop {
        let all = devices().await;
        if all.iter().all(|d| d.status == DeviceStatus::On)
            || tokio::time::Instant::now() > deadline
        {
            break all;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let id_of = |model: &str| all.iter().find(|d| d.model_id == model).unwrap().id;
    // Units 1, 2 and 3 of the RTU line.
    let (crc_id, wrong_id, garbage_id) = (
        id_of("eastron-sdm630"),
        id_of("eastron-sdm120"),
        id_of("abb-b23"),
    );
    set_fault(&control, 1, json!({"fault": "corrupt_crc"})).await;
    set_fault(&control, 2, json!({"fault": "wrong_unit"})).await;
    set_fault(&control, 3, json!({"fault": "garbage"})).await;
    let counted = |stats: &[Value]| {
        let device = |id: u32| stats.iter().find(|d| d["device_id"] == id).unwrap().clone();
        device(crc_id)["crc_errors"].as_u64().unwrap() >= 2
            && device(wrong_id)["wrong_unit_replies"].as_u64().unwrap() >= 2
            && device(garbage_id)["other_errors"].as_u64().unwrap() >= 2
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let stats = loop {
        let stats = diagnostics().await;
        if counted(&stats) || tokio::time::Instant::now() > deadline {
            break stats;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let device = |id: u32| stats.iter().find(|d| d["device_id"] == id).unwrap().clone();
    assert!(counted(&stats), "{stats:#?}");
    // A corrupted reply is a CRC error, never a timeout; the others were not disturbed.
    for id in [crc_id, wrong_id, garbage_id] {
        assert_eq!(device(id)["timeouts"], 0, "{:#}", device(id));
    }
    let garbage = device(garbage_id);
    assert!(
        garbage["garbled_frames"].as_u64().unwrap() + garbage["crc_errors"].as_u64().unwrap() >= 2,
        "{garbage:#}"
    );
    // The I/O module, read every cycle on the same line.
    let healthy = device(id_of("io-module-generic"));
    assert_eq!(
        (
            healthy["timeouts"].as_u64(),
            healthy["other_errors"].as_u64(),
            healthy["crc_errors"].as_u64()
        ),
        (Some(0), Some(0), Some(0)),
        "{healthy:#}"
    );
    // The reply timeout adapts to the device: well under the configured 300 ms for a device on
    // a pseudo-terminal that answers in a few milliseconds.
    let adapted = healthy["timeout_ms"].as_u64().unwrap();
    assert!(adapted < 300, "{healthy:#}");
    let failing = devices().await;
    for id in [crc_id, wrong_id, garbage_id] {
        let device = failing.iter().find(|d| d.id == id).unwrap();
        assert_eq!(device.status, DeviceStatus::CommunicationError);
    }
    let wrong = failing.iter().find(|d| d.id == wrong_id).unwrap();
    assert!(
        wrong
            .last_error
            .as_deref()
            .unwrap_or("")
            .contains("unit 3 instead of 2"),
        "{:?}",
        wrong.last_error
    );
}
