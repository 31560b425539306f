//! Reading the bus: link management, read planning, decoding and the per-gateway polling tasks,
//! restarted whenever the installation changes.

mod diagnostics;
mod driver;
pub mod han;
mod link;
mod plan;
mod poller;
mod rtu_client;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use shared::{Catalog, SiteConfig};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

pub use diagnostics::{Diagnostics, Outcome, backoff};
pub use driver::{DeviceDriver, IoStates, device_io, generic_profile};
pub use plan::{Block, plan_blocks};
pub use poller::{TestReport, now_ms};
pub use rtu_client::{
    ExchangeError, LineTiming, Reply, Request, RtuClient, classify_reply, crc16, request_adu,
};

use crate::configuration::Configuration;
use crate::live::LiveState;

/// Talks to the running gateway tasks.
#[derive(Debug, Clone, Default)]
pub struct Acquisition {
    commands: Arc<RwLock<HashMap<u32, mpsc::Sender<poller::Command>>>>,
    /// Bus statistics of every device.
    pub diagnostics: Diagnostics,
    /// What the tasks listening to smart meters' HAN/P1 ports last heard.
    pub han_ports: han::HanPorts,
    /// Inputs and outputs of I/O modules.
    pub io: IoStates,
    /// "Off" writes owed to pulses, kept across gateway task restarts.
    pending_offs: poller::PendingOffs,
}

impl Acquisition {
    /// Reads `device` once through its gateway's bus owner (or a link of its own when the gateway
    /// is switched off).
    pub async fn test_device(
        &self,
        device: &shared::DeviceConfig,
        site: &SiteConfig,
        catalog: &Catalog,
    ) -> TestReport {
        if let Some(gateway) = site.gateways.iter().find(|g| g.id == device.gateway)
            && matches!(gateway.link, shared::GatewayLink::Han { .. })
        {
            // A smart meter is listened to, not asked: the task listening to it answers, and a
            // port nobody listens to (a meter not saved yet) is opened for the test.
            return match self.han_ports.report(gateway.id, Some(device.id)) {
                Some(report) => report,
                None => han::reader::test_port(&gateway.link).await,
            };
        }
        let Some(driver) = DeviceDriver::for_device(device, catalog) else {
            return TestReport {
                ok: false,
                message: format!("model {:?} is not in the catalog", device.model),
                latency_ms: None,
                readings: Vec::new(),
            };
        };
        let Some(gateway) = site.gateways.iter().find(|g| g.id == device.gateway) else {
            return TestReport {
                ok: false,
                message: "the gateway does not exist".into(),
                latency_ms: None,
                readings: Vec::new(),
            };
        };
        let sender = self
            .commands
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(&gateway.id)
            .cloned();
        if let Some(sender) = sender {
            let (reply, answer) = oneshot::channel();
            if sender
                .send(poller::Command::TestDevice {
                    driver: driver.clone(),
                    reply,
                })
                .await
                .is_ok()
                && let Ok(report) = answer.await
            {
                return report;
            }
        }
        poller::test_with_own_link(&gateway.link, &driver, &self.diagnostics).await
    }

    /// Switches output `output` of `device` (already validated with
    /// [`shared::validate_output_command`]) through its gateway's task, before the task's next
    /// read; a pulse is switched off again after `pulse`. Answers once the device confirmed the
    /// write, or why it did not.
    pub async fn command_output(
        &self,
        device: &shared::DeviceConfig,
        output: &shared::OutputSpec,
        on: bool,
        pulse: Option<Duration>,
    ) -> shared::OutputResult {
        let refused = |message: &str| shared::OutputResult {
            ok: false,
            message: message.to_owned(),
            on: None,
        };
        let sender = self
            .commands
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(&device.gateway)
            .cloned();
        let Some(sender) = sender else {
            return refused("the gateway is not running; switch it on or try again");
        };
        let (reply, answer) = oneshot::channel();
        let command = poller::Command::Output {
            write: poller::OutputWrite {
                device_id: device.id,
                unit: device.address,
                output: output.clone(),
                on,
            },
            pulse,
            reply,
        };
        if sender.send(command).await.is_err() {
            return refused("the gateway is restarting; try again");
        }
        answer
            .await
            .unwrap_or_else(|_| refused("the gateway restarted before writing; try again"))
    }

