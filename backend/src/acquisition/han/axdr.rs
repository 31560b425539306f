//! A-XDR decoding of COSEM `Data` (IEC 62056-6-2 / Green Book): the tagged values a DLMS push
//! carries.
//!
//! Everything is bounds-checked and nothing is trusted: element counts cannot allocate more than
//! the input could hold and nesting is capped, so any byte string decodes or fails in time and
//! memory proportional to its length.

use thiserror::Error;

/// Deepest nesting of arrays/structures accepted; real push lists use 3.
const MAX_DEPTH: usize = 16;

/// Why bytes are not valid A-XDR `Data`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AxdrError {
    #[error("input ends inside a value at offset {0}")]
    UnexpectedEnd(usize),
    #[error("unknown or unsupported data tag {tag:#04x} at offset {offset}")]
    UnknownTag { tag: u8, offset: usize },
    #[error("length field at offset {0} is malformed or too large")]
    BadLength(usize),
    #[error("values nested deeper than {MAX_DEPTH} levels")]
    TooDeep,
}

/// A COSEM `Data` value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// 0x00 null-data (Kamstrup pads absent phases with it).
    Null,
    /// 0x01 array.
    Array(Vec<Value>),
    /// 0x02 structure.
    Structure(Vec<Value>),
    /// 0x03 boolean.
    Bool(bool),
    /// 0x04 bit-string: the number of bits and the bytes holding them.
    BitString { bits: usize, bytes: Vec<u8> },
    /// 0x05 double-long.
    I32(i32),
    /// 0x06 double-long-unsigned.
    U32(u32),
    /// 0x09 octet-string (OBIS codes, meter ids, COSEM date-times).
    OctetString(Vec<u8>),
    /// 0x0A visible-string (ASCII).
    VisibleString(Vec<u8>),
    /// 0x0C utf8-string.
    Utf8String(Vec<u8>),
    /// 0x0D bcd (one byte).
    Bcd(u8),
    /// 0x0F integer.
    I8(i8),
    /// 0x10 long.
    I16(i16),
    /// 0x11 unsigned.
    U8(u8),
    /// 0x12 long-unsigned.
    U16(u16),
    /// 0x14 long64.
    I64(i64),
    /// 0x15 long64-unsigned.
    U64(u64),
    /// 0x16 enum (units in scaler-unit structures).
    Enum(u8),
    /// 0x17 float32.
    F32(f32),
    /// 0x18 float64.
    F64(f64),
    /// 0x19 date-time (12 bytes), 0x1A date (5), 0x1B time (4), kept raw.
    DateTime(Vec<u8>),
}

impl Value {
    /// The numeric value, for any integer, enum or float type.
    pub fn as_f64(&self) -> Option<f64> {
        Some(match *self {
            Value::I32(v) => f64::from(v),
            Value::U32(v) => f64::from(v),
            Value::I8(v) => f64::from(v),
            Value::I16(v) => f64::from(v),
            Value::U8(v) | Value::Enum(v) | Value::Bcd(v) => f64::from(v),
            Value::U16(v) => f64::from(v),
            // Meter counters stay far below 2^53, where f64 stops being exact.
            Value::I64(v) => v as f64,
            Value::U64(v) => v as f64,
            Value::F32(v) => f64::from(v),
            Value::F64(v) => v,
            _ => return None,
        })
    }

    /// The bytes of an octet, visible or UTF-8 string.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Value::OctetString(b) | Value::VisibleString(b) | Value::Utf8String(b) => Some(b),
            _ => None,
        }
    }

    /// The text of a string value, with trailing NULs and spaces removed.
    pub fn as_text(&self) -> Option<String> {
        let bytes = self.as_bytes()?;
        Some(
            String::from_utf8_lossy(bytes)
                .trim_end_matches(['\0', ' '])
                .to_owned(),
        )
    }

    /// The elements of an array or structure.
    pub fn elements(&self) -> Option<&[Value]> {
        match self {
            Value::Array(items) | Value::Structure(items) => Some(items),
            _ => None,
        }
    }
}

/// Decodes one value from the start of `bytes`; returns it and the number of bytes it used.
pub fn decode(bytes: &[u8]) -> Result<(Value, usize), AxdrError> {
    let mut reader = Reader { bytes, at: 0 };
    let value = reader.value(0)?;
    Ok((value, reader.at))
}

