//! The JSON API and the WebSocket, under `/api`.

mod account;
mod devices;
mod error;
mod extract;
mod live;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

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
        .layer(DefaultBodyLimit::max(BODY_LIMIT_BYTES))
}
