//! HTTPS: a first start makes a self-signed certificate, serves the app over TLS with `Secure`
//! cookies, and the plain-HTTP port redirects to it.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName, pem::PemObject};
use tokio_rustls::rustls::{ClientConfig, RootCertStore};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Sends one HTTP/1.1 request over TLS to `localhost:port`, trusting only `certificate`, and
/// answers the raw response.
async fn https_request(port: u16, certificate: &std::path::Path, request: &str) -> String {
    let mut roots = RootCertStore::empty();
    for certificate in CertificateDer::pem_file_iter(certificate).unwrap() {
        roots.add(certificate.unwrap()).unwrap();
    }
    let config = ClientConfig::builder_with_provider(Arc::new(
        tokio_rustls::rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let mut tls = TlsConnector::from(Arc::new(config))
        .connect(ServerName::try_from("localhost").unwrap(), stream)
        .await
        .expect("the certificate is valid for localhost");
    tls.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    tls.read_to_end(&mut answer).await.unwrap_or_default();
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn https_with_a_self_signed_certificate_and_a_redirect_from_http() {
    let data_dir = tempfile::tempdir().unwrap();
    let (http_port, https_port) = (free_port(), free_port());
    let options = backend::Options {
        data_dir: data_dir.path().to_path_buf(),
        listen: format!("127.0.0.1:{http_port}").parse().unwrap(),
        catalog_dir: None,
        site_file: None,
        sample_period: Some(Duration::from_secs(60)),
        poll_cycle: Duration::from_secs(1),
        session_idle: Duration::from_secs(600),
        demo_history: false,
        https_listen: Some(format!("127.0.0.1:{https_port}").parse().unwrap()),
        tls_certificate: None,
        tls_key: None,
    };
    tokio::spawn(backend::run(options));
    let certificate = data_dir.path().join("tls/certificate.pem");
    let token_file = data_dir.path().join("setup-token");
    for _ in 0..100 {
        if certificate.exists() && token_file.exists() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;

    let health = https_request(
        https_port,
        &certificate,
        "GET /api/health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    assert!(health.contains("\"setup_required\":true"), "{health}");
    // Other sites may not frame the app; browsers may not guess types or leak URLs.
    let lowercase = health.to_ascii_lowercase();
    for header in [
        "x-frame-options: deny",
        "x-content-type-options: nosniff",
        "referrer-policy: no-referrer",
        "content-security-policy: frame-ancestors 'none'",
    ] {
        assert!(lowercase.contains(header), "{header} missing: {health}");
    }

    // The session cookie is Secure, HttpOnly and SameSite=Strict under HTTPS.
    let token = std::fs::read_to_string(&token_file).unwrap();
    let body =
        format!(r#"{{"token":"{token}","username":"admin","password":"correct horse battery"}}"#);
    let setup = https_request(
        https_port,
        &certificate,
        &format!(
            "POST /api/setup HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    )
    .await;
    assert!(setup.starts_with("HTTP/1.1 201"), "{setup}");
    let cookie = setup
        .lines()
        .find(|line| line.to_ascii_lowercase().starts_with("set-cookie:"))
        .unwrap_or_default();
    for attribute in ["Secure", "HttpOnly", "SameSite=Strict"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }

    // Plain HTTP sends the browser to the same page over HTTPS.
    let mut plain = tokio::net::TcpStream::connect(("127.0.0.1", http_port))
        .await
        .unwrap();
    plain
        .write_all(
            format!(
                "GET /panel?x=1 HTTP/1.1\r\nHost: localhost:{http_port}\r\nConnection: close\r\n\r\n"
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    let mut answer = String::new();
    plain.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 308"), "{answer}");
    assert!(
        answer.contains(&format!(
            "location: https://localhost:{https_port}/panel?x=1"
        )),
        "{answer}"
    );
}
