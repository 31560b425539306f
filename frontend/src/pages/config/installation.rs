//! `/config/installation`: load types, measure groups and panel boards (§7.16.2), and the sample
//! rate (§7.16.4). Each list adds, renames, switches on and off and erases; the rules are the
//! server's own (`shared::installation`), run here first as the user types.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::{
    LoadType, MeasureGroup, PanelBoard, Recording, SAMPLE_MINUTES, SiteConfig, validate_group,
    validate_load, validate_panel_board,
};

use super::FormError;
use super::widgets::{ConfirmDelete, OnOffSwitch};
use crate::api::{self, ApiResult};
use crate::components::Shell;
use crate::i18n::{I18n, use_i18n};
use crate::pages::{field_error, form_error_text};

/// The three kinds of records the page lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Load,
    Group,
    Board,
}

impl Kind {
    /// Prefix of the test ids and of the translation keys.
    fn name(self) -> &'static str {
        match self {
            Kind::Load => "load",
            Kind::Group => "group",
            Kind::Board => "board",
        }
    }

    fn has_description(self) -> bool {
        !matches!(self, Kind::Load)
    }
}

/// One row, whatever its kind.
#[derive(Debug, Clone, PartialEq)]
struct Item {
    /// The id as the API's path spells it.
    key: String,
    /// What the row shows: the user's name, or the translated name of a predefined load.
    label: String,
    name: String,
    description: String,
    enabled: bool,
    /// Predefined loads can only be switched on and off.
    fixed: bool,
    gateways: Vec<u32>,
}

fn items(i18n: I18n, site: &SiteConfig, kind: Kind) -> Vec<Item> {
    match kind {
        Kind::Load => site
            .loads
            .iter()
            .map(|load| Item {
                key: load.id.clone(),
                label: if load.is_predefined() {
                    i18n.t(&format!("load_type.{}", load.id))
                } else {
                    load.name.clone()
                },
                name: load.name.clone(),
                description: String::new(),
                enabled: load.enabled,
                fixed: load.is_predefined(),
                gateways: Vec::new(),
            })
            .collect(),
        Kind::Group => site
            .groups
            .iter()
            .map(|group| Item {
                key: group.id.to_string(),
                label: group.name.clone(),
                name: group.name.clone(),
                description: group.description.clone(),
                enabled: group.enabled,
                fixed: false,
                gateways: Vec::new(),
            })
            .collect(),
        Kind::Board => site
            .panel_boards
            .iter()
            .map(|board| Item {
                key: board.id.to_string(),
                label: board.name.clone(),
                name: board.name.clone(),
                description: board.description.clone(),
                enabled: board.enabled,
                fixed: false,
                gateways: board.gateways.clone(),
            })
            .collect(),
    }
}

/// The record `item` stands for, as the API takes it.
enum Record {
    Load(LoadType),
    Group(MeasureGroup),
    Board(PanelBoard),
}

fn record(kind: Kind, item: &Item) -> Record {
    let id = item.key.parse().unwrap_or(0);
    match kind {
        Kind::Load => Record::Load(LoadType {
            id: item.key.clone(),
            name: item.name.clone(),
            enabled: item.enabled,
        }),
        Kind::Group => Record::Group(MeasureGroup {
            id,
            name: item.name.clone(),
            description: item.description.clone(),
            enabled: item.enabled,
        }),
        Kind::Board => Record::Board(PanelBoard {
            id,
            name: item.name.clone(),
            description: item.description.clone(),
            enabled: item.enabled,
            gateways: item.gateways.clone(),
        }),
    }
}

/// The browser's run of the server's rules.
fn check(record: &Record, site: &SiteConfig) -> Result<(), FormError> {
    match record {
        Record::Load(load) => validate_load(load, site),
        Record::Group(group) => validate_group(group, site),
        Record::Board(board) => validate_panel_board(board, site),
    }
    .map_err(FormError::from_field)
}

