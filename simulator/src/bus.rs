//! The simulated devices and how they answer Modbus requests.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::Timelike;
use rand::SeedableRng;
use rand::rngs::StdRng;
use shared::{DeviceProfile, Family, RegisterSpec};
use thiserror::Error;
use tokio::sync::watch;
use tokio_modbus::prelude::{ExceptionCode, Request, Response};
use tracing::info;

use crate::fault::{Delivery, Fault, FaultError};
use crate::pdu::{encode_answer, parse_request};
use crate::physics::{MeterState, PulseChannel};
use crate::wire::WireTime;

/// What a simulated device is made of.
#[derive(Debug, Clone)]
pub enum Behaviour {
    Meter(MeterState),
    /// Pulse channels by position.
    Concentrator(BTreeMap<u8, PulseChannel>),
}

/// A device on the simulated bus.
#[derive(Debug, Clone)]
pub struct SimulatedDevice {
    pub unit_id: u8,
    pub profile: DeviceProfile,
    pub behaviour: Behaviour,
}

/// A simulated device that does not fit its catalog model.
#[derive(Debug, Error)]
pub enum BusError {
    #[error("unit id {0} is used twice on one bus")]
    DuplicateUnit(u8),
    #[error("unit id {0} is outside 1 to 247")]
    BadUnit(u8),
    #[error(
        "model {0} is a pulse concentrator but the device is simulated as a meter, or the other way round"
    )]
    WrongBehaviour(String),
    #[error("no device has unit id {0} on this bus")]
    UnknownUnit(u8),
    #[error(transparent)]
    Fault(#[from] FaultError),
}

impl SimulatedDevice {
    /// The raw register number of one catalog register now (before encoding).
    fn raw_value(&self, register: &RegisterSpec) -> Option<f64> {
        let base = match &self.behaviour {
            Behaviour::Meter(meter) => *meter.quantities().get(&register.quantity)?,
            Behaviour::Concentrator(channels) => {
                let channel = channels.get(&register.channel?)?;
                // Pulse counters carry pulses: the weight is the device's, not the register's.
                return Some(channel.pulses() / register.scale);
            }
        };
        Some(base / register.factor_to_base(1.0))
    }

    /// Answers a read of `count` registers at `address` with function `function`, as the real
    /// model would: unmapped words inside a block read as zero, a block touching no register at
    /// all is an illegal address.
    pub fn read(&self, function: u8, address: u16, count: u16) -> Result<Vec<u16>, ExceptionCode> {
        if function != self.profile.function {
            return Err(ExceptionCode::IllegalFunction);
        }
        if count == 0 || count > 125 || u32::from(address) + u32::from(count) > 0x1_0000 {
            return Err(ExceptionCode::IllegalDataValue);
        }
        let end = u32::from(address) + u32::from(count);
        let mut words = vec![0u16; usize::from(count)];
        let mut mapped = false;
        for register in &self.profile.registers {
            let start = u32::from(register.address);
            let stop = start + u32::from(register.words());
            if stop <= u32::from(address) || start >= end {
                continue;
            }
            mapped = true;
            let Some(raw) = self.raw_value(register) else {
                continue;
            };
            for (offset, word) in register.encoding().encode(raw).into_iter().enumerate() {
                let at = start + offset as u32;
                if (u32::from(address)..end).contains(&at) {
                    words[(at - u32::from(address)) as usize] = word;
                }
            }
        }
        if mapped {
            Ok(words)
        } else {
            Err(ExceptionCode::IllegalDataAddress)
        }
    }

    fn advance(&mut self, hour: f64, seconds: f64, rng: &mut StdRng) {
        match &mut self.behaviour {
            Behaviour::Meter(meter) => meter.advance(hour, seconds, rng),
            Behaviour::Concentrator(channels) => {
                for channel in channels.values_mut() {
                    channel.advance(hour, seconds, rng);
                }
            }
        }
    }
}

/// What the tests and the control API have switched on one device, and how often it was asked.
#[derive(Debug, Clone, Copy, Default)]
struct UnitControl {
    fault: Fault,
    requests: u64,
}

