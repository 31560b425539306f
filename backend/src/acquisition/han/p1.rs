//! DSMR P1 telegrams (IEC 62056-21 mode D text): the Dutch and Belgian smart meter port, and the
//! P1-style HAN output of Swedish, Norwegian and Danish meters.
//!
//! ```text
//! /ISk5\2MT382-1000          header: '/', 3-letter maker, baud digit, identification
//!
//! 1-0:1.8.1(000004.426*kWh)  OBIS reference, then one or more (value[*unit]) groups
//! 0-1:24.2.1(170102161005W)(00000.107*m3)
//! !6EEE                      CRC-16/ARC over '/' … '!' inclusive, hex
//! ```
//!
//! The CRC is required: DSMR 2/3 telegrams without one are refused, since nothing else guards a
//! serial line against a flipped digit in a counter.

use shared::{Quantity, Reading};
use thiserror::Error;

use super::clock::MeterClock;
use super::crc::crc16_arc;
use super::obis::{self, Obis};
use super::reading::{HanReading, Manufacturer};

/// Telegrams are about 1 KiB; anything this long without its `!` is not one.
const MAX_TELEGRAM_LEN: usize = 16 * 1024;

/// Why bytes are not a valid telegram.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum P1Error {
    #[error("no '/' starting a telegram")]
    MissingStart,
    #[error("telegram has no '!' end line")]
    MissingEnd,
    #[error("telegram cut off before its end (a new telegram started)")]
    Truncated,
    #[error("telegram has no CRC after '!' (DSMR 2/3 telegrams are not accepted)")]
    MissingCrc,
    #[error("CRC mismatch: telegram says {wire:04X}, computed {computed:04X}")]
    CrcMismatch { wire: u16, computed: u16 },
    #[error("telegram longer than {MAX_TELEGRAM_LEN} bytes")]
    TooLong,
}

/// One data line: an OBIS reference and its parenthesised values, raw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct P1Object {
    pub obis: Obis,
    pub values: Vec<String>,
}

/// A numeric value and the unit written after `*`, if any.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct P1Number<'a> {
    pub value: f64,
    pub unit: Option<&'a str>,
    /// The number as written, for exact decimal rescaling.
    pub text: &'a str,
}

impl P1Number<'_> {
    /// `value × 10^exponent`, computed from the written digits so that 2.027 kW is exactly
    /// 2027 W rather than 2027.0000000000002.
    pub fn scaled(&self, exponent: i32) -> f64 {
        let (whole, fraction) = self.text.split_once('.').unwrap_or((self.text, ""));
        let digits = format!("{whole}{fraction}");
        let shift = exponent.saturating_sub(i32::try_from(fraction.len()).unwrap_or(i32::MAX));
        match digits.parse::<i64>() {
            Ok(mantissa) if (-18..=18).contains(&shift) => {
                let factor = 10f64.powi(shift.abs());
                let mantissa = mantissa as f64;
                if shift < 0 {
                    mantissa / factor
                } else {
                    mantissa * factor
                }
            }
            _ => self.value * 10f64.powi(exponent),
        }
    }
}

/// A reading of a meter on an M-Bus channel (gas, water, heat), with its own capture time.
#[derive(Debug, Clone, PartialEq)]
pub struct MbusReading {
    /// Channel B of the OBIS codes (1–4).
    pub channel: u8,
    /// M-Bus device type (0-n:24.1.0): 3 gas, 4 heat, 7 water.
    pub device_type: Option<u32>,
    /// Equipment identifier (0-n:96.1.0 or 0-n:96.1.1), as sent.
    pub equipment_id: Option<String>,
    /// When the sub-meter was last read, as the telegram states it.
    pub captured: Option<MeterClock>,
    pub value: f64,
    /// Unit as sent ("m3", "GJ").
    pub unit: Option<String>,
}