async fn save(record: Record, create: bool) -> ApiResult<()> {
    match (record, create) {
        (Record::Load(load), true) => api::create_load(&load).await.map(drop),
        (Record::Load(load), false) => api::update_load(&load).await.map(drop),
        (Record::Group(group), true) => api::create_group(&group).await.map(drop),
        (Record::Group(group), false) => api::update_group(&group).await.map(drop),
        (Record::Board(board), true) => api::create_panel_board(&board).await.map(drop),
        (Record::Board(board), false) => api::update_panel_board(&board).await.map(drop),
    }
}

async fn erase(kind: Kind, key: String) -> ApiResult<()> {
    match kind {
        Kind::Load => api::delete_load(&key).await,
        Kind::Group => api::delete_group(&key).await,
        Kind::Board => api::delete_panel_board(&key).await,
    }
}

/// What the sections share.
#[derive(Clone, Copy)]
struct PageContext {
    site: RwSignal<Option<SiteConfig>>,
    problem: RwSignal<Option<FormError>>,
    leave: StoredValue<Box<dyn Fn()>, LocalStorage>,
}

impl PageContext {
    fn reload(self) {
        spawn_local(async move {
            match api::site_config().await {
                Ok(site) => {
                    self.problem.set(None);
                    self.site.set(Some(site));
                }
                Err(failure) if failure.is_unauthorized() => {
                    self.leave.with_value(|leave| leave());
                }
                Err(failure) => self.problem.set(Some(FormError::from_api(failure.error))),
            }
        });
    }

    /// Shows a failed change with `show`, unless the session is gone.
    fn failed(self, failure: api::Failure, show: impl FnOnce(FormError)) {
        if failure.is_unauthorized() {
            self.leave.with_value(|leave| leave());
        } else {
            show(FormError::from_api(failure.error));
        }
    }
}

#[component]
pub fn InstallationPage() -> impl IntoView {
    view! {
        <Shell requires=crate::CONFIGURATION.pages>
            <Installation />
        </Shell>
    }
}

#[component]
fn Installation() -> impl IntoView {
    let i18n = use_i18n();
    let leave = crate::use_session_lost();
    let ctx = PageContext {
        site: RwSignal::new(None),
        problem: RwSignal::new(None),
        leave: StoredValue::new_local(Box::new(leave) as Box<dyn Fn()>),
    };
    ctx.reload();
    let problem = move || {
        ctx.problem
            .with(|problem| problem.as_ref().map(|e| i18n.error(&e.code, &e.message)))
    };

    view! {
        <div class="page-head">
            <h1 class="page-title">{move || i18n.t("installation.title")}</h1>
            <div class="page-head__actions">
                <a class="button" href="/config" data-testid="nav-config-devices">
                    {move || i18n.t("installation.back")}
                </a>
            </div>
        </div>
        <Show when=move || problem().is_some()>
            <p class="banner banner--warning" role="alert" data-testid="installation-problem">
                {problem}
            </p>
        </Show>
        <Show
            when=move || ctx.site.with(Option::is_some)
            fallback=move || view! { <p class="muted">{move || i18n.t("common.loading")}</p> }
        >
            <div class="installation">
                <ItemSection ctx=ctx kind=Kind::Load />
                <ItemSection ctx=ctx kind=Kind::Group />
                <ItemSection ctx=ctx kind=Kind::Board />
                <RecordingSection ctx=ctx />
                <CsvSection ctx=ctx />
            </div>
        </Show>
    }
}

