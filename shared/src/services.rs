//! Accounts of outside services the box will use (e-mail, SFTP upload, Telegram), kept in the
//! Web Server configuration. Their passwords and tokens are **write-only**: the API says whether
//! one is stored, never what it is.

use serde::{Deserialize, Serialize};

use crate::validation::FieldError;

/// A password or token in a settings form. The server answers only `set` (whether one is stored)
/// and never a `value`; a form sends a `value` to replace it, `set: false` to erase it, or
/// `set: true` without a value to keep it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Secret {
    pub set: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

impl Secret {
    /// What the server answers about a stored secret: only whether there is one.
    pub fn stored(present: bool) -> Secret {
        Secret {
            set: present,
            value: None,
        }
    }

    /// A form field replacing the secret with `value`.
    pub fn replace(value: impl Into<String>) -> Secret {
        Secret {
            set: true,
            value: Some(value.into()),
        }
    }

    /// The stored secret after this form field: the new value, the old one kept, or none.
    pub fn apply(&self, old: Option<&str>) -> Option<String> {
        match (&self.value, self.set) {
            (Some(value), _) => Some(value.clone()),
            (None, true) => old.map(str::to_owned),
            (None, false) => None,
        }
    }
}

/// How the e-mail server is reached.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum MailSecurity {
    /// TLS from the first byte (port 465).
    Tls,
    /// Plain connection upgraded with STARTTLS (port 587).
    #[default]
    StartTls,
    /// No encryption: only on a trusted local network.
    None,
}

/// The e-mail account reports and alerts are sent from (§8.6.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct MailAccount {
    /// Empty: no e-mail.
    pub host: String,
    pub port: u16,
    pub security: MailSecurity,
    pub username: String,
    pub password: Secret,
    /// The sender address.
    pub sender: String,
}

impl Default for MailAccount {
    fn default() -> Self {
        MailAccount {
            host: String::new(),
            port: 587,
            security: MailSecurity::StartTls,
            username: String::new(),
            password: Secret::default(),
            sender: String::new(),
        }
    }
}

/// The SFTP server CSV files are uploaded to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SftpAccount {
    /// Empty: no upload.
    pub host: String,
    pub port: u16,
    pub username: String,
    pub password: Secret,
    pub directory: String,
}

impl Default for SftpAccount {
    fn default() -> Self {
        SftpAccount {
            host: String::new(),
            port: 22,
            username: String::new(),
            password: Secret::default(),
            directory: String::new(),
        }
    }
}

/// The Telegram bot notifications are sent by (§8.6.2).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct TelegramAccount {
    pub bot_token: Secret,
    /// The chat the bot writes to; empty: no Telegram.
    pub chat_id: String,
}

/// `GET|PUT /api/config/services`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ServiceAccounts {
    pub mail: MailAccount,
    pub sftp: SftpAccount,
    pub telegram: TelegramAccount,
}

/// Longest host name, user name, address or directory.
pub const SERVICE_FIELD_MAX_CHARS: usize = 253;
/// Longest password or token.
pub const SECRET_MAX_CHARS: usize = 512;

