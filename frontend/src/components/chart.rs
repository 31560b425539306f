use charts_rs::{BarChart, Series};
use leptos::prelude::*;
use shared::{HourlyEnergy, Unit};

use crate::i18n::use_i18n;

/// The unit a day's hourly consumption reads best in, and the factor from the base unit to it.
fn chart_unit(unit: Unit, largest: f64) -> (&'static str, f64) {
    match unit {
        Unit::CubicMetre if largest < 1.0 => ("dm³", 1_000.0),
        Unit::CubicMetre => ("m³", 1.0),
        Unit::WattHour if largest >= 1_000_000.0 => ("MWh", 0.000_001),
        Unit::WattHour => ("kWh", 0.001),
        other => (other.symbol(), 1.0),
    }
}

/// The label of each bar: the hour of its local start (`3` for 03:00), so a day the clocks
/// change reads 1, 3 … (the skipped hour) or 1, 2, 2, 3 … (the repeated one). A server that
/// sends no starts gets hours counted from midnight.
fn hour_labels(energy: &HourlyEnergy) -> Vec<String> {
    (0..energy.hours.len())
        .map(|index| {
            energy
                .starts
                .get(index)
                .and_then(|start| start.get(0..2))
                .and_then(|hour| hour.parse::<u32>().ok())
                .unwrap_or(index as u32)
                .to_string()
        })
        .collect()
}

/// The SVG of a day per hour, drawn by charts-rs, and the unit of its bars.
fn render(energy: &HourlyEnergy, series_name: &str) -> (String, &'static str) {
    let largest = energy
        .hours
        .iter()
        .flatten()
        .fold(0.0_f64, |largest, value| largest.max(value.abs()));
    let (symbol, factor) = chart_unit(energy.quantity.unit(), largest);
    // As many bars as the day has hours: 23 or 25 where the clocks change.
    let data: Vec<Option<f32>> = energy
        .hours
        .iter()
        .map(|value| value.map(|value| (value * factor) as f32))
        .collect();
    let labels = hour_labels(energy);

    let mut chart = BarChart::new(
        vec![Series::new_nullable(series_name.to_owned(), data)],
        labels,
    );
    // A phone gets a narrower drawing, so its labels stay readable once scaled to the screen.
    let narrow = web_sys::window()
        .and_then(|window| window.inner_width().ok())
        .and_then(|width| width.as_f64())
        .is_some_and(|width| width < 640.0);
    (chart.width, chart.height) = if narrow {
        (420.0, 260.0)
    } else {
        (960.0, 320.0)
    };
    chart.legend.show = Some(false);
    chart.margin.top = 14.0;
    chart.margin.right = 14.0;
    chart.series.colors = vec![(15, 92, 140).into()];
    if let Some(axis) = chart.y_axis_configs.first_mut() {
        axis.min = Some(0.0);
    }
    let svg = chart.svg().unwrap_or_default();
    (svg, symbol)
}

/// "Today, per hour": the consumption of each hour of the current day as bars.
#[component]
pub fn EnergyChart(#[prop(into)] energy: Signal<Option<HourlyEnergy>>) -> impl IntoView {
    let i18n = use_i18n();
    let drawn = Memo::new(move |_| {
        let name = i18n.t("device.consumption");
        energy.with(|energy| {
            energy.as_ref().map(|energy| {
                let recorded = energy.hours.iter().any(Option::is_some);
                let (svg, unit) = render(energy, &name);
                (svg, unit, recorded)
            })
        })
    });

    view! {
        <section class="card chart-card">
            <div class="section-head">
                <h2>{move || i18n.t("device.today_per_hour")}</h2>
                <span class="muted">
                    {move || {
                        drawn
                            .with(|drawn| drawn.as_ref().map(|(_, unit, _)| *unit))
                            .map(|unit| i18n.format("device.chart_unit", &[("unit", unit)]))
                    }}
                </span>
            </div>
            <Show when=move || drawn.with(|drawn| matches!(drawn, Some((_, _, false))))>
                <p class="muted">{move || i18n.t("device.no_history")}</p>
            </Show>
            <div
                class="chart"
                data-testid="energy-chart"
                data-bars=move || energy.with(|energy| energy.as_ref().map(|energy| energy.hours.len()))
                inner_html=move || drawn.with(|drawn| drawn.as_ref().map(|(svg, _, _)| svg.clone()).unwrap_or_default())
            ></div>
        </section>
    }
}
