//! Faults a simulated device can be switched into while the bus runs, and what each one puts on
//! the wire.
//!
//! The gateway under test must cope with the ways field devices actually misbehave: a meter that
//! stopped answering, a line with noise on it, a slow device, a device reporting its own failure.
//! The faults are decided here, once, so the RTU line and the TCP gateway misbehave alike; each
//! transport only frames the result.

use std::time::Duration;

use rand::Rng;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The longest turnaround a fault may ask for: longer only makes tests hang.
pub const MAX_DELAY_MS: u64 = 60_000;

/// How one simulated device behaves. As JSON: `{"fault":"healthy"}`, `{"fault":"timeout"}`,
/// `{"fault":"corrupt_crc"}`, `{"fault":"garbage"}`,
/// `{"fault":"slow_turnaround","delay_ms":800}`, `{"fault":"exception","code":4}`,
/// `{"fault":"wrong_unit"}`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "fault", rename_all = "snake_case", try_from = "FaultBody")]
pub enum Fault {
    /// Answers as the real model would.
    #[default]
    Healthy,
    /// Never answers (a dead or disconnected device).
    Timeout,
    /// Answers with a checksum that does not match (noise on the line). A TCP frame has no
    /// checksum, so on the TCP gateway this behaves as [`Fault::Garbage`].
    CorruptCrc,
    /// Answers random bytes as long as the real answer would be.
    Garbage,
    /// Answers correctly, but only after `delay_ms` milliseconds.
    SlowTurnaround { delay_ms: u64 },
    /// Answers every request with Modbus exception `code` (4: server device failure).
    Exception { code: u8 },
    /// Answers correctly but under another unit id, as a second device set to the same address
    /// would (the next unit id up: 1 → 2, 247 → 1).
    WrongUnit,
}

/// A fault that cannot be injected as asked.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum FaultError {
    #[error("exception code 0 does not exist; use 1 to 255 (4 is server device failure)")]
    ExceptionCodeZero,
    #[error("a turnaround of {0} ms is longer than the {MAX_DELAY_MS} ms allowed")]
    DelayTooLong(u64),
    #[error("fault {0} needs the field {1}")]
    MissingField(&'static str, &'static str),
    #[error("fault {0} takes no field {1}")]
    ExtraField(&'static str, &'static str),
}

/// The names of the faults, for parsing.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
enum FaultKind {
    Healthy,
    Timeout,
    CorruptCrc,
    Garbage,
    SlowTurnaround,
    Exception,
    WrongUnit,
}

/// A fault as it arrives in JSON. Parsed through this rather than serde's internally tagged
/// enums, which let `{"fault":"timeout","delay_ms":5}` pass silently: a test author who wrote
/// that meant something, and should hear that it was not understood.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultBody {
    fault: FaultKind,
    delay_ms: Option<u64>,
    code: Option<u8>,
}

impl TryFrom<FaultBody> for Fault {
    type Error = FaultError;

    fn try_from(body: FaultBody) -> Result<Fault, FaultError> {
        let FaultBody {
            fault,
            delay_ms,
            code,
        } = body;
        // A fault without fields must come without fields.
        let bare = |fault: Fault, name: &'static str| match (delay_ms, code) {
            (None, None) => Ok(fault),
            (Some(_), _) => Err(FaultError::ExtraField(name, "delay_ms")),
            (None, Some(_)) => Err(FaultError::ExtraField(name, "code")),
        };
        let fault = match fault {
            FaultKind::Healthy => bare(Fault::Healthy, "healthy")?,
            FaultKind::Timeout => bare(Fault::Timeout, "timeout")?,
            FaultKind::CorruptCrc => bare(Fault::CorruptCrc, "corrupt_crc")?,
            FaultKind::Garbage => bare(Fault::Garbage, "garbage")?,
            FaultKind::WrongUnit => bare(Fault::WrongUnit, "wrong_unit")?,
            FaultKind::SlowTurnaround => match (delay_ms, code) {
                (Some(delay_ms), None) => Fault::SlowTurnaround { delay_ms },
                (None, _) => return Err(FaultError::MissingField("slow_turnaround", "delay_ms")),
                (Some(_), Some(_)) => {
                    return Err(FaultError::ExtraField("slow_turnaround", "code"));
                }
            },
            FaultKind::Exception => match (delay_ms, code) {
                (None, Some(code)) => Fault::Exception { code },
                (_, None) => return Err(FaultError::MissingField("exception", "code")),
                (Some(_), Some(_)) => return Err(FaultError::ExtraField("exception", "delay_ms")),
            },
        };
        fault.validate()
    }
}

impl Fault {
    /// Refuses faults that no device could show.
    pub fn validate(self) -> Result<Fault, FaultError> {
        match self {
            Fault::Exception { code: 0 } => Err(FaultError::ExceptionCodeZero),
            Fault::SlowTurnaround { delay_ms } if delay_ms > MAX_DELAY_MS => {
                Err(FaultError::DelayTooLong(delay_ms))
            }
            fault => Ok(fault),
        }
    }

