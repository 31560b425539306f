//! The consumption endpoints of a real server against sums computed by hand from samples recorded
//! through `Store::record`: grand total (excluded devices left out, split by load), load, group,
//! device, another commodity, the previous period, `datalogger.csv` with the configured
//! separators, device statistics, and bad parameters refused with their field.

use backend::store::{Sample, Store, Tz};
use reqwest::StatusCode;
use serde_json::{Value, json};
use shared::Quantity;

// Shared by every integration test; this one starts its server itself to keep the store.
mod common;

/// One switched-off gateway (nothing is polled, so only the samples recorded here exist), four
/// electricity meters, a water counter and an I/O module (it meters nothing). Device 3 is
/// excluded from totals.
const SITE: &str = r#"
[[gateways]]
id = 1
name = "Local"
kind = "local"
serial_port = "/dev/null"
enabled = false

[[groups]]
id = 1
name = "Flat A"

[[devices]]
id = 1
gateway = 1
name = "Boiler"
model = "eastron-sdm630"
address = 1
load_type = "heating"
groups = [1]

[[devices]]
id = 2
gateway = 1
name = "Lights"
model = "eastron-sdm120"
address = 2
load_type = "lighting"
groups = [1]

[[devices]]
id = 3
gateway = 1
name = "Sub-meter"
model = "eastron-sdm120"
address = 3
load_type = "lighting"
groups = [1]
exclude_from_totals = true

[[devices]]
id = 5
gateway = 1
name = "Oven"
model = "eastron-sdm120"
address = 5
load_type = "sockets"

[[devices]]
id = 4
gateway = 1
name = "Water"
model = "pulse-concentrator-4"
address = 10
position = 1
commodity = "water"
pulse_weight = 0.001
load_type = "water"

[[devices]]
id = 6
gateway = 1
name = "Supervision"
model = "io-module-generic"
address = 20
load_type = "sockets"
groups = [1]
"#;

/// 2025-03-10 00:00 UTC.
const MARCH_10: i64 = 1_741_564_800;
const HOUR: i64 = 3_600;

struct Server {
    base: String,
    client: reqwest::Client,
    store: Store,
    _data_dir: tempfile::TempDir,
}

