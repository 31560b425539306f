use leptos::ev::{KeyboardEvent, MouseEvent};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_location;

use crate::components::LanguagePicker;
use crate::i18n::use_i18n;
use crate::{SECTIONS, Section, api, use_auth, use_session_lost};

/// The bar at the top of every page behind the login: name of the product, the sections the
/// user's pages open, the user (a link to their account), language and logout. On a phone it
/// wraps onto two rows.
#[component]
pub fn Header() -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let pathname = use_location().pathname;
    let leaving = RwSignal::new(false);

    let current = move |section: Section| {
        let path = pathname.get();
        let active = match section.name {
            // The bus diagnostics are reached from the configuration page and belong to it.
            "config" => path.starts_with("/config") || path.starts_with("/diagnostics"),
            "panel" => path.starts_with("/panel") || path.starts_with("/devices"),
            _ => path.starts_with(section.path),
        };
        active.then_some("page")
    };
    let home_current = move || (pathname.get() == "/").then_some("page");
    let account_current = move || pathname.get().starts_with("/account").then_some("page");

    view! {
        <header class="app-header">
            <a class="brand" href="/">
                <img class="brand__logo" src="/favicon.svg" alt="" width="28" height="28" />
                <span class="brand__name">{move || i18n.t("app.title")}</span>
            </a>
            <nav class="app-nav" aria-label=move || i18n.t("nav.menu")>
                <a href="/" data-testid="nav-home" aria-current=home_current>
                    {move || i18n.t("nav.home")}
                </a>
                {SECTIONS
                    .into_iter()
                    .map(|section| {
                        view! {
                            <Show when=move || auth.allows_any(section.pages)>
                                <a
                                    href=section.path
                                    data-testid=format!("nav-{}", section.name)
                                    aria-current=move || current(section)
                                >
                                    {move || i18n.t(section.label_key)}
                                </a>
                            </Show>
                        }
                    })
                    .collect_view()}
            </nav>
            <div class="app-header__tools">
                <a
                    class="current-user"
                    href="/account"
                    data-testid="current-user"
                    title=move || i18n.t("account.title")
                    aria-current=account_current
                >
                    {move || auth.session.with(|s| s.as_ref().map(|s| s.username.clone()))}
                </a>
                <LanguagePicker />
                <button
                    class="button button--ghost"
                    type="button"
                    data-testid="logout"
                    aria-haspopup="dialog"
                    on:click=move |_| leaving.set(true)
                >
                    {move || i18n.t("nav.logout")}
                </button>
            </div>
        </header>
        <Show when=move || leaving.get()>
            <LeaveDialog on_close=Callback::new(move |()| leaving.set(false)) />
        </Show>
    }
}

/// "Log out", "Lock" or "Cancel" (§8.1.4): locking keeps the session open behind the password or
/// the PIN, for a screen left alone a moment.
#[component]
fn LeaveDialog(on_close: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let leave = use_session_lost();
    let busy = RwSignal::new(false);
    let problem = RwSignal::new(None::<api::Failure>);
    let first_button = NodeRef::<leptos::html::Button>::new();
    // The dialog takes the focus, so the keyboard and screen readers land in it.
    Effect::new(move || {
        if let Some(button) = first_button.get() {
            let _ = button.focus();
        }
    });
    let has_pin = move || auth.session.with(|s| s.as_ref().is_some_and(|s| s.has_pin));

    let log_out = {
        let leave = leave.clone();
        move |_| {
            busy.set(true);
            let leave = leave.clone();
            spawn_local(async move {
                // Whatever the answer, the user asked to leave: the login page is where they go.
                let _ = api::logout().await;
                busy.set(false);
                on_close.run(());
                leave();
            });
        }
    };
    let lock = move |_| {
        busy.set(true);
        let leave = leave.clone();
        spawn_local(async move {
            let outcome = api::lock().await;
            busy.set(false);
            match outcome {
                Ok(session) => {
                    on_close.run(());
                    // The frame sees the locked session and shows the lock screen.
                    auth.session.set(Some(session));
                }
                Err(failure) if failure.is_unauthorized() => {
                    on_close.run(());
                    leave();
                }
                Err(failure) => problem.set(Some(failure)),
            }
        });
    };
    let on_keydown = move |event: KeyboardEvent| {
        if event.key() == "Escape" {
            on_close.run(());
        }
    };
    // A tap beside the card closes it too, as on a phone one expects.
    let on_backdrop = move |event: MouseEvent| {
        if event.target() == event.current_target() {
            on_close.run(());
        }
    };
    let problem_text = move || {
        problem.with(|problem| {
            problem
                .as_ref()
                .map(|failure| i18n.error(&failure.error.code, &failure.error.message))
        })
    };

    view! {
        <div class="modal" on:keydown=on_keydown on:click=on_backdrop>
            <div
                class="modal__card card"
                role="dialog"
                aria-modal="true"
                aria-labelledby="leave-title"
                data-testid="logout-dialog"
            >
                <h2 id="leave-title" class="modal__title">{move || i18n.t("leave.title")}</h2>
                <p class="muted">{move || i18n.t("leave.text")}</p>
                <Show when=move || !has_pin()>
                    <p class="muted modal__hint">
                        {move || i18n.t("leave.pin_hint")} " "
                        <a href="/account" on:click=move |_| on_close.run(())>
                            {move || i18n.t("account.title")}
                        </a>
                    </p>
                </Show>
                <Show when=move || problem_text().is_some()>
                    <p class="alert alert--error" role="alert" data-testid="logout-error">
                        {problem_text}
                    </p>
                </Show>
                <div class="modal__buttons">
                    <button
                        class="button button--primary"
                        type="button"
                        data-testid="logout-confirm"
                        node_ref=first_button
                        disabled=move || busy.get()
                        on:click=log_out
                    >
                        {move || i18n.t("leave.logout")}
                    </button>
                    <button
                        class="button"
                        type="button"
                        data-testid="logout-lock"
                        disabled=move || busy.get()
                        on:click=lock
                    >
                        {move || i18n.t("leave.lock")}
                    </button>
                    <button
                        class="button button--ghost"
                        type="button"
                        data-testid="logout-cancel"
                        on:click=move |_| on_close.run(())
                    >
                        {move || i18n.t("leave.cancel")}
                    </button>
                </div>
            </div>
        </div>
    }
}
