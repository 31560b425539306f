//! `GET|PUT /api/config/services`: the accounts of outside services. Their passwords and tokens
//! are write-only: answers say whether one is stored, never what it is.

use axum::extract::State;
use shared::{Secret, ServiceAccounts, validate_service_accounts};
use tracing::info;

use super::error::AppError;
use super::extract::{AppJson, CurrentUser};
use crate::AppState;

/// The accounts as a browser may see them: every secret replaced by whether it is set.
pub fn redacted(stored: &ServiceAccounts) -> ServiceAccounts {
    let hide = |secret: &Secret| Secret::stored(secret.value.is_some());
    let mut shown = stored.clone();
    shown.mail.password = hide(&stored.mail.password);
    shown.sftp.password = hide(&stored.sftp.password);
    shown.telegram.bot_token = hide(&stored.telegram.bot_token);
    shown
}

/// The accounts to store after `form`: each secret replaced, kept or erased as the form says.
fn merged(stored: &ServiceAccounts, form: &ServiceAccounts) -> ServiceAccounts {
    let keep = |new: &Secret, old: &Secret| Secret {
        set: true,
        value: new.apply(old.value.as_deref()),
    };
    let mut next = form.clone();
    next.mail.password = keep(&form.mail.password, &stored.mail.password);
    next.sftp.password = keep(&form.sftp.password, &stored.sftp.password);
    next.telegram.bot_token = keep(&form.telegram.bot_token, &stored.telegram.bot_token);
    next
}

/// `GET /api/config/services`.
pub async fn get(State(state): State<AppState>) -> Result<AppJson<ServiceAccounts>, AppError> {
    let store = state.store.clone();
    let stored = tokio::task::spawn_blocking(move || store.services()).await??;
    Ok(AppJson(redacted(&stored)))
}

/// `PUT /api/config/services`.
pub async fn update(
    State(state): State<AppState>,
    user: CurrentUser,
    AppJson(form): AppJson<ServiceAccounts>,
) -> Result<AppJson<ServiceAccounts>, AppError> {
    validate_service_accounts(&form)?;
    let store = state.store.clone();
    let saved = tokio::task::spawn_blocking(move || {
        let next = merged(&store.services()?, &form);
        store.save_services(&next)?;
        Ok::<_, AppError>(next)
    })
    .await??;
    // Which accounts changed, never their secrets.
    info!(
        by = %user.username(),
        mail = %saved.mail.host,
        sftp = %saved.sftp.host,
        telegram = !saved.telegram.chat_id.is_empty(),
        "service accounts changed"
    );
    Ok(AppJson(redacted(&saved)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_kept_replaced_or_erased_and_never_shown() {
        let mut stored = ServiceAccounts::default();
        stored.mail.password = Secret::replace("mail secret");
        stored.telegram.bot_token = Secret::replace("123:token");
        let shown = redacted(&stored);
        let text = serde_json::to_string(&shown).unwrap();
        assert!(
            !text.contains("mail secret") && !text.contains("123:token"),
            "{text}"
        );
        assert_eq!(shown.mail.password, Secret::stored(true));
        assert_eq!(shown.sftp.password, Secret::stored(false));

        // The browser sends back what it got (secrets "set", no value): everything is kept.
        let kept = merged(&stored, &shown);
        assert_eq!(kept.mail.password.value.as_deref(), Some("mail secret"));
        assert_eq!(kept.telegram.bot_token.value.as_deref(), Some("123:token"));
        let mut form = shown.clone();
        form.mail.password = Secret::replace("new secret");
        form.telegram.bot_token = Secret::stored(false);
        let next = merged(&stored, &form);
        assert_eq!(next.mail.password.value.as_deref(), Some("new secret"));
        assert_eq!(next.telegram.bot_token.value, None);
    }
}
