//! Reading the bus: link management, read planning, decoding and the per-gateway polling tasks,
//! restarted whenever the installation changes.

mod diagnostics;
mod driver;
pub mod han;
mod link;
mod plan;
mod poller;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use shared::{Catalog, SiteConfig};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

pub use diagnostics::{Diagnostics, Outcome, backoff};
pub use driver::{DeviceDriver, generic_profile};
pub use plan::{Block, plan_blocks};
pub use poller::{TestReport, now_ms};

use crate::configuration::Configuration;
use crate::live::LiveState;

/// Talks to the running gateway tasks.
#[derive(Debug, Clone, Default)]
pub struct Acquisition {
    commands: Arc<RwLock<HashMap<u32, mpsc::Sender<poller::Command>>>>,
    /// Bus statistics of every device.
    pub diagnostics: Diagnostics,
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

    /// Checks that a gateway's link opens. A running RS485 owner is not disturbed: its port is
    /// reported open.
    pub async fn test_gateway(&self, gateway: &shared::GatewayConfig) -> TestReport {
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

/// Starts one polling task per enabled gateway and restarts them whenever the configuration
/// changes. Runs until aborted.
pub async fn supervise(
    configuration: Configuration,
    acquisition: Acquisition,
    live: LiveState,
    cycle: Duration,
) {
    let mut changes = configuration.subscribe();
    let mut tasks: Vec<JoinHandle<()>> = Vec::new();
    loop {
        let site = changes.borrow_and_update().clone();
        for task in tasks.drain(..) {
            task.abort();
        }
        live.reconcile(crate::initial_devices(&site, configuration.catalog()));
        let mut senders = HashMap::new();
        tasks = start_gateways(
            &site,
            configuration.catalog(),
            &live,
            &acquisition.diagnostics,
            cycle,
            &mut senders,
        );
        *acquisition
            .commands
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = senders;
        if changes.changed().await.is_err() {
            break;
        }
    }
    for task in tasks {
        task.abort();
    }
}

fn start_gateways(
    site: &SiteConfig,
    catalog: &Catalog,
    live: &LiveState,
    diagnostics: &Diagnostics,
    cycle: Duration,
    senders: &mut HashMap<u32, mpsc::Sender<poller::Command>>,
) -> Vec<JoinHandle<()>> {
    site.gateways
        .iter()
        .filter(|gateway| gateway.enabled)
        .map(|gateway| {
            let drivers: Vec<DeviceDriver> = site
                .devices
                .iter()
                .filter(|device| device.gateway == gateway.id && device.enabled)
                .filter_map(|device| DeviceDriver::for_device(device, catalog))
                .collect();
            let (sender, receiver) = mpsc::channel(8);
            senders.insert(gateway.id, sender);
            tokio::spawn(poller::run(
                gateway.clone(),
                drivers,
                live.clone(),
                diagnostics.clone(),
                cycle,
                receiver,
            ))
        })
        .collect()
}
