//! `/account`: the logged-in user's own account: who they are and what they may open, their
//! password, and the PIN that unlocks a locked session (§8.1.4). Every user has it.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::{
    PIN_MAX_DIGITS, PasswordChange, PinChange, validate_password_change, validate_pin_change,
};

use super::{FormError, field_error, form_error_text, page_names};
use crate::components::Shell;
use crate::i18n::{I18n, use_i18n};
use crate::{api, use_auth, use_session_lost};

#[component]
pub fn AccountPage() -> impl IntoView {
    view! {
        <Shell>
            <Account />
        </Shell>
    }
}

#[component]
fn Account() -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let username = move || {
        auth.session
            .with(|s| s.as_ref().map(|s| s.username.clone()))
    };
    let role = move || {
        auth.session
            .with(|s| s.as_ref().map(|s| i18n.t(s.role.label_key())))
    };
    let pages = move || {
        auth.session.with(|s| {
            s.as_ref()
                .map(|s| page_names(i18n, &s.pages))
                .unwrap_or_default()
        })
    };
    let devices = move || {
        auth.session
            .with(|s| s.as_ref().and_then(|s| s.devices.as_ref().map(Vec::len)))
    };

    view! {
        <h1 class="page-title">{move || i18n.t("account.title")}</h1>
        <section class="card account-summary" data-testid="account-summary">
            <dl class="facts">
                <div>
                    <dt>{move || i18n.t("account.username")}</dt>
                    <dd data-testid="account-username">{username}</dd>
                </div>
                <div>
                    <dt>{move || i18n.t("account.role")}</dt>
                    <dd data-testid="account-role">{role}</dd>
                </div>
                <div class="facts__wide">
                    <dt>{move || i18n.t("account.pages")}</dt>
                    <dd data-testid="account-pages">{pages}</dd>
                </div>
                <Show when=move || devices().is_some()>
                    <div>
                        <dt>{move || i18n.t("account.devices")}</dt>
                        <dd data-testid="account-devices">
                            {move || match devices().unwrap_or_default() {
                                1 => i18n.t("account.devices_one"),
                                count => {
                                    i18n.format("account.devices_count", &[("count", &count.to_string())])
                                }
                            }}
                        </dd>
                    </div>
                </Show>
            </dl>
        </section>
        <div class="sections account-sections">
            <PasswordCard />
            <PinCard />
        </div>
    }
}

/// A password input of these forms.
fn password_input(
    id: &'static str,
    autocomplete: &'static str,
    value: RwSignal<String>,
    error: RwSignal<Option<FormError>>,
    field: &'static str,
) -> impl IntoView {
    view! {
        <input
            id=id
            data-testid=id
            type="password"
            autocomplete=autocomplete
            aria-invalid=move || {
                error
                    .with(|e| e.as_ref().and_then(|e| e.field.as_deref()) == Some(field))
                    .to_string()
            }
            prop:value=move || value.get()
            on:input=move |event| value.set(event_target_value(&event))
        />
    }
}

/// Shows a failed call: a closed session goes to the login page.
fn failed(
    failure: api::Failure,
    error: RwSignal<Option<FormError>>,
    leave: &(impl Fn() + Clone + 'static),
) {
    if failure.is_unauthorized() {
        leave();
    } else {
        error.set(Some(FormError::from_api(failure.error)));
    }
}

/// Changing one's password: the current one, the new one twice. The user's other sessions close.
#[component]
fn PasswordCard() -> impl IntoView {
    let i18n = use_i18n();
    let leave = use_session_lost();
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let confirm = RwSignal::new(String::new());
    let error = RwSignal::new(None::<FormError>);
    let busy = RwSignal::new(false);
    let saved = RwSignal::new(false);

    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        if busy.get_untracked() {
            return;
        }
        saved.set(false);
        let change = PasswordChange {
            current_password: current.get_untracked(),
            new_password: new.get_untracked(),
        };
        if let Err(invalid) = validate_password_change(&change) {
            error.set(Some(FormError::from_field(invalid)));
            return;
        }
        if change.new_password != confirm.get_untracked() {
            error.set(Some(differ()));
            return;
        }
        error.set(None);
        busy.set(true);
        let leave = leave.clone();
        spawn_local(async move {
            let outcome = api::change_password(&change).await;
            busy.set(false);
            match outcome {
                Ok(()) => {
                    current.set(String::new());
                    new.set(String::new());
                    confirm.set(String::new());
                    saved.set(true);
                }
                Err(failure) => failed(failure, error, &leave),
            }
        });
    };
    let alert = form_error_text(
        i18n,
        error,
        &["current_password", "new_password", "password_confirm"],
    );

    view! {
        <section class="card" data-testid="account-password">
            <h2 class="card__title">{move || i18n.t("account.password_title")}</h2>
            <p class="muted">{move || i18n.t("account.password_help")}</p>
            <form class="form" on:submit=submit novalidate>
                <div class="field">
                    <label for="account-current-password">
                        {move || i18n.t("account.current_password")}
                    </label>
                    {password_input("account-current-password", "current-password", current, error, "current_password")}
                    {field_error(i18n, error, "current_password", "error-current-password")}
                </div>
                <div class="field">
                    <label for="account-new-password">{move || i18n.t("account.new_password")}</label>
                    {password_input("account-new-password", "new-password", new, error, "new_password")}
                    {field_error(i18n, error, "new_password", "error-new-password")}
                </div>
                <div class="field">
                    <label for="account-confirm-password">
                        {move || i18n.t("account.confirm_password")}
                    </label>
                    {password_input("account-confirm-password", "new-password", confirm, error, "password_confirm")}
                    {field_error(i18n, error, "password_confirm", "error-password-confirm")}
                </div>
                <Show when=move || alert().is_some()>
                    <p class="alert alert--error" role="alert" data-testid="account-password-error">
                        {alert}
                    </p>
                </Show>
                <Show when=move || saved.get()>
                    <p class="alert alert--info" role="status" data-testid="account-password-saved">
                        {move || i18n.t("account.password_saved")}
                    </p>
                </Show>
                <div class="form-buttons">
                    <button
                        class="button button--primary"
                        type="submit"
                        data-testid="account-password-save"
                        disabled=move || busy.get()
                    >
                        {move || i18n.t("account.password_save")}
                    </button>
                </div>
            </form>
        </section>
    }
}

