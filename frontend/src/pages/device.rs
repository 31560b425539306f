use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_params_map;
use shared::{
    DeviceInfo, DeviceIo, DeviceStatus, GatewayKind, InputState, OutputAction, OutputCommand,
    OutputState, PULSE_MAX_MS, PULSE_MIN_MS, Page, Quantity,
};

use super::leave_when_unauthorized;
use crate::components::{EnergyChart, Shell, StatusBadge};
use crate::i18n::{I18n, use_i18n};
use crate::live::use_live;
use crate::{api, quantity_code, use_auth};

/// How often the hourly chart is fetched again.
const CHART_REFRESH: Duration = Duration::from_secs(60);
/// The ON time a pulse is offered with.
const DEFAULT_PULSE_MS: u32 = 1000;

/// The value sections of the device page, in display order; a section shows the quantities the
/// device measures and is left out when it measures none of them.
const SECTIONS: &[(&str, &[Quantity])] = &[
    (
        "device.energy",
        &[
            Quantity::ActiveEnergyImport,
            Quantity::ActiveEnergyImportEstimated,
            Quantity::ActiveEnergyExport,
            Quantity::ActiveEnergyExportEstimated,
            Quantity::ReactiveEnergyImport,
            Quantity::ReactiveEnergyImportEstimated,
            Quantity::ReactiveEnergyExport,
            Quantity::ReactiveEnergyExportEstimated,
        ],
    ),
    (
        "device.power",
        &[
            Quantity::ActivePower,
            Quantity::ActivePowerImport,
            Quantity::ActivePowerExport,
            Quantity::ActivePowerL1,
            Quantity::ActivePowerL2,
            Quantity::ActivePowerL3,
            Quantity::ReactivePower,
            Quantity::ReactivePowerL1,
            Quantity::ReactivePowerL2,
            Quantity::ReactivePowerL3,
            Quantity::ApparentPower,
            Quantity::ApparentPowerL1,
            Quantity::ApparentPowerL2,
            Quantity::ApparentPowerL3,
        ],
    ),
    (
        "device.voltage_current_frequency",
        &[
            Quantity::VoltageL1,
            Quantity::VoltageL2,
            Quantity::VoltageL3,
            Quantity::VoltageAverage,
            Quantity::VoltageL1L2,
            Quantity::VoltageL2L3,
            Quantity::VoltageL3L1,
            Quantity::VoltageLineAverage,
            Quantity::CurrentL1,
            Quantity::CurrentL2,
            Quantity::CurrentL3,
            Quantity::CurrentAverage,
            Quantity::CurrentNeutral,
            Quantity::Frequency,
            Quantity::PowerFactor,
            Quantity::PowerFactorL1,
            Quantity::PowerFactorL2,
            Quantity::PowerFactorL3,
        ],
    ),
    (
        "device.energy_per_phase",
        &[
            Quantity::ActiveEnergyImportL1,
            Quantity::ActiveEnergyImportL2,
            Quantity::ActiveEnergyImportL3,
            Quantity::ActiveEnergyExportL1,
            Quantity::ActiveEnergyExportL2,
            Quantity::ActiveEnergyExportL3,
            Quantity::ReactiveEnergyImportL1,
            Quantity::ReactiveEnergyImportL2,
            Quantity::ReactiveEnergyImportL3,
            Quantity::ReactiveEnergyExportL1,
            Quantity::ReactiveEnergyExportL2,
            Quantity::ReactiveEnergyExportL3,
        ],
    ),
    (
        "device.harmonics",
        &[
            Quantity::VoltageThdL1,
            Quantity::VoltageThdL2,
            Quantity::VoltageThdL3,
            Quantity::CurrentThdL1,
            Quantity::CurrentThdL2,
            Quantity::CurrentThdL3,
        ],
    ),
    ("quantity.volume", &[Quantity::Volume]),
];

/// `/devices/:id`: one device's live values and today's consumption per hour.
#[component]
pub fn DevicePage() -> impl IntoView {
    view! {
        <Shell requires=crate::DEVICE_PAGES>
            <DeviceRoute />
        </Shell>
    }
}

