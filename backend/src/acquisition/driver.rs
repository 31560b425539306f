//! The generic register-map driver: what to read from a device and how to turn the replies into
//! readings, all from the device's catalog model. Registers, coils and discrete inputs are read
//! in coalesced blocks per read function; the inputs and outputs of I/O modules are kept by index
//! apart from the readings (see [`IoStates`]).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};

use shared::{
    Catalog, Commodity, DecodeError, DeviceConfig, DeviceIo, DeviceProfile, Family, GENERIC_MODEL,
    InputState, OutputKind, OutputSpec, OutputState, Quantity, Reading, Refresh, RegisterSpec,
    SupplyDirection, ValueType, WordOrder, input_key, io_inputs, output_key, parse_register,
};

use super::plan::{
    Block, DEFAULT_MAX_BIT_GAP, DEFAULT_MAX_GAP, MAX_BLOCK_BITS, MAX_BLOCK_REGISTERS,
    plan_blocks_up_to,
};
use super::rtu_client::{Reply, Request};

/// One planned read: a block of items read with one function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedRead {
    /// 1 (coils), 2 (discrete inputs), 3 (holding registers) or 4 (input registers).
    pub function: u8,
    pub block: Block,
}

impl PlannedRead {
    /// The request that performs the read.
    pub fn request(&self) -> Request {
        match self.function {
            1 => Request::ReadCoils {
                address: self.block.start,
                count: self.block.count,
            },
            2 => Request::ReadDiscreteInputs {
                address: self.block.start,
                count: self.block.count,
            },
            3 => Request::ReadHoldingRegisters {
                address: self.block.start,
                count: self.block.count,
            },
            _ => Request::ReadInputRegisters {
                address: self.block.start,
                count: self.block.count,
            },
        }
    }
}

/// One value of an indexed quantity (an input or an output's read-back).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IoValue {
    pub quantity: Quantity,
    pub index: u8,
    pub value: f64,
}

/// What a read brought: readings of the device's quantities and values of its inputs and outputs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Decoded {
    pub readings: Vec<Reading>,
    pub io: Vec<IoValue>,
}

impl Decoded {
    /// Adds what `other` brought.
    pub fn extend(&mut self, other: Decoded) {
        self.readings.extend(other.readings);
        self.io.extend(other.io);
    }

    /// Everything as readings, for a test report (indexed values lose their index).
    pub fn all_readings(&self) -> Vec<Reading> {
        let mut all = self.readings.clone();
        all.extend(self.io.iter().map(|value| Reading {
            quantity: value.quantity,
            value: value.value,
        }));
        all
    }
}

/// How one configured device is read.
#[derive(Debug, Clone)]
pub struct DeviceDriver {
    pub device_id: u32,
    pub unit: u8,
    registers: Vec<RegisterSpec>,
    /// Cubic metres per pulse, for pulse counters.
    pulse_weight: f64,
    supply: SupplyDirection,
    /// Read every cycle: the fast values, and every other register their replies hold whole.
    pub fast_reads: Vec<PlannedRead>,
    /// Read instead of `fast_reads` every few cycles, and with them the outputs' normal states:
    /// every register (energy counters, THD, identification, the fast values), planned together
    /// so that a slow value next to fast ones shares their request.
    pub full_reads: Vec<PlannedRead>,
    /// What the device's outputs are.
    pub outputs: Vec<OutputSpec>,
}

impl DeviceDriver {
    /// Plans the reads of `device`, a device of model `profile`.
    pub fn new(device: &DeviceConfig, profile: &DeviceProfile) -> DeviceDriver {
        let registers: Vec<RegisterSpec> =
            profile.registers_for(device.position).cloned().collect();
        DeviceDriver {
            device_id: device.id,
            unit: device.address,
            fast_reads: plan_reads(&registers, profile.function, |register| {
                register.refresh() == Refresh::Fast
            }),
            full_reads: plan_reads(&registers, profile.function, |_| true),
            registers,
            pulse_weight: device.pulse_weight.unwrap_or(0.001),
            supply: device.supply,
            outputs: profile.outputs.clone(),
        }
    }

