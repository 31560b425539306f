//! The settings of one device (§7.16.1.3 and §7.16.1.4): family, model, Modbus address, name,
//! load type, supply; position, metered fluid and pulse weight for pulse counters; the register of
//! the generic Modbus meter; the advanced options. "Test" reads the device with the unsaved values.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::collections::BTreeMap;

use shared::{
    Commodity, DeviceConfig, DeviceIo, GENERIC_MODEL, GatewayLink, GenericRegister, HanProtocol,
    LOAD_TYPES, SiteConfig, SupplyDirection, parse_register, validate_label,
};

use super::widgets::{
    TestOutcome, TestResultView, field_message, form_message, names, parse_number, plain_number,
};
use super::{ConfigContext, Editor, FormError, family_label, model_label};
use crate::api::{self, ModelSummary};
use crate::i18n::use_i18n;

/// Every field the server may name, so its other errors go to the form's own alert.
const FIELDS: &[&str] = &[
    "gateway",
    "model",
    "address",
    "name",
    "load_type",
    "groups",
    "supply",
    "position",
    "commodity",
    "pulse_weight",
    "generic.function",
    "generic.register",
    "generic.words",
    "generic.multiplier",
    "labels",
];

const PULSE_CONCENTRATOR: &str = "pulse_concentrator";

fn invalid(field: &'static str, code: &'static str, message: &'static str) -> FormError {
    FormError {
        field: Some(field.to_owned()),
        code: code.to_owned(),
        message: message.to_owned(),
    }
}

/// The families of the catalog, in the catalog's order.
fn families(catalog: &[ModelSummary]) -> Vec<String> {
    let mut families: Vec<String> = Vec::new();
    for model in catalog {
        if !families.contains(&model.family) {
            families.push(model.family.clone());
        }
    }
    families
}

/// The smart-meter family a HAN/P1 gateway takes, `None` for a Modbus gateway (`gateway` is the
/// selected gateway id as text).
fn smart_family_on(site: Option<&SiteConfig>, gateway: &str) -> Option<&'static str> {
    let link = &site?
        .gateways
        .iter()
        .find(|g| g.id.to_string() == gateway)?
        .link;
    match link {
        GatewayLink::Han { protocol, .. } => Some(match protocol {
            HanProtocol::DlmsHdlc => "han_meter",
            HanProtocol::P1 => "p1_meter",
        }),
        _ => None,
    }
}

/// The families a gateway accepts: its smart-meter family on a HAN/P1 port, every Modbus family
/// elsewhere.
fn families_for(catalog: &[ModelSummary], smart: Option<&str>) -> Vec<String> {
    families(catalog)
        .into_iter()
        .filter(|family| match smart {
            Some(smart) => family == smart,
            None => !matches!(family.as_str(), "han_meter" | "p1_meter"),
        })
        .collect()
}

fn first_model_of(catalog: &[ModelSummary], family: &str) -> String {
    catalog
        .iter()
        .find(|model| model.family == family)
        .map(|model| model.id.clone())
        .unwrap_or_default()
}

/// A `<select>`'s options from `(value, label)` pairs, the one equal to `current` selected.
fn options(
    current: RwSignal<String>,
    choices: impl Fn() -> Vec<(String, String)> + Send + Sync + 'static,
) -> impl IntoView {
    move || {
        choices()
            .into_iter()
            .map(|(value, label)| {
                let selected = value.clone();
                view! {
                    <option value=value prop:selected=move || current.get() == selected>
                        {label}
                    </option>
                }
            })
            .collect_view()
    }
}

