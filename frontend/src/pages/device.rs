use std::time::Duration;

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use shared::{DeviceInfo, DeviceStatus, Quantity};

use super::leave_when_unauthorized;
use crate::components::{EnergyChart, Shell, StatusBadge};
use crate::i18n::{I18n, use_i18n};
use crate::live::use_live;
use crate::{api, quantity_code};

/// How often the hourly chart is fetched again.
const CHART_REFRESH: Duration = Duration::from_secs(60);

/// The value sections of the device page, in display order; a section shows the quantities the
/// device measures and is left out when it measures none of them.
const SECTIONS: &[(&str, &[Quantity])] = &[
    (
        "device.energy",
        &[Quantity::ActiveEnergyImport, Quantity::ActiveEnergyExport],
    ),
    (
        "device.power",
        &[
            Quantity::ActivePower,
            Quantity::ActivePowerL1,
            Quantity::ActivePowerL2,
            Quantity::ActivePowerL3,
        ],
    ),
    (
        "device.voltage_current_frequency",
        &[
            Quantity::VoltageL1,
            Quantity::VoltageL2,
            Quantity::VoltageL3,
            Quantity::CurrentL1,
            Quantity::CurrentL2,
            Quantity::CurrentL3,
            Quantity::Frequency,
            Quantity::PowerFactor,
        ],
    ),
    ("quantity.volume", &[Quantity::Volume]),
];

/// `/devices/:id`: one device's live values and today's consumption per hour.
#[component]
pub fn DevicePage() -> impl IntoView {
    view! {
        <Shell>
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
    let no_values = move || device.with(|d| d.as_ref().is_some_and(|d| d.values.is_empty()));

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
                    <div>
                        <dt>{move || i18n.t("device.address")}</dt>
                        <dd data-testid="device-address">
                            {move || read(&|d| d.modbus_address.to_string())}
                        </dd>
                    </div>
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
            <EnergyChart energy=hourly />
        </Show>
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
                                    <dt>{move || i18n.t(quantity.label_key())}</dt>
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