impl MbusReading {
    /// The reading as a [`Quantity::Volume`] in m³, for gas and water meters that count volume.
    /// It belongs to the sub-meter's own device, not to the electricity meter.
    pub fn to_reading(&self) -> Option<Reading> {
        matches!(self.unit.as_deref(), Some("m3") | Some("m³")).then_some(Reading {
            quantity: Quantity::Volume,
            value: self.value,
        })
    }
}

/// A parsed, CRC-checked telegram.
#[derive(Debug, Clone, PartialEq)]
pub struct P1Telegram {
    /// The header after `/`: maker (3 letters), baud digit and identification.
    pub header: String,
    /// The data lines in order. Lines that are not `OBIS(value)…` are skipped.
    pub objects: Vec<P1Object>,
    /// The CRC as sent.
    pub crc: u16,
}

impl P1Telegram {
    /// Parses one telegram; `bytes` must start with `/`. Bytes after the CRC are ignored.
    pub fn parse(bytes: &[u8]) -> Result<Self, P1Error> {
        if bytes.first() != Some(&b'/') {
            return Err(P1Error::MissingStart);
        }
        let bang = bytes
            .iter()
            .position(|&b| b == b'!')
            .ok_or(P1Error::MissingEnd)?;
        let digits: Vec<u8> = bytes[bang + 1..]
            .iter()
            .take(4)
            .take_while(|b| b.is_ascii_hexdigit())
            .copied()
            .collect();
        if digits.is_empty() {
            return Err(P1Error::MissingCrc);
        }
        // Some devices drop leading zeros ("!B9F" for 0B9F); at most 4 hex digits fit a u16.
        let wire = digits
            .iter()
            .fold(0u16, |acc, &d| (acc << 4) | u16::from(hex_value(d)));
        let computed = crc16_arc(&bytes[..=bang]);
        if wire != computed {
            return Err(P1Error::CrcMismatch { wire, computed });
        }
        let text = String::from_utf8_lossy(&bytes[1..bang]);
        let mut lines = text.split('\n').map(|line| line.trim_end_matches('\r'));
        let header = lines.next().unwrap_or_default().to_owned();
        let mut objects: Vec<P1Object> = Vec::new();
        for line in lines {
            let line = line.trim();
            if line.starts_with('(') {
                // Continuation of the previous line's values (DSMR 2.2 gas readings).
                if let (Some(last), Some(values)) = (objects.last_mut(), parse_groups(line)) {
                    last.values.extend(values);
                }
            } else if let Some(object) = parse_line(line) {
                objects.push(object);
            }
        }
        Ok(P1Telegram {
            header,
            objects,
            crc: wire,
        })
    }

    /// The maker's three-letter code from the header ("ISk", "KFM", "KAM").
    pub fn maker(&self) -> &str {
        self.header.get(..3).unwrap_or("")
    }

    /// The first line with this OBIS code (all six groups compared: B is the M-Bus channel).
    pub fn get(&self, code: Obis) -> Option<&P1Object> {
        self.objects.iter().find(|object| object.obis == code)
    }

