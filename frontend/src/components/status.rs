use leptos::prelude::*;
use shared::DeviceStatus;

use crate::i18n::use_i18n;
use crate::{status_code, status_key};

/// A device's status: a coloured icon and its name (`data-testid="device-status"`).
#[component]
pub fn StatusBadge(#[prop(into)] status: Signal<DeviceStatus>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <span
            class=move || format!("status status--{}", status_code(status.get()))
            data-testid="device-status"
            data-status=move || status_code(status.get())
        >
            <span class="status__icon" aria-hidden="true"></span>
            <span class="status__text">{move || i18n.t(status_key(status.get()))}</span>
        </span>
    }
}
