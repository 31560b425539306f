//! First-run setup, login, logout and the current session.

use std::time::Instant;

use axum::extract::State;
use axum::http::StatusCode;
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use shared::{
    Health, LoginRequest, PasswordChange, PinChange, Role, SessionInfo, SetupRequest, SetupStatus,
    UnlockRequest, validate_confirmation, validate_login, validate_password_change,
    validate_pin_change, validate_setup,
};
use tracing::info;

use super::error::AppError;
use super::extract::{AppJson, ClientAddress, CurrentUser};
use crate::AppState;
use crate::auth::{SESSION_COOKIE, UnlockFailure, password};
use crate::store::StoredUser;

/// `GET /api/health`: no login needed.
pub async fn health(State(state): State<AppState>) -> AppJson<Health> {
    AppJson(Health {
        status: "ok".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        setup_required: state.setup.current().is_some(),
    })
}

/// `GET /api/setup`.
pub async fn setup_status(State(state): State<AppState>) -> AppJson<SetupStatus> {
    AppJson(SetupStatus {
        setup_required: state.setup.current().is_some(),
    })
}

/// `POST /api/setup`: creates the first administrator and logs them in.
pub async fn setup(
    State(state): State<AppState>,
    jar: CookieJar,
    AppJson(request): AppJson<SetupRequest>,
) -> Result<(StatusCode, CookieJar, AppJson<SessionInfo>), AppError> {
    if state.setup.current().is_none() {
        return Err(AppError::SetupClosed);
    }
    validate_setup(&request)?;
    if state.setup.expired() {
        return Err(AppError::SetupTokenExpired);
    }
    if !state.setup.matches(request.token.trim()) {
        return Err(AppError::SetupTokenInvalid);
    }
    let password_hash = hash_password(request.password.clone()).await?;
    let user = StoredUser::new(&request.username, Role::Administrator, password_hash);
    let store = state.store.clone();
    let stored = user.clone();
    tokio::task::spawn_blocking(move || store.create_first_administrator(&stored)).await??;
    state.setup.consume();
    info!(username = %request.username, "administrator created; setup closed");
    let (jar, info) = open_session(&state, jar, &user);
    Ok((StatusCode::CREATED, jar, AppJson(info)))
}

/// `POST /api/login`: checks the password, with a growing delay after failures (see
/// [`crate::auth::throttle`]).
pub async fn login(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    jar: CookieJar,
    AppJson(request): AppJson<LoginRequest>,
) -> Result<(CookieJar, AppJson<SessionInfo>), AppError> {
    validate_login(&request)?;
    if let Err(wait) = state
        .throttle
        .check(&request.username, address, Instant::now())
    {
        info!(username = %request.username, %address, "login refused: too many failures");
        return Err(AppError::TooManyAttempts(wait.as_secs_f64().ceil() as u64));
    }
    let store = state.store.clone();
    let username = request.username.clone();
    let user = tokio::task::spawn_blocking(move || store.user(&username)).await??;
    let password = request.password;
    let accepted = tokio::task::spawn_blocking(move || match &user {
        Some(user) => password::verify(&password, &user.password_hash).then(|| user.clone()),
        None => {
            password::waste_one_verification(&password);
            None
        }
    })
    .await?;
    let Some(user) = accepted else {
        state
            .throttle
            .failed(&request.username, address, Instant::now());
        info!(username = %request.username, %address, "login refused");
        return Err(AppError::LoginFailed);
    };
    if !user.enabled {
        // The same answer as a wrong password: a disabled account is closed, whoever asks.
        info!(username = %user.username, "login refused: user disabled");
        return Err(AppError::LoginFailed);
    }
    state.throttle.succeeded(&user.username, address);
    let (jar, info) = open_session(&state, jar, &user);
    Ok((jar, AppJson(info)))
}

/// `POST /api/logout`: ends the session on the server and clears the cookie.
pub async fn logout(State(state): State<AppState>, jar: CookieJar) -> (StatusCode, CookieJar) {
    if let Some(cookie) = jar.get(SESSION_COOKIE) {
        state.sessions.close(cookie.value());
    }
    (
        StatusCode::NO_CONTENT,
        jar.remove(Cookie::build(SESSION_COOKIE).path("/")),
    )
}

/// `GET /api/session`: who is logged in, or `null`. Answering "nobody" with 200 rather than 401
/// keeps the browser console clean on the login page, where asking is routine.
pub async fn session(user: Option<CurrentUser>) -> AppJson<Option<SessionInfo>> {
    AppJson(user.map(|user| user.session.info()))
}

/// `POST /api/lock` (§8.1.4): the session stays open but answers nothing until unlocked.
pub async fn lock(State(state): State<AppState>, user: CurrentUser) -> AppJson<SessionInfo> {
    state.sessions.lock(&user.token);
    info!(username = %user.username(), "session locked");
    let mut session = user.session;
    session.locked = true;
    AppJson(session.info())
}

