//! `/consumption/:view`: the consumption pages (§8.2.2) — Grand total (stacked by load), Overall
//! (electricity, gas, water), Partials (a group or a load), Compare (two devices) and Details (one
//! device with the statistics of its measured quantities) — per hour of a day, day of a month or
//! month of a year, with the previous period beside; and the advanced view (§8.2.2.6): full
//! screen, ten years, a date picker, previous/next and `datalogger.csv`.
//!
//! Every bar and table row carries its raw value (base unit) in `data-*` attributes, so the
//! end-to-end tests compare what is shown with what is downloaded.

use charts_rs::{Color, PieChart, Series};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use shared::{
    CalendarDate, Commodity, ConsumptionHistogram, ConsumptionQuery, ConsumptionScope,
    ConsumptionScopes, DeviceStatistics, HistogramPeriod, Quantity, QuantityStatistics,
    ScopeDevice, Unit, commodity_word,
};
use wasm_bindgen::prelude::*;

use super::leave_when_unauthorized;
use crate::api;
use crate::components::Shell;
use crate::i18n::{I18n, use_i18n};

/// Colours of the loads (grand total's bars, Overall's pies), in the order the installation
/// lists its loads; each dark enough for the pies' white percentages (contrast 4.5:1 or more).
const LOAD_COLOURS: [&str; 14] = [
    "#0f5c8c", "#b35900", "#1e7b45", "#8e44ad", "#c0392b", "#117a65", "#806600", "#2c3e50",
    "#b0306f", "#5f6a6a", "#3b6e14", "#1f618d", "#a04000", "#5d6d7e",
];

/// The five pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum View {
    Total,
    Overall,
    Partials,
    Compare,
    Details,
}

impl View {
    const ALL: [View; 5] = [
        View::Total,
        View::Overall,
        View::Partials,
        View::Compare,
        View::Details,
    ];

    fn slug(self) -> &'static str {
        match self {
            View::Total => "total",
            View::Overall => "overall",
            View::Partials => "partials",
            View::Compare => "compare",
            View::Details => "details",
        }
    }

    fn from_slug(slug: &str) -> Option<View> {
        View::ALL.into_iter().find(|view| view.slug() == slug)
    }

    fn title_key(self) -> &'static str {
        match self {
            View::Total => "consumption.total",
            View::Overall => "consumption.overall",
            View::Partials => "consumption.partials",
            View::Compare => "consumption.compare",
            View::Details => "consumption.details",
        }
    }
}

/// What every histogram of a page shows: the period, the date (None: today) and whether the
/// advanced view is open. `shown` is the date the server answered for, which previous/next and
/// the date picker start from.
#[derive(Clone, Copy)]
struct Browse {
    period: RwSignal<HistogramPeriod>,
    date: RwSignal<Option<CalendarDate>>,
    advanced: RwSignal<bool>,
    /// Whether the browser shows the advanced view full screen (Fullscreen API); where it
    /// does not, the view fills the window (CSS) all the same.
    full_screen: RwSignal<bool>,
    shown: RwSignal<Option<CalendarDate>>,
}

impl Browse {
    fn new() -> Browse {
        Browse {
            period: RwSignal::new(HistogramPeriod::Day),
            date: RwSignal::new(None),
            advanced: RwSignal::new(false),
            full_screen: RwSignal::new(false),
            shown: RwSignal::new(None),
        }
    }

    /// Opens the advanced view over `frame`, full screen where the browser allows it.
    fn open_advanced(self, frame: Option<web_sys::Element>) {
        self.advanced.set(true);
        let document = leptos::prelude::document();
        // iPhones have no Fullscreen API for a page's elements, an embedding frame may forbid
        // it: the view fills the window by CSS (.consumption--advanced) there.
        if let Some(frame) = frame
            && document.fullscreen_enabled()
            && let Ok(request) = frame
                .unchecked_ref::<FullScreenElement>()
                .request_full_screen()
        {
            // Awaited so that a refusal is handled, not reported as an uncaught rejection;
            // the CSS view stays either way.
            wasm_bindgen_futures::spawn_local(async move {
                let _ = wasm_bindgen_futures::JsFuture::from(request).await;
            });
        }
    }

    /// Back to the standard view of the current period, out of full screen.
    fn close_advanced(self) {
        self.advanced.set(false);
        self.date.set(None);
        if self.period.get_untracked() == HistogramPeriod::Decade {
            self.period.set(HistogramPeriod::Year);
        }
        leave_full_screen();
    }

    fn query(self, scope: ConsumptionScope, commodity: Commodity) -> ConsumptionQuery {
        ConsumptionQuery {
            scope,
            commodity,
            period: self.period.get(),
            date: self.date.get(),
        }
    }

    /// Moves `steps` periods from the date shown.
    fn step(self, steps: i32) {
        let from = self
            .shown
            .get_untracked()
            .or_else(|| self.date.get_untracked());
        if let Some(date) = from.and_then(|date| date.step(self.period.get_untracked(), steps)) {
            self.date.set(Some(date));
        }
    }
}

#[wasm_bindgen]
extern "C" {
    /// An element seen through the Fullscreen API's promise-returning methods: web-sys's
    /// `request_fullscreen` drops the promise, so a refusal would surface as an uncaught
    /// rejection; here it is awaited. A browser without the method (iPhones) throws (`catch`).
    #[wasm_bindgen(extends = web_sys::Element)]
    type FullScreenElement;

    #[wasm_bindgen(method, catch, js_name = requestFullscreen)]
    fn request_full_screen(this: &FullScreenElement) -> Result<js_sys::Promise, JsValue>;

    /// The document, likewise for `exitFullscreen`.
    #[wasm_bindgen(extends = web_sys::Document)]
    type FullScreenDocument;

    #[wasm_bindgen(method, catch, js_name = exitFullscreen)]
    fn exit_full_screen(this: &FullScreenDocument) -> Result<js_sys::Promise, JsValue>;
}

/// Leaves the browser's full screen, if the page is in it.
fn leave_full_screen() {
    let document = leptos::prelude::document();
    if document.fullscreen_element().is_some()
        && let Ok(exit) = document
            .unchecked_ref::<FullScreenDocument>()
            .exit_full_screen()
    {
        wasm_bindgen_futures::spawn_local(async move {
            let _ = wasm_bindgen_futures::JsFuture::from(exit).await;
        });
    }
}

fn period_key(period: HistogramPeriod) -> &'static str {
    match period {
        HistogramPeriod::Day => "period.day",
        HistogramPeriod::Month => "period.month",
        HistogramPeriod::Year => "period.year",
        HistogramPeriod::Decade => "period.decade",
    }
}

