//! A Modbus TCP gateway on loopback with slaves behind it by unit id.

use std::io;
use std::net::SocketAddr;

use tokio::net::TcpListener;
use tokio_modbus::server::tcp::{Server, accept_tcp_connection};
use tracing::{debug, warn};

use crate::bus::{Bus, BusService};

/// Serves `bus` on `address` (port 0 picks a free one). Returns the bound address.
pub async fn start_tcp(
    bus: Bus,
    address: SocketAddr,
) -> io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = TcpListener::bind(address).await?;
    let bound = listener.local_addr()?;
    let task = tokio::spawn(async move {
        let server = Server::new(listener);
        let service = BusService { bus };
        let on_connected = |stream, peer| {
            let service = service.clone();
            async move { accept_tcp_connection(stream, peer, move |_| Ok(Some(service.clone()))) }
        };
        let on_error = |error| debug!(%error, "TCP client connection ended with an error");
        if let Err(error) = server.serve(&on_connected, on_error).await {
            warn!(%error, "Modbus TCP gateway stopped");
        }
    });
    Ok((bound, task))
}
