//! The gateway: reads meters on the bus, keeps their latest values and history, and serves the web
//! app and its API.
//!
//! Data flows one way: bus → [`acquisition`] → [`live`] and [`store`] → [`api`] → browser.

pub mod acquisition;
pub mod api;
pub mod auth;
pub mod configuration;
pub mod live;
pub mod store;
mod web;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use rust_embed::RustEmbed;
use shared::{
    Catalog, Commodity, DeviceInfo, DeviceStatus, GatewayConfig, GatewayLink, Parity, SiteConfig,
};
use tower_http::trace::TraceLayer;
use tracing::info;

use crate::acquisition::Acquisition;
use crate::auth::{Sessions, SetupToken, Throttle};
use crate::configuration::Configuration;
use crate::live::LiveState;
use crate::store::Store;

/// Everything a request handler may use.
#[derive(Debug, Clone)]
pub struct AppState {
    pub store: Store,
    pub live: LiveState,
    pub sessions: Sessions,
    /// Failed logins per account and address.
    pub throttle: Throttle,
    pub setup: SetupToken,
    pub configuration: Configuration,
    pub acquisition: Acquisition,
    /// Mark cookies `Secure` (when served over HTTPS).
    pub secure_cookies: bool,
}

/// The HTTP application: the API under `/api`, the web app everywhere else.
pub fn app(state: AppState) -> Router {
    web::with_security_headers(api::routes(&state).fallback(web::static_file))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// How the server is started.
#[derive(Debug, Clone)]
pub struct Options {
    pub data_dir: PathBuf,
    pub listen: SocketAddr,
    /// Catalog directory; the catalog compiled into the binary when absent.
    pub catalog_dir: Option<PathBuf>,
    /// Installation file to import at start, replacing the stored installation (the demo uses it
    /// to follow the simulator's new pseudo-terminal). Without it the stored installation is used.
    pub site_file: Option<PathBuf>,
    /// How often values are recorded; `None` follows the installation's sample rate (§7.16.4,
    /// 10 minutes unless an installer changes it).
    pub sample_period: Option<Duration>,
    /// How often devices are polled.
    pub poll_cycle: Duration,
    /// Idle time after which a session ends.
    pub session_idle: Duration,
    /// Fill an empty store with two years of plausible history of the configured devices (the
    /// demo), before recording starts.
    pub demo_history: bool,
    /// Serve HTTPS on this address; `listen` then only redirects to it.
    pub https_listen: Option<SocketAddr>,
    /// The certificate chain and private key (PEM) for HTTPS; without them a self-signed
    /// certificate is made at the first start and kept in the data directory.
    pub tls_certificate: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
}

/// The device catalog shipped inside the binary.
#[derive(RustEmbed)]
#[folder = "../assets/catalog"]
struct EmbeddedCatalog;

fn load_catalog(dir: Option<&Path>) -> anyhow::Result<Catalog> {
    if let Some(dir) = dir {
        return Catalog::load_dir(dir).context("cannot load the device catalog");
    }
    let files: Vec<(String, String)> = EmbeddedCatalog::iter()
        // The folder also holds the files' JSON Schema.
        .filter(|name| name.ends_with(".toml"))
        .filter_map(|name| {
            let file = EmbeddedCatalog::get(&name)?;
            Some((
                name.to_string(),
                String::from_utf8_lossy(&file.data).into_owned(),
            ))
        })
        .collect();
    Catalog::from_sources(
        files
            .iter()
            .map(|(name, text)| (name.as_str(), text.as_str())),
    )
    .context("the built-in device catalog is broken")
}

fn read_site_file(path: &Path) -> anyhow::Result<SiteConfig> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the installation file {}", path.display()))?;
    toml::from_str::<SiteConfig>(&text)
        .with_context(|| format!("the installation file {} is not valid", path.display()))
}

/// A new box: the local RS485 port exists but is off until an installer configures it.
fn new_site() -> SiteConfig {
    SiteConfig {
        gateways: vec![GatewayConfig {
            id: LOCAL_GATEWAY_ID,
            name: "Local".into(),
            description: String::new(),
            link: GatewayLink::Local {
                serial_port: "/dev/ttyS0".into(),
                baud: 19_200,
                parity: Parity::Even,
                stop_bits: 1,
                timeout_ms: 300,
                frame_gap_ms: None,
            },
            enabled: false,
        }],
        devices: Vec::new(),
        ..SiteConfig::default()
    }
}