    /// The driver of a configured device: its catalog model, or the one register of a generic
    /// Modbus meter. `None` when the model is unknown.
    pub fn for_device(device: &DeviceConfig, catalog: &Catalog) -> Option<DeviceDriver> {
        if device.model == GENERIC_MODEL {
            return generic_profile(device).map(|profile| DeviceDriver::new(device, &profile));
        }
        catalog
            .get(&device.model)
            .map(|profile| DeviceDriver::new(device, profile))
    }

    /// Every register, in as few reads as the plan allows.
    pub fn all_reads(&self) -> impl Iterator<Item = &PlannedRead> {
        self.full_reads.iter()
    }

    /// Turns the reply to `read` into readings and input/output values. Values the device marks
    /// as not available are left out; a garbled value is an error naming the register.
    pub fn decode(&self, read: &PlannedRead, reply: &Reply) -> Result<Decoded, String> {
        let block = &read.block;
        let words: Vec<u16> = match reply {
            Reply::Words(words) => words.clone(),
            // One word per coil or discrete input, 0 or 1: a bit register reads bit 0 of it.
            Reply::Bits(bits) => bits.iter().map(|&bit| u16::from(bit)).collect(),
            Reply::Written => return Err("a read was answered as a write".into()),
        };
        if words.len() != usize::from(block.count) {
            return Err(format!(
                "asked for {} items at {:#06x}, got {}",
                block.count,
                block.start,
                words.len()
            ));
        }
        let mut decoded = Decoded::default();
        for &index in &block.members {
            let register = &self.registers[index];
            let offset = usize::from(register.address - block.start);
            let slice = &words[offset..offset + usize::from(register.words())];
            let value = match register.decode(slice) {
                Ok(raw) => raw * register.factor_to_base(self.pulse_weight),
                Err(DecodeError::NotAvailable) => continue,
                Err(error) => {
                    return Err(format!("register {:#06x}: {error}", register.address));
                }
            };
            match register.index {
                // Several inputs of one quantity: kept apart by index.
                Some(io_index) => decoded.io.push(IoValue {
                    quantity: register.quantity,
                    index: io_index,
                    value,
                }),
                None => decoded.readings.push(self.oriented(Reading {
                    quantity: register.quantity,
                    value,
                })),
            }
        }
        Ok(decoded)
    }

    /// The holding registers choosing each output's normal state (NO/NC), by output index.
    pub fn normal_state_registers(&self) -> impl Iterator<Item = (u8, u16)> + '_ {
        self.outputs.iter().filter_map(|output| {
            output
                .normal_state
                .as_ref()
                .map(|register| (output.index, register.address))
        })
    }

    /// A meter wired downstream sees the flow reversed: power changes sign, import and export swap.
    fn oriented(&self, reading: Reading) -> Reading {
        if self.supply == SupplyDirection::Upstream {
            return reading;
        }
        let quantity = match reading.quantity {
            Quantity::ActiveEnergyImport => Quantity::ActiveEnergyExport,
            Quantity::ActiveEnergyExport => Quantity::ActiveEnergyImport,
            other => other,
        };
        let value = match reading.quantity {
            Quantity::ActivePower
            | Quantity::ActivePowerL1
            | Quantity::ActivePowerL2
            | Quantity::ActivePowerL3 => -reading.value,
            _ => reading.value,
        };
        Reading { quantity, value }
    }
}

/// Plans the block reads of the `wanted` ones among `registers` (a device's, with its profile's
/// read function `profile_function`), one function at a time. Every other register a block holds
/// whole rides along: it is decoded from the same reply, fresher at no cost on the wire.
fn plan_reads(
    registers: &[RegisterSpec],
    profile_function: u8,
    wanted: impl Fn(&RegisterSpec) -> bool,
) -> Vec<PlannedRead> {
    let mut reads = Vec::new();
    for function in 1..=4u8 {
        // Indices (in `registers`) of the registers read with this function, and of those wanted.
        let of_function: Vec<usize> = registers
            .iter()
            .enumerate()
            .filter(|(_, register)| register.read_function(profile_function) == function)
            .map(|(index, _)| index)
            .collect();
        let selected: Vec<usize> = of_function
            .iter()
            .copied()
            .filter(|&index| wanted(&registers[index]))
            .collect();
        let items: Vec<(u16, u16)> = selected
            .iter()
            .map(|&index| (registers[index].address, registers[index].words()))
            .collect();
        let (gap, limit) = if function <= 2 {
            (DEFAULT_MAX_BIT_GAP, MAX_BLOCK_BITS)
        } else {
            (DEFAULT_MAX_GAP, MAX_BLOCK_REGISTERS)
        };
        for mut block in plan_blocks_up_to(&items, gap, limit) {
            for member in &mut block.members {
                *member = selected[*member];
            }
            let end = u32::from(block.start) + u32::from(block.count);
            for &index in &of_function {
                let register = &registers[index];
                let inside = register.address >= block.start
                    && u32::from(register.address) + u32::from(register.words()) <= end;
                if inside && !block.members.contains(&index) {
                    block.members.push(index);
                }
            }
            block
                .members
                .sort_by_key(|&index| (registers[index].address, index));
            reads.push(PlannedRead { function, block });
        }
    }
    reads
}

