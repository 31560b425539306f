//! One task per gateway owns its link and reads its devices in turn, so a slow or dead device
//! delays only its own reads, never another gateway's. Requests from the API (a device test, an
//! output command) go through the same task: on RS485 only one master may talk at a time. Output
//! commands go first: they are served before the next read, between two devices of a cycle.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde::Serialize;
use shared::{Encoding, GatewayConfig, GatewayLink, OutputResult, OutputSpec, Reading, coil_state};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;
use tracing::{debug, error, info, warn};

use super::diagnostics::{Diagnostics, Outcome, TimeoutPolicy, backoff};
use super::driver::{Decoded, DeviceDriver, IoStates, IoValue, PlannedRead, is_normally_closed};
use super::link::{self, Link};
use super::rtu_client::{ExchangeError, Reply, Request};
use crate::live::LiveState;

/// Slow values (energy counters) are read on every this many cycles.
const SLOW_EVERY_CYCLES: u64 = 10;
/// How often the "off" of a pulse is tried before giving up (and logging an error).
const PULSE_OFF_ATTEMPTS: u32 = 5;

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

/// A switched output to set on or off.
#[derive(Debug, Clone)]
pub struct OutputWrite {
    pub device_id: u32,
    pub unit: u8,
    pub output: OutputSpec,
    /// On as the user means it: the load supplied, whatever the relay's NO/NC wiring.
    pub on: bool,
}

/// A request to a gateway's task.
#[derive(Debug)]
pub enum Command {
    /// Read a device once, all its registers, and report.
    TestDevice {
        driver: DeviceDriver,
        reply: oneshot::Sender<TestReport>,
    },
    /// Switch an output; with `pulse`, switch it off again after that long.
    Output {
        write: OutputWrite,
        pulse: Option<Duration>,
        reply: oneshot::Sender<OutputResult>,
    },
}

/// An "off" owed to the end of a pulse.
#[derive(Debug, Clone)]
struct PendingOff {
    gateway: u32,
    due: Instant,
    write: OutputWrite,
    attempts: u32,
}

/// The "off" writes owed to pulses, by gateway. Kept outside the gateway tasks so that a task
/// restarted by a configuration change still switches off what its predecessor switched on.
#[derive(Debug, Clone, Default)]
pub struct PendingOffs {
    offs: Arc<Mutex<Vec<PendingOff>>>,
}

impl PendingOffs {
    fn lock(&self) -> MutexGuard<'_, Vec<PendingOff>> {
        self.offs
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn push(&self, off: PendingOff) {
        let mut offs = self.lock();
        // A new command for the same output replaces an older pulse's end.
        offs.retain(|other| {
            !(other.write.device_id == off.write.device_id
                && other.write.output.index == off.write.output.index)
        });
        offs.push(off);
    }

    /// Drops a pending "off" of this output: a later command decides its state.
    fn cancel(&self, device_id: u32, output: u8) {
        self.lock()
            .retain(|off| !(off.write.device_id == device_id && off.write.output.index == output));
    }

    fn next_due(&self, gateway: u32) -> Option<Instant> {
        self.lock()
            .iter()
            .filter(|off| off.gateway == gateway)
            .map(|off| off.due)
            .min()
    }

    fn take_due(&self, gateway: u32, now: Instant) -> Vec<PendingOff> {
        let mut offs = self.lock();
        let (due, rest): (Vec<PendingOff>, Vec<PendingOff>) = offs
            .drain(..)
            .partition(|off| off.gateway == gateway && off.due <= now);
        *offs = rest;
        due
    }

    /// How many "off" writes are owed on `gateway`.
    #[cfg(test)]
    fn pending(&self, gateway: u32) -> usize {
        self.lock()
            .iter()
            .filter(|off| off.gateway == gateway)
            .count()
    }
}

/// The link of one gateway and what is known of its devices' reply times.
struct Session<'a> {
    settings: &'a GatewayLink,
    link: Option<Link>,
    diagnostics: &'a Diagnostics,
    io: &'a IoStates,
    configured: Duration,
    policies: HashMap<u32, TimeoutPolicy>,
}

impl<'a> Session<'a> {
    fn new(settings: &'a GatewayLink, diagnostics: &'a Diagnostics, io: &'a IoStates) -> Self {
        Session {
            settings,
            link: None,
            diagnostics,
            io,
            configured: link::reply_timeout(settings),
            policies: HashMap::new(),
        }
    }

