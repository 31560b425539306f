//! Modbus RTU slaves on a virtual RS485 line: a pseudo-terminal pair whose far end the gateway opens
//! like a real serial port.
//!
//! The framing is written here rather than taken from tokio-modbus' server because a bus simulator
//! must survive whatever arrives (garbage, half frames, other slaves' traffic) and keep serving,
//! and must be able to misbehave on purpose (see `fault.rs`) and as slowly as a real line (see
//! `wire.rs`).

use std::io;
use std::path::PathBuf;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_serial::SerialStream;
use tracing::{debug, warn};

use crate::bus::Bus;
use crate::fault::{Delivery, other_unit, random_bytes};
use crate::statistics::{LineStatistics, values_delivered};
use crate::wire::LineClock;

/// The two ends of a virtual serial line.
#[derive(Debug)]
pub struct VirtualSerialLine {
    master: SerialStream,
    /// Kept open so the line stays up while the gateway closes and reopens its end.
    slave: SerialStream,
    path: PathBuf,
}

impl VirtualSerialLine {
    /// Opens a new pseudo-terminal pair.
    pub fn open() -> io::Result<VirtualSerialLine> {
        let (master, slave) = SerialStream::pair()?;
        let path = tokio_serial::SerialPort::name(&slave)
            .map(PathBuf::from)
            .ok_or_else(|| io::Error::other("the pseudo-terminal has no name"))?;
        Ok(VirtualSerialLine {
            master,
            slave,
            path,
        })
    }

    /// The device path the gateway opens (e.g. `/dev/pts/3`).
    pub fn path(&self) -> &PathBuf {
        &self.path
    }
}

/// Serves the devices of `bus` on the line until the runtime stops. Returns the device path.
pub fn start_rtu(bus: Bus) -> io::Result<(PathBuf, tokio::task::JoinHandle<()>)> {
    start_rtu_measured(bus, LineStatistics::default())
}

/// [`start_rtu`], counting what the line carries into `statistics`.
pub fn start_rtu_measured(
    bus: Bus,
    statistics: LineStatistics,
) -> io::Result<(PathBuf, tokio::task::JoinHandle<()>)> {
    let line = VirtualSerialLine::open()?;
    let path = line.path.clone();
    let task = tokio::spawn(async move {
        let VirtualSerialLine { master, slave, .. } = line;
        let _keep_open = slave;
        if let Err(error) = serve(master, bus, statistics).await {
            warn!(%error, "virtual serial line closed");
        }
    });
    Ok((path, task))
}

/// A request is complete when this many bytes have arrived, judged from its function code.
fn request_length(buffer: &[u8]) -> Option<usize> {
    let function = *buffer.get(1)?;
    match function {
        1..=6 => Some(8),
        15 | 16 => buffer.get(6).map(|count| 9 + usize::from(*count)),
        _ => None,
    }
}

async fn serve(mut port: SerialStream, bus: Bus, statistics: LineStatistics) -> io::Result<()> {
    let mut buffer: Vec<u8> = Vec::with_capacity(256);
    let mut chunk = [0u8; 256];
    let mut line = LineClock::new();
    // 3.5 character times at 19200 baud is 2 ms; a longer silence ends whatever was half received.
    let silence = Duration::from_millis(20);
    loop {
        let read = if buffer.is_empty() {
            port.read(&mut chunk).await?
        } else {
            match tokio::time::timeout(silence, port.read(&mut chunk)).await {
                Ok(read) => read?,
                Err(_) => {
                    debug!(
                        bytes = buffer.len(),
                        "dropping an incomplete frame after silence"
                    );
                    buffer.clear();
                    continue;
                }
            }
        };
        if read == 0 {
            return Ok(());
        }
        buffer.extend_from_slice(&chunk[..read]);
        // One exchange at a time, as on a real line: the next request waits for this reply.
        while let Some(length) = request_length(&buffer) {
            if buffer.len() < length {
                break;
            }
            let frame: Vec<u8> = buffer.drain(..length).collect();
            if crc16(&frame[..length - 2]).to_le_bytes() != frame[length - 2..] {
                debug!("request with a bad CRC ignored");
                buffer.clear();
                break;
            }
            let (reply, turnaround) = reply_to(&bus, &frame);
            statistics.record(
                bus.wire_time(),
                frame.len(),
                reply.len(),
                values_in_reply(&bus, &frame, &reply),
            );
            let at = line.exchange(bus.wire_time(), frame.len(), reply.len(), turnaround);
            if !reply.is_empty() {
                tokio::time::sleep_until(at).await;
                port.write_all(&reply).await?;
                port.flush().await?;
            }
        }
        if buffer.len() >= 2 && request_length(&buffer).is_none() {
            // Unknown function: nothing to frame it by, wait for the silence to drop it.
            continue;
        }
    }
}

/// The catalog values a reply to `frame` carried: none unless it is a well-formed read reply.
fn values_in_reply(bus: &Bus, frame: &[u8], reply: &[u8]) -> u64 {
    let (
        &[
            unit,
            function,
            start_high,
            start_low,
            count_high,
            count_low,
            ..,
        ],
        &[_, reply_function, ..],
    ) = (frame, reply)
    else {
        return 0;
    };
    if !matches!(function, 1..=4) || reply_function != function || crc16(reply) != 0 {
        return 0;
    }
    bus.device(unit).map_or(0, |device| {
        values_delivered(
            &device.profile,
            function,
            u16::from_be_bytes([start_high, start_low]),
            u16::from_be_bytes([count_high, count_low]),
        )
    })
}

