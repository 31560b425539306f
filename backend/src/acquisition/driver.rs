//! The generic register-map driver: what to read from a device and how to turn the replies into
//! readings, all from the device's catalog model.

use shared::{DecodeError, DeviceConfig, DeviceProfile, Reading, Refresh, RegisterSpec};

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
                    if register.refresh() == refresh {
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
        }
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
            match register.encoding().decode(slice) {
                Ok(raw) => readings.push(Reading {
                    quantity: register.quantity,
                    value: raw * register.factor_to_base(self.pulse_weight),
                }),
                Err(DecodeError::NotAvailable) => {}
                Err(error) => {
                    return Err(format!("register {:#06x}: {error}", register.address));
                }
            }
        }
        Ok(readings)
    }
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