/// One list with its add/rename form.
#[component]
fn ItemSection(ctx: PageContext, kind: Kind) -> impl IntoView {
    let i18n = use_i18n();
    let prefix = kind.name();
    let rows = Memo::new(move |_| {
        ctx.site
            .with(|site| site.as_ref().map(|site| items(i18n, site, kind)))
            .unwrap_or_default()
    });
    // The row being renamed (its key), or None while the form adds.
    let editing = RwSignal::new(None::<String>);
    let name = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let gateways = RwSignal::new(Vec::<u32>::new());
    let error = RwSignal::new(None::<FormError>);
    let busy = RwSignal::new(false);
    let confirming = RwSignal::new(None::<String>);
    let row_error = RwSignal::new(None::<FormError>);

    let reset = move || {
        editing.set(None);
        name.set(String::new());
        description.set(String::new());
        gateways.set(Vec::new());
        error.set(None);
    };

    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let Some(site) = ctx.site.get_untracked() else {
            return;
        };
        let key = editing.get_untracked();
        let existing = key.as_ref().and_then(|key| {
            rows.with_untracked(|rows| rows.iter().find(|row| &row.key == key).cloned())
        });
        let item = Item {
            key: key.clone().unwrap_or_default(),
            label: String::new(),
            name: name.get_untracked().trim().to_owned(),
            description: description.get_untracked().trim().to_owned(),
            enabled: existing.as_ref().is_none_or(|row| row.enabled),
            fixed: false,
            gateways: gateways.get_untracked(),
        };
        let record = record(kind, &item);
        if let Err(problem) = check(&record, &site) {
            error.set(Some(problem));
            return;
        }
        busy.set(true);
        spawn_local(async move {
            let outcome = save(record, key.is_none()).await;
            busy.set(false);
            match outcome {
                Ok(()) => {
                    reset();
                    ctx.reload();
                }
                Err(failure) => ctx.failed(failure, |problem| error.set(Some(problem))),
            }
        });
    };

    let toggle = move |row: Item| {
        let mut changed = row.clone();
        changed.enabled = !row.enabled;
        if changed.fixed {
            changed.name = String::new();
        }
        busy.set(true);
        spawn_local(async move {
            let outcome = save(record(kind, &changed), false).await;
            busy.set(false);
            match outcome {
                Ok(()) => {
                    row_error.set(None);
                    ctx.reload();
                }
                Err(failure) => ctx.failed(failure, |problem| row_error.set(Some(problem))),
            }
        });
    };

    let confirm_erase = move |key: String| {
        busy.set(true);
        spawn_local(async move {
            let outcome = erase(kind, key).await;
            busy.set(false);
            confirming.set(None);
            match outcome {
                Ok(()) => {
                    row_error.set(None);
                    reset();
                    ctx.reload();
                }
                Err(failure) => ctx.failed(failure, |problem| row_error.set(Some(problem))),
            }
        });
    };

    let gateway_names = Memo::new(move |_| {
        ctx.site
            .with(|site| {
                site.as_ref().map(|site| {
                    site.gateways
                        .iter()
                        .map(|gateway| (gateway.id, gateway.name.clone()))
                        .collect::<Vec<_>>()
                })
            })
            .unwrap_or_default()
    });
    let gateway_list = move |ids: &[u32]| {
        gateway_names.with(|names| {
            ids.iter()
                .filter_map(|id| names.iter().find(|(gid, _)| gid == id))
                .map(|(_, name)| name.clone())
                .collect::<Vec<_>>()
                .join(", ")
        })
    };
    let form_alert = form_error_text(i18n, error, &["name", "description", "gateways"]);
    let row_alert =
        move || row_error.with(|problem| problem.as_ref().map(|e| i18n.error(&e.code, &e.message)));

    view! {
        <section class="card installation__section" data-testid=format!("{prefix}-section")>
            <h2 class="card__title">{move || i18n.t(&format!("installation.{prefix}s"))}</h2>
            <p class="muted">{move || i18n.t(&format!("installation.{prefix}s_help"))}</p>
            <Show when=move || row_alert().is_some()>
                <p class="field-error" role="alert" data-testid=format!("{prefix}-row-error")>
                    {row_alert}
                </p>
            </Show>
            <ul class="installation__list">
                <For
                    each=move || rows.get()
                    key=|row| (row.key.clone(), row.name.clone(), row.description.clone(), row.enabled, row.gateways.clone())
                    let:row
                >
                    {
                        let key = row.key.clone();
                        let test_id = format!("{prefix}-{key}");
                        let for_toggle = row.clone();
                        let for_edit = row.clone();
                        let erase_key = key.clone();
                        let confirm_key = key.clone();
                        let shown_key = key.clone();
                        let enabled = row.enabled;
                        let label = row.label.clone();
                        let switch_label = row.label.clone();
                        let details = if kind == Kind::Board {
                            gateway_list(&row.gateways)
                        } else {
                            row.description.clone()
                        };
                        view! {
                            <li
                                class="installation__row"
                                data-testid=test_id.clone()
                                data-enabled=enabled.to_string()
                            >
                                <div class="installation__text">
                                    <strong data-testid=format!("{test_id}-name")>{label.clone()}</strong>
                                    <span class="muted">{details}</span>
                                </div>
                                <div class="installation__actions">
                                    <OnOffSwitch
                                        on=Signal::derive(move || enabled)
                                        busy=busy
                                        test_id="item-switch"
                                        label=Signal::derive(move || switch_label.clone())
                                        on_toggle=Callback::new(move |()| toggle(for_toggle.clone()))
                                    />
                                    <Show when=move || !for_edit.fixed>
                                        {
                                            let row = for_edit.clone();
                                            view! {
                                                <button
                                                    class="button button--small"
                                                    type="button"
                                                    data-testid="item-edit"
                                                    on:click=move |_| {
                                                        editing.set(Some(row.key.clone()));
                                                        name.set(row.name.clone());
                                                        description.set(row.description.clone());
                                                        gateways.set(row.gateways.clone());
                                                        error.set(None);
                                                    }
                                                >
                                                    {move || i18n.t("installation.edit")}
                                                </button>
                                                <button
                                                    class="button button--small button--danger"
                                                    type="button"
                                                    data-testid="item-delete"
                                                    on:click={
                                                        let key = erase_key.clone();
                                                        move |_| confirming.set(Some(key.clone()))
                                                    }
                                                >
                                                    {move || i18n.t("config.delete")}
                                                </button>
                                            }
                                        }
                                    </Show>
                                </div>
                                <Show when=move || confirming.get().as_deref() == Some(shown_key.as_str())>
                                    {
                                        let key = confirm_key.clone();
                                        let label = label.clone();
                                        view! {
                                            <ConfirmDelete
                                                text=Signal::derive(move || {
                                                    i18n.format("installation.erase_confirm", &[("name", &label)])
                                                })
                                                test_id="item-erase"
                                                busy=busy
                                                on_confirm=Callback::new(move |()| confirm_erase(key.clone()))
                                                on_cancel=Callback::new(move |()| confirming.set(None))
                                            />
                                        }
                                    }
                                </Show>
                            </li>
                        }
                    }
                </For>
            </ul>
            <form class="installation__form" on:submit=submit data-testid=format!("{prefix}-form") novalidate>
                <label class="field">
                    <span class="field__label">{move || i18n.t("installation.name")}</span>
                    <input
                        type="text"
                        data-testid=format!("{prefix}-name")
                        maxlength="64"
                        prop:value=move || name.get()
                        on:input=move |event| name.set(event_target_value(&event))
                        aria-invalid=move || error.with(|e| e.as_ref().and_then(|e| e.field.as_deref()) == Some("name")).to_string()
                    />
                    {field_error(i18n, error, "name", if kind == Kind::Load { "load-name-error" } else if kind == Kind::Group { "group-name-error" } else { "board-name-error" })}
                </label>
                <Show when=move || kind.has_description()>
                    <label class="field">
                        <span class="field__label">{move || i18n.t("installation.description")}</span>
                        <input
                            type="text"
                            data-testid=format!("{prefix}-description")
                            maxlength="200"
                            prop:value=move || description.get()
                            on:input=move |event| description.set(event_target_value(&event))
                        />
                        {field_error(i18n, error, "description", if kind == Kind::Group { "group-description-error" } else { "board-description-error" })}
                    </label>
                </Show>
                <Show when=move || kind == Kind::Board>
                    <fieldset class="field installation__gateways">
                        <legend class="field__label">{move || i18n.t("installation.board_gateways")}</legend>
                        <For
                            each=move || gateway_names.get()
                            key=|(id, name)| (*id, name.clone())
                            let:gateway
                        >
                            {
                                let (id, gateway_name) = gateway;
                                view! {
                                    <label class="checkbox">
                                        <input
                                            type="checkbox"
                                            data-testid=format!("board-gateway-{id}")
                                            prop:checked=move || gateways.with(|list| list.contains(&id))
                                            on:change=move |event| {
                                                let checked = event_target_checked(&event);
                                                gateways.update(|list| {
                                                    list.retain(|other| *other != id);
                                                    if checked {
                                                        list.push(id);
                                                    }
                                                });
                                            }
                                        />
                                        <span>{gateway_name}</span>
                                    </label>
                                }
                            }
                        </For>
                        {field_error(i18n, error, "gateways", "board-gateways-error")}
                    </fieldset>
                </Show>
                <Show when=move || form_alert().is_some()>
                    <p class="field-error" role="alert" data-testid=format!("{prefix}-form-error")>
                        {form_alert}
                    </p>
                </Show>
                <div class="installation__buttons">
                    <button
                        class="button button--primary"
                        type="submit"
                        data-testid=format!("{prefix}-save")
                        disabled=move || busy.get()
                    >
                        {move || {
                            i18n.t(if editing.with(Option::is_some) { "installation.save" } else { "installation.add" })
                        }}
                    </button>
                    <Show when=move || editing.with(Option::is_some)>
                        <button
                            class="button button--ghost"
                            type="button"
                            data-testid=format!("{prefix}-cancel")
                            on:click=move |_| reset()
                        >
                            {move || i18n.t("config.cancel")}
                        </button>
                    </Show>
                </div>
            </form>
        </section>
    }
}

