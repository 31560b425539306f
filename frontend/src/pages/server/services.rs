//! The accounts of outside services (§8.6): the e-mail server reports and alerts are sent from,
//! the SFTP server CSV files go to, and the Telegram bot. Passwords and tokens are write-only:
//! the page only learns whether one is stored, keeps it unless something is typed, and can erase
//! it. The rules are `shared::validate_service_accounts`, run here before sending.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::{
    MailAccount, MailSecurity, SECRET_MAX_CHARS, SERVICE_FIELD_MAX_CHARS, Secret, ServiceAccounts,
    SftpAccount, TelegramAccount, validate_service_accounts,
};

use super::Failed;
use crate::api;
use crate::i18n::{I18n, use_i18n};
use crate::pages::{FormError, form_error_text};

/// Every field the rules can name; an error naming another shows above the button.
const FIELDS: &[&str] = &[
    "mail.host",
    "mail.port",
    "mail.username",
    "mail.password",
    "mail.sender",
    "sftp.host",
    "sftp.port",
    "sftp.username",
    "sftp.password",
    "sftp.directory",
    "telegram.bot_token",
    "telegram.chat_id",
];

/// A password or token field: whether the server has one, what was typed, and "erase".
#[derive(Clone, Copy)]
struct SecretField {
    stored: RwSignal<bool>,
    typed: RwSignal<String>,
    erase: RwSignal<bool>,
}

impl SecretField {
    fn new() -> SecretField {
        SecretField {
            stored: RwSignal::new(false),
            typed: RwSignal::new(String::new()),
            erase: RwSignal::new(false),
        }
    }

    fn load(self, secret: &Secret) {
        self.stored.set(secret.set);
        self.typed.set(String::new());
        self.erase.set(false);
    }

    /// What to send: a typed value replaces, "erase" erases, otherwise the stored one stays.
    fn secret(self) -> Secret {
        let typed = self.typed.get_untracked();
        if !typed.is_empty() {
            Secret::replace(typed)
        } else if self.erase.get_untracked() {
            Secret::stored(false)
        } else {
            Secret::stored(self.stored.get_untracked())
        }
    }
}

/// The form's fields. `Copy`, so closures capture it freely.
#[derive(Clone, Copy)]
struct Form {
    mail_host: RwSignal<String>,
    mail_port: RwSignal<String>,
    mail_security: RwSignal<MailSecurity>,
    mail_username: RwSignal<String>,
    mail_password: SecretField,
    mail_sender: RwSignal<String>,
    sftp_host: RwSignal<String>,
    sftp_port: RwSignal<String>,
    sftp_username: RwSignal<String>,
    sftp_password: SecretField,
    sftp_directory: RwSignal<String>,
    telegram_token: SecretField,
    telegram_chat: RwSignal<String>,
}

impl Form {
    fn new() -> Form {
        let text = || RwSignal::new(String::new());
        Form {
            mail_host: text(),
            mail_port: text(),
            mail_security: RwSignal::new(MailSecurity::default()),
            mail_username: text(),
            mail_password: SecretField::new(),
            mail_sender: text(),
            sftp_host: text(),
            sftp_port: text(),
            sftp_username: text(),
            sftp_password: SecretField::new(),
            sftp_directory: text(),
            telegram_token: SecretField::new(),
            telegram_chat: text(),
        }
    }

    fn load(self, accounts: &ServiceAccounts) {
        let mail = &accounts.mail;
        self.mail_host.set(mail.host.clone());
        self.mail_port.set(mail.port.to_string());
        self.mail_security.set(mail.security);
        self.mail_username.set(mail.username.clone());
        self.mail_password.load(&mail.password);
        self.mail_sender.set(mail.sender.clone());
        let sftp = &accounts.sftp;
        self.sftp_host.set(sftp.host.clone());
        self.sftp_port.set(sftp.port.to_string());
        self.sftp_username.set(sftp.username.clone());
        self.sftp_password.load(&sftp.password);
        self.sftp_directory.set(sftp.directory.clone());
        self.telegram_token.load(&accounts.telegram.bot_token);
        self.telegram_chat.set(accounts.telegram.chat_id.clone());
    }

    fn accounts(self) -> ServiceAccounts {
        let text = |signal: RwSignal<String>| signal.get_untracked().trim().to_owned();
        // A port that is not a number is sent as 0, which the rules refuse on its field.
        let port = |signal: RwSignal<String>| signal.get_untracked().trim().parse().unwrap_or(0);
        ServiceAccounts {
            mail: MailAccount {
                host: text(self.mail_host),
                port: port(self.mail_port),
                security: self.mail_security.get_untracked(),
                username: text(self.mail_username),
                password: self.mail_password.secret(),
                sender: text(self.mail_sender),
            },
            sftp: SftpAccount {
                host: text(self.sftp_host),
                port: port(self.sftp_port),
                username: text(self.sftp_username),
                password: self.sftp_password.secret(),
                directory: text(self.sftp_directory),
            },
            telegram: TelegramAccount {
                bot_token: self.telegram_token.secret(),
                chat_id: text(self.telegram_chat),
            },
        }
    }
}

