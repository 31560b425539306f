//! A simulated bus for the demo and the tests: Modbus RTU slaves on a virtual serial line (a
//! pseudo-terminal pair) and a Modbus TCP gateway with more slaves behind it, serving exactly the
//! registers of the device catalog with values that move like a real building's.
//!
//! Devices can be switched into faults while the bus runs ([`Bus::set_fault`], or over HTTP with
//! the control API, see [`start_control`]), and the RTU line can be held to the pace of a real
//! line ([`Bus::set_wire_baud`]). Two smart meters push on HAN and P1 ports of their own
//! ([`start_han_meters`]).

mod bus;
mod control;
mod fault;
mod han;
mod pdu;
mod physics;
mod rtu;
mod scenario;
mod statistics;
mod tcp;
mod wire;

pub use bus::{Behaviour, Bus, BusError, IoModuleState, SimulatedDevice};
pub use control::{control_router, start_control};
pub use fault::{Fault, FaultError, MAX_DELAY_MS};
pub use han::{
    HAN_DEVICE, HAN_GATEWAY, HanMeters, HanTiming, P1_DEVICE, P1_GATEWAY, start_han_meters,
};
pub use physics::{ConsumptionProfile, MeterState, PulseChannel};
pub use rtu::{VirtualSerialLine, start_rtu, start_rtu_measured};
pub use scenario::{DemoSite, DemoSiteOptions, IO_MODULE_UNIT, start_demo_site};
pub use statistics::{LineCounters, LineStatistics};
pub use tcp::start_tcp;
pub use wire::WireTime;
