//! Opening a gateway's link and exchanging requests on it: the RS485 port through our own RTU
//! master (`rtu_client.rs`), a Modbus TCP gateway through tokio-modbus.
//!
//! Why two ways: on a serial line every failure mode (CRC error, short frame, another unit
//! answering) must be told apart and the line drained after it, which tokio-modbus' RTU client
//! does not do; on TCP the frame length is in the MBAP header and there is no checksum, so
//! tokio-modbus' client (interop-tested against pymodbus) reports everything there is to know.

use std::net::SocketAddr;
use std::time::Duration;

use shared::{GatewayLink, Parity};
use thiserror::Error;
use tokio_modbus::client::{Client, Context};
use tokio_modbus::prelude::SlaveContext;
use tokio_modbus::slave::Slave;
use tokio_serial::{SerialPortBuilderExt, SerialStream};

use super::rtu_client::{ExchangeError, LineTiming, Reply, Request, RtuClient};

/// Why a link could not be opened.
#[derive(Debug, Error)]
pub enum LinkError {
    #[error("cannot open serial port {path}: {source}")]
    Serial {
        path: String,
        #[source]
        source: tokio_serial::Error,
    },
    #[error("cannot resolve {address}: {reason}")]
    Resolve { address: String, reason: String },
    #[error("cannot connect to {address}: {source}")]
    Connect {
        address: String,
        #[source]
        source: std::io::Error,
    },
    #[error("no answer from {address} within {seconds} s")]
    ConnectTimeout { address: String, seconds: u64 },
    #[error("{0} is a smart meter's HAN/P1 port, which is listened to, not polled over Modbus")]
    NotModbus(String),
}

/// An open link.
pub enum Link {
    /// The RS485 port.
    Rtu(RtuClient<SerialStream>),
    /// A Modbus TCP gateway.
    Tcp(Context),
}

impl std::fmt::Debug for Link {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Link::Rtu(client) => f.debug_tuple("Rtu").field(client).finish(),
            Link::Tcp(_) => f.write_str("Tcp"),
        }
    }
}

impl Link {
    /// Sends `request` to `unit` and waits at most `timeout` for the reply.
    pub async fn exchange(
        &mut self,
        unit: u8,
        request: &Request,
        timeout: Duration,
    ) -> Result<Reply, ExchangeError> {
        match self {
            Link::Rtu(client) => client.exchange(unit, request, timeout).await,
            Link::Tcp(context) => tcp_exchange(context, unit, request, timeout).await,
        }
    }

    /// How long the reply to `request` takes on the wire (nothing on TCP, where the gateway's
    /// own serial line is hidden in its reply times).
    pub fn reply_wire_time(&self, request: &Request) -> Duration {
        match self {
            Link::Rtu(client) => client.timing().characters(3 + request.reply_pdu_len()),
            Link::Tcp(_) => Duration::ZERO,
        }
    }

    /// Whether the link must be reopened after `error`. The RTU master drains the line itself;
    /// a TCP connection that missed a reply may deliver it late as the answer to the next
    /// request, so it is replaced.
    pub fn must_reopen_after(&self, error: &ExchangeError) -> bool {
        match self {
            Link::Rtu(_) => error.breaks_link(),
            Link::Tcp(_) => !matches!(error, ExchangeError::Exception { .. }),
        }
    }
}

async fn tcp_exchange(
    context: &mut Context,
    unit: u8,
    request: &Request,
    timeout: Duration,
) -> Result<Reply, ExchangeError> {
    request.check()?;
    context.set_slave(Slave(unit));
    let call = match request {
        Request::ReadCoils { address, count } => tokio_modbus::Request::ReadCoils(*address, *count),
        Request::ReadDiscreteInputs { address, count } => {
            tokio_modbus::Request::ReadDiscreteInputs(*address, *count)
        }
        Request::ReadHoldingRegisters { address, count } => {
            tokio_modbus::Request::ReadHoldingRegisters(*address, *count)
        }
        Request::ReadInputRegisters { address, count } => {
            tokio_modbus::Request::ReadInputRegisters(*address, *count)
        }
        Request::WriteSingleCoil { address, on } => {
            tokio_modbus::Request::WriteSingleCoil(*address, *on)
        }
        Request::WriteSingleRegister { address, value } => {
            tokio_modbus::Request::WriteSingleRegister(*address, *value)
        }
        Request::WriteMultipleRegisters { address, values } => {
            tokio_modbus::Request::WriteMultipleRegisters(*address, values.clone().into())
        }
    };
    let response = match tokio::time::timeout(timeout, context.call(call)).await {
        Err(_) => return Err(ExchangeError::Timeout(timeout.as_millis() as u64)),
        Ok(Err(error)) => {
            return Err(match error {
                tokio_modbus::Error::Transport(error) => {
                    ExchangeError::Transport(error.to_string())
                }
                tokio_modbus::Error::Protocol(error) => ExchangeError::Garbled(error.to_string()),
            });
        }
        Ok(Ok(Err(exception))) => {
            return Err(ExchangeError::Exception {
                code: u8::from(exception),
            });
        }
        Ok(Ok(Ok(response))) => response,
    };
    use tokio_modbus::Response;
    let expected_count = |count: u16| usize::from(count);
    match (request, response) {
        (
            Request::ReadCoils { count, .. } | Request::ReadDiscreteInputs { count, .. },
            Response::ReadCoils(mut bits) | Response::ReadDiscreteInputs(mut bits),
        ) if bits.len() >= expected_count(*count) => {
            // Bits come in whole bytes: drop the padding.
            bits.truncate(expected_count(*count));
            Ok(Reply::Bits(bits))
        }
        (
            Request::ReadHoldingRegisters { count, .. } | Request::ReadInputRegisters { count, .. },
            Response::ReadHoldingRegisters(words) | Response::ReadInputRegisters(words),
        ) if words.len() == expected_count(*count) => Ok(Reply::Words(words)),
        (
            Request::WriteSingleCoil { .. }
            | Request::WriteSingleRegister { .. }
            | Request::WriteMultipleRegisters { .. },
            Response::WriteSingleCoil(..)
            | Response::WriteSingleRegister(..)
            | Response::WriteMultipleRegisters(..),
        ) => Ok(Reply::Written),
        (_, other) => Err(ExchangeError::Garbled(format!(
            "the reply does not answer the request: {other:?}"
        ))),
    }
}

