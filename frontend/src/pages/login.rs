use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::{use_navigate, use_query_map};
use shared::{LoginRequest, validate_login};

use super::{FormError, form_error_text};
use crate::components::LanguagePicker;
use crate::i18n::use_i18n;
use crate::{api, use_auth};

/// `/login`.
#[component]
pub fn LoginPage() -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let navigate = use_navigate();

    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<FormError>);
    let pending = RwSignal::new(false);
    let setup_required = RwSignal::new(false);
    // After too many failed logins the server names a wait; the button stays off until it ends.
    // Counted against the clock (not by ticks), so it never ends before the server's.
    let retry_at = RwSignal::new(None::<f64>);
    let wait_seconds = RwSignal::new(0_u64);
    let locked_out = use_query_map()
        .with_untracked(|query| query.get("reason").as_deref() == Some("locked_out"));
    if let Ok(handle) = set_interval_with_handle(
        move || {
            if let Some(at) = retry_at.get_untracked() {
                let left = ((at - js_sys::Date::now()) / 1000.0).ceil().max(0.0) as u64;
                if left == 0 {
                    retry_at.set(None);
                }
                if left != wait_seconds.get_untracked() {
                    wait_seconds.set(left);
                }
            }
        },
        std::time::Duration::from_millis(250),
    ) {
        on_cleanup(move || handle.clear());
    }

    spawn_local(async move {
        if let Ok(status) = api::setup_status().await {
            setup_required.set(status.setup_required);
        }
    });

    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        if pending.get_untracked() || wait_seconds.get_untracked() > 0 {
            return;
        }
        let request = LoginRequest {
            username: username.get_untracked().trim().to_owned(),
            password: password.get_untracked(),
        };
        if let Err(invalid) = validate_login(&request) {
            error.set(Some(FormError::from_field(invalid)));
            return;
        }
        error.set(None);
        pending.set(true);
        let navigate = navigate.clone();
        spawn_local(async move {
            let outcome = api::login(&request).await;
            pending.set(false);
            match outcome {
                Ok(session) => {
                    auth.session.set(Some(session));
                    navigate("/", Default::default());
                }
                Err(failure) => {
                    // A failed login is never about the session: say what the server said.
                    let mut form_error = FormError::from_api(failure.error);
                    if failure.status == 401 {
                        form_error.code = "error.login_failed".to_owned();
                    }
                    if failure.status == 429 {
                        form_error.code = "error.too_many_attempts".to_owned();
                        let seconds = failure.retry_after.unwrap_or(60);
                        retry_at.set(Some(js_sys::Date::now() + seconds as f64 * 1000.0));
                        wait_seconds.set(seconds);
                    }
                    error.set(Some(form_error));
                    password.set(String::new());
                }
            }
        });
    };

    // Every login error shows in the one alert above the button.
    let message = form_error_text(i18n, error, &[]);
    let wait_text = move || {
        let seconds = wait_seconds.get();
        (seconds > 0).then(|| i18n.format("login.retry_in", &[("seconds", &seconds.to_string())]))
    };

    view! {
        <main class="auth-page">
            <section class="card auth-card">
                <div class="auth-card__brand">
                    <img src="/favicon.svg" alt="" width="36" height="36" />
                    <span>{move || i18n.t("app.title")}</span>
                </div>
                <h1>{move || i18n.t("login.title")}</h1>
                <Show when=move || setup_required.get()>
                    <p class="alert alert--info" role="status" data-testid="login-setup-required">
                        {move || i18n.t("login.setup_required")}
                    </p>
                </Show>
                <Show when=move || locked_out>
                    <p class="alert alert--info" role="status" data-testid="login-locked-out">
                        {move || i18n.t("login.locked_out")}
                    </p>
                </Show>
                <form class="form" on:submit=submit novalidate>
                    <div class="field">
                        <label for="login-username">{move || i18n.t("login.username")}</label>
                        <input
                            id="login-username"
                            data-testid="login-username"
                            type="text"
                            autocomplete="username"
                            autocapitalize="none"
                            spellcheck="false"
                            bind:value=username
                        />
                    </div>
                    <div class="field">
                        <label for="login-password">{move || i18n.t("login.password")}</label>
                        <input
                            id="login-password"
                            data-testid="login-password"
                            type="password"
                            autocomplete="current-password"
                            bind:value=password
                        />
                    </div>
                    <Show when=move || message().is_some()>
                        <p class="alert alert--error" role="alert" data-testid="login-error">
                            {message}
                            <Show when=move || wait_text().is_some()>
                                " "
                                <span data-testid="login-retry">{wait_text}</span>
                            </Show>
                        </p>
                    </Show>
                    <button
                        class="button button--primary button--block"
                        type="submit"
                        data-testid="login-submit"
                        disabled=move || pending.get() || wait_seconds.get() != 0
                    >
                        {move || i18n.t("login.submit")}
                    </button>
                </form>
                <div class="auth-card__footer">
                    <LanguagePicker visible_label=true />
                </div>
            </section>
        </main>
    }
}
