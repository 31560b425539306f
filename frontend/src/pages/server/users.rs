//! The users of the box (§8.1.2, §8.1.3): their role or chosen pages, the devices a tenant is
//! limited to, enabling, password reset and erasing. The rules are `shared::validate_user`, run
//! here before sending, and again by the server.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::{
    Page, Role, UserAccount, UserContext, UserForm, validate_user, validate_user_removal,
};

use super::{Failed, role_code, role_from_code};
use crate::i18n::{I18n, use_i18n};
use crate::pages::{FormError, field_error, form_error_text, page_names};
use crate::{DEVICE_PAGES, api, use_auth};

/// The fields of the form; an error naming another one shows above the buttons.
const FIELDS: &[&str] = &["username", "password", "pages", "devices", "role"];

/// Which form is open.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Editing {
    Closed,
    New,
    /// The account of this name (its name is then fixed).
    Existing(String),
}

/// `page.panel_board` → `panel_board`, as the API and the test ids spell a page.
fn page_code(page: Page) -> &'static str {
    page.label_key().strip_prefix("page.").unwrap_or_default()
}

/// The form's fields. `Copy`, so closures capture it freely.
#[derive(Clone, Copy)]
struct Fields {
    username: RwSignal<String>,
    role: RwSignal<Role>,
    /// A custom user's pages.
    pages: RwSignal<Vec<Page>>,
    /// "Limited to these devices" (a tenant).
    limited: RwSignal<bool>,
    devices: RwSignal<Vec<u32>>,
    enabled: RwSignal<bool>,
    password: RwSignal<String>,
    /// On a change: the administrator chose to give the user a new password.
    reset_password: RwSignal<bool>,
}

impl Fields {
    fn new() -> Fields {
        Fields {
            username: RwSignal::new(String::new()),
            role: RwSignal::new(Role::User),
            pages: RwSignal::new(Vec::new()),
            limited: RwSignal::new(false),
            devices: RwSignal::new(Vec::new()),
            enabled: RwSignal::new(true),
            password: RwSignal::new(String::new()),
            reset_password: RwSignal::new(false),
        }
    }

    fn fill(self, account: Option<&UserAccount>) {
        self.username
            .set(account.map(|a| a.username.clone()).unwrap_or_default());
        self.role.set(account.map_or(Role::User, |a| a.role));
        self.pages.set(match account {
            Some(account) if account.role == Role::Custom => account.pages.clone(),
            _ => Vec::new(),
        });
        let devices = account.and_then(|a| a.devices.clone());
        self.limited.set(devices.is_some());
        self.devices.set(devices.unwrap_or_default());
        self.enabled.set(account.is_none_or(|a| a.enabled));
        self.password.set(String::new());
        self.reset_password.set(false);
    }

    /// The form as the API takes it: pages only for a custom user, devices only for a tenant,
    /// a password for a new user or a reset.
    fn form(self, existing: bool) -> UserForm {
        let role = self.role.get_untracked();
        let sends_password = !existing || self.reset_password.get_untracked();
        UserForm {
            username: self.username.get_untracked().trim().to_owned(),
            role,
            pages: if role == Role::Custom {
                self.pages.get_untracked()
            } else {
                Vec::new()
            },
            enabled: self.enabled.get_untracked(),
            devices: (role.may_be_tenant() && self.limited.get_untracked())
                .then(|| self.devices.get_untracked()),
            password: sends_password.then(|| self.password.get_untracked()),
        }
    }
}

