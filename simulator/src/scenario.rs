//! The demo installation: a small building with a local RS485 line and a Modbus TCP gateway.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use shared::{Catalog, Commodity, DeviceConfig, GatewayConfig, GatewayLink, Parity, SiteConfig};

use crate::bus::{Behaviour, Bus, IoModuleState, SimulatedDevice};
use crate::physics::{ConsumptionProfile, MeterState, PulseChannel};

/// What the demo site needs to start.
#[derive(Debug, Clone)]
pub struct DemoSiteOptions {
    pub catalog: Catalog,
    /// Where the Modbus TCP gateway listens (port 0 picks a free one).
    pub tcp_address: SocketAddr,
    /// How often values move.
    pub tick: Duration,
}

impl DemoSiteOptions {
    /// The demo site from `catalog`, its gateway on a free loopback port, values moving every
    /// second. Fault injection, wire time and the control API are switched on after starting (see
    /// [`DemoSite::start_control`] and [`Bus::set_wire_baud`]), so these options stay as they are.
    pub fn new(catalog: Catalog) -> DemoSiteOptions {
        DemoSiteOptions {
            catalog,
            tcp_address: SocketAddr::from(([127, 0, 0, 1], 0)),
            tick: Duration::from_secs(1),
        }
    }
}

/// A running demo site.
#[derive(Debug)]
pub struct DemoSite {
    /// The gateway-side end of the virtual RS485 line.
    pub serial_path: PathBuf,
    pub tcp_address: SocketAddr,
    /// The installation as the gateway should configure it.
    pub site: SiteConfig,
    pub rtu_bus: Bus,
    pub tcp_bus: Bus,
    /// Where the control API listens, once [`DemoSite::start_control`] has started it.
    pub control_address: Option<SocketAddr>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl DemoSite {
    /// Starts the control API for both buses on `address` (port 0 picks a free one); it stops
    /// with the site. Returns the bound address.
    pub async fn start_control(&mut self, address: SocketAddr) -> std::io::Result<SocketAddr> {
        let (bound, task) =
            crate::control::start_control(address, self.rtu_bus.clone(), self.tcp_bus.clone())
                .await?;
        self.tasks.push(task);
        self.control_address = Some(bound);
        Ok(bound)
    }
}

impl Drop for DemoSite {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

struct Planned {
    unit_id: u8,
    model: &'static str,
    name: &'static str,
    /// Base, peak and solar watts; annual-looking starting counter in kWh.
    load: (f64, f64, f64, f64),
}

const LOCAL_METERS: [Planned; 3] = [
    Planned {
        unit_id: 1,
        model: "eastron-sdm630",
        name: "General supply",
        load: (1500.0, 6000.0, 0.0, 48_210.0),
    },
    Planned {
        unit_id: 2,
        model: "eastron-sdm120",
        name: "Flat 1",
        load: (180.0, 2200.0, 0.0, 9_874.0),
    },
    Planned {
        unit_id: 3,
        model: "abb-b23",
        name: "Workshop and roof solar",
        load: (700.0, 2500.0, 9000.0, 21_450.0),
    },
];

const TCP_METERS: [Planned; 3] = [
    Planned {
        unit_id: 1,
        model: "carlo-gavazzi-em24",
        name: "Building B lighting",
        load: (300.0, 1800.0, 0.0, 15_320.0),
    },
    Planned {
        unit_id: 2,
        model: "schneider-iem3155",
        name: "Building B heat pump",
        load: (900.0, 4500.0, 0.0, 33_010.0),
    },
    Planned {
        unit_id: 3,
        model: "janitza-b23",
        name: "Building B sockets",
        load: (250.0, 1500.0, 0.0, 7_640.0),
    },
];

/// The I/O module on the RS485 line: inputs 1 and 2 change now and then (a door contact, a
/// pump's run signal), relay 1 is wired normally open and relay 2 normally closed.
pub const IO_MODULE_UNIT: u8 = 20;
const IO_MODULE_MODEL: &str = "io-module-generic";
const IO_MODULE_NAME: &str = "Boiler room I/O";
/// Holding register choosing relay 2's normal state in the model (1: normally closed).
const IO_MODULE_RELAY_2_NORMAL_STATE: u16 = 0x0110;

const CONCENTRATOR_UNIT: u8 = 10;
const CONCENTRATOR_MODEL: &str = "pulse-concentrator-4";
/// (position, name, commodity, cubic metres per pulse, peak flow m³/h, starting volume m³)
const PULSE_METERS: [(u8, &str, Commodity, f64, f64, f64); 2] = [
    (1, "Cold water", Commodity::Water, 0.001, 0.9, 1_234.567),
    (2, "Boiler gas", Commodity::Gas, 0.01, 3.0, 8_765.43),
];

fn meters(catalog: &Catalog, planned: &[Planned]) -> anyhow::Result<Vec<SimulatedDevice>> {
    planned
        .iter()
        .map(|plan| {
            let profile = catalog
                .get(plan.model)
                .with_context(|| format!("model {} is missing from the catalog", plan.model))?
                .clone();
            let (base_watts, peak_watts, solar_watts, start_kwh) = plan.load;
            let state = MeterState::new(
                ConsumptionProfile {
                    base_watts,
                    peak_watts,
                    solar_watts,
                },
                profile.phases,
                start_kwh * 1000.0,
            );
            Ok(SimulatedDevice {
                unit_id: plan.unit_id,
                profile,
                behaviour: Behaviour::Meter(state),
            })
        })
        .collect()
}

/// Starts the demo site's buses and returns the matching installation.
pub async fn start_demo_site(options: DemoSiteOptions) -> anyhow::Result<DemoSite> {
    let catalog = &options.catalog;
    let mut local = meters(catalog, &LOCAL_METERS)?;
    let concentrator = catalog
        .get(CONCENTRATOR_MODEL)
        .with_context(|| format!("model {CONCENTRATOR_MODEL} is missing from the catalog"))?
        .clone();
    let channels: BTreeMap<u8, PulseChannel> = PULSE_METERS
        .iter()
        .map(|&(position, _, _, pulse_weight, peak_flow, volume)| {
            (
                position,
                PulseChannel {
                    pulse_weight,
                    peak_flow,
                    volume,
                },
            )
        })
        .collect();
    local.push(SimulatedDevice {
        unit_id: CONCENTRATOR_UNIT,
        profile: concentrator,
        behaviour: Behaviour::Concentrator(channels),
    });
    let io_profile = catalog
        .get(IO_MODULE_MODEL)
        .with_context(|| format!("model {IO_MODULE_MODEL} is missing from the catalog"))?
        .clone();
    let mut io_state = IoModuleState::new(&io_profile).with_toggling(&[0, 1], 15.0);
    io_state.set_holding(IO_MODULE_RELAY_2_NORMAL_STATE, 1);
    local.push(SimulatedDevice {
        unit_id: IO_MODULE_UNIT,
        profile: io_profile,
        behaviour: Behaviour::IoModule(io_state),
    });
    let rtu_bus = Bus::new(local)?;
    let tcp_bus = Bus::new(meters(catalog, &TCP_METERS)?)?;

    let (serial_path, rtu_task) =
        crate::rtu::start_rtu(rtu_bus.clone()).context("cannot open a pseudo-terminal")?;
    let (tcp_address, tcp_task) = crate::tcp::start_tcp(tcp_bus.clone(), options.tcp_address)
        .await
        .with_context(|| format!("cannot listen on {}", options.tcp_address))?;
    let tasks = vec![
        rtu_task,
        tcp_task,
        rtu_bus.spawn_clock(options.tick),
        tcp_bus.spawn_clock(options.tick),
    ];

    let site = site_config(&serial_path, tcp_address);
    Ok(DemoSite {
        serial_path,
        tcp_address,
        site,
        rtu_bus,
        tcp_bus,
        control_address: None,
        tasks,
    })
}

fn site_config(serial_path: &std::path::Path, tcp_address: SocketAddr) -> SiteConfig {
    let mut devices = Vec::new();
    let mut next_id = 1;
    let mut device = |gateway: u32, name: &str, model: &str, address: u8| {
        let config = DeviceConfig {
            id: next_id,
            gateway,
            name: name.to_owned(),
            model: model.to_owned(),
            address,
            position: None,
            commodity: None,
            pulse_weight: None,
            enabled: true,
            ..DeviceConfig::default()
        };
        next_id += 1;
        config
    };
    for plan in &LOCAL_METERS {
        devices.push(device(1, plan.name, plan.model, plan.unit_id));
    }
    for &(position, name, commodity, pulse_weight, _, _) in &PULSE_METERS {
        let mut counter = device(1, name, CONCENTRATOR_MODEL, CONCENTRATOR_UNIT);
        counter.position = Some(position);
        counter.commodity = Some(commodity);
        counter.pulse_weight = Some(pulse_weight);
        counter.load_type = match commodity {
            Commodity::Gas => "gas".into(),
            _ => "water".into(),
        };
        devices.push(counter);
    }
    devices.push(device(1, IO_MODULE_NAME, IO_MODULE_MODEL, IO_MODULE_UNIT));
    for plan in &TCP_METERS {
        devices.push(device(2, plan.name, plan.model, plan.unit_id));
    }
    SiteConfig {
        gateways: vec![
            GatewayConfig {
                id: 1,
                name: "Local".into(),
                description: "RS485 port of the box".into(),
                // Pseudo-terminals refuse parity (see TOOLCHAIN.md): the virtual line runs 8N1.
                link: GatewayLink::Local {
                    serial_port: serial_path.display().to_string(),
                    baud: 19_200,
                    parity: Parity::None,
                    stop_bits: 1,
                    timeout_ms: 300,
                    frame_gap_ms: None,
                },
                enabled: true,
            },
            GatewayConfig {
                id: 2,
                name: "Building B gateway".into(),
                description: "Modbus TCP gateway in building B".into(),
                link: GatewayLink::ModbusTcp {
                    host: tcp_address.ip().to_string(),
                    port: tcp_address.port(),
                    timeout_ms: 500,
                },
                enabled: true,
            },
        ],
        devices,
        ..SiteConfig::default()
    }
}
