//! A Modbus TCP gateway on loopback with slaves behind it by unit id.
//!
//! The MBAP framing (7-byte header: transaction id, protocol 0, length, unit id; then the PDU) is
//! written here rather than taken from tokio-modbus' server, because the gateway must be able to
//! misbehave on purpose: stay silent, send garbage, answer late, drop connections (see
//! `fault.rs`). Like a real gateway it answers exception 0x0B ("gateway target device failed to
//! respond") for a unit id with no device behind it, and closes a connection whose framing it
//! cannot follow, since a byte stream has no way to resynchronise.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use rand::Rng;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tokio_modbus::prelude::ExceptionCode;
use tracing::{debug, warn};

use crate::bus::Bus;
use crate::fault::{Delivery, other_unit, random_bytes};

/// MBAP header length: transaction id, protocol id, length, unit id.
const HEADER_LEN: usize = 7;
/// The MBAP length field counts the unit id and the PDU; a PDU is at most 253 bytes.
const MAX_LENGTH_FIELD: usize = 254;

/// Serves `bus` on `address` (port 0 picks a free one). Returns the bound address.
pub async fn start_tcp(
    bus: Bus,
    address: SocketAddr,
) -> io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = TcpListener::bind(address).await?;
    let bound = listener.local_addr()?;
    let task = tokio::spawn(accept(listener, bus));
    Ok((bound, task))
}

/// Accepts connections until the task is aborted; the connections live in a `JoinSet` so that
/// aborting the gateway closes them too.
async fn accept(listener: TcpListener, bus: Bus) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    if bus.drops_connections() {
                        debug!(%peer, "closing a new connection: connections are being dropped");
                        drop(stream);
                        continue;
                    }
                    connections.spawn(connection(stream, peer, bus.clone()));
                }
                Err(error) => {
                    // Out of file descriptors and the like: wait rather than spin.
                    warn!(%error, "Modbus TCP gateway cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

/// Serves one client until it leaves, its framing breaks or connections are to be dropped.
async fn connection(mut stream: TcpStream, peer: SocketAddr, bus: Bus) {
    let mut dropping = bus.watch_drop_connections();
    tokio::select! {
        result = exchanges(&mut stream, &bus) => {
            if let Err(error) = result {
                debug!(%peer, %error, "Modbus TCP connection ended with an error");
            }
        }
        _ = dropping.wait_for(|drop| *drop) => {
            debug!(%peer, "closing the connection: connections are being dropped");
        }
    }
}

async fn exchanges(stream: &mut TcpStream, bus: &Bus) -> io::Result<()> {
    let mut header = [0u8; HEADER_LEN];
    loop {
        match stream.read_exact(&mut header).await {
            Ok(_) => {}
            Err(error) if error.kind() == io::ErrorKind::UnexpectedEof => return Ok(()),
            Err(error) => return Err(error),
        }
        let protocol = u16::from_be_bytes([header[2], header[3]]);
        let length = usize::from(u16::from_be_bytes([header[4], header[5]]));
        if protocol != 0 || !(2..=MAX_LENGTH_FIELD).contains(&length) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("not an MBAP header: protocol {protocol}, length {length}"),
            ));
        }
        let unit = header[6];
        let mut pdu = vec![0u8; length - 1];
        stream.read_exact(&mut pdu).await?;
        if bus.drops_connections() {
            // Also checked here, not only by the watch in `connection`: a request that races
            // the switch must not be answered.
            return Ok(());
        }
        let delivery = match bus.serve(unit, &pdu) {
            Some(delivery) => delivery,
            // Broadcast: nobody answers.
            None if unit == 0 => Delivery::Silence,
            None => Delivery::Pdu {
                pdu: vec![pdu[0] | 0x80, u8::from(ExceptionCode::GatewayTargetDevice)],
                delay: Duration::ZERO,
            },
        };
        let reply = match delivery {
            Delivery::Silence => continue,
            Delivery::Pdu { pdu, delay } => {
                tokio::time::sleep(delay).await;
                frame(&header, &pdu)
            }
            Delivery::OtherUnit(pdu) => {
                let mut header = header;
                header[6] = other_unit(unit);
                frame(&header, &pdu)
            }
            // No checksum in a TCP frame: a corrupted one is garbage.
            Delivery::BadChecksum(pdu) => garbage(pdu.len()),
            Delivery::Garbage { pdu_length } => garbage(pdu_length),
        };
        stream.write_all(&reply).await?;
    }
}

/// The reply frame to the request with header `request`.
fn frame(request: &[u8; HEADER_LEN], pdu: &[u8]) -> Vec<u8> {
    let mut reply = Vec::with_capacity(HEADER_LEN + pdu.len());
    reply.extend_from_slice(&request[..2]);
    reply.extend_from_slice(&[0, 0]);
    // At most 253 bytes of PDU: the length fits.
    reply.extend_from_slice(&(pdu.len() as u16 + 1).to_be_bytes());
    reply.push(request[6]);
    reply.extend_from_slice(pdu);
    reply
}

/// Random bytes as long as a frame carrying `pdu_length` bytes. The length field is kept
/// consistent and the protocol id made non-zero: fully random, the header would announce up to
/// 64 KB and a client would just wait, which is [`crate::Fault::Timeout`]'s job, not garbage's.
fn garbage(pdu_length: usize) -> Vec<u8> {
    let mut bytes = random_bytes(HEADER_LEN + pdu_length);
    let protocol: u16 = rand::rng().random_range(1..=u16::MAX);
    bytes[2..4].copy_from_slice(&protocol.to_be_bytes());
    bytes[4..6].copy_from_slice(&(pdu_length as u16 + 1).to_be_bytes());
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_echo_the_transaction_and_unit() {
        let request = [0x12, 0x34, 0, 0, 0, 6, 9];
        assert_eq!(
            frame(&request, &[0x84, 0x0B]),
            vec![0x12, 0x34, 0, 0, 0, 3, 9, 0x84, 0x0B]
        );
    }

    #[test]
    fn garbage_is_never_a_frame() {
        for _ in 0..100 {
            let bytes = garbage(5);
            assert_eq!(bytes.len(), 12);
            assert_ne!(bytes[2..4], [0, 0]);
            assert_eq!(bytes[4..6], [0, 6]);
        }
    }
}
