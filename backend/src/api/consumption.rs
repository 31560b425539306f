//! The consumption pages' data (§8.2.2): histograms of a device set (total, load, group, device)
//! for a period and the one before it, a device's measured quantities, `datalogger.csv` (§8.2.2.6)
//! and the CSV settings (§8.4.1).
//!
//! Which devices a scope sums comes from the installation model; the sums come from the store.
//! Parameters are checked by the rules in `shared` (the browser runs the same ones).

use std::borrow::Cow;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{NaiveDate, TimeZone};
use serde::Deserialize;
use shared::{
    CalendarDate, Catalog, Commodity, ConsumptionHistogram, ConsumptionQuery, ConsumptionScope,
    ConsumptionScopes, CsvSettings, DeviceConfig, DeviceProfile, DeviceStatistics, HistogramBucket,
    HistogramPeriod, Language, LoadStack, Quantity, QuantityStatistics, ScopeDevice, SiteConfig,
    StatisticsBucket, Translations, Unit, datalogger_csv, validate_csv_settings,
};
use tracing::info;

use super::error::AppError;
use super::extract::{AppJson, AppPath, AppQuery, CurrentUser};
use crate::AppState;
use crate::store::{Bucket, Period, Store, Tz};

/// The query string of the consumption endpoints, as sent; checked by
/// [`ConsumptionQuery::parse`].
#[derive(Debug, Default, Deserialize)]
pub struct ConsumptionParameters {
    scope: Option<String>,
    commodity: Option<String>,
    period: Option<String>,
    date: Option<String>,
    /// Language of the CSV's column names (`en`, `fr`).
    lang: Option<String>,
}

/// The query string of `GET /api/devices/{id}/statistics`.
#[derive(Debug, Default, Deserialize)]
pub struct StatisticsParameters {
    period: Option<String>,
    date: Option<String>,
}

fn store_period(period: HistogramPeriod) -> Period {
    match period {
        HistogramPeriod::Day => Period::Day,
        HistogramPeriod::Month => Period::Month,
        HistogramPeriod::Year => Period::Year,
        HistogramPeriod::Decade => Period::Decade,
    }
}

fn naive(date: CalendarDate) -> Result<NaiveDate, AppError> {
    NaiveDate::from_ymd_opt(date.year, date.month, date.day)
        .ok_or_else(|| AppError::Internal(format!("calendar date {date} has no chrono date")))
}

fn calendar(date: NaiveDate) -> Result<CalendarDate, AppError> {
    use chrono::Datelike;
    CalendarDate::new(date.year(), date.month(), date.day())
        .ok_or_else(|| AppError::Internal(format!("today ({date}) is outside the calendar")))
}

/// `YYYY-MM-DDTHH:MM` of a Unix time in the installation's zone.
fn local_label(zone: Tz, start: i64) -> String {
    zone.timestamp_opt(start, 0)
        .earliest()
        .map(|time| time.format("%Y-%m-%dT%H:%M").to_string())
        .unwrap_or_default()
}

/// A device's model: from the catalog, or built from its own settings for the generic meter.
fn profile_of<'a>(catalog: &'a Catalog, device: &DeviceConfig) -> Option<Cow<'a, DeviceProfile>> {
    match catalog.get(&device.model) {
        Some(profile) => Some(Cow::Borrowed(profile)),
        None => crate::acquisition::generic_profile(device).map(Cow::Owned),
    }
}

/// What a device meters, for the consumption pages: `None` when it reads no energy or volume
/// counter (an I/O module), so that it is in no commodity's total and offers no histogram.
fn commodity_of(catalog: &Catalog, device: &DeviceConfig) -> Option<Commodity> {
    profile_of(catalog, device)?.metered_commodity(device.commodity, device.position)
}

