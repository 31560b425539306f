//! Writes the latest values into the store at the sample rate. Counters are recorded as read at
//! the end of the period; gauges as the minimum, mean and maximum of every reading taken during
//! the period (followed through the live state's change broadcast), so a short peak between two
//! samples is not lost. Once a night, after a commit, it also runs Optimize (see [`nightly`](super::nightly)).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDateTime;
use shared::{DeviceInfo, DeviceStatus, Quantity, SiteConfig};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::watch;
use tracing::{info, warn};

use super::nightly::{NightlyOptimize, local_time};
use super::{Optimized, Sample, Store};
use crate::live::LiveState;

/// Readings of one gauge during the current period.
#[derive(Debug, Clone, Copy)]
struct Extremes {
    min: f64,
    max: f64,
    sum: f64,
    count: u32,
}

impl Extremes {
    fn new(value: f64) -> Extremes {
        Extremes {
            min: value,
            max: value,
            sum: value,
            count: 1,
        }
    }

    fn add(&mut self, value: f64) {
        self.min = self.min.min(value);
        self.max = self.max.max(value);
        self.sum += value;
        self.count += 1;
    }
}

/// Gauge readings of the current period by (device, quantity).
#[derive(Debug, Default)]
struct Period {
    gauges: HashMap<(u32, Quantity), Extremes>,
}

impl Period {
    fn take_in(&mut self, device: &DeviceInfo) {
        if device.status != DeviceStatus::On {
            return;
        }
        for reading in &device.values {
            if reading.quantity.is_counter() || !reading.value.is_finite() {
                continue;
            }
            self.gauges
                .entry((device.id, reading.quantity))
                .and_modify(|extremes| extremes.add(reading.value))
                .or_insert_with(|| Extremes::new(reading.value));
        }
    }
}

/// Where the time between two samples comes from.
#[derive(Debug)]
pub enum SamplePeriod {
    /// A fixed period (demonstrations and tests choose one on the command line).
    Fixed(Duration),
    /// The installation's sample rate (§7.16.4), followed when an installer changes it.
    Configured(watch::Receiver<Arc<SiteConfig>>),
}

impl SamplePeriod {
    fn seconds(&self) -> i64 {
        match self {
            SamplePeriod::Fixed(period) => period.as_secs().max(1) as i64,
            SamplePeriod::Configured(site) => {
                i64::from(site.borrow().recording.sample_minutes.max(1)) * 60
            }
        }
    }

    /// Resolves when the period may have changed; never for a fixed one.
    async fn changed(&mut self) {
        match self {
            SamplePeriod::Configured(site) => {
                if site.changed().await.is_err() {
                    // The configuration is gone (shutting down): the period stays as it is.
                    std::future::pending::<()>().await;
                }
            }
            SamplePeriod::Fixed(_) => std::future::pending().await,
        }
    }
}

/// Records every period, on multiples of the period (10-minute samples land on :00, :10, …).
/// A new sample rate applies from the next boundary of the new period; the readings gathered so
/// far count towards it.
pub async fn run(store: Store, live: LiveState, mut period: SamplePeriod) {
    let mut changes = live.subscribe();
    let mut current = Period::default();
    let mut nightly = NightlyOptimize::default();
    'sampling: loop {
        let period_seconds = period.seconds();
        let now = chrono::Utc::now().timestamp();
        let next = (now / period_seconds + 1) * period_seconds;
        let tick = tokio::time::sleep(Duration::from_secs((next - now).max(1) as u64));
        tokio::pin!(tick);
        loop {
            tokio::select! {
                () = &mut tick => break,
                () = period.changed() => {
                    if period.seconds() != period_seconds {
                        continue 'sampling;
                    }
                }
                change = changes.recv() => match change {
                    Ok(device) => current.take_in(&device),
                    // Missed readings only narrow the extremes; the latest values are still in
                    // the live state.
                    Err(RecvError::Lagged(_)) => {}
                    Err(RecvError::Closed) => {
                        (&mut tick).await;
                        break;
                    }
                },
            }
        }
        let samples = samples_at(&live, next, period_seconds, &std::mem::take(&mut current));
        if !samples.is_empty() {
            let writer = store.clone();
            match tokio::task::spawn_blocking(move || writer.record(&samples)).await {
                Ok(Ok(())) => {}
                Ok(Err(error)) => warn!(%error, "cannot record samples"),
                Err(error) => warn!(%error, "the recording task failed"),
            }
        }
        // Here, between two commits of this loop, Optimize never runs during one; the next
        // sample waits for it (and is skipped if it takes longer than a period: counters
        // spread the consumption of the gap, nothing is lost).
        if let Some(local) = local_time(store.time_zone(), next)
            && nightly.due(local)
        {
            optimize_tonight(&store, &mut nightly, local).await;
        }
    }
}

