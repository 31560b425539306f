//! The simulated devices and how they answer Modbus requests.

use std::collections::BTreeMap;
use std::future::{self, Future};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::Timelike;
use rand::SeedableRng;
use rand::rngs::StdRng;
use shared::{DeviceProfile, Family, RegisterSpec};
use thiserror::Error;
use tokio_modbus::prelude::{ExceptionCode, Request, Response, SlaveRequest};

use crate::physics::{MeterState, PulseChannel};

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

/// The devices of one bus (an RS485 line or the slaves behind a TCP gateway), shared by the task
/// that moves their values and the servers that answer requests.
#[derive(Debug, Clone)]
pub struct Bus {
    devices: Arc<Mutex<BTreeMap<u8, SimulatedDevice>>>,
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
        Ok(Bus {
            devices: Arc::new(Mutex::new(by_unit)),
        })
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<u8, SimulatedDevice>> {
        // A panic while holding the lock leaves plain numbers behind: still usable.
        self.devices
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
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

/// The bus as a tokio-modbus service, for the RTU and TCP servers.
#[derive(Debug, Clone)]
pub(crate) struct BusService {
    pub bus: Bus,
}

impl tokio_modbus::server::Service for BusService {
    type Request = SlaveRequest<'static>;
    type Response = Option<Response>;
    type Exception = ExceptionCode;
    type Future = Pin<Box<dyn Future<Output = Result<Option<Response>, ExceptionCode>> + Send>>;

    fn call(&self, request: Self::Request) -> Self::Future {
        let reply = match self.bus.answer(request.slave, &request.request) {
            None => Ok(None),
            Some(Ok(response)) => Ok(Some(response)),
            Some(Err(exception)) => Err(exception),
        };
        Box::pin(future::ready(reply))
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