/// The devices a scope sums, and the commodity they meter. Unknown loads, groups and devices
/// are 404: the page asked for something that is not (or no longer) there. A tenant's scopes
/// hold only their own devices: their grand total is the total of their devices, and another
/// tenant's device is as unknown as one that never existed.
fn scope_devices(
    state: &AppState,
    user: &CurrentUser,
    site: &SiteConfig,
    scope: &ConsumptionScope,
    commodity: Commodity,
) -> Result<(Vec<u32>, Commodity), AppError> {
    let catalog = state.configuration.catalog();
    let counted = |device: &&DeviceConfig| {
        user.sees(device.id)
            && !device.exclude_from_totals
            && commodity_of(catalog, device) == Some(commodity)
    };
    let devices: Vec<u32> = match scope {
        ConsumptionScope::Total => site
            .devices
            .iter()
            .filter(counted)
            .map(|device| device.id)
            .collect(),
        ConsumptionScope::Load(load) => {
            if !site.loads.iter().any(|known| &known.id == load) {
                return Err(AppError::NotFound);
            }
            site.devices
                .iter()
                .filter(|device| &device.load_type == load)
                .filter(counted)
                .map(|device| device.id)
                .collect()
        }
        ConsumptionScope::Group(group) => {
            if !site.groups.iter().any(|known| known.id == *group) {
                return Err(AppError::NotFound);
            }
            site.devices
                .iter()
                .filter(|device| device.groups.contains(group))
                .filter(counted)
                .map(|device| device.id)
                .collect()
        }
        ConsumptionScope::Device(id) => {
            // Details show a device whether it counts in totals or not, in its own commodity.
            let own = site
                .devices
                .iter()
                .find(|device| device.id == *id && user.sees(device.id))
                .and_then(|device| commodity_of(catalog, device))
                .ok_or(AppError::NotFound)?;
            return Ok((vec![*id], own));
        }
    };
    Ok((devices, commodity))
}

fn buckets(zone: Tz, buckets: &[Bucket]) -> Vec<HistogramBucket> {
    buckets
        .iter()
        .map(|bucket| HistogramBucket {
            start: bucket.start,
            local: local_label(zone, bucket.start),
            value: bucket.value,
        })
        .collect()
}

/// The sum of the bars with data; `None` when none has any.
fn total(buckets: &[HistogramBucket]) -> Option<f64> {
    buckets
        .iter()
        .filter_map(|bucket| bucket.value)
        .fold(None, |sum, value| Some(sum.unwrap_or(0.0) + value))
}

/// Computes the histogram a query asks for (blocking: call from `spawn_blocking`).
fn histogram(
    store: &Store,
    site: &SiteConfig,
    scope: &ConsumptionScope,
    devices: Vec<u32>,
    commodity: Commodity,
    period: HistogramPeriod,
    date: CalendarDate,
) -> Result<ConsumptionHistogram, AppError> {
    let zone = store.time_zone();
    let quantity = commodity.consumption_quantity();
    let previous_date = date.step(period, -1);
    let current = buckets(
        zone,
        &store.consumption_histogram(&devices, quantity, store_period(period), naive(date)?)?,
    );
    let previous = match previous_date {
        Some(previous) => buckets(
            zone,
            &store.consumption_histogram(
                &devices,
                quantity,
                store_period(period),
                naive(previous)?,
            )?,
        ),
        None => Vec::new(),
    };
    // The grand total's bars split by load type (§8.2.2.1); loads without data are left out.
    // The installation's loads first, in its order, then the automatic ones (`water`, `gas`)
    // that water and gas meters may have instead: every device summed is in one part.
    let mut stacks = Vec::new();
    if *scope == ConsumptionScope::Total {
        let mut loads: Vec<(&str, &str)> = site
            .loads
            .iter()
            .map(|load| (load.id.as_str(), load.name.as_str()))
            .collect();
        for device in site.devices.iter().filter(|d| devices.contains(&d.id)) {
            if !loads.iter().any(|(id, _)| *id == device.load_type) {
                loads.push((device.load_type.as_str(), ""));
            }
        }
        for (load, name) in loads {
            let members: Vec<u32> = site
                .devices
                .iter()
                .filter(|device| device.load_type == load && devices.contains(&device.id))
                .map(|device| device.id)
                .collect();
            if members.is_empty() {
                continue;
            }
            let values: Vec<Option<f64>> = store
                .consumption_histogram(&members, quantity, store_period(period), naive(date)?)?
                .iter()
                .map(|bucket| bucket.value)
                .collect();
            if values.iter().any(Option::is_some) {
                stacks.push(LoadStack {
                    load: load.to_owned(),
                    name: name.to_owned(),
                    values,
                });
            }
        }
    }
    Ok(ConsumptionHistogram {
        scope: scope.to_string(),
        commodity,
        period,
        date: date.to_string(),
        previous_date: previous_date
            .map(|date| date.to_string())
            .unwrap_or_default(),
        quantity,
        unit: quantity.unit(),
        devices,
        total: total(&current),
        previous_total: total(&previous),
        buckets: current,
        previous,
        stacks,
    })
}

