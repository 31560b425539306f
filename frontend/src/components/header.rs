use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_location;
use shared::Role;

use crate::components::LanguagePicker;
use crate::i18n::use_i18n;
use crate::{api, use_auth, use_session_lost};

/// The bar at the top of every page behind the login: name of the product, navigation, user, language
/// and logout. On a phone it wraps onto two rows.
#[component]
pub fn Header() -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let pathname = use_location().pathname;
    let leave = use_session_lost();
    let logging_out = RwSignal::new(false);

    let current = move |section: &'static str| {
        let path = pathname.get();
        let active = match section {
            "home" => path == "/",
            // The bus diagnostics are reached from the configuration page and belong to it.
            "config" => path.starts_with("/config") || path.starts_with("/diagnostics"),
            "consumption" => path.starts_with("/consumption"),
            _ => path.starts_with("/panel") || path.starts_with("/devices"),
        };
        active.then_some("page")
    };

    // Only administrators and installers configure the installation (the API refuses the others).
    let configures = move || {
        auth.session.with(|session| {
            session
                .as_ref()
                .is_some_and(|s| matches!(s.role, Role::Administrator | Role::Installer))
        })
    };

    let logout = move |_| {
        logging_out.set(true);
        let leave = leave.clone();
        spawn_local(async move {
            // Whatever the answer, the user asked to leave: the login page is where they go.
            let _ = api::logout().await;
            logging_out.set(false);
            leave();
        });
    };

    view! {
        <header class="app-header">
            <a class="brand" href="/">
                <img class="brand__logo" src="/favicon.svg" alt="" width="28" height="28" />
                <span class="brand__name">{move || i18n.t("app.title")}</span>
            </a>
            <nav class="app-nav" aria-label=move || i18n.t("nav.menu")>
                <a href="/" data-testid="nav-home" aria-current=move || current("home")>
                    {move || i18n.t("nav.home")}
                </a>
                <a href="/panel" data-testid="nav-panel" aria-current=move || current("panel")>
                    {move || i18n.t("nav.panel_board")}
                </a>
                <a
                    href="/consumption"
                    data-testid="nav-consumption"
                    aria-current=move || current("consumption")
                >
                    {move || i18n.t("nav.consumption")}
                </a>
                <Show when=configures>
                    <a href="/config" data-testid="nav-config" aria-current=move || current("config")>
                        {move || i18n.t("nav.config")}
                    </a>
                </Show>
            </nav>
            <div class="app-header__tools">
                <span class="current-user" data-testid="current-user">
                    {move || auth.session.with(|s| s.as_ref().map(|s| s.username.clone()))}
                </span>
                <LanguagePicker />
                <button
                    class="button button--ghost"
                    type="button"
                    data-testid="logout"
                    disabled=move || logging_out.get()
                    on:click=logout
                >
                    {move || i18n.t("nav.logout")}
                </button>
            </div>
        </header>
    }
}
