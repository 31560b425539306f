//! Load types, measure groups, panel boards and the sample rate (§7.16.2, §7.16.4): what the
//! consumption pages group devices by, and how often values are recorded.
//!
//! The three kinds of record share one life cycle (create, change, erase) written once over
//! [`Record`]. Erasing something that devices or gateways refer to never leaves a dangling
//! reference: devices of an erased load go back to "others", an erased group leaves its devices,
//! an erased board frees its gateways.

use std::fmt::Display;

use axum::extract::State;
use axum::http::StatusCode;
use shared::{
    FieldError, LoadType, MeasureGroup, PanelBoard, Recording, SiteConfig, next_load_id,
    validate_group, validate_load, validate_panel_board, validate_recording,
};
use tracing::info;

use super::error::AppError;
use super::extract::{AppJson, AppPath, CurrentUser};
use crate::AppState;

/// The load type devices fall back to when theirs is erased.
const FALLBACK_LOAD: &str = "others";

/// A kind of record kept in a list of the installation.
trait Record: Clone + Send + 'static {
    type Id: Clone + PartialEq + Display + Send + 'static;
    /// For the log.
    const NAME: &'static str;

    fn id(&self) -> Self::Id;
    fn set_id(&mut self, id: Self::Id);
    /// The id a record has before the server gives it one.
    fn unassigned() -> Self::Id;
    fn list(site: &mut SiteConfig) -> &mut Vec<Self>;
    /// Trims what the user typed.
    fn normalise(&mut self);
    fn validate(&self, site: &SiteConfig) -> Result<(), FieldError>;
    fn issue_id(site: &mut SiteConfig) -> Self::Id;
    /// Refuses to erase `id`, or lets go of what refers to it.
    fn release(site: &mut SiteConfig, id: &Self::Id) -> Result<(), AppError>;
}

impl Record for LoadType {
    type Id = String;
    const NAME: &'static str = "load type";

    fn id(&self) -> String {
        self.id.clone()
    }
    fn set_id(&mut self, id: String) {
        self.id = id;
    }
    fn unassigned() -> String {
        String::new()
    }
    fn list(site: &mut SiteConfig) -> &mut Vec<Self> {
        &mut site.loads
    }
    fn normalise(&mut self) {
        self.name = self.name.trim().to_owned();
    }
    fn validate(&self, site: &SiteConfig) -> Result<(), FieldError> {
        validate_load(self, site)
    }
    fn issue_id(site: &mut SiteConfig) -> String {
        next_load_id(&site.loads)
    }
    fn release(site: &mut SiteConfig, id: &String) -> Result<(), AppError> {
        if site
            .loads
            .iter()
            .any(|load| &load.id == id && load.is_predefined())
        {
            return Err(AppError::Conflict(
                "error.load_predefined",
                "Predefined loads cannot be erased; disable them instead.",
            ));
        }
        for device in site.devices.iter_mut().filter(|d| &d.load_type == id) {
            device.load_type = FALLBACK_LOAD.to_owned();
        }
        Ok(())
    }
}

impl Record for MeasureGroup {
    type Id = u32;
    const NAME: &'static str = "measure group";

    fn id(&self) -> u32 {
        self.id
    }
    fn set_id(&mut self, id: u32) {
        self.id = id;
    }
    fn unassigned() -> u32 {
        0
    }
    fn list(site: &mut SiteConfig) -> &mut Vec<Self> {
        &mut site.groups
    }
    fn normalise(&mut self) {
        self.name = self.name.trim().to_owned();
        self.description = self.description.trim().to_owned();
    }
    fn validate(&self, site: &SiteConfig) -> Result<(), FieldError> {
        validate_group(self, site)
    }
    fn issue_id(site: &mut SiteConfig) -> u32 {
        site.issue_group_id()
    }
    fn release(site: &mut SiteConfig, id: &u32) -> Result<(), AppError> {
        for device in &mut site.devices {
            device.groups.retain(|group| group != id);
        }
        Ok(())
    }
}

impl Record for PanelBoard {
    type Id = u32;
    const NAME: &'static str = "panel board";

