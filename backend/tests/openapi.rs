//! The published OpenAPI document against the server that publishes it: every route is in it,
//! every access rule holds, and real answers from a server reading the simulated bus match the
//! schemas it declares.

use std::collections::HashSet;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use shared::{DeviceInfo, DeviceStatus};

mod common;

use common::{client, start_demo};

/// Every (method, path, operation) of the document.
fn operations(document: &Value) -> Vec<(Method, String, Value)> {
    let mut found = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            found.push((method, path.clone(), operation.clone()));
        }
    }
    found
}

/// A validator for `schema`, resolving its references in the document's components.
fn validator(document: &Value, schema: &Value) -> jsonschema::Validator {
    let mut root = schema.as_object().cloned().unwrap_or_default();
    root.insert(
        "$schema".into(),
        "https://json-schema.org/draft/2020-12/schema".into(),
    );
    root.insert("components".into(), document["components"].clone());
    jsonschema::validator_for(&Value::Object(root)).unwrap()
}

fn success_schema(operation: &Value) -> Option<(u16, Option<Value>)> {
    let responses = operation["responses"].as_object()?;
    let (status, response) = responses.iter().find(|(status, _)| *status != "default")?;
    let schema = response["content"]["application/json"]["schema"].clone();
    Some((status.parse().ok()?, (!schema.is_null()).then_some(schema)))
}

/// `path` with every `{parameter}` replaced by `value`.
fn with_parameters(path: &str, value: &str) -> String {
    let mut filled = String::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        filled.push_str(&rest[..start]);
        filled.push_str(value);
        let end = rest[start..].find('}').unwrap();
        rest = &rest[start + end + 1..];
    }
    filled.push_str(rest);
    filled
}

fn collect_references(value: &Value, into: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                if key == "$ref" {
                    into.push(inner.as_str().unwrap().to_owned());
                } else {
                    collect_references(inner, into);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| collect_references(item, into)),
        _ => {}
    }
}