#[component]
fn DeviceRoute() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").and_then(|id| id.parse::<u32>().ok())));
    view! {
        <a class="back-link" href="/panel" data-testid="back-to-panel">
            <span class="back-link__arrow" aria-hidden="true">"←"</span>
            {move || i18n.t("device.back")}
        </a>
        {move || match id.get() {
            Some(id) => view! { <DeviceView id=id /> }.into_any(),
            None => {
                view! {
                    <p class="alert alert--error" role="alert">
                        {move || i18n.t("error.not_found")}
                    </p>
                }
                    .into_any()
            }
        }}
    }
}

#[component]
fn DeviceView(id: u32) -> impl IntoView {
    let i18n = use_i18n();
    let live = use_live();
    let loaded = LocalResource::new(move || api::device(id));
    let gateways = LocalResource::new(api::gateways);
    let tick = RwSignal::new(0_u32);
    let energy = LocalResource::new(move || {
        tick.track();
        api::energy_today(id)
    });
    leave_when_unauthorized(loaded);
    leave_when_unauthorized(energy);

    if let Ok(handle) = set_interval_with_handle(
        move || tick.update(|t| *t = t.wrapping_add(1)),
        CHART_REFRESH,
    ) {
        on_cleanup(move || handle.clear());
    }

    let device = Memo::new(move |_| {
        live.device(id).or_else(|| {
            loaded.with(|outcome| match outcome {
                Some(Ok(device)) => Some(device.clone()),
                _ => None,
            })
        })
    });
    let problem = move || {
        loaded.with(|outcome| match outcome {
            Some(Err(failure)) if !failure.is_unauthorized() => {
                Some(i18n.error(&failure.error.code, &failure.error.message))
            }
            _ => None,
        })
    };
    let gateway_name = move || {
        let gateway_id = device.with(|d| d.as_ref().map(|d| d.gateway_id))?;
        gateways.with(|outcome| match outcome {
            Some(Ok(list)) => list
                .iter()
                .find(|gateway| gateway.id == gateway_id)
                .map(|gateway| gateway.name.clone()),
            _ => None,
        })
    };
    // A meter on a HAN/P1 port is alone there and has no address to show.
    let on_han_port = move || {
        let Some(gateway_id) = device.with(|d| d.as_ref().map(|d| d.gateway_id)) else {
            return false;
        };
        gateways.with(|outcome| match outcome {
            Some(Ok(list)) => list
                .iter()
                .any(|gateway| gateway.id == gateway_id && gateway.kind == GatewayKind::Han),
            _ => false,
        })
    };
    let hourly = Signal::derive(move || {
        energy.with(|outcome| match outcome {
            Some(Ok(energy)) => Some(energy.clone()),
            _ => None,
        })
    });
    let read = move |f: &dyn Fn(&DeviceInfo) -> String| {
        device.with(|device| device.as_ref().map(f).unwrap_or_default())
    };
    let status = Signal::derive(move || {
        device.with(|d| d.as_ref().map_or(DeviceStatus::Pending, |d| d.status))
    });
    let last_error = move || device.with(|d| d.as_ref().and_then(|d| d.last_error.clone()));
    // Set once the device turns out to have inputs or outputs (an I/O module): its states are
    // shown instead of meter values and the consumption chart.
    let has_io = RwSignal::new(false);
    let no_values =
        move || !has_io.get() && device.with(|d| d.as_ref().is_some_and(|d| d.values.is_empty()));

    view! {
        {move || problem().map(|text| view! { <p class="alert alert--error" role="alert">{text}</p> })}
        <Show when=move || device.with(|d| d.is_none()) && problem().is_none()>
            <p class="loading">{move || i18n.t("common.loading")}</p>
        </Show>
        <Show when=move || device.with(Option::is_some)>
            <section class="card device-head">
                <div class="device-head__top">
                    <h1 class="page-title" data-testid="device-title">
                        {move || read(&|d| d.name.clone())}
                    </h1>
                    <StatusBadge status=status />
                </div>
                <dl class="facts">
                    <div>
                        <dt>{move || i18n.t("device.model")}</dt>
                        <dd data-testid="device-model">{move || read(&|d| d.model_name.clone())}</dd>
                    </div>
                    <div>
                        <dt>{move || i18n.t("device.gateway")}</dt>
                        <dd data-testid="device-gateway">{gateway_name}</dd>
                    </div>
                    <Show when=move || !on_han_port()>
                        <div>
                            <dt>{move || i18n.t("device.address")}</dt>
                            <dd data-testid="device-address">
                                {move || read(&|d| d.modbus_address.to_string())}
                            </dd>
                        </div>
                    </Show>
                    <Show when=move || device.with(|d| d.as_ref().is_some_and(|d| d.position.is_some()))>
                        <div>
                            <dt>{move || i18n.t("device.position")}</dt>
                            <dd>
                                {move || read(&|d| d.position.map(|p| p.to_string()).unwrap_or_default())}
                            </dd>
                        </div>
                    </Show>
                    <div>
                        <dt>{move || i18n.t("device.commodity")}</dt>
                        <dd>{move || read(&|d| i18n.t(d.commodity.label_key()))}</dd>
                    </div>
                    <div>
                        <dt>{move || i18n.t("device.last_reading")}</dt>
                        <dd data-testid="device-updated">
                            {move || {
                                read(&|d| match d.updated_at {
                                    Some(ms) => i18n.time(ms),
                                    None => i18n.t("device.never_read"),
                                })
                            }}
                        </dd>
                    </div>
                </dl>
                {move || {
                    last_error()
                        .map(|error| {
                            view! {
                                <p class="alert alert--error" data-testid="device-last-error">
                                    {move || i18n.format("device.last_error", &[("error", &error)])}
                                </p>
                            }
                        })
                }}
            </section>
            <Show when=no_values>
                <p class="empty">{move || i18n.t("device.no_values")}</p>
            </Show>
            <div class="sections">
                {SECTIONS
                    .iter()
                    .map(|(title, quantities)| value_section(i18n, device, title, quantities))
                    .collect_view()}
            </div>
            <IoSection id=id device=device has_io=has_io />
            <Show when=move || !has_io.get()>
                <EnergyChart energy=hourly />
            </Show>
        </Show>
    }
}