    /// The first value of a line as a number.
    pub fn number(&self, code: Obis) -> Option<P1Number<'_>> {
        self.get(code)?.values.first().and_then(|v| parse_number(v))
    }

    /// The first value of a line as text.
    pub fn text(&self, code: Obis) -> Option<&str> {
        self.get(code)?.values.first().map(String::as_str)
    }

    /// The telegram's own time stamp (0-0:1.0.0).
    pub fn timestamp(&self) -> Option<MeterClock> {
        self.text(Obis::new(0, 0, 1, 0, 0, 255))
            .and_then(parse_timestamp)
    }

    /// Readings of sub-meters on the M-Bus channels: DSMR 0-n:24.2.1 (hourly) and the Belgian
    /// 0-n:24.2.3 (five-minute), each `(capture time)(value*unit)`.
    pub fn mbus_readings(&self) -> Vec<MbusReading> {
        self.objects
            .iter()
            .filter(|object| {
                object.obis.b() > 0
                    && (same_cde(object.obis, obis::MBUS_READING)
                        || same_cde(object.obis, obis::MBUS_READING_BE))
            })
            .filter_map(|object| {
                let channel = object.obis.b();
                let (captured, number) = match object.values.as_slice() {
                    [time, value, ..] => (parse_timestamp(time), parse_number(value)?),
                    [value] => (None, parse_number(value)?),
                    [] => return None,
                };
                let on_channel = |c: u8, d: u8, e: u8| Obis::new(0, channel, c, d, e, 255);
                let equipment_id = self
                    .text(on_channel(96, 1, 0))
                    .or_else(|| self.text(on_channel(96, 1, 1)))
                    .filter(|id| !id.is_empty())
                    .map(str::to_owned);
                Some(MbusReading {
                    channel,
                    device_type: self.number(on_channel(24, 1, 0)).map(|n| n.value as u32),
                    equipment_id,
                    captured,
                    value: number.value,
                    unit: number.unit.map(str::to_owned),
                })
            })
            .collect()
    }

    /// The electricity meter's values in base units.
    ///
    /// Units are converted from what each line says (kW, kWh, kvar, kvarh, V, A, and their
    /// W/Wh forms); a value written without a unit, as some Nordic meters do, is taken in the
    /// DSMR unit of its code (kW, kWh, kvar, kvarh, V, A). Energy totals use 1.8.0/2.8.0 when
    /// present and the sum of the tariff registers (1.8.1, 1.8.2 …) otherwise.
    pub fn to_han_reading(&self) -> HanReading {
        let electric = |c: u8, d: u8, e: u8| Obis::new(1, 0, c, d, e, 255);
        let value = |c: u8, d: u8, e: u8| {
            self.number(electric(c, d, e))
                .and_then(|n| to_base(n, default_unit(c, d)))
        };
        let total = |c: u8| {
            value(c, 8, 0).or_else(|| {
                let tariffs: Vec<f64> = (1..=9).filter_map(|e| value(c, 8, e)).collect();
                (!tariffs.is_empty()).then(|| tariffs.iter().sum())
            })
        };
        let phases = |c: [u8; 3]| c.map(|c| value(c, 7, 0));
        HanReading {
            manufacturer: Some(match self.maker().to_ascii_uppercase().as_str() {
                "KFM" => Manufacturer::Kaifa,
                "KAM" => Manufacturer::Kamstrup,
                "AID" => Manufacturer::Aidon,
                _ => Manufacturer::Unknown,
            }),
            list_version: self
                .text(obis::P1_VERSION)
                .or_else(|| self.text(Obis::new(0, 0, 96, 1, 4, 255)))
                .map(str::to_owned),
            meter_id: self
                .text(obis::EQUIPMENT_ID)
                .or_else(|| self.text(obis::METER_ID))
                .filter(|id| !id.is_empty())
                .map(str::to_owned),
            meter_type: Some(self.header.clone()).filter(|h| !h.is_empty()),
            meter_clock: self.timestamp(),
            active_power_import_w: value(1, 7, 0),
            active_power_export_w: value(2, 7, 0),
            reactive_power_import_var: value(3, 7, 0),
            reactive_power_export_var: value(4, 7, 0),
            active_power_import_phase_w: phases([21, 41, 61]),
            active_power_export_phase_w: phases([22, 42, 62]),
            reactive_power_import_phase_var: phases([23, 43, 63]),
            reactive_power_export_phase_var: phases([24, 44, 64]),
            current_a: phases([31, 51, 71]),
            voltage_v: phases([32, 52, 72]),
            active_energy_import_wh: total(1),
            active_energy_export_wh: total(2),
            reactive_energy_import_varh: total(3),
            reactive_energy_export_varh: total(4),
        }
    }
}

