//! Our own Modbus RTU master: the request and reply model shared by both transports, and the
//! framing of RTU exchanges on a serial line.
//!
//! tokio-modbus' RTU client resynchronises silently after a bad frame, so noise on the line ends
//! as a timeout and the installer cannot tell a dead meter from a bad cable. This client reads the
//! reply it expects (its length follows from the request; an exception reply is 5 bytes), detects
//! the silence that ends a frame, and names every outcome: a reply, a Modbus exception, a CRC
//! error, a short or garbled frame, a reply from another unit, or no reply at all. After an error
//! it drains the line, so that the rest of a bad or late reply is not read as the answer to the
//! next request.
//!
//! Modbus TCP keeps using tokio-modbus (see `link.rs`): a TCP frame has no checksum and its
//! length is in its header, so there is nothing to classify beyond what tokio-modbus reports.

use std::io;
use std::time::Duration;

use thiserror::Error;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::Instant;
use tracing::debug;

/// The most coils or discrete inputs one read may return.
pub const MAX_READ_BITS: u16 = 2000;
/// The most registers one read may return.
pub const MAX_READ_REGISTERS: u16 = 125;
/// The most registers one write may carry.
pub const MAX_WRITE_REGISTERS: usize = 123;
/// Bits per character on an RTU line: start, 8 data, parity or second stop, stop.
const BITS_PER_CHARACTER: u64 = 11;
/// The longest pause tolerated inside one reply. The standard's 1.5 characters (under 1 ms at
/// 19200 baud) is not observable from user space: USB-RS485 adapters deliver bytes in bursts every
/// few milliseconds (FTDI's latency timer is 16 ms by default).
const INTER_CHARACTER_FLOOR: Duration = Duration::from_millis(20);
/// The longest the line is drained after an error: a device that keeps talking is broken, and the
/// next request must still go out.
const DRAIN_LIMIT: Duration = Duration::from_millis(500);

/// One Modbus request, as the gateway sends it on either transport.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// Function 1.
    ReadCoils { address: u16, count: u16 },
    /// Function 2.
    ReadDiscreteInputs { address: u16, count: u16 },
    /// Function 3.
    ReadHoldingRegisters { address: u16, count: u16 },
    /// Function 4.
    ReadInputRegisters { address: u16, count: u16 },
    /// Function 5.
    WriteSingleCoil { address: u16, on: bool },
    /// Function 6.
    WriteSingleRegister { address: u16, value: u16 },
    /// Function 16.
    WriteMultipleRegisters { address: u16, values: Vec<u16> },
}

/// What a successful exchange brought back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// Coils or discrete inputs, as many as asked for.
    Bits(Vec<bool>),
    /// Registers, as many as asked for.
    Words(Vec<u16>),
    /// A write the device confirmed.
    Written,
}

/// How an exchange failed. Each variant is counted apart in the bus diagnostics.
#[derive(Debug, Error)]
pub enum ExchangeError {
    /// Nothing came back in time: the device is off, disconnected or at another address.
    #[error("no reply within {0} ms")]
    Timeout(u64),
    /// The device refused the request; the line itself is fine.
    #[error("the device answered with Modbus exception {code} ({})", exception_name(*.code))]
    Exception { code: u8 },
    /// A reply of the right shape whose checksum does not match: noise on the line, a missing
    /// termination resistor, wrong polarity on part of the bus.
    #[error("the reply's CRC does not match: check the wiring and the line termination")]
    Crc,
    /// Too short, or not a reply to this request at all.
    #[error("garbled reply: {0}")]
    Garbled(String),
    /// A well-formed reply carrying another unit id: two devices may share an address.
    #[error("a reply came from unit {got} instead of {expected}: do two devices share an address?")]
    WrongUnit { expected: u8, got: u8 },
    /// The serial port or the TCP connection failed.
    #[error("link failure: {0}")]
    Transport(String),
}

impl ExchangeError {
    /// True when the link itself failed and must be reopened before the next request.
    pub fn breaks_link(&self) -> bool {
        matches!(self, ExchangeError::Transport(_))
    }
}

impl From<io::Error> for ExchangeError {
    fn from(error: io::Error) -> Self {
        ExchangeError::Transport(error.to_string())
    }
}