/// The label of a bar from its local start (`YYYY-MM-DDTHH:MM`): the hour of a day, the day of
/// a month, the month of a year, the year of a decade.
fn bar_label(i18n: I18n, period: HistogramPeriod, local: &str) -> String {
    let part = |range: std::ops::Range<usize>| local.get(range).unwrap_or_default().to_owned();
    match period {
        HistogramPeriod::Day => format!("{}h", part(11..13)),
        HistogramPeriod::Month => part(8..10).trim_start_matches('0').to_owned(),
        HistogramPeriod::Year => i18n.t(&format!(
            "month_short.{}",
            part(5..7).trim_start_matches('0')
        )),
        HistogramPeriod::Decade => part(0..4),
    }
}

/// The period a date stands for, for titles: the day, `YYYY-MM`, the year, or the ten years.
fn period_text(period: HistogramPeriod, date: &str) -> String {
    match period {
        HistogramPeriod::Day => date.to_owned(),
        HistogramPeriod::Month => date.get(0..7).unwrap_or(date).to_owned(),
        HistogramPeriod::Year => date.get(0..4).unwrap_or(date).to_owned(),
        HistogramPeriod::Decade => match date.get(0..4).and_then(|year| year.parse::<i32>().ok()) {
            Some(year) => format!("{}–{year}", year - 9),
            None => date.to_owned(),
        },
    }
}

fn raw(value: Option<f64>) -> String {
    value.map(|value| value.to_string()).unwrap_or_default()
}

fn load_name(i18n: I18n, id: &str, name: &str) -> String {
    if name.is_empty() {
        i18n.t(&format!("load_type.{id}"))
    } else {
        name.to_owned()
    }
}

/// `/consumption` and `/consumption/:view`.
#[component]
pub fn ConsumptionPage() -> impl IntoView {
    view! {
        <Shell requires=crate::CONSUMPTION.pages>
            <ConsumptionRoute />
        </Shell>
    }
}

#[component]
fn ConsumptionRoute() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let current = Memo::new(move |_| {
        params.with(|params| View::from_slug(params.get("view").as_deref().unwrap_or("total")))
    });
    let browse = Browse::new();
    let frame = NodeRef::<leptos::html::Div>::new();
    // The browser left full screen (Escape, a system gesture, another element): the advanced
    // view closes with it, as the user asked to leave.
    let full_screen_changes = window_event_listener(leptos::ev::fullscreenchange, move |_| {
        let was = browse.full_screen.get_untracked();
        let now = leptos::prelude::document().fullscreen_element().is_some();
        browse.full_screen.set(now);
        if was && !now && browse.advanced.get_untracked() {
            browse.close_advanced();
        }
    });
    // Escape closes the view where the browser does not show it full screen (the CSS view).
    let escapes = window_event_listener(leptos::ev::keydown, move |event| {
        if event.key() == "Escape" && !event.default_prevented() && browse.advanced.get_untracked()
        {
            browse.close_advanced();
        }
    });
    on_cleanup(move || {
        full_screen_changes.remove();
        escapes.remove();
        leave_full_screen();
    });
    let scopes = LocalResource::new(api::consumption_scopes);
    leave_when_unauthorized(scopes);
    let scopes = Signal::derive(move || {
        scopes.with(|outcome| match outcome {
            Some(Ok(scopes)) => Some(scopes.clone()),
            _ => None,
        })
    });

    view! {
        <div
            class="consumption"
            class:consumption--advanced=move || browse.advanced.get()
            node_ref=frame
            data-testid="consumption"
            data-full-screen=move || browse.full_screen.get().to_string()
            data-view=move || current.get().map(View::slug)
        >
            <div class="page-head">
                <h1 class="page-title" data-testid="consumption-title">
                    {move || current.get().map(|view| i18n.t(view.title_key()))}
                </h1>
            </div>
            <Show when=move || !browse.advanced.get()>
                <nav class="consumption-nav" aria-label=move || i18n.t("consumption.title")>
                    {View::ALL
                        .into_iter()
                        .map(|view| {
                            view! {
                                <a
                                    href=format!("/consumption/{}", view.slug())
                                    data-testid=format!("consumption-nav-{}", view.slug())
                                    aria-current=move || (current.get() == Some(view)).then_some("page")
                                >
                                    {move || i18n.t(view.title_key())}
                                </a>
                            }
                        })
                        .collect_view()}
                </nav>
            </Show>
            <Toolbar
                browse=browse
                frame=frame
                allow_advanced=Signal::derive(move || current.get() != Some(View::Overall))
            />
            {move || match current.get() {
                Some(View::Total) => view! { <TotalView browse=browse scopes=scopes /> }.into_any(),
                Some(View::Overall) => view! { <OverallView browse=browse scopes=scopes /> }.into_any(),
                Some(View::Partials) => view! { <PartialsView browse=browse scopes=scopes /> }.into_any(),
                Some(View::Compare) => view! { <CompareView browse=browse scopes=scopes /> }.into_any(),
                Some(View::Details) => view! { <DetailsView browse=browse scopes=scopes /> }.into_any(),
                None => {
                    view! {
                        <p class="alert alert--error" role="alert">
                            {move || i18n.t("error.not_found")}
                        </p>
                    }
                        .into_any()
                }
            }}
        </div>
    }
}

/// Day / Month / Year (and ten years in the advanced view), the advanced view's switch, and in
/// it previous, the date picker and next.
#[component]
fn Toolbar(
    browse: Browse,
    /// The page's frame, which the advanced view shows full screen.
    frame: NodeRef<leptos::html::Div>,
    #[prop(into)] allow_advanced: Signal<bool>,
) -> impl IntoView {
    let i18n = use_i18n();
    let periods = move || {
        if browse.advanced.get() {
            HistogramPeriod::ALL.to_vec()
        } else {
            HistogramPeriod::ALL[..3].to_vec()
        }
    };
    // Called in the click itself: browsers grant full screen only to a user's gesture.
    let toggle = move |_| {
        if browse.advanced.get_untracked() {
            browse.close_advanced();
        } else {
            let frame = frame.get_untracked().map(|div| {
                let element: &web_sys::Element = &div;
                element.clone()
            });
            browse.open_advanced(frame);
        }
    };
    let picked = move |event: leptos::ev::Event| {
        if let Ok(date) = CalendarDate::parse(&event_target_value(&event)) {
            browse.date.set(Some(date));
        }
    };
    view! {
        <div class="consumption-toolbar">
            <div class="segmented" role="group" aria-label=move || i18n.t("consumption.period")>
                <For each=periods key=|period| *period let:period>
                    <button
                        type="button"
                        class="segmented__item"
                        data-testid=format!("period-{}", period.as_str())
                        aria-pressed=move || (browse.period.get() == period).to_string()
                        on:click=move |_| browse.period.set(period)
                    >
                        {move || i18n.t(period_key(period))}
                    </button>
                </For>
            </div>
            <Show when=move || browse.advanced.get()>
                <div class="date-browser">
                    <button
                        type="button"
                        class="button icon-button"
                        data-testid="previous-period"
                        aria-label=move || i18n.t("consumption.previous")
                        title=move || i18n.t("consumption.previous")
                        on:click=move |_| browse.step(-1)
                    >
                        "‹"
                    </button>
                    <input
                        type="date"
                        class="date-input"
                        data-testid="date-picker"
                        aria-label=move || i18n.t("consumption.date")
                        min="1970-01-01"
                        max="2200-12-31"
                        prop:value=move || {
                            browse.shown.get().or(browse.date.get()).map(|date| date.to_string()).unwrap_or_default()
                        }
                        on:change=picked
                    />
                    <button
                        type="button"
                        class="button icon-button"
                        data-testid="next-period"
                        aria-label=move || i18n.t("consumption.next")
                        title=move || i18n.t("consumption.next")
                        on:click=move |_| browse.step(1)
                    >
                        "›"
                    </button>
                </div>
            </Show>
            <Show when=move || allow_advanced.get()>
                <button
                    type="button"
                    class="button advanced-toggle"
                    data-testid="advanced-toggle"
                    aria-pressed=move || browse.advanced.get().to_string()
                    on:click=toggle
                >
                    <span aria-hidden="true">{move || if browse.advanced.get() { "✕" } else { "⛶" }}</span>
                    {move || {
                        if browse.advanced.get() {
                            i18n.t("consumption.close_advanced")
                        } else {
                            i18n.t("consumption.advanced")
                        }
                    }}
                </button>
            </Show>
        </div>
    }
}

