//! The simulated devices and how they answer Modbus requests.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::Timelike;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use shared::{DeviceProfile, Family, RegisterSpec};
use thiserror::Error;
use tokio::sync::watch;
use tokio_modbus::prelude::{ExceptionCode, Request, Response};
use tracing::info;

use crate::fault::{Delivery, Fault, FaultError};
use crate::pdu::{MAX_READ_BITS, MAX_READ_WORDS, encode_answer, parse_request};
use crate::physics::{MeterState, PulseChannel};
use crate::wire::WireTime;

/// What a simulated device is made of.
#[derive(Debug, Clone)]
pub enum Behaviour {
    Meter(MeterState),
    /// Pulse channels by position.
    Concentrator(BTreeMap<u8, PulseChannel>),
    /// Inputs, relays and configuration registers of an I/O module.
    IoModule(IoModuleState),
}

/// A simulated I/O module: its coils and discrete inputs (functions 1 and 2) and its input and
/// holding registers (4 and 3), by function and address, laid out by its catalog model. Relays
/// follow what is written to their coils; some inputs change now and then.
#[derive(Debug, Clone, PartialEq)]
pub struct IoModuleState {
    bits: BTreeMap<(u8, u16), bool>,
    words: BTreeMap<(u8, u16), u16>,
    /// Discrete inputs that change on their own, with the mean time between changes.
    toggling: Vec<u16>,
    mean_toggle_seconds: f64,
}

impl IoModuleState {
    /// All inputs open, relays released, analogue inputs at 0 and configuration registers at 0
    /// (NO, impulsive, maintained), as the model lays them out.
    pub fn new(profile: &DeviceProfile) -> IoModuleState {
        let mut bits = BTreeMap::new();
        let mut words = BTreeMap::new();
        for register in &profile.registers {
            match register.read_function(profile.function) {
                function @ (1 | 2) => {
                    bits.insert((function, register.address), false);
                }
                function => {
                    for offset in 0..register.words() {
                        words.insert((function, register.address + offset), 0);
                    }
                }
            }
        }
        for output in &profile.outputs {
            for register in [&output.normal_state, &output.mode, &output.on_time]
                .into_iter()
                .flatten()
            {
                words.insert((3, register.address), 0);
            }
        }
        IoModuleState {
            bits,
            words,
            toggling: Vec::new(),
            mean_toggle_seconds: 20.0,
        }
    }

    /// Makes the discrete inputs at `addresses` change on their own, on average every
    /// `mean_seconds`.
    pub fn with_toggling(mut self, addresses: &[u16], mean_seconds: f64) -> IoModuleState {
        self.toggling = addresses.to_vec();
        self.mean_toggle_seconds = mean_seconds.max(0.001);
        self
    }

    /// The state of coil `address` (a relay: true when energised).
    pub fn coil(&self, address: u16) -> Option<bool> {
        self.bits.get(&(1, address)).copied()
    }

    /// The state of discrete input `address` (true when closed).
    pub fn input(&self, address: u16) -> Option<bool> {
        self.bits.get(&(2, address)).copied()
    }

    /// Opens or closes discrete input `address`; false when the module has no such input.
    pub fn set_input(&mut self, address: u16, closed: bool) -> bool {
        match self.bits.get_mut(&(2, address)) {
            Some(bit) => {
                *bit = closed;
                true
            }
            None => false,
        }
    }

    /// Holding register `address` (configuration).
    pub fn holding(&self, address: u16) -> Option<u16> {
        self.words.get(&(3, address)).copied()
    }

    /// Sets holding register `address`, as an installer configuring the module would; false when
    /// there is no such register.
    pub fn set_holding(&mut self, address: u16, value: u16) -> bool {
        match self.words.get_mut(&(3, address)) {
            Some(word) => {
                *word = value;
                true
            }
            None => false,
        }
    }

