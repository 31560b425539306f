//! `/config`: System configuration → Gateways and devices (§7.16.1). Installers list the gateways
//! (Local first) with the devices behind each one, switch them on and off, test, add, change and
//! delete them.

mod device_form;
mod gateway_form;
mod installation;
mod widgets;

pub use installation::InstallationPage;

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::{
    DeviceConfig, DeviceStatus, GENERIC_MODEL, GatewayConfig, GatewayLink, Page, SiteConfig,
};

use self::device_form::DeviceForm;
use self::gateway_form::GatewayForm;
use self::widgets::{ConfirmDelete, OnOffSwitch, TestOutcome, TestResultView};
use super::FormError;
use crate::api::{self, Failure, ModelSummary};
use crate::components::{Shell, StatusBadge};
use crate::i18n::{I18n, use_i18n};
use crate::live::use_live;

/// Which form is open; one at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Editor {
    Closed,
    NewGateway,
    /// A new smart meter port (HAN/P1).
    NewHanGateway,
    Gateway(u32),
    /// A new device on this gateway.
    NewDevice(u32),
    Device(u32),
}

/// What every part of the page shares. `Copy`, so closures capture it freely.
#[derive(Clone, Copy)]
struct ConfigContext {
    /// The installation as last fetched (`None` until the first answer).
    site: RwSignal<Option<SiteConfig>>,
    /// Why the installation could not be fetched.
    problem: RwSignal<Option<Failure>>,
    catalog: Memo<Vec<ModelSummary>>,
    catalog_problem: Memo<Option<Failure>>,
    editor: RwSignal<Editor>,
    leave: StoredValue<Box<dyn Fn()>, LocalStorage>,
}

impl ConfigContext {
    /// Fetches `/api/config` again (after each change).
    fn reload(self) {
        spawn_local(async move {
            match api::site_config().await {
                Ok(site) => {
                    self.problem.set(None);
                    self.site.set(Some(site));
                }
                Err(failure) => self.failed(failure, |_| ()),
            }
        });
    }

    /// Handles a failed call: a lost session goes to the login page; the rest is shown by `show`
    /// (or, when it is about the page as a whole, at the top).
    fn failed(self, failure: Failure, show: impl FnOnce(FormError)) {
        if failure.is_unauthorized() {
            self.leave.with_value(|leave| leave());
        } else if self.site.with_untracked(Option::is_none) {
            self.problem.set(Some(failure));
        } else {
            show(FormError::from_api(failure.error));
        }
    }

    /// The installation as the validation rules see it (empty until fetched).
    fn site_untracked(self) -> SiteConfig {
        self.site.get_untracked().unwrap_or_default()
    }

    fn model(self, id: &str) -> Option<ModelSummary> {
        self.catalog
            .with(|catalog| catalog.iter().find(|model| model.id == id).cloned())
    }
}

/// The name a model is listed by.
fn model_label(i18n: I18n, model: &ModelSummary) -> String {
    if model.id == GENERIC_MODEL {
        i18n.t("config.generic_model")
    } else {
        format!("{} {}", model.manufacturer, model.model)
    }
}

/// A family's translated name, or its raw name when the catalog has one this build does not know.
fn family_label(i18n: I18n, family: &str) -> String {
    let key = format!("family.{family}");
    let text = i18n.t(&key);
    if text == key { family.to_owned() } else { text }
}

/// "12" or "12-3" (address-position), as the manual writes a device's address.
fn short_address(device: &DeviceConfig) -> String {
    match device.position {
        Some(position) => format!("{}-{position}", device.address),
        None => device.address.to_string(),
    }
}

fn is_local(gateway: &GatewayConfig) -> bool {
    matches!(gateway.link, GatewayLink::Local { .. })
}

/// `local`, `modbus_tcp` or `han`, as the card's `data-kind`.
fn gateway_kind(gateway: &GatewayConfig) -> &'static str {
    match gateway.link {
        GatewayLink::Local { .. } => "local",
        GatewayLink::ModbusTcp { .. } => "modbus_tcp",
        GatewayLink::Han { .. } => "han",
    }
}

/// Translation key of the gateway's kind; a HAN port names its protocol.
fn gateway_kind_key(gateway: &GatewayConfig) -> String {
    match &gateway.link {
        GatewayLink::Han { protocol, .. } => format!("gateway.han_{}", protocol.as_str()),
        _ => format!("gateway.{}", gateway_kind(gateway)),
    }
}

