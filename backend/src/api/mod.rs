//! The JSON API and the WebSocket, under `/api`.

mod account;
mod configuration;
mod devices;
mod error;
mod extract;
mod live;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post, put};

pub use error::AppError;

use crate::AppState;

/// Request bodies are small forms; refuse anything larger before parsing it.
const BODY_LIMIT_BYTES: usize = 64 * 1024;

/// Every `/api` route. Handlers that take a `CurrentUser` refuse requests without a session; only
/// health, setup and login are open.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/health", get(account::health))
        .route(
            "/api/setup",
            get(account::setup_status).post(account::setup),
        )
        .route("/api/login", post(account::login))
        .route("/api/logout", post(account::logout))
        .route("/api/session", get(account::session))
        .route("/api/gateways", get(devices::gateways))
        .route("/api/devices", get(devices::devices))
        .route("/api/devices/{id}", get(devices::device))
        .route("/api/devices/{id}/energy/today", get(devices::energy_today))
        .route("/api/live", get(live::live))
        .route("/api/diagnostics", get(devices::diagnostics))
        .route("/api/catalog", get(configuration::catalog))
        .route("/api/config", get(configuration::site))
        .route("/api/config/gateways", post(configuration::create_gateway))
        .route(
            "/api/config/gateways/{id}",
            put(configuration::update_gateway).delete(configuration::delete_gateway),
        )
        .route(
            "/api/config/gateways/{id}/test",
            post(configuration::test_gateway),
        )
        .route("/api/config/devices", post(configuration::create_device))
        .route(
            "/api/config/devices/{id}",
            put(configuration::update_device).delete(configuration::delete_device),
        )
        .route("/api/config/devices/test", post(configuration::test_device))
        .layer(DefaultBodyLimit::max(BODY_LIMIT_BYTES))
}