/// The users list and its form.
#[component]
pub(super) fn UsersSection(failed: Failed) -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let accounts = RwSignal::new(None::<Vec<UserAccount>>);
    let problem = RwSignal::new(None::<FormError>);
    // The installation's devices, by id and name, for tenants.
    let devices = RwSignal::new(Vec::<(u32, String)>::new());
    let editing = RwSignal::new(Editing::Closed);
    let fields = Fields::new();
    let error = RwSignal::new(None::<FormError>);
    let busy = RwSignal::new(false);
    let confirming = RwSignal::new(None::<String>);
    let row_error = RwSignal::new(None::<FormError>);

    let reload = move || {
        spawn_local(async move {
            match api::users().await {
                Ok(list) => {
                    problem.set(None);
                    accounts.set(Some(list));
                }
                Err(failure) => failed.show(failure, problem),
            }
        });
    };
    reload();
    // Only users who may see live values may list the devices (users managers always can).
    if auth.allows_any(DEVICE_PAGES) {
        spawn_local(async move {
            match api::devices().await {
                Ok(list) => devices.set(
                    list.into_iter()
                        .map(|device| (device.id, device.name))
                        .collect(),
                ),
                Err(failure) => failed.show(failure, problem),
            }
        });
    }

    let me = move || {
        auth.session
            .with(|s| s.as_ref().map(|s| s.username.clone()))
    };
    let editor = move || {
        auth.session
            .with_untracked(|s| s.as_ref().map_or(Role::User, |s| s.role))
    };
    let open = move |target: Editing| {
        let account = match &target {
            Editing::Existing(name) => accounts.with_untracked(|list| {
                list.as_ref()
                    .and_then(|list| list.iter().find(|a| &a.username == name).cloned())
            }),
            _ => None,
        };
        fields.fill(account.as_ref());
        error.set(None);
        editing.set(target);
    };

    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let existing = matches!(editing.get_untracked(), Editing::Existing(_));
        let form = fields.form(existing);
        let list = accounts.get_untracked().unwrap_or_default();
        let ids: Vec<u32> = devices.with_untracked(|d| d.iter().map(|(id, _)| *id).collect());
        let context = UserContext {
            accounts: &list,
            devices: &ids,
            existing,
            editor: editor(),
        };
        if let Err(invalid) = validate_user(&form, context) {
            error.set(Some(FormError::from_field(invalid)));
            return;
        }
        error.set(None);
        busy.set(true);
        spawn_local(async move {
            let outcome = if existing {
                api::update_user(&form).await
            } else {
                api::create_user(&form).await
            };
            busy.set(false);
            match outcome {
                Ok(saved) => {
                    editing.set(Editing::Closed);
                    row_error.set(None);
                    reload();
                    // A change of one's own account changes one's own pages.
                    if me().as_deref() == Some(saved.username.as_str())
                        && let Ok(Some(session)) = api::session().await
                    {
                        auth.session.set(Some(session));
                    }
                }
                Err(failure) => failed.show(failure, error),
            }
        });
    };

    let erase = move |username: String| {
        let list = accounts.get_untracked().unwrap_or_default();
        if let Err(invalid) = validate_user_removal(&username, &list, editor()) {
            confirming.set(None);
            row_error.set(Some(FormError::from_field(invalid)));
            return;
        }
        busy.set(true);
        spawn_local(async move {
            let outcome = api::delete_user(&username).await;
            busy.set(false);
            confirming.set(None);
            match outcome {
                Ok(()) => {
                    row_error.set(None);
                    if editing.get_untracked() == Editing::Existing(username) {
                        editing.set(Editing::Closed);
                    }
                    reload();
                }
                Err(failure) => failed.show(failure, row_error),
            }
        });
    };

    let problem_text =
        move || problem.with(|problem| problem.as_ref().map(|e| i18n.error(&e.code, &e.message)));
    let row_alert =
        move || row_error.with(|problem| problem.as_ref().map(|e| i18n.error(&e.code, &e.message)));
    let device_name = move |id: u32| {
        devices.with(|list| {
            list.iter()
                .find(|(device, _)| *device == id)
                .map_or_else(|| format!("#{id}"), |(_, name)| name.clone())
        })
    };

    view! {
        <section class="card users" data-testid="users-section">
            <div class="section-head">
                <h2 class="card__title">{move || i18n.t("users.title")}</h2>
                <button
                    class="button button--primary"
                    type="button"
                    data-testid="user-add"
                    disabled=move || editing.get() == Editing::New
                    on:click=move |_| open(Editing::New)
                >
                    <span aria-hidden="true">"+"</span>
                    {move || i18n.t("users.add")}
                </button>
            </div>
            <p class="muted">{move || i18n.t("users.help")}</p>
            <Show when=move || problem_text().is_some()>
                <p class="alert alert--error" role="alert" data-testid="users-problem">
                    {problem_text}
                </p>
            </Show>
            <Show when=move || editing.get() == Editing::New>
                <UserFormView
                    fields=fields
                    editing=editing
                    devices=devices
                    error=error
                    busy=busy
                    on_submit=Callback::new(submit)
                />
            </Show>
            <Show when=move || row_alert().is_some()>
                <p class="alert alert--error" role="alert" data-testid="user-row-error">
                    {row_alert}
                </p>
            </Show>
            <Show
                when=move || accounts.with(Option::is_some)
                fallback=move || view! { <p class="loading">{move || i18n.t("common.loading")}</p> }
            >
                <ul class="user-list">
                    <For
                        each=move || accounts.get().unwrap_or_default()
                        key=|account| format!("{account:?}")
                        let:account
                    >
                        {
                            let username = account.username.clone();
                            let for_edit = username.clone();
                            let for_erase = username.clone();
                            let for_confirm = username.clone();
                            let for_form = username.clone();
                            let confirm_name = username.clone();
                            view! {
                                <li
                                    class="user-row"
                                    data-testid="user-row"
                                    data-username=username.clone()
                                    data-role=role_code(account.role)
                                    data-enabled=account.enabled.to_string()
                                >
                                    {account_view(i18n, account.clone(), device_name)}
                                    <div class="user-row__actions">
                                        <button
                                            class="button button--small"
                                            type="button"
                                            data-testid="user-edit"
                                            on:click=move |_| open(Editing::Existing(for_edit.clone()))
                                        >
                                            {move || i18n.t("users.edit")}
                                        </button>
                                        <button
                                            class="button button--small button--danger"
                                            type="button"
                                            data-testid="user-delete"
                                            on:click=move |_| confirming.set(Some(for_erase.clone()))
                                        >
                                            {move || i18n.t("config.delete")}
                                        </button>
                                    </div>
                                    <Show when=move || confirming.get().as_deref() == Some(for_confirm.as_str())>
                                        {
                                            let username = confirm_name.clone();
                                            let text = username.clone();
                                            view! {
                                                <div class="confirm" role="alertdialog">
                                                    <p class="confirm__text">
                                                        {move || i18n.format("users.erase_confirm", &[("name", &text)])}
                                                    </p>
                                                    <div class="confirm__buttons">
                                                        <button
                                                            class="button button--small button--danger-solid"
                                                            type="button"
                                                            data-testid="user-erase"
                                                            disabled=move || busy.get()
                                                            on:click={
                                                                let username = username.clone();
                                                                move |_| erase(username.clone())
                                                            }
                                                        >
                                                            {move || i18n.t("config.erase")}
                                                        </button>
                                                        <button
                                                            class="button button--small button--ghost"
                                                            type="button"
                                                            data-testid="user-erase-cancel"
                                                            on:click=move |_| confirming.set(None)
                                                        >
                                                            {move || i18n.t("config.cancel")}
                                                        </button>
                                                    </div>
                                                </div>
                                            }
                                        }
                                    </Show>
                                    <Show when=move || editing.get() == Editing::Existing(for_form.clone())>
                                        <UserFormView
                                            fields=fields
                                            editing=editing
                                            devices=devices
                                            error=error
                                            busy=busy
                                            on_submit=Callback::new(submit)
                                        />
                                    </Show>
                                </li>
                            }
                        }
                    </For>
                </ul>
            </Show>
        </section>
    }
}

