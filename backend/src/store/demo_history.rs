//! Plausible history for a demonstration: two years of 10-minute samples of every device, made in
//! seconds when the store is empty, so every page has data at once (`--demo-history`).
//!
//! Electricity follows a daily profile (morning and evening peaks) with seasons (heating and
//! lighting more in winter), a quieter weekend, day-to-day variation and noise; a meter whose name
//! says solar or PV exports at midday, more in summer and less on cloudy days. Water has
//! morning and evening draws; gas heats in winter. Counters end at the device's current reading
//! when it is known, so the first live sample continues the history without a jump; where the
//! history would need a negative start, its consumption is scaled down to fit.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

use chrono::{Datelike, TimeZone, Timelike};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use shared::{Commodity, DeviceStatus, Quantity};
use tracing::{info, warn};

use super::{Sample, Store, StoreError};
use crate::live::LiveState;

/// Step of the generated samples.
pub const STEP_SECONDS: i64 = 600;
/// Days of history made by [`fill_then`].
pub const DEMO_DAYS: i64 = 2 * 365 + 1;

/// A device to make history for.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoDevice {
    pub id: u32,
    pub name: String,
    pub commodity: Commodity,
    /// The device's counter readings now, where known: the history ends at them.
    pub readings: BTreeMap<Quantity, f64>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    General,
    Heating,
    Lighting,
    Solar,
    Water,
    Gas,
}

fn kind_of(device: &DemoDevice) -> Kind {
    let name = device.name.to_lowercase();
    let has = |words: &[&str]| words.iter().any(|word| name.contains(word));
    match device.commodity {
        Commodity::Water => Kind::Water,
        Commodity::Gas => Kind::Gas,
        Commodity::Heat => Kind::Heating,
        Commodity::Electricity if has(&["solar", "pv", "photovolt"]) => Kind::Solar,
        Commodity::Electricity if has(&["heat", "chauff", "pompe"]) => Kind::Heating,
        Commodity::Electricity if has(&["light", "éclair", "eclair"]) => Kind::Lighting,
        Commodity::Electricity => Kind::General,
    }
}

fn bump(hour: f64, centre: f64, width: f64) -> f64 {
    (-((hour - centre) / width).powi(2)).exp()
}

/// One device's series over the history, before they are fitted to the current readings.
struct Made {
    /// Consumption per step, by counter (Wh or m³).
    counters: BTreeMap<Quantity, Vec<f64>>,
    /// Active power per step: (min, mean, max) in W.
    power: Vec<(f64, f64, f64)>,
}