/// The name the Modbus specification gives an exception code.
pub fn exception_name(code: u8) -> &'static str {
    match code {
        1 => "illegal function",
        2 => "illegal data address",
        3 => "illegal data value",
        4 => "server device failure",
        5 => "acknowledge",
        6 => "server device busy",
        8 => "memory parity error",
        10 => "gateway path unavailable",
        11 => "gateway target device failed to respond",
        _ => "unknown exception",
    }
}

impl Request {
    /// The function code.
    pub fn function(&self) -> u8 {
        match self {
            Request::ReadCoils { .. } => 1,
            Request::ReadDiscreteInputs { .. } => 2,
            Request::ReadHoldingRegisters { .. } => 3,
            Request::ReadInputRegisters { .. } => 4,
            Request::WriteSingleCoil { .. } => 5,
            Request::WriteSingleRegister { .. } => 6,
            Request::WriteMultipleRegisters { .. } => 16,
        }
    }

    /// The read of `count` items at `address` with read function `function` (1 to 4).
    pub fn read(function: u8, address: u16, count: u16) -> Option<Request> {
        Some(match function {
            1 => Request::ReadCoils { address, count },
            2 => Request::ReadDiscreteInputs { address, count },
            3 => Request::ReadHoldingRegisters { address, count },
            4 => Request::ReadInputRegisters { address, count },
            _ => return None,
        })
    }

    /// The protocol data unit: function code and data.
    pub fn pdu(&self) -> Vec<u8> {
        let mut pdu = vec![self.function()];
        let mut word = |value: u16| pdu.extend_from_slice(&value.to_be_bytes());
        match self {
            Request::ReadCoils { address, count }
            | Request::ReadDiscreteInputs { address, count }
            | Request::ReadHoldingRegisters { address, count }
            | Request::ReadInputRegisters { address, count } => {
                word(*address);
                word(*count);
            }
            Request::WriteSingleCoil { address, on } => {
                word(*address);
                word(if *on { 0xFF00 } else { 0 });
            }
            Request::WriteSingleRegister { address, value } => {
                word(*address);
                word(*value);
            }
            Request::WriteMultipleRegisters { address, values } => {
                word(*address);
                // At most 123 values (checked by `check`): both counts fit.
                word(values.len() as u16);
                pdu.push((values.len() * 2) as u8);
                for value in values {
                    pdu.extend_from_slice(&value.to_be_bytes());
                }
            }
        }
        pdu
    }

    /// Refuses requests no device could answer, before they take bus time.
    pub fn check(&self) -> Result<(), ExchangeError> {
        let (address, count, limit) = match self {
            Request::ReadCoils { address, count }
            | Request::ReadDiscreteInputs { address, count } => {
                (*address, usize::from(*count), usize::from(MAX_READ_BITS))
            }
            Request::ReadHoldingRegisters { address, count }
            | Request::ReadInputRegisters { address, count } => (
                *address,
                usize::from(*count),
                usize::from(MAX_READ_REGISTERS),
            ),
            Request::WriteMultipleRegisters { address, values } => {
                (*address, values.len(), MAX_WRITE_REGISTERS)
            }
            Request::WriteSingleCoil { .. } | Request::WriteSingleRegister { .. } => return Ok(()),
        };
        if count == 0 || count > limit || usize::from(address) + count > 0x1_0000 {
            return Err(ExchangeError::Garbled(format!(
                "refused to send function {} for {count} items at {address:#06x}",
                self.function()
            )));
        }
        Ok(())
    }

    /// The length of the PDU of a normal (not exception) reply.
    pub fn reply_pdu_len(&self) -> usize {
        match self {
            Request::ReadCoils { count, .. } | Request::ReadDiscreteInputs { count, .. } => {
                2 + usize::from(*count).div_ceil(8)
            }
            Request::ReadHoldingRegisters { count, .. }
            | Request::ReadInputRegisters { count, .. } => 2 + 2 * usize::from(*count),
            Request::WriteSingleCoil { .. }
            | Request::WriteSingleRegister { .. }
            | Request::WriteMultipleRegisters { .. } => 5,
        }
    }

