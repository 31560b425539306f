//! Extractors whose failures come out as `ApiError` JSON like every other error.

use axum::extract::{FromRequest, FromRequestParts, OptionalFromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;

use super::error::AppError;
use crate::AppState;
use crate::auth::{SESSION_COOKIE, Session};

/// A JSON body; a malformed one is a 400 `ApiError`.
#[derive(Debug, FromRequest)]
#[from_request(via(axum::Json), rejection(AppError))]
pub struct AppJson<T>(pub T);

impl<T: serde::Serialize> IntoResponse for AppJson<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// A path parameter; a malformed one is a 400 `ApiError`.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(AppError))]
pub struct AppPath<T>(pub T);

/// The query string; a malformed one is a 400 `ApiError`. Its fields are checked by the rules
/// in `shared`, which name the parameter at fault.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(AppError))]
pub struct AppQuery<T>(pub T);

/// The logged-in user of the request; without an open session the request is refused with 401.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub session: Session,
    pub token: String,
}

impl CurrentUser {
    /// The session the request's cookie names, if it is open.
    pub(super) fn find(headers: &HeaderMap, state: &AppState) -> Option<CurrentUser> {
        let jar = CookieJar::from_headers(headers);
        let token = jar.get(SESSION_COOKIE)?.value().to_owned();
        let session = state.sessions.touch(&token)?;
        Some(CurrentUser { session, token })
    }
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        CurrentUser::find(&parts.headers, state).ok_or(AppError::Unauthorized)
    }
}

impl OptionalFromRequestParts<AppState> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(CurrentUser::find(&parts.headers, state))
    }
}

/// A logged-in user allowed to change the installation: an administrator or an installer
/// (§8.1.1). Anyone else gets 403.
#[derive(Debug, Clone)]
pub struct Installer(pub CurrentUser);

impl FromRequestParts<AppState> for Installer {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let user = CurrentUser::find(&parts.headers, state).ok_or(AppError::Unauthorized)?;
        match user.session.role {
            shared::Role::Administrator | shared::Role::Installer => Ok(Installer(user)),
            _ => Err(AppError::Forbidden),
        }
    }
}
