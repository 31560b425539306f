use leptos::prelude::*;
use shared::{Commodity, DeviceInfo, DeviceStatus, GatewayKind, Quantity};

use super::{address_text, leave_when_unauthorized, main_quantity, reading_text};
use crate::api;
use crate::components::{Shell, StatusBadge};
use crate::i18n::use_i18n;
use crate::live::use_live;

/// `/panel`: "My panel board", every device (or one gateway's) with its status and live values.
#[component]
pub fn PanelPage() -> impl IntoView {
    view! {
        <Shell requires=crate::PANEL_BOARD.pages>
            <Panel />
        </Shell>
    }
}

#[component]
fn Panel() -> impl IntoView {
    let i18n = use_i18n();
    let gateways = LocalResource::new(api::gateways);
    let devices = LocalResource::new(api::devices);
    leave_when_unauthorized(gateways);
    leave_when_unauthorized(devices);

    let selected = RwSignal::new("all".to_owned());
    let listed = Memo::new(move |_| {
        devices.with(|outcome| match outcome {
            Some(Ok(list)) => list.clone(),
            _ => Vec::new(),
        })
    });
    let shown = Memo::new(move |_| {
        let gateway = selected.get();
        listed.with(|list| {
            list.iter()
                .filter(|device| gateway == "all" || device.gateway_id.to_string() == gateway)
                .map(|device| device.id)
                .collect::<Vec<u32>>()
        })
    });
    let gateway_options = move || {
        gateways.with(|outcome| match outcome {
            Some(Ok(list)) => list.clone(),
            _ => Vec::new(),
        })
    };
    let problem = move || {
        devices.with(|outcome| match outcome {
            Some(Err(failure)) if !failure.is_unauthorized() => {
                Some(i18n.error(&failure.error.code, &failure.error.message))
            }
            _ => None,
        })
    };
    // A meter on a HAN/P1 port has no address: its card names the port kind instead.
    let han_gateways = Memo::new(move |_| {
        gateways.with(|outcome| match outcome {
            Some(Ok(list)) => list
                .iter()
                .filter(|gateway| gateway.kind == GatewayKind::Han)
                .map(|gateway| gateway.id)
                .collect(),
            _ => Vec::new(),
        })
    });
    let loading = move || devices.with(Option::is_none);
    let empty = move || !loading() && problem().is_none() && shown.with(Vec::is_empty);

    view! {
        <div class="page-head">
            <h1 class="page-title">{move || i18n.t("panel.title")}</h1>
            <label class="inline-field">
                <span>{move || i18n.t("panel.show")}</span>
                <select
                    data-testid="gateway-select"
                    on:change=move |event| selected.set(event_target_value(&event))
                >
                    <option value="all" selected=move || selected.get() == "all">
                        {move || i18n.t("panel.all_devices")}
                    </option>
                    <For
                        each=gateway_options
                        key=|gateway| (gateway.id, gateway.name.clone())
                        children=move |gateway| {
                            let value = gateway.id.to_string();
                            let current = value.clone();
                            view! {
                                <option value=value selected=move || selected.get() == current>
                                    {gateway.name}
                                </option>
                            }
                        }
                    />
                </select>
            </label>
        </div>
        <Show when=loading>
            <p class="loading">{move || i18n.t("common.loading")}</p>
        </Show>
        {move || problem().map(|text| view! { <p class="alert alert--error" role="alert">{text}</p> })}
        <Show when=empty>
            <p class="empty">{move || i18n.t("panel.empty")}</p>
        </Show>
        <div class="device-grid">
            <For
                each=move || shown.get()
                key=|id| *id
                children=move |id| {
                    view! { <DeviceCard id=id listed=listed han_gateways=han_gateways /> }
                }
            />
        </div>
    }
}

