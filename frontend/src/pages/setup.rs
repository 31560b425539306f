use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::{use_navigate, use_query_map};
use shared::{SetupRequest, validate_setup};

use super::{FormError, field_error, form_error_text};
use crate::components::LanguagePicker;
use crate::i18n::use_i18n;
use crate::{api, use_auth};

const FIELDS: &[&str] = &["token", "username", "password", "password_confirm"];

/// `/setup`: creating the first administrator with the one-time token the server printed.
#[component]
pub fn SetupPage() -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let navigate = use_navigate();
    let query = use_query_map();

    let token = RwSignal::new(query.with_untracked(|q| q.get("token").unwrap_or_default()));
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let confirm = RwSignal::new(String::new());
    let error = RwSignal::new(None::<FormError>);
    let pending = RwSignal::new(false);
    let closed = RwSignal::new(false);

    spawn_local(async move {
        if let Ok(status) = api::setup_status().await {
            closed.set(!status.setup_required);
        }
    });

    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        if pending.get_untracked() {
            return;
        }
        let request = SetupRequest {
            token: token.get_untracked().trim().to_owned(),
            username: username.get_untracked().trim().to_owned(),
            password: password.get_untracked(),
        };
        if let Err(invalid) = validate_setup(&request) {
            error.set(Some(FormError::from_field(invalid)));
            return;
        }
        if request.password != confirm.get_untracked() {
            error.set(Some(FormError {
                field: Some("password_confirm".to_owned()),
                code: "error.passwords_differ".to_owned(),
                message: "The two passwords differ.".to_owned(),
            }));
            return;
        }
        error.set(None);
        pending.set(true);
        let navigate = navigate.clone();
        spawn_local(async move {
            let outcome = api::setup(&request).await;
            pending.set(false);
            match outcome {
                Ok(session) => {
                    auth.session.set(Some(session));
                    navigate("/", Default::default());
                }
                Err(failure) => {
                    if failure.status == 409 || failure.error.code == "error.setup_closed" {
                        closed.set(true);
                    }
                    error.set(Some(FormError::from_api(failure.error)));
                }
            }
        });
    };

    let form_error = form_error_text(i18n, error, FIELDS);
    // An hour-old token cannot be mended by typing: say what to do instead.
    let expired = move || {
        error.with(|error| {
            error
                .as_ref()
                .is_some_and(|error| error.code == "error.token_expired")
        })
    };
    let invalid = move |field: &'static str| {
        error.with(|error| {
            error
                .as_ref()
                .is_some_and(|error| error.field.as_deref() == Some(field))
        })
    };

    view! {
        <main class="auth-page">
            <section class="card auth-card">
                <div class="auth-card__top">
                    <h1>{move || i18n.t("setup.title")}</h1>
                    <LanguagePicker />
                </div>
                <Show
                    when=move || !closed.get()
                    fallback=move || {
                        view! {
                            <div class="alert alert--info" role="status" data-testid="setup-error">
                                <p>{move || i18n.t("setup.closed")}</p>
                                <a class="button" href="/login">
                                    {move || i18n.t("setup.go_login")}
                                </a>
                            </div>
                        }
                    }
                >
                    <p class="muted">{move || i18n.t("setup.intro")}</p>
                    <Show when=expired>
                        <div class="alert alert--error" role="alert" data-testid="setup-token-expired">
                            <p>
                                <strong>{move || i18n.t("error.token_expired")}</strong>
                            </p>
                            <p>{move || i18n.t("setup.token_expired_help")}</p>
                        </div>
                    </Show>
                    <form class="form" on:submit=submit.clone() novalidate>
                        <div class="field">
                            <label for="setup-token">{move || i18n.t("setup.token")}</label>
                            <input
                                id="setup-token"
                                data-testid="setup-token"
                                type="text"
                                autocomplete="off"
                                spellcheck="false"
                                aria-invalid=move || invalid("token").to_string()
                                bind:value=token
                            />
                            {field_error(i18n, error, "token", "error-token")}
                        </div>
                        <div class="field">
                            <label for="setup-username">{move || i18n.t("setup.username")}</label>
                            <input
                                id="setup-username"
                                data-testid="setup-username"
                                type="text"
                                autocomplete="username"
                                autocapitalize="none"
                                spellcheck="false"
                                aria-invalid=move || invalid("username").to_string()
                                bind:value=username
                            />
                            {field_error(i18n, error, "username", "error-username")}
                        </div>
                        <div class="field">
                            <label for="setup-password">{move || i18n.t("setup.password")}</label>
                            <input
                                id="setup-password"
                                data-testid="setup-password"
                                type="password"
                                autocomplete="new-password"
                                aria-invalid=move || invalid("password").to_string()
                                bind:value=password
                            />
                            {field_error(i18n, error, "password", "error-password")}
                        </div>
                        <div class="field">
                            <label for="setup-password-confirm">
                                {move || i18n.t("setup.password_confirm")}
                            </label>
                            <input
                                id="setup-password-confirm"
                                data-testid="setup-password-confirm"
                                type="password"
                                autocomplete="new-password"
                                aria-invalid=move || invalid("password_confirm").to_string()
                                bind:value=confirm
                            />
                            {field_error(i18n, error, "password_confirm", "error-password-confirm")}
                        </div>
                        <Show when=move || form_error().is_some()>
                            <p class="alert alert--error" role="alert" data-testid="setup-error">
                                {form_error}
                            </p>
                        </Show>
                        <button
                            class="button button--primary button--block"
                            type="submit"
                            data-testid="setup-submit"
                            disabled=move || pending.get()
                        >
                            {move || i18n.t("setup.submit")}
                        </button>
                    </form>
                </Show>
            </section>
        </main>
    }
}