/// `mail.host` → `mail-host`, for ids and test ids.
fn dashed(field: &str) -> String {
    field.replace(['.', '_'], "-")
}

/// The message under a field, while the error names it.
fn field_message(
    i18n: I18n,
    error: RwSignal<Option<FormError>>,
    field: &'static str,
) -> impl IntoView {
    let message = move || {
        error.with(|error| {
            error
                .as_ref()
                .filter(|error| error.field.as_deref() == Some(field))
                .map(|error| i18n.error(&error.code, &error.message))
        })
    };
    view! {
        <Show when=move || message().is_some()>
            <p class="field-error" role="alert" data-testid=format!("error-{}", dashed(field))>
                {message}
            </p>
        </Show>
    }
}

fn invalid(error: RwSignal<Option<FormError>>, field: &'static str) -> impl Fn() -> String {
    move || {
        error
            .with(|e| e.as_ref().and_then(|e| e.field.as_deref()) == Some(field))
            .to_string()
    }
}

/// A text field of the form.
fn text_field(
    i18n: I18n,
    error: RwSignal<Option<FormError>>,
    field: &'static str,
    label_key: &'static str,
    value: RwSignal<String>,
    numeric: bool,
) -> impl IntoView {
    let id = format!("service-{}", dashed(field));
    view! {
        <div class="field">
            <label for=id.clone()>{move || i18n.t(label_key)}</label>
            <input
                id=id.clone()
                data-testid=id
                type="text"
                inputmode=if numeric { "numeric" } else { "text" }
                autocomplete="off"
                autocapitalize="none"
                spellcheck="false"
                maxlength=SERVICE_FIELD_MAX_CHARS.to_string()
                aria-invalid=invalid(error, field)
                prop:value=move || value.get()
                on:input=move |event| value.set(event_target_value(&event))
            />
            {field_message(i18n, error, field)}
        </div>
    }
}

/// A password or token: empty, "stored" when the server has one, replaced only when typed into,
/// erased on request.
fn secret_field(
    i18n: I18n,
    error: RwSignal<Option<FormError>>,
    field: &'static str,
    label_key: &'static str,
    secret: SecretField,
) -> impl IntoView {
    let id = format!("service-{}", dashed(field));
    let erase_id = format!("{id}-erase");
    let stored_id = format!("{id}-stored");
    view! {
        <div class="field secret-field" data-stored=move || secret.stored.get().to_string()>
            <label for=id.clone()>
                {move || i18n.t(label_key)}
                <Show when=move || secret.stored.get()>
                    " "
                    <span class="badge badge--ok" data-testid=stored_id.clone()>
                        {move || i18n.t("services.stored")}
                    </span>
                </Show>
            </label>
            <input
                id=id.clone()
                data-testid=id.clone()
                type="password"
                autocomplete="new-password"
                maxlength=SECRET_MAX_CHARS.to_string()
                placeholder=move || secret.stored.get().then(|| i18n.t("services.stored_placeholder"))
                disabled=move || secret.erase.get()
                aria-invalid=invalid(error, field)
                prop:value=move || secret.typed.get()
                on:input=move |event| secret.typed.set(event_target_value(&event))
            />
            <Show when=move || secret.stored.get()>
                <label class="check">
                    <input
                        type="checkbox"
                        data-testid=erase_id.clone()
                        prop:checked=move || secret.erase.get()
                        on:change=move |event| {
                            let erase = event_target_checked(&event);
                            secret.erase.set(erase);
                            if erase {
                                secret.typed.set(String::new());
                            }
                        }
                    />
                    <span class="check__label">{move || i18n.t("services.erase")}</span>
                </label>
            </Show>
            {field_message(i18n, error, field)}
        </div>
    }
}