/// Fetches and shows the histogram of `query` (nothing while it is `None`).
#[component]
fn HistogramPanel(
    browse: Browse,
    #[prop(into)] query: Signal<Option<ConsumptionQuery>>,
    #[prop(into)] title: Signal<String>,
    /// Names of loads, by id, for a grand total's legend.
    #[prop(into, optional)]
    load_names: Signal<Vec<(String, String)>>,
    /// Tells `data-testid`s apart when a page has two panels.
    #[prop(optional)]
    index: usize,
) -> impl IntoView {
    let i18n = use_i18n();
    let data = LocalResource::new(move || {
        let query = query.get();
        async move {
            match query {
                Some(query) => Some(api::consumption(&query).await),
                None => None,
            }
        }
    });
    let histogram = Memo::new(move |_| {
        data.with(|outcome| match outcome {
            Some(Some(Ok(histogram))) => Some(histogram.clone()),
            _ => None,
        })
    });
    let problem = move || {
        data.with(|outcome| match outcome {
            Some(Some(Err(failure))) if !failure.is_unauthorized() => {
                Some(i18n.error(&failure.error.code, &failure.error.message))
            }
            _ => None,
        })
    };
    let leave = crate::use_session_lost();
    Effect::new(move || {
        let unauthorized = data.with(
            |outcome| matches!(outcome, Some(Some(Err(failure))) if failure.is_unauthorized()),
        );
        if unauthorized {
            leave();
        }
    });
    // The first panel tells the toolbar which date it shows.
    Effect::new(move || {
        if index == 0
            && let Some(date) = histogram.with(|h| h.as_ref().map(|h| h.date.clone()))
        {
            browse.shown.set(CalendarDate::parse(&date).ok());
        }
    });
    let download = move || {
        query.with(|query| {
            query
                .as_ref()
                .map(|query| api::datalogger_url(query, i18n.language().code()))
        })
    };

    view! {
        <section class="card histogram-card" data-testid=format!("histogram-{index}")>
            <div class="section-head">
                <h2>{move || title.get()}</h2>
                <Show when=move || browse.advanced.get() && histogram.with(Option::is_some)>
                    <a
                        class="button download-button"
                        data-testid=format!("download-csv-{index}")
                        href=download
                        download="datalogger.csv"
                    >
                        <span aria-hidden="true">"⤓"</span>
                        {move || i18n.t("consumption.download")}
                    </a>
                </Show>
            </div>
            {move || problem().map(|text| view! { <p class="alert alert--error" role="alert">{text}</p> })}
            <Show when=move || histogram.with(Option::is_none) && problem().is_none() && query.with(Option::is_some)>
                <p class="loading">{move || i18n.t("common.loading")}</p>
            </Show>
            {move || histogram.get().map(|histogram| view! { <Histogram histogram=histogram load_names=load_names.get() /> })}
        </section>
    }
}