fn same_cde(a: Obis, b: Obis) -> bool {
    a.a() == b.a() && a.same_quantity(b)
}

fn hex_value(digit: u8) -> u8 {
    match digit {
        b'0'..=b'9' => digit - b'0',
        b'a'..=b'f' => digit - b'a' + 10,
        b'A'..=b'F' => digit - b'A' + 10,
        _ => 0,
    }
}

/// `1-0:1.8.1(000004.426*kWh)(…)` → OBIS and values; `None` for anything else.
fn parse_line(line: &str) -> Option<P1Object> {
    let open = line.find('(')?;
    let obis = line[..open].parse().ok()?;
    let values = parse_groups(&line[open..])?;
    Some(P1Object { obis, values })
}

/// `(a)(b)(c)` → `["a", "b", "c"]`; `None` if the line is not made of groups only.
fn parse_groups(mut rest: &str) -> Option<Vec<String>> {
    let mut values = Vec::new();
    while !rest.is_empty() {
        let inner = rest.strip_prefix('(')?;
        let close = inner.find(')')?;
        values.push(inner[..close].to_owned());
        rest = inner[close + 1..].trim_start();
    }
    Some(values)
}

/// `000004.426*kWh` → 4.426 kWh; `0002` → 2 without unit.
pub fn parse_number(text: &str) -> Option<P1Number<'_>> {
    let (number, unit) = match text.split_once('*') {
        Some((number, unit)) => (number, Some(unit.trim())),
        None => (text, None),
    };
    let number = number.trim();
    let plain = !number.is_empty()
        && number
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-' || b == b'+');
    if !plain {
        return None;
    }
    let value: f64 = number.parse().ok()?;
    value.is_finite().then_some(P1Number {
        value,
        unit: unit.filter(|u| !u.is_empty()),
        text: number,
    })
}

/// The DSMR unit of a code, for values written without one.
fn default_unit(c: u8, d: u8) -> &'static str {
    let per_phase = c % 20;
    match (per_phase, d) {
        (1 | 2, 7) => "kW",
        (3 | 4, 7) => "kvar",
        (1 | 2, 8) => "kWh",
        (3 | 4, 8) => "kvarh",
        (11, 7) => "A",
        (12, 7) => "V",
        _ => "",
    }
}

/// Converts to W, var, Wh, varh, V or A; `None` for a unit of another kind.
fn to_base(number: P1Number<'_>, default_unit: &str) -> Option<f64> {
    let unit = number.unit.unwrap_or(default_unit).to_ascii_lowercase();
    match unit.as_str() {
        "kw" | "kvar" | "kwh" | "kvarh" => Some(number.scaled(3)),
        "w" | "var" | "wh" | "varh" | "v" | "a" => Some(number.value),
        _ => None,
    }
}

/// `YYMMDDhhmmssX` (X = `W` winter/normal time, `S` summer time), the same without X, or the
/// free form `YYYYMMDD hh:mm:ss` some Danish meters send.
pub fn parse_timestamp(text: &str) -> Option<MeterClock> {
    let text = text.trim();
    let (digits, dst) = match text.as_bytes().last()? {
        b'W' | b'w' => (&text[..text.len() - 1], Some(false)),
        b'S' | b's' => (&text[..text.len() - 1], Some(true)),
        _ => (text, None),
    };
    let format = match digits.len() {
        12 => "%y%m%d%H%M%S",
        17 => "%Y%m%d %H:%M:%S",
        _ => return None,
    };
    if digits.len() == 12 && !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let local = chrono::NaiveDateTime::parse_from_str(digits, format).ok()?;
    Some(MeterClock {
        local,
        utc_offset_minutes: None,
        dst,
    })
}

/// Streaming telegram reader: push bytes in any chunking, pop CRC-checked telegrams.
///
/// Garbage before `/` is skipped. A telegram cut off by a new `/XYZ` header is reported as
/// [`P1Error::Truncated`] and the new one is read; a bad CRC is reported and the search resumes
/// after the bad telegram's `/`, so the next good telegram is not lost.
#[derive(Debug, Default, Clone)]
pub struct TelegramReader {
    buffer: Vec<u8>,
}

