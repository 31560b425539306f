//! Output commands and I/O states end to end: the API writes through the gateway's task over a
//! real pseudo-terminal to the simulated I/O module, whose relays change and are read back; a
//! normally closed relay is driven inverted; pulses switch off by themselves; bad commands and
//! labels are refused with the field at fault.

mod common;

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use shared::{Catalog, DeviceInfo, DeviceIo, DeviceStatus, OutputResult};
use simulator::{Behaviour, DemoSite, DemoSiteOptions, IO_MODULE_UNIT, start_demo_site};

struct Running {
    base: String,
    client: reqwest::Client,
    site: DemoSite,
    _data: tempfile::TempDir,
}

async fn start() -> Running {
    let catalog = Catalog::load_dir(&common::catalog_dir()).unwrap();
    let site = start_demo_site(DemoSiteOptions {
        tick: Duration::from_millis(100),
        ..DemoSiteOptions::new(catalog)
    })
    .await
    .unwrap();
    let (base, data) = common::serve_backend(&toml::to_string(&site.site).unwrap()).await;
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let token = std::fs::read_to_string(data.path().join("setup-token")).unwrap();
    let created = client
        .post(format!("{base}/api/setup"))
        .json(&json!({"token": token, "username": "admin", "password": "correct horse battery"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    Running {
        base,
        client,
        site,
        _data: data,
    }
}

impl Running {
    async fn get<T: serde::de::DeserializeOwned>(&self, path: &str) -> T {
        self.client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    async fn send(&self, method: reqwest::Method, path: &str, body: Value) -> (StatusCode, Value) {
        let response = self
            .client
            .request(method, format!("{}{path}", self.base))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn command(&self, device: u32, output: u8, body: Value) -> (StatusCode, Value) {
        self.send(
            reqwest::Method::POST,
            &format!("/api/devices/{device}/outputs/{output}"),
            body,
        )
        .await
    }

    /// The simulated module's relay coils (true: energised).
    fn coils(&self) -> (bool, bool) {
        match self.site.rtu_bus.device(IO_MODULE_UNIT).unwrap().behaviour {
            Behaviour::IoModule(module) => (module.coil(0).unwrap(), module.coil(1).unwrap()),
            _ => unreachable!("unit 20 is the I/O module"),
        }
    }

    /// Polls `probe` until `ready`, for at most 15 s.
    async fn eventually<T, F, Fut>(&self, mut probe: F, ready: impl Fn(&T) -> bool) -> T
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = T>,
    {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        loop {
            let value = probe().await;
            if ready(&value) || tokio::time::Instant::now() > deadline {
                return value;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

fn result(body: Value) -> OutputResult {
    serde_json::from_value(body).unwrap()
}

#[tokio::test]
async fn relays_switch_through_the_bus_and_read_back() {
    let running = start().await;
    let devices: Vec<DeviceInfo> = running
        .eventually(
            || running.get::<Vec<DeviceInfo>>("/api/devices"),
            |all| all.iter().all(|d| d.status == DeviceStatus::On),
        )
        .await;
    assert_eq!(devices.len(), 9);
    let io_id = devices
        .iter()
        .find(|d| d.model_id == "io-module-generic")
        .unwrap()
        .id;
    let io_path = format!("/api/devices/{io_id}/io");
    // Read: four inputs and two analogue inputs with values, two relays, relay 2 seen as NC.
    let io: DeviceIo = running
        .eventually(
            || running.get::<DeviceIo>(&io_path),
            |io| {
                io.outputs
                    .iter()
                    .all(|o| o.normally_closed.is_some() && o.on.is_some())
            },
        )
        .await;
    assert_eq!(io.inputs.len(), 6);
    assert!(
        io.inputs.iter().all(|input| input.value.is_some()),
        "{io:?}"
    );
    assert_eq!(io.outputs[0].normally_closed, Some(false));
    assert_eq!(io.outputs[1].normally_closed, Some(true));
    // Both coils released: relay 1 (NO) is off, relay 2 (NC) supplies its load.
    assert_eq!(running.coils(), (false, false));
    assert_eq!(
        (io.outputs[0].on, io.outputs[1].on),
        (Some(false), Some(true))
    );

    // Relay 1 on: its coil is energised and read back as on.
    let (status, body) = running.command(io_id, 1, json!({"action": "on"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let answer = result(body);
    assert!(answer.ok, "{answer:?}");
    assert_eq!(answer.on, Some(true));
    assert_eq!(running.coils(), (true, false));

    // Relay 2 (NC) off: the coil is energised to open the contact.
    let (_, body) = running.command(io_id, 2, json!({"action": "off"})).await;
    let answer = result(body);
    assert!(answer.ok, "{answer:?}");
    assert!(
        answer.message.contains("normally closed"),
        "{}",
        answer.message
    );
    assert_eq!(running.coils(), (true, true));
    let io: DeviceIo = running
        .eventually(
            || running.get::<DeviceIo>(&io_path),
            |io| io.outputs[0].on == Some(true) && io.outputs[1].on == Some(false),
        )
        .await;
    assert_eq!(
        (io.outputs[0].on, io.outputs[1].on),
        (Some(true), Some(false))
    );
    // And on again: the coil is released.
    let (_, body) = running.command(io_id, 2, json!({"action": "on"})).await;
    assert!(result(body).ok);
    assert_eq!(running.coils(), (true, false));

    // A pulse: on at once, off by itself after its ON time.
    let (_, body) = running.command(io_id, 1, json!({"action": "off"})).await;
    assert!(result(body).ok);
    assert_eq!(running.coils(), (false, false));
    let (_, body) = running
        .command(io_id, 1, json!({"action": "pulse", "on_time_ms": 300}))
        .await;
    let answer = result(body);
    assert!(answer.ok, "{answer:?}");
    assert!(
        answer.message.contains("off again in 300 ms"),
        "{}",
        answer.message
    );
    assert!(running.coils().0, "on during the pulse");
    let after = running
        .eventually(|| async { running.coils() }, |coils| !coils.0)
        .await;
    assert_eq!(after, (false, false), "off after the pulse");

    // A changed input is seen on the next read.
    assert!(
        running
            .site
            .rtu_bus
            .with_io_module(IO_MODULE_UNIT, |module| {
                module.set_input(3, true);
            })
    );
    let io: DeviceIo = running
        .eventually(
            || running.get::<DeviceIo>(&io_path),
            |io| io.inputs[3].value == Some(1.0),
        )
        .await;
    assert_eq!(io.inputs[3].key, "digital_input.4");
    assert_eq!(io.inputs[3].value, Some(1.0));
}

#[tokio::test]
async fn bad_commands_and_labels_are_refused_with_the_field_at_fault() {
    let running = start().await;
    let devices: Vec<DeviceInfo> = running.get("/api/devices").await;
    let id_of = |model: &str| devices.iter().find(|d| d.model_id == model).unwrap().id;
    let io_id = id_of("io-module-generic");
    let meter_id = id_of("eastron-sdm630");
    let cases = [
        (
            meter_id,
            1,
            json!({"action": "on"}),
            StatusCode::BAD_REQUEST,
            "error.not_io_module",
        ),
        (
            io_id,
            3,
            json!({"action": "on"}),
            StatusCode::BAD_REQUEST,
            "error.output_unknown",
        ),
        (
            io_id,
            1,
            json!({"action": "pulse"}),
            StatusCode::BAD_REQUEST,
            "error.pulse_time_range",
        ),
        (
            io_id,
            1,
            json!({"action": "pulse", "on_time_ms": 50}),
            StatusCode::BAD_REQUEST,
            "error.pulse_time_range",
        ),
        (
            io_id,
            1,
            json!({"action": "off", "on_time_ms": 500}),
            StatusCode::BAD_REQUEST,
            "error.pulse_time_unexpected",
        ),
        (
            io_id,
            1,
            json!({"action": "toggle"}),
            StatusCode::BAD_REQUEST,
            "error.bad_request",
        ),
        (
            999,
            1,
            json!({"action": "on"}),
            StatusCode::NOT_FOUND,
            "error.not_found",
        ),
    ];
    for (device, output, body, status, code) in cases {
        let (got, answer) = running.command(device, output, body.clone()).await;
        assert_eq!(got, status, "{body}: {answer}");
        assert_eq!(answer["code"], code, "{body}: {answer}");
    }
    // Nothing reached the relays.
    assert_eq!(running.coils(), (false, false));

    // Labels: set in the device's configuration, shown with its inputs and outputs.
    let config: Value = running.get("/api/config").await;
    let mut io_device = config["devices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == io_id)
        .unwrap()
        .clone();
    io_device["labels"] = json!({"output.1": "Boiler pump", "digital_input.1": "Door"});
    let path = format!("/api/config/devices/{io_id}");
    let (status, saved) = running
        .send(reqwest::Method::PUT, &path, io_device.clone())
        .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    let io: DeviceIo = running.get(&format!("/api/devices/{io_id}/io")).await;
    assert_eq!(io.outputs[0].label.as_deref(), Some("Boiler pump"));
    assert_eq!(io.inputs[0].label.as_deref(), Some("Door"));
    assert_eq!(io.outputs[1].label, None);
    for (labels, code) in [
        (json!({"output.9": "Nothing"}), "error.label_unknown"),
        (json!({"output.1": "   "}), "error.label_empty"),
        (json!({"output.1": "x".repeat(33)}), "error.label_too_long"),
        (json!({"output.1": "tab\there"}), "error.label_characters"),
    ] {
        let mut bad = io_device.clone();
        bad["labels"] = labels.clone();
        let (status, error) = running.send(reqwest::Method::PUT, &path, bad).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{labels}");
        assert_eq!(
            (error["code"].as_str(), error["field"].as_str()),
            (Some(code), Some("labels"))
        );
    }
    // Refused changes change nothing.
    let io: DeviceIo = running.get(&format!("/api/devices/{io_id}/io")).await;
    assert_eq!(io.outputs[0].label.as_deref(), Some("Boiler pump"));

    // A device switched off takes no command.
    io_device["enabled"] = json!(false);
    let (status, _) = running.send(reqwest::Method::PUT, &path, io_device).await;
    assert_eq!(status, StatusCode::OK);
    let (status, answer) = running.command(io_id, 1, json!({"action": "on"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{answer}");
    assert_eq!(answer["code"], "error.device_off");
    assert_eq!(running.coils(), (false, false));
}