/// A loaded histogram: totals, bars (stacked by load for a grand total) beside the previous
/// period's, and the table of values.
#[component]
fn Histogram(histogram: ConsumptionHistogram, load_names: Vec<(String, String)>) -> impl IntoView {
    let i18n = use_i18n();
    let unit = histogram.unit;
    let period = histogram.period;
    let value_text = move |value: Option<f64>| match value {
        Some(value) => i18n.value(value, unit),
        None => "—".to_owned(),
    };
    let summary = view! {
        <dl
            class="consumption-summary"
            data-testid="consumption-summary"
            data-total=raw(histogram.total)
            data-previous-total=raw(histogram.previous_total)
            data-date=histogram.date.clone()
        >
            <div>
                <dt>{i18n.format("consumption.this_period", &[("period", &period_text(period, &histogram.date))])}</dt>
                <dd data-testid="total-value">{value_text(histogram.total)}</dd>
            </div>
            <div class="consumption-summary__previous">
                <dt>{i18n.format("consumption.previous_period", &[("period", &period_text(period, &histogram.previous_date))])}</dt>
                <dd data-testid="previous-total-value">{value_text(histogram.previous_total)}</dd>
            </div>
        </dl>
    };
    if histogram.total.is_none() {
        return view! {
            {summary}
            <p class="empty" data-testid="no-data">{i18n.t("consumption.no_data")}</p>
        }
        .into_any();
    }

    let largest = histogram
        .buckets
        .iter()
        .chain(&histogram.previous)
        .filter_map(|bucket| bucket.value)
        .fold(0.0_f64, f64::max);
    let scale = if largest > 0.0 { 100.0 / largest } else { 0.0 };
    let count = histogram.buckets.len().max(1);
    let width = count * 10;
    let bars = histogram
        .buckets
        .iter()
        .enumerate()
        .map(|(index, bucket)| {
            let x = index * 10;
            let previous = histogram.previous.get(index).and_then(|bucket| bucket.value);
            let previous_height = previous.unwrap_or(0.0) * scale;
            // The current bar: the loads' parts stacked, or one piece.
            let mut pieces = Vec::new();
            if histogram.stacks.is_empty() {
                let height = bucket.value.unwrap_or(0.0) * scale;
                pieces.push(view! {
                    <rect class="bar bar--current" x=x + 1 y=100.0 - height width="5" height=height></rect>
                }
                .into_any());
            } else {
                let mut base = 0.0;
                for (stack_index, stack) in histogram.stacks.iter().enumerate() {
                    let height = stack.values.get(index).copied().flatten().unwrap_or(0.0) * scale;
                    pieces.push(view! {
                        <rect
                            class="bar"
                            x=x + 1
                            y=100.0 - base - height
                            width="5"
                            height=height
                            fill=load_colour(&load_names, &stack.load, stack_index)
                        ></rect>
                    }
                    .into_any());
                    base += height;
                }
            }
            view! {
                <g
                    data-testid="bar"
                    data-index=index
                    data-local=bucket.local.clone()
                    data-value=raw(bucket.value)
                    data-previous=raw(previous)
                >
                    {pieces}
                    <rect class="bar bar--previous" x=x + 6 y=100.0 - previous_height width="3" height=previous_height></rect>
                </g>
            }
        })
        .collect_view();
    let step = count.div_ceil(8);
    let labels = histogram
        .buckets
        .iter()
        .enumerate()
        .map(|(index, bucket)| {
            let text = (index % step == 0).then(|| bar_label(i18n, period, &bucket.local));
            view! { <span class="bar-labels__item">{text}</span> }
        })
        .collect_view();
    let legend = histogram
        .stacks
        .iter()
        .enumerate()
        .map(|(index, stack)| {
            let name = load_names
                .iter()
                .find(|(id, _)| *id == stack.load)
                .map(|(_, name)| name.clone())
                .unwrap_or_else(|| load_name(i18n, &stack.load, &stack.name));
            view! {
                <li data-testid="legend-load" data-load=stack.load.clone()>
                    <span class="legend__swatch" style=format!("background:{}", load_colour(&load_names, &stack.load, index))></span>
                    {name}
                </li>
            }
        })
        .collect_view();
    let rows = histogram
        .buckets
        .iter()
        .enumerate()
        .map(|(index, bucket)| {
            let previous = histogram
                .previous
                .get(index)
                .and_then(|bucket| bucket.value);
            view! {
                <tr
                    data-testid="histogram-row"
                    data-index=index
                    data-local=bucket.local.clone()
                    data-value=raw(bucket.value)
                    data-previous=raw(previous)
                >
                    <th scope="row">{bar_label(i18n, period, &bucket.local)}</th>
                    <td>{value_text(bucket.value)}</td>
                    <td class="muted">{value_text(previous)}</td>
                </tr>
            }
        })
        .collect_view();

    view! {
        {summary}
        <div class="chart-frame">
            <div class="chart-frame__max muted">{i18n.value(largest, unit)}</div>
            <svg
                class="bars"
                data-testid="bars"
                viewBox=format!("0 0 {width} 100")
                preserveAspectRatio="none"
                role="img"
                aria-label=i18n.t("consumption.chart_label")
            >
                {bars}
            </svg>
            <div class="bar-labels" style=format!("grid-template-columns: repeat({count}, 1fr)")>{labels}</div>
        </div>
        <ul class="legend">
            {legend}
            <li>
                <span class="legend__swatch legend__swatch--current"></span>
                {i18n.t("consumption.legend_current")}
            </li>
            <li>
                <span class="legend__swatch legend__swatch--previous"></span>
                {i18n.t("consumption.legend_previous")}
            </li>
        </ul>
        <details class="histogram-details">
            <summary data-testid="table-toggle">{i18n.t("consumption.table")}</summary>
            <div class="table-scroll">
                <table class="histogram-table" data-testid="histogram-table" data-unit=unit_code(unit)>
                    <thead>
                        <tr>
                            <th scope="col">{i18n.t(period_key(period))}</th>
                            <th scope="col">{i18n.t("consumption.column_value")}</th>
                            <th scope="col">{i18n.t("consumption.column_previous")}</th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        </details>
    }
        .into_any()
}

fn unit_code(unit: Unit) -> &'static str {
    match unit {
        Unit::CubicMetre => "cubic_metre",
        _ => "watt_hour",
    }
}

/// Grand total (§8.2.2.1): the electricity of every device not excluded, stacked by load.
#[component]
fn TotalView(browse: Browse, scopes: Signal<Option<ConsumptionScopes>>) -> impl IntoView {
    let i18n = use_i18n();
    let query =
        Signal::derive(move || Some(browse.query(ConsumptionScope::Total, Commodity::Electricity)));
    let load_names = Signal::derive(move || scopes.with(|scopes| load_names_of(i18n, scopes)));
    view! {
        <HistogramPanel
            browse=browse
            query=query
            title=Signal::derive(move || i18n.t("consumption.total_title"))
            load_names=load_names
        />
    }
}

/// The commodities Overall shows: electricity, gas and water always, heat when a device
/// meters it.
fn overall_commodities(scopes: &Option<ConsumptionScopes>) -> Vec<Commodity> {
    let mut commodities = vec![Commodity::Electricity, Commodity::Gas, Commodity::Water];
    let heat = scopes.as_ref().is_some_and(|scopes| {
        scopes
            .devices
            .iter()
            .any(|device| device.commodity == Commodity::Heat)
    });
    if heat {
        commodities.push(Commodity::Heat);
    }
    commodities
}