/// Serial device path or `host:port`.
fn gateway_address(gateway: &GatewayConfig) -> String {
    match &gateway.link {
        GatewayLink::Local { serial_port, .. } | GatewayLink::Han { serial_port, .. } => {
            serial_port.clone()
        }
        GatewayLink::ModbusTcp { host, port, .. } => {
            if host.contains(':') {
                format!("[{host}]:{port}")
            } else {
                format!("{host}:{port}")
            }
        }
    }
}

#[component]
pub fn ConfigPage() -> impl IntoView {
    view! {
        <Shell requires=crate::CONFIGURATION.pages>
            <Config />
        </Shell>
    }
}

#[component]
fn Config() -> impl IntoView {
    let i18n = use_i18n();
    let leave = crate::use_session_lost();
    let catalog_resource = LocalResource::new(api::catalog);
    let catalog = Memo::new(move |_| {
        catalog_resource.with(|outcome| match outcome {
            Some(Ok(list)) => list.clone(),
            _ => Vec::new(),
        })
    });
    let catalog_problem = Memo::new(move |_| {
        catalog_resource.with(|outcome| match outcome {
            Some(Err(failure)) => Some(failure.clone()),
            _ => None,
        })
    });
    let ctx = ConfigContext {
        site: RwSignal::new(None),
        problem: RwSignal::new(None),
        catalog,
        catalog_problem,
        editor: RwSignal::new(Editor::Closed),
        leave: StoredValue::new_local(Box::new(leave) as Box<dyn Fn()>),
    };
    ctx.reload();

    // Local first, then the TCP gateways in the order they were added.
    let gateway_ids = Memo::new(move |_| {
        ctx.site.with(|site| {
            let mut gateways: Vec<(bool, u32)> = site
                .as_ref()
                .map(|site| site.gateways.iter().map(|g| (!is_local(g), g.id)).collect())
                .unwrap_or_default();
            gateways.sort_unstable();
            gateways.into_iter().map(|(_, id)| id).collect::<Vec<u32>>()
        })
    });
    let problem = move || {
        ctx.problem.with(|problem| {
            problem
                .as_ref()
                .map(|failure| i18n.error(&failure.error.code, &failure.error.message))
        })
    };
    let loading = move || ctx.site.with(Option::is_none) && ctx.problem.with(Option::is_none);
    // The bus diagnostics open with the system configuration, like this page itself.
    let auth = crate::use_auth();
    let diagnoses = move || auth.allows(Page::System);

    view! {
        <div class="page-head">
            <h1 class="page-title">{move || i18n.t("config.title")}</h1>
            <div class="page-head__actions">
                <Show when=diagnoses>
                    <a class="button" href="/diagnostics" data-testid="nav-diagnostics">
                        {move || i18n.t("nav.diagnostics")}
                    </a>
                </Show>
                <a class="button" href="/config/installation" data-testid="nav-installation">
                    {move || i18n.t("installation.title")}
                </a>
                <Show when=move || ctx.site.with(Option::is_some)>
                    <button
                        class="button button--primary"
                        type="button"
                        data-testid="gateway-add"
                        disabled=move || ctx.editor.get() == Editor::NewGateway
                        on:click=move |_| ctx.editor.set(Editor::NewGateway)
                    >
                        <span aria-hidden="true">"+"</span>
                        {move || i18n.t("config.gateway_add")}
                    </button>
                    <button
                        class="button"
                        type="button"
                        data-testid="han-gateway-add"
                        disabled=move || ctx.editor.get() == Editor::NewHanGateway
                        on:click=move |_| ctx.editor.set(Editor::NewHanGateway)
                    >
                        <span aria-hidden="true">"+"</span>
                        {move || i18n.t("config.han_gateway_add")}
                    </button>
                </Show>
            </div>
        </div>
        <p class="muted config-intro">{move || i18n.t("config.intro")}</p>
        <Show when=loading>
            <p class="loading">{move || i18n.t("common.loading")}</p>
        </Show>
        {move || {
            problem()
                .map(|text| {
                    view! {
                        <p class="alert alert--error" role="alert" data-testid="config-error">
                            {text}
                        </p>
                    }
                })
        }}
        {move || {
            ctx.catalog_problem
                .get()
                .filter(|failure| !failure.is_unauthorized())
                .map(|failure| {
                    view! {
                        <p class="alert alert--error" role="alert">
                            {i18n.error(&failure.error.code, &failure.error.message)}
                        </p>
                    }
                })
        }}
        <Show when=move || ctx.editor.get() == Editor::NewGateway>
            <GatewayForm ctx=ctx original=None />
        </Show>
        <Show when=move || ctx.editor.get() == Editor::NewHanGateway>
            <GatewayForm ctx=ctx original=None han=true />
        </Show>
        <div class="config-gateways">
            <For
                each=move || gateway_ids.get()
                key=|id| *id
                children=move |id| view! { <GatewayCard ctx=ctx id=id /> }
            />
        </div>
    }
}