impl TelegramReader {
    /// A reader with nothing buffered.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends received bytes.
    pub fn push(&mut self, bytes: &[u8]) {
        self.buffer.extend_from_slice(bytes);
    }

    /// Drops everything buffered.
    pub fn reset(&mut self) {
        self.buffer.clear();
    }

    /// The next telegram, an error for a rejected one, or `None` when more bytes are needed.
    pub fn pop(&mut self) -> Option<Result<P1Telegram, P1Error>> {
        let start = match self.buffer.iter().position(|&b| b == b'/') {
            Some(start) => start,
            None => {
                self.buffer.clear();
                return None;
            }
        };
        self.buffer.drain(..start);
        let bang = self.buffer.iter().position(|&b| b == b'!');
        let searched = bang.unwrap_or(self.buffer.len());
        if let Some(next) = (1..searched).find(|&at| is_header_start(&self.buffer[at..])) {
            self.buffer.drain(..next);
            return Some(Err(P1Error::Truncated));
        }
        let Some(bang) = bang else {
            if self.buffer.len() > MAX_TELEGRAM_LEN {
                self.buffer.drain(..1);
                return Some(Err(P1Error::TooLong));
            }
            return None;
        };
        // The CRC is complete after 4 hex digits, or once something else follows fewer.
        let digits = self.buffer[bang + 1..]
            .iter()
            .take(4)
            .take_while(|b| b.is_ascii_hexdigit())
            .count();
        let end = bang + 1 + digits;
        if digits < 4 && end >= self.buffer.len() {
            return None;
        }
        let result = P1Telegram::parse(&self.buffer[..end]);
        let consumed = if result.is_ok() { end } else { 1 };
        self.buffer.drain(..consumed);
        Some(result)
    }
}

