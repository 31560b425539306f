//! `simulator`: runs the demo site's simulated bus and writes the matching installation file.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use shared::Catalog;
use simulator::{DemoSiteOptions, HanTiming, start_demo_site, start_han_meters};
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
    /// Where the fault-injection control API listens (HTTP, no authentication: keep it on
    /// loopback; port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:0")]
    control: SocketAddr,
    /// Write the control API's URL (e.g. `http://127.0.0.1:40123`) to this file.
    #[arg(long)]
    control_out: Option<PathBuf>,
    /// Hold the RS485 line to the pace of a real line at this baud rate (e.g. 19200); off when
    /// not given.
    #[arg(long)]
    wire_baud: Option<u32>,
    /// Leave out the two smart meters on HAN and P1 ports.
    #[arg(long)]
    no_han: bool,
    /// Seconds between the HAN meter's hourly totals (Kaifa list 3); 3600, the default, sends
    /// them at each hour as the meter does. Tests shorten it to see totals arrive.
    #[arg(long, default_value_t = 3600)]
    han_hour_seconds: u64,
}

/// Writes `text` to `path` through a temporary file and a rename, so a reader never sees half a
/// file.
fn write_atomically(path: &Path, text: &str) -> anyhow::Result<()> {
    let partial = path.with_extension("partial");
    std::fs::write(&partial, text)
        .with_context(|| format!("cannot write {}", partial.display()))?;
    std::fs::rename(&partial, path)
        .with_context(|| format!("cannot rename {} to {}", partial.display(), path.display()))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .init();
    let arguments = Arguments::parse();
    let catalog = Catalog::load_dir(&arguments.catalog)?;
    let mut site = start_demo_site(DemoSiteOptions {
        tcp_address: arguments.tcp,
        tick: Duration::from_millis(arguments.tick_ms.max(10)),
        ..DemoSiteOptions::new(catalog)
    })
    .await?;
    site.rtu_bus.set_wire_baud(arguments.wire_baud);
    let control = site
        .start_control(arguments.control)
        .await
        .with_context(|| format!("cannot listen on {}", arguments.control))?;
    let control_url = format!("http://{control}");
    // The control file first: whoever waits for the site file can then read both.
    if let Some(path) = &arguments.control_out {
        write_atomically(path, &control_url)?;
    }
    let han = if arguments.no_han {
        None
    } else {
        let meters = start_han_meters(HanTiming {
            hour: Duration::from_secs(arguments.han_hour_seconds.max(10)),
            ..HanTiming::default()
        })
        .context("cannot open the smart meters' pseudo-terminals")?;
        meters.add_to_site(&mut site.site);
        Some(meters)
    };
    if let Some(path) = &arguments.site_out {
        let text = toml::to_string_pretty(&site.site).context("cannot write the site as TOML")?;
        write_atomically(path, &text)?;
    }
    println!("RS485 line (Modbus RTU): {}", site.serial_path.display());
    println!("Modbus TCP gateway:      {}", site.tcp_address);
    println!("Control API:             {control_url}");
    if let Some(meters) = &han {
        println!("HAN port (DLMS/COSEM):   {}", meters.han_path.display());
        println!("P1 port (DSMR):          {}", meters.p1_path.display());
    }
    if let Some(baud) = site.rtu_bus.wire_baud() {
        println!("Wire time emulated at:   {baud} baud");
    }
    tokio::signal::ctrl_c()
        .await
        .context("cannot wait for Ctrl-C")?;
    Ok(())
}
