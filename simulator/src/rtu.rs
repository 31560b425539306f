//! Modbus RTU slaves on a virtual RS485 line: a pseudo-terminal pair whose far end the gateway opens
//! like a real serial port.
//!
//! The framing is written here rather than taken from tokio-modbus' server because a bus simulator
//! must survive whatever arrives (garbage, half frames, other slaves' traffic) and keep serving.

use std::io;
use std::path::PathBuf;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_modbus::prelude::{ExceptionCode, Request, Response};
use tokio_serial::SerialStream;
use tracing::{debug, warn};

use crate::bus::Bus;

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
    let line = VirtualSerialLine::open()?;
    let path = line.path.clone();
    let task = tokio::spawn(async move {
        let VirtualSerialLine { master, slave, .. } = line;
        let _keep_open = slave;
        if let Err(error) = serve(master, bus).await {
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

async fn serve(mut port: SerialStream, bus: Bus) -> io::Result<()> {
    let mut buffer: Vec<u8> = Vec::with_capacity(256);
    let mut chunk = [0u8; 256];
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
            if let Some(reply) = reply_to(&bus, &frame) {
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

fn reply_to(bus: &Bus, frame: &[u8]) -> Option<Vec<u8>> {
    let unit = frame[0];
    let function = frame[1];
    let word = |at: usize| u16::from_be_bytes([frame[at], frame[at + 1]]);
    let request = match function {
        3 => Request::ReadHoldingRegisters(word(2), word(4)),
        4 => Request::ReadInputRegisters(word(2), word(4)),
        _ => Request::Custom(function, Vec::new().into()),
    };
    if unit == 0 {
        // Broadcast: slaves act but never answer.
        return None;
    }
    let answer = bus.answer(unit, &request)?;
    let mut reply = vec![unit];
    match answer {
        Ok(Response::ReadHoldingRegisters(words) | Response::ReadInputRegisters(words)) => {
            reply.push(function);
            reply.push((words.len() * 2) as u8);
            for word in words {
                reply.extend_from_slice(&word.to_be_bytes());
            }
        }
        Ok(_) => return None,
        Err(exception) => {
            reply.push(function | 0x80);
            reply.push(exception_code(exception));
        }
    }
    let crc = crc16(&reply);
    reply.extend_from_slice(&crc.to_le_bytes());
    Some(reply)
}

fn exception_code(exception: ExceptionCode) -> u8 {
    match exception {
        ExceptionCode::IllegalFunction => 1,
        ExceptionCode::IllegalDataAddress => 2,
        ExceptionCode::IllegalDataValue => 3,
        ExceptionCode::ServerDeviceFailure => 4,
        ExceptionCode::Acknowledge => 5,
        ExceptionCode::ServerDeviceBusy => 6,
        _ => 4,
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
    fn request_lengths_follow_the_function() {
        assert_eq!(request_length(&[1, 4]), Some(8));
        assert_eq!(request_length(&[1, 16, 0, 0, 0, 2]), None);
        assert_eq!(request_length(&[1, 16, 0, 0, 0, 2, 4]), Some(13));
        assert_eq!(request_length(&[1, 99]), None);
    }
}