/// What a row says of an account: name, role, state, PIN, pages and, for a tenant, devices.
fn account_view(
    i18n: I18n,
    account: UserAccount,
    device_name: impl Fn(u32) -> String + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let role = account.role;
    let enabled = account.enabled;
    let has_pin = account.has_pin;
    let pages = account.pages;
    let devices = account.devices;
    let tenant = devices.is_some();
    view! {
        <div class="user-row__main">
            <div class="user-row__head">
                <strong class="user-row__name" data-testid="user-name">{account.username}</strong>
                <span class="badge" data-testid="user-role">{move || i18n.t(role.label_key())}</span>
                <span
                    class=if enabled { "badge badge--ok" } else { "badge badge--off" }
                    data-testid="user-state"
                >
                    {move || i18n.t(if enabled { "users.enabled" } else { "users.disabled" })}
                </span>
                <span class="badge" data-testid="user-pin" data-has-pin=has_pin.to_string()>
                    {move || i18n.t(if has_pin { "users.pin_yes" } else { "users.pin_no" })}
                </span>
            </div>
            <p class="user-row__detail" data-testid="user-pages">
                <span class="muted">{move || i18n.t("users.pages")} ": "</span>
                {move || {
                    if pages.is_empty() {
                        "—".to_owned()
                    } else {
                        page_names(i18n, &pages)
                    }
                }}
            </p>
            <Show when=move || tenant>
                <p class="user-row__detail" data-testid="user-devices">
                    <span class="muted">{move || i18n.t("users.devices")} ": "</span>
                    {
                        let devices = devices.clone();
                        move || {
                            devices
                                .iter()
                                .flatten()
                                .map(|id| device_name(*id))
                                .collect::<Vec<_>>()
                                .join(", ")
                        }
                    }
                </p>
            </Show>
        </div>
    }
}

