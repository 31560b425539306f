//! The users page (§8.1.2, §8.1.3): accounts, their pages and devices, enabling and erasing.
//! Only administrators and greenUp get here (the route's guard); the rules are in `shared`.

use axum::extract::State;
use axum::http::StatusCode;
use shared::{
    Role, UserAccount, UserContext, UserForm, effective_pages, validate_user, validate_user_removal,
};
use tracing::info;

use super::account::hash_password;
use super::error::AppError;
use super::extract::{AppJson, AppPath, CurrentUser};
use crate::AppState;
use crate::auth::Grant;
use crate::store::StoredUser;

/// The rights a session of `user` carries.
pub(super) fn grant_of(user: &StoredUser) -> Grant {
    Grant {
        username: user.username.clone(),
        role: user.role,
        pages: effective_pages(user.role, &user.pages),
        devices: user.devices.clone(),
        has_pin: user.pin_hash.is_some(),
    }
}

fn accounts(users: &[StoredUser]) -> Vec<UserAccount> {
    users.iter().map(StoredUser::account).collect()
}

fn device_ids(state: &AppState) -> Vec<u32> {
    state
        .configuration
        .current()
        .devices
        .iter()
        .map(|device| device.id)
        .collect()
}

/// `GET /api/users`.
pub async fn list(State(state): State<AppState>) -> Result<AppJson<Vec<UserAccount>>, AppError> {
    let store = state.store.clone();
    let users = tokio::task::spawn_blocking(move || store.users()).await??;
    Ok(AppJson(accounts(&users)))
}

/// `POST /api/users`: a new user.
pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    AppJson(form): AppJson<UserForm>,
) -> Result<(StatusCode, AppJson<UserAccount>), AppError> {
    // Checked once before the slow hashing (a bad form answers at once) and again inside the
    // transaction against the users as they are then.
    let devices = device_ids(&state);
    let editor = user.grant().role;
    let store = state.store.clone();
    let current = tokio::task::spawn_blocking(move || store.users()).await??;
    validate_user(&form, context(&accounts(&current), &devices, false, editor))?;
    let password = form.password.clone().unwrap_or_default();
    let password_hash = hash_password(password).await?;
    let store = state.store.clone();
    let created = tokio::task::spawn_blocking(move || {
        store.change_users(|users| {
            validate_user(&form, context(&accounts(users), &devices, false, editor))?;
            let mut created = StoredUser::new(&form.username, form.role, password_hash);
            apply(&mut created, &form);
            users.push(created.clone());
            Ok::<_, AppError>(created)
        })
    })
    .await??;
    info!(by = %user.username(), username = %created.username, role = ?created.role, "user created");
    Ok((StatusCode::CREATED, AppJson(created.account())))
}

/// `PUT /api/users/{username}`: changes a user's role, pages, devices or state, or resets their
/// password. Disabling or a new password closes the user's sessions; other changes reach their
/// open sessions at once.
pub async fn update(
    State(state): State<AppState>,
    user: CurrentUser,
    AppPath(username): AppPath<String>,
    AppJson(mut form): AppJson<UserForm>,
) -> Result<AppJson<UserAccount>, AppError> {
    // The name in the path is the account; a name in the body cannot rename it.
    form.username = username;
    let devices = device_ids(&state);
    let editor = user.grant().role;
    let password_hash = match &form.password {
        Some(password) => {
            shared::validate_password(password)?;
            Some(hash_password(password.clone()).await?)
        }
        None => None,
    };
    let password_reset = form.password.is_some();
    let store = state.store.clone();
    let updated = tokio::task::spawn_blocking(move || {
        store.change_users(|users| {
            let accounts = accounts(users);
            let stored = users
                .iter_mut()
                .find(|stored| stored.username == form.username)
                .ok_or(AppError::NotFound)?;
            validate_user(&form, context(&accounts, &devices, true, editor))?;
            apply(stored, &form);
            if let Some(password_hash) = password_hash {
                stored.password_hash = password_hash;
            }
            Ok::<_, AppError>(stored.clone())
        })
    })
    .await??;
    let closed = if !updated.enabled || password_reset {
        // An administrator resetting their own password keeps the session they did it from.
        let keep = (updated.username == user.username()).then_some(user.token.as_str());
        state.sessions.close_user(&updated.username, keep)
    } else {
        0
    };
    state.sessions.update_user(&grant_of(&updated));
    info!(
        by = %user.username(),
        username = %updated.username,
        role = ?updated.role,
        enabled = updated.enabled,
        password_reset,
        sessions_closed = closed,
        "user changed"
    );
    Ok(AppJson(updated.account()))
}

/// `DELETE /api/users/{username}`: erases a user and closes their sessions.
pub async fn delete(
    State(state): State<AppState>,
    user: CurrentUser,
    AppPath(username): AppPath<String>,
) -> Result<StatusCode, AppError> {
    let editor = user.grant().role;
    let store = state.store.clone();
    let name = username.clone();
    tokio::task::spawn_blocking(move || {
        store.change_users(|users| {
            if !users.iter().any(|stored| stored.username == name) {
                return Err(AppError::NotFound);
            }
            validate_user_removal(&name, &accounts(users), editor)?;
            users.retain(|stored| stored.username != name);
            Ok(())
        })
    })
    .await??;
    let closed = state.sessions.close_user(&username, None);
    info!(by = %user.username(), %username, sessions_closed = closed, "user erased");
    Ok(StatusCode::NO_CONTENT)
}

fn context<'a>(
    accounts: &'a [UserAccount],
    devices: &'a [u32],
    existing: bool,
    editor: Role,
) -> UserContext<'a> {
    UserContext {
        accounts,
        devices,
        existing,
        editor,
    }
}

/// Copies the form's rights onto the stored account (not the name, not the password).
fn apply(stored: &mut StoredUser, form: &UserForm) {
    stored.role = form.role;
    stored.pages = if form.role == Role::Custom {
        effective_pages(Role::Custom, &form.pages)
    } else {
        Vec::new()
    };
    stored.enabled = form.enabled;
    stored.devices = form.devices.clone().map(|mut devices| {
        devices.sort_unstable();
        devices.dedup();
        devices
    });
}
