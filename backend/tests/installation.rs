//! Load types, measure groups, panel boards and the sample rate through the API of a real server:
//! the limits of §7.16.2 hold, a refused change changes nothing, and erasing never leaves a
//! device or gateway pointing at something gone.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

mod common;

use common::{Server, send};

/// A Local gateway that is switched off (no serial port needed) and one Modbus TCP gateway.
const SITE: &str = r#"
[[gateways]]
id = 1
name = "Local"
kind = "local"
serial_port = "/dev/null"
enabled = false

[[gateways]]
id = 2
name = "Annex"
kind = "modbus_tcp"
host = "127.0.0.1"
port = 1
enabled = false
"#;

/// A server with its administrator logged in.
struct Admin {
    server: Server,
    client: reqwest::Client,
}

impl Admin {
    async fn start() -> Admin {
        let server = Server::start(SITE).await;
        let client = server.administrator().await;
        Admin { server, client }
    }

    async fn send(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        send(&self.client, method, self.server.url(path), body).await
    }

    async fn site(&self) -> Value {
        self.send(Method::GET, "/api/config", None).await.1
    }

    /// Sends a change that must be refused on `field`, and checks nothing changed.
    async fn refused(&self, method: Method, path: &str, body: Value, field: &str, code: &str) {
        let before = self.site().await;
        let (status, error) = self.send(method, path, Some(body.clone())).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path} {body}: {error}");
        assert_eq!(error["field"], field, "{path} {body}: {error}");
        assert_eq!(error["code"], code, "{path} {body}: {error}");
        assert_eq!(
            self.site().await,
            before,
            "a refused change changed something"
        );
    }
}

