//! The latest state of every device, and a broadcast of each change for the WebSocket.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use shared::{DeviceInfo, DeviceStatus, Reading};
use tokio::sync::broadcast;

/// Latest values by device id, shared by the pollers (writers) and the API (readers).
#[derive(Debug, Clone)]
pub struct LiveState {
    devices: Arc<RwLock<BTreeMap<u32, DeviceInfo>>>,
    changes: broadcast::Sender<DeviceInfo>,
}

impl LiveState {
    /// Starts with every configured device in its initial status.
    pub fn new(devices: Vec<DeviceInfo>) -> LiveState {
        let (changes, _) = broadcast::channel(256);
        LiveState {
            devices: Arc::new(RwLock::new(
                devices
                    .into_iter()
                    .map(|device| (device.id, device))
                    .collect(),
            )),
            changes,
        }
    }

    /// Follows a new installation: devices added, removed or changed get their initial state;
    /// unchanged ones keep their values and status.
    pub fn reconcile(&self, devices: Vec<DeviceInfo>) {
        let changed: Vec<DeviceInfo> = {
            let mut known = self
                .devices
                .write()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            let mut next = BTreeMap::new();
            let mut changed = Vec::new();
            for mut device in devices {
                if let Some(previous) = known.remove(&device.id)
                    && previous.gateway_id == device.gateway_id
                    && previous.model_id == device.model_id
                    && previous.modbus_address == device.modbus_address
                    && previous.position == device.position
                    && device.status != DeviceStatus::Off
                {
                    device.status = previous.status;
                    device.last_error = previous.last_error;
                    device.values = previous.values;
                    device.updated_at = previous.updated_at;
                }
                changed.push(device.clone());
                next.insert(device.id, device);
            }
            *known = next;
            changed
        };
        for device in changed {
            let _ = self.changes.send(device);
        }
    }

    /// Every device, by id.
    pub fn snapshot(&self) -> Vec<DeviceInfo> {
        self.read().values().cloned().collect()
    }

    /// One device.
    pub fn get(&self, id: u32) -> Option<DeviceInfo> {
        self.read().get(&id).cloned()
    }

    /// Subscribes to every change from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<DeviceInfo> {
        self.changes.subscribe()
    }

    /// A successful read: merges the new readings over the previous ones (slow values are not read
    /// every cycle) and clears the error.
    pub fn record_success(&self, id: u32, readings: &[Reading], now_ms: i64) {
        self.update(id, |device| {
            for reading in readings {
                match device
                    .values
                    .iter_mut()
                    .find(|known| known.quantity == reading.quantity)
                {
                    Some(known) => known.value = reading.value,
                    None => device.values.push(*reading),
                }
            }
            device.values.sort_by_key(|reading| reading.quantity);
            device.status = DeviceStatus::On;
            device.last_error = None;
            device.updated_at = Some(now_ms);
        });
    }

    /// A failed read: the device shows a communication error; its last values stay visible with
    /// their time so nobody mistakes them for fresh ones.
    pub fn record_failure(&self, id: u32, error: String) {
        self.update(id, |device| {
            device.status = DeviceStatus::CommunicationError;
            device.last_error = Some(error);
        });
    }

    fn update(&self, id: u32, change: impl FnOnce(&mut DeviceInfo)) {
        let updated = {
            let mut devices = self
                .devices
                .write()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            let Some(device) = devices.get_mut(&id) else {
                return;
            };
            change(device);
            device.clone()
        };
        // No subscriber is normal (no browser open).
        let _ = self.changes.send(updated);
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, BTreeMap<u32, DeviceInfo>> {
        self.devices
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use shared::{Commodity, Quantity};

    use super::*;

    fn device(id: u32) -> DeviceInfo {
        DeviceInfo {
            id,
            gateway_id: 1,
            name: format!("d{id}"),
            modbus_address: 1,
            position: None,
            model_id: "m".into(),
            model_name: "M".into(),
            commodity: Commodity::Electricity,
            status: DeviceStatus::Pending,
            last_error: None,
            values: Vec::new(),
            updated_at: None,
        }
    }

    #[test]
    fn readings_merge_and_changes_are_broadcast() {
        let live = LiveState::new(vec![device(1)]);
        let mut changes = live.subscribe();
        let power = |value| Reading {
            quantity: Quantity::ActivePower,
            value,
        };
        let energy = Reading {
            quantity: Quantity::ActiveEnergyImport,
            value: 5.0,
        };
        live.record_success(1, &[power(1.0), energy], 10);
        live.record_success(1, &[power(2.0)], 20);
        let now = live.get(1).unwrap();
        assert_eq!(now.value(Quantity::ActivePower), Some(2.0));
        assert_eq!(now.value(Quantity::ActiveEnergyImport), Some(5.0));
        assert_eq!(now.status, DeviceStatus::On);
        assert_eq!(changes.try_recv().unwrap().updated_at, Some(10));
    }

    #[test]
    fn a_failure_keeps_the_last_values_and_their_time() {
        let live = LiveState::new(vec![device(1)]);
        live.record_success(
            1,
            &[Reading {
                quantity: Quantity::ActivePower,
                value: 1.0,
            }],
            10,
        );
        live.record_failure(1, "timeout".into());
        let now = live.get(1).unwrap();
        assert_eq!(now.status, DeviceStatus::CommunicationError);
        assert_eq!(now.last_error.as_deref(), Some("timeout"));
        assert_eq!(now.updated_at, Some(10));
        assert_eq!(now.value(Quantity::ActivePower), Some(1.0));
    }

    #[test]
    fn unknown_devices_are_ignored() {
        let live = LiveState::new(vec![device(1)]);
        live.record_failure(9, "x".into());
        assert!(live.get(9).is_none());
    }
}