/// The three accounts and one Save.
#[component]
pub(super) fn ServicesSection(failed: Failed) -> impl IntoView {
    let i18n = use_i18n();
    let form = Form::new();
    let loaded = RwSignal::new(false);
    let problem = RwSignal::new(None::<FormError>);
    let error = RwSignal::new(None::<FormError>);
    let busy = RwSignal::new(false);
    let saved = RwSignal::new(false);

    spawn_local(async move {
        match api::services().await {
            Ok(accounts) => {
                form.load(&accounts);
                loaded.set(true);
            }
            Err(failure) => failed.show(failure, problem),
        }
    });

    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        if busy.get_untracked() {
            return;
        }
        saved.set(false);
        let accounts = form.accounts();
        if let Err(invalid) = validate_service_accounts(&accounts) {
            error.set(Some(FormError::from_field(invalid)));
            return;
        }
        error.set(None);
        busy.set(true);
        spawn_local(async move {
            let outcome = api::update_services(&accounts).await;
            busy.set(false);
            match outcome {
                Ok(stored) => {
                    form.load(&stored);
                    saved.set(true);
                }
                Err(failure) => failed.show(failure, error),
            }
        });
    };
    let problem_text =
        move || problem.with(|problem| problem.as_ref().map(|e| i18n.error(&e.code, &e.message)));
    let alert = form_error_text(i18n, error, FIELDS);
    let security_key = |security: MailSecurity| match security {
        MailSecurity::Tls => "services.security_tls",
        MailSecurity::StartTls => "services.security_start_tls",
        MailSecurity::None => "services.security_none",
    };
    let security_code = |security: MailSecurity| match security {
        MailSecurity::Tls => "tls",
        MailSecurity::StartTls => "start_tls",
        MailSecurity::None => "none",
    };

    view! {
        <section class="card services" data-testid="services-section">
            <h2 class="card__title">{move || i18n.t("services.title")}</h2>
            <p class="muted">{move || i18n.t("services.help")}</p>
            <Show when=move || problem_text().is_some()>
                <p class="alert alert--error" role="alert" data-testid="services-problem">
                    {problem_text}
                </p>
            </Show>
            <Show
                when=move || loaded.get()
                fallback=move || view! { <p class="loading">{move || i18n.t("common.loading")}</p> }
            >
                <form class="services__form" data-testid="services-form" on:submit=submit novalidate>
                    <div class="services__groups">
                        <fieldset class="services__group" data-testid="services-mail">
                            <legend>{move || i18n.t("services.mail")}</legend>
                            {text_field(i18n, error, "mail.host", "services.host", form.mail_host, false)}
                            {text_field(i18n, error, "mail.port", "services.port", form.mail_port, true)}
                            <div class="field">
                                <label for="service-mail-security">{move || i18n.t("services.security")}</label>
                                <select
                                    id="service-mail-security"
                                    data-testid="service-mail-security"
                                    on:change=move |event| {
                                        let code = event_target_value(&event);
                                        if let Some(security) = [MailSecurity::Tls, MailSecurity::StartTls, MailSecurity::None]
                                            .into_iter()
                                            .find(|security| security_code(*security) == code)
                                        {
                                            form.mail_security.set(security);
                                        }
                                    }
                                >
                                    {[MailSecurity::StartTls, MailSecurity::Tls, MailSecurity::None]
                                        .into_iter()
                                        .map(|security| {
                                            view! {
                                                <option
                                                    value=security_code(security)
                                                    selected=move || form.mail_security.get() == security
                                                >
                                                    {move || i18n.t(security_key(security))}
                                                </option>
                                            }
                                        })
                                        .collect_view()}
                                </select>
                            </div>
                            {text_field(i18n, error, "mail.username", "services.username", form.mail_username, false)}
                            {secret_field(i18n, error, "mail.password", "services.password", form.mail_password)}
                            {text_field(i18n, error, "mail.sender", "services.sender", form.mail_sender, false)}
                        </fieldset>
                        <fieldset class="services__group" data-testid="services-sftp">
                            <legend>{move || i18n.t("services.sftp")}</legend>
                            {text_field(i18n, error, "sftp.host", "services.host", form.sftp_host, false)}
                            {text_field(i18n, error, "sftp.port", "services.port", form.sftp_port, true)}
                            {text_field(i18n, error, "sftp.username", "services.username", form.sftp_username, false)}
                            {secret_field(i18n, error, "sftp.password", "services.password", form.sftp_password)}
                            {text_field(i18n, error, "sftp.directory", "services.directory", form.sftp_directory, false)}
                        </fieldset>
                        <fieldset class="services__group" data-testid="services-telegram">
                            <legend>{move || i18n.t("services.telegram")}</legend>
                            {secret_field(i18n, error, "telegram.bot_token", "services.bot_token", form.telegram_token)}
                            {text_field(i18n, error, "telegram.chat_id", "services.chat_id", form.telegram_chat, false)}
                        </fieldset>
                    </div>
                    <Show when=move || alert().is_some()>
                        <p class="alert alert--error" role="alert" data-testid="services-error">{alert}</p>
                    </Show>
                    <div class="form-buttons">
                        <button
                            class="button button--primary"
                            type="submit"
                            data-testid="services-save"
                            disabled=move || busy.get()
                        >
                            {move || i18n.t("services.save")}
                        </button>
                        <Show when=move || saved.get()>
                            <span class="muted" role="status" data-testid="services-saved">
                                {move || i18n.t("services.saved")}
                            </span>
                        </Show>
                    </div>
                </form>
            </Show>
        </section>
    }
}