impl Server {
    async fn start() -> Server {
        let data_dir = tempfile::tempdir().unwrap();
        let site_file = data_dir.path().join("site.toml");
        std::fs::write(&site_file, SITE).unwrap();
        let started = backend::start(&common::test_options(data_dir.path(), site_file)).unwrap();
        let store = started.state.store.clone();
        store.set_time_zone(Tz::UTC).unwrap();
        let base = common::serve_state(started.state).await;
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .build()
            .unwrap();
        let token = std::fs::read_to_string(data_dir.path().join("setup-token")).unwrap();
        let response = client
            .post(format!("{base}/api/setup"))
            .json(
                &json!({"token": token, "username": "admin", "password": "correct horse battery"}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        Server {
            base,
            client,
            store,
            _data_dir: data_dir,
        }
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        (response.status(), response.json().await.unwrap())
    }

    async fn csv(&self, query: &str) -> String {
        let response = self
            .client
            .get(format!(
                "{}/api/consumption/datalogger.csv?{query}",
                self.base
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response.headers()["content-type"].to_str().unwrap(),
            "text/csv; charset=utf-8"
        );
        assert!(
            response.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .contains("datalogger.csv")
        );
        response.text().await.unwrap()
    }
}

/// A counter read every 10 minutes from `from` to `to` (both included), `step` more each time.
fn counter(
    device: u32,
    quantity: Quantity,
    from: i64,
    to: i64,
    start: f64,
    step: f64,
) -> Vec<Sample> {
    (0..)
        .map(|index| (from + index * 600, start + step * index as f64))
        .take_while(|(time, _)| *time <= to)
        .map(|(time, value)| Sample::new(device, quantity, time, value))
        .collect()
}

fn values(answer: &Value, key: &str) -> Vec<Option<f64>> {
    answer[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|bucket| bucket["value"].as_f64())
        .collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

fn record_history(store: &Store) {
    let energy = Quantity::ActiveEnergyImport;
    let mut samples = Vec::new();
    // 2025-03-10, 00:00 to 03:00: 60 Wh, 120 Wh and 6 000 Wh per hour, 30 dm³ of water per hour.
    samples.extend(counter(
        1,
        energy,
        MARCH_10,
        MARCH_10 + 3 * HOUR,
        1_000.0,
        10.0,
    ));
    samples.extend(counter(
        2,
        energy,
        MARCH_10,
        MARCH_10 + 3 * HOUR,
        5_000.0,
        20.0,
    ));
    samples.extend(counter(
        3,
        energy,
        MARCH_10,
        MARCH_10 + 3 * HOUR,
        0.0,
        1_000.0,
    ));
    samples.extend(counter(
        4,
        Quantity::Volume,
        MARCH_10,
        MARCH_10 + 3 * HOUR,
        12.0,
        0.005,
    ));
    // The day before, 05:00 to 06:00: 30 Wh on device 5 only (a device read on both days would
    // spread the gap between them over the hours in between).
    let march_9 = MARCH_10 - 24 * HOUR;
    samples.extend(counter(
        5,
        energy,
        march_9 + 5 * HOUR,
        march_9 + 6 * HOUR,
        500.0,
        5.0,
    ));
    // Power of device 1 during 00:00-01:00: two sample periods, mean 100 W then 200 W.
    samples.push(
        Sample::new(1, Quantity::ActivePower, MARCH_10 + 1_200, 100.0).with_range(50.0, 150.0),
    );
    samples.push(
        Sample::new(1, Quantity::ActivePower, MARCH_10 + 2_400, 200.0).with_range(150.0, 300.0),
    );
    store.record(&samples).unwrap();
}

#[tokio::test]
async fn histograms_sum_the_right_devices_and_the_csv_matches_them() {
    let server = Server::start().await;
    record_history(&server.store);
    let day = "period=day&date=2025-03-10";

    // Grand total: devices 1, 2 and 5 (3 is excluded), 180 Wh in each of the first three hours.
    let (status, total) = server
        .get(&format!("/api/consumption?scope=total&{day}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{total}");
    let bars = values(&total, "buckets");
    assert_eq!(bars.len(), 24);
    assert_eq!(&bars[..4], &[Some(180.0), Some(180.0), Some(180.0), None]);
    assert_eq!(total["total"], 540.0);
    assert_eq!(total["devices"], json!([1, 2, 5]));
    assert_eq!(total["unit"], "watt_hour");
    assert_eq!(total["date"], "2025-03-10");
    assert_eq!(total["previous_date"], "2025-03-09");
    assert_eq!(total["buckets"][1]["local"], "2025-03-10T01:00");
    // The day before: 30 Wh between 05:00 and 06:00.
    let previous = values(&total, "previous");
    assert_eq!(previous[5], Some(30.0));
    assert_eq!(previous.iter().flatten().count(), 1);
    assert_eq!(total["previous_total"], 30.0);
    // Split by load: heating 60, lighting 120 (the excluded sub-meter is not in it).
    let stacks = total["stacks"].as_array().unwrap();
    let stack = |load: &str| {
        stacks
            .iter()
            .find(|stack| stack["load"] == load)
            .unwrap_or_else(|| panic!("no {load} in {stacks:?}"))["values"][0]
            .as_f64()
    };
    assert_eq!(stack("heating"), Some(60.0));
    assert_eq!(stack("lighting"), Some(120.0));
    assert_eq!(stacks.len(), 2);

    // A load, a group and a device.
    let (_, lighting) = server
        .get(&format!("/api/consumption?scope=load/lighting&{day}"))
        .await;
    assert_eq!(lighting["total"], 360.0);
    let (_, group) = server
        .get(&format!("/api/consumption?scope=group/1&{day}"))
        .await;
    assert_eq!(group["total"], 540.0);
    // Details show an excluded device all the same.
    let (_, excluded) = server
        .get(&format!("/api/consumption?scope=device/3&{day}"))
        .await;
    assert_eq!(values(&excluded, "buckets")[0], Some(6_000.0));
    // A device answers in its own commodity whatever was asked.
    let (_, water) = server
        .get(&format!(
            "/api/consumption?scope=device/4&commodity=electricity&{day}"
        ))
        .await;
    assert_eq!(water["commodity"], "water");
    assert_eq!(water["unit"], "cubic_metre");
    assert!(close(water["total"].as_f64().unwrap(), 0.09), "{water}");
    let (_, water_total) = server
        .get(&format!(
            "/api/consumption?scope=total&commodity=water&{day}"
        ))
        .await;
    assert_eq!(water_total["devices"], json!([4]));
    assert!(close(values(&water_total, "buckets")[2].unwrap(), 0.03));
    // The water meter's automatic load (not one of the installation's) is a part of its own.
    let water_stacks = water_total["stacks"].as_array().unwrap();
    assert_eq!(water_stacks.len(), 1, "{water_stacks:?}");
    assert_eq!(water_stacks[0]["load"], "water");
    assert!(close(water_stacks[0]["values"][2].as_f64().unwrap(), 0.03));

    // Per day of the month, per month of the year, per year of ten years.
    let (_, month) = server
        .get("/api/consumption?scope=total&period=month&date=2025-03-31")
        .await;
    let days = values(&month, "buckets");
    assert_eq!(days.len(), 31);
    assert_eq!((days[8], days[9]), (Some(30.0), Some(540.0)));
    assert_eq!(month["previous_date"], "2025-02-28");
    assert_eq!(month["previous"].as_array().unwrap().len(), 28);
    let (_, year) = server
        .get("/api/consumption?period=year&date=2025-07-01")
        .await;
    assert_eq!(values(&year, "buckets")[2], Some(570.0));
    let (_, decade) = server
        .get("/api/consumption?period=decade&date=2025-07-01")
        .await;
    let years = values(&decade, "buckets");
    assert_eq!(years.len(), 10);
    assert_eq!(years[9], Some(570.0));
    assert_eq!(decade["buckets"][0]["local"], "2016-01-01T00:00");
    // A day without data: every bar empty, no total (the page says "no data", not zero).
    let (_, empty) = server
        .get("/api/consumption?period=day&date=2024-01-01")
        .await;
    assert!(values(&empty, "buckets").iter().all(Option::is_none));
    assert_eq!(empty["total"], Value::Null);

    // datalogger.csv: the same bars, default separators (semicolon, decimal comma), kWh.
    let csv = server.csv(&format!("scope=total&{day}")).await;
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "time;consumption (kWh);Heating (kWh);Lighting (kWh)"
    );
    assert_eq!(lines[1], "2025-03-10 00:00;0,180;0,060;0,120");
    assert_eq!(lines[4], "2025-03-10 03:00;;;");
    assert_eq!(lines.len(), 25);
    let french = server.csv(&format!("scope=total&{day}&lang=fr")).await;
    assert!(
        french.lines().next().unwrap().contains("Chauffage"),
        "{french}"
    );

    // Separators changed by an installer; the same rows follow them.
    let response = server
        .client
        .put(format!("{}/api/config/csv", server.base))
        .json(&json!({"field_separator": ",", "decimal_separator": "."}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let csv = server.csv(&format!("scope=device/4&{day}")).await;
    assert_eq!(csv.lines().nth(1), Some("2025-03-10 00:00,0.030"));
    assert!(csv.starts_with("time,consumption (m³)\r\n"));
    let (status, settings) = server.get("/api/config/csv").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        settings,
        json!({"field_separator": ",", "decimal_separator": "."})
    );
    // A comma for both is refused and changes nothing.
    let refused = server
        .client
        .put(format!("{}/api/config/csv", server.base))
        .json(&json!({"field_separator": ",", "decimal_separator": ","}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    let error: Value = refused.json().await.unwrap();
    assert_eq!(error["field"], "decimal_separator");
    let (_, settings) = server.get("/api/config/csv").await;
    assert_eq!(settings["decimal_separator"], ".");
}

#[tokio::test]
async fn device_statistics_give_min_mean_and_max_per_bar() {
    let server = Server::start().await;
    record_history(&server.store);
    let (status, statistics) = server
        .get("/api/devices/1/statistics?period=day&date=2025-03-10")
        .await;
    assert_eq!(status, StatusCode::OK, "{statistics}");
    let quantities = statistics["quantities"].as_array().unwrap();
    // Only the quantities with data are listed: here the active power.
    assert_eq!(quantities.len(), 1, "{quantities:?}");
    let power = &quantities[0];
    assert_eq!(power["quantity"], "active_power");
    assert_eq!(power["buckets"][0]["min"], 50.0);
    assert_eq!(power["buckets"][0]["mean"], 150.0);
    assert_eq!(power["buckets"][0]["max"], 300.0);
    assert_eq!(power["buckets"][1]["mean"], Value::Null);
    assert_eq!(
        (power["min"].as_f64(), power["max"].as_f64()),
        (Some(50.0), Some(300.0))
    );
    let (status, scopes) = server.get("/api/consumption/scopes").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(scopes["groups"][0]["name"], "Flat A");
    let water = scopes["devices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|device| device["id"] == 4)
        .unwrap();
    assert_eq!(water["commodity"], "water");
    let (status, _) = server.get("/api/devices/99/statistics").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn devices_that_meter_nothing_are_in_no_total() {
    let server = Server::start().await;
    record_history(&server.store);
    let day = "period=day&date=2025-03-10";
    // The I/O module (device 6) sits in the sockets load and in group 1 but reads no counter:
    // no commodity's total, load or group lists it among the devices summed.
    for commodity in ["electricity", "gas", "water", "heat"] {
        let (status, total) = server
            .get(&format!(
                "/api/consumption?scope=total&commodity={commodity}&{day}"
            ))
            .await;
        assert_eq!(status, StatusCode::OK, "{total}");
        let devices = total["devices"].as_array().unwrap();
        assert!(!devices.contains(&json!(6)), "{commodity}: {devices:?}");
    }
    let (_, sockets) = server
        .get(&format!("/api/consumption?scope=load/sockets&{day}"))
        .await;
    assert_eq!(sockets["devices"], json!([5]));
    let (_, group) = server
        .get(&format!("/api/consumption?scope=group/1&{day}"))
        .await;
    assert_eq!(group["devices"], json!([1, 2]));
    // Nor is it offered on Compare and Details, which have no histogram to show for it.
    let (_, scopes) = server.get("/api/consumption/scopes").await;
    let listed: Vec<&Value> = scopes["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|device| &device["id"])
        .collect();
    assert_eq!(
        listed,
        [&json!(1), &json!(2), &json!(3), &json!(5), &json!(4)]
    );
    let (status, _) = server
        .get(&format!("/api/consumption?scope=device/6&{day}"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn bad_parameters_are_refused_with_their_field() {
    let server = Server::start().await;
    for (query, field) in [
        ("period=week", "period"),
        ("date=2025-02-30", "date"),
        ("date=yesterday", "date"),
        ("scope=everything", "scope"),
        ("scope=device/x", "scope"),
        ("commodity=oil", "commodity"),
    ] {
        let (status, error) = server.get(&format!("/api/consumption?{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(error["field"], field, "{query}: {error}");
        let response = server
            .client
            .get(format!(
                "{}/api/consumption/datalogger.csv?{query}",
                server.base
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "csv {query}");
    }
    let (status, error) = server.get("/api/devices/1/statistics?period=hour").await;
    assert_eq!(
        (status, error["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("period"))
    );
    for unknown in ["scope=group/9", "scope=load/sauna", "scope=device/77"] {
        let (status, _) = server.get(&format!("/api/consumption?{unknown}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{unknown}");
    }
    // Without a session nothing is answered.
    let anonymous = reqwest::get(format!("{}/api/consumption", server.base))
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
}
