//! `energy-web-server`: the gateway's one binary.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use tracing_subscriber::EnvFilter;

/// Multi-energy web server: reads meters over Modbus RTU/TCP, records their history and serves the
/// web app.
#[derive(Debug, Parser)]
#[command(version)]
struct Arguments {
    /// Where the database, the installation file and the setup token live.
    #[arg(long, default_value = "data")]
    data_dir: PathBuf,
    /// Address and port to serve the web app on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Device catalog directory (default: the catalog built into the binary).
    #[arg(long)]
    catalog: Option<PathBuf>,
    /// Installation file to import at start, replacing the stored one (the demo's simulated bus).
    #[arg(long)]
    site: Option<PathBuf>,
    /// Seconds between recorded samples, for demonstrations and tests. Without it the installation's
    /// sample rate applies (10 minutes unless an installer changes it in the configuration).
    #[arg(long)]
    sample_seconds: Option<u64>,
    /// Milliseconds between two polls of each device.
    #[arg(long, default_value_t = 1000)]
    poll_ms: u64,
    /// Minutes without a request after which a session ends.
    #[arg(long, default_value_t = 60)]
    session_idle_minutes: u64,
    /// On a first start (no history yet), write two years of plausible history of the devices
    /// (for demonstrations).
    #[arg(long)]
    demo_history: bool,
    /// Serve HTTPS on this address (e.g. 0.0.0.0:443); `--listen` then redirects to it.
    #[arg(long)]
    https_listen: Option<SocketAddr>,
    /// Certificate chain (PEM) for HTTPS. Without it and `--tls-key`, a self-signed certificate
    /// is made at the first start and kept in the data directory.
    #[arg(long, requires = "tls_key")]
    tls_certificate: Option<PathBuf>,
    /// Private key (PEM) of `--tls-certificate`.
    #[arg(long, requires = "tls_certificate")]
    tls_key: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,tower_http=warn".into()),
        )
        .init();
    let arguments = Arguments::parse();
    backend::run(backend::Options {
        data_dir: arguments.data_dir,
        listen: arguments.listen,
        catalog_dir: arguments.catalog,
        site_file: arguments.site,
        sample_period: arguments
            .sample_seconds
            .map(|seconds| Duration::from_secs(seconds.max(1))),
        poll_cycle: Duration::from_millis(arguments.poll_ms.max(50)),
        session_idle: Duration::from_secs(arguments.session_idle_minutes.max(1) * 60),
        demo_history: arguments.demo_history,
        https_listen: arguments.https_listen,
        tls_certificate: arguments.tls_certificate,
        tls_key: arguments.tls_key,
    })
    .await
}
