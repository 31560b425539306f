//! The bus scheduler against a naive poller on an emulated RS485 line.
//!
//! A realistic bus of 32 meters (a mix of the catalog's three-phase and single-phase models) sits
//! behind the simulator's virtual serial line, which holds every reply back by the time a real
//! line at 19 200 baud would need (11 bits a character, 3.5-character silences). The gateway's
//! own scheduler (block reads, fast values every cycle, energies less often) polls it for a while;
//! then a naive poller, one request per register, polls a fresh copy of the same bus for as long.
//! What crossed the line is counted by the simulator, so both are judged the same way. A second
//! naive poller reads one 16-bit word per request (a "register" in Modbus's own sense) and joins
//! multi-word values itself; its values are counted as they complete.
//!
//! Run: `cargo bench -p backend --bench scheduler` (optionally `-- --seconds 30`).

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use shared::{Catalog, DeviceProfile};
use simulator::{
    Behaviour, Bus, ConsumptionProfile, LineCounters, LineStatistics, MeterState, SimulatedDevice,
    start_rtu_measured,
};
use tokio_modbus::client::Reader;
use tokio_modbus::slave::SlaveContext;

const BAUD: u32 = 19_200;
const DEVICES: u8 = 32;
/// The mix of a typical commercial building: main and sub-distribution three-phase meters, flats
/// and small loads on single-phase ones.
const MODELS: [&str; 8] = [
    "eastron-sdm630",
    "eastron-sdm120",
    "abb-b23",
    "eastron-sdm230",
    "carlo-gavazzi-em340",
    "eastron-sdm72",
    "schneider-iem3155",
    "janitza-b23",
];

fn main() -> Result<()> {
    let seconds = std::env::args()
        .skip_while(|argument| argument != "--seconds")
        .nth(1)
        .map(|value| value.parse::<u64>())
        .transpose()
        .context("--seconds takes a whole number")?
        .unwrap_or(20);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the runtime")?;
    runtime.block_on(run(Duration::from_secs(seconds)))
}

async fn run(duration: Duration) -> Result<()> {
    let catalog = Catalog::load_dir(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/catalog"),
    )
    .context("cannot load the catalog")?;
    let profiles: Vec<DeviceProfile> = (0..DEVICES)
        .map(|index| {
            let model = MODELS[usize::from(index) % MODELS.len()];
            catalog
                .get(model)
                .cloned()
                .with_context(|| format!("{model} is not in the catalog"))
        })
        .collect::<Result<_>>()?;

    println!(
        "Scheduler benchmark: {DEVICES} meters on an emulated RS485 line at {BAUD} baud, {} s per poller",
        duration.as_secs()
    );
    let scheduler = measure_scheduler(&profiles, duration).await?;
    let naive = measure_naive(&profiles, duration).await?;
    let per_word = measure_naive_per_word(&profiles, duration).await?;

    println!();
    println!(
        "| poller | requests/s | values/s | bus use (of the wire-time limit) | idle per request |"
    );
    println!("|---|---:|---:|---:|---:|");
    for (name, result) in [
        ("gateway scheduler", &scheduler),
        ("naive, one request per register", &naive),
        ("naive, one request per 16-bit word", &per_word),
    ] {
        println!(
            "| {name} | {:.1} | {:.1} | {:.1} % | {:.2} ms |",
            result.requests_per_second(),
            result.values_per_second(),
            100.0 * result.bus_use(),
            1000.0 * result.idle_per_request()
        );
    }
    let ratio = scheduler.values_per_second() / naive.values_per_second().max(f64::EPSILON);
    println!();
    println!("values/s, scheduler ÷ naive: {ratio:.2}× (goal ≥ 5×)");
    println!(
        "values/s, scheduler ÷ naive per 16-bit word: {:.2}×",
        scheduler.values_per_second() / per_word.values_per_second().max(f64::EPSILON)
    );
    println!(
        "bus use of the scheduler: {:.1} % of the wire-time limit (goal ≥ 90 %)",
        100.0 * scheduler.bus_use()
    );
    Ok(())
}

/// What one poller achieved.
struct Measured {
    counters: LineCounters,
    elapsed: Duration,
}

impl Measured {
    fn requests_per_second(&self) -> f64 {
        self.counters.exchanges as f64 / self.elapsed.as_secs_f64()
    }

    fn values_per_second(&self) -> f64 {
        self.counters.values as f64 / self.elapsed.as_secs_f64()
    }

    fn bus_use(&self) -> f64 {
        self.counters.busy.as_secs_f64() / self.elapsed.as_secs_f64()
    }

    /// Seconds the line stood idle per exchange beyond its frames and silences: the master's
    /// turnaround, which is what a poller can still cut.
    fn idle_per_request(&self) -> f64 {
        let idle = self.elapsed.saturating_sub(self.counters.busy);
        idle.as_secs_f64() / (self.counters.exchanges.max(1) as f64)
    }
}

/// A fresh simulated bus with one meter per profile, units 1, 2, …, on a measured line.
fn start_bus(profiles: &[DeviceProfile]) -> Result<(String, LineStatistics)> {
    let devices = profiles
        .iter()
        .zip(1u8..)
        .map(|(profile, unit_id)| SimulatedDevice {
            unit_id,
            profile: profile.clone(),
            behaviour: Behaviour::Meter(MeterState::new(
                ConsumptionProfile {
                    base_watts: 400.0 + 50.0 * f64::from(unit_id),
                    peak_watts: 3_000.0,
                    solar_watts: 0.0,
                },
                profile.phases,
                10_000_000.0,
            )),
        })
        .collect();
    let bus = Bus::new(devices).context("cannot build the simulated bus")?;
    bus.set_wire_baud(Some(BAUD));
    let statistics = LineStatistics::default();
    let (path, _task) =
        start_rtu_measured(bus, statistics.clone()).context("cannot open a virtual serial line")?;
    Ok((path.display().to_string(), statistics))
}

