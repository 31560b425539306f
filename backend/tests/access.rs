//! Users, roles and access control against a real server on the simulated bus: the role × route
//! matrix built from the router's own endpoint list, tenant isolation on every data route and on
//! the WebSocket, login throttling, session revocation, the lock, and HTTPS.

mod common;

use std::time::Duration;

use backend::api::{Access, endpoints};
use common::{ADMIN_PASSWORD, Server, client, eventually, send, start_demo};
use futures_util::StreamExt;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use shared::{LiveMessage, Page};

const PASSWORD: &str = "a long enough password";

/// Every operation and the rule it must have. A new route is missing here and fails the test
/// until someone decides who may call it; a changed rule must be changed here too.
const EXPECTED: &[(&str, Rule)] = &[
    ("health", Rule::Public),
    ("setupStatus", Rule::Public),
    ("setup", Rule::Public),
    ("login", Rule::Public),
    ("logout", Rule::Public),
    ("session", Rule::Public),
    ("openapi", Rule::Public),
    ("lock", Rule::Session),
    ("unlock", Rule::Session),
    ("changePassword", Rule::Account),
    ("changePin", Rule::Account),
    ("listUsers", Rule::Pages(&[Page::Users])),
    ("createUser", Rule::Pages(&[Page::Users])),
    ("updateUser", Rule::Pages(&[Page::Users])),
    ("deleteUser", Rule::Pages(&[Page::Users])),
    ("getServiceAccounts", Rule::Pages(&[Page::WebServer])),
    ("updateServiceAccounts", Rule::Pages(&[Page::WebServer])),
    ("listGateways", Rule::Pages(LIVE)),
    ("listDevices", Rule::Pages(LIVE)),
    ("getDevice", Rule::Pages(LIVE)),
    ("energyToday", Rule::Pages(LIVE)),
    ("liveUpdates", Rule::Pages(LIVE)),
    ("getDeviceIo", Rule::Pages(LIVE)),
    ("busDiagnostics", Rule::Pages(SYSTEM)),
    ("listModels", Rule::Pages(SYSTEM)),
    ("getInstallation", Rule::Pages(SYSTEM)),
    ("createGateway", Rule::Pages(SYSTEM)),
    ("updateGateway", Rule::Pages(SYSTEM)),
    ("deleteGateway", Rule::Pages(SYSTEM)),
    ("testGateway", Rule::Pages(SYSTEM)),
    ("createDevice", Rule::Pages(SYSTEM)),
    ("updateDevice", Rule::Pages(SYSTEM)),
    ("deleteDevice", Rule::Pages(SYSTEM)),
    ("testDevice", Rule::Pages(SYSTEM)),
    ("createLoad", Rule::Pages(SYSTEM)),
    ("updateLoad", Rule::Pages(SYSTEM)),
    ("deleteLoad", Rule::Pages(SYSTEM)),
    ("createGroup", Rule::Pages(SYSTEM)),
    ("updateGroup", Rule::Pages(SYSTEM)),
    ("deleteGroup", Rule::Pages(SYSTEM)),
    ("createPanelBoard", Rule::Pages(SYSTEM)),
    ("updatePanelBoard", Rule::Pages(SYSTEM)),
    ("deletePanelBoard", Rule::Pages(SYSTEM)),
    ("updateRecording", Rule::Pages(SYSTEM)),
    ("updateCsvSettings", Rule::Pages(SYSTEM)),
    ("commandOutput", Rule::Pages(SYSTEM)),
    ("getConsumption", Rule::Pages(CONSUMPTION)),
    ("downloadConsumption", Rule::Pages(CONSUMPTION)),
    ("listConsumptionScopes", Rule::Pages(CONSUMPTION)),
    ("getDeviceStatistics", Rule::Pages(CONSUMPTION)),
    (
        "getCsvSettings",
        Rule::Pages(&[Page::Consumption, Page::System]),
    ),
];
const LIVE: &[Page] = &[Page::PanelBoard, Page::System];
const SYSTEM: &[Page] = &[Page::System];
const CONSUMPTION: &[Page] = &[Page::Consumption];

