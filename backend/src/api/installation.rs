//! Load types, measure groups, panel boards and the sample rate (§7.16.2, §7.16.4): what the
//! consumption pages group devices by, and how often values are recorded.
//!
//! Erasing something that devices or gateways refer to never leaves a dangling reference: devices
//! of an erased load go back to "others", an erased group leaves its devices, an erased board
//! frees its gateways.

use axum::extract::State;
use axum::http::StatusCode;
use shared::{
    LoadType, MeasureGroup, PanelBoard, Recording, next_load_id, validate_group, validate_load,
    validate_panel_board, validate_recording,
};
use tracing::info;

use super::error::AppError;
use super::extract::{AppJson, AppPath, Installer};
use crate::AppState;

/// The load type devices fall back to when theirs is erased.
const FALLBACK_LOAD: &str = "others";

/// `POST /api/config/loads`: a user-made load type.
pub async fn create_load(
    State(state): State<AppState>,
    Installer(user): Installer,
    AppJson(mut load): AppJson<LoadType>,
) -> Result<(StatusCode, AppJson<LoadType>), AppError> {
    load.name = load.name.trim().to_owned();
    let created = state
        .configuration
        .update(move |site, _| {
            // Checked before an id is given: a new load must be user-made.
            load.id = String::new();
            validate_load(&load, site)?;
            load.id = next_load_id(&site.loads);
            site.loads.push(load.clone());
            Ok(load)
        })
        .await?;
    info!(user = %user.session.username, load = %created.id, "load type created");
    Ok((StatusCode::CREATED, AppJson(created)))
}

/// `PUT /api/config/loads/{id}`: renames a user-made load, or switches any load on or off.
pub async fn update_load(
    State(state): State<AppState>,
    Installer(user): Installer,
    AppPath(id): AppPath<String>,
    AppJson(mut load): AppJson<LoadType>,
) -> Result<AppJson<LoadType>, AppError> {
    load.id = id.clone();
    load.name = load.name.trim().to_owned();
    let updated = state
        .configuration
        .update(move |site, _| {
            let index = site
                .loads
                .iter()
                .position(|existing| existing.id == id)
                .ok_or(AppError::NotFound)?;
            validate_load(&load, site)?;
            site.loads[index] = load.clone();
            Ok(load)
        })
        .await?;
    info!(user = %user.session.username, load = %updated.id, "load type changed");
    Ok(AppJson(updated))
}

/// `DELETE /api/config/loads/{id}`: erases a user-made load; its devices go back to "others".
pub async fn delete_load(
    State(state): State<AppState>,
    Installer(user): Installer,
    AppPath(id): AppPath<String>,
) -> Result<StatusCode, AppError> {
    let erased = id.clone();
    state
        .configuration
        .update(move |site, _| {
            let load = site
                .loads
                .iter()
                .find(|existing| existing.id == id)
                .ok_or(AppError::NotFound)?;
            if load.is_predefined() {
                return Err(AppError::Conflict(
                    "error.load_predefined",
                    "Predefined loads cannot be erased; disable them instead.",
                ));
            }
            site.loads.retain(|existing| existing.id != id);
            for device in site
                .devices
                .iter_mut()
                .filter(|device| device.load_type == id)
            {
                device.load_type = FALLBACK_LOAD.to_owned();
            }
            Ok(())
        })
        .await?;
    info!(user = %user.session.username, load = %erased, "load type erased");
    Ok(StatusCode::NO_CONTENT)
}

fn normalise_group(group: &mut MeasureGroup) {
    group.name = group.name.trim().to_owned();
    group.description = group.description.trim().to_owned();
}

/// `POST /api/config/groups`.
pub async fn create_group(
    State(state): State<AppState>,
    Installer(user): Installer,
    AppJson(mut group): AppJson<MeasureGroup>,
) -> Result<(StatusCode, AppJson<MeasureGroup>), AppError> {
    normalise_group(&mut group);
    let created = state
        .configuration
        .update(move |site, _| {
            group.id = 0;
            validate_group(&group, site)?;
            group.id = site.issue_group_id();
            site.groups.push(group.clone());
            Ok(group)
        })
        .await?;
    info!(user = %user.session.username, group = created.id, "measure group created");
    Ok((StatusCode::CREATED, AppJson(created)))
}

