//! What the backend's integration tests share: starting a real server on a loopback port.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// The device catalog shipped in the repository.
pub fn catalog_dir() -> PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/catalog")
}

/// Starts the backend on a free loopback port with a fresh data directory whose installation
/// is `site_toml`; returns the base URL and the data directory (deleted when dropped).
pub async fn serve_backend(site_toml: &str) -> (String, tempfile::TempDir) {
    let data_dir = tempfile::tempdir().unwrap();
    let site_file = data_dir.path().join("site.toml");
    std::fs::write(&site_file, site_toml).unwrap();
    let options = backend::Options {
        data_dir: data_dir.path().to_path_buf(),
        listen: "127.0.0.1:0".parse().unwrap(),
        catalog_dir: Some(catalog_dir()),
        site_file: Some(site_file),
        sample_period: Some(Duration::from_secs(1)),
        poll_cycle: Duration::from_millis(200),
        session_idle: Duration::from_secs(600),
        demo_history: false,
    };
    let started = backend::start(&options).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address: SocketAddr = listener.local_addr().unwrap();
    let app = backend::app(started.state);
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{address}"), data_dir)
}