    /// What goes on the wire for a device with this fault whose healthy answer is `pdu`
    /// (function code and data, no address or checksum). `function` is the request's.
    pub(crate) fn deliver(self, function: u8, pdu: Vec<u8>) -> Delivery {
        match self {
            Fault::Healthy => Delivery::Pdu {
                pdu,
                delay: Duration::ZERO,
            },
            Fault::Timeout => Delivery::Silence,
            Fault::CorruptCrc => Delivery::BadChecksum(pdu),
            Fault::Garbage => Delivery::Garbage {
                pdu_length: pdu.len(),
            },
            Fault::SlowTurnaround { delay_ms } => Delivery::Pdu {
                pdu,
                delay: Duration::from_millis(delay_ms),
            },
            Fault::Exception { code } => Delivery::Pdu {
                pdu: vec![function | 0x80, code],
                delay: Duration::ZERO,
            },
            Fault::WrongUnit => Delivery::OtherUnit(pdu),
        }
    }
}

/// What a server sends for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Delivery {
    /// Nothing at all.
    Silence,
    /// This PDU, framed correctly, after `delay`.
    Pdu { pdu: Vec<u8>, delay: Duration },
    /// This PDU framed with a checksum that does not match it.
    BadChecksum(Vec<u8>),
    /// Random bytes where a frame carrying a PDU of `pdu_length` bytes would be; each transport
    /// makes its own kind of garbage (see `rtu.rs` and `tcp.rs`).
    Garbage { pdu_length: usize },
    /// This PDU, framed correctly but under another unit id (see [`other_unit`]).
    OtherUnit(Vec<u8>),
}

/// The unit id a [`Fault::WrongUnit`] device answers under instead of `unit`.
pub(crate) fn other_unit(unit: u8) -> u8 {
    if unit >= 247 { 1 } else { unit + 1 }
}

/// `length` random bytes.
pub(crate) fn random_bytes(length: usize) -> Vec<u8> {
    let mut rng = rand::rng();
    (0..length).map(|_| rng.random()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_forms_are_the_documented_ones() {
        let cases = [
            (r#"{"fault":"healthy"}"#, Fault::Healthy),
            (r#"{"fault":"timeout"}"#, Fault::Timeout),
            (r#"{"fault":"corrupt_crc"}"#, Fault::CorruptCrc),
            (r#"{"fault":"garbage"}"#, Fault::Garbage),
            (r#"{"fault":"wrong_unit"}"#, Fault::WrongUnit),
            (
                r#"{"fault":"slow_turnaround","delay_ms":800}"#,
                Fault::SlowTurnaround { delay_ms: 800 },
            ),
            (
                r#"{"fault":"exception","code":4}"#,
                Fault::Exception { code: 4 },
            ),
        ];
        for (text, fault) in cases {
            assert_eq!(serde_json::from_str::<Fault>(text).unwrap(), fault);
            assert_eq!(serde_json::to_string(&fault).unwrap(), text);
        }
    }

    #[test]
    fn malformed_faults_are_refused() {
        for text in [
            r#"{"fault":"on_fire"}"#,
            r#"{"fault":"slow_turnaround"}"#,
            r#"{"fault":"timeout","delay_ms":5}"#,
            r#"{"delay_ms":5}"#,
            r#"{"fault":"exception","code":4,"delay_ms":5}"#,
            r#"{"fault":"exception","code":0}"#,
            r#"{"fault":"garbage","colour":"red"}"#,
        ] {
            assert!(serde_json::from_str::<Fault>(text).is_err(), "{text}");
        }
        assert_eq!(
            Fault::Exception { code: 0 }.validate(),
            Err(FaultError::ExceptionCodeZero)
        );
        assert!(
            Fault::SlowTurnaround { delay_ms: 60_001 }
                .validate()
                .is_err()
        );
    }

    #[test]
    fn exceptions_replace_the_answer() {
        assert_eq!(
            Fault::Exception { code: 4 }.deliver(4, vec![4, 2, 0, 1]),
            Delivery::Pdu {
                pdu: vec![0x84, 4],
                delay: Duration::ZERO
            }
        );
        assert_eq!(
            Fault::Garbage.deliver(4, vec![4, 2, 0, 1]),
            Delivery::Garbage { pdu_length: 4 }
        );
        assert_eq!(random_bytes(7).len(), 7);
        assert_eq!(
            Fault::WrongUnit.deliver(4, vec![4, 2, 0, 1]),
            Delivery::OtherUnit(vec![4, 2, 0, 1])
        );
        assert_eq!((other_unit(1), other_unit(247)), (2, 1));
    }
}
