//! One task per gateway owns its link and reads its devices in turn, so a slow or dead device
//! delays only its own reads, never another gateway's.

use std::time::Duration;

use shared::{GatewayConfig, Reading};
use tokio_modbus::client::Context;
use tokio_modbus::prelude::{Reader, SlaveContext};
use tokio_modbus::slave::Slave;
use tracing::{debug, info, warn};

use super::driver::DeviceDriver;
use super::link;
use super::plan::Block;
use crate::live::LiveState;

/// Slow values (energy counters) are read on every this many cycles.
const SLOW_EVERY_CYCLES: u64 = 10;

/// How one read went.
enum ReadFailure {
    /// The device answered with a Modbus exception: the link is fine.
    Exception(String),
    /// Timeout or I/O error: the link may be out of step and is reopened.
    Transport(String),
}

/// Polls the devices of `gateway` every `cycle` until the task is dropped.
pub async fn run(
    gateway: GatewayConfig,
    drivers: Vec<DeviceDriver>,
    live: LiveState,
    cycle: Duration,
) {
    let timeout = link::reply_timeout(&gateway.link);
    let mut context: Option<Context> = None;
    let mut ticker = tokio::time::interval(cycle);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut reconnect_delay = Duration::from_millis(500);
    let mut cycle_number: u64 = 0;
    loop {
        ticker.tick().await;
        if context.is_none() {
            match link::open(&gateway.link).await {
                Ok(opened) => {
                    info!(gateway = %gateway.name, "link open");
                    context = Some(opened);
                    reconnect_delay = Duration::from_millis(500);
                }
                Err(error) => {
                    warn!(gateway = %gateway.name, %error, "cannot open the link");
                    for driver in &drivers {
                        live.record_failure(driver.device_id, error.to_string());
                    }
                    tokio::time::sleep(reconnect_delay).await;
                    reconnect_delay = (reconnect_delay * 2).min(Duration::from_secs(30));
                    continue;
                }
            }
        }
        let read_slow = cycle_number.is_multiple_of(SLOW_EVERY_CYCLES);
        cycle_number += 1;
        for driver in &drivers {
            let Some(active) = context.as_mut() else {
                break;
            };
            let blocks = driver
                .fast_blocks
                .iter()
                .chain(driver.slow_blocks.iter().filter(|_| read_slow));
            match read_device(active, driver, blocks, timeout).await {
                Ok(readings) => {
                    live.record_success(driver.device_id, &readings, now_ms());
                }
                Err(ReadFailure::Exception(error)) => {
                    live.record_failure(driver.device_id, error);
                }
                Err(ReadFailure::Transport(error)) => {
                    debug!(gateway = %gateway.name, device = driver.device_id, %error, "read failed");
                    live.record_failure(driver.device_id, error);
                    // Drop a late reply's bytes with the link rather than pair them with the next
                    // request; the next device gets a fresh link.
                    context = None;
                    match link::open(&gateway.link).await {
                        Ok(opened) => context = Some(opened),
                        Err(error) => {
                            warn!(gateway = %gateway.name, %error, "cannot reopen the link")
                        }
                    }
                }
            }
        }
    }
}

async fn read_device(
    context: &mut Context,
    driver: &DeviceDriver,
    blocks: impl Iterator<Item = &Block>,
    timeout: Duration,
) -> Result<Vec<Reading>, ReadFailure> {
    context.set_slave(Slave(driver.unit));
    let mut readings = Vec::new();
    for block in blocks {
        let request = async {
            if driver.function == 4 {
                context.read_input_registers(block.start, block.count).await
            } else {
                context
                    .read_holding_registers(block.start, block.count)
                    .await
            }
        };
        let words = match tokio::time::timeout(timeout, request).await {
            Err(_) => {
                return Err(ReadFailure::Transport(format!(
                    "no reply within {} ms",
                    timeout.as_millis()
                )));
            }
            Ok(Err(error)) => return Err(ReadFailure::Transport(error.to_string())),
            Ok(Ok(Err(exception))) => {
                return Err(ReadFailure::Exception(format!(
                    "the device refused reading {} registers at {:#06x}: {exception}",
                    block.count, block.start
                )));
            }
            Ok(Ok(Ok(words))) => words,
        };
        readings.extend(
            driver
                .decode(block, &words)
                .map_err(ReadFailure::Exception)?,
        );
    }
    Ok(readings)
}

/// Unix time in milliseconds.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
