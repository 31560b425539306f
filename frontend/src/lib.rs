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
use shared::{DeviceStatus, Page, Quantity, SessionInfo};

use crate::i18n::provide_i18n;
use crate::live::{provide_live, use_live};
use crate::pages::{
    AccountPage, ConfigPage, ConsumptionPage, DevicePage, DiagnosticsPage, HomePage,
    InstallationPage, LoginPage, NotFoundPage, PanelPage, ServerPage, SetupPage,
};

/// Who is logged in, once known.
#[derive(Clone, Copy)]
pub struct Auth {
    pub session: RwSignal<Option<SessionInfo>>,
}

impl Auth {
    /// Whether the session may open at least one of `pages` (tracked); an empty list needs only
    /// a session. The server checks the same on every call: this only spares the user a refusal.
    pub fn allows_any(&self, pages: &[Page]) -> bool {
        self.session.with(|session| {
            session.as_ref().is_some_and(|session| {
                pages.is_empty() || pages.iter().any(|page| session.pages.contains(page))
            })
        })
    }

    /// Whether the session may open `page` (tracked).
    pub fn allows(&self, page: Page) -> bool {
        self.allows_any(&[page])
    }

    /// Whether the session is locked (tracked).
    pub fn is_locked(&self) -> bool {
        self.session
            .with(|session| session.as_ref().is_some_and(|session| session.locked))
    }

    /// Marks the session locked, as the server said (the lock screen follows).
    fn mark_locked(&self) {
        self.session.update(|session| {
            if let Some(session) = session {
                session.locked = true;
            }
        });
    }
}

/// A part of the app in the menu and on the home page, and the pages that open it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Section {
    pub path: &'static str,
    /// Names its `data-testid`s (`nav-<name>`, `home-<name>-link`).
    pub name: &'static str,
    pub label_key: &'static str,
    /// Any one of them opens the section.
    pub pages: &'static [Page],
}

/// My panel board (the device pages open with the configuration too: the server gives live
/// values to both).
pub const PANEL_BOARD: Section = Section {
    path: "/panel",
    name: "panel",
    label_key: "nav.panel_board",
    pages: &[Page::PanelBoard],
};
pub const CONSUMPTION: Section = Section {
    path: "/consumption",
    name: "consumption",
    label_key: "nav.consumption",
    pages: &[Page::Consumption],
};
/// System configuration: gateways, devices, installation, bus diagnostics.
pub const CONFIGURATION: Section = Section {
    path: "/config",
    name: "config",
    label_key: "nav.config",
    pages: &[Page::System],
};
/// Web server configuration: users, and the accounts of outside services.
pub const WEB_SERVER: Section = Section {
    path: "/server",
    name: "server",
    label_key: "nav.server",
    pages: &[Page::WebServer, Page::Users],
};
/// The sections in menu order. Reports, alarms and Green'Up are not built yet and show nothing.
pub const SECTIONS: [Section; 4] = [PANEL_BOARD, CONSUMPTION, CONFIGURATION, WEB_SERVER];

/// The pages that open a device's own page (its live values).
pub const DEVICE_PAGES: &[Page] = &[Page::PanelBoard, Page::System];

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
    let auth = Auth {
        session: RwSignal::new(None),
    };
    provide_context(auth);
    // Whichever call meets a locked session (another tab locked it), the lock screen appears.
    api::when_locked(move || auth.mark_locked());

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
                <Route path=path!("/server") view=ServerPage />
                <Route path=path!("/account") view=AccountPage />
            </Routes>
        </Router>
    }
}