    /// Reads a normal reply's PDU (function code included), checking that it answers this request.
    pub fn parse_reply(&self, pdu: &[u8]) -> Result<Reply, ExchangeError> {
        let garbled = |what: &str| Err(ExchangeError::Garbled(what.to_owned()));
        if pdu.len() != self.reply_pdu_len() {
            return garbled("the reply has the wrong length");
        }
        if pdu[0] != self.function() {
            return Err(ExchangeError::Garbled(format!(
                "the reply is for function {}, not {}",
                pdu[0],
                self.function()
            )));
        }
        match self {
            Request::ReadCoils { count, .. } | Request::ReadDiscreteInputs { count, .. } => {
                if usize::from(pdu[1]) != pdu.len() - 2 {
                    return garbled("the byte count does not match the bits asked for");
                }
                let bits = (0..usize::from(*count))
                    .map(|bit| pdu[2 + bit / 8] >> (bit % 8) & 1 == 1)
                    .collect();
                Ok(Reply::Bits(bits))
            }
            Request::ReadHoldingRegisters { .. } | Request::ReadInputRegisters { .. } => {
                if usize::from(pdu[1]) != pdu.len() - 2 {
                    return garbled("the byte count does not match the registers asked for");
                }
                let words = pdu[2..]
                    .chunks_exact(2)
                    .map(|pair| u16::from_be_bytes([pair[0], pair[1]]))
                    .collect();
                Ok(Reply::Words(words))
            }
            Request::WriteSingleCoil { .. } | Request::WriteSingleRegister { .. } => {
                // The device echoes the request.
                if pdu != self.pdu() {
                    return garbled("the write was not echoed as sent");
                }
                Ok(Reply::Written)
            }
            Request::WriteMultipleRegisters { address, values } => {
                let mut echo = vec![16];
                echo.extend_from_slice(&address.to_be_bytes());
                echo.extend_from_slice(&(values.len() as u16).to_be_bytes());
                if pdu != echo {
                    return garbled("the write was not confirmed as sent");
                }
                Ok(Reply::Written)
            }
        }
    }
}

/// CRC-16/MODBUS (polynomial 0xA001 reflected, initial value 0xFFFF), sent low byte first.
pub fn crc16(bytes: &[u8]) -> u16 {
    let mut crc: u16 = 0xFFFF;
    for byte in bytes {
        crc ^= u16::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xA001
            } else {
                crc >> 1
            };
        }
    }
    crc
}

/// The application data unit of `request` to `unit`: address, PDU, CRC.
pub fn request_adu(unit: u8, request: &Request) -> Vec<u8> {
    let mut adu = vec![unit];
    adu.extend_from_slice(&request.pdu());
    let crc = crc16(&adu);
    adu.extend_from_slice(&crc.to_le_bytes());
    adu
}

/// What a received frame is, given the request it should answer. Pure: the byte fixtures of the
/// tests go through exactly this.
pub fn classify_reply(unit: u8, request: &Request, frame: &[u8]) -> Result<Reply, ExchangeError> {
    let function = request.function();
    let expected = expected_reply_len(request, frame);
    if frame.len() < expected {
        return Err(ExchangeError::Garbled(format!(
            "short reply: {} of {expected} bytes",
            frame.len()
        )));
    }
    let frame = &frame[..expected];
    let crc_ok = crc16(&frame[..expected - 2]).to_le_bytes() == frame[expected - 2..];
    let exception = frame[1] == function | 0x80;
    // The header is what this request's reply must start with; a reply whose header fits but
    // whose CRC does not is a CRC error, anything else that fails the CRC is noise.
    let header_fits = frame[0] == unit
        && (exception
            || (frame[1] == function
                && match request {
                    Request::ReadCoils { .. }
                    | Request::ReadDiscreteInputs { .. }
                    | Request::ReadHoldingRegisters { .. }
                    | Request::ReadInputRegisters { .. } => {
                        usize::from(frame[2]) == request.reply_pdu_len() - 2
                    }
                    _ => true,
                }));
    if !crc_ok {
        return Err(if header_fits {
            ExchangeError::Crc
        } else {
            ExchangeError::Garbled(format!("{} bytes of noise", frame.len()))
        });
    }
    if frame[0] != unit {
        return Err(ExchangeError::WrongUnit {
            expected: unit,
            got: frame[0],
        });
    }
    if exception {
        return Err(ExchangeError::Exception { code: frame[2] });
    }
    request.parse_reply(&frame[1..expected - 2])
}