    /// Items `address..address + count` of `space` as read: unmapped ones inside a block read as
    /// zero, a block touching nothing is an illegal address.
    fn read_range<T: Copy + Default>(
        map: &BTreeMap<(u8, u16), T>,
        function: u8,
        address: u16,
        count: u16,
    ) -> Result<Vec<T>, ExceptionCode> {
        if u32::from(address) + u32::from(count) > 0x1_0000 {
            return Err(ExceptionCode::IllegalDataAddress);
        }
        let values: Vec<Option<T>> = (0..count)
            .map(|offset| map.get(&(function, address + offset)).copied())
            .collect();
        if values.iter().all(Option::is_none) {
            return Err(ExceptionCode::IllegalDataAddress);
        }
        Ok(values.into_iter().map(Option::unwrap_or_default).collect())
    }

    fn read_bits(
        &self,
        function: u8,
        address: u16,
        count: u16,
    ) -> Result<Vec<bool>, ExceptionCode> {
        if count == 0 || count > MAX_READ_BITS {
            return Err(ExceptionCode::IllegalDataValue);
        }
        IoModuleState::read_range(&self.bits, function, address, count)
    }

    fn read_words(
        &self,
        function: u8,
        address: u16,
        count: u16,
    ) -> Result<Vec<u16>, ExceptionCode> {
        if count == 0 || count > MAX_READ_WORDS {
            return Err(ExceptionCode::IllegalDataValue);
        }
        IoModuleState::read_range(&self.words, function, address, count)
    }

    /// Writes coils from `address` on; every one must exist, or nothing is written.
    fn write_coils(&mut self, address: u16, values: &[bool]) -> Result<(), ExceptionCode> {
        let all_exist = (0..values.len()).all(|offset| {
            u16::try_from(offset)
                .ok()
                .and_then(|offset| address.checked_add(offset))
                .is_some_and(|at| self.bits.contains_key(&(1, at)))
        });
        if !all_exist {
            return Err(ExceptionCode::IllegalDataAddress);
        }
        for (at, value) in (address..).zip(values) {
            self.bits.insert((1, at), *value);
        }
        Ok(())
    }

    /// Writes holding registers from `address` on; every one must exist, or nothing is written.
    fn write_registers(&mut self, address: u16, values: &[u16]) -> Result<(), ExceptionCode> {
        let all_exist = (0..values.len()).all(|offset| {
            u16::try_from(offset)
                .ok()
                .and_then(|offset| address.checked_add(offset))
                .is_some_and(|at| self.words.contains_key(&(3, at)))
        });
        if !all_exist {
            return Err(ExceptionCode::IllegalDataAddress);
        }
        for (at, value) in (address..).zip(values) {
            self.words.insert((3, at), *value);
        }
        Ok(())
    }