/// Checks the parameters and computes the histogram.
async fn answer(
    state: &AppState,
    user: &CurrentUser,
    parameters: &ConsumptionParameters,
) -> Result<ConsumptionHistogram, AppError> {
    let query = ConsumptionQuery::parse(
        parameters.scope.as_deref(),
        parameters.commodity.as_deref(),
        parameters.period.as_deref(),
        parameters.date.as_deref(),
    )?;
    let site = state.configuration.current();
    let (devices, commodity) = scope_devices(state, user, &site, &query.scope, query.commodity)?;
    let store = state.store.clone();
    let date = match query.date {
        Some(date) => date,
        None => calendar(store.today())?,
    };
    tokio::task::spawn_blocking(move || {
        histogram(
            &store,
            &site,
            &query.scope,
            devices,
            commodity,
            query.period,
            date,
        )
    })
    .await?
}

/// `GET /api/consumption`: the histogram of a scope over a period and the period before.
pub async fn consumption_get(
    State(state): State<AppState>,
    user: CurrentUser,
    AppQuery(parameters): AppQuery<ConsumptionParameters>,
) -> Result<AppJson<ConsumptionHistogram>, AppError> {
    Ok(AppJson(answer(&state, &user, &parameters).await?))
}

/// `GET /api/consumption/datalogger.csv`: the bars of the period shown as CSV, with the
/// installation's separators.
pub async fn datalogger_get(
    State(state): State<AppState>,
    user: CurrentUser,
    AppQuery(parameters): AppQuery<ConsumptionParameters>,
) -> Result<Response, AppError> {
    let histogram = answer(&state, &user, &parameters).await?;
    let language = parameters
        .lang
        .as_deref()
        .and_then(Language::from_code)
        .unwrap_or(Language::En);
    let translations = Translations::load(language);
    let names: Vec<String> = histogram
        .stacks
        .iter()
        .map(|stack| {
            if stack.name.is_empty() {
                translations
                    .get(&format!("load_type.{}", stack.load))
                    .to_owned()
            } else {
                stack.name.clone()
            }
        })
        .collect();
    let settings = state.configuration.current().csv;
    let body = datalogger_csv(&histogram, &names, &settings);
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"datalogger.csv\"",
            ),
        ],
        body,
    )
        .into_response())
}

/// The gauges a device's model measures, in catalog order, once each (harmonics and numbered
/// inputs are left out: they have pages of their own).
fn measured_gauges(state: &AppState, site: &SiteConfig, id: u32) -> Vec<Quantity> {
    let Some(device) = site.devices.iter().find(|device| device.id == id) else {
        return Vec::new();
    };
    let Some(profile) = profile_of(state.configuration.catalog(), device) else {
        return Vec::new();
    };
    let mut quantities = Vec::new();
    for register in profile.registers_for(device.position) {
        let quantity = register.quantity;
        if !quantity.is_counter()
            && quantity.unit() != Unit::State
            && register.index.is_none()
            && register.order.is_none()
            && !quantities.contains(&quantity)
        {
            quantities.push(quantity);
        }
    }
    quantities
}

