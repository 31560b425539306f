//! How a register value is laid out in 16-bit Modbus words, in one place for every model.
//!
//! The decoder and the encoder are inverse functions: the gateway decodes what a meter sends and the
//! bus simulator encodes what it serves from the same catalog entry.

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The binary type of a register value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum ValueType {
    U16,
    I16,
    U32,
    I32,
    U64,
    I64,
    F32,
    F64,
}

impl ValueType {
    /// How many 16-bit registers a value of this type occupies.
    pub fn words(self) -> u16 {
        match self {
            ValueType::U16 | ValueType::I16 => 1,
            ValueType::U32 | ValueType::I32 | ValueType::F32 => 2,
            ValueType::U64 | ValueType::I64 | ValueType::F64 => 4,
        }
    }
}

/// The order of the 16-bit words of a multi-word value (bytes inside a word are always big-endian,
/// as Modbus defines).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum WordOrder {
    /// Most significant word first ("ABCD"), the Modbus convention.
    #[default]
    HighFirst,
    /// Least significant word first ("CDAB"), e.g. Carlo Gavazzi.
    LowFirst,
}

/// A register value's type and word order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Encoding {
    pub value_type: ValueType,
    pub word_order: WordOrder,
}

/// Why words could not be turned into a value.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DecodeError {
    #[error("expected {expected} registers, got {got}")]
    WrongLength { expected: u16, got: usize },
    /// Meters mark a value they do not measure with all bits set (unsigned) or the largest
    /// positive number (signed); it must not be read as a measurement.
    #[error("the device reports this value as not available")]
    NotAvailable,
    #[error("the device sent a value that is not a number")]
    NotANumber,
}

impl Encoding {
    pub fn new(value_type: ValueType, word_order: WordOrder) -> Self {
        Encoding {
            value_type,
            word_order,
        }
    }

    /// Turns raw registers into a number (before the catalog's scale is applied).
    pub fn decode(&self, words: &[u16]) -> Result<f64, DecodeError> {
        let expected = self.value_type.words();
        if words.len() != usize::from(expected) {
            return Err(DecodeError::WrongLength {
                expected,
                got: words.len(),
            });
        }
        let raw = self.assemble(words);
        let value = match self.value_type {
            ValueType::U16 => not_available_if(raw == 0xFFFF, raw as f64)?,
            ValueType::I16 => not_available_if(raw == 0x7FFF, f64::from(raw as u16 as i16))?,
            ValueType::U32 => not_available_if(raw == 0xFFFF_FFFF, raw as f64)?,
            ValueType::I32 => not_available_if(raw == 0x7FFF_FFFF, f64::from(raw as u32 as i32))?,
            ValueType::U64 => not_available_if(raw == u64::MAX, raw as f64)?,
            ValueType::I64 => not_available_if(raw == i64::MAX as u64, raw as i64 as f64)?,
            ValueType::F32 => f64::from(f32::from_bits(raw as u32)),
            ValueType::F64 => f64::from_bits(raw),
        };
        if value.is_finite() {
            Ok(value)
        } else {
            Err(DecodeError::NotANumber)
        }
    }

    /// Turns a number into the registers a device of this encoding would send. Integers are
    /// rounded to the nearest and saturate at the type's range.
    pub fn encode(&self, value: f64) -> Vec<u16> {
        let raw: u64 = match self.value_type {
            ValueType::U16 => u64::from(value.round().clamp(0.0, f64::from(u16::MAX)) as u16),
            ValueType::I16 => u64::from(value.round().clamp(-32768.0, 32767.0) as i16 as u16),
            ValueType::U32 => u64::from(value.round().clamp(0.0, f64::from(u32::MAX)) as u32),
            ValueType::I32 => u64::from(
                value
                    .round()
                    .clamp(f64::from(i32::MIN), f64::from(i32::MAX)) as i32 as u32,
            ),
            ValueType::U64 => value.round().max(0.0) as u64,
            ValueType::I64 => value.round() as i64 as u64,
            ValueType::F32 => u64::from((value as f32).to_bits()),
            ValueType::F64 => value.to_bits(),
        };
        let count = usize::from(self.value_type.words());
        let mut words: Vec<u16> = (0..count)
            .rev()
            .map(|index| (raw >> (16 * index)) as u16)
            .collect();
        if self.word_order == WordOrder::LowFirst {
            words.reverse();
        }
        words
    }

