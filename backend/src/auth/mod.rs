//! Who may use the server: the one-time setup, password hashing and sessions.

pub mod password;
mod sessions;
mod setup;

pub use sessions::{SESSION_COOKIE, Session, Sessions};
pub use setup::{SETUP_TOKEN_FILE, SetupToken};