/// How many bytes the reply to `request` has, judged from what has arrived of it so far.
fn expected_reply_len(request: &Request, received: &[u8]) -> usize {
    match received.get(1) {
        Some(&function) if function == request.function() | 0x80 => 5,
        _ => 3 + request.reply_pdu_len(),
    }
}

/// The timing of a serial line at one baud rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineTiming {
    baud: u32,
}

impl LineTiming {
    /// The timing at `baud` (at least 1).
    pub fn new(baud: u32) -> LineTiming {
        LineTiming { baud: baud.max(1) }
    }

    /// The time `bytes` characters take on the wire.
    pub fn characters(self, bytes: usize) -> Duration {
        let bits = BITS_PER_CHARACTER * bytes as u64;
        Duration::from_nanos((bits * 1_000_000_000).div_ceil(u64::from(self.baud)))
    }

    /// The standard's silence between frames: 3.5 characters up to 19 200 baud, a fixed 1.75 ms
    /// above (Modbus over serial line V1.02, §2.5.1.1). Not rounded up to the millisecond: the
    /// timer can only fire late, never early, and at 19 200 baud the rounding (2.005 ms to 3 ms)
    /// cost about a millisecond of idle line per request, 2.5 % of the bus.
    pub fn frame_gap(self) -> Duration {
        if self.baud > 19_200 {
            return Duration::from_micros(1_750);
        }
        Duration::from_nanos(
            (7 * BITS_PER_CHARACTER * 1_000_000_000).div_ceil(2 * u64::from(self.baud)),
        )
    }
}

/// A Modbus RTU master on a byte stream (a serial port; a duplex pipe in tests).
#[derive(Debug)]
pub struct RtuClient<S> {
    port: S,
    timing: LineTiming,
    /// Silence kept before each request.
    frame_gap: Duration,
    /// The longest pause inside a reply.
    inter_character: Duration,
    /// When the line was last heard or talked on.
    quiet_since: Instant,
    buffer: Vec<u8>,
}

impl<S: AsyncRead + AsyncWrite + Unpin> RtuClient<S> {
    /// A master on `port` at `baud`, keeping `frame_gap` of silence before each request.
    pub fn new(port: S, baud: u32, frame_gap: Duration) -> RtuClient<S> {
        RtuClient {
            port,
            timing: LineTiming::new(baud),
            frame_gap,
            inter_character: frame_gap.max(INTER_CHARACTER_FLOOR),
            quiet_since: Instant::now(),
            buffer: Vec::with_capacity(256),
        }
    }

    /// The timing of the line.
    pub fn timing(&self) -> LineTiming {
        self.timing
    }

    /// Sends `request` to `unit` and waits for its reply. `timeout` runs from the moment the
    /// request has left the wire to the first byte of the reply.
    pub async fn exchange(
        &mut self,
        unit: u8,
        request: &Request,
        timeout: Duration,
    ) -> Result<Reply, ExchangeError> {
        request.check()?;
        let stale = self.discard_pending().await?;
        if stale > 0 {
            debug!(stale, "dropped bytes nobody asked for before a request");
        }
        tokio::time::sleep_until(self.quiet_since + self.frame_gap).await;
        let adu = request_adu(unit, request);
        self.port.write_all(&adu).await?;
        self.port.flush().await?;
        let sent = Instant::now() + self.timing.characters(adu.len());
        let result = self.receive(unit, request, sent, timeout).await;
        match &result {
            Ok(_) => {}
            // Nothing to drain after silence; a late reply is dropped before the next request.
            Err(ExchangeError::Timeout(_)) | Err(ExchangeError::Transport(_)) => {}
            Err(_) => self.drain().await?,
        }
        self.quiet_since = Instant::now();
        result
    }