/// Counts what the line carries during `duration`, after `warm_up`.
async fn count(statistics: &LineStatistics, warm_up: Duration, duration: Duration) -> Measured {
    tokio::time::sleep(warm_up).await;
    statistics.reset();
    let started = Instant::now();
    tokio::time::sleep(duration).await;
    Measured {
        counters: statistics.snapshot(),
        elapsed: started.elapsed(),
    }
}

async fn measure_scheduler(profiles: &[DeviceProfile], duration: Duration) -> Result<Measured> {
    let (path, statistics) = start_bus(profiles)?;
    let data_dir = tempfile::tempdir().context("cannot make a data directory")?;
    // The installation as an installer would declare it. Pseudo-terminals take no parity.
    let mut site = format!(
        "[[gateways]]\nid = 1\nname = \"Local\"\nkind = \"local\"\nserial_port = \"{path}\"\n\
         baud = {BAUD}\nparity = \"none\"\n"
    );
    for (profile, unit) in profiles.iter().zip(1u8..) {
        site.push_str(&format!(
            "\n[[devices]]\nid = {unit}\ngateway = 1\nname = \"Meter {unit}\"\nmodel = \"{}\"\naddress = {unit}\n",
            profile.id
        ));
    }
    let site_file = data_dir.path().join("site.toml");
    std::fs::write(&site_file, site).context("cannot write the installation")?;
    let options = backend::Options {
        data_dir: data_dir.path().to_path_buf(),
        listen: "127.0.0.1:0".parse().context("loopback address")?,
        catalog_dir: Some(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/catalog"),
        ),
        site_file: Some(site_file),
        sample_period: None,
        // As fast as the line allows: the cycle ends when every device has been read.
        poll_cycle: Duration::from_millis(1),
        session_idle: Duration::from_secs(600),
        demo_history: false,
        https_listen: None,
        tls_certificate: None,
        tls_key: None,
    };
    let started = backend::start(&options)?;
    let measured = count(&statistics, Duration::from_secs(3), duration).await;
    for task in started.tasks {
        task.abort();
    }
    Ok(measured)
}

/// The catalog's holding and input registers of every meter: (unit, function, address, words).
fn naive_reads(profiles: &[DeviceProfile]) -> Vec<(u8, u8, u16, u16)> {
    profiles
        .iter()
        .zip(1u8..)
        .flat_map(|(profile, unit)| {
            profile
                .registers
                .iter()
                .map(move |register| {
                    (
                        unit,
                        register.read_function(profile.function),
                        register.address,
                        register.words(),
                    )
                })
                .filter(|(_, function, _, _)| matches!(function, 3 | 4))
        })
        .collect()
}

/// A poller that reads "one register" in Modbus's own sense, a 16-bit word, per request, and
/// joins the words of a 32- or 64-bit value itself. The simulator sees no whole value in any
/// reply, so values are counted here, when every word of one arrived.
async fn measure_naive_per_word(
    profiles: &[DeviceProfile],
    duration: Duration,
) -> Result<Measured> {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};

    let (path, statistics) = start_bus(profiles)?;
    let port = tokio_serial::SerialStream::open(&tokio_serial::new(&path, BAUD))
        .with_context(|| format!("cannot open {path}"))?;
    let mut context = tokio_modbus::client::rtu::attach(port);
    let reads = naive_reads(profiles);
    let values = Arc::new(AtomicU64::new(0));
    let counted = values.clone();
    let poller = tokio::spawn(async move {
        loop {
            for &(unit, function, address, words) in &reads {
                context.set_slave(tokio_modbus::Slave(unit));
                let mut whole = true;
                for word in 0..words {
                    let request = async {
                        if function == 3 {
                            context.read_holding_registers(address + word, 1).await
                        } else {
                            context.read_input_registers(address + word, 1).await
                        }
                    };
                    let answered = tokio::time::timeout(Duration::from_millis(300), request).await;
                    whole &= matches!(answered, Ok(Ok(Ok(_))));
                }
                if whole {
                    counted.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    });
    tokio::time::sleep(Duration::from_secs(1)).await;
    statistics.reset();
    values.store(0, Ordering::Relaxed);
    let started = Instant::now();
    tokio::time::sleep(duration).await;
    let mut counters = statistics.snapshot();
    counters.values = values.load(Ordering::Relaxed);
    let elapsed = started.elapsed();
    poller.abort();
    Ok(Measured { counters, elapsed })
}

async fn measure_naive(profiles: &[DeviceProfile], duration: Duration) -> Result<Measured> {
    let (path, statistics) = start_bus(profiles)?;
    let port = tokio_serial::SerialStream::open(&tokio_serial::new(&path, BAUD))
        .with_context(|| format!("cannot open {path}"))?;
    let mut context = tokio_modbus::client::rtu::attach(port);
    let reads = naive_reads(profiles);
    let poller = tokio::spawn(async move {
        loop {
            for &(unit, function, address, words) in &reads {
                context.set_slave(tokio_modbus::Slave(unit));
                let request = async {
                    if function == 3 {
                        context.read_holding_registers(address, words).await
                    } else {
                        context.read_input_registers(address, words).await
                    }
                };
                // Failures only cost time here, as they would on a real bus.
                let _ = tokio::time::timeout(Duration::from_millis(300), request).await;
            }
        }
    });
    let measured = count(&statistics, Duration::from_secs(1), duration).await;
    poller.abort();
    Ok(measured)
}