/// The id of the Local gateway, which always exists.
pub const LOCAL_GATEWAY_ID: u32 = 1;

fn check_site(site: &SiteConfig, catalog: &Catalog) -> anyhow::Result<()> {
    site.validate()?;
    // An imported file follows the same rules as a change made in the UI.
    for gateway in &site.gateways {
        shared::validate_gateway(gateway, site).map_err(|error| {
            anyhow::anyhow!(
                "gateway {:?}: {}: {}",
                gateway.name,
                error.field,
                error.message
            )
        })?;
    }
    for device in &site.devices {
        shared::validate_device(device, site, catalog).map_err(|error| {
            anyhow::anyhow!(
                "device {:?}: {}: {}",
                device.name,
                error.field,
                error.message
            )
        })?;
    }
    for device in &site.devices {
        if acquisition::DeviceDriver::for_device(device, catalog).is_none() {
            anyhow::bail!(
                "device {:?} uses model {:?}, which is not in the catalog",
                device.name,
                device.model
            );
        }
    }
    Ok(())
}

/// The initial state of every configured device.
pub(crate) fn initial_devices(site: &SiteConfig, catalog: &Catalog) -> Vec<DeviceInfo> {
    site.devices
        .iter()
        .filter_map(|device| {
            let generic;
            let profile = match catalog.get(&device.model) {
                Some(profile) => profile,
                None => {
                    generic = acquisition::generic_profile(device)?;
                    &generic
                }
            };
            let gateway_enabled = site
                .gateways
                .iter()
                .any(|gateway| gateway.id == device.gateway && gateway.enabled);
            Some(DeviceInfo {
                id: device.id,
                gateway_id: device.gateway,
                name: device.name.clone(),
                modbus_address: device.address,
                position: device.position,
                model_id: profile.id.clone(),
                model_name: profile.display_name(),
                commodity: device
                    .commodity
                    .or(profile.commodity)
                    .unwrap_or(Commodity::Electricity),
                status: if device.enabled && gateway_enabled {
                    DeviceStatus::Pending
                } else {
                    DeviceStatus::Off
                },
                last_error: None,
                values: Vec::new(),
                updated_at: None,
            })
        })
        .collect()
}

/// Everything started: the state and the background tasks (dropped with the runtime).
pub struct Started {
    pub state: AppState,
    pub tasks: Vec<tokio::task::JoinHandle<()>>,
}

/// Opens the store, loads catalog and installation, starts polling and recording.
pub fn start(options: &Options) -> anyhow::Result<Started> {
    std::fs::create_dir_all(&options.data_dir).with_context(|| {
        format!(
            "cannot create the data directory {}",
            options.data_dir.display()
        )
    })?;
    let store = Store::open(&options.data_dir.join("energy.redb"))?;
    let catalog = load_catalog(options.catalog_dir.as_deref())?;
    let site = match &options.site_file {
        Some(path) => {
            let site = read_site_file(path)?;
            check_site(&site, &catalog).with_context(|| {
                format!("the installation file {} is not valid", path.display())
            })?;
            store.save_site(&site)?;
            site
        }
        None => match store.site()? {
            Some(site) => site,
            None => new_site(),
        },
    };
    info!(
        models = catalog.profiles().len(),
        gateways = site.gateways.len(),
        devices = site.devices.len(),
        "configuration loaded"
    );
    let catalog = Arc::new(catalog);
    let live = LiveState::new(initial_devices(&site, &catalog));
    let configuration = Configuration::new(store.clone(), catalog, site);
    let acquisition = Acquisition::default();
    let mut tasks = vec![tokio::spawn(acquisition::supervise(
        configuration.clone(),
        acquisition.clone(),
        live.clone(),
        options.poll_cycle,
    ))];
    let sample_period = match options.sample_period {
        Some(period) => store::SamplePeriod::Fixed(period),
        None => store::SamplePeriod::Configured(configuration.subscribe()),
    };
    let recorder = store::run_recorder(store.clone(), live.clone(), sample_period);
    tasks.push(if options.demo_history {
        tokio::spawn(store::demo_history::fill_then(
            store.clone(),
            live.clone(),
            recorder,
        ))
    } else {
        tokio::spawn(recorder)
    });
    let setup = if store.user_count()? == 0 {
        SetupToken::open(&options.data_dir).with_context(|| {
            format!(
                "cannot write the setup token in {}",
                options.data_dir.display()
            )
        })?
    } else {
        SetupToken::closed(&options.data_dir)
    };
    let state = AppState {
        store,
        live,
        sessions: Sessions::new(options.session_idle),
        throttle: Throttle::default(),
        setup,
        configuration,
        acquisition,
        secure_cookies: false,
    };
    Ok(Started { state, tasks })
}

