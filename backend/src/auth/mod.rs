//! Who may use the server: the one-time setup, password hashing, sessions, login throttling and
//! the TLS certificate.

pub mod password;
mod sessions;
mod setup;
pub mod throttle;
pub mod tls;

pub use sessions::{Grant, MAX_UNLOCK_FAILURES, SESSION_COOKIE, Session, Sessions, UnlockFailure};
pub use setup::{SETUP_TOKEN_FILE, SETUP_TOKEN_LIFETIME, SetupToken};
pub use throttle::Throttle;