/// One gateway, its actions and its devices.
#[component]
fn GatewayCard(ctx: ConfigContext, id: u32) -> impl IntoView {
    let i18n = use_i18n();
    let gateway = Memo::new(move |_| {
        ctx.site.with(|site| {
            site.as_ref()
                .and_then(|site| site.gateways.iter().find(|g| g.id == id).cloned())
        })
    });
    let device_ids = Memo::new(move |_| {
        ctx.site.with(|site| {
            let mut devices: Vec<(u8, Option<u8>, u32)> = site
                .as_ref()
                .map(|site| {
                    site.devices
                        .iter()
                        .filter(|d| d.gateway == id)
                        .map(|d| (d.address, d.position, d.id))
                        .collect()
                })
                .unwrap_or_default();
            devices.sort_unstable();
            devices
                .into_iter()
                .map(|(_, _, id)| id)
                .collect::<Vec<u32>>()
        })
    });
    let read = move |f: fn(&GatewayConfig) -> String| {
        gateway.with(|g| g.as_ref().map(f).unwrap_or_default())
    };
    let local = move || gateway.with(|g| g.as_ref().is_some_and(is_local));
    let enabled = Signal::derive(move || gateway.with(|g| g.as_ref().is_some_and(|g| g.enabled)));
    let name = Signal::derive(move || read(|g| g.name.clone()));
    let message = RwSignal::new(None::<FormError>);
    let switching = RwSignal::new(false);
    let test = RwSignal::new(None::<TestOutcome>);
    let testing = RwSignal::new(false);
    let confirming = RwSignal::new(false);
    let deleting = RwSignal::new(false);

    let toggle = Callback::new(move |()| {
        let Some(mut changed) = gateway.get_untracked() else {
            return;
        };
        changed.enabled = !changed.enabled;
        switching.set(true);
        message.set(None);
        spawn_local(async move {
            let outcome = api::update_gateway(&changed).await;
            switching.set(false);
            match outcome {
                Ok(_) => ctx.reload(),
                Err(failure) => ctx.failed(failure, |error| message.set(Some(error))),
            }
        });
    });
    let run_test = move |_| {
        testing.set(true);
        test.set(None);
        spawn_local(async move {
            let outcome = api::test_gateway(id).await;
            testing.set(false);
            match outcome {
                Ok(report) => test.set(Some(Ok(report))),
                Err(failure) => {
                    ctx.failed(failure, |error| test.set(Some(Err(error))));
                }
            }
        });
    };
    // Deleting is refused for the Local gateway and for a gateway with devices: the button stays
    // usable and explains why instead of asking for a confirmation.
    let ask_delete = move |_| {
        message.set(None);
        if local() {
            message.set(Some(info_error("error.gateway_local_permanent")));
        } else if !device_ids.with(Vec::is_empty) {
            message.set(Some(info_error("error.gateway_has_devices")));
        } else {
            confirming.set(true);
        }
    };
    let delete = Callback::new(move |()| {
        deleting.set(true);
        spawn_local(async move {
            let outcome = api::delete_gateway(id).await;
            deleting.set(false);
            confirming.set(false);
            match outcome {
                Ok(()) => {
                    if ctx.editor.get_untracked() == Editor::Gateway(id) {
                        ctx.editor.set(Editor::Closed);
                    }
                    ctx.reload();
                }
                Err(failure) => ctx.failed(failure, |error| message.set(Some(error))),
            }
        });
    });
    let deletable = move || !local() && device_ids.with(Vec::is_empty);
    let editing = move || ctx.editor.get() == Editor::Gateway(id);
    let adding_device = move || ctx.editor.get() == Editor::NewDevice(id);

    view! {
        <section
            class=move || {
                if enabled.get() {
                    "card config-gateway"
                } else {
                    "card config-gateway config-gateway--off"
                }
            }
            data-testid="gateway-card"
            data-gateway-id=id.to_string()
            data-kind=move || gateway.with(|g| g.as_ref().map(gateway_kind).unwrap_or_default())
        >
            <div class="config-gateway__head">
                <div class="config-gateway__title">
                    <h2 data-testid="gateway-card-name">{name}</h2>
                    <p class="config-meta">
                        <span class="config-kind">
                            {move || {
                                i18n.t(&read(gateway_kind_key))
                            }}
                        </span>
                        <span class="config-address" data-testid="gateway-card-address">
                            {move || read(gateway_address)}
                        </span>
                    </p>
                    <Show when=move || !read(|g| g.description.clone()).is_empty()>
                        <p class="config-description" data-testid="gateway-card-description">
                            {move || read(|g| g.description.clone())}
                        </p>
                    </Show>
                </div>
                <div class="config-actions">
                    <OnOffSwitch
                        on=enabled
                        busy=switching
                        test_id="gateway-toggle"
                        label=Signal::derive(move || {
                            i18n.format("config.switch_gateway", &[("name", &name.get())])
                        })
                        on_toggle=toggle
                    />
                    <button
                        class="button button--small"
                        type="button"
                        data-testid="gateway-test"
                        disabled=move || testing.get()
                        on:click=run_test
                    >
                        {move || {
                            i18n.t(if testing.get() { "config.testing" } else { "config.test" })
                        }}
                    </button>
                    <button
                        class="button button--small"
                        type="button"
                        data-testid="gateway-edit"
                        aria-expanded=move || editing().to_string()
                        on:click=move |_| {
                            ctx.editor.set(if editing() { Editor::Closed } else { Editor::Gateway(id) })
                        }
                    >
                        {move || i18n.t("config.edit")}
                    </button>
                    <button
                        class=move || {
                            if deletable() {
                                "button button--small button--danger"
                            } else {
                                "button button--small button--danger button--unavailable"
                            }
                        }
                        type="button"
                        data-testid="gateway-delete"
                        aria-disabled=move || (!deletable()).to_string()
                        title=move || {
                            if local() {
                                i18n.t("error.gateway_local_permanent")
                            } else if !deletable() {
                                i18n.t("error.gateway_has_devices")
                            } else {
                                String::new()
                            }
                        }
                        on:click=ask_delete
                    >
                        {move || i18n.t("config.delete")}
                    </button>
                </div>
            </div>
            <TestResultView outcome=test test_id="gateway-test-result" />
            {move || {
                message
                    .get()
                    .map(|error| {
                        let class = if error.message.is_empty() {
                            "alert alert--info config-message"
                        } else {
                            "alert alert--error config-message"
                        };
                        view! {
                            <p class=class role="alert" data-testid="gateway-message">
                                {i18n.error(&error.code, &error.message)}
                            </p>
                        }
                    })
            }}
            <Show when=move || confirming.get()>
                <ConfirmDelete
                    text=Signal::derive(move || {
                        i18n.format("config.confirm_delete_gateway", &[("name", &name.get())])
                    })
                    test_id="gateway-delete-confirm"
                    busy=deleting
                    on_confirm=delete
                    on_cancel=Callback::new(move |()| confirming.set(false))
                />
            </Show>
            <Show when=move || local() && editing()>
                <p class="muted config-note">{move || i18n.t("config.local_note")}</p>
            </Show>
            <Show when=editing>
                <GatewayForm ctx=ctx original=gateway.get_untracked() />
            </Show>
            <div class="config-devices">
                <h3 class="config-devices__title">
                    {move || i18n.t("config.devices")}
                    <span class="config-count">{move || device_ids.with(Vec::len)}</span>
                </h3>
                <Show when=move || device_ids.with(Vec::is_empty)>
                    <p class="muted config-empty">{move || i18n.t("config.no_devices")}</p>
                </Show>
                <ul class="config-device-list">
                    <For
                        each=move || device_ids.get()
                        key=|id| *id
                        children=move |device| {
                            view! { <DeviceRow ctx=ctx id=device gateway_enabled=enabled /> }
                        }
                    />
                </ul>
                <Show
                    when=adding_device
                    fallback=move || {
                        // A HAN/P1 port reads exactly one meter.
                        let full = move || {
                            gateway.with(|g| g.as_ref().is_some_and(|g| gateway_kind(g) == "han"))
                                && !device_ids.with(Vec::is_empty)
                        };
                        view! {
                            <Show
                                when=move || !full()
                                fallback=move || {
                                    view! {
                                        <p class="muted" data-testid="han-full">
                                            {move || i18n.t("config.han_full")}
                                        </p>
                                    }
                                }
                            >
                                <button
                                    class="button button--small config-add-device"
                                    type="button"
                                    data-testid="device-add"
                                    on:click=move |_| ctx.editor.set(Editor::NewDevice(id))
                                >
                                    <span aria-hidden="true">"+"</span>
                                    {move || i18n.t("config.device_add")}
                                </button>
                            </Show>
                        }
                    }
                >
                    <DeviceForm ctx=ctx gateway=id original=None />
                </Show>
            </div>
        </section>
    }
}

