//! Opening a gateway's link: the RS485 port (Modbus RTU over tokio-serial) or a Modbus TCP gateway.

use std::net::SocketAddr;
use std::time::Duration;

use shared::{GatewayLink, Parity};
use thiserror::Error;
use tokio_modbus::client::Context;
use tokio_serial::SerialPortBuilderExt;

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
}

/// Opens the link described by `link`.
pub async fn open(link: &GatewayLink) -> Result<Context, LinkError> {
    match link {
        GatewayLink::Local {
            serial_port,
            baud,
            parity,
            stop_bits,
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
            Ok(tokio_modbus::client::rtu::attach(port))
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
                Ok(Ok(context)) => Ok(context),
                Ok(Err(source)) => Err(LinkError::Connect { address, source }),
                Err(_) => Err(LinkError::ConnectTimeout {
                    address,
                    seconds: connect_timeout.as_secs(),
                }),
            }
        }
    }
}

/// The reply timeout of a link.
pub fn reply_timeout(link: &GatewayLink) -> Duration {
    let milliseconds = match link {
        GatewayLink::Local { timeout_ms, .. } | GatewayLink::ModbusTcp { timeout_ms, .. } => {
            *timeout_ms
        }
    };
    Duration::from_millis(milliseconds.clamp(20, 10_000))
}