/// The bytes answering the request `frame` (none for silence) and the device's extra turnaround.
fn reply_to(bus: &Bus, frame: &[u8]) -> (Vec<u8>, Duration) {
    let unit = frame[0];
    if unit == 0 {
        // Broadcast: slaves act but never answer.
        return (Vec::new(), Duration::ZERO);
    }
    // No device at that address: silence, as on RS485.
    let delivery = bus
        .serve(unit, &frame[1..frame.len() - 2])
        .unwrap_or(Delivery::Silence);
    // The frame of `pdu` from `from`, with a checksum that matches or (inverting every bit
    // always yields one that does not) one that does not.
    let framed = |from: u8, pdu: &[u8], good: bool| {
        let mut reply = Vec::with_capacity(pdu.len() + 3);
        reply.push(from);
        reply.extend_from_slice(pdu);
        let crc = crc16(&reply);
        let crc = if good { crc } else { !crc };
        reply.extend_from_slice(&crc.to_le_bytes());
        reply
    };
    match delivery {
        Delivery::Silence => (Vec::new(), Duration::ZERO),
        Delivery::Pdu { pdu, delay } => (framed(unit, &pdu, true), delay),
        Delivery::BadChecksum(pdu) => (framed(unit, &pdu, false), Duration::ZERO),
        Delivery::OtherUnit(pdu) => (framed(other_unit(unit), &pdu, true), Duration::ZERO),
        // Noise as long as the real frame: address, PDU and checksum.
        Delivery::Garbage { pdu_length } => (random_bytes(pdu_length + 3), Duration::ZERO),
    }
}

/// CRC-16/MODBUS (poly 0xA001 reflected, init 0xFFFF), sent low byte first.
pub(crate) fn crc16(bytes: &[u8]) -> u16 {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_matches_the_documented_frame() {
        // 01 04 00 00 00 02 71 CB, byte-identical with pymodbus 3.16.1.
        assert_eq!(
            crc16(&[0x01, 0x04, 0x00, 0x00, 0x00, 0x02]).to_le_bytes(),
            [0x71, 0xCB]
        );
        assert_eq!(
            crc16(&[0x01, 0x03, 0x5B, 0x00, 0x00, 0x02]).to_le_bytes(),
            [0xD7, 0x2F]
        );
    }

    #[test]
    fn faulty_replies_are_framed_as_such() {
        use shared::Catalog;

        use crate::bus::{Behaviour, SimulatedDevice};
        use crate::fault::Fault;
        use crate::physics::{ConsumptionProfile, MeterState};

        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/catalog");
        let profile = Catalog::load_dir(&dir)
            .unwrap()
            .get("eastron-sdm630")
            .unwrap()
            .clone();
        let state = MeterState::new(
            ConsumptionProfile {
                base_watts: 100.0,
                peak_watts: 0.0,
                solar_watts: 0.0,
            },
            3,
            0.0,
        );
        let bus = Bus::new(vec![SimulatedDevice {
            unit_id: 1,
            profile,
            behaviour: Behaviour::Meter(state),
        }])
        .unwrap();
        let request = [0x01, 0x04, 0x00, 0x00, 0x00, 0x02, 0x71, 0xCB];
        let (reply, _) = reply_to(&bus, &request);
        assert_eq!(reply.len(), 9);
        assert_eq!(crc16(&reply[..7]).to_le_bytes(), reply[7..]);
        bus.set_fault(1, Fault::CorruptCrc).unwrap();
        let (reply, _) = reply_to(&bus, &request);
        assert_eq!(reply[..3], [1, 4, 4]);
        assert_ne!(crc16(&reply[..7]).to_le_bytes(), reply[7..]);
        bus.set_fault(1, Fault::Exception { code: 4 }).unwrap();
        let (reply, _) = reply_to(&bus, &request);
        assert_eq!(reply[..3], [1, 0x84, 4]);
        bus.set_fault(1, Fault::Garbage).unwrap();
        assert_eq!(reply_to(&bus, &request).0.len(), 9);
        bus.set_fault(1, Fault::WrongUnit).unwrap();
        let (reply, _) = reply_to(&bus, &request);
        assert_eq!(reply[..3], [2, 4, 4]);
        assert_eq!(crc16(&reply[..7]).to_le_bytes(), reply[7..]);
        bus.set_fault(1, Fault::Timeout).unwrap();
        assert!(reply_to(&bus, &request).0.is_empty());
        assert!(reply_to(&bus, &[0x02, 0x04, 0, 0, 0, 2, 0, 0]).0.is_empty());
    }

    #[test]
    fn request_lengths_follow_the_function() {
        assert_eq!(request_length(&[1, 4]), Some(8));
        assert_eq!(request_length(&[1, 16, 0, 0, 0, 2]), None);
        assert_eq!(request_length(&[1, 16, 0, 0, 0, 2, 4]), Some(13));
        assert_eq!(request_length(&[1, 99]), None);
    }
}
