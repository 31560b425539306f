//! What the backend's integration tests share: starting a real server on a loopback port, the
//! administrator's first login, and small HTTP helpers. Each test crate uses a part of it.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// The device catalog shipped in the repository.
pub fn catalog_dir() -> PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/catalog")
}

/// The options of a test server: data in `data_dir`, the installation `site_file`, fast polling,
/// a sample every second, plain HTTP.
pub fn test_options(data_dir: &std::path::Path, site_file: PathBuf) -> backend::Options {
    backend::Options {
        data_dir: data_dir.to_path_buf(),
        listen: "127.0.0.1:0".parse().unwrap(),
        catalog_dir: Some(catalog_dir()),
        site_file: Some(site_file),
        sample_period: Some(Duration::from_secs(1)),
        poll_cycle: Duration::from_millis(200),
        session_idle: Duration::from_secs(600),
        demo_history: false,
        https_listen: None,
        tls_certificate: None,
        tls_key: None,
    }
}

/// Serves `state` on a free loopback port; answers the base URL.
pub async fn serve_state(state: backend::AppState) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address: SocketAddr = listener.local_addr().unwrap();
    let app = backend::app(state);
    tokio::spawn(async move { backend::serve(listener, app).await.unwrap() });
    format!("http://{address}")
}

/// Starts the backend on a free loopback port with a fresh data directory whose installation
/// is `site_toml`; returns the base URL and the data directory (deleted when dropped).
pub async fn serve_backend(site_toml: &str) -> (String, tempfile::TempDir) {
    let data_dir = tempfile::tempdir().unwrap();
    let site_file = data_dir.path().join("site.toml");
    std::fs::write(&site_file, site_toml).unwrap();
    let started = backend::start(&test_options(data_dir.path(), site_file)).unwrap();
    (serve_state(started.state).await, data_dir)
}

/// The administrator the tests create at first start.
pub const ADMIN_PASSWORD: &str = "correct horse battery";

/// A client that keeps cookies, like a browser.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap()
}

/// Sends `body` (if any) as JSON; answers the status and the JSON body (`null` when there is none).
pub async fn send(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    body: Option<serde_json::Value>,
) -> (reqwest::StatusCode, serde_json::Value) {
    let mut request = client.request(method, url);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let body = response
        .json::<serde_json::Value>()
        .await
        .unwrap_or(serde_json::Value::Null);
    (status, body)
}

/// Polls `probe` until `ready` holds or `limit` has passed, and answers the last value.
pub async fn eventually<T, F, Fut>(limit: Duration, mut probe: F, ready: impl Fn(&T) -> bool) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = T>,
{
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        let value = probe().await;
        if ready(&value) || tokio::time::Instant::now() > deadline {
            return value;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A server started by [`serve_backend`].
pub struct Server {
    pub base: String,
    pub data_dir: tempfile::TempDir,
}

impl Server {
    /// Starts a server whose installation is `site_toml`.
    pub async fn start(site_toml: &str) -> Server {
        let (base, data_dir) = serve_backend(site_toml).await;
        Server { base, data_dir }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The one-time setup token the server wrote.
    pub fn setup_token(&self) -> String {
        std::fs::read_to_string(self.data_dir.path().join("setup-token")).unwrap()
    }

    /// Creates the administrator `admin` with the setup token; answers their logged-in client.
    pub async fn administrator(&self) -> reqwest::Client {
        let client = client();
        let (status, body) = send(
            &client,
            reqwest::Method::POST,
            self.url("/api/setup"),
            Some(serde_json::json!({
                "token": self.setup_token(),
                "username": "admin",
                "password": ADMIN_PASSWORD,
            })),
        )
        .await;
        assert_eq!(status, reqwest::StatusCode::CREATED, "{body}");
        client
    }
}

/// The simulator's demo site (RS485 line on a pty, Modbus TCP gateway) and a server reading it.
pub async fn start_demo() -> (Server, simulator::DemoSite) {
    let catalog = shared::Catalog::load_dir(&catalog_dir()).unwrap();
    let site = simulator::start_demo_site(simulator::DemoSiteOptions {
        catalog,
        tcp_address: "127.0.0.1:0".parse().unwrap(),
        tick: Duration::from_millis(100),
    })
    .await
    .unwrap();
    let server = Server::start(&toml::to_string(&site.site).unwrap()).await;
    (server, site)
}

/// The `name=value` of the session cookie a login answer set.
pub fn session_cookie_of(response: &reqwest::Response) -> String {
    response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

/// Opens the live WebSocket of `base` with a session `cookie`, as a browser would.
pub async fn live_socket(
    base: &str,
    cookie: &str,
) -> tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>> {
    let url = format!("{base}/api/live").replace("http://", "ws://");
    let mut request =
        tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(
            url.as_str(),
        )
        .unwrap();
    request
        .headers_mut()
        .insert("cookie", cookie.parse().unwrap());
    let (socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    socket
}