/// Serves `app` on `listener` over plain HTTP, with the clients' addresses the login throttle
/// needs.
pub async fn serve(listener: tokio::net::TcpListener, app: Router) -> std::io::Result<()> {
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
}

/// Runs the server until Ctrl-C or SIGTERM.
pub async fn run(options: Options) -> anyhow::Result<()> {
    let mut started = start(&options)?;
    let listener = tokio::net::TcpListener::bind(options.listen)
        .await
        .with_context(|| format!("cannot listen on {}", options.listen))?;
    let address = listener.local_addr().context("no local address")?;
    let Some(https_address) = options.https_listen else {
        let base = format!("http://{address}");
        println!("Energy Web Server listening on {base}");
        announce_setup(&started.state, &options, &base);
        serve(listener, app(started.state))
            .await
            .context("the HTTP server failed")?;
        stop(started.tasks);
        return Ok(());
    };

    auth::tls::install_crypto_provider();
    let files = match (&options.tls_certificate, &options.tls_key) {
        (Some(certificate), Some(key)) => auth::tls::CertificateFiles {
            certificate: certificate.clone(),
            key: key.clone(),
        },
        (None, None) => {
            auth::tls::self_signed(&options.data_dir, &auth::tls::default_names(https_address))?
        }
        _ => anyhow::bail!("give both --tls-certificate and --tls-key, or neither"),
    };
    let config =
        axum_server::tls_rustls::RustlsConfig::from_pem_file(&files.certificate, &files.key)
            .await
            .with_context(|| {
                format!(
                    "cannot use the certificate {} with the key {}",
                    files.certificate.display(),
                    files.key.display()
                )
            })?;
    let https_listener = std::net::TcpListener::bind(https_address)
        .with_context(|| format!("cannot listen on {https_address}"))?;
    let https_address = https_listener.local_addr().context("no local address")?;
    started.state.secure_cookies = true;
    let base = format!("https://{https_address}");
    println!("Energy Web Server listening on {base} (http://{address} redirects to it)");
    announce_setup(&started.state, &options, &base);
    let handle = axum_server::Handle::new();
    let https = axum_server::tls_rustls::from_tcp_rustls(https_listener, config)
        .context("cannot serve HTTPS")?
        .handle(handle.clone())
        .serve(app(started.state).into_make_service_with_connect_info::<SocketAddr>());
    let redirect = serve(listener, web::redirect_to_https(https_address.port()));
    let graceful = async {
        shutdown_signal().await;
        handle.graceful_shutdown(Some(Duration::from_secs(5)));
    };
    let (https, redirect, ()) = tokio::join!(https, redirect, graceful);
    https.context("the HTTPS server failed")?;
    redirect.context("the HTTP redirect failed")?;
    stop(started.tasks);
    Ok(())
}

fn announce_setup(state: &AppState, options: &Options, base: &str) {
    if let Some(token) = state.setup.current() {
        println!("First start: create the administrator at {base}/setup?token={token}");
        println!(
            "(the token is also in {}; it works for {} minutes, a restart makes a new one)",
            options.data_dir.join(auth::SETUP_TOKEN_FILE).display(),
            auth::SETUP_TOKEN_LIFETIME.as_secs() / 60
        );
    }
}

fn stop(tasks: Vec<tokio::task::JoinHandle<()>>) {
    for task in tasks {
        task.abort();
    }
}

async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
    info!("shutting down");
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shipped binary carries its catalog: it must load as the files on disk do.
    #[test]
    fn the_built_in_catalog_loads_like_the_directory() {
        let built_in = load_catalog(None).unwrap();
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/catalog");
        let on_disk = load_catalog(Some(&dir)).unwrap();
        assert_eq!(built_in, on_disk);
        assert!(built_in.profiles().len() >= 10);
    }
}