    fn id(&self) -> u32 {
        self.id
    }
    fn set_id(&mut self, id: u32) {
        self.id = id;
    }
    fn unassigned() -> u32 {
        0
    }
    fn list(site: &mut SiteConfig) -> &mut Vec<Self> {
        &mut site.panel_boards
    }
    fn normalise(&mut self) {
        self.name = self.name.trim().to_owned();
        self.description = self.description.trim().to_owned();
    }
    fn validate(&self, site: &SiteConfig) -> Result<(), FieldError> {
        validate_panel_board(self, site)
    }
    fn issue_id(site: &mut SiteConfig) -> u32 {
        site.issue_panel_board_id()
    }
    fn release(_site: &mut SiteConfig, _id: &u32) -> Result<(), AppError> {
        // The board holds its gateways' ids; erasing it frees them.
        Ok(())
    }
}

/// Adds `record` with a new id; checked before the id is given, so it is judged as a newcomer.
async fn create<R: Record>(
    state: &AppState,
    user: &CurrentUser,
    mut record: R,
) -> Result<(StatusCode, AppJson<R>), AppError> {
    record.normalise();
    let created = state
        .configuration
        .update(move |site, _| {
            record.set_id(R::unassigned());
            record.validate(site)?;
            record.set_id(R::issue_id(site));
            R::list(site).push(record.clone());
            Ok(record)
        })
        .await?;
    info!(user = %user.username(), id = %created.id(), "{} created", R::NAME);
    Ok((StatusCode::CREATED, AppJson(created)))
}

/// Replaces the record `id` with `record`.
async fn update<R: Record>(
    state: &AppState,
    user: &CurrentUser,
    id: R::Id,
    mut record: R,
) -> Result<AppJson<R>, AppError> {
    record.set_id(id.clone());
    record.normalise();
    let updated = state
        .configuration
        .update(move |site, _| {
            let index = R::list(site)
                .iter()
                .position(|existing| existing.id() == id)
                .ok_or(AppError::NotFound)?;
            record.validate(site)?;
            R::list(site)[index] = record.clone();
            Ok(record)
        })
        .await?;
    info!(user = %user.username(), id = %updated.id(), "{} changed", R::NAME);
    Ok(AppJson(updated))
}

/// Erases the record `id` after letting go of what refers to it.
async fn erase<R: Record>(
    state: &AppState,
    user: &CurrentUser,
    id: R::Id,
) -> Result<StatusCode, AppError> {
    let erased = id.clone();
    state
        .configuration
        .update(move |site, _| {
            if !R::list(site).iter().any(|existing| existing.id() == id) {
                return Err(AppError::NotFound);
            }
            R::release(site, &id)?;
            R::list(site).retain(|existing| existing.id() != id);
            Ok(())
        })
        .await?;
    info!(user = %user.username(), id = %erased, "{} erased", R::NAME);
    Ok(StatusCode::NO_CONTENT)
}

/// The handlers of one kind of record: `POST` on the collection, `PUT` and `DELETE` on an item.
macro_rules! record_handlers {
    ($record:ty, $id:ty, $create:ident, $update:ident, $delete:ident) => {
        pub async fn $create(
            State(state): State<AppState>,
            user: CurrentUser,
            AppJson(record): AppJson<$record>,
        ) -> Result<(StatusCode, AppJson<$record>), AppError> {
            create(&state, &user, record).await
        }

        pub async fn $update(
            State(state): State<AppState>,
            user: CurrentUser,
            AppPath(id): AppPath<$id>,
            AppJson(record): AppJson<$record>,
        ) -> Result<AppJson<$record>, AppError> {
            update(&state, &user, id, record).await
        }

        pub async fn $delete(
            State(state): State<AppState>,
            user: CurrentUser,
            AppPath(id): AppPath<$id>,
        ) -> Result<StatusCode, AppError> {
            erase::<$record>(&state, &user, id).await
        }
    };
}

// `POST /api/config/loads`, `PUT|DELETE /api/config/loads/{id}`: predefined loads can only be
// switched on and off.
record_handlers!(LoadType, String, create_load, update_load, delete_load);
// `POST /api/config/groups`, `PUT|DELETE /api/config/groups/{id}`.
record_handlers!(MeasureGroup, u32, create_group, update_group, delete_group);
// `POST /api/config/panel-boards`, `PUT|DELETE /api/config/panel-boards/{id}`.
record_handlers!(
    PanelBoard,
    u32,
    create_panel_board,
    update_panel_board,
    delete_panel_board
);

/// `PUT /api/config/recording`: the sample rate. Values already recorded keep their rate.
pub async fn update_recording(
    State(state): State<AppState>,
    user: CurrentUser,
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
    info!(user = %user.username(), minutes = updated.sample_minutes, "sample rate changed");
    Ok(AppJson(updated))
}