fn differ() -> FormError {
    FormError {
        field: Some("password_confirm".to_owned()),
        code: "error.passwords_differ".to_owned(),
        message: "The two passwords differ.".to_owned(),
    }
}

/// The lock PIN: chosen or cleared with the account's password.
#[component]
fn PinCard() -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let leave = use_session_lost();
    let password = RwSignal::new(String::new());
    let pin = RwSignal::new(String::new());
    let error = RwSignal::new(None::<FormError>);
    let busy = RwSignal::new(false);
    let saved = RwSignal::new(None::<&'static str>);
    let has_pin = move || auth.session.with(|s| s.as_ref().is_some_and(|s| s.has_pin));

    // `Some(pin)` chooses a PIN, `None` clears it.
    let send = move |chosen: Option<String>| {
        if busy.get_untracked() {
            return;
        }
        saved.set(None);
        let clearing = chosen.is_none();
        let change = PinChange {
            password: password.get_untracked(),
            pin: chosen,
        };
        if let Err(invalid) = validate_pin_change(&change) {
            error.set(Some(FormError::from_field(invalid)));
            return;
        }
        error.set(None);
        busy.set(true);
        let leave = leave.clone();
        spawn_local(async move {
            let outcome = api::change_pin(&change).await;
            busy.set(false);
            match outcome {
                Ok(session) => {
                    password.set(String::new());
                    pin.set(String::new());
                    auth.session.set(Some(session));
                    saved.set(Some(if clearing {
                        "account.pin_cleared"
                    } else {
                        "account.pin_saved"
                    }));
                }
                Err(failure) => failed(failure, error, &leave),
            }
        });
    };
    let submit = {
        let send = send.clone();
        move |event: SubmitEvent| {
            event.prevent_default();
            send(Some(pin.get_untracked().trim().to_owned()));
        }
    };
    let clear = move |_| send(None);
    let alert = form_error_text(i18n, error, &["password", "pin"]);

    view! {
        <section class="card" data-testid="account-pin">
            <h2 class="card__title">{move || i18n.t("account.pin_title")}</h2>
            <p class="muted">{move || i18n.t("account.pin_help")}</p>
            <p
                class="account-pin-state"
                data-testid="account-pin-state"
                data-has-pin=move || has_pin().to_string()
            >
                {move || pin_state(i18n, has_pin())}
            </p>
            <form class="form" on:submit=submit novalidate>
                <div class="field">
                    <label for="account-pin-password">{move || i18n.t("account.pin_password")}</label>
                    {password_input("account-pin-password", "current-password", password, error, "password")}
                    {field_error(i18n, error, "password", "error-pin-password")}
                </div>
                <div class="field">
                    <label for="account-pin-new">{move || i18n.t("account.pin_new")}</label>
                    <input
                        id="account-pin-new"
                        data-testid="account-pin-new"
                        type="password"
                        inputmode="numeric"
                        pattern="[0-9]*"
                        autocomplete="off"
                        maxlength=PIN_MAX_DIGITS.to_string()
                        aria-invalid=move || {
                            error
                                .with(|e| e.as_ref().and_then(|e| e.field.as_deref()) == Some("pin"))
                                .to_string()
                        }
                        prop:value=move || pin.get()
                        on:input=move |event| pin.set(event_target_value(&event))
                    />
                    <p class="field-hint">{move || i18n.t("account.pin_hint")}</p>
                    {field_error(i18n, error, "pin", "error-pin")}
                </div>
                <Show when=move || alert().is_some()>
                    <p class="alert alert--error" role="alert" data-testid="account-pin-error">
                        {alert}
                    </p>
                </Show>
                <Show when=move || saved.get().is_some()>
                    <p class="alert alert--info" role="status" data-testid="account-pin-saved">
                        {move || saved.get().map(|key| i18n.t(key))}
                    </p>
                </Show>
                <div class="form-buttons">
                    <button
                        class="button button--primary"
                        type="submit"
                        data-testid="account-pin-save"
                        disabled=move || busy.get()
                    >
                        {move || i18n.t("account.pin_save")}
                    </button>
                    <Show when=has_pin>
                        <button
                            class="button button--danger"
                            type="button"
                            data-testid="account-pin-clear"
                            disabled=move || busy.get()
                            on:click=clear.clone()
                        >
                            {move || i18n.t("account.pin_clear")}
                        </button>
                    </Show>
                </div>
            </form>
        </section>
    }
}

fn pin_state(i18n: I18n, has_pin: bool) -> String {
    i18n.t(if has_pin {
        "account.pin_set"
    } else {
        "account.pin_none"
    })
}