    /// Reads one reply to `request`, until it is complete or the line falls silent.
    async fn receive(
        &mut self,
        unit: u8,
        request: &Request,
        sent: Instant,
        timeout: Duration,
    ) -> Result<Reply, ExchangeError> {
        let first_byte_by = sent + timeout;
        self.buffer.clear();
        let mut chunk = [0u8; 256];
        loop {
            let expected = expected_reply_len(request, &self.buffer);
            if self.buffer.len() >= expected {
                break;
            }
            let read = if self.buffer.is_empty() {
                match tokio::time::timeout_at(first_byte_by, self.port.read(&mut chunk)).await {
                    Ok(read) => read?,
                    Err(_) => {
                        return Err(ExchangeError::Timeout(timeout.as_millis() as u64));
                    }
                }
            } else {
                match tokio::time::timeout(self.inter_character, self.port.read(&mut chunk)).await {
                    Ok(read) => read?,
                    // The frame ended early.
                    Err(_) => break,
                }
            };
            if read == 0 {
                return Err(ExchangeError::Transport("the serial port closed".into()));
            }
            self.buffer.extend_from_slice(&chunk[..read]);
        }
        classify_reply(unit, request, &self.buffer)
    }

    /// Drops whatever is already waiting on the line, without waiting for more.
    async fn discard_pending(&mut self) -> Result<usize, ExchangeError> {
        let mut chunk = [0u8; 256];
        let mut dropped = 0;
        // `timeout` polls the read once before looking at the (zero) deadline.
        while let Ok(read) = tokio::time::timeout(Duration::ZERO, self.port.read(&mut chunk)).await
        {
            let read = read?;
            if read == 0 {
                return Err(ExchangeError::Transport("the serial port closed".into()));
            }
            dropped += read;
        }
        Ok(dropped)
    }