/// The inputs and outputs of an I/O module, with On / Off / Pulse commands for installers.
#[component]
fn IoSection(id: u32, device: Memo<Option<DeviceInfo>>, has_io: RwSignal<bool>) -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let refresh = RwSignal::new(0_u32);
    let loaded = LocalResource::new(move || {
        refresh.track();
        api::device_io(id)
    });
    leave_when_unauthorized(loaded);
    // The last states received, kept while the next ones load.
    let io = RwSignal::new(None::<DeviceIo>);
    Effect::new(move || {
        loaded.with(|outcome| {
            if let Some(Ok(received)) = outcome {
                has_io.set(!received.inputs.is_empty() || !received.outputs.is_empty());
                io.set(Some(received.clone()));
            }
        });
    });
    // Every live update of the device (a read, a command) brings its states again.
    Effect::new(move |previous: Option<Option<i64>>| {
        let updated = device.with(|d| d.as_ref().and_then(|d| d.updated_at));
        if previous.is_some_and(|previous| previous != updated) {
            refresh.update(|r| *r = r.wrapping_add(1));
        }
        updated
    });
    // Switching outputs belongs to the system configuration (the server's rule too).
    let commands = Signal::derive(move || auth.allows(Page::System));
    let inputs = move || io.with(|io| io.as_ref().map(|io| io.inputs.clone()).unwrap_or_default());
    let outputs =
        move || io.with(|io| io.as_ref().map(|io| io.outputs.clone()).unwrap_or_default());
    let input_state = move |key: String| {
        Signal::derive(move || {
            io.with(|io| {
                io.as_ref()
                    .and_then(|io| io.inputs.iter().find(|input| input.key == key).cloned())
            })
        })
    };
    let output_state = move |key: String| {
        Signal::derive(move || {
            io.with(|io| {
                io.as_ref()
                    .and_then(|io| io.outputs.iter().find(|output| output.key == key).cloned())
            })
        })
    };
    view! {
        <Show when=move || io.with(|io| io.as_ref().is_some_and(|io| !io.inputs.is_empty()))>
            <section class="card io-card" data-testid="io-inputs">
                <h2>{move || i18n.t("device.inputs")}</h2>
                <ul class="io-list">
                    <For
                        each=inputs
                        key=|input| input.key.clone()
                        children=move |input| {
                            let state = input_state(input.key.clone());
                            view! { <InputRow key=input.key state=state /> }
                        }
                    />
                </ul>
            </section>
        </Show>
        <Show when=move || io.with(|io| io.as_ref().is_some_and(|io| !io.outputs.is_empty()))>
            <section class="card io-card" data-testid="io-outputs">
                <h2>{move || i18n.t("device.outputs")}</h2>
                <ul class="io-list">
                    <For
                        each=outputs
                        key=|output| output.key.clone()
                        children=move |output| {
                            let state = output_state(output.key.clone());
                            view! {
                                <OutputRow
                                    id=id
                                    index=output.index
                                    state=state
                                    commands=commands
                                    refresh=refresh
                                />
                            }
                        }
                    />
                </ul>
            </section>
        </Show>
    }
}