/// Whether the raw value of a normal-state register means "normally closed", by the label the
/// catalog gives that value.
pub fn is_normally_closed(output: &OutputSpec, raw: u16) -> bool {
    output.normal_state.as_ref().is_some_and(|register| {
        register
            .choices
            .iter()
            .any(|choice| choice.value == raw && choice.label == "output.normally_closed")
    })
}

/// The latest inputs and outputs of one device.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IoSnapshot {
    /// By quantity and index.
    pub values: BTreeMap<(Quantity, u8), f64>,
    /// Normal state of each output read from the module, by output index: true for NC.
    pub normally_closed: BTreeMap<u8, bool>,
    /// Unix milliseconds of the last update.
    pub updated_at: Option<i64>,
}

/// The inputs and outputs of every device, by device id, shared by the pollers (writers) and the
/// API (reader). Kept apart from the live readings, which have one value per quantity.
#[derive(Debug, Clone, Default)]
pub struct IoStates {
    devices: Arc<RwLock<HashMap<u32, IoSnapshot>>>,
}

impl IoStates {
    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<u32, IoSnapshot>> {
        self.devices
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Records values read from `device_id`.
    pub fn record(&self, device_id: u32, values: &[IoValue], now_ms: i64) {
        let mut devices = self.write();
        let snapshot = devices.entry(device_id).or_default();
        for value in values {
            snapshot
                .values
                .insert((value.quantity, value.index), value.value);
        }
        snapshot.updated_at = Some(now_ms);
    }

    /// Records the normal state of output `output` of `device_id`.
    pub fn record_normal_state(&self, device_id: u32, output: u8, normally_closed: bool) {
        self.write()
            .entry(device_id)
            .or_default()
            .normally_closed
            .insert(output, normally_closed);
    }

    /// The latest inputs and outputs of `device_id`.
    pub fn get(&self, device_id: u32) -> IoSnapshot {
        self.devices
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(&device_id)
            .cloned()
            .unwrap_or_default()
    }
}

/// What the device page shows of an I/O device: its inputs and outputs with labels and states.
pub fn device_io(
    device: &DeviceConfig,
    profile: &DeviceProfile,
    snapshot: &IoSnapshot,
) -> DeviceIo {
    let label = |key: &str| device.labels.get(key).cloned();
    let inputs = io_inputs(profile)
        .map(|(quantity, index)| {
            let key = input_key(quantity, index);
            InputState {
                label: label(&key),
                key,
                quantity,
                index,
                value: snapshot.values.get(&(quantity, index)).copied(),
            }
        })
        .collect();
    let outputs = profile
        .outputs
        .iter()
        .map(|output| {
            let key = output_key(output.index);
            let normally_closed = snapshot.normally_closed.get(&output.index).copied();
            let wanted = output.quantity.map(|quantity| {
                let index = if quantity.is_indexed() {
                    output.index
                } else {
                    0
                };
                (quantity, index)
            });
            let on = match (
                output.kind,
                wanted.and_then(|key| snapshot.values.get(&key)),
            ) {
                (OutputKind::Switch, Some(value)) => {
                    Some((*value != 0.0) != normally_closed.unwrap_or(false))
                }
                _ => None,
            };
            OutputState {
                label: label(&key),
                key,
                index: output.index,
                default_label: output.label.clone(),
                kind: output.kind,
                on,
                normally_closed,
            }
        })
        .collect();
    DeviceIo {
        device_id: device.id,
        inputs,
        outputs,
        updated_at: snapshot.updated_at,
    }
}

/// The model of a "Generic Modbus meter": one unsigned register (high word first) of positive
/// active energy, raw × multiplier = kWh.
pub fn generic_profile(device: &DeviceConfig) -> Option<DeviceProfile> {
    let generic = device.generic.as_ref()?;
    let value_type = match generic.words {
        1 => ValueType::U16,
        2 => ValueType::U32,
        4 => ValueType::U64,
        _ => return None,
    };
    // Built as catalog data, like every other model, so it follows the catalog's defaults.
    let profile = serde_json::json!({
        "id": GENERIC_MODEL,
        "manufacturer": "Generic",
        "model": "Modbus meter",
        "family": Family::ElectricityMeter,
        "commodity": Commodity::Electricity,
        "function": generic.function,
        "registers": [{
            "address": parse_register(&generic.register)?,
            "type": value_type,
            "word_order": WordOrder::HighFirst,
            "scale": generic.multiplier,
            "unit": "kWh",
            "quantity": Quantity::ActiveEnergyImport,
            "refresh": Refresh::Fast,
        }],
    });
    serde_json::from_value(profile).ok()
}

#[cfg(test)]
mod tests {
    use shared::{Catalog, Encoding, Quantity, ValueType, WordOrder};

