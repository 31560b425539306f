//! First-run setup, login, logout and the current session.

use axum::extract::State;
use axum::http::StatusCode;
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use shared::{
    Health, LoginRequest, Role, SessionInfo, SetupRequest, SetupStatus, validate_login,
    validate_setup,
};
use tracing::info;

use super::error::AppError;
use super::extract::{AppJson, CurrentUser};
use crate::AppState;
use crate::auth::{SESSION_COOKIE, password};
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
    if !state.setup.matches(request.token.trim()) {
        return Err(AppError::SetupTokenInvalid);
    }
    let password = request.password.clone();
    let password_hash = tokio::task::spawn_blocking(move || password::hash(&password))
        .await?
        .map_err(|error| AppError::Internal(error.to_string()))?;
    let user = StoredUser {
        username: request.username.clone(),
        role: Role::Administrator,
        password_hash,
    };
    let store = state.store.clone();
    tokio::task::spawn_blocking(move || store.create_first_administrator(&user)).await??;
    state.setup.consume();
    info!(username = %request.username, "administrator created; setup closed");
    let token = state.sessions.open(&request.username, Role::Administrator);
    Ok((
        StatusCode::CREATED,
        jar.add(session_cookie(token, state.secure_cookies)),
        AppJson(SessionInfo {
            username: request.username,
            role: Role::Administrator,
        }),
    ))
}

/// `POST /api/login`.
pub async fn login(
    State(state): State<AppState>,
    jar: CookieJar,
    AppJson(request): AppJson<LoginRequest>,
) -> Result<(CookieJar, AppJson<SessionInfo>), AppError> {
    validate_login(&request)?;
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
        info!(username = %request.username, "login refused");
        return Err(AppError::LoginFailed);
    };
    let token = state.sessions.open(&user.username, user.role);
    Ok((
        jar.add(session_cookie(token, state.secure_cookies)),
        AppJson(SessionInfo {
            username: user.username,
            role: user.role,
        }),
    ))
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
    AppJson(user.map(|user| SessionInfo {
        username: user.session.username,
        role: user.session.role,
    }))
}

fn session_cookie(token: String, secure: bool) -> Cookie<'static> {
    Cookie::build((SESSION_COOKIE, token))
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .path("/")
        .build()
}
