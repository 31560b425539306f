//! Gateways, devices with their live values, and today's hourly consumption.

use axum::extract::State;
use chrono::{NaiveDate, TimeZone};
use shared::{
    DeviceInfo, GatewayDiagnostics, GatewayInfo, GatewayKind, GatewayLink, HourlyEnergy, Quantity,
};

use super::error::AppError;
use super::extract::{AppJson, AppPath, CurrentUser};
use crate::AppState;
use crate::store::{Bucket, Period, Tz};

/// `GET /api/gateways`.
pub async fn gateways(
    State(state): State<AppState>,
    user: CurrentUser,
) -> AppJson<Vec<GatewayInfo>> {
    let site = state.configuration.current();
    // A tenant sees the gateways of their own devices only.
    let shown = |gateway: &&shared::GatewayConfig| {
        user.grant().devices.is_none()
            || site
                .devices
                .iter()
                .any(|device| device.gateway == gateway.id && user.sees(device.id))
    };
    let gateways = site
        .gateways
        .iter()
        .filter(shown)
        .map(|gateway| {
            let (kind, address) = match &gateway.link {
                GatewayLink::Local { serial_port, .. } => (GatewayKind::Local, serial_port.clone()),
                GatewayLink::ModbusTcp { host, port, .. } => {
                    (GatewayKind::ModbusTcp, format!("{host}:{port}"))
                }
                GatewayLink::Han { serial_port, .. } => (GatewayKind::Han, serial_port.clone()),
            };
            GatewayInfo {
                id: gateway.id,
                name: gateway.name.clone(),
                kind,
                address,
                enabled: gateway.enabled,
            }
        })
        .collect();
    AppJson(gateways)
}

/// `GET /api/devices`: every device the user may see, with its latest values.
pub async fn devices(State(state): State<AppState>, user: CurrentUser) -> AppJson<Vec<DeviceInfo>> {
    let mut devices = state.live.snapshot();
    devices.retain(|device| user.sees(device.id));
    AppJson(devices)
}

/// The live state of device `id`, if the user may see it (another tenant's device is as unknown
/// as one that does not exist).
fn visible_device(state: &AppState, user: &CurrentUser, id: u32) -> Result<DeviceInfo, AppError> {
    state
        .live
        .get(id)
        .filter(|_| user.sees(id))
        .ok_or(AppError::NotFound)
}

/// `GET /api/devices/{id}`.
pub async fn device(
    State(state): State<AppState>,
    user: CurrentUser,
    AppPath(id): AppPath<u32>,
) -> Result<AppJson<DeviceInfo>, AppError> {
    visible_device(&state, &user, id).map(AppJson)
}

/// `GET /api/devices/{id}/energy/today`: consumption per local hour of today.
pub async fn energy_today(
    State(state): State<AppState>,
    user: CurrentUser,
    AppPath(id): AppPath<u32>,
) -> Result<AppJson<HourlyEnergy>, AppError> {
    let device = visible_device(&state, &user, id)?;
    let quantity = device.commodity.consumption_quantity();
    let store = state.store.clone();
    let today = store.today();
    let zone = store.time_zone();
    let buckets = tokio::task::spawn_blocking(move || {
        store.consumption_histogram(&[id], quantity, Period::Day, today)
    })
    .await??;
    Ok(AppJson(hourly_energy(id, today, quantity, zone, &buckets)))
}

/// A day's hourly bars as the device page draws them: as many as the local day has hours (the
/// store gives 23 or 25 where the clocks change), each with its local start.
fn hourly_energy(
    device_id: u32,
    date: NaiveDate,
    quantity: Quantity,
    zone: Tz,
    buckets: &[Bucket],
) -> HourlyEnergy {
    HourlyEnergy {
        device_id,
        date: date.format("%Y-%m-%d").to_string(),
        quantity,
        hours: buckets.iter().map(|bucket| bucket.value).collect(),
        starts: buckets
            .iter()
            .map(|bucket| {
                zone.timestamp_opt(bucket.start, 0)
                    .earliest()
                    .map(|time| time.format("%H:%M").to_string())
                    .unwrap_or_default()
            })
            .collect(),
    }
}

/// `GET /api/diagnostics`: bus statistics per gateway and device, for installers.
pub async fn diagnostics(
    State(state): State<AppState>,
    _user: CurrentUser,
) -> AppJson<Vec<GatewayDiagnostics>> {
    let site = state.configuration.current();
    let statistics = &state.acquisition.diagnostics;
    let gateways = site
        .gateways
        .iter()
        .map(|gateway| GatewayDiagnostics {
            gateway_id: gateway.id,
            name: gateway.name.clone(),
            enabled: gateway.enabled,
            devices: site
                .devices
                .iter()
                .filter(|device| device.gateway == gateway.id)
                .map(|device| statistics.device(device.id, &device.name))
                .collect(),
        })
        .collect();
    AppJson(gateways)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hourly bars of `date` in Paris, as the store cuts them, one Wh each.
    fn day(date: NaiveDate) -> HourlyEnergy {
        let zone: Tz = chrono_tz::Europe::Paris;
        let midnight = |date: NaiveDate| {
            zone.from_local_datetime(&date.and_hms_opt(0, 0, 0).unwrap())
                .unwrap()
                .timestamp()
        };
        let (start, end) = (midnight(date), midnight(date.succ_opt().unwrap()));
        let buckets: Vec<Bucket> = (start..end)
            .step_by(3_600)
            .map(|start| Bucket {
                start,
                value: Some(1.0),
            })
            .collect();
        hourly_energy(7, date, Quantity::ActiveEnergyImport, zone, &buckets)
    }

    #[test]
    fn clock_changes_give_23_or_25_labelled_hours() {
        let spring = day(NaiveDate::from_ymd_opt(2025, 3, 30).unwrap());
        assert_eq!(spring.hours.len(), 23);
        assert_eq!(spring.starts.len(), 23);
        // 02:00 does not exist that night.
        assert_eq!(&spring.starts[..3], ["00:00", "01:00", "03:00"]);
        assert_eq!(spring.starts.last().map(String::as_str), Some("23:00"));

        let autumn = day(NaiveDate::from_ymd_opt(2025, 10, 26).unwrap());
        assert_eq!(autumn.hours.len(), 25);
        // 02:00 comes twice: summer time, then winter time.
        assert_eq!(
            &autumn.starts[..5],
            ["00:00", "01:00", "02:00", "02:00", "03:00"]
        );
        assert_eq!(autumn.date, "2025-10-26");

        let ordinary = day(NaiveDate::from_ymd_opt(2025, 6, 1).unwrap());
        assert_eq!(ordinary.starts.len(), 24);
        assert_eq!(ordinary.starts[13], "13:00");
    }
}