    use super::*;

    fn catalog() -> Catalog {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/catalog");
        Catalog::load_dir(&dir).unwrap()
    }

    fn device(model: &str, position: Option<u8>) -> DeviceConfig {
        DeviceConfig {
            id: 7,
            gateway: 1,
            name: "d".into(),
            model: model.into(),
            address: 3,
            position,
            commodity: None,
            pulse_weight: Some(0.01),
            enabled: true,
            ..DeviceConfig::default()
        }
    }

    fn words(words: Vec<u16>) -> Reply {
        Reply::Words(words)
    }

    fn f32_words(value: f64) -> Vec<u16> {
        Encoding::new(ValueType::F32, WordOrder::HighFirst).encode(value)
    }

    #[test]
    fn sdm630_reads_energy_on_full_cycles_only_and_with_its_neighbours() {
        let catalog = catalog();
        let driver = DeviceDriver::new(
            &device("eastron-sdm630", None),
            catalog.get("eastron-sdm630").unwrap(),
        );
        assert!(driver.all_reads().all(|read| read.function == 4));
        // 0x0000-0x0047 (holes of at most 6 registers read through), 0x00C8-0x00CF, 0x00E0: the
        // 16-register hole before the neutral current costs more than a request.
        assert_eq!(driver.fast_reads.len(), 3, "{:?}", driver.fast_reads);
        // The energy counters (import at 0x48, export at 0x4A) stay out of the fast reads...
        assert!(
            driver
                .fast_reads
                .iter()
                .all(|read| read.block.start + read.block.count <= 0x48
                    || read.block.start >= 0x4C)
        );
        // ...and on the full cycles ride with the fast values just before them: one request
        // from 0x0000 to the reactive energies at 0x004E. The THD joins the neutral current
        // (an 8-register hole), the per-phase energies make one block: 4 requests where fast
        // and slow values planned apart took 3 + 3.
        let energy = energy_read(&driver);
        assert_eq!((energy.block.start, energy.block.count), (0, 0x50));
        assert_eq!(driver.full_reads.len(), 4, "{:?}", driver.full_reads);
        // Every register is decoded from exactly one of the full reads.
        let members: usize = driver
            .full_reads
            .iter()
            .map(|read| read.block.members.len())
            .sum();
        assert_eq!(
            members,
            catalog.get("eastron-sdm630").unwrap().registers.len()
        );
    }

    /// The full read holding an SDM630's energy counters (0x48 and 0x4A).
    fn energy_read(driver: &DeviceDriver) -> &PlannedRead {
        driver
            .full_reads
            .iter()
            .find(|read| read.block.start <= 0x48 && read.block.start + read.block.count >= 0x4C)
            .unwrap()
    }

    /// A reply as long as `read` asks: `values` (address, words) in place, zeros elsewhere.
    fn reply_with(read: &PlannedRead, values: &[(u16, Vec<u16>)]) -> Reply {
        let mut reply = vec![0; usize::from(read.block.count)];
        for (address, value) in values {
            let offset = usize::from(address - read.block.start);
            reply[offset..offset + value.len()].copy_from_slice(value);
        }
        words(reply)
    }