    /// Reads and drops bytes until the line has been silent for a frame gap (or for the
    /// inter-character pause, whichever is longer), so the rest of a bad reply is not taken for
    /// the next one.
    async fn drain(&mut self) -> Result<(), ExchangeError> {
        let mut chunk = [0u8; 256];
        let limit = Instant::now() + DRAIN_LIMIT;
        let mut dropped = 0;
        while Instant::now() < limit {
            match tokio::time::timeout(self.inter_character, self.port.read(&mut chunk)).await {
                Ok(read) => {
                    let read = read?;
                    if read == 0 {
                        return Err(ExchangeError::Transport("the serial port closed".into()));
                    }
                    dropped += read;
                }
                Err(_) => break,
            }
        }
        if dropped > 0 {
            debug!(dropped, "drained the line after a bad reply");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds a frame: `bytes` followed by their CRC.
    fn framed(bytes: &[u8]) -> Vec<u8> {
        let mut frame = bytes.to_vec();
        frame.extend_from_slice(&crc16(bytes).to_le_bytes());
        frame
    }

    const READ_TWO: Request = Request::ReadInputRegisters {
        address: 0,
        count: 2,
    };

    #[test]
    fn crc_and_requests_match_the_documented_frames() {
        // 01 04 00 00 00 02 71 CB: the frame pymodbus 3.16.1 sends for the same read.
        assert_eq!(
            request_adu(1, &READ_TWO),
            [0x01, 0x04, 0x00, 0x00, 0x00, 0x02, 0x71, 0xCB]
        );
        // The specification's example: 01 03 00 6B 00 03 → CRC 74 17.
        assert_eq!(
            request_adu(
                1,
                &Request::ReadHoldingRegisters {
                    address: 0x6B,
                    count: 3
                }
            ),
            [0x01, 0x03, 0x00, 0x6B, 0x00, 0x03, 0x74, 0x17]
        );
        // Write coil 0 on at unit 20: 14 05 00 00 FF 00 + CRC.
        let coil = request_adu(
            20,
            &Request::WriteSingleCoil {
                address: 0,
                on: true,
            },
        );
        assert_eq!(coil[..6], [0x14, 0x05, 0x00, 0x00, 0xFF, 0x00]);
        assert_eq!(coil.len(), 8);
        let multiple = Request::WriteMultipleRegisters {
            address: 0x10,
            values: vec![1, 2],
        };
        assert_eq!(multiple.pdu(), [16, 0, 0x10, 0, 2, 4, 0, 1, 0, 2]);
    }

    #[test]
    fn reply_lengths_follow_the_request() {
        let coils = Request::ReadCoils {
            address: 0,
            count: 10,
        };
        assert_eq!(expected_reply_len(&coils, &[]), 7);
        assert_eq!(expected_reply_len(&coils, &[1, 0x81]), 5);
        assert_eq!(expected_reply_len(&READ_TWO, &[1, 4]), 9);
        let write = Request::WriteSingleRegister {
            address: 1,
            value: 2,
        };
        assert_eq!(expected_reply_len(&write, &[]), 8);
    }

    #[test]
    fn a_good_reply_is_decoded() {
        let frame = framed(&[1, 4, 4, 0x12, 0x34, 0x00, 0x01]);
        assert_eq!(
            classify_reply(1, &READ_TWO, &frame).unwrap(),
            Reply::Words(vec![0x1234, 1])
        );
        // Bits come least significant first: 0b0000_0101 → inputs 1 and 3 closed.
        let inputs = Request::ReadDiscreteInputs {
            address: 0,
            count: 4,
        };
        let frame = framed(&[20, 2, 1, 0b0000_0101]);
        assert_eq!(
            classify_reply(20, &inputs, &frame).unwrap(),
            Reply::Bits(vec![true, false, true, false])
        );
        let coil = Request::WriteSingleCoil {
            address: 1,
            on: false,
        };
        let echo = framed(&[20, 5, 0, 1, 0, 0]);
        assert_eq!(classify_reply(20, &coil, &echo).unwrap(), Reply::Written);
    }

    #[test]
    fn an_exception_is_five_bytes_and_names_its_code() {
        let frame = framed(&[1, 0x84, 2]);
        assert_eq!(frame.len(), 5);
        let error = classify_reply(1, &READ_TWO, &frame).unwrap_err();
        assert!(matches!(error, ExchangeError::Exception { code: 2 }));
        assert!(error.to_string().contains("illegal data address"));
    }

    #[test]
    fn a_bad_checksum_on_a_fitting_frame_is_a_crc_error() {
        let mut frame = framed(&[1, 4, 4, 0x12, 0x34, 0x00, 0x01]);
        frame[8] ^= 0xFF;
        assert!(matches!(
            classify_reply(1, &READ_TWO, &frame),
            Err(ExchangeError::Crc)
        ));
        // A flipped data bit is a CRC error too.
        let mut frame = framed(&[1, 4, 4, 0x12, 0x34, 0x00, 0x01]);
        frame[4] ^= 0x01;
        assert!(matches!(
            classify_reply(1, &READ_TWO, &frame),
            Err(ExchangeError::Crc)
        ));
    }

    #[test]
    fn short_and_noisy_frames_are_garbled() {
        let frame = framed(&[1, 4, 4, 0x12, 0x34, 0x00, 0x01]);
        assert!(matches!(
            classify_reply(1, &READ_TWO, &frame[..6]),
            Err(ExchangeError::Garbled(message)) if message.contains("6 of 9")
        ));
        let noise = [0x5A, 0xC3, 0x11, 0x00, 0x9F, 0x42, 0x07, 0xEE, 0x10];
        assert!(matches!(
            classify_reply(1, &READ_TWO, &noise),
            Err(ExchangeError::Garbled(_))
        ));
        // Well framed but the wrong byte count.
        let frame = framed(&[1, 4, 2, 0x12, 0x34, 0x00, 0x01]);
        assert!(matches!(
            classify_reply(1, &READ_TWO, &frame),
            Err(ExchangeError::Garbled(_))
        ));
    }

    #[test]
    fn a_reply_from_another_unit_is_named() {
        let frame = framed(&[2, 4, 4, 0x12, 0x34, 0x00, 0x01]);
        assert!(matches!(
            classify_reply(1, &READ_TWO, &frame),
            Err(ExchangeError::WrongUnit {
                expected: 1,
                got: 2
            })
        ));
    }

    #[test]
    fn requests_no_device_could_answer_are_refused() {
        assert!(
            Request::ReadCoils {
                address: 0,
                count: 2001
            }
            .check()
            .is_err()
        );
        assert!(
            Request::ReadHoldingRegisters {
                address: 0xFFFF,
                count: 2
            }
            .check()
            .is_err()
        );
        assert!(
            Request::ReadCoils {
                address: 0,
                count: 2000
            }
            .check()
            .is_ok()
        );
    }

    #[test]
    fn frame_gaps_are_three_and_a_half_characters_or_the_fixed_value_above_19200_baud() {
        // 38.5 bits, rounded up to the nanosecond only.
        assert_eq!(
            LineTiming::new(19_200).frame_gap(),
            Duration::from_nanos(2_005_209)
        );
        assert_eq!(
            LineTiming::new(9_600).frame_gap(),
            Duration::from_nanos(4_010_417)
        );
        assert_eq!(
            LineTiming::new(1_200).frame_gap(),
            Duration::from_nanos(32_083_334)
        );
        // Faster lines keep the standard's fixed 1.75 ms, longer than 3.5 characters.
        assert_eq!(
            LineTiming::new(115_200).frame_gap(),
            Duration::from_micros(1_750)
        );
        assert_eq!(
            LineTiming::new(19_200).characters(1),
            Duration::from_nanos(572_917)
        );
    }

    /// A master on one end of a pipe and a scripted slave on the other.
    async fn exchange_with(
        reply: Vec<u8>,
        then: Option<Vec<u8>>,
    ) -> (Result<Reply, ExchangeError>, Result<Reply, ExchangeError>) {
        let (master, mut slave) = tokio::io::duplex(1024);
        let mut client = RtuClient::new(master, 19_200, Duration::from_millis(3));
        let script = tokio::spawn(async move {
            let mut request = [0u8; 8];
            slave.read_exact(&mut request).await.unwrap();
            assert_eq!(request, [1, 4, 0, 0, 0, 2, 0x71, 0xCB]);
            if !reply.is_empty() {
                slave.write_all(&reply).await.unwrap();
            }
            // The second request gets a good reply, or the scripted bytes.
            slave.read_exact(&mut request).await.unwrap();
            let good = framed(&[1, 4, 4, 0, 7, 0, 8]);
            slave.write_all(&then.unwrap_or(good)).await.unwrap();
            slave
        });
        let timeout = Duration::from_millis(100);
        let first = client.exchange(1, &READ_TWO, timeout).await;
        let second = client.exchange(1, &READ_TWO, timeout).await;
        let _slave = script.await.unwrap();
        (first, second)
    }

    #[tokio::test]
    async fn every_outcome_is_classified_on_a_live_stream() {
        let (ok, _) = exchange_with(framed(&[1, 4, 4, 0, 1, 0, 2]), None).await;
        assert_eq!(ok.unwrap(), Reply::Words(vec![1, 2]));

        let (exception, next) = exchange_with(framed(&[1, 0x84, 4]), None).await;
        assert!(matches!(
            exception,
            Err(ExchangeError::Exception { code: 4 })
        ));
        assert_eq!(next.unwrap(), Reply::Words(vec![7, 8]));

        let mut bad = framed(&[1, 4, 4, 0, 1, 0, 2]);
        bad[7] ^= 0xFF;
        let (crc, next) = exchange_with(bad, None).await;
        assert!(matches!(crc, Err(ExchangeError::Crc)));
        assert_eq!(next.unwrap(), Reply::Words(vec![7, 8]));

        let (wrong, _) = exchange_with(framed(&[9, 4, 4, 0, 1, 0, 2]), None).await;
        assert!(matches!(
            wrong,
            Err(ExchangeError::WrongUnit { got: 9, .. })
        ));

        let (short, next) = exchange_with(vec![1, 4, 4, 0], None).await;
        assert!(matches!(short, Err(ExchangeError::Garbled(_))));
        assert_eq!(next.unwrap(), Reply::Words(vec![7, 8]));

        let (silent, next) = exchange_with(Vec::new(), None).await;
        assert!(matches!(silent, Err(ExchangeError::Timeout(_))));
        assert_eq!(next.unwrap(), Reply::Words(vec![7, 8]));
    }

    #[tokio::test]
    async fn a_long_noisy_reply_is_drained_and_does_not_poison_the_next() {
        // A reply followed by a burst of noise longer than itself.
        let mut noisy = framed(&[1, 4, 4, 0, 1, 0, 2]);
        noisy[3] ^= 0x40;
        noisy.extend_from_slice(&[0xAA; 40]);
        let (crc, next) = exchange_with(noisy, None).await;
        assert!(matches!(crc, Err(ExchangeError::Crc)));
        assert_eq!(next.unwrap(), Reply::Words(vec![7, 8]));
    }
}