/// `GET /api/devices/{id}/statistics`: min, mean and max per bar of each measured quantity.
pub async fn statistics_get(
    State(state): State<AppState>,
    user: CurrentUser,
    AppPath(id): AppPath<u32>,
    AppQuery(parameters): AppQuery<StatisticsParameters>,
) -> Result<AppJson<DeviceStatistics>, AppError> {
    let period = parameters
        .period
        .as_deref()
        .map_or(Ok(HistogramPeriod::Day), HistogramPeriod::parse)?;
    let date = parameters
        .date
        .as_deref()
        .map(CalendarDate::parse)
        .transpose()?;
    let site = state.configuration.current();
    if !site.devices.iter().any(|device| device.id == id) || !user.sees(id) {
        return Err(AppError::NotFound);
    }
    let quantities = measured_gauges(&state, &site, id);
    let store = state.store.clone();
    let date = match date {
        Some(date) => date,
        None => calendar(store.today())?,
    };
    let day = naive(date)?;
    let statistics = tokio::task::spawn_blocking(move || -> Result<_, AppError> {
        let zone = store.time_zone();
        let mut found = Vec::new();
        for quantity in quantities {
            let buckets = store.gauge_histogram(&[id], quantity, store_period(period), day)?;
            if buckets.iter().all(|bucket| bucket.statistics.is_none()) {
                continue;
            }
            let with_data: Vec<_> = buckets.iter().filter_map(|b| b.statistics).collect();
            let periods: u64 = with_data.iter().map(|s| s.periods).sum();
            // The period's mean weighs each bar by its sample periods.
            let mean = (periods > 0).then(|| {
                with_data
                    .iter()
                    .map(|s| s.mean * s.periods as f64)
                    .sum::<f64>()
                    / periods as f64
            });
            found.push(QuantityStatistics {
                quantity,
                unit: quantity.unit(),
                min: with_data.iter().map(|s| s.min).reduce(f64::min),
                mean,
                max: with_data.iter().map(|s| s.max).reduce(f64::max),
                buckets: buckets
                    .iter()
                    .map(|bucket| StatisticsBucket {
                        start: bucket.start,
                        local: local_label(zone, bucket.start),
                        min: bucket.statistics.map(|s| s.min),
                        mean: bucket.statistics.map(|s| s.mean),
                        max: bucket.statistics.map(|s| s.max),
                    })
                    .collect(),
            });
        }
        Ok(found)
    })
    .await??;
    Ok(AppJson(DeviceStatistics {
        device_id: id,
        period,
        date: date.to_string(),
        quantities: statistics,
    }))
}

/// `GET /api/consumption/scopes`: the loads, groups and devices the pages offer.
pub async fn scopes_get(
    State(state): State<AppState>,
    user: CurrentUser,
) -> AppJson<ConsumptionScopes> {
    let site = state.configuration.current();
    // A tenant is offered the groups that hold one of their devices, and only their devices.
    let holds_visible_device = |group: &shared::MeasureGroup| {
        site.devices
            .iter()
            .any(|device| device.groups.contains(&group.id) && user.sees(device.id))
    };
    let catalog = state.configuration.catalog();
    AppJson(ConsumptionScopes {
        loads: site
            .loads
            .iter()
            .filter(|load| load.enabled)
            .cloned()
            .collect(),
        groups: site
            .groups
            .iter()
            .filter(|group| group.enabled && holds_visible_device(group))
            .cloned()
            .collect(),
        devices: site
            .devices
            .iter()
            .filter(|device| user.sees(device.id))
            .filter_map(|device| {
                Some(ScopeDevice {
                    id: device.id,
                    name: device.name.clone(),
                    commodity: commodity_of(catalog, device)?,
                    load_type: device.load_type.clone(),
                    exclude_from_totals: device.exclude_from_totals,
                })
            })
            .collect(),
        csv: site.csv,
    })
}

/// `GET /api/config/csv`: the CSV separators, for every user (the download uses them).
pub async fn csv_get(State(state): State<AppState>, _user: CurrentUser) -> AppJson<CsvSettings> {
    AppJson(state.configuration.current().csv)
}

/// `PUT /api/config/csv`: changes the CSV separators (§8.4.1).
pub async fn csv_update(
    State(state): State<AppState>,
    user: CurrentUser,
    AppJson(settings): AppJson<CsvSettings>,
) -> Result<AppJson<CsvSettings>, AppError> {
    validate_csv_settings(&settings)?;
    let updated = state
        .configuration
        .update(move |site, _| {
            site.csv = settings;
            Ok(settings)
        })
        .await?;
    info!(
        user = %user.username(),
        field = %updated.field_separator.escape_default(),
        decimal = %updated.decimal_separator,
        "CSV separators changed"
    );
    Ok(AppJson(updated))
}