/// Decodes an A-XDR length (short form below 0x80, else 0x8N followed by N big-endian bytes).
/// Returns the length and the bytes used.
pub fn decode_length(bytes: &[u8]) -> Result<(usize, usize), AxdrError> {
    let mut reader = Reader { bytes, at: 0 };
    let length = reader.length()?;
    Ok((length, reader.at))
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, count: usize) -> Result<&'a [u8], AxdrError> {
        let end = self
            .at
            .checked_add(count)
            .filter(|&end| end <= self.bytes.len())
            .ok_or(AxdrError::UnexpectedEnd(self.at))?;
        let slice = &self.bytes[self.at..end];
        self.at = end;
        Ok(slice)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], AxdrError> {
        let at = self.at;
        <[u8; N]>::try_from(self.take(N)?).map_err(|_| AxdrError::UnexpectedEnd(at))
    }

    fn byte(&mut self) -> Result<u8, AxdrError> {
        Ok(self.array::<1>()?[0])
    }

    fn length(&mut self) -> Result<usize, AxdrError> {
        let at = self.at;
        let first = self.byte()?;
        if first < 0x80 {
            return Ok(usize::from(first));
        }
        let count = usize::from(first & 0x7F);
        if count == 0 || count > 4 {
            return Err(AxdrError::BadLength(at));
        }
        let length = self
            .take(count)?
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        Ok(length)
    }

    /// A length for `count` items that each take at least one byte: more than the rest of the
    /// input can hold is an error before anything is allocated.
    fn count(&mut self) -> Result<usize, AxdrError> {
        let at = self.at;
        let count = self.length()?;
        if count > self.bytes.len() - self.at {
            return Err(AxdrError::BadLength(at));
        }
        Ok(count)
    }

    fn value(&mut self, depth: usize) -> Result<Value, AxdrError> {
        if depth > MAX_DEPTH {
            return Err(AxdrError::TooDeep);
        }
        let offset = self.at;
        let tag = self.byte()?;
        Ok(match tag {
            0x00 => Value::Null,
            0x01 | 0x02 => {
                let count = self.count()?;
                let mut items = Vec::with_capacity(count);
                for _ in 0..count {
                    items.push(self.value(depth + 1)?);
                }
                if tag == 0x01 {
                    Value::Array(items)
                } else {
                    Value::Structure(items)
                }
            }
            0x03 => Value::Bool(self.byte()? != 0),
            0x04 => {
                let bits = self.length()?;
                let bytes = self.take(bits.div_ceil(8))?.to_vec();
                Value::BitString { bits, bytes }
            }
            0x05 => Value::I32(i32::from_be_bytes(self.array()?)),
            0x06 => Value::U32(u32::from_be_bytes(self.array()?)),
            0x09 | 0x0A | 0x0C => {
                let length = self.length()?;
                let bytes = self.take(length)?.to_vec();
                match tag {
                    0x09 => Value::OctetString(bytes),
                    0x0A => Value::VisibleString(bytes),
                    _ => Value::Utf8String(bytes),
                }
            }
            0x0D => Value::Bcd(self.byte()?),
            0x0F => Value::I8(i8::from_be_bytes(self.array()?)),
            0x10 => Value::I16(i16::from_be_bytes(self.array()?)),
            0x11 => Value::U8(self.byte()?),
            0x12 => Value::U16(u16::from_be_bytes(self.array()?)),
            0x14 => Value::I64(i64::from_be_bytes(self.array()?)),
            0x15 => Value::U64(u64::from_be_bytes(self.array()?)),
            0x16 => Value::Enum(self.byte()?),
            0x17 => Value::F32(f32::from_be_bytes(self.array()?)),
            0x18 => Value::F64(f64::from_be_bytes(self.array()?)),
            0x19 => Value::DateTime(self.take(12)?.to_vec()),
            0x1A => Value::DateTime(self.take(5)?.to_vec()),
            0x1B => Value::DateTime(self.take(4)?.to_vec()),
            // 0x13 compact-array and the rest are not used by push meters.
            _ => return Err(AxdrError::UnknownTag { tag, offset }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(bytes: &[u8]) -> Value {
        let (value, used) = decode(bytes).unwrap();
        assert_eq!(used, bytes.len());
        value
    }

    #[test]
    fn primitives() {
        assert_eq!(one(&[0x00]), Value::Null);
        assert_eq!(one(&[0x03, 0x01]), Value::Bool(true));
        assert_eq!(one(&[0x05, 0xFF, 0xFF, 0xFF, 0xFE]), Value::I32(-2));
        assert_eq!(one(&[0x06, 0x00, 0x00, 0x02, 0xDD]), Value::U32(733));
        assert_eq!(one(&[0x0F, 0xFF]), Value::I8(-1));
        assert_eq!(one(&[0x10, 0xFF, 0xF6]), Value::I16(-10));
        assert_eq!(one(&[0x11, 0x07]), Value::U8(7));
        assert_eq!(one(&[0x12, 0x09, 0x12]), Value::U16(2322));
        assert_eq!(
            one(&[0x14, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]),
            Value::I64(-1)
        );
        assert_eq!(one(&[0x15, 0, 0, 0, 1, 0, 0, 0, 0]), Value::U64(1 << 32));
        assert_eq!(one(&[0x16, 0x1B]), Value::Enum(27));
        assert_eq!(one(&[0x17, 0x3F, 0xC0, 0x00, 0x00]), Value::F32(1.5));
        assert_eq!(
            one(&[0x18, 0x40, 0x09, 0x21, 0xFB, 0x54, 0x44, 0x2D, 0x18]).as_f64(),
            Some(std::f64::consts::PI)
        );
        assert_eq!(one(&[0x0D, 0x42]), Value::Bcd(0x42));
        assert_eq!(
            one(&[0x04, 0x0A, 0xFF, 0xC0]),
            Value::BitString {
                bits: 10,
                bytes: vec![0xFF, 0xC0]
            }
        );
    }

    #[test]
    fn strings() {
        let kfm = [0x09, 0x07, b'K', b'F', b'M', b'_', b'0', b'0', b'1'];
        assert_eq!(one(&kfm).as_text().as_deref(), Some("KFM_001"));
        assert_eq!(
            one(&[0x0A, 0x02, b'h', b'i']),
            Value::VisibleString(b"hi".to_vec())
        );
        assert_eq!(one(&[0x0C, 0x00]), Value::Utf8String(Vec::new()));
    }

    #[test]
    fn long_form_lengths() {
        let mut bytes = vec![0x09, 0x81, 0x80];
        bytes.extend([0xAA; 0x80]);
        assert_eq!(one(&bytes).as_bytes().map(<[u8]>::len), Some(0x80));
        assert_eq!(decode_length(&[0x82, 0x01, 0x00]), Ok((256, 3)));
        assert!(decode_length(&[0x80]).is_err());
        assert!(decode_length(&[0x85, 1, 2, 3, 4, 5]).is_err());
    }

    #[test]
    fn aidon_scaler_unit_structure() {
        // 02 03 | 09 06 01 00 01 07 00 FF | 06 00 00 02 DD | 02 02 0F 00 16 1B
        let bytes = [
            0x02, 0x03, 0x09, 0x06, 0x01, 0x00, 0x01, 0x07, 0x00, 0xFF, 0x06, 0x00, 0x00, 0x02,
            0xDD, 0x02, 0x02, 0x0F, 0x00, 0x16, 0x1B,
        ];
        let value = one(&bytes);
        let items = value.elements().unwrap();
        assert_eq!(items.len(), 3);
        assert_eq!(items[1].as_f64(), Some(733.0));
        assert_eq!(
            items[2],
            Value::Structure(vec![Value::I8(0), Value::Enum(0x1B)])
        );
    }

    #[test]
    fn hostile_inputs_fail_cleanly() {
        assert!(matches!(decode(&[]), Err(AxdrError::UnexpectedEnd(0))));
        assert!(decode(&[0x06, 0x00, 0x01]).is_err());
        // A count far beyond the input allocates nothing.
        assert!(matches!(
            decode(&[0x01, 0x84, 0xFF, 0xFF, 0xFF, 0xFF]),
            Err(AxdrError::BadLength(1))
        ));
        assert!(decode(&[0x09, 0x84, 0xFF, 0xFF, 0xFF, 0xFF]).is_err());
        assert!(decode(&[0x04, 0x84, 0xFF, 0xFF, 0xFF, 0xFF]).is_err());
        assert!(matches!(
            decode(&[0x13, 0x00]),
            Err(AxdrError::UnknownTag {
                tag: 0x13,
                offset: 0
            })
        ));
        let deep: Vec<u8> = std::iter::repeat_n([0x02u8, 0x01], 40)
            .flatten()
            .chain([0x00])
            .collect();
        assert_eq!(decode(&deep), Err(AxdrError::TooDeep));
    }
}
