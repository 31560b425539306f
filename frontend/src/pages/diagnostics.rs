//! `/diagnostics`: the Modbus bus statistics of every gateway and its devices (traffic, reply
//! times, errors, back-off), for administrators and installers. Fetched again every 2 seconds
//! while the page is open.

use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::{DeviceDiagnostics, GatewayDiagnostics};

use crate::api::{self, Failure};
use crate::components::Shell;
use crate::i18n::{I18n, use_i18n};

/// How often the statistics are fetched again.
const REFRESH: Duration = Duration::from_secs(2);

/// What the page shares. `Copy`, so closures capture it freely.
#[derive(Clone, Copy)]
struct Diagnostics {
    /// The statistics as last fetched (`None` until the first answer).
    gateways: RwSignal<Option<Vec<GatewayDiagnostics>>>,
    /// Why the last fetch failed (cleared by the next success).
    problem: RwSignal<Option<Failure>>,
    /// A fetch is under way (the next tick is skipped rather than piled up).
    busy: RwSignal<bool>,
    /// Unix milliseconds of the last successful fetch.
    updated: RwSignal<Option<i64>>,
    leave: StoredValue<Box<dyn Fn()>, LocalStorage>,
}

impl Diagnostics {
    fn reload(self) {
        if self.busy.get_untracked() {
            return;
        }
        self.busy.set(true);
        spawn_local(async move {
            let outcome = api::diagnostics().await;
            // The page may have been left meanwhile: its signals are then gone and nothing is shown.
            if self.busy.try_set(false).is_some() {
                return;
            }
            match outcome {
                Ok(gateways) => {
                    self.problem.set(None);
                    self.gateways.set(Some(gateways));
                    self.updated.set(Some(js_sys::Date::now() as i64));
                }
                Err(failure) if failure.is_unauthorized() => {
                    self.leave.with_value(|leave| leave());
                }
                Err(failure) => self.problem.set(Some(failure)),
            }
        });
    }
}

#[component]
pub fn DiagnosticsPage() -> impl IntoView {
    view! {
        <Shell requires=crate::CONFIGURATION.pages>
            <DiagnosticsView />
        </Shell>
    }
}

#[component]
fn DiagnosticsView() -> impl IntoView {
    let i18n = use_i18n();
    let leave = crate::use_session_lost();
    let ctx = Diagnostics {
        gateways: RwSignal::new(None),
        problem: RwSignal::new(None),
        busy: RwSignal::new(false),
        updated: RwSignal::new(None),
        leave: StoredValue::new_local(Box::new(leave) as Box<dyn Fn()>),
    };
    ctx.reload();
    if let Ok(handle) = set_interval_with_handle(move || ctx.reload(), REFRESH) {
        on_cleanup(move || handle.clear());
    }

    let gateway_ids = Memo::new(move |_| {
        ctx.gateways.with(|gateways| {
            gateways
                .iter()
                .flatten()
                .map(|gateway| gateway.gateway_id)
                .collect::<Vec<u32>>()
        })
    });
    let problem = move || {
        ctx.problem.with(|problem| {
            problem
                .as_ref()
                .map(|failure| i18n.error(&failure.error.code, &failure.error.message))
        })
    };
    let loading = move || ctx.gateways.with(Option::is_none) && ctx.problem.with(Option::is_none);
    let empty = move || ctx.gateways.with(|g| g.as_ref().is_some_and(Vec::is_empty));
    let updated = move || {
        ctx.updated
            .get()
            .map(|ms| i18n.format("diagnostics.updated", &[("time", &i18n.time(ms))]))
    };

    view! {
        <a class="back-link" href="/config" data-testid="back-to-config">
            <span class="back-link__arrow" aria-hidden="true">"←"</span>
            {move || i18n.t("diagnostics.back")}
        </a>
        <div class="page-head">
            <h1 class="page-title">{move || i18n.t("diagnostics.title")}</h1>
            <div class="page-head__actions">
                <span class="muted diag-updated" data-testid="diagnostics-updated" aria-live="off">
                    {updated}
                </span>
                <button
                    class="button"
                    type="button"
                    data-testid="diagnostics-refresh"
                    on:click=move |_| ctx.reload()
                >
                    {move || i18n.t("diagnostics.refresh")}
                </button>
            </div>
        </div>
        <p class="muted diag-intro">{move || i18n.t("diagnostics.intro")}</p>
        <Show when=loading>
            <p class="loading">{move || i18n.t("common.loading")}</p>
        </Show>
        {move || {
            problem()
                .map(|text| {
                    view! {
                        <p class="alert alert--error" role="alert" data-testid="diagnostics-error">
                            {text}
                        </p>
                    }
                })
        }}
        <Show when=empty>
            <p class="empty" data-testid="diagnostics-empty">
                {move || i18n.t("diagnostics.no_gateways")}
            </p>
        </Show>
        <div class="diag-gateways">
            <For
                each=move || gateway_ids.get()
                key=|id| *id
                children=move |id| view! { <GatewaySection ctx=ctx id=id /> }
            />
        </div>
    }
}