    /// One exchange with `unit` on behalf of device `device_id`, its reply turned into a value
    /// by `accept`. Counted in the diagnostics; the reply timeout follows the device's policy.
    async fn exchange<T>(
        &mut self,
        device_id: u32,
        unit: u8,
        request: &Request,
        accept: impl FnOnce(&Reply) -> Result<T, String>,
    ) -> Result<T, String> {
        if self.link.is_none() {
            let opened = link::open(self.settings).await.map_err(|e| e.to_string())?;
            self.link = Some(opened);
        }
        let Some(active) = self.link.as_mut() else {
            return Err("the link is not open".into());
        };
        let policy = self
            .policies
            .entry(device_id)
            .or_insert_with(|| TimeoutPolicy::new(self.configured));
        let timeout = policy.timeout(active.reply_wire_time(request));
        self.diagnostics.set_timeout(device_id, timeout);
        let started = Instant::now();
        let result = active.exchange(unit, request, timeout).await;
        let latency = started.elapsed();
        let (outcome, value) = match result {
            Ok(reply) => {
                policy.replied(latency);
                match accept(&reply) {
                    Ok(value) => (Outcome::Success, Ok(value)),
                    Err(message) => (Outcome::OtherError, Err(message)),
                }
            }
            Err(failure) => {
                if matches!(failure, ExchangeError::Timeout(_)) {
                    policy.timed_out();
                }
                if active.must_reopen_after(&failure) {
                    // The next request gets a fresh link.
                    self.link = None;
                }
                (Outcome::of(&failure), Err(failure.to_string()))
            }
        };
        self.diagnostics
            .record(device_id, outcome, latency, now_ms());
        value
    }

    /// Reads `reads` of `driver` and, with `normal_states`, the NO/NC registers of its outputs.
    async fn read_device<'r>(
        &mut self,
        driver: &DeviceDriver,
        reads: impl Iterator<Item = &'r PlannedRead>,
        normal_states: bool,
    ) -> Result<Decoded, String> {
        let mut decoded = Decoded::default();
        for read in reads {
            let part = self
                .exchange(driver.device_id, driver.unit, &read.request(), |reply| {
                    driver.decode(read, reply)
                })
                .await?;
            decoded.extend(part);
        }
        if normal_states {
            for output in &driver.outputs {
                self.read_normal_state(driver.device_id, driver.unit, output)
                    .await?;
            }
        }
        Ok(decoded)
    }

    /// Reads whether `output` is normally closed (false when the model cannot say).
    async fn read_normal_state(
        &mut self,
        device_id: u32,
        unit: u8,
        output: &OutputSpec,
    ) -> Result<bool, String> {
        let Some(register) = &output.normal_state else {
            return Ok(false);
        };
        let request = Request::ReadHoldingRegisters {
            address: register.address,
            count: 1,
        };
        let raw = self
            .exchange(device_id, unit, &request, |reply| match reply {
                Reply::Words(words) if words.len() == 1 => Ok(words[0]),
                _ => Err("the normal-state register did not read as one word".into()),
            })
            .await
            .map_err(|message| {
                format!(
                    "cannot read the normal state of output {}: {message}",
                    output.index
                )
            })?;
        let normally_closed = is_normally_closed(output, raw);
        self.io
            .record_normal_state(device_id, output.index, normally_closed);
        Ok(normally_closed)
    }

    /// Writes an output as the profile says: function 5, 6 or 16, inverted for a normally
    /// closed relay (its state read from the module right before the write).
    async fn write_output(&mut self, write: &OutputWrite) -> OutputResult {
        let output = &write.output;
        let normally_closed = match self
            .read_normal_state(write.device_id, write.unit, output)
            .await
        {
            Ok(normally_closed) => normally_closed,
            Err(message) => return refused(message),
        };
        let energised = coil_state(write.on, normally_closed);
        let raw = if energised {
            output.on_raw()
        } else {
            output.off_raw()
        };
        let request = match output.write_function {
            5 => Request::WriteSingleCoil {
                address: output.address,
                on: energised,
            },
            6 => Request::WriteSingleRegister {
                address: output.address,
                value: raw,
            },
            _ => Request::WriteMultipleRegisters {
                address: output.address,
                values: Encoding::new(output.value_type, output.word_order).encode(f64::from(raw)),
            },
        };
        let written = self
            .exchange(write.device_id, write.unit, &request, |reply| match reply {
                Reply::Written => Ok(()),
                _ => Err("the write was answered as a read".into()),
            })
            .await;
        match written {
            Ok(()) => {
                if let Some(quantity) = output.quantity {
                    let index = if quantity.is_indexed() {
                        output.index
                    } else {
                        0
                    };
                    let value = IoValue {
                        quantity,
                        index,
                        value: if energised { 1.0 } else { 0.0 },
                    };
                    self.io.record(write.device_id, &[value], now_ms());
                }
                let state = if write.on { "on" } else { "off" };
                let relay = match (normally_closed, energised) {
                    (false, true) => "relay energised",
                    (false, false) => "relay released",
                    (true, true) => "normally closed relay energised",
                    (true, false) => "normally closed relay released",
                };
                info!(
                    device = write.device_id,
                    output = output.index,
                    state,
                    "output written"
                );
                OutputResult {
                    ok: true,
                    message: format!("output {} switched {state} ({relay})", output.index),
                    on: Some(write.on),
                }
            }
            Err(message) => refused(format!(
                "output {} was not switched: {message}",
                output.index
            )),
        }
    }
}

