//! A simulated bus for the demo and the tests: Modbus RTU slaves on a virtual serial line (a
//! pseudo-terminal pair) and a Modbus TCP gateway with more slaves behind it, serving exactly the
//! registers of the device catalog with values that move like a real building's.

mod bus;
mod physics;
mod rtu;
mod scenario;
mod tcp;

pub use bus::{Bus, BusError, SimulatedDevice};
pub use physics::{ConsumptionProfile, MeterState, PulseChannel};
pub use rtu::{VirtualSerialLine, start_rtu};
pub use scenario::{DemoSite, DemoSiteOptions, start_demo_site};
pub use tcp::start_tcp;