#[tokio::test]
async fn the_document_lists_every_route_once_with_resolvable_schemas() {
    let (running, _site) = start_demo().await;
    let response = client()
        .get(running.url("/api/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        "application/json"
    );
    let document: Value = response.json().await.unwrap();
    assert_eq!(document["openapi"], "3.1.0");

    let endpoints = backend::api::endpoints();
    let operations = operations(&document);
    assert_eq!(operations.len(), endpoints.len(), "one operation per route");
    for endpoint in &endpoints {
        let operation = &document["paths"][endpoint.path][endpoint.method.as_str().to_lowercase()];
        assert!(
            operation.is_object(),
            "{} {} missing",
            endpoint.method,
            endpoint.path
        );
        assert!(
            !endpoint.summary.is_empty(),
            "{} has no summary",
            endpoint.path
        );
    }

    let mut operation_ids = HashSet::new();
    for (method, path, operation) in &operations {
        let id = operation["operationId"].as_str().unwrap();
        assert!(
            !id.is_empty() && operation_ids.insert(id.to_owned()),
            "{method} {path}: operationId {id:?}"
        );
        // Every `{parameter}` of the path is declared, and nothing else is declared in the path.
        let in_path: HashSet<&str> = path
            .split('/')
            .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
            .collect();
        let declared: HashSet<&str> = operation["parameters"]
            .as_array()
            .map(|parameters| {
                parameters
                    .iter()
                    .filter(|parameter| parameter["in"] == "path")
                    .map(|parameter| parameter["name"].as_str().unwrap())
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(in_path, declared, "{method} {path}: path parameters");
        // Every route says who may call it.
        let public = operation["security"] == json!([]);
        assert!(
            public
                || operation["x-roles"]
                    .as_array()
                    .is_some_and(|roles| !roles.is_empty()),
            "{method} {path}: no access rule"
        );
    }

    let mut references = Vec::new();
    collect_references(&document, &mut references);
    assert!(!references.is_empty());
    for reference in references {
        let pointer = reference.strip_prefix('#').unwrap();
        assert!(
            document.pointer(pointer).is_some(),
            "dangling reference {reference}"
        );
    }
}

#[tokio::test]
async fn every_route_that_needs_a_session_refuses_requests_without_one() {
    let (running, _site) = start_demo().await;
    let anonymous = client();
    let document: Value = anonymous
        .get(running.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut protected = 0;
    for (method, path, operation) in operations(&document) {
        let request = anonymous.request(method.clone(), running.url(&with_parameters(&path, "1")));
        // Even a well-formed body must not get past the guard.
        let request = if operation["requestBody"].is_null() {
            request
        } else {
            request.json(&json!({}))
        };
        let status = request.send().await.unwrap().status();
        if operation["security"] == json!([]) {
            assert_ne!(
                status,
                StatusCode::UNAUTHORIZED,
                "{method} {path} is public"
            );
        } else {
            protected += 1;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {path}");
        }
    }
    assert!(protected >= 15, "only {protected} protected operations");
}

#[tokio::test]
async fn real_answers_match_the_declared_schemas() {
    let (running, _site) = start_demo().await;
    let administrator = running.administrator().await;
    let document: Value = administrator
        .get(running.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    // Wait until every simulated device has been read, so answers carry real values.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let devices = loop {
        let devices: Vec<DeviceInfo> = administrator
            .get(running.url("/api/devices"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let all_on = devices
            .iter()
            .all(|device| device.status == DeviceStatus::On);
        if all_on || tokio::time::Instant::now() > deadline {
            break devices;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(
        devices
            .iter()
            .all(|device| device.status == DeviceStatus::On)
    );
    let device_id = devices[0].id.to_string();

    // The schemas have teeth: a device list whose id is a string is refused.
    let (_, devices_schema) = success_schema(&document["paths"]["/api/devices"]["get"]).unwrap();
    let devices_validator = validator(&document, &devices_schema.unwrap());
    assert!(!devices_validator.is_valid(&json!([{"id": "one"}])));

    let mut checked = 0;
    for (method, path, operation) in operations(&document) {
        if method != Method::GET || operation["responses"]["101"].is_object() {
            continue;
        }
        let Some((status, schema)) = success_schema(&operation) else {
            continue;
        };
        let response = administrator
            .get(running.url(&with_parameters(&path, &device_id)))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), status, "GET {path}");
        // Downloads declare their own media type, and answer with it.
        if let Some(media_type) = operation["responses"][status.to_string()]["content"]
            .as_object()
            .and_then(|content| content.keys().find(|key| *key != "application/json"))
        {
            let sent = response.headers()["content-type"]
                .to_str()
                .unwrap()
                .to_owned();
            assert!(sent.starts_with(media_type.as_str()), "GET {path}: {sent}");
            continue;
        }
        let body: Value = response.json().await.unwrap();
        if let Some(schema) = schema {
            let validator = validator(&document, &schema);
            let errors: Vec<String> = validator
                .iter_errors(&body)
                .map(|error| format!("{} at {}", error, error.instance_path()))
                .collect();
            assert!(errors.is_empty(), "GET {path}: {errors:?}");
            checked += 1;
        }
    }
    assert!(checked >= 10, "only {checked} answers checked");

    // A test of an unsaved device answers a TestReport as declared, and a bad body an ApiError.
    let test_device = &document["paths"]["/api/config/devices/test"]["post"];
    let (_, schema) = success_schema(test_device).unwrap();
    let site: Value = administrator
        .get(running.url("/api/config"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let device = site["devices"][0].clone();
    let report: Value = administrator
        .post(running.url("/api/config/devices/test"))
        .json(&device)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        validator(&document, &schema.unwrap()).is_valid(&report),
        "{report}"
    );
    assert_eq!(report["ok"], true, "{report}");

    let refused = administrator
        .post(running.url("/api/config/devices"))
        .json(&json!({"gateway": 1, "name": "", "model": "nothing-like-it", "address": 0}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    let error: Value = refused.json().await.unwrap();
    let error_schema =
        &test_device["responses"]["default"]["content"]["application/json"]["schema"];
    assert!(
        validator(&document, error_schema).is_valid(&error),
        "{error}"
    );
}