/// Overall (§8.2.2.1): electricity, gas, water (and heat) of the period, each in its unit: a
/// table of the totals and, beside it, a pie per commodity split by load.
#[component]
fn OverallView(browse: Browse, scopes: Signal<Option<ConsumptionScopes>>) -> impl IntoView {
    let i18n = use_i18n();
    let commodities = Memo::new(move |_| scopes.with(overall_commodities));
    let data = LocalResource::new(move || {
        let period = browse.period.get();
        let date = browse.date.get();
        let commodities = commodities.get();
        async move {
            let mut rows = Vec::new();
            for commodity in commodities {
                let query = ConsumptionQuery {
                    scope: ConsumptionScope::Total,
                    commodity,
                    period,
                    date,
                };
                rows.push((commodity, api::consumption(&query).await));
            }
            rows
        }
    });
    let rows = move || {
        data.with(|rows| {
            rows.as_ref().map(|rows| {
                rows.iter()
                    .map(|(commodity, outcome)| {
                        let commodity = *commodity;
                        let (total, previous, unit, devices) = match outcome {
                            Ok(histogram) => (
                                histogram.total,
                                histogram.previous_total,
                                histogram.unit,
                                histogram.devices.len(),
                            ),
                            Err(_) => (None, None, commodity.consumption_quantity().unit(), 0),
                        };
                        let text = move |value: Option<f64>| match value {
                            Some(value) => i18n.value(value, unit),
                            None => i18n.t("consumption.no_data_short"),
                        };
                        view! {
                            <tr
                                data-testid="overall-row"
                                data-commodity=commodity_word(commodity)
                                data-total=raw(total)
                                data-previous-total=raw(previous)
                            >
                                <th scope="row">
                                    <span class=format!("commodity-dot commodity-dot--{}", commodity_word(commodity))></span>
                                    {i18n.t(commodity.label_key())}
                                </th>
                                <td>{text(total)}</td>
                                <td class="muted">{text(previous)}</td>
                                <td class="muted">{devices}</td>
                            </tr>
                        }
                    })
                    .collect_view()
            })
        })
    };
    let load_names = Signal::derive(move || scopes.with(|scopes| load_names_of(i18n, scopes)));
    // Built in this closure, so the texts follow the language.
    let pies = move || {
        let names = load_names.get();
        data.with(|rows| {
            rows.as_ref().map(|rows| {
                rows.iter()
                    .map(|(commodity, outcome)| {
                        commodity_pie(i18n, *commodity, outcome.as_ref().ok(), &names)
                    })
                    .collect_view()
            })
        })
    };
    view! {
        <div class="overall-layout">
            <section class="card" data-testid="overall">
                <h2>{move || i18n.t("consumption.overall_title")}</h2>
                <p class="muted">{move || i18n.t("consumption.overall_help")}</p>
                <Show when=move || data.with(Option::is_none)>
                    <p class="loading">{move || i18n.t("common.loading")}</p>
                </Show>
                <div class="table-scroll">
                    <table class="histogram-table overall-table">
                        <thead>
                            <tr>
                                <th scope="col">{move || i18n.t("consumption.commodity")}</th>
                                <th scope="col">{move || i18n.t("consumption.column_value")}</th>
                                <th scope="col">{move || i18n.t("consumption.column_previous")}</th>
                                <th scope="col">{move || i18n.t("consumption.column_devices")}</th>
                            </tr>
                        </thead>
                        <tbody>{rows}</tbody>
                    </table>
                </div>
            </section>
            <div class="overall-pies" data-testid="overall-pies">{pies}</div>
        </div>
    }
}

/// The loads' names by id, translated where the installation kept the predefined name.
fn load_names_of(i18n: I18n, scopes: &Option<ConsumptionScopes>) -> Vec<(String, String)> {
    scopes
        .as_ref()
        .map(|scopes| {
            scopes
                .loads
                .iter()
                .map(|load| (load.id.clone(), load_name(i18n, &load.id, &load.name)))
                .collect()
        })
        .unwrap_or_default()
}

/// A load's colour: by its place among the installation's loads, so a load keeps its colour
/// from one period, commodity or chart to the next; a load not listed there (switched off)
/// takes one after theirs, by its place among the parts shown.
fn load_colour(load_names: &[(String, String)], load: &str, part: usize) -> &'static str {
    let index = load_names
        .iter()
        .position(|(id, _)| id == load)
        .unwrap_or(load_names.len() + part);
    LOAD_COLOURS[index % LOAD_COLOURS.len()]
}

/// One slice of an Overall pie: a load's consumption over the period, in the base unit.
struct Slice {
    load: String,
    name: String,
    value: f64,
    colour: &'static str,
}

/// The loads with consumption in the period, largest first.
fn pie_slices(
    i18n: I18n,
    histogram: &ConsumptionHistogram,
    load_names: &[(String, String)],
) -> Vec<Slice> {
    let mut slices: Vec<Slice> = histogram
        .stacks
        .iter()
        .enumerate()
        .map(|(part, stack)| Slice {
            load: stack.load.clone(),
            name: load_names
                .iter()
                .find(|(id, _)| *id == stack.load)
                .map(|(_, name)| name.clone())
                .unwrap_or_else(|| load_name(i18n, &stack.load, &stack.name)),
            value: stack.values.iter().flatten().sum(),
            colour: load_colour(load_names, &stack.load, part),
        })
        .filter(|slice| slice.value > 0.0)
        .collect();
    slices.sort_by(|a, b| b.value.total_cmp(&a.value));
    slices
}

/// The pie of the slices as SVG, drawn by charts-rs: a ring of the loads' shares, each slice
/// wide enough named by its percentage (the legend beside names them all, in units). The
/// percentages come written (`shares`, one per slice) in the page's language, whole numbers:
/// short enough to stay on their slice.
fn pie_svg(slices: &[Slice], shares: &[String]) -> String {
    let series = slices
        .iter()
        .zip(shares)
        .map(|(slice, share)| Series::new(share.clone(), vec![slice.value as f32]))
        .collect();
    let mut chart = PieChart::new(series);
    // Drawn at 300 × 300 and shown at most 260 px wide: the 15 px percentages read at 13 px.
    (chart.width, chart.height) = (300.0, 300.0);
    chart.radius = 130.0;
    chart.inner_radius = 58.0;
    chart.rose_type = Some(false);
    chart.series_label_position = Some("inside".to_owned());
    chart.series.label.formatter = "{a}".to_owned();
    chart.series.label.font.size = 15.0;
    chart.series.label.font.color = Color::white();
    // A thin slice has no room for its percentage; the legend still gives it.
    chart.min_show_label_angle = 22.0;
    chart.series.colors = slices
        .iter()
        .map(|slice| Color::from(slice.colour))
        .collect();
    chart.margin.top = 0.0;
    chart.margin.bottom = 0.0;
    chart.svg().unwrap_or_default()
}

