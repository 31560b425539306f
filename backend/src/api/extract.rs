//! Extractors whose failures come out as `ApiError` JSON like every other error.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, OptionalFromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;

use super::error::AppError;
use crate::AppState;
use crate::auth::{Grant, SESSION_COOKIE, Session};

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
/// The route's guard has checked the session against the route's access rule already and left
/// it in the request, so it is looked up once.
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

    fn of_request(parts: &Parts, state: &AppState) -> Option<CurrentUser> {
        parts
            .extensions
            .get::<CurrentUser>()
            .cloned()
            .or_else(|| CurrentUser::find(&parts.headers, state))
    }

    pub fn username(&self) -> &str {
        &self.session.grant.username
    }

    /// The user's rights: role, pages and, for a tenant, devices.
    pub fn grant(&self) -> &Grant {
        &self.session.grant
    }

    /// Whether the user may see device `id` (a tenant sees only their own).
    pub fn sees(&self, id: u32) -> bool {
        self.session.grant.sees(id)
    }
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        CurrentUser::of_request(parts, state).ok_or(AppError::Unauthorized)
    }
}

impl OptionalFromRequestParts<AppState> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(CurrentUser::of_request(parts, state))
    }
}

/// The address of the client, for login throttling. Served without it (a server started without
/// connection information) the request fails loudly rather than throttle everyone as one.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddress(pub IpAddr);

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|info| ClientAddress(info.0.ip()))
            .ok_or_else(|| AppError::Internal("served without the clients' addresses".into()))
    }
}
