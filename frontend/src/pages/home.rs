use leptos::prelude::*;
use shared::DeviceStatus;

use super::leave_when_unauthorized;
use crate::api;
use crate::components::Shell;
use crate::i18n::use_i18n;
use crate::live::use_live;
use crate::use_auth;

/// `/`: the welcome page.
#[component]
pub fn HomePage() -> impl IntoView {
    view! {
        <Shell>
            <Home />
        </Shell>
    }
}

#[component]
fn Home() -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let live = use_live();
    let devices = LocalResource::new(api::devices);
    leave_when_unauthorized(devices);

    let name = move || {
        auth.session
            .with(|session| session.as_ref().map(|s| s.username.clone()))
            .unwrap_or_default()
    };
    let summary = move || {
        devices.with(|outcome| match outcome {
            None => i18n.t("common.loading"),
            Some(Err(failure)) => i18n.error(&failure.error.code, &failure.error.message),
            Some(Ok(list)) => {
                let errors = list
                    .iter()
                    .filter(|device| {
                        let status = live.device(device.id).map_or(device.status, |d| d.status);
                        status == DeviceStatus::CommunicationError
                    })
                    .count();
                i18n.format(
                    "home.devices_summary",
                    &[
                        ("count", &list.len().to_string()),
                        ("errors", &errors.to_string()),
                    ],
                )
            }
        })
    };

    view! {
        <h1 class="page-title" data-testid="home-welcome">
            {move || i18n.format("home.welcome", &[("name", &name())])}
        </h1>
        <div class="tiles">
            <a class="card tile" href="/panel" data-testid="home-panel-link">
                <span class="tile__icon" aria-hidden="true">
                    <svg viewBox="0 0 24 24" width="28" height="28">
                        <path
                            d="M4 4h7v7H4zM13 4h7v7h-7zM4 13h7v7H4zM13 13h7v7h-7z"
                            fill="none"
                            stroke="currentColor"
                            stroke-width="1.8"
                        />
                    </svg>
                </span>
                <span class="tile__body">
                    <span class="tile__title">{move || i18n.t("nav.panel_board")}</span>
                    <span class="tile__text">{move || i18n.t("home.panel_board_text")}</span>
                    <span class="tile__summary" data-testid="home-device-summary">
                        {summary}
                    </span>
                </span>
                <span class="tile__arrow" aria-hidden="true">"›"</span>
            </a>
        </div>
    }
}