/// One gateway and the table of its devices.
#[component]
fn GatewaySection(ctx: Diagnostics, id: u32) -> impl IntoView {
    let i18n = use_i18n();
    let gateway = Memo::new(move |_| {
        ctx.gateways.with(|gateways| {
            gateways
                .iter()
                .flatten()
                .find(|gateway| gateway.gateway_id == id)
                .cloned()
        })
    });
    let name = move || gateway.with(|g| g.as_ref().map(|g| g.name.clone()).unwrap_or_default());
    let enabled = move || gateway.with(|g| g.as_ref().is_some_and(|g| g.enabled));
    let devices =
        move || gateway.with(|g| g.as_ref().map(|g| g.devices.clone()).unwrap_or_default());
    let empty = move || gateway.with(|g| g.as_ref().is_none_or(|g| g.devices.is_empty()));

    view! {
        <section
            class=move || {
                if enabled() { "card diag-gateway" } else { "card diag-gateway diag-gateway--off" }
            }
            data-testid="diagnostics-gateway"
            data-gateway-id=id.to_string()
            data-enabled=move || enabled().to_string()
        >
            <div class="diag-gateway__head">
                <h2 data-testid="diagnostics-gateway-name">{name}</h2>
                <Show when=move || !enabled()>
                    <span class="diag-badge diag-badge--off" data-testid="diagnostics-gateway-off">
                        {move || i18n.t("diagnostics.gateway_off")}
                    </span>
                </Show>
            </div>
            <Show
                when=move || !empty()
                fallback=move || {
                    view! {
                        <p class="empty" data-testid="diagnostics-no-device">
                            {move || i18n.t("diagnostics.empty")}
                        </p>
                    }
                }
            >
                <div class="diag-table-wrap">
                    <table class="diag-table">
                        <thead>
                            <tr>
                                <th scope="col">{move || i18n.t("diagnostics.device")}</th>
                                <th scope="col" class="num">
                                    {move || i18n.t("diagnostics.requests_per_second")}
                                </th>
                                <th scope="col" class="num">
                                    {move || i18n.t("diagnostics.latency_median")}
                                </th>
                                <th scope="col" class="num">
                                    {move || i18n.t("diagnostics.latency_p95")}
                                </th>
                                <th scope="col" class="num">
                                    {move || i18n.t("diagnostics.timeouts")}
                                </th>
                                <th scope="col" class="num">
                                    {move || i18n.t("diagnostics.crc_errors")}
                                </th>
                                <th scope="col" class="num">
                                    {move || i18n.t("diagnostics.exceptions")}
                                </th>
                                <th scope="col" class="num">
                                    {move || i18n.t("diagnostics.garbled")}
                                </th>
                                <th scope="col" class="num">
                                    {move || i18n.t("diagnostics.wrong_unit")}
                                </th>
                                <th scope="col" class="num">
                                    {move || i18n.t("diagnostics.other_errors")}
                                </th>
                                <th scope="col" class="num">
                                    {move || i18n.t("diagnostics.timeout")}
                                </th>
                                <th scope="col">{move || i18n.t("diagnostics.last_success")}</th>
                            </tr>
                        </thead>
                        <tbody>
                            <For
                                each=devices
                                key=|device| device.device_id
                                children=move |device| {
                                    let device_id = device.device_id;
                                    view! { <DeviceRow ctx=ctx gateway=id device=device_id /> }
                                }
                            />
                        </tbody>
                    </table>
                </div>
            </Show>
        </section>
    }
}