#[derive(Debug, Clone, Copy, PartialEq)]
enum Rule {
    Public,
    Session,
    Account,
    Pages(&'static [Page]),
}

impl Rule {
    fn of(access: Access) -> Rule {
        match access {
            Access::Public => Rule::Public,
            Access::Session => Rule::Session,
            Access::Account => Rule::Account,
            Access::Pages(pages) => Rule::Pages(pages),
        }
    }
}

/// A logged-in user of the test: their client, and what they may open.
struct Persona {
    name: &'static str,
    client: reqwest::Client,
    pages: Vec<Page>,
    locked: bool,
}

impl Persona {
    /// The status class the rule must give this persona: `None` when it passes the guard.
    fn refusal(&self, rule: Rule) -> Option<StatusCode> {
        match rule {
            Rule::Public | Rule::Session => None,
            _ if self.locked => Some(StatusCode::LOCKED),
            Rule::Account => None,
            Rule::Pages(pages) if pages.iter().any(|page| self.pages.contains(page)) => None,
            Rule::Pages(_) => Some(StatusCode::FORBIDDEN),
        }
    }
}

async fn logged_in(server: &Server, username: &str, password: &str) -> reqwest::Client {
    let client = client();
    let (status, body) = send(
        &client,
        Method::POST,
        server.url("/api/login"),
        Some(json!({"username": username, "password": password})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "login of {username}: {body}");
    client
}

async fn create_user(server: &Server, admin: &reqwest::Client, form: Value) {
    let (status, body) = send(admin, Method::POST, server.url("/api/users"), Some(form)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

/// The demo's device ids (the live list the administrator sees).
async fn device_ids(server: &Server, admin: &reqwest::Client) -> Vec<u64> {
    let (_, devices) = send(admin, Method::GET, server.url("/api/devices"), None).await;
    devices
        .as_array()
        .unwrap()
        .iter()
        .map(|device| device["id"].as_u64().unwrap())
        .collect()
}

/// The session cookie of `username` logged in afresh, for WebSocket requests.
async fn session_cookie(server: &Server, username: &str, password: &str) -> String {
    let response = reqwest::Client::new()
        .post(server.url("/api/login"))
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    common::session_cookie_of(&response)
}

fn with_parameters(path: &str) -> String {
    // Ids nobody has: an allowed caller then gets 404 or 400, never a change.
    path.replace("{id}", "999999")
        .replace("{output}", "1")
        .replace("{username}", "nobody-at-all")
}

#[test]
fn every_route_has_the_expected_access_rule() {
    let routes = endpoints();
    for endpoint in &routes {
        let expected = EXPECTED
            .iter()
            .find(|(operation, _)| *operation == endpoint.operation_id)
            .unwrap_or_else(|| {
                panic!(
                    "{} {} ({}) has no expected access rule in this test: decide who may call it",
                    endpoint.method, endpoint.path, endpoint.operation_id
                )
            });
        assert_eq!(
            Rule::of(endpoint.access),
            expected.1,
            "{} {}",
            endpoint.method,
            endpoint.path
        );
    }
    assert_eq!(routes.len(), EXPECTED.len(), "an expected route is gone");
}

#[tokio::test]
async fn every_role_gets_exactly_its_routes() {
    let (server, _site) = start_demo().await;
    let admin = server.administrator().await;
    let devices = device_ids(&server, &admin).await;
    for (username, role, pages, tenant) in [
        ("installer", "installer", json!([]), None),
        ("green", "green_up", json!([]), None),
        ("user", "user", json!([]), None),
        ("custom", "custom", json!(["panel_board"]), None),
        ("tenant", "user", json!([]), Some(json!([devices[0]]))),
    ] {
        create_user(
            &server,
            &admin,
            json!({"username": username, "role": role, "pages": pages, "devices": tenant, "password": PASSWORD}),
        )
        .await;
    }
    let locked = logged_in(&server, "admin", ADMIN_PASSWORD).await;
    let (status, _) = send(&locked, Method::POST, server.url("/api/lock"), None).await;
    assert_eq!(status, StatusCode::OK);

    let role_pages = |role: shared::Role| role.pages().to_vec();
    let personas = vec![
        Persona {
            name: "administrator",
            client: admin.clone(),
            pages: role_pages(shared::Role::Administrator),
            locked: false,
        },
        Persona {
            name: "installer",
            client: logged_in(&server, "installer", PASSWORD).await,
            pages: role_pages(shared::Role::Installer),
            locked: false,
        },
        Persona {
            name: "greenUp",
            client: logged_in(&server, "green", PASSWORD).await,
            pages: role_pages(shared::Role::GreenUp),
            locked: false,
        },
        Persona {
            name: "user",
            client: logged_in(&server, "user", PASSWORD).await,
            pages: role_pages(shared::Role::User),
            locked: false,
        },
        Persona {
            name: "custom",
            client: logged_in(&server, "custom", PASSWORD).await,
            pages: vec![Page::PanelBoard],
            locked: false,
        },
        Persona {
            name: "tenant",
            client: logged_in(&server, "tenant", PASSWORD).await,
            pages: role_pages(shared::Role::User),
            locked: false,
        },
        Persona {
            name: "locked administrator",
            client: locked,
            pages: role_pages(shared::Role::Administrator),
            locked: true,
        },
    ];

    let mut checked = 0;
    for endpoint in endpoints() {
        let rule = Rule::of(endpoint.access);
        // Public routes need nobody; logout and lock would end or lock the persona's session
        // (both are tested on their own below).
        if matches!(rule, Rule::Public) || endpoint.operation_id == "lock" {
            continue;
        }
        let url = server.url(&with_parameters(endpoint.path));
        for persona in &personas {
            let mut request = persona.client.request(endpoint.method.clone(), &url);
            if endpoint.request.is_some() {
                request = request.json(&json!({}));
            }
            let status = request.send().await.unwrap().status();
            match persona.refusal(rule) {
                Some(refused) => assert_eq!(
                    status, refused,
                    "{} must be refused {} {}",
                    persona.name, endpoint.method, endpoint.path
                ),
                None => assert!(
                    ![
                        StatusCode::UNAUTHORIZED,
                        StatusCode::FORBIDDEN,
                        StatusCode::LOCKED
                    ]
                    .contains(&status),
                    "{} must pass {} {}: got {status}",
                    persona.name,
                    endpoint.method,
                    endpoint.path
                ),
            }
            checked += 1;
        }
    }
    assert!(checked > 250, "only {checked} checks");
}

#[tokio::test]
async fn a_tenant_sees_only_their_devices_everywhere() {
    let (server, _site) = start_demo().await;
    let admin = server.administrator().await;
    let devices = device_ids(&server, &admin).await;
    let own = devices[0];
    let other = devices[1];
    create_user(
        &server,
        &admin,
        json!({"username": "flat-1", "role": "custom", "pages": ["panel_board", "consumption"],
               "devices": [own], "password": PASSWORD}),
    )
    .await;
    let tenant = logged_in(&server, "flat-1", PASSWORD).await;

    let (_, session) = send(&tenant, Method::GET, server.url("/api/session"), None).await;
    assert_eq!(session["devices"], json!([own]));
    let (_, listed) = send(&tenant, Method::GET, server.url("/api/devices"), None).await;
    let listed: Vec<u64> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|device| device["id"].as_u64().unwrap())
        .collect();
    assert_eq!(listed, [own]);
    let (_, gateways) = send(&tenant, Method::GET, server.url("/api/gateways"), None).await;
    assert_eq!(gateways.as_array().unwrap().len(), 1, "{gateways}");
    let (_, scopes) = send(
        &tenant,
        Method::GET,
        server.url("/api/consumption/scopes"),
        None,
    )
    .await;
    let offered: Vec<u64> = scopes["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|device| device["id"].as_u64().unwrap())
        .collect();
    assert_eq!(offered, [own]);

    // Another tenant's device does not exist for them, on every data route.
    for path in [
        format!("/api/devices/{other}"),
        format!("/api/devices/{other}/energy/today"),
        format!("/api/devices/{other}/io"),
        format!("/api/devices/{other}/statistics"),
        format!("/api/consumption?scope=device/{other}"),
        format!("/api/consumption/datalogger.csv?scope=device/{other}"),
    ] {
        let (status, body) = send(&tenant, Method::GET, server.url(&path), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {body}");
    }
    for path in [
        format!("/api/devices/{own}"),
        format!("/api/devices/{own}/statistics"),
        format!("/api/consumption?scope=device/{own}"),
    ] {
        let (status, body) = send(&tenant, Method::GET, server.url(&path), None).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
    }

    // Their grand total is the total of their device, which the administrator's is not.
    let total = |client: reqwest::Client, scope: String| {
        let url = server.url(&format!("/api/consumption?scope={scope}&period=day"));
        async move {
            let (_, histogram) = send(&client, Method::GET, url, None).await;
            histogram["total"].as_f64().unwrap_or(0.0)
        }
    };
    let tenant_total = eventually(
        Duration::from_secs(20),
        || total(tenant.clone(), "total".into()),
        |total| *total > 0.0,
    )
    .await;
    assert!(tenant_total > 0.0, "the tenant's device consumed nothing");
    let own_total = total(admin.clone(), format!("device/{own}")).await;
    let tenant_again = total(tenant.clone(), "total".into()).await;
    let everyone = total(admin.clone(), "total".into()).await;
    // Recording goes on between the requests: compare within one sample's growth.
    assert!(
        (tenant_again - own_total).abs() <= (tenant_again * 0.2).max(1.0),
        "tenant total {tenant_again} vs their device {own_total}"
    );
    assert!(everyone > tenant_again, "{everyone} <= {tenant_again}");

    // The WebSocket carries their device only.
    let cookie = session_cookie(&server, "flat-1", PASSWORD).await;
    let mut socket = common::live_socket(&server.base, &cookie).await;
    let mut seen = std::collections::BTreeSet::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(6);
    while tokio::time::Instant::now() < deadline {
        let Ok(Some(Ok(message))) =
            tokio::time::timeout(Duration::from_secs(2), socket.next()).await
        else {
            continue;
        };
        if let Ok(text) = message.to_text()
            && let Ok(LiveMessage::Device(device)) = serde_json::from_str(text)
        {
            seen.insert(u64::from(device.id));
        }
    }
    assert_eq!(seen.into_iter().collect::<Vec<_>>(), [own]);
}

#[tokio::test]
async fn repeated_wrong_passwords_slow_down_and_the_right_one_still_works() {
    let server = Server::start(&minimal_site()).await;
    let _admin = server.administrator().await;
    let attacker = client();
    let login = |password: &'static str| {
        let attacker = attacker.clone();
        let url = server.url("/api/login");
        async move {
            attacker
                .post(url)
                .json(&json!({"username": "admin", "password": password}))
                .send()
                .await
                .unwrap()
        }
    };
    for _ in 0..3 {
        assert_eq!(
            login("wrong password!").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    // From the fourth failure on, each try waits twice as long as the one before.
    assert_eq!(
        login("wrong password!").await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    let mut waits = Vec::new();
    for _ in 0..3 {
        let refused = login("wrong password!").await;
        assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
        let wait: u64 = refused.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        tokio::time::sleep(Duration::from_secs(wait)).await;
        assert_eq!(
            login("wrong password!").await.status(),
            StatusCode::UNAUTHORIZED
        );
        waits.push(wait);
    }
    assert_eq!(waits, [1, 2, 4]);
    // During the wait even the right password is not checked.
    let refused = login(ADMIN_PASSWORD).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["code"], "error.too_many_attempts");
    tokio::time::sleep(Duration::from_secs(8)).await;
    assert_eq!(login(ADMIN_PASSWORD).await.status(), StatusCode::OK);
    // A success clears the failures.
    assert_eq!(
        login("wrong password!").await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn sessions_end_at_logout_disable_password_change_and_erase() {
    let server = Server::start(&minimal_site()).await;
    let admin = server.administrator().await;
    create_user(
        &server,
        &admin,
        json!({"username": "alice", "role": "installer", "password": PASSWORD}),
    )
    .await;
    let session_of = |client: reqwest::Client| {
        let url = server.url("/api/config");
        async move { client.get(url).send().await.unwrap().status() }
    };

    // Her own password change closes her other sessions, not the one she used.
    let phone = logged_in(&server, "alice", PASSWORD).await;
    let desktop = logged_in(&server, "alice", PASSWORD).await;
    let (status, body) = send(
        &desktop,
        Method::PUT,
        server.url("/api/account/password"),
        Some(json!({"current_password": "not it at all", "new_password": "another long password"})),
    )
    .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("current_password"))
    );
    let (status, _) = send(
        &desktop,
        Method::PUT,
        server.url("/api/account/password"),
        Some(json!({"current_password": PASSWORD, "new_password": "another long password"})),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(session_of(phone).await, StatusCode::UNAUTHORIZED);
    assert_eq!(session_of(desktop.clone()).await, StatusCode::OK);
    let refused = client()
        .post(server.url("/api/login"))
        .json(&json!({"username": "alice", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);

    // An administrator's reset closes all her sessions.
    let (status, _) = send(
        &admin,
        Method::PUT,
        server.url("/api/users/alice"),
        Some(json!({"username": "alice", "role": "installer", "password": "reset by the admin"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(session_of(desktop).await, StatusCode::UNAUTHORIZED);

    // Disabling closes them and keeps her out; enabling lets her in again.
    let alice = logged_in(&server, "alice", "reset by the admin").await;
    let (status, _) = send(
        &admin,
        Method::PUT,
        server.url("/api/users/alice"),
        Some(json!({"username": "alice", "role": "installer", "enabled": false})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(session_of(alice).await, StatusCode::UNAUTHORIZED);
    let refused = client()
        .post(server.url("/api/login"))
        .json(&json!({"username": "alice", "password": "reset by the admin"}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);

    // A change of rights reaches an open session at once.
    let (status, _) = send(
        &admin,
        Method::PUT,
        server.url("/api/users/alice"),
        Some(json!({"username": "alice", "role": "installer", "enabled": true})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let alice = logged_in(&server, "alice", "reset by the admin").await;
    assert_eq!(session_of(alice.clone()).await, StatusCode::OK);
    let (status, _) = send(
        &admin,
        Method::PUT,
        server.url("/api/users/alice"),
        Some(json!({"username": "alice", "role": "user"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(session_of(alice.clone()).await, StatusCode::FORBIDDEN);

    // Erasing ends her sessions; logout ends the administrator's.
    let (status, _) = send(&admin, Method::DELETE, server.url("/api/users/alice"), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, session) = send(&alice, Method::GET, server.url("/api/session"), None).await;
    assert_eq!(session, Value::Null);
    send(&admin, Method::POST, server.url("/api/logout"), None).await;
    assert_eq!(session_of(admin).await, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_last_administrator_stays_and_green_up_cannot_make_one() {
    let server = Server::start(&minimal_site()).await;
    let admin = server.administrator().await;
    let (status, body) = send(&admin, Method::DELETE, server.url("/api/users/admin"), None).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("error.last_administrator"))
    );
    let (status, body) = send(
        &admin,
        Method::PUT,
        server.url("/api/users/admin"),
        Some(json!({"username": "admin", "role": "administrator", "enabled": false})),
    )
    .await;
    assert_eq!(body["code"], "error.last_administrator", "{status}");
    create_user(
        &server,
        &admin,
        json!({"username": "green", "role": "green_up", "password": PASSWORD}),
    )
    .await;
    let green = logged_in(&server, "green", PASSWORD).await;
    let (status, body) = send(
        &green,
        Method::POST,
        server.url("/api/users"),
        Some(json!({"username": "mallory", "role": "administrator", "password": PASSWORD})),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("error.role_not_allowed"))
    );
    let (status, _) = send(
        &green,
        Method::POST,
        server.url("/api/users"),
        Some(json!({"username": "carol", "role": "user", "password": PASSWORD})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    // Nothing was written for the refused ones; no password ever comes back.
    let (_, users) = send(&admin, Method::GET, server.url("/api/users"), None).await;
    let names: Vec<&str> = users
        .as_array()
        .unwrap()
        .iter()
        .map(|user| user["username"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["admin", "carol", "green"]);
    assert!(!users.to_string().contains("argon2"), "{users}");
}

#[tokio::test]
async fn a_locked_session_answers_nothing_until_the_pin_is_given() {
    let server = Server::start(&minimal_site()).await;
    let admin = server.administrator().await;
    let (status, body) = send(
        &admin,
        Method::PUT,
        server.url("/api/account/pin"),
        Some(json!({"password": ADMIN_PASSWORD, "pin": "4711"})),
    )
    .await;
    assert_eq!(
        (status, body["has_pin"].as_bool()),
        (StatusCode::OK, Some(true))
    );
    let (_, locked) = send(&admin, Method::POST, server.url("/api/lock"), None).await;
    assert_eq!(locked["locked"], true);
    let (status, body) = send(&admin, Method::GET, server.url("/api/config"), None).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::LOCKED, Some("error.session_locked"))
    );
    let (_, session) = send(&admin, Method::GET, server.url("/api/session"), None).await;
    assert_eq!(session["locked"], true);
    let (status, body) = send(
        &admin,
        Method::POST,
        server.url("/api/unlock"),
        Some(json!({"secret": "0000"})),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str(), body["tries_left"].as_u64()),
        (
            StatusCode::UNAUTHORIZED,
            Some("error.unlock_failed"),
            Some(4)
        )
    );
    let (status, _) = send(
        &admin,
        Method::POST,
        server.url("/api/unlock"),
        Some(json!({"secret": "4711"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = send(&admin, Method::GET, server.url("/api/config"), None).await;
    assert_eq!(status, StatusCode::OK);

    // Five wrong secrets close the session for good.
    send(&admin, Method::POST, server.url("/api/lock"), None).await;
    for _ in 0..5 {
        send(
            &admin,
            Method::POST,
            server.url("/api/unlock"),
            Some(json!({"secret": "1234"})),
        )
        .await;
    }
    let (status, _) = send(
        &admin,
        Method::POST,
        server.url("/api/unlock"),
        Some(json!({"secret": "4711"})),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn service_secrets_are_write_only() {
    let server = Server::start(&minimal_site()).await;
    let admin = server.administrator().await;
    let form = json!({
        "mail": {"host": "smtp.example.com", "port": 587, "security": "start_tls",
                 "username": "box", "password": {"set": true, "value": "mail-secret-1"},
                 "sender": "energy@example.com"},
        "sftp": {"host": "", "port": 22, "username": "", "password": {"set": false}, "directory": ""},
        "telegram": {"bot_token": {"set": true, "value": "123:bot-secret"}, "chat_id": "42"}
    });
    let (status, saved) = send(
        &admin,
        Method::PUT,
        server.url("/api/config/services"),
        Some(form),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    let (_, shown) = send(
        &admin,
        Method::GET,
        server.url("/api/config/services"),
        None,
    )
    .await;
    for answer in [&saved, &shown] {
        let text = answer.to_string();
        assert!(
            !text.contains("mail-secret-1") && !text.contains("bot-secret"),
            "{text}"
        );
    }
    assert_eq!(shown["mail"]["password"], json!({"set": true}));
    assert_eq!(shown["sftp"]["password"], json!({"set": false}));
    // Sending back what was shown keeps the secrets; the store still has them.
    let (status, _) = send(
        &admin,
        Method::PUT,
        server.url("/api/config/services"),
        Some(shown.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    // A bad field is refused with its name and changes nothing.
    let mut bad = shown.clone();
    bad["mail"]["sender"] = json!("not an address");
    bad["telegram"]["chat_id"] = json!("changed");
    let (status, body) = send(
        &admin,
        Method::PUT,
        server.url("/api/config/services"),
        Some(bad),
    )
    .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("mail.sender"))
    );
    let (_, after) = send(
        &admin,
        Method::GET,
        server.url("/api/config/services"),
        None,
    )
    .await;
    assert_eq!(after, shown);
    // Stored secrets reach the database, never the log or the answers: read them back there.
    let store_text = std::fs::read(server.data_dir.path().join("energy.redb")).unwrap();
    let needle = b"mail-secret-1";
    assert!(
        store_text
            .windows(needle.len())
            .any(|window| window == needle),
        "the secret was not kept"
    );
}

#[tokio::test]
async fn the_setup_token_works_once() {
    let server = Server::start(&minimal_site()).await;
    let token = server.setup_token();
    let _admin = server.administrator().await;
    let (status, body) = send(
        &client(),
        Method::POST,
        server.url("/api/setup"),
        Some(json!({"token": token, "username": "second", "password": PASSWORD})),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::CONFLICT, Some("error.setup_closed"))
    );
    assert!(!server.data_dir.path().join("setup-token").exists());
}

/// A site with only the Local gateway, switched off: nothing to poll.
fn minimal_site() -> String {
    r#"
[[gateways]]
id = 1
name = "Local"
kind = "local"
serial_port = "/dev/null"
enabled = false
"#
    .to_owned()
}