    fn advance(&mut self, hour: f64, seconds: f64, rng: &mut StdRng) {
        let chance = (seconds / self.mean_toggle_seconds).min(1.0);
        for address in &self.toggling {
            if rng.random_bool(chance)
                && let Some(bit) = self.bits.get_mut(&(2, *address))
            {
                *bit = !*bit;
            }
        }
        // Analogue inputs: a temperature-like daily curve in raw counts, with some noise.
        let daily = (hour / 24.0 * std::f64::consts::TAU).sin();
        for (index, ((function, _), word)) in self.words.iter_mut().enumerate() {
            if *function == 4 {
                let value =
                    2000.0 + 800.0 * daily + 100.0 * index as f64 + rng.random_range(-20.0..20.0);
                *word = value.clamp(0.0, f64::from(u16::MAX)) as u16;
            }
        }
    }
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
        "model {0} is simulated with the behaviour of another family (meter, pulse concentrator, I/O module)"
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
            Behaviour::IoModule(_) => return None,
        };
        Some(base / register.factor_to_base(1.0))
    }

    /// Answers a read of `count` registers at `address` with function `function`, as the real
    /// model would: unmapped words inside a block read as zero, a block touching no register at
    /// all is an illegal address.
    pub fn read(&self, function: u8, address: u16, count: u16) -> Result<Vec<u16>, ExceptionCode> {
        if let Behaviour::IoModule(module) = &self.behaviour {
            return module.read_words(function, address, count);
        }
        let serves = self
            .profile
            .registers
            .iter()
            .any(|register| register.read_function(self.profile.function) == function);
        if !serves || !matches!(function, 3 | 4) {
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

    /// Answers a read of coils (function 1) or discrete inputs (2).
    pub fn read_bits(
        &self,
        function: u8,
        address: u16,
        count: u16,
    ) -> Result<Vec<bool>, ExceptionCode> {
        match &self.behaviour {
            Behaviour::IoModule(module) => module.read_bits(function, address, count),
            _ => Err(ExceptionCode::IllegalFunction),
        }
    }

    /// Serves a write request (functions 5, 6, 15, 16); meters and concentrators have nothing to
    /// write.
    fn write(&mut self, request: &Request<'_>) -> Result<Response, ExceptionCode> {
        let Behaviour::IoModule(module) = &mut self.behaviour else {
            return Err(ExceptionCode::IllegalFunction);
        };
        match request {
            Request::WriteSingleCoil(address, on) => module
                .write_coils(*address, &[*on])
                .map(|()| Response::WriteSingleCoil(*address, *on)),
            Request::WriteMultipleCoils(address, values) => module
                .write_coils(*address, values)
                .map(|()| Response::WriteMultipleCoils(*address, values.len() as u16)),
            Request::WriteSingleRegister(address, value) => module
                .write_registers(*address, &[*value])
                .map(|()| Response::WriteSingleRegister(*address, *value)),
            Request::WriteMultipleRegisters(address, values) => module
                .write_registers(*address, values)
                .map(|()| Response::WriteMultipleRegisters(*address, values.len() as u16)),
            _ => Err(ExceptionCode::IllegalFunction),
        }
    }

    fn advance(&mut self, hour: f64, seconds: f64, rng: &mut StdRng) {
        match &mut self.behaviour {
            Behaviour::IoModule(module) => module.advance(hour, seconds, rng),
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
            let io_module = device.profile.family == Family::IoModule;
            if concentrator != matches!(device.behaviour, Behaviour::Concentrator(_))
                || io_module != matches!(device.behaviour, Behaviour::IoModule(_))
            {
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
        let mut devices = self.lock();
        let device = devices.get_mut(&unit)?;
        let reply = match request {
            Request::ReadHoldingRegisters(address, count) => device
                .read(3, *address, *count)
                .map(Response::ReadHoldingRegisters),
            Request::ReadInputRegisters(address, count) => device
                .read(4, *address, *count)
                .map(Response::ReadInputRegisters),
            Request::ReadCoils(address, count) => device
                .read_bits(1, *address, *count)
                .map(Response::ReadCoils),
            Request::ReadDiscreteInputs(address, count) => device
                .read_bits(2, *address, *count)
                .map(Response::ReadDiscreteInputs),
            Request::WriteSingleCoil(..)
            | Request::WriteMultipleCoils(..)
            | Request::WriteSingleRegister(..)
            | Request::WriteMultipleRegisters(..) => {
                let written = device.write(request);
                if written.is_ok() {
                    info!(unit, ?request, "written");
                }
                written
            }
            _ => Err(ExceptionCode::IllegalFunction),
        };
        Some(reply)
    }

    /// Changes unit `unit`'s I/O module state (a test closing an input, an installer configuring
    /// a relay NC); false when the unit is not an I/O module.
    pub fn with_io_module(&self, unit: u8, change: impl FnOnce(&mut IoModuleState)) -> bool {
        match self
            .lock()
            .get_mut(&unit)
            .map(|device| &mut device.behaviour)
        {
            Some(Behaviour::IoModule(module)) => {
                change(module);
                true
            }
            _ => false,
        }
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
        // A block through a gap reads the gap as zeros (0x0024: phase angle, not in the catalog).
        let block = device.read(4, 0x0010, 0x3A - 0x10).unwrap();
        assert_eq!(block[0x24 - 0x10], 0);
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

    fn io_module(unit_id: u8) -> SimulatedDevice {
        let profile = catalog().get("io-module-generic").unwrap().clone();
        SimulatedDevice {
            unit_id,
            behaviour: Behaviour::IoModule(IoModuleState::new(&profile)),
            profile,
        }
    }

    #[test]
    fn an_io_module_serves_bits_and_follows_writes() {
        let bus = Bus::new(vec![io_module(20)]).unwrap();
        assert!(bus.with_io_module(20, |module| {
            module.set_input(1, true);
        }));
        let answer = |request: Request<'_>| bus.answer(20, &request).unwrap();
        assert_eq!(
            answer(Request::ReadDiscreteInputs(0, 4)),
            Ok(Response::ReadDiscreteInputs(vec![
                false, true, false, false
            ]))
        );
        assert_eq!(
            answer(Request::WriteSingleCoil(1, true)),
            Ok(Response::WriteSingleCoil(1, true))
        );
        assert_eq!(
            answer(Request::ReadCoils(0, 2)),
            Ok(Response::ReadCoils(vec![false, true]))
        );
        assert_eq!(
            answer(Request::WriteMultipleCoils(0, vec![true, false].into())),
            Ok(Response::WriteMultipleCoils(0, 2))
        );
        assert_eq!(bus.device(20).map(|d| matches!(d.behaviour, Behaviour::IoModule(ref m) if m.coil(0) == Some(true) && m.coil(1) == Some(false))), Some(true));
        // The NO/NC register of relay 2 is written with function 6 and read back with 3.
        assert_eq!(
            answer(Request::WriteSingleRegister(0x0110, 1)),
            Ok(Response::WriteSingleRegister(0x0110, 1))
        );
        assert_eq!(
            answer(Request::ReadHoldingRegisters(0x0110, 1)),
            Ok(Response::ReadHoldingRegisters(vec![1]))
        );
        assert_eq!(
            answer(Request::WriteMultipleRegisters(
                0x0100,
                vec![1, 1, 5].into()
            )),
            Ok(Response::WriteMultipleRegisters(0x0100, 3))
        );
        // Nothing at these addresses: refused, and nothing is written.
        assert_eq!(
            answer(Request::WriteSingleCoil(7, true)),
            Err(ExceptionCode::IllegalDataAddress)
        );
        assert_eq!(
            answer(Request::WriteMultipleCoils(1, vec![true, true].into())),
            Err(ExceptionCode::IllegalDataAddress)
        );
        assert_eq!(
            answer(Request::ReadCoils(100, 4)),
            Err(ExceptionCode::IllegalDataAddress)
        );
        assert_eq!(
            answer(Request::ReadCoils(0, 2001)),
            Err(ExceptionCode::IllegalDataValue)
        );
        assert_eq!(
            answer(Request::ReadInputRegisters(0, 2))
                .map(|r| matches!(r, Response::ReadInputRegisters(ref w) if w.len() == 2)),
            Ok(true)
        );
        // A meter has nothing to write and no bits.
        let meters = Bus::new(vec![meter("eastron-sdm630", 1)]).unwrap();
        assert_eq!(
            meters.answer(1, &Request::WriteSingleCoil(0, true)),
            Some(Err(ExceptionCode::IllegalFunction))
        );
        assert_eq!(
            meters.answer(1, &Request::ReadCoils(0, 1)),
            Some(Err(ExceptionCode::IllegalFunction))
        );
        assert!(!meters.with_io_module(1, |_| {}));
    }

    #[test]
    fn toggling_inputs_change_now_and_then() {
        let profile = catalog().get("io-module-generic").unwrap().clone();
        let mut module = IoModuleState::new(&profile).with_toggling(&[0], 1.0);
        let mut rng = StdRng::seed_from_u64(7);
        let mut changes = 0;
        let mut last = module.input(0);
        for _ in 0..100 {
            module.advance(12.0, 0.5, &mut rng);
            if module.input(0) != last {
                changes += 1;
                last = module.input(0);
            }
        }
        assert!((20..=80).contains(&changes), "{changes}");
        // The others stay as they are.
        assert_eq!(module.input(3), Some(false));
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
