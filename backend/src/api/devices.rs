//! Gateways, devices with their live values, and today's hourly consumption.

use axum::extract::State;
use shared::{DeviceInfo, GatewayDiagnostics, GatewayInfo, GatewayKind, GatewayLink, HourlyEnergy};

use super::error::AppError;
use super::extract::{AppJson, AppPath, CurrentUser};
use crate::AppState;
use crate::store::Period;

/// `GET /api/gateways`.
pub async fn gateways(
    State(state): State<AppState>,
    user: CurrentUser,
) -> AppJson<Vec<GatewayInfo>> {
    let site = state.configuration.current();
    // A tenant sees the gateways of their own devices only.
    let shown = |gateway: &&shared::GatewayConfig| {
        user.grant().devices.is_none()
            || site
                .devices
                .iter()
                .any(|device| device.gateway == gateway.id && user.sees(device.id))
    };
    let gateways = site
        .gateways
        .iter()
        .filter(shown)
        .map(|gateway| {
            let (kind, address) = match &gateway.link {
                GatewayLink::Local { serial_port, .. } => (GatewayKind::Local, serial_port.clone()),
                GatewayLink::ModbusTcp { host, port, .. } => {
                    (GatewayKind::ModbusTcp, format!("{host}:{port}"))
                }
                GatewayLink::Han { serial_port, .. } => (GatewayKind::Han, serial_port.clone()),
            };
            GatewayInfo {
                id: gateway.id,
                name: gateway.name.clone(),
                kind,
                address,
                enabled: gateway.enabled,
            }
        })
        .collect();
    AppJson(gateways)
}

/// `GET /api/devices`: every device the user may see, with its latest values.
pub async fn devices(State(state): State<AppState>, user: CurrentUser) -> AppJson<Vec<DeviceInfo>> {
    let mut devices = state.live.snapshot();
    devices.retain(|device| user.sees(device.id));
    AppJson(devices)
}

/// The live state of device `id`, if the user may see it (another tenant's device is as unknown
/// as one that does not exist).
fn visible_device(state: &AppState, user: &CurrentUser, id: u32) -> Result<DeviceInfo, AppError> {
    state
        .live
        .get(id)
        .filter(|_| user.sees(id))
        .ok_or(AppError::NotFound)
}

/// `GET /api/devices/{id}`.
pub async fn device(
    State(state): State<AppState>,
    user: CurrentUser,
    AppPath(id): AppPath<u32>,
) -> Result<AppJson<DeviceInfo>, AppError> {
    visible_device(&state, &user, id).map(AppJson)
}

/// `GET /api/devices/{id}/energy/today`: consumption per local hour of today.
pub async fn energy_today(
    State(state): State<AppState>,
    user: CurrentUser,
    AppPath(id): AppPath<u32>,
) -> Result<AppJson<HourlyEnergy>, AppError> {
    let device = visible_device(&state, &user, id)?;
    let quantity = device.commodity.consumption_quantity();
    let store = state.store.clone();
    let today = store.today();
    let buckets = tokio::task::spawn_blocking(move || {
        store.consumption_histogram(&[id], quantity, Period::Day, today)
    })
    .await??;
    Ok(AppJson(HourlyEnergy {
        device_id: id,
        date: today.format("%Y-%m-%d").to_string(),
        quantity,
        hours: buckets.iter().map(|bucket| bucket.value).collect(),
    }))
}

/// `GET /api/diagnostics`: bus statistics per gateway and device, for installers.
pub async fn diagnostics(
    State(state): State<AppState>,
    _user: CurrentUser,
) -> AppJson<Vec<GatewayDiagnostics>> {
    let site = state.configuration.current();
    let statistics = &state.acquisition.diagnostics;
    let gateways = site
        .gateways
        .iter()
        .map(|gateway| GatewayDiagnostics {
            gateway_id: gateway.id,
            name: gateway.name.clone(),
            enabled: gateway.enabled,
            devices: site
                .devices
                .iter()
                .filter(|device| device.gateway == gateway.id)
                .map(|device| statistics.device(device.id, &device.name))
                .collect(),
        })
        .collect();
    AppJson(gateways)
}
