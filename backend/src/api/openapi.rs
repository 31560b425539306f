//! The OpenAPI 3.1 document of the API, built from [`super::endpoints`] and the JSON Schemas of
//! the very types the handlers serialise, so it describes what the server really does.

use std::sync::OnceLock;

use axum::http::header;
use axum::response::{IntoResponse, Response};
use schemars::SchemaGenerator;
use schemars::generate::SchemaSettings;
use serde_json::{Map, Value, json};
use shared::ApiError;

use super::endpoints::{Access, Endpoint, ParameterLocation};
use crate::auth::SESSION_COOKIE;

/// `GET /api/openapi.json`. The document never changes while the server runs: built once.
pub async fn serve() -> Response {
    static DOCUMENT: OnceLock<String> = OnceLock::new();
    let body = DOCUMENT.get_or_init(|| document(&super::endpoints()).to_string());
    ([(header::CONTENT_TYPE, "application/json")], body.as_str()).into_response()
}

/// The whole document for `endpoints`.
pub fn document(endpoints: &[Endpoint]) -> Value {
    // OpenAPI 3.1 takes JSON Schema 2020-12 as is; only the place of shared schemas differs.
    let settings = SchemaSettings::draft2020_12().with(|settings| {
        settings.definitions_path = "/components/schemas".into();
        settings.meta_schema = None;
    });
    let mut generator = SchemaGenerator::new(settings);
    let error_schema = Value::from(generator.subschema_for::<ApiError>());

    let mut paths = Map::new();
    for endpoint in endpoints {
        let operation = operation(endpoint, &mut generator, &error_schema);
        let path_item = paths
            .entry(endpoint.path.to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(path_item) = path_item {
            path_item.insert(endpoint.method.as_str().to_lowercase(), operation);
        }
    }

    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Energy web server API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Everything the web app does goes through this API. Sessions are \
                cookies set by login; routes with `x-pages` need a user allowed one of those pages \
                (`x-roles`: the built-in roles that are; custom users by their chosen pages), and \
                a locked session (423) only unlocks. Tenants see only their own devices. Errors are \
                `ApiError` bodies: an English message, a translation key and, for bad input, \
                the field at fault.",
        },
        "tags": tags(endpoints),
        "paths": paths,
        "components": {
            "schemas": generator.take_definitions(true),
            "securitySchemes": {
                "session": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": SESSION_COOKIE,
                    "description": "Session cookie set by /api/setup and /api/login (HttpOnly, SameSite=Strict).",
                },
            },
        },
    })
}

fn operation(endpoint: &Endpoint, generator: &mut SchemaGenerator, error_schema: &Value) -> Value {
    let mut operation = Map::new();
    operation.insert("operationId".into(), endpoint.operation_id.into());
    operation.insert("summary".into(), endpoint.summary.into());
    operation.insert("tags".into(), json!([endpoint.tag]));

    if !endpoint.parameters.is_empty() {
        let parameters: Vec<Value> = endpoint
            .parameters
            .iter()
            .map(|parameter| {
                json!({
                    "name": parameter.name,
                    "in": match parameter.location {
                        ParameterLocation::Path => "path",
                        ParameterLocation::Query => "query",
                    },
                    "required": parameter.required,
                    "description": parameter.description,
                    "schema": Value::from((parameter.schema)(generator)),
                })
            })
            .collect();
        operation.insert("parameters".into(), parameters.into());
    }

    if let Some(request) = endpoint.request {
        operation.insert(
            "requestBody".into(),
            json!({
                "required": true,
                "content": {"application/json": {"schema": Value::from(request(generator))}},
            }),
        );
    }

    let mut responses = Map::new();
    let success = match (endpoint.response, endpoint.websocket_messages) {
        (_, Some(messages)) => json!({
            "description": "Switching to the WebSocket protocol; each text message is JSON of the \
                `x-websocket-message` schema",
            "x-websocket-message": Value::from(messages(generator)),
        }),
        (Some(response), None) => json!({
            "description": "Success",
            "content": {endpoint.response_media_type: {"schema": Value::from(response(generator))}},
        }),
        (None, None) => json!({"description": "Success, no body"}),
    };
    responses.insert(endpoint.success_status.to_string(), success);
    responses.insert(
        "default".into(),
        json!({
            "description": "Refused or failed: 400 bad input, 401 no session, 403 role not allowed, \
                423 session locked, 429 too many failed logins (Retry-After), \
                404 unknown id, 409 conflict with the current state, 500 server fault",
            "content": {"application/json": {"schema": error_schema}},
        }),
    );
    operation.insert("responses".into(), responses.into());

    match endpoint.access {
        Access::Public => {
            operation.insert("security".into(), json!([]));
        }
        access => {
            operation.insert("security".into(), json!([{"session": []}]));
            operation.insert("x-roles".into(), json!(access.roles()));
            if !access.pages().is_empty() {
                operation.insert("x-pages".into(), json!(access.pages()));
            }
        }
    }
    operation.into()
}

fn tags(endpoints: &[Endpoint]) -> Value {
    let mut names: Vec<&str> = endpoints.iter().map(|endpoint| endpoint.tag).collect();
    names.sort_unstable();
    names.dedup();
    names
        .into_iter()
        .map(|name| json!({"name": name}))
        .collect::<Vec<_>>()
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemas_follow_the_serde_shape_of_the_types() {
        let document = document(&crate::api::endpoints());
        let schemas = &document["components"]["schemas"];
        // Gateways are tagged by `kind` with the link's fields flattened in.
        let gateway = serde_json::to_string(&schemas["GatewayConfig"]).unwrap();
        assert!(gateway.contains("\"modbus_tcp\""), "{gateway}");
        assert!(gateway.contains("\"host\""), "{gateway}");
        // Fields with a serde default are optional in requests.
        let device = &schemas["DeviceConfig"];
        let required: Vec<&str> = device["required"]
            .as_array()
            .unwrap()
            .iter()
            .map(|field| field.as_str().unwrap())
            .collect();
        assert!(required.contains(&"model"), "{required:?}");
        assert!(!required.contains(&"id"), "{required:?}");
        // Quantities are listed by their JSON names.
        let quantity = serde_json::to_string(&schemas["Quantity"]).unwrap();
        assert!(quantity.contains("\"active_power\""), "{quantity}");
    }
}