/// One commodity's pie beside the table: its loads' shares, with a legend giving each load's
/// consumption in units and its share, and the same as text for screen readers.
fn commodity_pie(
    i18n: I18n,
    commodity: Commodity,
    histogram: Option<&ConsumptionHistogram>,
    load_names: &[(String, String)],
) -> AnyView {
    let word = commodity_word(commodity);
    let title = i18n.t(commodity.label_key());
    let unit = commodity.consumption_quantity().unit();
    let total = histogram.and_then(|histogram| histogram.total);
    let slices = histogram
        .map(|histogram| pie_slices(i18n, histogram, load_names))
        .unwrap_or_default();
    let caption = view! {
        <figcaption class="pie-card__caption">
            <span class=format!("commodity-dot commodity-dot--{word}")></span>
            <span>{title.clone()}</span>
            <span class="muted">{total.map(|total| i18n.value(total, unit))}</span>
        </figcaption>
    };
    let sum: f64 = slices.iter().map(|slice| slice.value).sum();
    if slices.is_empty() || sum <= 0.0 {
        return view! {
            <figure class="card pie-card" data-testid="overall-pie" data-commodity=word data-total=raw(total)>
                {caption}
                <p class="empty" data-testid="pie-empty">{i18n.t("consumption.no_data")}</p>
            </figure>
        }
        .into_any();
    }
    let share = |value: f64| format!("{} %", i18n.number(value / sum * 100.0, 0));
    let description = slices
        .iter()
        .map(|slice| {
            format!(
                "{} {} ({})",
                slice.name,
                i18n.value(slice.value, unit),
                share(slice.value)
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    let label = i18n.format(
        "consumption.pie_label",
        &[("commodity", &title), ("slices", &description)],
    );
    let shares: Vec<String> = slices.iter().map(|slice| share(slice.value)).collect();
    let svg = pie_svg(&slices, &shares);
    let legend = slices
        .iter()
        .map(|slice| {
            view! {
                <li data-testid="pie-slice" data-load=slice.load.clone() data-value=slice.value.to_string()>
                    <span class="legend__swatch" style=format!("background:{}", slice.colour)></span>
                    <span class="pie-legend__name">{slice.name.clone()}</span>
                    <span class="pie-legend__value">
                        {i18n.value(slice.value, unit)}
                        <span class="muted">{format!(" · {}", share(slice.value))}</span>
                    </span>
                </li>
            }
        })
        .collect_view();
    view! {
        <figure class="card pie-card" data-testid="overall-pie" data-commodity=word data-total=raw(total)>
            {caption}
            <div class="pie" role="img" aria-label=label.clone() title=label inner_html=svg></div>
            <ul class="pie-legend">{legend}</ul>
        </figure>
    }
    .into_any()
}

/// A `<select>` of choices `(value, label)`; `selected` holds the chosen value.
#[component]
fn Choice(
    #[prop(into)] label: Signal<String>,
    #[prop(into)] choices: Signal<Vec<(String, String)>>,
    selected: RwSignal<Option<String>>,
    test_id: &'static str,
) -> impl IntoView {
    view! {
        <label class="field consumption-choice">
            <span>{move || label.get()}</span>
            <select
                data-testid=test_id
                on:change=move |event| selected.set(Some(event_target_value(&event)))
                prop:value=move || selected.get().unwrap_or_default()
            >
                {move || {
                    choices
                        .get()
                        .into_iter()
                        .map(|(value, text)| {
                            let chosen = selected.with(|selected| selected.as_deref() == Some(value.as_str()));
                            view! { <option value=value selected=chosen>{text}</option> }
                        })
                        .collect_view()
                }}
            </select>
        </label>
    }
}

/// Partials (§8.2.2.2): one measure group or one load, in one commodity.
#[component]
fn PartialsView(browse: Browse, scopes: Signal<Option<ConsumptionScopes>>) -> impl IntoView {
    let i18n = use_i18n();
    let selected = RwSignal::new(None::<String>);
    let commodity = RwSignal::new(Some("electricity".to_owned()));
    let choices = Signal::derive(move || {
        scopes.with(|scopes| {
            let Some(scopes) = scopes else {
                return Vec::new();
            };
            let groups = scopes.groups.iter().map(|group| {
                (
                    format!("group/{}", group.id),
                    i18n.format("consumption.group_choice", &[("name", &group.name)]),
                )
            });
            let loads = scopes.loads.iter().map(|load| {
                (
                    format!("load/{}", load.id),
                    i18n.format(
                        "consumption.load_choice",
                        &[("name", &load_name(i18n, &load.id, &load.name))],
                    ),
                )
            });
            groups.chain(loads).collect()
        })
    });
    // The first choice until the user picks one.
    Effect::new(move || {
        if selected.with(Option::is_none)
            && let Some((first, _)) = choices.with(|choices| choices.first().cloned())
        {
            selected.set(Some(first));
        }
    });
    let commodities = Signal::derive(move || {
        [Commodity::Electricity, Commodity::Gas, Commodity::Water]
            .into_iter()
            .map(|c| (commodity_word(c).to_owned(), i18n.t(c.label_key())))
            .collect()
    });
    let query = Signal::derive(move || {
        let scope = ConsumptionScope::parse(&selected.get()?).ok()?;
        let commodity = shared::parse_commodity(&commodity.get()?).ok()?;
        Some(browse.query(scope, commodity))
    });
    let title = Signal::derive(move || {
        let chosen = selected.get();
        choices.with(|choices| {
            choices
                .iter()
                .find(|(value, _)| Some(value) == chosen.as_ref())
                .map(|(_, text)| text.clone())
                .unwrap_or_default()
        })
    });
    view! {
        <div class="consumption-choices">
            <Choice label=Signal::derive(move || i18n.t("consumption.scope")) choices=choices selected=selected test_id="partials-scope" />
            <Choice label=Signal::derive(move || i18n.t("consumption.commodity")) choices=commodities selected=commodity test_id="partials-commodity" />
        </div>
        <Show
            when=move || !choices.with(Vec::is_empty)
            fallback=move || view! { <p class="empty">{move || i18n.t("consumption.no_partials")}</p> }
        >
            <HistogramPanel browse=browse query=query title=title />
        </Show>
    }
}

fn device_choices(
    devices: &[ScopeDevice],
    i18n: I18n,
    only: Option<Commodity>,
) -> Vec<(String, String)> {
    devices
        .iter()
        .filter(|device| only.is_none_or(|commodity| device.commodity == commodity))
        .map(|device| {
            let mut text = format!("{} · {}", device.name, i18n.t(device.commodity.label_key()));
            if device.exclude_from_totals {
                text.push_str(&format!(" ({})", i18n.t("consumption.excluded")));
            }
            (device.id.to_string(), text)
        })
        .collect()
}

fn device_query(browse: Browse, selected: Option<String>) -> Option<ConsumptionQuery> {
    let id = selected?.parse::<u32>().ok()?;
    // The server answers in the device's own commodity.
    Some(browse.query(ConsumptionScope::Device(id), Commodity::Electricity))
}

fn device_name(scopes: &Option<ConsumptionScopes>, selected: &Option<String>) -> String {
    let id = selected.as_ref().and_then(|id| id.parse::<u32>().ok());
    scopes
        .as_ref()
        .and_then(|scopes| scopes.devices.iter().find(|device| Some(device.id) == id))
        .map(|device| device.name.clone())
        .unwrap_or_default()
}

/// Compare (§8.2.2.3): two devices of one commodity, bar beside bar.
#[component]
fn CompareView(browse: Browse, scopes: Signal<Option<ConsumptionScopes>>) -> impl IntoView {
    let i18n = use_i18n();
    let first = RwSignal::new(None::<String>);
    let second = RwSignal::new(None::<String>);
    let commodity_of = move |selected: Option<String>| {
        let id = selected?.parse::<u32>().ok()?;
        scopes.with(|scopes| {
            scopes
                .as_ref()?
                .devices
                .iter()
                .find(|device| device.id == id)
                .map(|device| device.commodity)
        })
    };
    let first_choices = Signal::derive(move || {
        scopes.with(|scopes| {
            scopes
                .as_ref()
                .map(|scopes| device_choices(&scopes.devices, i18n, None))
                .unwrap_or_default()
        })
    });
    // The second device meters the same commodity as the first and is another device.
    let second_choices = Signal::derive(move || {
        let commodity = commodity_of(first.get());
        let chosen = first.get();
        scopes.with(|scopes| {
            scopes
                .as_ref()
                .map(|scopes| {
                    device_choices(&scopes.devices, i18n, commodity)
                        .into_iter()
                        .filter(|(id, _)| Some(id) != chosen.as_ref())
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
    });
    Effect::new(move || {
        if first.with(Option::is_none) {
            // Start with the first commodity that has two devices.
            let start = scopes.with(|scopes| {
                let devices = &scopes.as_ref()?.devices;
                devices
                    .iter()
                    .find(|device| {
                        devices
                            .iter()
                            .filter(|other| other.commodity == device.commodity)
                            .count()
                            > 1
                    })
                    .or(devices.first())
                    .map(|device| device.id.to_string())
            });
            if start.is_some() {
                first.set(start);
            }
        }
    });
    Effect::new(move || {
        let valid = second_choices.with(|choices| {
            second.with(|second| choices.iter().any(|(id, _)| Some(id) == second.as_ref()))
        });
        if !valid {
            second.set(second_choices.with(|choices| choices.first().map(|(id, _)| id.clone())));
        }
    });
    view! {
        <div class="consumption-choices">
            <Choice label=Signal::derive(move || i18n.t("consumption.first_device")) choices=first_choices selected=first test_id="compare-first" />
            <Choice label=Signal::derive(move || i18n.t("consumption.second_device")) choices=second_choices selected=second test_id="compare-second" />
        </div>
        <div class="compare-grid">
            <HistogramPanel
                browse=browse
                query=Signal::derive(move || device_query(browse, first.get()))
                title=Signal::derive(move || scopes.with(|scopes| device_name(scopes, &first.get())))
            />
            <Show
                when=move || second.with(Option::is_some)
                fallback=move || view! { <p class="empty card">{move || i18n.t("consumption.no_second_device")}</p> }
            >
                <HistogramPanel
                    browse=browse
                    query=Signal::derive(move || device_query(browse, second.get()))
                    title=Signal::derive(move || scopes.with(|scopes| device_name(scopes, &second.get())))
                    index=1
                />
            </Show>
        </div>
    }
}

/// Details (§8.2.2.4): one device's consumption and the statistics of what it measures.
#[component]
fn DetailsView(browse: Browse, scopes: Signal<Option<ConsumptionScopes>>) -> impl IntoView {
    let i18n = use_i18n();
    let selected = RwSignal::new(None::<String>);
    let choices = Signal::derive(move || {
        scopes.with(|scopes| {
            scopes
                .as_ref()
                .map(|scopes| device_choices(&scopes.devices, i18n, None))
                .unwrap_or_default()
        })
    });
    Effect::new(move || {
        if selected.with(Option::is_none)
            && let Some((first, _)) = choices.with(|choices| choices.first().cloned())
        {
            selected.set(Some(first));
        }
    });
    let device_id = Memo::new(move |_| selected.get().and_then(|id| id.parse::<u32>().ok()));
    view! {
        <div class="consumption-choices">
            <Choice label=Signal::derive(move || i18n.t("consumption.device")) choices=choices selected=selected test_id="details-device" />
        </div>
        <HistogramPanel
            browse=browse
            query=Signal::derive(move || device_query(browse, selected.get()))
            title=Signal::derive(move || scopes.with(|scopes| device_name(scopes, &selected.get())))
        />
        {move || device_id.get().map(|id| view! { <StatisticsCard browse=browse id=id /> })}
    }
}

/// The quantity charted first: the active power where the device measures it, else the first.
fn first_quantity(available: &[Quantity]) -> Option<Quantity> {
    available
        .iter()
        .copied()
        .find(|quantity| *quantity == Quantity::ActivePower)
        .or_else(|| available.first().copied())
}

/// Min, mean and max over the period of each quantity a device measures: a chart per bar of
/// each quantity the user picks, beside the table of the whole period.
#[component]
fn StatisticsCard(browse: Browse, id: u32) -> impl IntoView {
    let i18n = use_i18n();
    let data = LocalResource::new(move || {
        let period = browse.period.get();
        let date = browse.date.get();
        async move { api::device_statistics(id, period, date).await }
    });
    leave_when_unauthorized(data);
    let statistics = Memo::new(move |_| {
        data.with(|outcome| match outcome {
            Some(Ok(statistics)) => Some(statistics.clone()),
            _ => None,
        })
    });
    // The quantities charted, in the order the statistics list them.
    let chosen = RwSignal::new(Vec::<Quantity>::new());
    // Keeps the choice to what the period has; charts the first quantity when none is left
    // (a new device, or a period without the ones chosen). The user may clear it all.
    Effect::new(move || {
        let available: Vec<Quantity> = statistics.with(|statistics| {
            statistics
                .iter()
                .flat_map(|statistics| statistics.quantities.iter().map(|q| q.quantity))
                .collect()
        });
        let mut kept = chosen.get_untracked();
        kept.retain(|quantity| available.contains(quantity));
        if kept.is_empty() {
            kept.extend(first_quantity(&available));
        }
        if kept != chosen.get_untracked() {
            chosen.set(kept);
        }
    });
    let status = move || {
        data.with(|outcome| match outcome {
            None => Some(view! { <p class="loading">{i18n.t("common.loading")}</p> }.into_any()),
            Some(Err(failure)) => Some(
                view! {
                    <p class="alert alert--error" role="alert">{i18n.error(&failure.error.code, &failure.error.message)}</p>
                }
                .into_any(),
            ),
            Some(Ok(statistics)) if statistics.quantities.is_empty() => Some(
                view! { <p class="empty" data-testid="no-statistics">{i18n.t("consumption.no_statistics")}</p> }
                    .into_any(),
            ),
            Some(Ok(_)) => None,
        })
    };
    let picker = move || {
        statistics.with(|statistics| {
            let statistics = statistics.as_ref().filter(|s| !s.quantities.is_empty())?;
            let total = statistics.quantities.len();
            let options = statistics
                .quantities
                .iter()
                .map(|quantity| {
                    let quantity = quantity.quantity;
                    let checked = move || chosen.with(|chosen| chosen.contains(&quantity));
                    let toggle = move |_| {
                        chosen.update(|chosen| {
                            if let Some(position) = chosen.iter().position(|q| *q == quantity) {
                                chosen.remove(position);
                            } else {
                                chosen.push(quantity);
                            }
                        })
                    };
                    view! {
                        <label class="quantity-picker__option">
                            <input
                                type="checkbox"
                                data-testid="quantity-choice"
                                data-quantity=crate::quantity_code(quantity)
                                prop:checked=checked
                                on:change=toggle
                            />
                            <span>{i18n.t(quantity.label_key())}</span>
                        </label>
                    }
                })
                .collect_view();
            let count = move || chosen.with(Vec::len).to_string();
            Some(view! {
                <details class="quantity-picker" data-testid="quantity-picker">
                    <summary>
                        {move || {
                            i18n.format(
                                "consumption.quantities_charted",
                                &[("count", &count()), ("total", &total.to_string())],
                            )
                        }}
                    </summary>
                    <fieldset class="quantity-picker__options">
                        <legend class="visually-hidden">{i18n.t("consumption.quantities_legend")}</legend>
                        {options}
                    </fieldset>
                </details>
            })
        })
    };
    let charts = move || {
        let chosen = chosen.get();
        statistics.with(|statistics| {
            let statistics = statistics.as_ref()?;
            let charts = statistics
                .quantities
                .iter()
                .filter(|quantity| chosen.contains(&quantity.quantity))
                .map(|quantity| statistics_chart(i18n, statistics.period, quantity))
                .collect_view();
            Some(charts)
        })
    };
    let table = move || {
        statistics.with(|statistics| {
            statistics
                .as_ref()
                .filter(|statistics| !statistics.quantities.is_empty())
                .map(|statistics| statistics_table(i18n, statistics))
        })
    };
    view! {
        <section class="card" data-testid="statistics">
            <h2>{move || i18n.t("consumption.statistics")}</h2>
            {status}
            <div class="statistics-layout">
                <div class="statistics-charts">
                    {picker}
                    <Show when=move || statistics.with(|s| s.as_ref().is_some_and(|s| !s.quantities.is_empty()))>
                        <ul class="legend">
                            <li>
                                <span class="legend__swatch legend__swatch--range"></span>
                                {move || i18n.t("consumption.legend_range")}
                            </li>
                            <li>
                                <span class="legend__swatch legend__swatch--mean"></span>
                                {move || i18n.t("consumption.mean")}
                            </li>
                        </ul>
                    </Show>
                    {charts}
                </div>
                {table}
            </div>
        </section>
    }
}

/// One quantity per bar of the period: a band from the minimum to the maximum and a mark at the
/// mean, the means joined by a line. The scale spans the period's extremes (a voltage moves
/// between 225 and 240 V, not from zero).
fn statistics_chart(i18n: I18n, period: HistogramPeriod, quantity: &QuantityStatistics) -> AnyView {
    let unit = quantity.unit;
    let name = i18n.t(quantity.quantity.label_key());
    let code = crate::quantity_code(quantity.quantity);
    let (Some(low), Some(high)) = (quantity.min, quantity.max) else {
        return view! {
            <figure class="statistics-chart" data-testid="statistics-chart" data-quantity=code>
                <figcaption>{name}</figcaption>
                <p class="empty">{i18n.t("consumption.no_data")}</p>
            </figure>
        }
        .into_any();
    };
    // A flat quantity still gets some height, centred on its value.
    let margin = if high > low {
        (high - low) * 0.05
    } else {
        high.abs().max(1.0) * 0.05
    };
    let (bottom, top) = (low - margin, high + margin);
    let y = move |value: f64| 100.0 - (value - bottom) / (top - bottom) * 100.0;
    let count = quantity.buckets.len().max(1);
    let width = count * 10;
    let mut means = Vec::new();
    let bars = quantity
        .buckets
        .iter()
        .enumerate()
        .map(|(index, bucket)| {
            let x = index * 10;
            let band = match (bucket.min, bucket.max) {
                (Some(min), Some(max)) => {
                    let height = (y(min) - y(max)).max(0.8);
                    Some(view! { <rect class="statistics-range" x=x + 2 y=y(max) width="6" height=height></rect> })
                }
                _ => None,
            };
            let mark = bucket.mean.map(|mean| {
                means.push(format!("{},{:.3}", x + 5, y(mean)));
                view! { <rect class="statistics-mean" x=x + 1 y=y(mean) - 0.75 width="8" height="1.5"></rect> }
            });
            view! {
                <g
                    data-testid="statistics-bar"
                    data-index=index
                    data-local=bucket.local.clone()
                    data-min=raw(bucket.min)
                    data-mean=raw(bucket.mean)
                    data-max=raw(bucket.max)
                >
                    {band}
                    {mark}
                </g>
            }
        })
        .collect_view();
    let step = count.div_ceil(8);
    let labels = quantity
        .buckets
        .iter()
        .enumerate()
        .map(|(index, bucket)| {
            let text = (index % step == 0).then(|| bar_label(i18n, period, &bucket.local));
            view! { <span class="bar-labels__item">{text}</span> }
        })
        .collect_view();
    let label = i18n.format("consumption.statistics_chart_label", &[("quantity", &name)]);
    view! {
        <figure class="statistics-chart" data-testid="statistics-chart" data-quantity=code>
            <figcaption>{name}</figcaption>
            <div class="chart-frame">
                <div class="chart-frame__max muted">{i18n.value(top, unit)}</div>
                <svg
                    class="bars statistics-bars"
                    viewBox=format!("0 0 {width} 100")
                    preserveAspectRatio="none"
                    role="img"
                    aria-label=label
                >
                    {bars}
                    <polyline class="statistics-mean-line" points=means.join(" ") vector-effect="non-scaling-stroke"></polyline>
                </svg>
                <div class="bar-labels" style=format!("grid-template-columns: repeat({count}, 1fr)")>{labels}</div>
                <div class="chart-frame__min muted">{i18n.value(bottom, unit)}</div>
            </div>
        </figure>
    }
    .into_any()
}

/// The period's minimum, mean and maximum of every quantity (the charts' text alternative).
fn statistics_table(i18n: I18n, statistics: &DeviceStatistics) -> AnyView {
    let rows = statistics
        .quantities
        .iter()
        .map(|quantity| {
            let unit = quantity.unit;
            let text = move |value: Option<f64>| value.map(|value| i18n.value(value, unit)).unwrap_or_else(|| "—".to_owned());
            view! {
                <tr data-testid="statistics-row" data-quantity=crate::quantity_code(quantity.quantity) data-min=raw(quantity.min) data-mean=raw(quantity.mean) data-max=raw(quantity.max)>
                    <th scope="row">{i18n.t(quantity.quantity.label_key())}</th>
                    <td>{text(quantity.min)}</td>
                    <td>{text(quantity.mean)}</td>
                    <td>{text(quantity.max)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-scroll">
            <table class="histogram-table statistics-table">
                <thead>
                    <tr>
                        <th scope="col">{i18n.t("consumption.quantity")}</th>
                        <th scope="col">{i18n.t("consumption.minimum")}</th>
                        <th scope="col">{i18n.t("consumption.mean")}</th>
                        <th scope="col">{i18n.t("consumption.maximum")}</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
    .into_any()
}