/// A message the page itself gives (no server text): shown as information, not as a failure.
fn info_error(code: &str) -> FormError {
    FormError {
        field: None,
        code: code.to_owned(),
        message: String::new(),
    }
}

/// A device as saved, with the default load type ("others") where an installation file left it
/// empty: the rules ask for one, and switching or testing a device should not fail for it.
fn with_load_type(mut device: DeviceConfig) -> DeviceConfig {
    if device.load_type.trim().is_empty() {
        device.load_type = "others".to_owned();
    }
    device
}

/// One device of a gateway, its actions and, while edited, its form.
#[component]
fn DeviceRow(ctx: ConfigContext, id: u32, gateway_enabled: Signal<bool>) -> impl IntoView {
    let i18n = use_i18n();
    let live = use_live();
    let device = Memo::new(move |_| {
        ctx.site.with(|site| {
            site.as_ref()
                .and_then(|site| site.devices.iter().find(|d| d.id == id).cloned())
        })
    });
    let read = move |f: &dyn Fn(&DeviceConfig) -> String| {
        device.with(|d| d.as_ref().map(f).unwrap_or_default())
    };
    let enabled = Signal::derive(move || device.with(|d| d.as_ref().is_some_and(|d| d.enabled)));
    let name = Signal::derive(move || read(&|d| d.name.clone()));
    let status = Signal::derive(move || {
        if !enabled.get() || !gateway_enabled.get() {
            DeviceStatus::Off
        } else {
            live.device(id).map_or(DeviceStatus::Pending, |d| d.status)
        }
    });
    let model = move || {
        let model_id = read(&|d| d.model.clone());
        match ctx.model(&model_id) {
            Some(model) => model_label(i18n, &model),
            None if ctx.catalog.with(Vec::is_empty) => model_id,
            None => i18n.format("config.unknown_model", &[("model", &model_id)]),
        }
    };
    let address_title = move || {
        device.with(|d| match d.as_ref() {
            Some(DeviceConfig {
                address,
                position: Some(position),
                ..
            }) => i18n.format(
                "config.address_position",
                &[
                    ("address", &address.to_string()),
                    ("position", &position.to_string()),
                ],
            ),
            Some(d) => i18n.format("panel.address", &[("address", &d.address.to_string())]),
            None => String::new(),
        })
    };
    let message = RwSignal::new(None::<FormError>);
    let switching = RwSignal::new(false);
    let test = RwSignal::new(None::<TestOutcome>);
    let testing = RwSignal::new(false);
    let confirming = RwSignal::new(false);
    let deleting = RwSignal::new(false);

    let toggle = Callback::new(move |()| {
        let Some(mut changed) = device.get_untracked().map(with_load_type) else {
            return;
        };
        changed.enabled = !changed.enabled;
        switching.set(true);
        message.set(None);
        spawn_local(async move {
            let outcome = api::update_device(&changed).await;
            switching.set(false);
            match outcome {
                Ok(_) => ctx.reload(),
                Err(failure) => ctx.failed(failure, |error| message.set(Some(error))),
            }
        });
    });
    let run_test = move |_| {
        let Some(saved) = device.get_untracked().map(with_load_type) else {
            return;
        };
        testing.set(true);
        test.set(None);
        spawn_local(async move {
            let outcome = api::test_device(&saved).await;
            testing.set(false);
            match outcome {
                Ok(report) => test.set(Some(Ok(report))),
                Err(failure) => ctx.failed(failure, |error| test.set(Some(Err(error)))),
            }
        });
    };
    let delete = Callback::new(move |()| {
        deleting.set(true);
        spawn_local(async move {
            let outcome = api::delete_device(id).await;
            deleting.set(false);
            confirming.set(false);
            match outcome {
                Ok(()) => {
                    if ctx.editor.get_untracked() == Editor::Device(id) {
                        ctx.editor.set(Editor::Closed);
                    }
                    ctx.reload();
                }
                Err(failure) => ctx.failed(failure, |error| message.set(Some(error))),
            }
        });
    });
    let editing = move || ctx.editor.get() == Editor::Device(id);

    view! {
        <li
            class=move || {
                if enabled.get() { "config-device" } else { "config-device config-device--off" }
            }
            data-testid="config-device-row"
            data-device-id=id.to_string()
        >
            <div class="config-device__main">
                <span class="config-device__address" title=address_title data-testid="config-device-address">
                    {move || {
                        // A meter on a HAN/P1 port has no address: the badge names the port.
                        let gateway_id = device.with(|d| d.as_ref().map(|d| d.gateway));
                        let protocol = ctx.site.with(|site| {
                            site.as_ref()
                                .and_then(|site| site.gateways.iter().find(|g| Some(g.id) == gateway_id))
                                .and_then(|gateway| match &gateway.link {
                                    GatewayLink::Han { protocol, .. } => Some(*protocol),
                                    _ => None,
                                })
                        });
                        match protocol {
                            Some(shared::HanProtocol::DlmsHdlc) => "HAN".to_owned(),
                            Some(shared::HanProtocol::P1) => "P1".to_owned(),
                            None => read(&short_address),
                        }
                    }}
                </span>
                <div class="config-device__title">
                    <span class="config-device__name" data-testid="config-device-name">
                        {name}
                    </span>
                    <span class="config-device__model" data-testid="config-device-model">
                        {model}
                    </span>
                </div>
                <StatusBadge status=status />
            </div>
            <div class="config-actions">
                <OnOffSwitch
                    on=enabled
                    busy=switching
                    test_id="device-toggle"
                    label=Signal::derive(move || {
                        i18n.format("config.switch_device", &[("name", &name.get())])
                    })
                    on_toggle=toggle
                />
                <button
                    class="button button--small"
                    type="button"
                    data-testid="device-test"
                    disabled=move || testing.get()
                    on:click=run_test
                >
                    {move || i18n.t(if testing.get() { "config.testing" } else { "config.test" })}
                </button>
                <button
                    class="button button--small"
                    type="button"
                    data-testid="device-edit"
                    aria-expanded=move || editing().to_string()
                    on:click=move |_| {
                        ctx.editor.set(if editing() { Editor::Closed } else { Editor::Device(id) })
                    }
                >
                    {move || i18n.t("config.edit")}
                </button>
                <button
                    class="button button--small button--danger"
                    type="button"
                    data-testid="device-delete"
                    on:click=move |_| {
                        message.set(None);
                        confirming.set(true);
                    }
                >
                    {move || i18n.t("config.delete")}
                </button>
            </div>
            <Show when=move || !editing()>
                <TestResultView outcome=test test_id="device-test-result" />
            </Show>
            {move || {
                message
                    .get()
                    .map(|error| {
                        view! {
                            <p class="alert alert--error config-message" role="alert">
                                {i18n.error(&error.code, &error.message)}
                            </p>
                        }
                    })
            }}
            <Show when=move || confirming.get()>
                <ConfirmDelete
                    text=Signal::derive(move || {
                        i18n.format("config.confirm_delete_device", &[("name", &name.get())])
                    })
                    test_id="device-delete-confirm"
                    busy=deleting
                    on_confirm=delete
                    on_cancel=Callback::new(move |()| confirming.set(false))
                />
            </Show>
            <Show when=editing>
                {move || {
                    device
                        .get_untracked()
                        .map(|original| {
                            let gateway = original.gateway;
                            view! { <DeviceForm ctx=ctx gateway=gateway original=Some(original) /> }
                        })
                }}
            </Show>
        </li>
    }
}
