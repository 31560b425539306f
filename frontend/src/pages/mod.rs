//! One module per route.

mod device;
mod home;
mod login;
mod not_found;
mod panel;
mod setup;

pub use device::DevicePage;
pub use home::HomePage;
pub use login::LoginPage;
pub use not_found::NotFoundPage;
pub use panel::PanelPage;
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
