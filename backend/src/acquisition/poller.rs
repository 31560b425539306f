//! One task per gateway owns its link and reads its devices in turn, so a slow or dead device
//! delays only its own reads, never another gateway's. Requests from the API (a device test) go
//! through the same task: on RS485 only one master may talk at a time.

use std::time::{Duration, Instant};

use serde::Serialize;
use shared::{GatewayConfig, GatewayLink, Reading};
use tokio::sync::{mpsc, oneshot};
use tokio_modbus::client::Context;
use tokio_modbus::prelude::{Reader, SlaveContext};
use tokio_modbus::slave::Slave;
use tracing::{debug, info, warn};

use super::diagnostics::{Diagnostics, Outcome, backoff};
use super::driver::DeviceDriver;
use super::link;
use super::plan::Block;
use crate::live::LiveState;

/// Slow values (energy counters) are read on every this many cycles.
const SLOW_EVERY_CYCLES: u64 = 10;

/// What a test of a gateway or a device found.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct TestReport {
    pub ok: bool,
    /// What came back, or why nothing did.
    pub message: String,
    /// Time of the exchange.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub readings: Vec<Reading>,
}

/// A request to a gateway's task.
#[derive(Debug)]
pub enum Command {
    /// Read a device once, all its registers, and report.
    TestDevice {
        driver: DeviceDriver,
        reply: oneshot::Sender<TestReport>,
    },
}

/// How one read went.
#[derive(Debug)]
enum ReadFailure {
    /// The device answered with a Modbus exception: the link is fine.
    Exception(String),
    /// Timeout or I/O error: the link may be out of step and is reopened.
    Transport(String),
}

impl ReadFailure {
    fn message(self) -> String {
        match self {
            ReadFailure::Exception(message) | ReadFailure::Transport(message) => message,
        }
    }
}

/// Polls the devices of `gateway` every `cycle` and serves `commands`, until the task is aborted.
pub async fn run(
    gateway: GatewayConfig,
    drivers: Vec<DeviceDriver>,
    live: LiveState,
    diagnostics: Diagnostics,
    cycle: Duration,
    mut commands: mpsc::Receiver<Command>,
) {
    // Consecutive failures and next allowed attempt, per device (same order as `drivers`).
    let mut failures: Vec<u32> = vec![0; drivers.len()];
    let mut next_attempt: Vec<Instant> = vec![Instant::now(); drivers.len()];
    let timeout = link::reply_timeout(&gateway.link);
    let mut context: Option<Context> = None;
    let mut ticker = tokio::time::interval(cycle);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut reconnect_delay = Duration::from_millis(500);
    let mut next_reconnect = Instant::now();
    let mut cycle_number: u64 = 0;
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            Some(command) = commands.recv() => {
                match command {
                    Command::TestDevice { driver, reply } => {
                        let report =
                            test_on(&mut context, &gateway.link, &driver, timeout, &diagnostics).await;
                        let _ = reply.send(report);
                    }
                }
                continue;
            }
        }
        if context.is_none() {
            if Instant::now() < next_reconnect {
                continue;
            }
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
                    next_reconnect = Instant::now() + reconnect_delay;
                    reconnect_delay = (reconnect_delay * 2).min(Duration::from_secs(30));
                    continue;
                }
            }
        }
        let read_slow = cycle_number.is_multiple_of(SLOW_EVERY_CYCLES);
        cycle_number += 1;
        for (index, driver) in drivers.iter().enumerate() {
            let Some(active) = context.as_mut() else {
                break;
            };
            // A failing device is probed less and less often, so it never stalls the others.
            if Instant::now() < next_attempt[index] {
                continue;
            }
            // A device coming back from a failure gets its slow values at once.
            let with_slow = read_slow || failures[index] > 0;
            let blocks = driver
                .fast_blocks
                .iter()
                .chain(driver.slow_blocks.iter().filter(|_| with_slow));
            let result = read_device(active, driver, blocks, timeout, &diagnostics).await;
            if result.is_ok() {
                failures[index] = 0;
                diagnostics.set_retry(driver.device_id, None);
            } else {
                failures[index] = failures[index].saturating_add(1);
                let retry_at = Instant::now() + backoff(cycle, failures[index]);
                next_attempt[index] = retry_at;
                diagnostics.set_retry(driver.device_id, Some(retry_at));
            }
            match result {
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
                            warn!(gateway = %gateway.name, %error, "cannot reopen the link");
                        }
                    }
                }
            }
        }
    }
}