/// `POST /api/unlock`: the password or the PIN of the session's user unlocks it; five wrong
/// ones close it.
pub async fn unlock(
    State(state): State<AppState>,
    user: CurrentUser,
    AppJson(request): AppJson<UnlockRequest>,
) -> Result<AppJson<SessionInfo>, AppError> {
    if !user.session.locked {
        return Ok(AppJson(user.session.info()));
    }
    validate_confirmation(&request.secret, "secret")?;
    let stored = stored_user(&state, user.username()).await?;
    let secret = request.secret;
    let accepted = tokio::task::spawn_blocking(move || {
        stored.enabled
            && (password::verify(&secret, &stored.password_hash)
                || stored
                    .pin_hash
                    .as_deref()
                    .is_some_and(|pin_hash| password::verify(&secret, pin_hash)))
    })
    .await?;
    if !accepted {
        return match state.sessions.unlock_failed(&user.token) {
            UnlockFailure::TriesLeft(left) => Err(AppError::UnlockFailed(left)),
            UnlockFailure::Closed => {
                info!(username = %user.username(), "locked session closed after wrong secrets");
                Err(AppError::Unauthorized)
            }
        };
    }
    state.sessions.unlock(&user.token);
    let mut session = user.session;
    session.locked = false;
    Ok(AppJson(session.info()))
}

/// `PUT /api/account/password`: a user changes their own password; their other sessions close.
pub async fn change_password(
    State(state): State<AppState>,
    user: CurrentUser,
    AppJson(change): AppJson<PasswordChange>,
) -> Result<StatusCode, AppError> {
    validate_password_change(&change)?;
    let stored = stored_user(&state, user.username()).await?;
    let current = change.current_password;
    let right =
        tokio::task::spawn_blocking(move || password::verify(&current, &stored.password_hash))
            .await?;
    if !right {
        return Err(AppError::WrongPassword("current_password"));
    }
    let password_hash = hash_password(change.new_password).await?;
    let username = user.username().to_owned();
    let store = state.store.clone();
    tokio::task::spawn_blocking(move || {
        store.change_users(|users| {
            let stored = users
                .iter_mut()
                .find(|stored| stored.username == username)
                .ok_or(AppError::Unauthorized)?;
            stored.password_hash = password_hash;
            Ok::<_, AppError>(())
        })
    })
    .await??;
    let closed = state
        .sessions
        .close_user(user.username(), Some(&user.token));
    info!(username = %user.username(), other_sessions_closed = closed, "password changed");
    Ok(StatusCode::NO_CONTENT)
}

/// `PUT /api/account/pin`: a user chooses or clears the PIN that unlocks a locked session.
pub async fn change_pin(
    State(state): State<AppState>,
    user: CurrentUser,
    AppJson(change): AppJson<PinChange>,
) -> Result<AppJson<SessionInfo>, AppError> {
    validate_pin_change(&change)?;
    let stored = stored_user(&state, user.username()).await?;
    let password = change.password;
    let pin = change.pin;
    let pin_hash = tokio::task::spawn_blocking(move || {
        if !password::verify(&password, &stored.password_hash) {
            return Err(AppError::WrongPassword("password"));
        }
        pin.map(|pin| password::hash(&pin))
            .transpose()
            .map_err(|error| AppError::Internal(error.to_string()))
    })
    .await??;
    let username = user.username().to_owned();
    let store = state.store.clone();
    let updated = tokio::task::spawn_blocking(move || {
        store.change_users(|users| {
            let stored = users
                .iter_mut()
                .find(|stored| stored.username == username)
                .ok_or(AppError::Unauthorized)?;
            stored.pin_hash = pin_hash;
            Ok::<_, AppError>(stored.clone())
        })
    })
    .await??;
    let grant = super::users::grant_of(&updated);
    state.sessions.update_user(&grant);
    info!(username = %user.username(), pin = updated.pin_hash.is_some(), "lock PIN changed");
    let mut session = user.session;
    session.grant = grant;
    Ok(AppJson(session.info()))
}

/// The stored account of a logged-in user (gone: the session is worthless).
async fn stored_user(state: &AppState, username: &str) -> Result<StoredUser, AppError> {
    let store = state.store.clone();
    let username = username.to_owned();
    tokio::task::spawn_blocking(move || store.user(&username))
        .await??
        .ok_or(AppError::Unauthorized)
}

/// Hashes a password off the async threads (it takes a tenth of a second on purpose).
pub(super) async fn hash_password(password: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || password::hash(&password))
        .await?
        .map_err(|error| AppError::Internal(error.to_string()))
}

fn open_session(state: &AppState, jar: CookieJar, user: &StoredUser) -> (CookieJar, SessionInfo) {
    let grant = super::users::grant_of(user);
    let token = state.sessions.open(grant.clone());
    let info = SessionInfo {
        username: grant.username,
        role: grant.role,
        pages: grant.pages,
        devices: grant.devices,
        locked: false,
        has_pin: grant.has_pin,
    };
    (jar.add(session_cookie(token, state.secure_cookies)), info)
}

fn session_cookie(token: String, secure: bool) -> Cookie<'static> {
    Cookie::build((SESSION_COOKIE, token))
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .path("/")
        .build()
}