fn refused(message: String) -> OutputResult {
    OutputResult {
        ok: false,
        message,
        on: None,
    }
}

/// Everything a gateway task uses besides its link.
#[derive(Debug, Clone)]
pub struct Shared {
    pub live: LiveState,
    pub diagnostics: Diagnostics,
    pub io: IoStates,
    pub pending_offs: PendingOffs,
}

/// Polls the devices of `gateway` every `cycle` and serves `commands`, until the task is aborted.
pub async fn run(
    gateway: GatewayConfig,
    drivers: Vec<DeviceDriver>,
    shared: Shared,
    cycle: Duration,
    mut commands: mpsc::Receiver<Command>,
) {
    let Shared {
        live,
        diagnostics,
        io,
        pending_offs,
    } = shared;
    // Consecutive failures and next allowed attempt, per device (same order as `drivers`).
    let mut failures: Vec<u32> = vec![0; drivers.len()];
    let mut next_attempt: Vec<Instant> = vec![Instant::now(); drivers.len()];
    let mut session = Session::new(&gateway.link, &diagnostics, &io);
    let mut ticker = tokio::time::interval(cycle);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut reconnect_delay = Duration::from_millis(500);
    let mut next_reconnect = Instant::now();
    let mut cycle_number: u64 = 0;
    let far_future = Instant::now() + Duration::from_secs(86_400 * 365);
    loop {
        let next_off = pending_offs.next_due(gateway.id);
        tokio::select! {
            // Writes go first.
            biased;
            Some(command) = commands.recv() => {
                serve(&mut session, command, &gateway, &pending_offs, &live).await;
                continue;
            }
            _ = tokio::time::sleep_until(next_off.unwrap_or(far_future)), if next_off.is_some() => {
                serve_due_offs(&mut session, &gateway, &pending_offs, &live).await;
                continue;
            }
            _ = ticker.tick() => {}
        }
        if session.link.is_none() {
            if Instant::now() < next_reconnect {
                continue;
            }
            match link::open(&gateway.link).await {
                Ok(opened) => {
                    info!(gateway = %gateway.name, "link open");
                    session.link = Some(opened);
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
            // Commands that arrived during the cycle go before the next read.
            while let Ok(command) = commands.try_recv() {
                serve(&mut session, command, &gateway, &pending_offs, &live).await;
            }
            serve_due_offs(&mut session, &gateway, &pending_offs, &live).await;
            // A failing device is probed less and less often, so it never stalls the others.
            if Instant::now() < next_attempt[index] {
                continue;
            }
            // A device coming back from a failure gets its slow values at once.
            let with_slow = read_slow || failures[index] > 0;
            let reads = if with_slow {
                &driver.full_reads
            } else {
                &driver.fast_reads
            };
            let result = session.read_device(driver, reads.iter(), with_slow).await;
            match result {
                Ok(decoded) => {
                    failures[index] = 0;
                    diagnostics.set_retry(driver.device_id, None);
                    if !decoded.io.is_empty() {
                        io.record(driver.device_id, &decoded.io, now_ms());
                    }
                    live.record_success(driver.device_id, &decoded.readings, now_ms());
                }
                Err(error) => {
                    failures[index] = failures[index].saturating_add(1);
                    let retry_at = Instant::now() + backoff(cycle, failures[index]);
                    next_attempt[index] = retry_at;
                    diagnostics.set_retry(driver.device_id, Some(retry_at.into_std()));
                    debug!(gateway = %gateway.name, device = driver.device_id, %error, "read failed");
                    live.record_failure(driver.device_id, error);
                }
            }
        }
    }
}

/// Serves one command from the API.
async fn serve(
    session: &mut Session<'_>,
    command: Command,
    gateway: &GatewayConfig,
    pending_offs: &PendingOffs,
    live: &LiveState,
) {
    match command {
        Command::TestDevice { driver, reply } => {
            let report = test_on(session, &driver).await;
            let _ = reply.send(report);
        }
        Command::Output {
            write,
            pulse,
            reply,
        } => {
            // Whatever this command does, an older pulse must not switch it off later.
            pending_offs.cancel(write.device_id, write.output.index);
            let mut result = session.write_output(&write).await;
            if result.ok {
                live.record_success(write.device_id, &[], now_ms());
                if let Some(on_time) = pulse {
                    pending_offs.push(PendingOff {
                        gateway: gateway.id,
                        due: Instant::now() + on_time,
                        write: OutputWrite { on: false, ..write },
                        attempts: 0,
                    });
                    result.message = format!(
                        "{}; off again in {} ms",
                        result.message,
                        on_time.as_millis()
                    );
                }
            }
            let _ = reply.send(result);
        }
    }
}

/// Writes the "off" of every pulse that has ended on this gateway.
async fn serve_due_offs(
    session: &mut Session<'_>,
    gateway: &GatewayConfig,
    pending_offs: &PendingOffs,
    live: &LiveState,
) {
    for mut off in pending_offs.take_due(gateway.id, Instant::now()) {
        let result = session.write_output(&off.write).await;
        if result.ok {
            live.record_success(off.write.device_id, &[], now_ms());
            continue;
        }
        off.attempts += 1;
        if off.attempts >= PULSE_OFF_ATTEMPTS {
            error!(
                device = off.write.device_id,
                output = off.write.output.index,
                message = %result.message,
                "the end of a pulse could not be written: the output may still be on"
            );
            continue;
        }
        warn!(device = off.write.device_id, message = %result.message, "end of pulse not written; retrying");
        off.due = Instant::now() + Duration::from_secs(1);
        pending_offs.push(off);
    }
}

/// Tests a device on the link of a session, opening it if needed.
async fn test_on(session: &mut Session<'_>, driver: &DeviceDriver) -> TestReport {
    let started = Instant::now();
    let result = session.read_device(driver, driver.all_reads(), false).await;
    let latency = Some(started.elapsed().as_millis() as u64);
    match result {
        Ok(decoded) => succeeded(decoded.all_readings(), latency),
        Err(message) => failed(message, latency),
    }
}

/// Tests a device of a gateway that has no running task (switched off): opens the link for the
/// test only.
pub async fn test_with_own_link(
    link_settings: &GatewayLink,
    driver: &DeviceDriver,
    diagnostics: &Diagnostics,
) -> TestReport {
    let io = IoStates::default();
    let mut session = Session::new(link_settings, diagnostics, &io);
    test_on(&mut session, driver).await
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

/// Unix time in milliseconds.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(device_id: u32, output: u8) -> OutputWrite {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/catalog");
        let catalog = shared::Catalog::load_dir(&dir).unwrap();
        let spec = catalog
            .get("io-module-generic")
            .unwrap()
            .output(output)
            .unwrap()
            .clone();
        OutputWrite {
            device_id,
            unit: 20,
            output: spec,
            on: false,
        }
    }

    #[tokio::test]
    async fn pulse_ends_are_kept_per_output_and_served_when_due() {
        let offs = PendingOffs::default();
        let now = Instant::now();
        let off = |gateway, device, output, due| PendingOff {
            gateway,
            due,
            write: write(device, output),
            attempts: 0,
        };
        offs.push(off(1, 5, 1, now + Duration::from_millis(500)));
        offs.push(off(1, 5, 2, now + Duration::from_millis(100)));
        offs.push(off(2, 6, 1, now));
        assert_eq!(offs.next_due(1), Some(now + Duration::from_millis(100)));
        // A second pulse of the same output replaces the first one's end.
        offs.push(off(1, 5, 1, now + Duration::from_millis(900)));
        assert_eq!(offs.pending(1), 2);
        assert!(offs.take_due(1, now).is_empty());
        let due = offs.take_due(1, now + Duration::from_millis(100));
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].write.output.index, 2);
        // A later command cancels the end of an earlier pulse.
        offs.cancel(5, 1);
        assert_eq!(offs.pending(1), 0);
        assert_eq!(offs.pending(2), 1);
    }
}
