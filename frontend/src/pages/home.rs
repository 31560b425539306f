use leptos::prelude::*;
use shared::DeviceStatus;

use super::leave_when_unauthorized;
use crate::components::Shell;
use crate::i18n::use_i18n;
use crate::live::use_live;
use crate::{PANEL_BOARD, SECTIONS, Section, api, use_auth};

/// `/`: the welcome page, with a tile for each section the user's pages open.
#[component]
pub fn HomePage() -> impl IntoView {
    view! {
        <Shell>
            <Home />
        </Shell>
    }
}

/// The outline drawn in a section's tile.
fn icon_path(section: Section) -> &'static str {
    match section.name {
        "panel" => "M4 4h7v7H4zM13 4h7v7h-7zM4 13h7v7H4zM13 13h7v7h-7z",
        "consumption" => "M4 20V10M10 20V4M16 20v-7M22 20H2",
        "config" => {
            "M12 8a4 4 0 1 0 0 8a4 4 0 1 0 0-8zM12 2v3M12 19v3M2 12h3M19 12h3M5 5l2 2M17 17l2 2M5 19l2-2M17 7l2-2"
        }
        _ => "M3 5h18v6H3zM3 13h18v6H3zM7 8h.01M7 16h.01",
    }
}

#[component]
fn Home() -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();

    let name = move || {
        auth.session
            .with(|session| session.as_ref().map(|s| s.username.clone()))
            .unwrap_or_default()
    };
    let nothing = move || {
        !SECTIONS
            .into_iter()
            .any(|section| auth.allows_any(section.pages))
    };

    view! {
        <h1 class="page-title" data-testid="home-welcome">
            {move || i18n.format("home.welcome", &[("name", &name())])}
        </h1>
        <div class="tiles">
            {SECTIONS
                .into_iter()
                .map(|section| {
                    view! {
                        <Show when=move || auth.allows_any(section.pages)>
                            <Tile section=section />
                        </Show>
                    }
                })
                .collect_view()}
        </div>
        <Show when=nothing>
            <p class="empty" data-testid="home-nothing">{move || i18n.t("home.nothing")}</p>
        </Show>
    }
}

/// One section's tile; My panel board's also sums up the devices.
#[component]
fn Tile(section: Section) -> impl IntoView {
    let i18n = use_i18n();
    let text_key = format!("home.{}_text", section.name);
    view! {
        <a class="card tile" href=section.path data-testid=format!("home-{}-link", section.name)>
            <span class="tile__icon" aria-hidden="true">
                <svg viewBox="0 0 24 24" width="28" height="28">
                    <path
                        d=icon_path(section)
                        fill="none"
                        stroke="currentColor"
                        stroke-width="1.8"
                        stroke-linecap="round"
                    />
                </svg>
            </span>
            <span class="tile__body">
                <span class="tile__title">{move || i18n.t(section.label_key)}</span>
                <span class="tile__text">{move || i18n.t(&text_key)}</span>
                {(section == PANEL_BOARD).then(|| view! { <DeviceSummary /> })}
            </span>
            <span class="tile__arrow" aria-hidden="true">"›"</span>
        </a>
    }
}

/// "11 devices, 0 with a communication error": asked only of users who may see live values.
#[component]
fn DeviceSummary() -> impl IntoView {
    let i18n = use_i18n();
    let live = use_live();
    let devices = LocalResource::new(api::devices);
    leave_when_unauthorized(devices);
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
        <span class="tile__summary" data-testid="home-device-summary">
            {summary}
        </span>
    }
}