/// `PUT /api/config/groups/{id}`: renames, describes, or switches a group on or off.
pub async fn update_group(
    State(state): State<AppState>,
    Installer(user): Installer,
    AppPath(id): AppPath<u32>,
    AppJson(mut group): AppJson<MeasureGroup>,
) -> Result<AppJson<MeasureGroup>, AppError> {
    group.id = id;
    normalise_group(&mut group);
    let updated = state
        .configuration
        .update(move |site, _| {
            let index = site
                .groups
                .iter()
                .position(|existing| existing.id == id)
                .ok_or(AppError::NotFound)?;
            validate_group(&group, site)?;
            site.groups[index] = group.clone();
            Ok(group)
        })
        .await?;
    info!(user = %user.session.username, group = updated.id, "measure group changed");
    Ok(AppJson(updated))
}

/// `DELETE /api/config/groups/{id}`: erases a group; its devices leave it.
pub async fn delete_group(
    State(state): State<AppState>,
    Installer(user): Installer,
    AppPath(id): AppPath<u32>,
) -> Result<StatusCode, AppError> {
    state
        .configuration
        .update(move |site, _| {
            if !site.groups.iter().any(|group| group.id == id) {
                return Err(AppError::NotFound);
            }
            site.groups.retain(|group| group.id != id);
            for device in &mut site.devices {
                device.groups.retain(|group| *group != id);
            }
            Ok(())
        })
        .await?;
    info!(user = %user.session.username, group = id, "measure group erased");
    Ok(StatusCode::NO_CONTENT)
}

fn normalise_board(board: &mut PanelBoard) {
    board.name = board.name.trim().to_owned();
    board.description = board.description.trim().to_owned();
}

/// `POST /api/config/panel-boards`.
pub async fn create_panel_board(
    State(state): State<AppState>,
    Installer(user): Installer,
    AppJson(mut board): AppJson<PanelBoard>,
) -> Result<(StatusCode, AppJson<PanelBoard>), AppError> {
    normalise_board(&mut board);
    let created = state
        .configuration
        .update(move |site, _| {
            board.id = 0;
            validate_panel_board(&board, site)?;
            board.id = site.issue_panel_board_id();
            site.panel_boards.push(board.clone());
            Ok(board)
        })
        .await?;
    info!(user = %user.session.username, board = created.id, "panel board created");
    Ok((StatusCode::CREATED, AppJson(created)))
}

/// `PUT /api/config/panel-boards/{id}`: renames, moves gateways onto it, or switches it on or off.
pub async fn update_panel_board(
    State(state): State<AppState>,
    Installer(user): Installer,
    AppPath(id): AppPath<u32>,
    AppJson(mut board): AppJson<PanelBoard>,
) -> Result<AppJson<PanelBoard>, AppError> {
    board.id = id;
    normalise_board(&mut board);
    let updated = state
        .configuration
        .update(move |site, _| {
            let index = site
                .panel_boards
                .iter()
                .position(|existing| existing.id == id)
                .ok_or(AppError::NotFound)?;
            validate_panel_board(&board, site)?;
            site.panel_boards[index] = board.clone();
            Ok(board)
        })
        .await?;
    info!(user = %user.session.username, board = updated.id, "panel board changed");
    Ok(AppJson(updated))
}

/// `DELETE /api/config/panel-boards/{id}`: erases a board; its gateways are on no board.
pub async fn delete_panel_board(
    State(state): State<AppState>,
    Installer(user): Installer,
    AppPath(id): AppPath<u32>,
) -> Result<StatusCode, AppError> {
    state
        .configuration
        .update(move |site, _| {
            if !site.panel_boards.iter().any(|board| board.id == id) {
                return Err(AppError::NotFound);
            }
            site.panel_boards.retain(|board| board.id != id);
            Ok(())
        })
        .await?;
    info!(user = %user.session.username, board = id, "panel board erased");
    Ok(StatusCode::NO_CONTENT)
}

/// `PUT /api/config/recording`: the sample rate. Values already recorded keep their rate.
pub async fn update_recording(
    State(state): State<AppState>,
    Installer(user): Installer,
    AppJson(recording): AppJson<Recording>,
) -> Result<AppJson<Recording>, AppError> {
    validate_recording(&recording)?;
    let updated = state
        .configuration
        .update(move |site, _| {
            site.recording = recording;
            Ok(recording)
        })
        .await?;
    info!(user = %user.session.username, minutes = updated.sample_minutes, "sample rate changed");
    Ok(AppJson(updated))
}