/// The nightly Optimize: compacts the file when that gives space back for good.
async fn optimize_tonight(store: &Store, nightly: &mut NightlyOptimize, local: NaiveDateTime) {
    let compactor = store.clone();
    let outcome = tokio::task::spawn_blocking(move || compactor.optimize_when_worth_it()).await;
    match outcome {
        Ok(Ok(Optimized::Compacted(compaction))) => {
            nightly.done(local);
            info!(
                before = compaction.file_bytes_before,
                after = compaction.file_bytes_after,
                seconds = compaction.duration.as_secs_f64(),
                "nightly optimize: file compacted"
            );
        }
        Ok(Ok(Optimized::NotWorthIt(space))) => {
            nightly.done(local);
            info!(
                file = space.file_bytes,
                in_use = space.allocated_bytes,
                "nightly optimize: not worth it, the next commit would grow the file back"
            );
        }
        // Usually a query's read transaction: the next commit of the night tries again.
        Ok(Err(error)) => {
            warn!(%error, "nightly optimize failed; trying again after the next sample");
        }
        Err(error) => {
            // A panic would recur: leave it for tonight.
            nightly.done(local);
            warn!(%error, "the nightly optimize task failed");
        }
    }
}

/// The samples to record at `time`: values of devices read successfully within the last period.
/// A value older than that is not recorded as if it were current.
fn samples_at(live: &LiveState, time: i64, period_seconds: i64, period: &Period) -> Vec<Sample> {
    live.snapshot()
        .into_iter()
        .filter(|device| {
            device.status == DeviceStatus::On
                && device
                    .updated_at
                    .is_some_and(|at| time * 1000 - at <= period_seconds * 1000)
        })
        .flat_map(|device| {
            let device_id = device.id;
            device.values.into_iter().map(move |reading| {
                let sample = Sample::new(device_id, reading.quantity, time, reading.value);
                match period.gauges.get(&(device_id, reading.quantity)) {
                    Some(extremes) if !reading.quantity.is_counter() => Sample {
                        value: extremes.sum / f64::from(extremes.count),
                        ..sample
                    }
                    .with_range(extremes.min, extremes.max),
                    _ => sample,
                }
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::Reading;

    #[tokio::test]
    async fn the_configured_sample_rate_is_followed_when_it_changes() {
        let (sender, receiver) = watch::channel(Arc::new(SiteConfig::default()));
        let mut period = SamplePeriod::Configured(receiver);
        assert_eq!(period.seconds(), 600, "10 minutes by default");
        let mut site = SiteConfig::default();
        site.recording.sample_minutes = 15;
        sender.send_replace(Arc::new(site));
        tokio::time::timeout(Duration::from_secs(1), period.changed())
            .await
            .expect("a change is noticed");
        assert_eq!(period.seconds(), 900);

        let mut fixed = SamplePeriod::Fixed(Duration::from_secs(2));
        assert_eq!(fixed.seconds(), 2);
        let waited = tokio::time::timeout(Duration::from_millis(50), fixed.changed()).await;
        assert!(waited.is_err(), "a fixed period never changes");
    }

    fn device(values: &[(Quantity, f64)]) -> DeviceInfo {
        DeviceInfo {
            id: 3,
            gateway_id: 1,
            name: "Flat 1".into(),
            modbus_address: 2,
            position: None,
            model_id: "m".into(),
            model_name: "M".into(),
            commodity: shared::Commodity::Electricity,
            status: DeviceStatus::On,
            last_error: None,
            values: values
                .iter()
                .map(|&(quantity, value)| Reading { quantity, value })
                .collect(),
            updated_at: Some(1_000_000),
        }
    }

    #[test]
    fn gauges_are_summarised_and_counters_taken_as_read() {
        let mut period = Period::default();
        for (power, energy) in [(100.0, 10.0), (900.0, 11.0), (200.0, 12.0)] {
            period.take_in(&device(&[
                (Quantity::ActivePower, power),
                (Quantity::ActiveEnergyImport, energy),
            ]));
        }
        let live = LiveState::new(vec![device(&[
            (Quantity::ActivePower, 200.0),
            (Quantity::ActiveEnergyImport, 12.0),
        ])]);
        let samples = samples_at(&live, 1_000, 600, &period);
        assert_eq!(
            samples,
            vec![
                Sample::new(3, Quantity::ActivePower, 1_000, 400.0).with_range(100.0, 900.0),
                Sample::new(3, Quantity::ActiveEnergyImport, 1_000, 12.0),
            ]
        );
        // A device not read during the period is not recorded.
        assert!(samples_at(&live, 10_000, 600, &period).is_empty());
    }
}