/// The label of an input: the installer's, or the quantity's name and number.
fn input_label(i18n: I18n, input: &InputState) -> String {
    input
        .label
        .clone()
        .unwrap_or_else(|| format!("{} {}", i18n.t(input.quantity.label_key()), input.index))
}

/// The label of an output: the installer's, or the catalog's and the number.
fn output_label(i18n: I18n, output: &OutputState) -> String {
    output.label.clone().unwrap_or_else(|| {
        let name = output
            .default_label
            .as_deref()
            .map_or_else(|| i18n.t("device.outputs"), |key| i18n.t(key));
        format!("{name} {}", output.index)
    })
}

#[component]
fn InputRow(key: String, state: Signal<Option<InputState>>) -> impl IntoView {
    let i18n = use_i18n();
    let label =
        move || state.with(|s| s.as_ref().map(|s| input_label(i18n, s)).unwrap_or_default());
    let value = move || {
        state.with(|s| match s {
            Some(InputState {
                quantity: Quantity::DigitalInput,
                value: Some(value),
                ..
            }) => i18n.t(if *value != 0.0 {
                "device.input_closed"
            } else {
                "device.input_open"
            }),
            Some(InputState {
                value: Some(value), ..
            }) => i18n.number(*value, 0),
            _ => i18n.t("device.state_unknown"),
        })
    };
    let closed = move || {
        state.with(|s| {
            s.as_ref().is_some_and(|s| {
                s.quantity == Quantity::DigitalInput && s.value.is_some_and(|v| v != 0.0)
            })
        })
    };
    view! {
        <li class="io-row">
            <span class="io-row__label" data-testid=format!("input-label-{key}")>{label}</span>
            <span
                class="io-state"
                class:io-state--on=closed
                data-testid=format!("input-state-{key}")
            >
                {value}
            </span>
        </li>
    }
}