fn make(device: &DemoDevice, times: &[i64], zone: chrono_tz::Tz) -> Made {
    let mut rng = StdRng::seed_from_u64(u64::from(device.id).wrapping_mul(0x9e37_79b9_7f4a_7c15));
    let kind = kind_of(device);
    let base = rng.random_range(150.0..1_500.0);
    let peak = base * rng.random_range(1.5..4.0);
    let solar_peak = rng.random_range(6_000.0..9_000.0);
    let peak_flow = match kind {
        Kind::Gas => rng.random_range(2.0..3.5),
        _ => rng.random_range(0.6..1.0),
    };
    let hours = STEP_SECONDS as f64 / 3600.0;
    let mut day_factor = 1.0;
    let mut clouds = 1.0;
    let mut current_day = None;
    let mut import = Vec::with_capacity(times.len());
    let mut export = Vec::with_capacity(times.len());
    let mut volume = Vec::with_capacity(times.len());
    let mut power = Vec::with_capacity(times.len());
    for &time in times {
        let local = zone
            .timestamp_opt(time - STEP_SECONDS / 2, 0)
            .single()
            .map(|local| local.naive_local())
            .unwrap_or_default();
        let date = local.date();
        if current_day != Some(date) {
            current_day = Some(date);
            day_factor = rng.random_range(0.85..1.15);
            clouds = rng.random_range(0.25..1.0);
        }
        let hour = f64::from(local.hour()) + f64::from(local.minute()) / 60.0;
        // 1 in mid-January, −1 in mid-July.
        let winter =
            (2.0 * std::f64::consts::PI * (f64::from(local.ordinal()) - 15.0) / 365.25).cos();
        let weekend = if date.weekday().number_from_monday() >= 6 {
            0.85
        } else {
            1.0
        };
        let noise = 1.0 + rng.random_range(-0.12..0.12);
        match kind {
            Kind::Water | Kind::Gas => {
                let profile = 0.02 + 0.3 * (bump(hour, 7.5, 1.0) + bump(hour, 19.5, 1.5));
                let season = if kind == Kind::Gas {
                    0.25 + 0.75 * winter.max(0.0)
                } else {
                    1.0
                };
                volume.push(peak_flow * profile * season * day_factor * noise * hours);
            }
            _ => {
                let season = match kind {
                    Kind::Heating => 1.0 + 0.8 * winter,
                    Kind::Lighting => 1.0 + 0.4 * winter,
                    _ => 1.0 + 0.2 * winter,
                };
                let load = (base + peak * (0.8 * bump(hour, 7.5, 1.2) + bump(hour, 19.5, 2.0)))
                    * season
                    * weekend
                    * day_factor
                    * noise;
                let solar = if kind == Kind::Solar {
                    let daylight = ((hour - 6.0) / 14.0 * std::f64::consts::PI).sin().max(0.0);
                    solar_peak * daylight.powf(1.5) * (1.0 - 0.5 * winter) * clouds
                } else {
                    0.0
                };
                let net = load - solar;
                import.push(net.max(0.0) * hours);
                export.push((-net).max(0.0) * hours);
                let swing = net.abs() * rng.random_range(0.02..0.25);
                power.push((net - swing, net, net + swing * 2.0));
            }
        }
    }
    let mut counters = BTreeMap::new();
    match kind {
        Kind::Water | Kind::Gas => {
            counters.insert(Quantity::Volume, volume);
        }
        Kind::Solar => {
            counters.insert(Quantity::ActiveEnergyImport, import);
            counters.insert(Quantity::ActiveEnergyExport, export);
        }
        _ => {
            counters.insert(Quantity::ActiveEnergyImport, import);
        }
    }
    Made { counters, power }
}

/// Writes `days` days of samples every 10 minutes ending at `end` (Unix seconds) for `devices`;
/// returns how many samples were written. The last samples are at `end` itself, so a counter
/// that ends at the device's reading taken now joins the live samples without a step.
pub fn generate(
    store: &Store,
    devices: &[DemoDevice],
    end: i64,
    days: i64,
) -> Result<usize, StoreError> {
    let steps = days * 86_400 / STEP_SECONDS;
    let times: Vec<i64> = (0..=steps)
        .map(|step| end - (steps - step) * STEP_SECONDS)
        .collect();
    let zone = store.time_zone();
    // (device, quantity, (min, value, max) per time).
    type Series = (u32, Quantity, Vec<(f64, f64, f64)>);
    let mut series: Vec<Series> = Vec::new();
    for device in devices {
        let made = make(device, &times, zone);
        for (quantity, consumption) in made.counters {
            // The first time has no consumption before it: it is the starting reading.
            let total: f64 = consumption[1..].iter().sum();
            let (start, scale) = match device.readings.get(&quantity) {
                Some(&now) if total <= 0.9 * now => (now - total, 1.0),
                Some(&now) if now > 0.0 => (0.1 * now, 0.9 * now / total),
                _ => (0.0, 1.0),
            };
            let mut reading = start;
            let readings = consumption
                .iter()
                .enumerate()
                .map(|(index, used)| {
                    if index > 0 {
                        reading += used * scale;
                    }
                    (reading, reading, reading)
                })
                .collect();
            series.push((device.id, quantity, readings));
        }
        if !made.power.is_empty() {
            series.push((device.id, Quantity::ActivePower, made.power));
        }
    }
    // A month of samples per transaction keeps memory small.
    let per_batch = (31 * 86_400 / STEP_SECONDS) as usize;
    let mut written = 0;
    for first in (0..times.len()).step_by(per_batch) {
        let last = (first + per_batch).min(times.len());
        let mut samples = Vec::with_capacity((last - first) * series.len());
        for (device, quantity, values) in &series {
            for index in first..last {
                let (min, value, max) = values[index];
                samples.push(
                    Sample::new(*device, *quantity, times[index], value).with_range(min, max),
                );
            }
        }
        store.record(&samples)?;
        written += samples.len();
    }
    Ok(written)
}

