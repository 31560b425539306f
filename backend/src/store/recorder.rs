//! Writes the latest values into the store at the sample rate.

use std::time::Duration;

use shared::DeviceStatus;
use tracing::warn;

use super::{Sample, Store};
use crate::live::LiveState;

/// Records every `period`, on multiples of the period (10-minute samples land on :00, :10, …).
pub async fn run(store: Store, live: LiveState, period: Duration) {
    let period_seconds = period.as_secs().max(1) as i64;
    loop {
        let now = chrono::Utc::now().timestamp();
        let next = (now / period_seconds + 1) * period_seconds;
        tokio::time::sleep(Duration::from_secs((next - now).max(1) as u64)).await;
        let samples = samples_at(&live, next, period_seconds);
        if samples.is_empty() {
            continue;
        }
        let writer = store.clone();
        match tokio::task::spawn_blocking(move || writer.record(&samples)).await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => warn!(%error, "cannot record samples"),
            Err(error) => warn!(%error, "the recording task failed"),
        }
    }
}

/// The samples to record at `time`: values of devices read successfully within the last period.
/// A value older than that is not recorded as if it were current.
fn samples_at(live: &LiveState, time: i64, period_seconds: i64) -> Vec<Sample> {
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
            device.values.into_iter().map(move |reading| Sample {
                device_id,
                quantity: reading.quantity,
                time,
                value: reading.value,
            })
        })
        .collect()
}
