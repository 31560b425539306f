//! `simulator`: runs the demo site's simulated bus and writes the matching installation file.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use shared::Catalog;
use simulator::{DemoSiteOptions, start_demo_site};
use tracing_subscriber::EnvFilter;

/// Simulated RS485 line and Modbus TCP gateway with the demo site's meters.
#[derive(Debug, Parser)]
struct Arguments {
    /// Directory of the device catalog.
    #[arg(long, default_value = "assets/catalog")]
    catalog: PathBuf,
    /// Where the Modbus TCP gateway listens (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:0")]
    tcp: SocketAddr,
    /// Write the installation (gateways and devices) the gateway should use to this file.
    #[arg(long)]
    site_out: Option<PathBuf>,
    /// Milliseconds between value updates.
    #[arg(long, default_value_t = 1000)]
    tick_ms: u64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .init();
    let arguments = Arguments::parse();
    let catalog = Catalog::load_dir(&arguments.catalog)?;
    let site = start_demo_site(DemoSiteOptions {
        catalog,
        tcp_address: arguments.tcp,
        tick: Duration::from_millis(arguments.tick_ms.max(10)),
    })
    .await?;
    if let Some(path) = &arguments.site_out {
        let text = toml::to_string_pretty(&site.site).context("cannot write the site as TOML")?;
        // Write then rename, so a reader never sees half a file.
        let partial = path.with_extension("partial");
        std::fs::write(&partial, text)
            .with_context(|| format!("cannot write {}", partial.display()))?;
        std::fs::rename(&partial, path).with_context(|| {
            format!("cannot rename {} to {}", partial.display(), path.display())
        })?;
    }
    println!("RS485 line (Modbus RTU): {}", site.serial_path.display());
    println!("Modbus TCP gateway:      {}", site.tcp_address);
    tokio::signal::ctrl_c()
        .await
        .context("cannot wait for Ctrl-C")?;
    Ok(())
}