    /// An SDM630's energy counters (import, export) in a reply to `read`, zeros elsewhere.
    fn two_floats(read: &PlannedRead, first: f64, second: f64) -> Reply {
        reply_with(read, &[(0x48, f32_words(first)), (0x4A, f32_words(second))])
    }

    fn reading(readings: &[Reading], quantity: Quantity) -> f64 {
        readings
            .iter()
            .find(|r| r.quantity == quantity)
            .unwrap()
            .value
    }

    #[test]
    fn decodes_scaled_values_into_base_units() {
        let catalog = catalog();
        let driver = DeviceDriver::new(
            &device("eastron-sdm630", None),
            catalog.get("eastron-sdm630").unwrap(),
        );
        let read = energy_read(&driver);
        let decoded = driver
            .decode(read, &two_floats(read, 12345.5, 10.0))
            .unwrap();
        assert_eq!(
            reading(&decoded.readings, Quantity::ActiveEnergyImport),
            12_345_500.0
        );
        assert_eq!(
            reading(&decoded.readings, Quantity::ActiveEnergyExport),
            10_000.0
        );
        assert!(decoded.io.is_empty());
    }

    #[test]
    fn a_pulse_counter_reads_only_its_position_and_applies_its_weight() {
        let catalog = catalog();
        let driver = DeviceDriver::new(
            &device("pulse-concentrator-4", Some(2)),
            catalog.get("pulse-concentrator-4").unwrap(),
        );
        let reads: Vec<&PlannedRead> = driver.all_reads().collect();
        assert_eq!(reads.len(), 1);
        assert_eq!((reads[0].block.start, reads[0].block.count), (2, 2));
        let decoded = driver.decode(reads[0], &words(vec![0, 1500])).unwrap();
        assert_eq!(decoded.readings[0].quantity, Quantity::Volume);
        assert!((decoded.readings[0].value - 15.0).abs() < 1e-9);
    }

    #[test]
    fn downstream_meters_flip_power_and_swap_energies() {
        let catalog = catalog();
        let mut config = device("eastron-sdm630", None);
        config.supply = SupplyDirection::Downstream;
        let driver = DeviceDriver::for_device(&config, &catalog).unwrap();
        let read = energy_read(&driver);
        let readings = driver
            .decode(read, &two_floats(read, 5.0, 2.0))
            .unwrap()
            .readings;
        // Import at 0x48 is export for a downstream meter, and the other way round.
        assert_eq!(reading(&readings, Quantity::ActiveEnergyExport), 5000.0);
        assert_eq!(reading(&readings, Quantity::ActiveEnergyImport), 2000.0);
        // Total power at 0x34, in whichever fast block covers it.
        let power_read = driver
            .fast_reads
            .iter()
            .find(|read| (read.block.start..read.block.start + read.block.count).contains(&0x34))
            .unwrap();
        let reply = reply_with(power_read, &[(0x34, f32_words(1500.0))]);
        let readings = driver.decode(power_read, &reply).unwrap().readings;
        let power = readings
            .iter()
            .find(|r| r.quantity == Quantity::ActivePower)
            .unwrap();
        assert_eq!(power.value, -1500.0);
    }

    #[test]
    fn a_generic_meter_reads_its_one_register() {
        let mut config = device(GENERIC_MODEL, None);
        config.generic = Some(shared::GenericRegister {
            function: 3,
            register: "0x5000".into(),
            words: 4,
            multiplier: 0.01,
        });
        let driver = DeviceDriver::for_device(&config, &catalog()).unwrap();
        let read = &driver.fast_reads[0];
        assert_eq!(
            (read.function, read.block.start, read.block.count),
            (3, 0x5000, 4)
        );
        let readings = driver
            .decode(read, &words(vec![0, 0, 0, 12_345]))
            .unwrap()
            .readings;
        assert_eq!(readings[0].quantity, Quantity::ActiveEnergyImport);
        assert!((readings[0].value - 123_450.0).abs() < 1e-6);
    }

