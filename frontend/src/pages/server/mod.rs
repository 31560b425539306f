//! `/server`: Web server configuration (§8.1, §8.6): the users (page `users`) and the accounts of
//! outside services (page `web_server`), each section shown only to whom it is open.

mod services;
mod users;

use leptos::prelude::*;
use shared::{Page, Role};

use self::services::ServicesSection;
use self::users::UsersSection;
use super::FormError;
use crate::components::Shell;
use crate::i18n::use_i18n;
use crate::{WEB_SERVER, api, use_auth};

#[component]
pub fn ServerPage() -> impl IntoView {
    view! {
        <Shell requires=WEB_SERVER.pages>
            <Server />
        </Shell>
    }
}

/// What the sections do with a failed call. `Copy`, so closures capture it freely.
#[derive(Clone, Copy)]
struct Failed {
    leave: StoredValue<Box<dyn Fn()>, LocalStorage>,
}

impl Failed {
    /// A closed session goes to the login page; anything else shows in `into`.
    fn show(self, failure: api::Failure, into: RwSignal<Option<FormError>>) {
        if failure.is_unauthorized() {
            self.leave.with_value(|leave| leave());
        } else {
            into.set(Some(FormError::from_api(failure.error)));
        }
    }
}

/// `role.green_up` → `green_up`, as the API spells a role.
fn role_code(role: Role) -> &'static str {
    role.label_key().strip_prefix("role.").unwrap_or_default()
}

fn role_from_code(code: &str) -> Option<Role> {
    Role::ALL.into_iter().find(|role| role_code(*role) == code)
}

#[component]
fn Server() -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let leave = crate::use_session_lost();
    let failed = Failed {
        leave: StoredValue::new_local(Box::new(leave) as Box<dyn Fn()>),
    };
    view! {
        <div class="page-head">
            <h1 class="page-title">{move || i18n.t("server.title")}</h1>
        </div>
        <div class="server-sections">
            <Show when=move || auth.allows(Page::Users)>
                <UsersSection failed=failed />
            </Show>
            <Show when=move || auth.allows(Page::WebServer)>
                <ServicesSection failed=failed />
            </Show>
        </div>
    }
}