    fn assemble(&self, words: &[u16]) -> u64 {
        let fold = |acc: u64, word: &u16| (acc << 16) | u64::from(*word);
        match self.word_order {
            WordOrder::HighFirst => words.iter().fold(0, fold),
            WordOrder::LowFirst => words.iter().rev().fold(0, fold),
        }
    }
}

fn not_available_if(marker: bool, value: f64) -> Result<f64, DecodeError> {
    if marker {
        Err(DecodeError::NotAvailable)
    } else {
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(value_type: ValueType, word_order: WordOrder) -> Encoding {
        Encoding::new(value_type, word_order)
    }

    #[test]
    fn decodes_the_documented_byte_examples() {
        // SDM630 V L1 = 230.1 V as float32 0x4366199A, high word first.
        let v = enc(ValueType::F32, WordOrder::HighFirst)
            .decode(&[0x4366, 0x199A])
            .unwrap();
        assert!((v - 230.1).abs() < 1e-4);
        // EM24 V L1 = 2301 (÷10) sent low word first.
        assert_eq!(
            enc(ValueType::I32, WordOrder::LowFirst).decode(&[0x08FD, 0x0000]),
            Ok(2301.0)
        );
        // ABB B23 P total = -123456 (÷100) high word first.
        assert_eq!(
            enc(ValueType::I32, WordOrder::HighFirst).decode(&[0xFFFE, 0x1DC0]),
            Ok(-123456.0)
        );
        // SDM630 12345.678 kWh.
        let e = enc(ValueType::F32, WordOrder::HighFirst)
            .decode(&[0x4640, 0xE6B6])
            .unwrap();
        assert_eq!(e, 12345.677734375);
    }

    #[test]
    fn every_type_and_word_order_round_trips() {
        let cases: &[(ValueType, f64)] = &[
            (ValueType::U16, 65534.0),
            (ValueType::I16, -1234.0),
            (ValueType::U32, 4_000_000_000.0),
            (ValueType::I32, -2_000_000_000.0),
            (ValueType::U64, 123_456_789_012.0),
            (ValueType::I64, -123_456_789_012.0),
            (ValueType::F32, 230.5),
            (ValueType::F64, 12_345_678.901),
        ];
        for order in [WordOrder::HighFirst, WordOrder::LowFirst] {
            for &(value_type, value) in cases {
                let encoding = enc(value_type, order);
                let words = encoding.encode(value);
                assert_eq!(words.len(), usize::from(value_type.words()));
                assert_eq!(
                    encoding.decode(&words),
                    Ok(value),
                    "{value_type:?} {order:?}"
                );
            }
        }
    }

    #[test]
    fn word_order_changes_the_words_not_the_value() {
        let high = enc(ValueType::U32, WordOrder::HighFirst).encode(65536.0 + 2.0);
        let low = enc(ValueType::U32, WordOrder::LowFirst).encode(65536.0 + 2.0);
        assert_eq!(high, vec![1, 2]);
        assert_eq!(low, vec![2, 1]);
    }

    #[test]
    fn not_available_markers_are_not_measurements() {
        assert_eq!(
            enc(ValueType::U32, WordOrder::HighFirst).decode(&[0xFFFF, 0xFFFF]),
            Err(DecodeError::NotAvailable)
        );
        assert_eq!(
            enc(ValueType::I16, WordOrder::HighFirst).decode(&[0x7FFF]),
            Err(DecodeError::NotAvailable)
        );
        assert_eq!(
            enc(ValueType::U64, WordOrder::HighFirst).decode(&[0xFFFF; 4]),
            Err(DecodeError::NotAvailable)
        );
    }

    #[test]
    fn nan_and_wrong_lengths_are_errors() {
        assert_eq!(
            enc(ValueType::F32, WordOrder::HighFirst).decode(&[0x7FC0, 0x0000]),
            Err(DecodeError::NotANumber)
        );
        assert_eq!(
            enc(ValueType::F32, WordOrder::HighFirst).decode(&[0x4366]),
            Err(DecodeError::WrongLength {
                expected: 2,
                got: 1
            })
        );
    }

    #[test]
    fn integers_saturate_instead_of_wrapping() {
        assert_eq!(
            enc(ValueType::U16, WordOrder::HighFirst).encode(-5.0),
            vec![0]
        );
        assert_eq!(
            enc(ValueType::I16, WordOrder::HighFirst).encode(1e9),
            vec![0x7FFF]
        );
    }
}