/// The sample rate (§7.16.4).
#[component]
fn RecordingSection(ctx: PageContext) -> impl IntoView {
    let i18n = use_i18n();
    let chosen = RwSignal::new(
        ctx.site
            .with_untracked(|site| site.as_ref().map(|site| site.recording.sample_minutes))
            .unwrap_or(shared::DEFAULT_SAMPLE_MINUTES),
    );
    let saved = RwSignal::new(false);
    let error = RwSignal::new(None::<FormError>);
    let busy = RwSignal::new(false);
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let recording = Recording {
            sample_minutes: chosen.get_untracked(),
        };
        if let Err(problem) = shared::validate_recording(&recording) {
            error.set(Some(FormError::from_field(problem)));
            return;
        }
        busy.set(true);
        saved.set(false);
        spawn_local(async move {
            let outcome = api::update_recording(&recording).await;
            busy.set(false);
            match outcome {
                Ok(_) => {
                    error.set(None);
                    saved.set(true);
                    ctx.reload();
                }
                Err(failure) => ctx.failed(failure, |problem| error.set(Some(problem))),
            }
        });
    };
    view! {
        <section class="card installation__section" data-testid="recording-section">
            <h2 class="card__title">{move || i18n.t("installation.recording")}</h2>
            <p class="muted">{move || i18n.t("installation.recording_help")}</p>
            <form class="installation__form" on:submit=submit novalidate>
                <label class="field">
                    <span class="field__label">{move || i18n.t("installation.sample_rate")}</span>
                    <select
                        data-testid="sample-minutes"
                        on:change=move |event| {
                            chosen.set(event_target_value(&event).parse().unwrap_or(0));
                            saved.set(false);
                        }
                    >
                        {SAMPLE_MINUTES
                            .iter()
                            .map(|minutes| {
                                let minutes = *minutes;
                                view! {
                                    <option
                                        value=minutes.to_string()
                                        selected=move || chosen.get() == minutes
                                    >
                                        {move || i18n.format("installation.minutes", &[("minutes", &minutes.to_string())])}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                    {field_error(i18n, error, "sample_minutes", "sample-minutes-error")}
                </label>
                <div class="installation__buttons">
                    <button class="button button--primary" type="submit" data-testid="recording-save" disabled=move || busy.get()>
                        {move || i18n.t("installation.save")}
                    </button>
                    <Show when=move || saved.get()>
                        <span class="muted" role="status" data-testid="recording-saved">
                            {move || i18n.t("installation.saved")}
                        </span>
                    </Show>
                </div>
            </form>
        </section>
    }
}

/// The CSV separators (§8.4.1): a field separator and a decimal separator, which must differ.
#[component]
fn CsvSection(ctx: PageContext) -> impl IntoView {
    let i18n = use_i18n();
    let initial = ctx
        .site
        .with_untracked(|site| site.as_ref().map(|site| site.csv))
        .unwrap_or_default();
    let field = RwSignal::new(initial.field_separator);
    let decimal = RwSignal::new(initial.decimal_separator);
    let saved = RwSignal::new(false);
    let error = RwSignal::new(None::<FormError>);
    let busy = RwSignal::new(false);
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let settings = shared::CsvSettings {
            field_separator: field.get_untracked(),
            decimal_separator: decimal.get_untracked(),
        };
        // The same rule as the server's: refused here at once, with its field.
        if let Err(problem) = shared::validate_csv_settings(&settings) {
            error.set(Some(FormError::from_field(problem)));
            return;
        }
        busy.set(true);
        saved.set(false);
        spawn_local(async move {
            let outcome = api::update_csv(&settings).await;
            busy.set(false);
            match outcome {
                Ok(_) => {
                    error.set(None);
                    saved.set(true);
                    ctx.reload();
                }
                Err(failure) => ctx.failed(failure, |problem| error.set(Some(problem))),
            }
        });
    };
    let option_key = |separator: char| match separator {
        ';' => "csv.semicolon",
        ',' => "csv.comma",
        '.' => "csv.point",
        _ => "csv.tab",
    };
    let select = move |signal: RwSignal<char>, choices: &'static [char], test_id: &'static str| {
        view! {
            <select
                data-testid=test_id
                on:change=move |event| {
                    if let Some(separator) = event_target_value(&event).chars().next() {
                        signal.set(separator);
                    }
                    saved.set(false);
                    error.set(None);
                }
            >
                {choices
                    .iter()
                    .map(|separator| {
                        let separator = *separator;
                        view! {
                            <option value=separator.to_string() selected=move || signal.get() == separator>
                                {move || i18n.t(option_key(separator))}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
        }
    };
    view! {
        <section class="card installation__section" data-testid="csv-section">
            <h2 class="card__title">{move || i18n.t("csv.title")}</h2>
            <p class="muted">{move || i18n.t("csv.help")}</p>
            <form class="installation__form" on:submit=submit novalidate>
                <label class="field">
                    <span class="field__label">{move || i18n.t("csv.field_separator")}</span>
                    {select(field, &shared::CSV_FIELD_SEPARATORS, "csv-field-separator")}
                    {field_error(i18n, error, "field_separator", "csv-field-separator-error")}
                </label>
                <label class="field">
                    <span class="field__label">{move || i18n.t("csv.decimal_separator")}</span>
                    {select(decimal, &shared::CSV_DECIMAL_SEPARATORS, "csv-decimal-separator")}
                    {field_error(i18n, error, "decimal_separator", "csv-decimal-separator-error")}
                </label>
                <div class="installation__buttons">
                    <button class="button button--primary" type="submit" data-testid="csv-save" disabled=move || busy.get()>
                        {move || i18n.t("csv.save")}
                    </button>
                    <Show when=move || saved.get()>
                        <span class="muted" role="status" data-testid="csv-saved">
                            {move || i18n.t("csv.saved")}
                        </span>
                    </Show>
                </div>
            </form>
        </section>
    }
}