/// With an empty store: waits (up to 20 s) for the devices' first readings, makes two years of
/// history ending at them, then runs `next` (the recorder, which must not record before the
/// history is in). With history already there, runs `next` at once.
pub async fn fill_then(store: Store, live: LiveState, next: impl Future<Output = ()>) {
    match store.has_history() {
        Ok(false) => {
            let devices = wait_for_readings(&live).await;
            let started = std::time::Instant::now();
            let end = chrono::Utc::now().timestamp();
            let writer = store.clone();
            let count = devices.len();
            match tokio::task::spawn_blocking(move || generate(&writer, &devices, end, DEMO_DAYS))
                .await
            {
                Ok(Ok(samples)) => info!(
                    devices = count,
                    samples,
                    seconds = started.elapsed().as_secs_f64(),
                    "demo history written"
                ),
                Ok(Err(error)) => warn!(%error, "cannot write the demo history"),
                Err(error) => warn!(%error, "the demo history task failed"),
            }
        }
        Ok(true) => info!("history present: no demo history added"),
        Err(error) => warn!(%error, "cannot check the history"),
    }
    next.await;
}

async fn wait_for_readings(live: &LiveState) -> Vec<DemoDevice> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let snapshot = live.snapshot();
        let waiting = snapshot
            .iter()
            .any(|device| device.status == DeviceStatus::Pending);
        if !waiting || tokio::time::Instant::now() >= deadline {
            return snapshot
                .into_iter()
                .map(|device| DemoDevice {
                    id: device.id,
                    readings: device
                        .values
                        .iter()
                        .filter(|reading| reading.quantity.is_counter())
                        .map(|reading| (reading.quantity, reading.value))
                        .collect(),
                    name: device.name,
                    commodity: device.commodity,
                })
                .collect();
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::super::Period;
    use super::*;

    fn device(id: u32, name: &str, commodity: Commodity, reading: Option<f64>) -> DemoDevice {
        DemoDevice {
            id,
            name: name.into(),
            commodity,
            readings: reading
                .map(|value| (commodity.consumption_quantity(), value))
                .into_iter()
                .collect(),
        }
    }

    #[test]
    fn two_years_end_at_the_current_readings() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("demo.redb")).unwrap();
        store.set_time_zone(chrono_tz::Europe::Paris).unwrap();
        let end = 1_790_000_000;
        let devices = [
            device(
                1,
                "General supply",
                Commodity::Electricity,
                Some(48_210_000.0),
            ),
            device(2, "Workshop and roof solar", Commodity::Electricity, None),
            device(3, "Cold water", Commodity::Water, Some(1_234.567)),
            device(4, "Boiler gas", Commodity::Gas, Some(100.0)),
        ];
        let written = generate(&store, &devices, end, DEMO_DAYS).unwrap();
        let steps = (DEMO_DAYS * 144 + 1) as usize;
        // Electricity: import and power; solar: import, export and power; water, gas: volume.
        assert_eq!(written, steps * (2 + 3 + 1 + 1));
        let last = |id, quantity| store.series(id, quantity, end, end).unwrap()[0].value;
        assert_eq!(last(1, Quantity::ActiveEnergyImport), 48_210_000.0);
        assert!((last(3, Quantity::Volume) - 1_234.567).abs() < 0.001);
        // Gas would need more than 100 m³: scaled to fit, never below zero.
        assert!((last(4, Quantity::Volume) - 100.0).abs() < 0.001);
        let first = store
            .series(4, Quantity::Volume, 0, end - (DEMO_DAYS - 1) * 86_400)
            .unwrap();
        assert!(first.iter().all(|point| point.value >= 0.0));
        // Solar exports at midday in summer and not at night.
        let june_day = store
            .consumption_histogram(
                &[2],
                Quantity::ActiveEnergyExport,
                Period::Day,
                chrono::NaiveDate::from_ymd_opt(2026, 6, 21).unwrap(),
            )
            .unwrap();
        assert!(june_day[13].value.unwrap() > 1_000.0, "{june_day:?}");
        assert_eq!(june_day[2].value, Some(0.0));
        // Gas heats more in January than in July.
        let year = store
            .consumption_histogram(
                &[4],
                Quantity::Volume,
                Period::Year,
                chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            )
            .unwrap();
        assert!(year[0].value.unwrap() > 2.0 * year[6].value.unwrap());
    }
}