    #[test]
    fn short_replies_and_nan_are_errors_and_not_available_is_skipped() {
        let catalog = catalog();
        let driver = DeviceDriver::new(&device("abb-b23", None), catalog.get("abb-b23").unwrap());
        // The energy counters, u64 at 0x5000 and 0x5004.
        let read = &driver.full_reads[0];
        assert_eq!((read.block.start, read.block.count), (0x5000, 8));
        assert!(driver.decode(read, &words(vec![0, 1])).is_err());
        assert!(driver.decode(read, &Reply::Written).is_err());
        let decoded = driver
            .decode(read, &words(vec![0xFFFF; usize::from(read.block.count)]))
            .unwrap();
        assert!(decoded.readings.is_empty());
        let sdm = DeviceDriver::new(
            &device("eastron-sdm630", None),
            catalog.get("eastron-sdm630").unwrap(),
        );
        let read = energy_read(&sdm);
        let nan = reply_with(read, &[(0x48, vec![0x7FC0, 0])]);
        let error = sdm.decode(read, &nan).unwrap_err();
        assert!(error.contains("0x0048"), "{error}");
    }

    /// A meter whose import counter (u32, low word first, 0.1 kWh) lies between two fast values.
    fn meter_with_a_counter_inside() -> DeviceProfile {
        serde_json::from_value(serde_json::json!({
            "id": "test-meter",
            "manufacturer": "Test",
            "model": "Counter inside",
            "family": Family::ElectricityMeter,
            "commodity": Commodity::Electricity,
            "function": 4,
            "registers": [
                { "address": 0, "type": "f32", "unit": "V", "quantity": "voltage_l1" },
                { "address": 2, "type": "u32", "word_order": "low_first", "scale": 0.1,
                  "unit": "kWh", "quantity": "active_energy_import" },
                { "address": 6, "type": "f32", "unit": "W", "quantity": "active_power" },
            ],
        }))
        .unwrap()
    }

    #[test]
    fn slow_values_inside_a_fast_block_ride_along_decoded_as_when_read_alone() {
        let profile = meter_with_a_counter_inside();
        let mut config = device("test-meter", None);
        config.supply = SupplyDirection::Downstream;
        let driver = DeviceDriver::new(&config, &profile);
        // Voltage and power make one fast block (a 4-register hole); the counter between them
        // is in its reply and is decoded from it.
        assert_eq!(driver.fast_reads.len(), 1);
        let fast = &driver.fast_reads[0];
        assert_eq!((fast.block.start, fast.block.count), (0, 8));
        assert_eq!(fast.block.members, [0, 1, 2]);
        let counter = Encoding::new(ValueType::U32, WordOrder::LowFirst).encode(123_456.0);
        let reply = reply_with(
            fast,
            &[
                (0, f32_words(230.0)),
                (2, counter.clone()),
                (6, f32_words(500.0)),
            ],
        );
        let decoded = driver.decode(fast, &reply).unwrap().readings;
        // A downstream meter: power negated, its import counted as export; 0.1 kWh steps in Wh.
        assert_eq!(reading(&decoded, Quantity::VoltageL1), 230.0);
        assert_eq!(reading(&decoded, Quantity::ActivePower), -500.0);
        assert!((reading(&decoded, Quantity::ActiveEnergyExport) - 12_345_600.0).abs() < 1e-6);
        // The same register read alone gives the same reading.
        let alone = PlannedRead {
            function: 4,
            block: Block {
                start: 2,
                count: 2,
                members: vec![1],
            },
        };
        let single = driver.decode(&alone, &words(counter)).unwrap().readings;
        assert_eq!(
            single,
            [Reading {
                quantity: Quantity::ActiveEnergyExport,
                value: reading(&decoded, Quantity::ActiveEnergyExport),
            }]
        );
    }

    #[test]
    fn full_reads_cover_every_register_once_in_fewer_requests() {
        let catalog = catalog();
        for id in [
            "eastron-sdm630",
            "eastron-sdm120",
            "abb-b23",
            "carlo-gavazzi-em340",
            "eastron-sdm72",
            "schneider-iem3155",
            "janitza-b23",
        ] {
            let profile = catalog.get(id).unwrap();
            let driver = DeviceDriver::new(&device(id, None), profile);
            let mut members: Vec<usize> = driver
                .full_reads
                .iter()
                .flat_map(|read| read.block.members.iter().copied())
                .collect();
            members.sort_unstable();
            let every: Vec<usize> = (0..profile.registers.len()).collect();
            assert_eq!(members, every, "{id}");
            // Planned together, never more requests than the fast values alone plus the slow
            // ones alone.
            let slow = plan_reads(&driver.registers, profile.function, |register| {
                register.refresh() != Refresh::Fast
            });
            assert!(
                driver.full_reads.len() <= driver.fast_reads.len() + slow.len(),
                "{id}"
            );
        }
        // The EM340's counters follow its fast values: one request reads them all (82 registers).
        let em340 = DeviceDriver::new(
            &device("carlo-gavazzi-em340", None),
            catalog.get("carlo-gavazzi-em340").unwrap(),
        );
        let reads: Vec<(u16, u16)> = em340
            .full_reads
            .iter()
            .map(|read| (read.block.start, read.block.count))
            .collect();
        assert_eq!(reads, [(0, 82)]);
    }