/// The silence kept between frames on a Local gateway: the configured one, or the standard's
/// (3.5 characters, 1.75 ms above 19 200 baud).
pub fn frame_gap(baud: u32, frame_gap_ms: Option<u32>) -> Duration {
    match frame_gap_ms {
        Some(ms) => Duration::from_millis(u64::from(ms)),
        None => LineTiming::new(baud).frame_gap(),
    }
}

/// Opens the link described by `link`.
pub async fn open(link: &GatewayLink) -> Result<Link, LinkError> {
    match link {
        GatewayLink::Local {
            serial_port,
            baud,
            parity,
            stop_bits,
            frame_gap_ms,
            ..
        } => {
            let parity = match parity {
                Parity::None => tokio_serial::Parity::None,
                Parity::Even => tokio_serial::Parity::Even,
                Parity::Odd => tokio_serial::Parity::Odd,
            };
            let stop_bits = if *stop_bits == 2 {
                tokio_serial::StopBits::Two
            } else {
                tokio_serial::StopBits::One
            };
            let serial_error = |source| LinkError::Serial {
                path: serial_port.clone(),
                source,
            };
            let mut port = tokio_serial::new(serial_port, *baud)
                .data_bits(tokio_serial::DataBits::Eight)
                .parity(parity)
                .stop_bits(stop_bits)
                .open_native_async()
                .map_err(serial_error)?;
            // Exclusive mode would keep the port locked after a crash until the next reboot.
            port.set_exclusive(false).map_err(serial_error)?;
            Ok(Link::Rtu(RtuClient::new(
                port,
                *baud,
                frame_gap(*baud, *frame_gap_ms),
            )))
        }
        GatewayLink::ModbusTcp { host, port, .. } => {
            let address = format!("{host}:{port}");
            let socket: SocketAddr = tokio::net::lookup_host(&address)
                .await
                .map_err(|error| LinkError::Resolve {
                    address: address.clone(),
                    reason: error.to_string(),
                })?
                .next()
                .ok_or_else(|| LinkError::Resolve {
                    address: address.clone(),
                    reason: "no address found".into(),
                })?;
            let connect_timeout = Duration::from_secs(5);
            match tokio::time::timeout(connect_timeout, tokio_modbus::client::tcp::connect(socket))
                .await
            {
                Ok(Ok(context)) => Ok(Link::Tcp(context)),
                Ok(Err(source)) => Err(LinkError::Connect { address, source }),
                Err(_) => Err(LinkError::ConnectTimeout {
                    address,
                    seconds: connect_timeout.as_secs(),
                }),
            }
        }
        GatewayLink::Han { serial_port, .. } => Err(LinkError::NotModbus(serial_port.clone())),
    }
}

/// The configured reply timeout of a link.
pub fn reply_timeout(link: &GatewayLink) -> Duration {
    let milliseconds = match link {
        GatewayLink::Local { timeout_ms, .. } | GatewayLink::ModbusTcp { timeout_ms, .. } => {
            *timeout_ms
        }
        // Not polled; a default for whoever asks.
        GatewayLink::Han { .. } => 300,
    };
    Duration::from_millis(milliseconds.clamp(20, 10_000))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_frame_gap_defaults_to_three_and_a_half_characters() {
        assert_eq!(frame_gap(19_200, None), Duration::from_nanos(2_005_209));
        assert_eq!(frame_gap(9_600, None), Duration::from_nanos(4_010_417));
        assert_eq!(frame_gap(9_600, Some(20)), Duration::from_millis(20));
    }
}
