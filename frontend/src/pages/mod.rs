//! One module per route.

mod account;
mod config;
mod consumption;
mod device;
mod diagnostics;
mod home;
mod login;
mod not_found;
mod panel;
mod server;
mod setup;

pub use account::AccountPage;
pub use config::{ConfigPage, InstallationPage};
pub use consumption::ConsumptionPage;
pub use device::DevicePage;
pub use diagnostics::DiagnosticsPage;
pub use home::HomePage;
pub use login::LoginPage;
pub use not_found::NotFoundPage;
pub use panel::PanelPage;
pub use server::ServerPage;
pub use setup::SetupPage;

use leptos::prelude::*;

use crate::i18n::I18n;

/// An error to show: where (a field, or the whole form when `None`) and what.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FormError {
    pub field: Option<String>,
    pub code: String,
    pub message: String,
}

impl FormError {
    pub fn from_field(error: shared::FieldError) -> FormError {
        FormError {
            field: Some(error.field.to_owned()),
            code: error.code.to_owned(),
            message: error.message.to_owned(),
        }
    }

    pub fn from_api(error: shared::ApiError) -> FormError {
        FormError {
            field: error.field,
            code: error.code,
            message: error.message,
        }
    }
}

/// The message under one field, present only while the error names that field.
pub(crate) fn field_error(
    i18n: I18n,
    error: RwSignal<Option<FormError>>,
    field: &'static str,
    test_id: &'static str,
) -> impl IntoView {
    let message = move || {
        error.with(|error| {
            error
                .as_ref()
                .filter(|error| error.field.as_deref() == Some(field))
                .map(|error| i18n.error(&error.code, &error.message))
        })
    };
    view! {
        <Show when=move || message().is_some()>
            <p class="field-error" role="alert" id=format!("{test_id}-message") data-testid=test_id>
                {message}
            </p>
        </Show>
    }
}

/// The message of an error that names no field of this form (the form's own alert).
pub(crate) fn form_error_text(
    i18n: I18n,
    error: RwSignal<Option<FormError>>,
    fields: &'static [&'static str],
) -> impl Fn() -> Option<String> + Copy + Send + Sync + 'static {
    move || {
        error.with(|error| {
            error
                .as_ref()
                .filter(|error| {
                    error
                        .field
                        .as_deref()
                        .is_none_or(|field| !fields.contains(&field))
                })
                .map(|error| i18n.error(&error.code, &error.message))
        })
    }
}

/// Sends the user to the login page when `resource` answers 401.
pub(crate) fn leave_when_unauthorized<T: Clone + 'static>(
    resource: LocalResource<crate::api::ApiResult<T>>,
) {
    let leave = crate::use_session_lost();
    Effect::new(move || {
        let unauthorized = resource
            .with(|outcome| matches!(outcome, Some(Err(failure)) if failure.is_unauthorized()));
        if unauthorized {
            leave();
        }
    });
}

/// The names of `pages` in menu order, comma-separated.
pub(crate) fn page_names(i18n: I18n, pages: &[shared::Page]) -> String {
    shared::Page::ALL
        .iter()
        .filter(|page| pages.contains(page))
        .map(|page| i18n.t(page.label_key()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The quantity a device's card shows in large: power for electricity, the counter otherwise.
pub(crate) fn main_quantity(commodity: shared::Commodity) -> shared::Quantity {
    use shared::{Commodity, Quantity};
    match commodity {
        Commodity::Electricity => Quantity::ActivePower,
        Commodity::Water | Commodity::Gas => Quantity::Volume,
        Commodity::Heat => Quantity::ActiveEnergyImport,
    }
}

/// "Address 12" or, behind a pulse concentrator, "Address 12, position 3".
pub(crate) fn address_text(i18n: I18n, device: &shared::DeviceInfo) -> String {
    let address = device.modbus_address.to_string();
    match device.position {
        Some(position) => i18n.format(
            "panel.position",
            &[("address", &address), ("position", &position.to_string())],
        ),
        None => i18n.format("panel.address", &[("address", &address)]),
    }
}

/// A value of `quantity` as the device last read it, or a dash.
pub(crate) fn reading_text(
    i18n: I18n,
    device: &shared::DeviceInfo,
    quantity: shared::Quantity,
) -> String {
    device
        .value(quantity)
        .map(|value| i18n.value(value, quantity.unit()))
        .unwrap_or_else(|| "—".to_owned())
}