/// The device form (`data-testid="device-form"`). `original` is `None` for a new device on
/// `gateway`.
#[component]
pub(super) fn DeviceForm(
    ctx: ConfigContext,
    gateway: u32,
    original: Option<DeviceConfig>,
) -> impl IntoView {
    let i18n = use_i18n();
    let editing = original.is_some();
    let base = original.unwrap_or_else(|| DeviceConfig {
        gateway,
        enabled: true,
        load_type: "others".to_owned(),
        ..DeviceConfig::default()
    });

    let gateway_choice = RwSignal::new(base.gateway.to_string());
    let family = RwSignal::new(String::new());
    let model = RwSignal::new(base.model.clone());
    let address = RwSignal::new(if editing {
        base.address.to_string()
    } else {
        String::new()
    });
    let name = RwSignal::new(base.name.clone());
    // An installation written by hand (or the demo's) may have no load type yet.
    let known_load = LOAD_TYPES.contains(&base.load_type.as_str())
        || ctx.site.with_untracked(|site| {
            site.as_ref()
                .is_some_and(|site| site.loads.iter().any(|load| load.id == base.load_type))
        });
    let groups = RwSignal::new(base.groups.clone());
    let load_type = RwSignal::new(if known_load {
        base.load_type.clone()
    } else {
        "others".to_owned()
    });
    let supply = RwSignal::new(
        match base.supply {
            SupplyDirection::Upstream => "upstream",
            SupplyDirection::Downstream => "downstream",
        }
        .to_owned(),
    );
    let position = RwSignal::new(base.position.unwrap_or(1).to_string());
    let commodity = RwSignal::new(
        match base.commodity {
            Some(Commodity::Gas) => "gas",
            _ => "water",
        }
        .to_owned(),
    );
    let pulse_litres = RwSignal::new(
        base.pulse_weight
            .map(|m3| plain_number(i18n, m3 * 1000.0))
            .unwrap_or_else(|| "1".to_owned()),
    );
    let generic = base.generic.clone();
    let function = RwSignal::new(generic.as_ref().map_or(3, |g| g.function).to_string());
    let register = RwSignal::new(
        generic
            .as_ref()
            .map(|g| g.register.clone())
            .unwrap_or_default(),
    );
    let words = RwSignal::new(generic.as_ref().map_or(2, |g| g.words).to_string());
    let multiplier = RwSignal::new(
        generic
            .as_ref()
            .map(|g| plain_number(i18n, g.multiplier))
            .unwrap_or_else(|| "1".to_owned()),
    );
    let exclude_totals = RwSignal::new(base.exclude_from_totals);
    let exclude_alerts = RwSignal::new(base.exclude_alerts);
    // Custom labels of the inputs and outputs (§7.16.1.4), by key. The keys and default labels
    // come from the saved device's inputs and outputs, so labels are edited on a saved device of
    // its saved model.
    let labels = RwSignal::new(base.labels.clone());
    let saved_model = StoredValue::new(base.model.clone());
    let device_id = base.id;
    let io_points = LocalResource::new(move || async move {
        if editing {
            api::device_io(device_id).await.ok()
        } else {
            None
        }
    });
    let advanced_open = base.exclude_from_totals || base.exclude_alerts || !base.labels.is_empty();
    let error = RwSignal::new(None::<FormError>);
    let pending = RwSignal::new(false);
    let testing = RwSignal::new(false);
    let test = RwSignal::new(None::<TestOutcome>);
    let base = StoredValue::new(base);

    // The family follows the model (editing), or starts at the catalog's first (adding); the
    // catalog may arrive after the form opens.
    Effect::new(move || {
        ctx.catalog.with(|catalog| {
            if catalog.is_empty() || !family.get_untracked().is_empty() {
                return;
            }
            let current = model.get_untracked();
            match catalog.iter().find(|m| m.id == current) {
                Some(summary) => family.set(summary.family.clone()),
                None => {
                    let smart = ctx.site.with_untracked(|site| {
                        smart_family_on(site.as_ref(), &gateway_choice.get_untracked())
                    });
                    let first = families_for(catalog, smart)
                        .into_iter()
                        .next()
                        .unwrap_or_default();
                    model.set(first_model_of(catalog, &first));
                    family.set(first);
                }
            }
        });
    });
    // Smart meters sit alone on a HAN/P1 port of their protocol: no address to give.
    let smart_family = move || {
        ctx.site
            .with(|site| smart_family_on(site.as_ref(), &gateway_choice.get()))
    };
    let on_han = move || smart_family().is_some();

    let summary = Memo::new(move |_| ctx.model(&model.get()));
    let concentrator =
        move || summary.with(|s| s.as_ref().is_some_and(|s| s.family == PULSE_CONCENTRATOR));
    let generic_meter = move || model.get() == GENERIC_MODEL;
    // Water and gas counters get their load type automatically (§7.16.1.3).
    let fluid_counter = move || {
        concentrator()
            || summary.with(|s| {
                s.as_ref()
                    .is_some_and(|s| matches!(s.commodity, Some(Commodity::Water | Commodity::Gas)))
            })
    };
    let channels = move || summary.with(|s| s.as_ref().and_then(|s| s.channels).unwrap_or(1));

    let build = move || -> Result<DeviceConfig, FormError> {
        let mut device = base.get_value();
        device.gateway = gateway_choice
            .get_untracked()
            .parse()
            .map_err(|_| invalid("gateway", "error.gateway_unknown", "Choose a gateway."))?;
        device.model = model.get_untracked();
        let summary = ctx.model(&device.model);
        if summary.is_none() && device.model != GENERIC_MODEL {
            return Err(invalid(
                "model",
                "error.model_unknown",
                "Choose a model from the catalog.",
            ));
        }
        let han_port = ctx.site.with_untracked(|site| {
            smart_family_on(site.as_ref(), &gateway_choice.get_untracked()).is_some()
        });
        device.address = if han_port {
            1
        } else {
            address.get_untracked().trim().parse().map_err(|_| {
                invalid(
                    "address",
                    "error.address_range",
                    "The Modbus address is between 1 and 247.",
                )
            })?
        };
        device.name = name.get_untracked().trim().to_owned();
        let is_concentrator = summary
            .as_ref()
            .is_some_and(|s| s.family == PULSE_CONCENTRATOR);
        if is_concentrator {
            device.position = Some(position.get_untracked().parse().map_err(|_| {
                invalid(
                    "position",
                    "error.position_invalid",
                    "Choose the counter's input position on the concentrator.",
                )
            })?);
            device.commodity = Some(if commodity.get_untracked() == "gas" {
                Commodity::Gas
            } else {
                Commodity::Water
            });
            // Shown in litres per pulse, kept in cubic metres.
            let litres = parse_number(&pulse_litres.get_untracked()).ok_or_else(|| {
                invalid(
                    "pulse_weight",
                    "error.pulse_weight_invalid",
                    "Enter the volume of one pulse.",
                )
            })?;
            device.pulse_weight = Some(litres / 1000.0);
        } else {
            device.position = None;
            device.commodity = None;
            device.pulse_weight = None;
        }
        let fluid = is_concentrator
            || summary
                .as_ref()
                .is_some_and(|s| matches!(s.commodity, Some(Commodity::Water | Commodity::Gas)));
        if !fluid {
            device.load_type = load_type.get_untracked();
        }
        device.supply = if supply.get_untracked() == "downstream" {
            SupplyDirection::Downstream
        } else {
            SupplyDirection::Upstream
        };
        device.generic = if device.model == GENERIC_MODEL {
            let register_text = register.get_untracked().trim().to_owned();
            if parse_register(&register_text).is_none() {
                return Err(invalid(
                    "generic.register",
                    "error.generic_register",
                    "Enter the energy register in hexadecimal.",
                ));
            }
            Some(GenericRegister {
                function: function.get_untracked().parse().map_err(|_| {
                    invalid(
                        "generic.function",
                        "error.generic_function",
                        "The read function is 3 or 4.",
                    )
                })?,
                register: register_text,
                words: words.get_untracked().parse().map_err(|_| {
                    invalid(
                        "generic.words",
                        "error.generic_words",
                        "The value spans 1, 2 or 4 words.",
                    )
                })?,
                multiplier: parse_number(&multiplier.get_untracked()).ok_or_else(|| {
                    invalid(
                        "generic.multiplier",
                        "error.generic_multiplier",
                        "The multiplier is a positive number.",
                    )
                })?,
            })
        } else {
            None
        };
        device.exclude_from_totals = exclude_totals.get_untracked();
        device.exclude_alerts = exclude_alerts.get_untracked();
        // Another model has other inputs and outputs: its labels start afresh.
        device.labels = if saved_model.with_value(|saved| *saved == device.model) {
            labels
                .get_untracked()
                .into_iter()
                .map(|(key, label)| (key, label.trim().to_owned()))
                .filter(|(_, label)| !label.is_empty())
                .collect()
        } else {
            BTreeMap::new()
        };
        for label in device.labels.values() {
            validate_label(label).map_err(FormError::from_field)?;
        }
        device.groups = groups.get_untracked();
        Ok(device)
    };

    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        if pending.get_untracked() {
            return;
        }
        let device = match build() {
            Ok(device) => device,
            Err(invalid) => {
                error.set(Some(invalid));
                return;
            }
        };
        error.set(None);
        pending.set(true);
        spawn_local(async move {
            let outcome = if editing {
                api::update_device(&device).await
            } else {
                api::create_device(&device).await
            };
            pending.set(false);
            match outcome {
                Ok(_) => {
                    ctx.editor.set(Editor::Closed);
                    ctx.reload();
                }
                Err(failure) => ctx.failed(failure, |problem| error.set(Some(problem))),
            }
        });
    };
    let run_test = move |_| {
        if testing.get_untracked() {
            return;
        }
        let device = match build() {
            Ok(device) => device,
            Err(invalid) => {
                error.set(Some(invalid));
                return;
            }
        };
        error.set(None);
        test.set(None);
        testing.set(true);
        spawn_local(async move {
            let outcome = api::test_device(&device).await;
            testing.set(false);
            match outcome {
                Ok(report) => test.set(Some(Ok(report))),
                // A refused field goes under the field; anything else is the test's result.
                Err(failure) if failure.error.field.is_some() => {
                    ctx.failed(failure, |problem| error.set(Some(problem)));
                }
                Err(failure) => ctx.failed(failure, |problem| test.set(Some(Err(problem)))),
            }
        });
    };

    let is_invalid = move |field: &'static str| names(error, field).to_string();
    let form_id = if editing {
        format!("device-{}", base.with_value(|d| d.id))
    } else {
        format!("device-new-{gateway}")
    };
    let form_id = StoredValue::new(form_id);
    let id = move |field: &str| form_id.with_value(|form| format!("{form}-{field}"));

    let gateway_choices = move || {
        ctx.site.with(|site| {
            site.as_ref()
                .map(|site| {
                    site.gateways
                        .iter()
                        .map(|g| (g.id.to_string(), g.name.clone()))
                        .collect()
                })
                .unwrap_or_default()
        })
    };
    let family_choices = move || {
        let smart = smart_family();
        ctx.catalog.with(|catalog| {
            families_for(catalog, smart)
                .into_iter()
                .map(|f| {
                    let label = family_label(i18n, &f);
                    (f, label)
                })
                .collect()
        })
    };
    let model_choices = move || {
        let family = family.get();
        ctx.catalog.with(|catalog| {
            catalog
                .iter()
                .filter(|m| m.family == family)
                .map(|m| (m.id.clone(), model_label(i18n, m)))
                .collect()
        })
    };
    // The installation's loads (§7.16.2.2): switched-off ones are not offered, unless the device
    // has one already.
    let load_choices = move || {
        let current = load_type.get();
        ctx.site.with(|site| {
            let loads = site
                .as_ref()
                .map(|site| site.loads.clone())
                .unwrap_or_else(shared::default_loads);
            loads
                .into_iter()
                .filter(|load| load.enabled || load.id == current)
                .map(|load| {
                    let label = if load.is_predefined() {
                        i18n.t(&format!("load_type.{}", load.id))
                    } else {
                        load.name.clone()
                    };
                    (load.id, label)
                })
                .collect()
        })
    };
    let group_choices = move || {
        ctx.site.with(|site| {
            site.as_ref()
                .map(|site| {
                    site.groups
                        .iter()
                        .filter(|group| {
                            group.enabled || groups.with(|chosen| chosen.contains(&group.id))
                        })
                        .map(|group| (group.id, group.name.clone()))
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
    };
    let supply_choices = move || {
        vec![
            ("upstream".to_owned(), i18n.t("config.supply_upstream")),
            ("downstream".to_owned(), i18n.t("config.supply_downstream")),
        ]
    };
    let position_choices = move || {
        (1..=channels())
            .map(|p| (p.to_string(), p.to_string()))
            .collect()
    };
    let commodity_choices = move || {
        vec![
            ("water".to_owned(), i18n.t("commodity.water")),
            ("gas".to_owned(), i18n.t("commodity.gas")),
        ]
    };
    let function_choices = move || {
        vec![
            ("3".to_owned(), i18n.t("config.generic_function_3")),
            ("4".to_owned(), i18n.t("config.generic_function_4")),
        ]
    };
    let words_choices = move || {
        ["1", "2", "4"]
            .into_iter()
            .map(|w| (w.to_owned(), w.to_owned()))
            .collect()
    };

    let choose_family = move |event: leptos::ev::Event| {
        let chosen = event_target_value(&event);
        let first = ctx.catalog.with(|catalog| first_model_of(catalog, &chosen));
        family.set(chosen);
        model.set(first);
        position.set("1".to_owned());
    };
    let choose_model = move |event: leptos::ev::Event| {
        model.set(event_target_value(&event));
        if position
            .get_untracked()
            .parse::<u8>()
            .is_ok_and(|p| p > channels())
        {
            position.set("1".to_owned());
        }
    };
    let title = if editing {
        "config.device_settings"
    } else {
        "config.device_new"
    };

    view! {
        <form class="card config-form" data-testid="device-form" on:submit=submit novalidate>
            <h3 class="config-form__title">{move || i18n.t(title)}</h3>
            <div class="form-grid">
                <div class="field">
                    <label for=id("family")>{move || i18n.t("config.family")}</label>
                    <select id=id("family") data-testid="device-family" on:change=choose_family>
                        {options(family, family_choices)}
                    </select>
                </div>
                <div class="field">
                    <label for=id("model")>{move || i18n.t("config.model")}</label>
                    <select
                        id=id("model")
                        data-testid="device-model"
                        aria-invalid=move || is_invalid("model")
                        on:change=choose_model
                    >
                        {options(model, model_choices)}
                    </select>
                    {field_message(i18n, error, "model")}
                </div>
                <div class="field">
                    <label for=id("gateway")>{move || i18n.t("config.gateway")}</label>
                    <select
                        id=id("gateway")
                        data-testid="device-gateway"
                        aria-invalid=move || is_invalid("gateway")
                        on:change=move |event| {
                            gateway_choice.set(event_target_value(&event));
                            // A gateway of another kind takes other families.
                            let allowed = ctx
                                .catalog
                                .with_untracked(|catalog| families_for(catalog, smart_family()));
                            if !allowed.contains(&family.get_untracked()) {
                                let first = allowed.into_iter().next().unwrap_or_default();
                                let model_id = ctx
                                    .catalog
                                    .with_untracked(|catalog| first_model_of(catalog, &first));
                                family.set(first);
                                model.set(model_id);
                            }
                        }
                    >
                        {options(gateway_choice, gateway_choices)}
                    </select>
                    {field_message(i18n, error, "gateway")}
                </div>
                <Show
                    when=move || !on_han()
                    fallback=move || {
                        view! {
                            <p class="muted" data-testid="device-han-note">
                                {move || i18n.t("config.han_device_note")}
                            </p>
                        }
                    }
                >
                    <div class="field">
                        <label for=id("address")>{move || i18n.t("config.address")}</label>
                        <input
                            id=id("address")
                            data-testid="device-address"
                            type="text"
                            inputmode="numeric"
                            autocomplete="off"
                            placeholder="1–247"
                            aria-invalid=move || is_invalid("address")
                            bind:value=address
                        />
                        {field_message(i18n, error, "address")}
                    </div>
                </Show>
                <Show when=concentrator>
                    <div class="field">
                        <label for=id("position")>{move || i18n.t("config.position")}</label>
                        <select
                            id=id("position")
                            data-testid="device-position"
                            aria-invalid=move || is_invalid("position")
                            on:change=move |event| position.set(event_target_value(&event))
                        >
                            {options(position, position_choices)}
                        </select>
                        {field_message(i18n, error, "position")}
                    </div>
                </Show>
                <div class="field">
                    <label for=id("name")>{move || i18n.t("config.name")}</label>
                    <input
                        id=id("name")
                        data-testid="device-name-input"
                        type="text"
                        maxlength="64"
                        autocomplete="off"
                        placeholder=move || i18n.t("config.device_name_placeholder")
                        aria-invalid=move || is_invalid("name")
                        bind:value=name
                    />
                    {field_message(i18n, error, "name")}
                </div>
                <Show when=concentrator>
                    <div class="field">
                        <label for=id("commodity")>{move || i18n.t("config.commodity")}</label>
                        <select
                            id=id("commodity")
                            data-testid="device-commodity"
                            aria-invalid=move || is_invalid("commodity")
                            on:change=move |event| commodity.set(event_target_value(&event))
                        >
                            {options(commodity, commodity_choices)}
                        </select>
                        {field_message(i18n, error, "commodity")}
                    </div>
                    <div class="field">
                        <label for=id("pulse")>{move || i18n.t("config.pulse_weight")}</label>
                        <input
                            id=id("pulse")
                            data-testid="device-pulse-weight"
                            type="text"
                            inputmode="decimal"
                            autocomplete="off"
                            aria-invalid=move || is_invalid("pulse_weight")
                            bind:value=pulse_litres
                        />
                        {field_message(i18n, error, "pulse_weight")}
                    </div>
                </Show>
                <Show
                    when=move || !fluid_counter()
                    fallback=move || {
                        view! {
                            <p class="muted field-hint form-grid__wide">
                                {move || i18n.t("config.load_type_auto")}
                            </p>
                        }
                    }
                >
                    <div class="field">
                        <label for=id("load")>{move || i18n.t("config.load_type")}</label>
                        <select
                            id=id("load")
                            data-testid="device-load-type"
                            aria-invalid=move || is_invalid("load_type")
                            on:change=move |event| load_type.set(event_target_value(&event))
                        >
                            {options(load_type, load_choices)}
                        </select>
                        {field_message(i18n, error, "load_type")}
                    </div>
                    <div class="field">
                        <label for=id("supply")>{move || i18n.t("config.supply")}</label>
                        <select
                            id=id("supply")
                            data-testid="device-supply"
                            aria-describedby=id("supply-hint")
                            on:change=move |event| supply.set(event_target_value(&event))
                        >
                            {options(supply, supply_choices)}
                        </select>
                        <p class="field-hint" id=id("supply-hint")>
                            {move || i18n.t("config.supply_hint")}
                        </p>
                        {field_message(i18n, error, "supply")}
                    </div>
                </Show>
            </div>
            <Show when=generic_meter>
                <fieldset class="config-generic">
                    <legend>{move || i18n.t("config.generic_model")}</legend>
                    <p class="field-hint">{move || i18n.t("config.generic_hint")}</p>
                    <div class="form-grid form-grid--four">
                        <div class="field">
                            <label for=id("function")>
                                {move || i18n.t("config.generic_function")}
                            </label>
                            <select
                                id=id("function")
                                data-testid="device-generic-function"
                                aria-invalid=move || is_invalid("generic.function")
                                on:change=move |event| function.set(event_target_value(&event))
                            >
                                {options(function, function_choices)}
                            </select>
                            {field_message(i18n, error, "generic.function")}
                        </div>
                        <div class="field">
                            <label for=id("register")>
                                {move || i18n.t("config.generic_register")}
                            </label>
                            <input
                                id=id("register")
                                data-testid="device-generic-register"
                                type="text"
                                autocomplete="off"
                                autocapitalize="none"
                                spellcheck="false"
                                placeholder="0x0048"
                                aria-invalid=move || is_invalid("generic.register")
                                bind:value=register
                            />
                            {field_message(i18n, error, "generic.register")}
                        </div>
                        <div class="field">
                            <label for=id("words")>{move || i18n.t("config.generic_words")}</label>
                            <select
                                id=id("words")
                                data-testid="device-generic-words"
                                aria-invalid=move || is_invalid("generic.words")
                                on:change=move |event| words.set(event_target_value(&event))
                            >
                                {options(words, words_choices)}
                            </select>
                            {field_message(i18n, error, "generic.words")}
                        </div>
                        <div class="field">
                            <label for=id("multiplier")>
                                {move || i18n.t("config.generic_multiplier")}
                            </label>
                            <input
                                id=id("multiplier")
                                data-testid="device-generic-multiplier"
                                type="text"
                                inputmode="decimal"
                                autocomplete="off"
                                aria-invalid=move || is_invalid("generic.multiplier")
                                bind:value=multiplier
                            />
                            {field_message(i18n, error, "generic.multiplier")}
                        </div>
                    </div>
                </fieldset>
            </Show>
            <Show when=move || !group_choices().is_empty()>
                <fieldset class="field form-grid__wide" data-testid="device-groups">
                    <legend>{move || i18n.t("config.groups")}</legend>
                    <For each=group_choices key=|choice| choice.clone() let:choice>
                        {
                            let (id, group_name) = choice;
                            view! {
                                <label class="check">
                                    <input
                                        type="checkbox"
                                        data-testid=format!("device-group-{id}")
                                        prop:checked=move || groups.with(|chosen| chosen.contains(&id))
                                        on:change=move |event| {
                                            let checked = event_target_checked(&event);
                                            groups.update(|chosen| {
                                                chosen.retain(|other| *other != id);
                                                if checked {
                                                    chosen.push(id);
                                                }
                                            });
                                        }
                                    />
                                    <span class="check__label">{group_name}</span>
                                </label>
                            }
                        }
                    </For>
                    <span class="field-hint">{move || i18n.t("config.groups_hint")}</span>
                    {field_message(i18n, error, "groups")}
                </fieldset>
            </Show>
            <details class="config-advanced" open=advanced_open>
                <summary data-testid="device-advanced">{move || i18n.t("config.advanced")}</summary>
                <label class="check">
                    <input
                        type="checkbox"
                        data-testid="device-exclude-totals"
                        bind:checked=exclude_totals
                    />
                    <span>
                        <span class="check__label">{move || i18n.t("config.exclude_totals")}</span>
                        <span class="field-hint">{move || i18n.t("config.exclude_totals_hint")}</span>
                    </span>
                </label>
                <label class="check">
                    <input
                        type="checkbox"
                        data-testid="device-exclude-alerts"
                        bind:checked=exclude_alerts
                    />
                    <span>
                        <span class="check__label">{move || i18n.t("config.exclude_alerts")}</span>
                        <span class="field-hint">{move || i18n.t("config.exclude_alerts_hint")}</span>
                    </span>
                </label>
                {move || {
                    let points = io_points.with(|points| match points {
                        Some(Some(io)) => label_rows(i18n, io),
                        _ => Vec::new(),
                    });
                    (!points.is_empty())
                        .then(|| {
                            view! {
                                <fieldset class="config-labels" data-testid="device-labels">
                                    <legend>{move || i18n.t("config.labels")}</legend>
                                    <p class="field-hint">{move || i18n.t("config.labels_hint")}</p>
                                    <div class="form-grid">
                                        {points
                                            .into_iter()
                                            .map(|(key, default_label)| {
                                                let input_id = format!("device-label-input-{key}");
                                                let current = key.clone();
                                                let edited = key.clone();
                                                view! {
                                                    <div class="field">
                                                        <label for=input_id.clone()>{default_label.clone()}</label>
                                                        <input
                                                            id=input_id
                                                            data-testid=format!("device-label-{key}")
                                                            type="text"
                                                            maxlength="32"
                                                            autocomplete="off"
                                                            placeholder=default_label
                                                            prop:value=move || {
                                                                labels
                                                                    .with(|l| l.get(&current).cloned().unwrap_or_default())
                                                            }
                                                            on:input=move |event| {
                                                                let text = event_target_value(&event);
                                                                labels
                                                                    .update(|l| {
                                                                        l.insert(edited.clone(), text);
                                                                    });
                                                            }
                                                        />
                                                    </div>
                                                }
                                            })
                                            .collect_view()}
                                    </div>
                                    {field_message(i18n, error, "labels")}
                                </fieldset>
                            }
                        })
                }}
            </details>
            {form_message(i18n, error, FIELDS, "device-form-error")}
            <TestResultView outcome=test test_id="device-test-result" />
            <div class="form-buttons">
                <button
                    class="button button--primary"
                    type="submit"
                    data-testid="device-save"
                    disabled=move || pending.get()
                >
                    {move || i18n.t(if pending.get() { "config.saving" } else { "config.save" })}
                </button>
                <button
                    class="button"
                    type="button"
                    data-testid="device-test-form"
                    disabled=move || testing.get()
                    on:click=run_test
                >
                    {move || {
                        i18n.t(if testing.get() { "config.testing" } else { "config.test_form" })
                    }}
                </button>
                <button
                    class="button button--ghost"
                    type="button"
                    data-testid="device-cancel"
                    on:click=move |_| ctx.editor.set(Editor::Closed)
                >
                    {move || i18n.t("config.cancel")}
                </button>
            </div>
        </form>
    }
}

/// The label keys of a device's inputs and outputs with their default labels, in page order.
fn label_rows(i18n: crate::i18n::I18n, io: &DeviceIo) -> Vec<(String, String)> {
    let inputs = io.inputs.iter().map(|input| {
        (
            input.key.clone(),
            format!("{} {}", i18n.t(input.quantity.label_key()), input.index),
        )
    });
    let outputs = io.outputs.iter().map(|output| {
        let name = output
            .default_label
            .as_deref()
            .map_or_else(|| i18n.t("device.outputs"), |key| i18n.t(key));
        (output.key.clone(), format!("{name} {}", output.index))
    });
    inputs.chain(outputs).collect()
}