    #[test]
    fn an_io_module_reads_coils_and_discrete_inputs_in_bit_blocks() {
        let catalog = catalog();
        let profile = catalog.get("io-module-generic").unwrap();
        let driver = DeviceDriver::new(&device("io-module-generic", None), profile);
        let by_function = |function: u8| {
            driver
                .fast_reads
                .iter()
                .find(|read| read.function == function)
                .unwrap()
        };
        // Four discrete inputs in one read, two coils in another, two analogue inputs.
        let inputs = by_function(2);
        assert_eq!((inputs.block.start, inputs.block.count), (0, 4));
        assert_eq!(
            inputs.request(),
            Request::ReadDiscreteInputs {
                address: 0,
                count: 4
            }
        );
        let coils = by_function(1);
        assert_eq!((coils.block.start, coils.block.count), (0, 2));
        assert_eq!(by_function(4).block.count, 2);
        assert_eq!(driver.fast_reads.len(), 3);
        let decoded = driver
            .decode(inputs, &Reply::Bits(vec![true, false, false, true]))
            .unwrap();
        assert!(decoded.readings.is_empty());
        let closed: Vec<(u8, f64)> = decoded.io.iter().map(|v| (v.index, v.value)).collect();
        assert_eq!(closed, [(1, 1.0), (2, 0.0), (3, 0.0), (4, 1.0)]);
        assert!(
            decoded
                .io
                .iter()
                .all(|v| v.quantity == Quantity::DigitalInput)
        );
        let relays = driver
            .decode(coils, &Reply::Bits(vec![false, true]))
            .unwrap();
        assert_eq!(relays.io[1].quantity, Quantity::RelayOutput);
        assert_eq!((relays.io[1].index, relays.io[1].value), (2, 1.0));
        assert_eq!(
            driver.normal_state_registers().collect::<Vec<_>>(),
            [(1, 0x0100), (2, 0x0110)]
        );
    }

    #[test]
    fn the_device_page_sees_nc_relays_inverted_and_custom_labels() {
        let catalog = catalog();
        let profile = catalog.get("io-module-generic").unwrap();
        let mut config = device("io-module-generic", None);
        config.labels.insert("output.2".into(), "Boiler".into());
        config
            .labels
            .insert("digital_input.1".into(), "Door".into());
        let states = IoStates::default();
        let values = [
            IoValue {
                quantity: Quantity::RelayOutput,
                index: 1,
                value: 1.0,
            },
            IoValue {
                quantity: Quantity::RelayOutput,
                index: 2,
                value: 0.0,
            },
            IoValue {
                quantity: Quantity::DigitalInput,
                index: 1,
                value: 1.0,
            },
        ];
        states.record(7, &values, 1000);
        states.record_normal_state(7, 1, false);
        states.record_normal_state(7, 2, true);
        let io = device_io(&config, profile, &states.get(7));
        assert_eq!(io.inputs.len(), 6);
        assert_eq!(io.inputs[0].label.as_deref(), Some("Door"));
        assert_eq!(io.inputs[0].value, Some(1.0));
        assert_eq!(io.inputs[1].value, None);
        assert_eq!(io.outputs[0].on, Some(true));
        // Coil released on a normally closed relay: the load is supplied.
        assert_eq!(io.outputs[1].on, Some(true));
        assert_eq!(io.outputs[1].normally_closed, Some(true));
        assert_eq!(io.outputs[1].label.as_deref(), Some("Boiler"));
        assert_eq!(io.outputs[1].default_label.as_deref(), Some("output.relay"));
        assert_eq!(io.updated_at, Some(1000));
        let output = &profile.outputs[1];
        assert!(is_normally_closed(output, 1));
        assert!(!is_normally_closed(output, 0));
    }
}