/// One device's row (a card of its own on a phone).
#[component]
fn DeviceRow(ctx: Diagnostics, gateway: u32, device: u32) -> impl IntoView {
    let i18n = use_i18n();
    let stats = Memo::new(move |_| {
        ctx.gateways.with(|gateways| {
            gateways
                .iter()
                .flatten()
                .find(|g| g.gateway_id == gateway)
                .and_then(|g| g.devices.iter().find(|d| d.device_id == device))
                .cloned()
        })
    });
    let read = move |f: fn(I18n, &DeviceDiagnostics) -> String| {
        stats.with(|d| d.as_ref().map(|d| f(i18n, d)).unwrap_or_default())
    };
    let backoff = move || stats.with(|d| d.as_ref().and_then(|d| d.retry_in_seconds));
    let label = move |key: &'static str| move || i18n.t(key);

    view! {
        <tr
            class=move || {
                if backoff().is_some() { "diag-device diag-device--backoff" } else { "diag-device" }
            }
            data-testid="diagnostics-device"
            data-device-id=device.to_string()
        >
            <th scope="row" class="diag-device__name">
                <span data-testid="diagnostics-device-name">{move || read(|_, d| d.name.clone())}</span>
                {move || {
                    backoff()
                        .map(|seconds| {
                            view! {
                                <span
                                    class="diag-badge diag-badge--backoff"
                                    data-testid="diagnostics-backoff"
                                    data-retry-in=seconds.to_string()
                                >
                                    {i18n
                                        .format(
                                            "diagnostics.backoff",
                                            &[("seconds", &seconds.to_string())],
                                        )}
                                </span>
                            }
                        })
                }}
            </th>
            <td
                class="num"
                data-label=label("diagnostics.requests_per_second")
                data-testid="diagnostics-rps"
            >
                {move || read(|i18n, d| i18n.number(d.requests_per_second, 1))}
            </td>
            <td
                class="num"
                data-label=label("diagnostics.latency_median")
                data-testid="diagnostics-latency-median"
            >
                {move || read(|i18n, d| latency(i18n, d.latency_median_ms))}
            </td>
            <td
                class="num"
                data-label=label("diagnostics.latency_p95")
                data-testid="diagnostics-latency-p95"
            >
                {move || read(|i18n, d| latency(i18n, d.latency_p95_ms))}
            </td>
            {count_cell(stats, "diagnostics.timeouts", "diagnostics-timeouts", |d| d.timeouts)}
            {count_cell(stats, "diagnostics.crc_errors", "diagnostics-crc-errors", |d| d.crc_errors)}
            {count_cell(stats, "diagnostics.exceptions", "diagnostics-exceptions", |d| d.exceptions)}
            {count_cell(stats, "diagnostics.garbled", "diagnostics-garbled", |d| d.garbled_frames)}
            {count_cell(
                stats,
                "diagnostics.wrong_unit",
                "diagnostics-wrong-unit",
                |d| d.wrong_unit_replies,
            )}
            {count_cell(
                stats,
                "diagnostics.other_errors",
                "diagnostics-other-errors",
                |d| d.other_errors,
            )}
            <td class="num" data-label=label("diagnostics.timeout") data-testid="diagnostics-timeout">
                {move || read(|i18n, d| latency(i18n, d.timeout_ms.map(|ms| ms as f64)))}
            </td>
            <td
                class="diag-last"
                data-label=label("diagnostics.last_success")
                data-testid="diagnostics-last-success"
            >
                {move || read(|i18n, d| last_success(i18n, d.last_success))}
            </td>
        </tr>
    }
}

/// An error counter's cell, highlighted when it is not zero.
fn count_cell(
    stats: Memo<Option<DeviceDiagnostics>>,
    key: &'static str,
    test_id: &'static str,
    count: fn(&DeviceDiagnostics) -> u64,
) -> impl IntoView {
    let i18n = use_i18n();
    let value = move || stats.with(|d| d.as_ref().map(count).unwrap_or_default());
    view! {
        <td
            class=move || {
                if value() > 0 { "num diag-count diag-count--error" } else { "num diag-count" }
            }
            data-label=move || i18n.t(key)
            data-testid=test_id
            data-error=move || (value() > 0).to_string()
        >
            {move || value().to_string()}
        </td>
    }
}

/// A reply time in milliseconds with one decimal, or a dash when none was measured.
fn latency(i18n: I18n, ms: Option<f64>) -> String {
    ms.map(|ms| i18n.number(ms, 1))
        .unwrap_or_else(|| "–".to_owned())
}

/// The local time of the last successful read (with the date when it was not today), or "never".
fn last_success(i18n: I18n, unix_ms: Option<i64>) -> String {
    let Some(unix_ms) = unix_ms else {
        return i18n.t("diagnostics.never");
    };
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(unix_ms as f64));
    let today = js_sys::Date::new_0();
    if date.to_date_string() == today.to_date_string() {
        i18n.time(unix_ms)
    } else {
        String::from(
            date.to_locale_string(i18n.language().code(), &wasm_bindgen::JsValue::UNDEFINED),
        )
    }
}