/// One device of the board; its values follow the live feed.
#[component]
fn DeviceCard(
    id: u32,
    listed: Memo<Vec<DeviceInfo>>,
    han_gateways: Memo<Vec<u32>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let live = use_live();
    let device = Memo::new(move |_| {
        live.device(id)
            .or_else(|| listed.with(|list| list.iter().find(|d| d.id == id).cloned()))
    });
    let read = move |f: &dyn Fn(&DeviceInfo) -> String| {
        device.with(|device| device.as_ref().map(f).unwrap_or_default())
    };
    let status = Signal::derive(move || {
        device.with(|d| d.as_ref().map_or(DeviceStatus::Pending, |d| d.status))
    });
    let commodity =
        move || device.with(|d| d.as_ref().map_or(Commodity::Electricity, |d| d.commodity));
    let main = move || main_quantity(commodity());

    view! {
        <a
            class=move || format!("card device-card device-card--{}", crate::status_code(status.get()))
            href=format!("/devices/{id}")
            data-testid="device-card"
            data-device-id=id.to_string()
        >
            <div class="device-card__head">
                <span
                    class=move || format!("commodity-icon commodity-icon--{}", commodity_class(commodity()))
                    aria-hidden="true"
                ></span>
                <div class="device-card__title">
                    <h2 data-testid="device-name">{move || read(&|d| d.name.clone())}</h2>
                    <p class="device-card__meta">
                        {move || {
                            read(&|d| {
                                if han_gateways.with(|ids| ids.contains(&d.gateway_id)) {
                                    i18n.t("gateway.han")
                                } else {
                                    address_text(i18n, d)
                                }
                            })
                        }}
                    </p>
                </div>
                <StatusBadge status=status />
            </div>
            <p class="device-card__model">
                <span>{move || read(&|d| d.model_name.clone())}</span>
                <span class="dot" aria-hidden="true">"·"</span>
                <span>{move || i18n.t(commodity().label_key())}</span>
            </p>
            <div class="device-card__values">
                <div class="metric metric--main">
                    <span class="metric__label">{move || i18n.t(main().label_key())}</span>
                    <span class="metric__value" data-testid="device-main-value">
                        {move || read(&|d| reading_text(i18n, d, main()))}
                    </span>
                </div>
                <Show when=move || commodity() == Commodity::Electricity>
                    <div class="metric">
                        <span class="metric__label">
                            {move || i18n.t(Quantity::ActiveEnergyImport.label_key())}
                        </span>
                        <span class="metric__value" data-testid="device-energy-value">
                            {move || read(&|d| reading_text(i18n, d, Quantity::ActiveEnergyImport))}
                        </span>
                    </div>
                </Show>
                // A smart meter sends its totals hourly: between them the estimate moves.
                <Show when=move || {
                    device
                        .with(|d| {
                            d.as_ref()
                                .is_some_and(|d| d.value(Quantity::ActiveEnergyImportEstimated).is_some())
                        })
                }>
                    <div class="metric" title=move || i18n.t("device.estimated_hint")>
                        <span class="metric__label">
                            {move || i18n.t(Quantity::ActiveEnergyImport.label_key())}
                            <span class="estimated-mark" style="margin-left:0.4em;font-style:italic" data-testid="estimated-mark">
                                {move || i18n.t("device.estimated")}
                            </span>
                        </span>
                        // The text rounds to the display unit (MWh on a large counter); the
                        // attribute keeps the watt-hours for scripts and tests.
                        <span
                            class="metric__value"
                            data-testid="device-estimated-value"
                            data-wh=move || {
                                device
                                    .with(|d| {
                                        d.as_ref()
                                            .and_then(|d| d.value(Quantity::ActiveEnergyImportEstimated))
                                            .map(|wh| format!("{wh:.1}"))
                                    })
                                    .unwrap_or_default()
                            }
                        >
                            {move || {
                                read(&|d| reading_text(i18n, d, Quantity::ActiveEnergyImportEstimated))
                            }}
                        </span>
                    </div>
                </Show>
            </div>
            <p class="device-card__foot">
                {move || {
                    read(&|d| match d.updated_at {
                        Some(ms) => i18n.format("device.updated", &[("time", &i18n.time(ms))]),
                        None => i18n.t("device.never_read"),
                    })
                }}
            </p>
        </a>
    }
}

/// The CSS modifier of a commodity's icon.
pub(crate) fn commodity_class(commodity: Commodity) -> &'static str {
    match commodity {
        Commodity::Electricity => "electricity",
        Commodity::Water => "water",
        Commodity::Gas => "gas",
        Commodity::Heat => "heat",
    }
}