/// `/` followed by three letters: how every telegram header starts.
fn is_header_start(bytes: &[u8]) -> bool {
    matches!(bytes, [b'/', a, b, c, ..] if [a, b, c].iter().all(|x| x.is_ascii_alphabetic()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_crc(body: &str) -> String {
        format!("{body}{:04X}\r\n", crc16_arc(body.as_bytes()))
    }

    const BODY: &str = "/KFM5KAIFA-METER\r\n\r\n1-3:0.2.8(42)\r\n0-0:1.0.0(161113205757W)\r\n\
        1-0:1.8.1(001581.123*kWh)\r\n1-0:1.8.2(001435.706*kWh)\r\n1-0:1.7.0(02.027*kW)\r\n\
        1-0:32.7.0(230.0*V)\r\n1-0:31.7.0(002*A)\r\n\
        0-1:24.2.1(161129200000W)(00981.443*m3)\r\n0-1:24.1.0(003)\r\n!";

    #[test]
    fn parses_values_and_units() {
        let telegram = P1Telegram::parse(with_crc(BODY).as_bytes()).unwrap();
        assert_eq!(telegram.maker(), "KFM");
        let reading = telegram.to_han_reading();
        assert_eq!(reading.active_energy_import_wh, Some(3_016_829.0));
        assert_eq!(reading.active_power_import_w, Some(2027.0));
        assert_eq!(reading.voltage_v[0], Some(230.0));
        assert_eq!(reading.current_a[0], Some(2.0));
        assert_eq!(reading.list_version.as_deref(), Some("42"));
        let clock = reading.meter_clock.unwrap();
        assert_eq!(clock.to_iso8601(), "2016-11-13T20:57:57");
        assert_eq!(clock.dst, Some(false));
        let gas = telegram.mbus_readings();
        assert_eq!(gas.len(), 1);
        assert_eq!(gas[0].device_type, Some(3));
        assert_eq!(gas[0].value, 981.443);
        assert_eq!(gas[0].captured.unwrap().to_iso8601(), "2016-11-29T20:00:00");
        assert_eq!(
            gas[0].to_reading().map(|r| r.quantity),
            Some(Quantity::Volume)
        );
    }

    #[test]
    fn crc_is_required_and_checked() {
        let good = with_crc(BODY);
        let mut bad = good.clone().into_bytes();
        let at = bad.iter().position(|&b| b == b'5').unwrap();
        bad[at] = b'6';
        assert!(matches!(
            P1Telegram::parse(&bad),
            Err(P1Error::CrcMismatch { .. })
        ));
        assert_eq!(
            P1Telegram::parse(format!("{BODY}\r\n").as_bytes()),
            Err(P1Error::MissingCrc)
        );
        assert_eq!(P1Telegram::parse(b"garbage"), Err(P1Error::MissingStart));
        assert_eq!(P1Telegram::parse(b"/KFM5 no end"), Err(P1Error::MissingEnd));
    }

    #[test]
    fn values_without_units_take_the_dsmr_unit() {
        let body = "/XYZ5 nordic\r\n\r\n1-0:1.7.0(0001.453)\r\n1-0:1.8.0(00009621.983)\r\n!";
        let reading = P1Telegram::parse(with_crc(body).as_bytes())
            .unwrap()
            .to_han_reading();
        assert_eq!(reading.active_power_import_w, Some(1453.0));
        assert_eq!(reading.active_energy_import_wh, Some(9_621_983.0));
    }

    #[test]
    fn timestamps() {
        let summer = parse_timestamp("200512135409S").unwrap();
        assert_eq!(summer.dst, Some(true));
        assert_eq!(summer.to_iso8601(), "2020-05-12T13:54:09");
        assert_eq!(parse_timestamp("20240111 09:35:00").unwrap().dst, None);
        assert!(parse_timestamp("2005121354XXS").is_none());
        assert!(parse_timestamp("").is_none());
        assert!(parse_timestamp("S").is_none());
    }

    #[test]
    fn reader_survives_garbage_truncation_and_bad_crc() {
        let good = with_crc(BODY);
        let mut bad = good.clone();
        bad = bad.replacen("1581", "1582", 1);
        let mut stream = b"\x00\x00noise".to_vec();
        stream.extend(&good.as_bytes()[..200]); // line drop
        stream.extend(bad.as_bytes());
        stream.extend(good.as_bytes());
        let mut whole = TelegramReader::new();
        whole.push(&stream);
        let out: Vec<_> = std::iter::from_fn(|| whole.pop()).collect();
        assert_eq!(out.len(), 3);
        assert_eq!(out[0], Err(P1Error::Truncated));
        assert!(matches!(out[1], Err(P1Error::CrcMismatch { .. })));
        assert!(out[2].is_ok());
        for chunk in [1, 2, 3, 7, 64, 1000] {
            let mut reader = TelegramReader::new();
            let mut got = Vec::new();
            for piece in stream.chunks(chunk) {
                reader.push(piece);
                got.extend(std::iter::from_fn(|| reader.pop()));
            }
            assert_eq!(got, out, "chunk {chunk}");
        }
    }

    #[test]
    fn three_digit_crc_waits_for_the_line_end() {
        let mut reader = TelegramReader::new();
        let body = "/NWA-WARMTELINK\r\n\r\n0-0:96.13.0()\r\n!";
        let crc = crc16_arc(body.as_bytes());
        let telegram = format!("{body}{crc:X}\r\n");
        let (head, tail) = telegram.split_at(telegram.len() - 2);
        reader.push(head.as_bytes());
        if crc >= 0x1000 {
            assert!(reader.pop().is_some());
        } else {
            assert!(reader.pop().is_none());
            reader.push(tail.as_bytes());
            assert!(reader.pop().unwrap().is_ok());
        }
    }
}
