//! Reading the bus: link management, read planning, decoding and the per-gateway polling tasks.

mod driver;
mod link;
mod plan;
mod poller;

use std::time::Duration;

use shared::{Catalog, SiteConfig};
use tokio::task::JoinHandle;

pub use driver::DeviceDriver;
pub use plan::{Block, plan_blocks};
pub use poller::now_ms;

use crate::live::LiveState;

/// Starts one polling task per enabled gateway with the enabled devices behind it.
pub fn start(site: &SiteConfig, catalog: &Catalog, live: &LiveState, cycle: Duration) -> Vec<JoinHandle<()>> {
    site.gateways
        .iter()
        .filter(|gateway| gateway.enabled)
        .map(|gateway| {
            let drivers: Vec<DeviceDriver> = site
                .devices
                .iter()
                .filter(|device| device.gateway == gateway.id && device.enabled)
                .filter_map(|device| {
                    catalog
                        .get(&device.model)
                        .map(|profile| DeviceDriver::new(device, profile))
                })
                .collect();
            tokio::spawn(poller::run(gateway.clone(), drivers, live.clone(), cycle))
        })
        .collect()
}