/// Tests a device on the link of a running gateway task, opening it if needed.
async fn test_on(
    context: &mut Option<Context>,
    link_settings: &GatewayLink,
    driver: &DeviceDriver,
    timeout: Duration,
    diagnostics: &Diagnostics,
) -> TestReport {
    if context.is_none() {
        match link::open(link_settings).await {
            Ok(opened) => *context = Some(opened),
            Err(error) => return failed(error.to_string(), None),
        }
    }
    let Some(active) = context.as_mut() else {
        return failed("the link is not open".into(), None);
    };
    let started = Instant::now();
    let blocks = driver.fast_blocks.iter().chain(driver.slow_blocks.iter());
    let result = read_device(active, driver, blocks, timeout, diagnostics).await;
    let latency = Some(started.elapsed().as_millis() as u64);
    match result {
        Ok(readings) => succeeded(readings, latency),
        Err(failure) => {
            if matches!(failure, ReadFailure::Transport(_)) {
                *context = None;
            }
            failed(failure.message(), latency)
        }
    }
}

/// Tests a device of a gateway that has no running task (switched off): opens the link for the
/// test only.
pub async fn test_with_own_link(
    link_settings: &GatewayLink,
    driver: &DeviceDriver,
    diagnostics: &Diagnostics,
) -> TestReport {
    let mut context = None;
    let timeout = link::reply_timeout(link_settings);
    test_on(&mut context, link_settings, driver, timeout, diagnostics).await
}

/// Tests that a gateway's link opens (serial port present, TCP gateway reachable).
pub async fn test_link(link_settings: &GatewayLink) -> TestReport {
    let started = Instant::now();
    match link::open(link_settings).await {
        Ok(_) => TestReport {
            ok: true,
            message: "link open".into(),
            latency_ms: Some(started.elapsed().as_millis() as u64),
            readings: Vec::new(),
        },
        Err(error) => failed(error.to_string(), None),
    }
}

fn succeeded(readings: Vec<Reading>, latency_ms: Option<u64>) -> TestReport {
    TestReport {
        ok: true,
        message: format!("{} values read", readings.len()),
        latency_ms,
        readings,
    }
}

fn failed(message: String, latency_ms: Option<u64>) -> TestReport {
    TestReport {
        ok: false,
        message,
        latency_ms,
        readings: Vec::new(),
    }
}

async fn read_device(
    context: &mut Context,
    driver: &DeviceDriver,
    blocks: impl Iterator<Item = &Block>,
    timeout: Duration,
    diagnostics: &Diagnostics,
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
        let started = Instant::now();
        let reply = tokio::time::timeout(timeout, request).await;
        let latency = started.elapsed();
        let (outcome, result) = match reply {
            Err(_) => (
                Outcome::Timeout,
                Err(ReadFailure::Transport(format!(
                    "no reply within {} ms",
                    timeout.as_millis()
                ))),
            ),
            Ok(Err(error)) => {
                let message = error.to_string();
                // tokio-modbus resynchronises after a bad CRC, so most CRC errors end as timeouts;
                // the ones it reports name the CRC.
                let outcome = if message.to_ascii_lowercase().contains("crc") {
                    Outcome::CrcError
                } else {
                    Outcome::OtherError
                };
                (outcome, Err(ReadFailure::Transport(message)))
            }
            Ok(Ok(Err(exception))) => (
                Outcome::Exception,
                Err(ReadFailure::Exception(format!(
                    "the device refused reading {} registers at {:#06x}: {exception}",
                    block.count, block.start
                ))),
            ),
            Ok(Ok(Ok(words))) => match driver.decode(block, &words) {
                Ok(decoded) => (Outcome::Success, Ok(decoded)),
                Err(error) => (Outcome::OtherError, Err(ReadFailure::Exception(error))),
            },
        };
        diagnostics.record(driver.device_id, outcome, latency, now_ms());
        readings.extend(result?);
    }
    Ok(readings)
}

/// Unix time in milliseconds.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