fn load_ids(site: &Value) -> Vec<String> {
    site["loads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|load| load["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn load_types_keep_the_predefined_ones_and_stop_at_fourteen() {
    let admin = Admin::start().await;
    let site = admin.site().await;
    assert_eq!(
        load_ids(&site),
        [
            "heating",
            "cooling",
            "domestic_hot_water",
            "lighting",
            "ventilation",
            "sockets",
            "others"
        ]
    );
    assert_eq!(site["recording"]["sample_minutes"], 10);

    let (status, kitchen) = admin
        .send(
            Method::POST,
            "/api/config/loads",
            Some(json!({"name": " Kitchen "})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{kitchen}");
    assert_eq!(
        kitchen,
        json!({"id": "load_1", "name": "Kitchen", "enabled": true})
    );
    admin
        .refused(
            Method::POST,
            "/api/config/loads",
            json!({"name": "KITCHEN"}),
            "name",
            "error.name_taken",
        )
        .await;
    admin
        .refused(
            Method::PUT,
            "/api/config/loads/heating",
            json!({"name": "Warmth", "enabled": true}),
            "name",
            "error.load_predefined",
        )
        .await;
    // Predefined loads can be disabled, not erased.
    let (status, heating) = admin
        .send(
            Method::PUT,
            "/api/config/loads/heating",
            Some(json!({"enabled": false})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{heating}");
    assert_eq!(heating["enabled"], false);
    let (status, error) = admin
        .send(Method::DELETE, "/api/config/loads/heating", None)
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{error}");

    for number in 2..=7 {
        let (status, load) = admin
            .send(
                Method::POST,
                "/api/config/loads",
                Some(json!({"name": format!("Process {number}")})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{load}");
    }
    assert_eq!(load_ids(&admin.site().await).len(), 14);
    admin
        .refused(
            Method::POST,
            "/api/config/loads",
            json!({"name": "One too many"}),
            "name",
            "error.loads_full",
        )
        .await;
    let (status, _) = admin
        .send(
            Method::PUT,
            "/api/config/loads/load_99",
            Some(json!({"name": "Ghost"})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn erasing_a_load_or_group_moves_its_devices_and_a_board_frees_its_gateways() {
    let admin = Admin::start().await;
    let (_, load) = admin
        .send(
            Method::POST,
            "/api/config/loads",
            Some(json!({"name": "Kitchen"})),
        )
        .await;
    let mut groups = Vec::new();
    for number in 1..=6 {
        let (status, group) = admin
            .send(
                Method::POST,
                "/api/config/groups",
                Some(json!({"name": format!("Floor {number}"), "description": "East wing"})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{group}");
        groups.push(group["id"].as_u64().unwrap());
    }
    admin
        .refused(
            Method::POST,
            "/api/config/groups",
            json!({"name": "floor 1"}),
            "name",
            "error.name_taken",
        )
        .await;

    let device = json!({
        "gateway": 2, "name": "Oven", "model": "eastron-sdm120", "address": 5,
        "load_type": load["id"], "groups": [groups[0], groups[1]]
    });
    let (status, created) = admin
        .send(Method::POST, "/api/config/devices", Some(device.clone()))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let mut six_groups = device.clone();
    six_groups["name"] = json!("Hob");
    six_groups["address"] = json!(6);
    six_groups["groups"] = json!(groups);
    admin
        .refused(
            Method::POST,
            "/api/config/devices",
            six_groups,
            "groups",
            "error.groups_per_device",
        )
        .await;
    let mut unknown_group = device.clone();
    unknown_group["name"] = json!("Hob");
    unknown_group["address"] = json!(6);
    unknown_group["groups"] = json!([999]);
    admin
        .refused(
            Method::POST,
            "/api/config/devices",
            unknown_group,
            "groups",
            "error.group_unknown",
        )
        .await;

    let (status, _) = admin
        .send(Method::DELETE, "/api/config/loads/load_1", None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = admin
        .send(
            Method::DELETE,
            &format!("/api/config/groups/{}", groups[0]),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let site = admin.site().await;
    let oven = &site["devices"][0];
    assert_eq!(oven["id"], created["id"]);
    assert_eq!(oven["load_type"], "others");
    assert_eq!(oven["groups"], json!([groups[1]]));

    // Panel boards hold gateways, each on one board only.
    let (status, board) = admin
        .send(
            Method::POST,
            "/api/config/panel-boards",
            Some(json!({"name": "Main board", "description": "Basement", "gateways": [1]})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{board}");
    admin
        .refused(
            Method::POST,
            "/api/config/panel-boards",
            json!({"name": "Second board", "gateways": [1]}),
            "gateways",
            "error.gateway_on_other_board",
        )
        .await;
    admin
        .refused(
            Method::POST,
            "/api/config/panel-boards",
            json!({"name": "Second board", "gateways": [7]}),
            "gateways",
            "error.gateway_unknown",
        )
        .await;
    let (status, moved) = admin
        .send(
            Method::PUT,
            &format!("/api/config/panel-boards/{}", board["id"]),
            Some(json!({"name": "Main board", "gateways": [1, 2], "enabled": false})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert_eq!(moved["gateways"], json!([1, 2]));
    let (status, _) = admin
        .send(
            Method::DELETE,
            &format!("/api/config/panel-boards/{}", board["id"]),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, second) = admin
        .send(
            Method::POST,
            "/api/config/panel-boards",
            Some(json!({"name": "Second board", "gateways": [1]})),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "once freed, a gateway can move: {second}"
    );
}

#[tokio::test]
async fn the_sample_rate_is_one_of_the_offered_ones() {
    let admin = Admin::start().await;
    for minutes in [0, 7, 120] {
        admin
            .refused(
                Method::PUT,
                "/api/config/recording",
                json!({"sample_minutes": minutes}),
                "sample_minutes",
                "error.sample_rate",
            )
            .await;
    }
    let (status, recording) = admin
        .send(
            Method::PUT,
            "/api/config/recording",
            Some(json!({"sample_minutes": 15})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{recording}");
    assert_eq!(admin.site().await["recording"]["sample_minutes"], 15);
}