#[component]
fn OutputRow(
    id: u32,
    index: u8,
    state: Signal<Option<OutputState>>,
    commands: Signal<bool>,
    refresh: RwSignal<u32>,
) -> impl IntoView {
    let i18n = use_i18n();
    let pulse_ms = RwSignal::new(DEFAULT_PULSE_MS);
    let busy = RwSignal::new(false);
    // The answer to the last command: whether it was done, and what the device said.
    let answer = RwSignal::new(None::<(bool, String)>);
    let label = move || {
        state.with(|s| {
            s.as_ref()
                .map(|s| output_label(i18n, s))
                .unwrap_or_default()
        })
    };
    let on = move || state.with(|s| s.as_ref().and_then(|s| s.on));
    let normal = move || {
        state.with(|s| match s.as_ref().and_then(|s| s.normally_closed) {
            Some(true) => i18n.t("device.normally_closed"),
            Some(false) => i18n.t("device.normally_open"),
            None => String::new(),
        })
    };
    let send = move |action: OutputAction| {
        let on_time_ms = (action == OutputAction::Pulse).then(|| pulse_ms.get_untracked());
        if on_time_ms.is_some_and(|ms| !(PULSE_MIN_MS..=PULSE_MAX_MS).contains(&ms)) {
            answer.set(Some((false, i18n.t("error.pulse_time_range"))));
            return;
        }
        busy.set(true);
        answer.set(None);
        spawn_local(async move {
            let outcome =
                api::command_output(id, index, &OutputCommand { action, on_time_ms }).await;
            let _ = busy.try_set(false);
            let shown = match outcome {
                Ok(result) if result.ok => (
                    true,
                    i18n.format("device.command_done", &[("message", &result.message)]),
                ),
                Ok(result) => (
                    false,
                    i18n.format("device.command_failed", &[("message", &result.message)]),
                ),
                Err(failure) => (
                    false,
                    i18n.error(&failure.error.code, &failure.error.message),
                ),
            };
            let _ = answer.try_set(Some(shown));
            let _ = refresh.try_update(|r| *r = r.wrapping_add(1));
        });
    };
    view! {
        <li class="io-row io-row--output" data-testid=format!("output-{index}")>
            <span class="io-row__label" data-testid=format!("output-label-{index}")>{label}</span>
            <span class="io-normal" data-testid=format!("output-normal-{index}")>{normal}</span>
            <span
                class="io-state"
                class:io-state--on=move || on() == Some(true)
                data-testid=format!("output-state-{index}")
            >
                {move || match on() {
                    Some(true) => i18n.t("device.output_on"),
                    Some(false) => i18n.t("device.output_off"),
                    None => i18n.t("device.state_unknown"),
                }}
            </span>
            <Show when=move || commands.get()>
                <div class="io-commands">
                    <button
                        class="button button--primary"
                        data-testid=format!("output-on-{index}")
                        disabled=move || busy.get()
                        on:click=move |_| send(OutputAction::On)
                    >
                        {move || i18n.t("device.command_on")}
                    </button>
                    <button
                        class="button"
                        data-testid=format!("output-off-{index}")
                        disabled=move || busy.get()
                        on:click=move |_| send(OutputAction::Off)
                    >
                        {move || i18n.t("device.command_off")}
                    </button>
                    <label class="io-pulse">
                        <span>{move || i18n.t("device.on_time_ms")}</span>
                        <input
                            type="number"
                            min=PULSE_MIN_MS
                            max=PULSE_MAX_MS
                            step="100"
                            data-testid=format!("output-pulse-ms-{index}")
                            prop:value=move || pulse_ms.get().to_string()
                            on:input=move |event| {
                                pulse_ms.set(event_target_value(&event).trim().parse().unwrap_or(0));
                            }
                        />
                    </label>
                    <button
                        class="button"
                        data-testid=format!("output-pulse-{index}")
                        disabled=move || busy.get()
                        on:click=move |_| send(OutputAction::Pulse)
                    >
                        {move || i18n.t("device.command_pulse")}
                    </button>
                </div>
            </Show>
            <Show when=move || busy.get()>
                <span class="io-answer" role="status">{move || i18n.t("device.command_sending")}</span>
            </Show>
            {move || {
                answer
                    .get()
                    .map(|(ok, text)| {
                        view! {
                            <span
                                class="io-answer"
                                class:io-answer--error=!ok
                                role="status"
                                data-testid=format!("output-answer-{index}")
                            >
                                {text}
                            </span>
                        }
                    })
            }}
        </li>
    }
}

/// One card of live values; only the quantities the device measures are listed.
fn value_section(
    i18n: I18n,
    device: Memo<Option<DeviceInfo>>,
    title: &'static str,
    quantities: &'static [Quantity],
) -> impl IntoView {
    let present = Memo::new(move |_| {
        device.with(|device| {
            quantities
                .iter()
                .copied()
                .filter(|quantity| {
                    device
                        .as_ref()
                        .is_some_and(|d| d.value(*quantity).is_some())
                })
                .collect::<Vec<Quantity>>()
        })
    });
    view! {
        <Show when=move || present.with(|present| !present.is_empty())>
            <section class="card values-card">
                <h2>{move || i18n.t(title)}</h2>
                <dl class="readings">
                    <For
                        each=move || present.get()
                        key=|quantity| *quantity
                        children=move |quantity| {
                            view! {
                                <div class="reading">
                                    <dt>
                                        // An estimate is named as the total it stands in for,
                                        // marked "estimated".
                                        {move || {
                                            i18n.t(quantity.estimate_of().unwrap_or(quantity).label_key())
                                        }}
                                        {quantity
                                            .estimate_of()
                                            .map(|_| {
                                                view! {
                                                    <span
                                                        class="estimated-mark"
                                                        style="margin-left:0.4em;font-style:italic;font-weight:normal"
                                                        data-testid="estimated-mark"
                                                        title=move || i18n.t("device.estimated_hint")
                                                    >
                                                        {move || i18n.t("device.estimated")}
                                                    </span>
                                                }
                                            })}
                                    </dt>
                                    <dd data-testid=format!("value-{}", quantity_code(quantity))>
                                        {move || {
                                            device
                                                .with(|d| {
                                                    d.as_ref()
                                                        .and_then(|d| d.value(quantity))
                                                        .map(|v| i18n.value(v, quantity.unit()))
                                                })
                                                .unwrap_or_default()
                                        }}
                                    </dd>
                                </div>
                            }
                        }
                    />
                </dl>
            </section>
        </Show>
    }
}