/// The devices of one bus (an RS485 line or the slaves behind a TCP gateway), shared by the task
/// that moves their values, the servers that answer requests and whoever injects faults. Cloning
/// shares the bus.
#[derive(Debug, Clone)]
pub struct Bus {
    devices: Arc<Mutex<BTreeMap<u8, SimulatedDevice>>>,
    controls: Arc<Mutex<BTreeMap<u8, UnitControl>>>,
    /// Whether a TCP gateway serving this bus closes its connections (a watch, so that open
    /// connections close the moment it is set).
    drop_connections: watch::Sender<bool>,
    /// Baud rate whose wire time an RTU server emulates; 0 for none.
    wire_baud: Arc<AtomicU32>,
}

impl Bus {
    /// A bus with these devices; refuses duplicate unit ids and devices that contradict their model.
    pub fn new(devices: Vec<SimulatedDevice>) -> Result<Bus, BusError> {
        let mut by_unit = BTreeMap::new();
        for device in devices {
            if !(1..=247).contains(&device.unit_id) {
                return Err(BusError::BadUnit(device.unit_id));
            }
            let concentrator = device.profile.family == Family::PulseConcentrator;
            if concentrator != matches!(device.behaviour, Behaviour::Concentrator(_)) {
                return Err(BusError::WrongBehaviour(device.profile.id.clone()));
            }
            let unit = device.unit_id;
            if by_unit.insert(unit, device).is_some() {
                return Err(BusError::DuplicateUnit(unit));
            }
        }
        let controls = by_unit
            .keys()
            .map(|unit| (*unit, UnitControl::default()))
            .collect();
        Ok(Bus {
            devices: Arc::new(Mutex::new(by_unit)),
            controls: Arc::new(Mutex::new(controls)),
            drop_connections: watch::Sender::new(false),
            wire_baud: Arc::new(AtomicU32::new(0)),
        })
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<u8, SimulatedDevice>> {
        // A panic while holding the lock leaves plain numbers behind: still usable.
        self.devices
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn lock_controls(&self) -> MutexGuard<'_, BTreeMap<u8, UnitControl>> {
        self.controls
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The unit ids of the devices on the bus, in order.
    pub fn units(&self) -> Vec<u8> {
        self.lock().keys().copied().collect()
    }

    /// The catalog model of unit `unit`.
    pub fn model(&self, unit: u8) -> Option<String> {
        self.lock()
            .get(&unit)
            .map(|device| device.profile.id.clone())
    }

    /// Switches unit `unit` into `fault` from its next request on; returns the fault it had.
    pub fn set_fault(&self, unit: u8, fault: Fault) -> Result<Fault, BusError> {
        let fault = fault.validate()?;
        let mut controls = self.lock_controls();
        let control = controls.get_mut(&unit).ok_or(BusError::UnknownUnit(unit))?;
        let previous = std::mem::replace(&mut control.fault, fault);
        if previous != fault {
            info!(unit, ?fault, "fault switched");
        }
        Ok(previous)
    }

    /// The fault unit `unit` is in, `None` when no such device is on the bus.
    pub fn fault(&self, unit: u8) -> Option<Fault> {
        self.lock_controls().get(&unit).map(|control| control.fault)
    }

    /// Every device's fault by unit id.
    pub fn faults(&self) -> BTreeMap<u8, Fault> {
        self.lock_controls()
            .iter()
            .map(|(unit, control)| (*unit, control.fault))
            .collect()
    }

    /// Every device healthy again, connections no longer dropped (wire time is left as it is).
    pub fn heal(&self) {
        for control in self.lock_controls().values_mut() {
            control.fault = Fault::Healthy;
        }
        self.set_drop_connections(false);
    }

    /// How many requests addressed to unit `unit` the bus has received, whatever its fault made
    /// of them (a timed-out request counts too).
    pub fn requests(&self, unit: u8) -> u64 {
        self.lock_controls()
            .get(&unit)
            .map_or(0, |control| control.requests)
    }

    /// While set, a TCP gateway serving this bus closes every client connection: those open now at
    /// once, new ones right after accepting them. RTU lines ignore it.
    pub fn set_drop_connections(&self, drop: bool) {
        let previous = self.drop_connections.send_replace(drop);
        if previous != drop {
            info!(drop, "dropping TCP connections switched");
        }
    }

    /// Whether TCP connections are being dropped.
    pub fn drops_connections(&self) -> bool {
        *self.drop_connections.borrow()
    }

    pub(crate) fn watch_drop_connections(&self) -> watch::Receiver<bool> {
        self.drop_connections.subscribe()
    }

    /// Makes an RTU line serving this bus no faster than a real line at `baud` (`None` or 0: as
    /// fast as the pseudo-terminal goes). See [`WireTime`]. TCP gateways ignore it.
    pub fn set_wire_baud(&self, baud: Option<u32>) {
        self.wire_baud.store(baud.unwrap_or(0), Ordering::Relaxed);
    }

    /// The baud rate whose wire time is emulated, if any.
    pub fn wire_baud(&self) -> Option<u32> {
        self.wire_time().map(WireTime::baud)
    }

    pub(crate) fn wire_time(&self) -> Option<WireTime> {
        WireTime::new(self.wire_baud.load(Ordering::Relaxed))
    }

    /// What unit `unit` sends back for the request PDU `pdu`, its fault applied; `None` when no
    /// such device is on the bus. Counts the request.
    pub(crate) fn serve(&self, unit: u8, pdu: &[u8]) -> Option<Delivery> {
        let function = *pdu.first()?;
        let answer = match parse_request(pdu) {
            Ok(request) => self.answer(unit, &request)?,
            Err(exception) => {
                if !self.lock().contains_key(&unit) {
                    return None;
                }
                Err(exception)
            }
        };
        let fault = {
            let mut controls = self.lock_controls();
            let control = controls.get_mut(&unit)?;
            control.requests += 1;
            control.fault
        };
        Some(fault.deliver(function, encode_answer(function, answer)))
    }

    /// The reply of unit `unit`, or `None` when no such device is on the bus (silence, as on RS485).
    pub fn answer(
        &self,
        unit: u8,
        request: &Request<'_>,
    ) -> Option<Result<Response, ExceptionCode>> {
        let devices = self.lock();
        let device = devices.get(&unit)?;
        let reply = match request {
            Request::ReadHoldingRegisters(address, count) => device
                .read(3, *address, *count)
                .map(Response::ReadHoldingRegisters),
            Request::ReadInputRegisters(address, count) => device
                .read(4, *address, *count)
                .map(Response::ReadInputRegisters),
            _ => Err(ExceptionCode::IllegalFunction),
        };
        Some(reply)
    }

    /// A copy of one device's state, for tests.
    pub fn device(&self, unit: u8) -> Option<SimulatedDevice> {
        self.lock().get(&unit).cloned()
    }

    /// Moves every device forward by `seconds` to the local time of day `hour`.
    pub fn advance(&self, hour: f64, seconds: f64, rng: &mut StdRng) {
        for device in self.lock().values_mut() {
            device.advance(hour, seconds, rng);
        }
    }

    /// Moves the devices with the wall clock every `period`, until the runtime stops.
    pub fn spawn_clock(&self, period: Duration) -> tokio::task::JoinHandle<()> {
        let bus = self.clone();
        tokio::spawn(async move {
            let mut rng = StdRng::from_os_rng();
            let mut ticker = tokio::time::interval(period);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticker.tick().await;
                let now = chrono::Local::now();
                let hour = f64::from(now.hour())
                    + f64::from(now.minute()) / 60.0
                    + f64::from(now.second()) / 3600.0;
                bus.advance(hour, period.as_secs_f64(), &mut rng);
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use shared::{Catalog, Quantity};

    use super::*;
    use crate::physics::ConsumptionProfile;

    fn catalog() -> Catalog {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/catalog");
        Catalog::load_dir(&dir).unwrap()
    }

    fn meter(model: &str, unit_id: u8) -> SimulatedDevice {
        let profile = catalog().get(model).unwrap().clone();
        let phases = profile.phases;
        SimulatedDevice {
            unit_id,
            profile,
            behaviour: Behaviour::Meter(MeterState::new(
                ConsumptionProfile {
                    base_watts: 1000.0,
                    peak_watts: 0.0,
                    solar_watts: 0.0,
                },
                phases,
                12_345_678.0,
            )),
        }
    }

    #[test]
    fn serves_catalog_registers_in_the_models_encoding() {
        let device = meter("carlo-gavazzi-em24", 1);
        // Energy import 12 345.678 kWh at 0x34, INT32 ÷10 kWh, low word first → 123457.
        let words = device.read(4, 0x34, 2).unwrap();
        assert_eq!(
            words,
            vec![(123_457 & 0xFFFF) as u16, (123_457 >> 16) as u16]
        );
    }

    #[test]
    fn wrong_function_and_unmapped_blocks_are_exceptions() {
        let device = meter("eastron-sdm630", 1);
        assert_eq!(device.read(3, 0, 2), Err(ExceptionCode::IllegalFunction));
        assert_eq!(
            device.read(4, 0x2000, 2),
            Err(ExceptionCode::IllegalDataAddress)
        );
        assert_eq!(device.read(4, 0, 126), Err(ExceptionCode::IllegalDataValue));
        // A block through a gap reads the gap as zeros.
        let block = device.read(4, 0x0010, 0x3A - 0x10).unwrap();
        assert_eq!(block[2], 0);
    }

    #[test]
    fn unknown_units_stay_silent() {
        let bus = Bus::new(vec![meter("eastron-sdm630", 1)]).unwrap();
        assert!(bus.answer(2, &Request::ReadInputRegisters(0, 2)).is_none());
        assert!(bus.answer(1, &Request::ReadInputRegisters(0, 2)).is_some());
    }

    #[test]
    fn faults_change_what_is_served_and_requests_are_counted() {
        let bus = Bus::new(vec![meter("eastron-sdm630", 1)]).unwrap();
        let read = [4, 0, 0, 0, 2];
        assert!(matches!(
            bus.serve(1, &read),
            Some(Delivery::Pdu { ref pdu, .. }) if pdu.len() == 6
        ));
        assert_eq!(bus.serve(2, &read), None);
        assert_eq!(bus.set_fault(1, Fault::Timeout).unwrap(), Fault::Healthy);
        assert_eq!(bus.serve(1, &read), Some(Delivery::Silence));
        assert_eq!(bus.requests(1), 2);
        assert!(matches!(
            bus.set_fault(2, Fault::Timeout),
            Err(BusError::UnknownUnit(2))
        ));
        assert!(bus.set_fault(1, Fault::Exception { code: 0 }).is_err());
        bus.set_drop_connections(true);
        bus.heal();
        assert_eq!(bus.fault(1), Some(Fault::Healthy));
        assert!(!bus.drops_connections());
        // A malformed read is the device's to refuse.
        assert!(matches!(
            bus.serve(1, &[4, 0]),
            Some(Delivery::Pdu { ref pdu, .. }) if pdu == &[0x84, 3]
        ));
    }

    #[test]
    fn duplicate_units_are_refused() {
        assert!(matches!(
            Bus::new(vec![meter("eastron-sdm630", 1), meter("eastron-sdm120", 1)]),
            Err(BusError::DuplicateUnit(1))
        ));
    }

    #[test]
    fn every_register_of_every_model_round_trips() {
        let catalog = catalog();
        for profile in catalog.profiles() {
            if profile.family != Family::ElectricityMeter {
                continue;
            }
            let device = meter(&profile.id, 1);
            let Behaviour::Meter(state) = &device.behaviour else {
                unreachable!()
            };
            let expected = state.quantities();
            for register in &profile.registers {
                let words = device
                    .read(profile.function, register.address, register.words())
                    .unwrap();
                let decoded =
                    register.encoding().decode(&words).unwrap() * register.factor_to_base(1.0);
                let want = expected[&register.quantity];
                let tolerance = match register.quantity {
                    Quantity::ActiveEnergyImport | Quantity::ActiveEnergyExport => 100.0,
                    _ => want.abs() * 1e-3 + 0.02,
                };
                assert!(
                    (decoded - want).abs() <= tolerance,
                    "{} {:?}: {decoded} vs {want}",
                    profile.id,
                    register.quantity
                );
            }
        }
    }
}