/// The add/change form of one user.
#[component]
fn UserFormView(
    fields: Fields,
    editing: RwSignal<Editing>,
    devices: RwSignal<Vec<(u32, String)>>,
    error: RwSignal<Option<FormError>>,
    busy: RwSignal<bool>,
    on_submit: Callback<SubmitEvent>,
) -> impl IntoView {
    let i18n = use_i18n();
    let existing = move || matches!(editing.get(), Editing::Existing(_));
    let invalid = move |field: &'static str| {
        move || {
            error
                .with(|e| e.as_ref().and_then(|e| e.field.as_deref()) == Some(field))
                .to_string()
        }
    };
    let custom = move || fields.role.get() == Role::Custom;
    let may_be_tenant = move || fields.role.get().may_be_tenant();
    let shows_password = move || !existing() || fields.reset_password.get();
    let alert = form_error_text(i18n, error, FIELDS);
    let toggle = |list: RwSignal<Vec<u32>>, id: u32, checked: bool| {
        list.update(|list| {
            list.retain(|other| *other != id);
            if checked {
                list.push(id);
            }
        });
    };

    view! {
        <form
            class="card config-form user-form"
            data-testid="user-form"
            on:submit=move |event| on_submit.run(event)
            novalidate
        >
            <h3 class="config-form__title">
                {move || {
                    match editing.get() {
                        Editing::Existing(name) => i18n.format("users.edit_title", &[("name", &name)]),
                        _ => i18n.t("users.new_title"),
                    }
                }}
            </h3>
            <div class="form-grid">
                <div class="field">
                    <label for="user-username">{move || i18n.t("users.username")}</label>
                    <input
                        id="user-username"
                        data-testid="user-username"
                        type="text"
                        autocomplete="off"
                        autocapitalize="none"
                        spellcheck="false"
                        maxlength=shared::USERNAME_MAX_CHARS.to_string()
                        disabled=existing
                        aria-invalid=invalid("username")
                        prop:value=move || fields.username.get()
                        on:input=move |event| fields.username.set(event_target_value(&event))
                    />
                    {field_error(i18n, error, "username", "error-user-username")}
                </div>
                <div class="field">
                    <label for="user-role">{move || i18n.t("users.role")}</label>
                    <select
                        id="user-role"
                        data-testid="user-role-select"
                        aria-invalid=invalid("role")
                        on:change=move |event| {
                            if let Some(role) = role_from_code(&event_target_value(&event)) {
                                fields.role.set(role);
                            }
                        }
                    >
                        {Role::ALL
                            .into_iter()
                            .map(|role| {
                                view! {
                                    <option value=role_code(role) selected=move || fields.role.get() == role>
                                        {move || i18n.t(role.label_key())}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                    <p class="field-hint">
                        {move || {
                            let role = fields.role.get();
                            if role == Role::Custom {
                                i18n.t("users.custom_hint")
                            } else {
                                page_names(i18n, role.pages())
                            }
                        }}
                    </p>
                    {field_error(i18n, error, "role", "error-user-role")}
                </div>
                <Show when=shows_password>
                    <div class="field">
                        <label for="user-password">
                            {move || i18n.t(if existing() { "users.new_password" } else { "users.password" })}
                        </label>
                        <input
                            id="user-password"
                            data-testid="user-password"
                            type="password"
                            autocomplete="new-password"
                            aria-invalid=invalid("password")
                            prop:value=move || fields.password.get()
                            on:input=move |event| fields.password.set(event_target_value(&event))
                        />
                        {field_error(i18n, error, "password", "error-user-password")}
                    </div>
                </Show>
                <div class="field">
                    <label class="check">
                        <input
                            type="checkbox"
                            role="switch"
                            data-testid="user-enabled"
                            prop:checked=move || fields.enabled.get()
                            on:change=move |event| fields.enabled.set(event_target_checked(&event))
                        />
                        <span>
                            <span class="check__label">{move || i18n.t("users.enabled_label")}</span>
                            <span class="field-hint">{move || i18n.t("users.enabled_hint")}</span>
                        </span>
                    </label>
                </div>
            </div>
            <Show when=custom>
                <fieldset class="field user-form__choices">
                    <legend class="field__label">{move || i18n.t("users.custom_pages")}</legend>
                    <div class="user-form__pages">
                    {Page::ALL
                        .into_iter()
                        .filter(|page| page.grantable())
                        .map(|page| {
                            view! {
                                <label class="checkbox">
                                    <input
                                        type="checkbox"
                                        data-testid=format!("user-page-{}", page_code(page))
                                        prop:checked=move || fields.pages.with(|pages| pages.contains(&page))
                                        on:change=move |event| {
                                            let checked = event_target_checked(&event);
                                            fields.pages.update(|pages| {
                                                pages.retain(|other| *other != page);
                                                if checked {
                                                    pages.push(page);
                                                }
                                            });
                                        }
                                    />
                                    <span>{move || i18n.t(page.label_key())}</span>
                                </label>
                            }
                        })
                        .collect_view()}
                    </div>
                    {field_error(i18n, error, "pages", "error-user-pages")}
                </fieldset>
            </Show>
            <Show when=may_be_tenant>
                <fieldset class="field user-form__choices">
                    <legend class="visually-hidden">{move || i18n.t("users.limited")}</legend>
                    <label class="check">
                        <input
                            type="checkbox"
                            data-testid="user-limited"
                            prop:checked=move || fields.limited.get()
                            on:change=move |event| fields.limited.set(event_target_checked(&event))
                        />
                        <span>
                            <span class="check__label">{move || i18n.t("users.limited")}</span>
                            <span class="field-hint">{move || i18n.t("users.limited_hint")}</span>
                        </span>
                    </label>
                    <Show when=move || fields.limited.get()>
                        <div class="user-form__devices">
                            <For
                                each=move || devices.get()
                                key=|(id, name)| (*id, name.clone())
                                let:device
                            >
                                {
                                    let (id, name) = device;
                                    view! {
                                        <label class="checkbox">
                                            <input
                                                type="checkbox"
                                                data-testid=format!("user-device-{id}")
                                                prop:checked=move || fields.devices.with(|list| list.contains(&id))
                                                on:change=move |event| {
                                                    toggle(fields.devices, id, event_target_checked(&event))
                                                }
                                            />
                                            <span>{name}</span>
                                        </label>
                                    }
                                }
                            </For>
                        </div>
                    </Show>
                    {field_error(i18n, error, "devices", "error-user-devices")}
                </fieldset>
            </Show>
            <Show when=move || alert().is_some()>
                <p class="alert alert--error" role="alert" data-testid="user-form-error">{alert}</p>
            </Show>
            <div class="form-buttons">
                <button
                    class="button button--primary"
                    type="submit"
                    data-testid="user-save"
                    disabled=move || busy.get()
                >
                    {move || i18n.t(if existing() { "users.save" } else { "users.create" })}
                </button>
                <Show when=move || existing() && !fields.reset_password.get()>
                    <button
                        class="button"
                        type="button"
                        data-testid="user-reset-password"
                        on:click=move |_| fields.reset_password.set(true)
                    >
                        {move || i18n.t("users.reset_password")}
                    </button>
                </Show>
                <button
                    class="button button--ghost"
                    type="button"
                    data-testid="user-cancel"
                    on:click=move |_| {
                        error.set(None);
                        editing.set(Editing::Closed);
                    }
                >
                    {move || i18n.t("config.cancel")}
                </button>
            </div>
        </form>
    }
}
