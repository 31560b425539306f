//! The generic register-map driver: what to read from a device and how to turn the replies into
//! readings, all from the device's catalog model.

use shared::{
    Catalog, Commodity, DecodeError, DeviceConfig, DeviceProfile, Family, GENERIC_MODEL, Quantity,
    Reading, Refresh, RegisterSpec, SupplyDirection, ValueType, WordOrder, parse_register,
};

use super::plan::{Block, DEFAULT_MAX_GAP, plan_blocks};

/// How one configured device is read.
#[derive(Debug, Clone)]
pub struct DeviceDriver {
    pub device_id: u32,
    pub unit: u8,
    /// Modbus read function (3 or 4).
    pub function: u8,
    registers: Vec<RegisterSpec>,
    /// Cubic metres per pulse, for pulse counters.
    pulse_weight: f64,
    supply: SupplyDirection,
    /// Read every cycle.
    pub fast_blocks: Vec<Block>,
    /// Read every few cycles (energy counters).
    pub slow_blocks: Vec<Block>,
}

impl DeviceDriver {
    /// Plans the reads of `device`, a device of model `profile`.
    pub fn new(device: &DeviceConfig, profile: &DeviceProfile) -> DeviceDriver {
        let registers: Vec<RegisterSpec> =
            profile.registers_for(device.position).cloned().collect();
        let plan = |refresh: Refresh| {
            let selected: Vec<(u16, u16)> = registers
                .iter()
                .map(|register| {
                    // Identification registers ride with the slow values.
                    let wanted = match register.refresh() {
                        Refresh::Once => Refresh::Slow,
                        other => other,
                    };
                    if wanted == refresh {
                        (register.address, register.words())
                    } else {
                        (0, 0)
                    }
                })
                .collect();
            let mut blocks = plan_blocks(
                &selected
                    .iter()
                    .copied()
                    .filter(|&(_, words)| words > 0)
                    .collect::<Vec<_>>(),
                DEFAULT_MAX_GAP,
            );
            // Map indices of the filtered list back to indices of `registers`.
            let kept: Vec<usize> = selected
                .iter()
                .enumerate()
                .filter(|(_, (_, words))| *words > 0)
                .map(|(index, _)| index)
                .collect();
            for block in &mut blocks {
                for member in &mut block.members {
                    *member = kept[*member];
                }
            }
            blocks
        };
        DeviceDriver {
            device_id: device.id,
            unit: device.address,
            function: profile.function,
            fast_blocks: plan(Refresh::Fast),
            slow_blocks: plan(Refresh::Slow),
            registers,
            pulse_weight: device.pulse_weight.unwrap_or(0.001),
            supply: device.supply,
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

    /// Turns the words of `block` into readings. Values the device marks as not available are left
    /// out; a garbled value is an error naming the register.
    pub fn decode(&self, block: &Block, words: &[u16]) -> Result<Vec<Reading>, String> {
        if words.len() != usize::from(block.count) {
            return Err(format!(
                "asked for {} registers at {:#06x}, got {}",
                block.count,
                block.start,
                words.len()
            ));
        }
        let mut readings = Vec::with_capacity(block.members.len());
        for &index in &block.members {
            let register = &self.registers[index];
            let offset = usize::from(register.address - block.start);
            let slice = &words[offset..offset + usize::from(register.words())];
            match register.decode(slice) {
                Ok(raw) => readings.push(self.oriented(Reading {
                    quantity: register.quantity,
                    value: raw * register.factor_to_base(self.pulse_weight),
                })),
                Err(DecodeError::NotAvailable) => {}
                Err(error) => {
                    return Err(format!("register {:#06x}: {error}", register.address));
                }
            }
        }
        Ok(readings)
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

    #[test]
    fn sdm630_reads_in_few_blocks_with_energy_apart() {
        let catalog = catalog();
        let driver = DeviceDriver::new(
            &device("eastron-sdm630", None),
            catalog.get("eastron-sdm630").unwrap(),
        );
        assert_eq!(driver.function, 4);
        assert!(driver.fast_blocks.len() <= 3, "{:?}", driver.fast_blocks);
        assert_eq!(driver.slow_blocks.len(), 1);
        assert_eq!(
            (driver.slow_blocks[0].start, driver.slow_blocks[0].count),
            (0x48, 4)
        );
    }

    #[test]
    fn decodes_scaled_values_into_base_units() {
        let catalog = catalog();
        let driver = DeviceDriver::new(
            &device("eastron-sdm630", None),
            catalog.get("eastron-sdm630").unwrap(),
        );
        let block = &driver.slow_blocks[0];
        let f32_words = |v: f64| Encoding::new(ValueType::F32, WordOrder::HighFirst).encode(v);
        let mut words = f32_words(12345.5);
        words.extend(f32_words(10.0));
        let readings = driver.decode(block, &words).unwrap();
        assert_eq!(readings[0].quantity, Quantity::ActiveEnergyImport);
        assert_eq!(readings[0].value, 12_345_500.0);
        assert_eq!(readings[1].value, 10_000.0);
    }

    #[test]
    fn a_pulse_counter_reads_only_its_position_and_applies_its_weight() {
        let catalog = catalog();
        let driver = DeviceDriver::new(
            &device("pulse-concentrator-4", Some(2)),
            catalog.get("pulse-concentrator-4").unwrap(),
        );
        let blocks: Vec<&Block> = driver
            .fast_blocks
            .iter()
            .chain(&driver.slow_blocks)
            .collect();
        assert_eq!(blocks.len(), 1);
        assert_eq!((blocks[0].start, blocks[0].count), (2, 2));
        let readings = driver.decode(blocks[0], &[0, 1500]).unwrap();
        assert_eq!(readings[0].quantity, Quantity::Volume);
        assert!((readings[0].value - 15.0).abs() < 1e-9);
    }

    #[test]
    fn downstream_meters_flip_power_and_swap_energies() {
        let catalog = catalog();
        let mut config = device("eastron-sdm630", None);
        config.supply = SupplyDirection::Downstream;
        let driver = DeviceDriver::for_device(&config, &catalog).unwrap();
        let f32_words = |v: f64| Encoding::new(ValueType::F32, WordOrder::HighFirst).encode(v);
        let mut words = f32_words(5.0);
        words.extend(f32_words(2.0));
        let readings = driver.decode(&driver.slow_blocks[0], &words).unwrap();
        assert_eq!(readings[0].quantity, Quantity::ActiveEnergyExport);
        assert_eq!(readings[0].value, 5000.0);
        assert_eq!(readings[1].quantity, Quantity::ActiveEnergyImport);
        let power_block = driver
            .fast_blocks
            .iter()
            .find(|block| block.start == 0x34)
            .unwrap();
        let mut words = f32_words(1500.0);
        words.resize(usize::from(power_block.count), 0);
        let readings = driver.decode(power_block, &words).unwrap();
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
        assert_eq!(driver.function, 3);
        let block = &driver.fast_blocks[0];
        assert_eq!((block.start, block.count), (0x5000, 4));
        let readings = driver.decode(block, &[0, 0, 0, 12_345]).unwrap();
        assert_eq!(readings[0].quantity, Quantity::ActiveEnergyImport);
        assert!((readings[0].value - 123_450.0).abs() < 1e-6);
    }

    #[test]
    fn short_replies_and_nan_are_errors_and_not_available_is_skipped() {
        let catalog = catalog();
        let driver = DeviceDriver::new(&device("abb-b23", None), catalog.get("abb-b23").unwrap());
        let block = &driver.slow_blocks[0];
        assert!(driver.decode(block, &[0, 1]).is_err());
        let readings = driver
            .decode(block, &vec![0xFFFF; usize::from(block.count)])
            .unwrap();
        assert!(readings.is_empty());
        let sdm = DeviceDriver::new(
            &device("eastron-sdm630", None),
            catalog.get("eastron-sdm630").unwrap(),
        );
        let error = sdm
            .decode(&sdm.slow_blocks[0], &[0x7FC0, 0, 0, 0])
            .unwrap_err();
        assert!(error.contains("0x0048"), "{error}");
    }
}
