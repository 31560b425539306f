//! Inputs and outputs of I/O modules (§8.2.1): their states with labels, and output commands
//! (on, off, pulse) written through the gateway's task before its next read.

use std::time::Duration;

use axum::extract::State;
use shared::{DeviceIo, OutputAction, OutputCommand, OutputResult, validate_output_command};
use tracing::info;

use super::error::AppError;
use super::extract::{AppJson, AppPath, CurrentUser};
use crate::AppState;
use crate::acquisition::device_io;

/// `GET /api/devices/{id}/io`: the inputs and outputs of a device with their labels and latest
/// states (empty lists for a device without any).
pub async fn device_io_get(
    State(state): State<AppState>,
    user: CurrentUser,
    AppPath(id): AppPath<u32>,
) -> Result<AppJson<DeviceIo>, AppError> {
    let site = state.configuration.current();
    let device = site
        .devices
        .iter()
        .find(|device| device.id == id && user.sees(id))
        .ok_or(AppError::NotFound)?;
    let io = match state.configuration.catalog().get(&device.model) {
        Some(profile) => device_io(device, profile, &state.acquisition.io.get(id)),
        None => DeviceIo {
            device_id: id,
            ..DeviceIo::default()
        },
    };
    Ok(AppJson(io))
}

/// `POST /api/devices/{id}/outputs/{output}`: switches an output on or off, or pulses it, and
/// answers with what the device made of it.
pub async fn output_command(
    State(state): State<AppState>,
    user: CurrentUser,
    AppPath((id, output)): AppPath<(u32, u8)>,
    AppJson(command): AppJson<OutputCommand>,
) -> Result<AppJson<OutputResult>, AppError> {
    let site = state.configuration.current();
    let device = site
        .devices
        .iter()
        .find(|device| device.id == id && user.sees(id))
        .ok_or(AppError::NotFound)?;
    let gateway_enabled = site
        .gateways
        .iter()
        .any(|gateway| gateway.id == device.gateway && gateway.enabled);
    let profile = state.configuration.catalog().get(&device.model);
    let spec = validate_output_command(device, profile, gateway_enabled, output, &command)
        .map_err(|refused| {
            if refused.conflict {
                AppError::Conflict(refused.error.code, refused.error.message)
            } else {
                AppError::Validation(refused.error)
            }
        })?;
    let (on, pulse) = match command.action {
        OutputAction::On => (true, None),
        OutputAction::Off => (false, None),
        OutputAction::Pulse => (
            true,
            command
                .on_time_ms
                .map(|ms| Duration::from_millis(u64::from(ms))),
        ),
    };
    let result = state
        .acquisition
        .command_output(device, spec, on, pulse)
        .await;
    info!(
        user = %user.username(),
        device = id,
        output,
        action = ?command.action,
        ok = result.ok,
        "output command"
    );
    Ok(AppJson(result))
}
