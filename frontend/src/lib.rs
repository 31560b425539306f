//! The web app of the Energy Web Server: a Leptos client-side app compiled to WebAssembly.
//!
//! `App` provides the contexts (language, session, live feed) and the route table; each page lives
//! in [`pages`], shared pieces in [`components`], the JSON API in [`api`].

pub mod api;
pub mod components;
pub mod i18n;
pub mod live;
pub mod pages;

use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::hooks::use_navigate;
use leptos_router::path;
use shared::{DeviceStatus, Quantity, SessionInfo};

use crate::i18n::provide_i18n;
use crate::live::{provide_live, use_live};
use crate::pages::{
    ConfigPage, ConsumptionPage, DevicePage, DiagnosticsPage, HomePage, InstallationPage,
    LoginPage, NotFoundPage, PanelPage, SetupPage,
};

/// Who is logged in, once known.
#[derive(Clone, Copy)]
pub struct Auth {
    pub session: RwSignal<Option<SessionInfo>>,
}

/// The session context (created on the spot if the root did not provide one).
pub fn use_auth() -> Auth {
    use_context::<Auth>().unwrap_or_else(|| {
        let auth = Auth {
            session: RwSignal::new(None),
        };
        provide_context(auth);
        auth
    })
}

/// What to do when the server says the session is gone: forget it and go to the login page.
/// Must be called while a component is being created (it reads the router).
pub fn use_session_lost() -> impl Fn() + Clone + 'static {
    let navigate = use_navigate();
    let auth = use_auth();
    let live = use_live();
    move || {
        auth.session.set(None);
        live::stop(live);
        navigate("/login", Default::default());
    }
}

/// The value of `data-status` and of the status CSS class.
pub fn status_code(status: DeviceStatus) -> &'static str {
    match status {
        DeviceStatus::On => "on",
        DeviceStatus::Off => "off",
        DeviceStatus::CommunicationError => "communication_error",
        DeviceStatus::Pending => "pending",
    }
}

/// Translation key of a status.
pub fn status_key(status: DeviceStatus) -> &'static str {
    match status {
        DeviceStatus::On => "status.on",
        DeviceStatus::Off => "status.off",
        DeviceStatus::CommunicationError => "status.communication_error",
        DeviceStatus::Pending => "status.pending",
    }
}

/// The quantity's snake_case name, as the API spells it (`active_power`, `voltage_l1` …).
pub fn quantity_code(quantity: Quantity) -> String {
    quantity
        .label_key()
        .strip_prefix("quantity.")
        .unwrap_or_default()
        .to_owned()
}

/// The root component.
#[component]
pub fn App() -> impl IntoView {
    provide_i18n();
    provide_live();
    provide_context(Auth {
        session: RwSignal::new(None),
    });

    view! {
        <Router>
            <Routes fallback=NotFoundPage>
                <Route path=path!("/") view=HomePage />
                <Route path=path!("/setup") view=SetupPage />
                <Route path=path!("/login") view=LoginPage />
                <Route path=path!("/panel") view=PanelPage />
                <Route path=path!("/devices/:id") view=DevicePage />
                <Route path=path!("/consumption") view=ConsumptionPage />
                <Route path=path!("/consumption/:view") view=ConsumptionPage />
                <Route path=path!("/config") view=ConfigPage />
                <Route path=path!("/config/installation") view=InstallationPage />
                <Route path=path!("/diagnostics") view=DiagnosticsPage />
            </Routes>
        </Router>
    }
}
