//! One error type for every handler, rendered as `ApiError` JSON with the right status.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use shared::{ApiError, FieldError};
use tracing::error;

use crate::store::StoreError;

/// Why a request failed.
#[derive(Debug)]
pub enum AppError {
    /// A field of the body breaks a rule from `shared::validation`.
    Validation(FieldError),
    /// The body or path could not be parsed.
    BadRequest(String),
    /// No open session.
    Unauthorized,
    LoginFailed,
    SetupTokenInvalid,
    SetupClosed,
    /// A cross-site request.
    ForeignOrigin,
    /// The user's role does not allow this.
    Forbidden,
    /// The session is locked: only unlocking or logging out.
    Locked,
    /// Too many failed logins: try again after this many seconds.
    TooManyAttempts(u64),
    /// The one-time setup token is too old.
    SetupTokenExpired,
    /// The password given to confirm a change is wrong (field at fault).
    WrongPassword(&'static str),
    /// A wrong password or PIN for a locked session; this many tries are left.
    UnlockFailed(u32),
    /// The request conflicts with the current state (code, message).
    Conflict(&'static str, &'static str),
    NotFound,
    /// Anything else: logged in full, reported without details.
    Internal(String),
}

impl From<FieldError> for AppError {
    fn from(error: FieldError) -> Self {
        AppError::Validation(error)
    }
}

impl From<JsonRejection> for AppError {
    fn from(rejection: JsonRejection) -> Self {
        AppError::BadRequest(rejection.body_text())
    }
}

impl From<PathRejection> for AppError {
    fn from(rejection: PathRejection) -> Self {
        AppError::BadRequest(rejection.body_text())
    }
}

impl From<QueryRejection> for AppError {
    fn from(rejection: QueryRejection) -> Self {
        AppError::BadRequest(rejection.body_text())
    }
}

impl From<StoreError> for AppError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::SetupClosed => AppError::SetupClosed,
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl From<tokio::task::JoinError> for AppError {
    fn from(error: tokio::task::JoinError) -> Self {
        AppError::Internal(error.to_string())
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let tries_left = match self {
            AppError::UnlockFailed(left) => Some(left),
            _ => None,
        };
        let (status, code, message, field) = match self {
            AppError::Validation(error) => (
                StatusCode::BAD_REQUEST,
                error.code,
                error.message.to_owned(),
                Some(error.field.to_owned()),
            ),
            AppError::BadRequest(details) => (
                StatusCode::BAD_REQUEST,
                "error.bad_request",
                format!("The request was not understood: {details}"),
                None,
            ),
            AppError::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                "error.unauthorized",
                "Log in first.".to_owned(),
                None,
            ),
            AppError::LoginFailed => (
                StatusCode::UNAUTHORIZED,
                "error.login_failed",
                "Wrong user name or password.".to_owned(),
                None,
            ),
            AppError::SetupTokenInvalid => (
                StatusCode::FORBIDDEN,
                "error.token_invalid",
                "This setup token is not valid.".to_owned(),
                Some("token".to_owned()),
            ),
            AppError::SetupClosed => (
                StatusCode::CONFLICT,
                "error.setup_closed",
                "The administrator already exists.".to_owned(),
                None,
            ),
            AppError::ForeignOrigin => (
                StatusCode::FORBIDDEN,
                "error.bad_request",
                "Requests from other sites are refused.".to_owned(),
                None,
            ),
            AppError::Forbidden => (
                StatusCode::FORBIDDEN,
                "error.forbidden",
                "Your role does not allow this.".to_owned(),
                None,
            ),
            AppError::Locked => (
                StatusCode::LOCKED,
                "error.session_locked",
                "The session is locked: unlock it with your password or PIN.".to_owned(),
                None,
            ),
            AppError::TooManyAttempts(seconds) => {
                let body = ApiError {
                    message: format!("Too many failed logins: try again in {seconds} s."),
                    code: "error.too_many_attempts".to_owned(),
                    field: None,
                    tries_left: None,
                };
                return (
                    StatusCode::TOO_MANY_REQUESTS,
                    [(axum::http::header::RETRY_AFTER, seconds.to_string())],
                    axum::Json(body),
                )
                    .into_response();
            }
            AppError::SetupTokenExpired => (
                StatusCode::FORBIDDEN,
                "error.token_expired",
                "This setup token has expired: restart the server to get a new one.".to_owned(),
                Some("token".to_owned()),
            ),
            AppError::WrongPassword(field) => (
                StatusCode::BAD_REQUEST,
                "error.password_wrong",
                "The password is wrong.".to_owned(),
                Some(field.to_owned()),
            ),
            AppError::UnlockFailed(left) => (
                StatusCode::UNAUTHORIZED,
                "error.unlock_failed",
                format!("Wrong password or PIN: {left} tries left."),
                Some("secret".to_owned()),
            ),
            AppError::Conflict(code, message) => {
                (StatusCode::CONFLICT, code, message.to_owned(), None)
            }
            AppError::NotFound => (
                StatusCode::NOT_FOUND,
                "error.not_found",
                "Not found.".to_owned(),
                None,
            ),
            AppError::Internal(details) => {
                error!(%details, "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "error.internal",
                    "The server had a problem.".to_owned(),
                    None,
                )
            }
        };
        let body = ApiError {
            message,
            code: code.to_owned(),
            field,
            tries_left,
        };
        (status, axum::Json(body)).into_response()
    }
}