fn check_text(value: &str, field: &'static str) -> Result<(), FieldError> {
    if value.chars().count() > SERVICE_FIELD_MAX_CHARS {
        return Err(FieldError::new(
            field,
            "error.service_field_too_long",
            "This field is longer than 253 characters.",
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(FieldError::new(
            field,
            "error.service_field_characters",
            "This field contains control characters.",
        ));
    }
    Ok(())
}

fn check_secret(secret: &Secret, field: &'static str) -> Result<(), FieldError> {
    if let Some(value) = &secret.value {
        if value.chars().count() > SECRET_MAX_CHARS {
            return Err(FieldError::new(
                field,
                "error.secret_too_long",
                "This password or token is longer than 512 characters.",
            ));
        }
        if value.chars().any(char::is_control) {
            return Err(FieldError::new(
                field,
                "error.service_field_characters",
                "This field contains control characters.",
            ));
        }
    }
    Ok(())
}

fn check_port(port: u16, field: &'static str) -> Result<(), FieldError> {
    if port == 0 {
        return Err(FieldError::new(
            field,
            "error.port_range",
            "The port is a number from 1 to 65535.",
        ));
    }
    Ok(())
}

/// The services form: sizes and characters of every field, ports, the sender address of a
/// configured e-mail account, and a host wherever credentials are given.
pub fn validate_service_accounts(accounts: &ServiceAccounts) -> Result<(), FieldError> {
    let mail = &accounts.mail;
    check_text(&mail.host, "mail.host")?;
    check_port(mail.port, "mail.port")?;
    check_text(&mail.username, "mail.username")?;
    check_secret(&mail.password, "mail.password")?;
    check_text(&mail.sender, "mail.sender")?;
    if !mail.host.trim().is_empty() {
        let plausible = mail
            .sender
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'));
        if !plausible || mail.sender.contains(char::is_whitespace) {
            return Err(FieldError::new(
                "mail.sender",
                "error.sender_address",
                "Enter the sender's e-mail address, like energy@example.com.",
            ));
        }
    }
    let sftp = &accounts.sftp;
    check_text(&sftp.host, "sftp.host")?;
    check_port(sftp.port, "sftp.port")?;
    check_text(&sftp.username, "sftp.username")?;
    check_secret(&sftp.password, "sftp.password")?;
    check_text(&sftp.directory, "sftp.directory")?;
    if sftp.host.trim().is_empty() && sftp.password.value.is_some() {
        return Err(FieldError::new(
            "sftp.host",
            "error.service_host_required",
            "Enter the server's host name first.",
        ));
    }
    let telegram = &accounts.telegram;
    check_secret(&telegram.bot_token, "telegram.bot_token")?;
    check_text(&telegram.chat_id, "telegram.chat_id")?;
    Ok(())
}

/// Every translation key the rules of this module can return.
pub const SERVICE_ERROR_CODES: &[&str] = &[
    "error.service_field_too_long",
    "error.service_field_characters",
    "error.secret_too_long",
    "error.port_range",
    "error.sender_address",
    "error.service_host_required",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_is_kept_replaced_or_erased_and_never_answered() {
        assert_eq!(
            Secret::replace("new").apply(Some("old")).as_deref(),
            Some("new")
        );
        assert_eq!(
            Secret::stored(true).apply(Some("old")).as_deref(),
            Some("old")
        );
        assert_eq!(Secret::stored(false).apply(Some("old")), None);
        let answered = serde_json::to_string(&Secret::stored(true)).unwrap();
        assert_eq!(answered, r#"{"set":true}"#);
    }

    #[test]
    fn service_rules_name_the_field() {
        let mut accounts = ServiceAccounts::default();
        assert_eq!(validate_service_accounts(&accounts), Ok(()));
        accounts.mail.host = "smtp.example.com".into();
        assert_eq!(
            validate_service_accounts(&accounts).unwrap_err().field,
            "mail.sender"
        );
        accounts.mail.sender = "energy@example.com".into();
        assert_eq!(validate_service_accounts(&accounts), Ok(()));
        accounts.mail.port = 0;
        assert_eq!(
            validate_service_accounts(&accounts).unwrap_err().field,
            "mail.port"
        );
        accounts.mail.port = 465;
        accounts.telegram.bot_token = Secret::replace("x".repeat(513));
        assert_eq!(
            validate_service_accounts(&accounts).unwrap_err().field,
            "telegram.bot_token"
        );
        accounts.telegram.bot_token = Secret::replace("123:abc");
        accounts.sftp.password = Secret::replace("pw");
        assert_eq!(
            validate_service_accounts(&accounts).unwrap_err().field,
            "sftp.host"
        );
    }
}
