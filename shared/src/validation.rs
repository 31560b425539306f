//! Input rules, written once and run by both the browser (immediate feedback) and the server (the
//! guard). Each error names its field and carries a translation key.

use serde::{Deserialize, Serialize};

use crate::api::{LoginRequest, SetupRequest};

/// Shortest accepted password. Long passphrases beat complex short ones (NIST SP 800-63B).
pub const PASSWORD_MIN_CHARS: usize = 10;
/// Longest accepted password: bounds the cost of hashing an attacker's input.
pub const PASSWORD_MAX_CHARS: usize = 128;
/// Longest accepted user name.
pub const USERNAME_MAX_CHARS: usize = 32;

/// A rejected field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: &'static str,
    /// Translation key of the message.
    pub code: &'static str,
    /// The message in English.
    pub message: &'static str,
}

impl FieldError {
    pub(crate) fn new(field: &'static str, code: &'static str, message: &'static str) -> Self {
        FieldError {
            field,
            code,
            message,
        }
    }
}

/// User names: 1 to 32 letters, digits, `.`, `_`, `-`; no spaces so they are typed the same each time.
pub fn validate_username(username: &str) -> Result<(), FieldError> {
    if username.trim().is_empty() {
        return Err(FieldError::new(
            "username",
            "error.username_empty",
            "Enter a user name.",
        ));
    }
    if username.chars().count() > USERNAME_MAX_CHARS {
        return Err(FieldError::new(
            "username",
            "error.username_too_long",
            "The user name is longer than 32 characters.",
        ));
    }
    let allowed = |c: char| c.is_alphanumeric() || matches!(c, '.' | '_' | '-');
    // "." and ".." would be path segments a browser rewrites: such a user could not be reached.
    if !username.chars().all(allowed) || username.chars().all(|c| c == '.') {
        return Err(FieldError::new(
            "username",
            "error.username_characters",
            "Use only letters, digits, dot, underscore and dash in the user name.",
        ));
    }
    Ok(())
}

/// Passwords for new accounts: 10 to 128 characters.
pub fn validate_password(password: &str) -> Result<(), FieldError> {
    let length = password.chars().count();
    if length == 0 {
        return Err(FieldError::new(
            "password",
            "error.password_empty",
            "Enter a password.",
        ));
    }
    if length < PASSWORD_MIN_CHARS {
        return Err(FieldError::new(
            "password",
            "error.password_too_short",
            "The password must have at least 10 characters.",
        ));
    }
    if length > PASSWORD_MAX_CHARS {
        return Err(FieldError::new(
            "password",
            "error.password_too_long",
            "The password is longer than 128 characters.",
        ));
    }
    Ok(())
}

/// The first-administrator form.
pub fn validate_setup(request: &SetupRequest) -> Result<(), FieldError> {
    if request.token.trim().is_empty() {
        return Err(FieldError::new(
            "token",
            "error.token_empty",
            "Open the setup link the server printed, or paste its token.",
        ));
    }
    if request.token.len() > 128 {
        return Err(FieldError::new(
            "token",
            "error.token_invalid",
            "This setup token is not valid.",
        ));
    }
    validate_username(&request.username)?;
    validate_password(&request.password)
}

/// The login form: only presence and size are checked, so old accounts keep working if rules change.
pub fn validate_login(request: &LoginRequest) -> Result<(), FieldError> {
    if request.username.trim().is_empty() {
        return Err(FieldError::new(
            "username",
            "error.username_empty",
            "Enter a user name.",
        ));
    }
    if request.username.chars().count() > USERNAME_MAX_CHARS {
        return Err(FieldError::new(
            "username",
            "error.username_too_long",
            "The user name is longer than 32 characters.",
        ));
    }
    if request.password.is_empty() {
        return Err(FieldError::new(
            "password",
            "error.password_empty",
            "Enter a password.",
        ));
    }
    if request.password.chars().count() > PASSWORD_MAX_CHARS {
        return Err(FieldError::new(
            "password",
            "error.password_too_long",
            "The password is longer than 128 characters.",
        ));
    }
    Ok(())
}

/// Every translation key a validation error can carry, so a test can check the catalogs cover them.
pub const VALIDATION_CODES: &[&str] = &[
    "error.username_empty",
    "error.username_too_long",
    "error.username_characters",
    "error.password_empty",
    "error.password_too_short",
    "error.password_too_long",
    "error.token_empty",
    "error.token_invalid",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn setup(token: &str, username: &str, password: &str) -> SetupRequest {
        SetupRequest {
            token: token.into(),
            username: username.into(),
            password: password.into(),
        }
    }

    #[test]
    fn a_good_setup_passes() {
        assert_eq!(
            validate_setup(&setup("abc", "admin", "correct horse battery")),
            Ok(())
        );
    }

    #[test]
    fn each_bad_setup_field_is_named() {
        let field = |r: SetupRequest| validate_setup(&r).unwrap_err().field;
        assert_eq!(field(setup("", "admin", "correct horse")), "token");
        assert_eq!(
            field(setup(&"x".repeat(129), "admin", "correct horse")),
            "token"
        );
        assert_eq!(field(setup("t", "", "correct horse")), "username");
        assert_eq!(field(setup("t", "   ", "correct horse")), "username");
        assert_eq!(
            field(setup("t", &"a".repeat(33), "correct horse")),
            "username"
        );
        assert_eq!(field(setup("t", "bad name", "correct horse")), "username");
        assert_eq!(field(setup("t", "..", "correct horse")), "username");
        assert_eq!(field(setup("t", ".", "correct horse")), "username");
        assert_eq!(field(setup("t", "admin", "")), "password");
        assert_eq!(field(setup("t", "admin", "short")), "password");
        assert_eq!(field(setup("t", "admin", &"p".repeat(129))), "password");
    }

    #[test]
    fn limits_count_characters_not_bytes() {
        assert_eq!(validate_username(&"é".repeat(32)), Ok(()));
        assert_eq!(validate_password(&"é".repeat(10)), Ok(()));
    }

    #[test]
    fn login_checks_presence_and_size_only() {
        let login = |u: &str, p: &str| {
            validate_login(&LoginRequest {
                username: u.into(),
                password: p.into(),
            })
        };
        assert_eq!(login("admin", "x"), Ok(()));
        assert_eq!(login("", "x").unwrap_err().field, "username");
        assert_eq!(login("admin", "").unwrap_err().field, "password");
        assert_eq!(
            login("admin", &"x".repeat(129)).unwrap_err().field,
            "password"
        );
    }
}