    /// Checks that a gateway's link opens. A running RS485 owner is not disturbed: its port is
    /// reported open.
    pub async fn test_gateway(&self, gateway: &shared::GatewayConfig) -> TestReport {
        if matches!(gateway.link, shared::GatewayLink::Han { .. }) {
            return match self.han_ports.report(gateway.id, None) {
                Some(report) => report,
                None => han::reader::test_port(&gateway.link).await,
            };
        }
        let owned = self
            .commands
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .contains_key(&gateway.id);
        if owned && matches!(gateway.link, shared::GatewayLink::Local { .. }) {
            return TestReport {
                ok: true,
                message: "the port is open and polled".into(),
                latency_ms: None,
                readings: Vec::new(),
            };
        }
        poller::test_link(&gateway.link).await
    }
}

/// A running gateway task and what it was started with.
struct Running {
    gateway: shared::GatewayConfig,
    devices: Vec<shared::DeviceConfig>,
    task: JoinHandle<()>,
    commands: mpsc::Sender<poller::Command>,
}

/// Starts one polling task per enabled gateway and follows every configuration change: a gateway
/// whose settings or devices changed gets a new task, the others keep running undisturbed. Runs
/// until aborted.
pub async fn supervise(
    configuration: Configuration,
    acquisition: Acquisition,
    live: LiveState,
    cycle: Duration,
) {
    let mut changes = configuration.subscribe();
    let mut running: HashMap<u32, Running> = HashMap::new();
    loop {
        let site = changes.borrow_and_update().clone();
        let catalog = configuration.catalog();
        let wanted: HashMap<u32, (&shared::GatewayConfig, Vec<shared::DeviceConfig>)> = site
            .gateways
            .iter()
            .filter(|gateway| gateway.enabled)
            .map(|gateway| {
                let devices = site
                    .devices
                    .iter()
                    .filter(|device| device.gateway == gateway.id && device.enabled)
                    .cloned()
                    .collect();
                (gateway.id, (gateway, devices))
            })
            .collect();
        // Stop what changed or went away, and wait until it has stopped: two tasks must never
        // own one serial port at the same time.
        let stale: Vec<u32> = running
            .iter()
            .filter(|(id, current)| {
                wanted.get(id).is_none_or(|(gateway, devices)| {
                    **gateway != current.gateway || *devices != current.devices
                })
            })
            .map(|(id, _)| *id)
            .collect();
        for id in stale {
            if let Some(old) = running.remove(&id) {
                old.task.abort();
                let _ = old.task.await;
                acquisition.han_ports.forget(id);
            }
        }
        live.reconcile(crate::initial_devices(&site, catalog));
        for (id, (gateway, devices)) in wanted {
            if running.contains_key(&id) {
                continue;
            }
            if matches!(gateway.link, shared::GatewayLink::Han { .. }) {
                // A smart meter's port is listened to, not polled: its task takes no commands.
                let (commands, _) = mpsc::channel(1);
                let task = tokio::spawn(han::reader::run(
                    gateway.clone(),
                    devices.first().cloned(),
                    live.clone(),
                    acquisition.diagnostics.clone(),
                    acquisition.han_ports.clone(),
                ));
                running.insert(
                    id,
                    Running {
                        gateway: gateway.clone(),
                        devices,
                        task,
                        commands,
                    },
                );
                continue;
            }
            let drivers: Vec<DeviceDriver> = devices
                .iter()
                .filter_map(|device| DeviceDriver::for_device(device, catalog))
                .collect();
            let (commands, receiver) = mpsc::channel(8);
            let task = tokio::spawn(poller::run(
                gateway.clone(),
                drivers,
                poller::Shared {
                    live: live.clone(),
                    diagnostics: acquisition.diagnostics.clone(),
                    io: acquisition.io.clone(),
                    pending_offs: acquisition.pending_offs.clone(),
                },
                cycle,
                receiver,
            ));
            running.insert(
                id,
                Running {
                    gateway: gateway.clone(),
                    devices,
                    task,
                    commands,
                },
            );
        }
        *acquisition
            .commands
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = running
            .iter()
            .map(|(id, current)| (*id, current.commands.clone()))
            .collect();
        if changes.changed().await.is_err() {
            break;
        }
    }
    for (_, current) in running {
        current.task.abort();
    }
}
