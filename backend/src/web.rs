//! The compiled front end, embedded in the binary: one file to deploy.

use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use rust_embed::RustEmbed;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::api::AppError;

/// `dist/` as Trunk built it. In debug builds rust-embed reads the folder at run time, so a
/// rebuilt front end is served without recompiling the server.
#[derive(RustEmbed)]
#[folder = "../dist"]
struct FrontEnd;

/// Serves a front-end file, or the app's `index.html` for client-side routes such as `/panel`.
pub async fn static_file(uri: Uri) -> Response {
    let path = uri.path().trim_start_matches('/');
    if path == "api" || path.starts_with("api/") {
        return AppError::NotFound.into_response();
    }
    if !path.is_empty()
        && let Some(file) = FrontEnd::get(path)
    {
        let mime = mime_guess::from_path(path).first_or_octet_stream();
        // Trunk names files by content hash: they never change under the same name.
        return (
            [
                (header::CONTENT_TYPE, mime.as_ref().to_owned()),
                (
                    header::CACHE_CONTROL,
                    "public, max-age=31536000, immutable".to_owned(),
                ),
            ],
            file.data,
        )
            .into_response();
    }
    match FrontEnd::get("index.html") {
        Some(index) => (
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            index.data,
        )
            .into_response(),
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            "The web app is not built. Run `trunk build --release` at the repository root, then rebuild the server.",
        )
            .into_response(),
    }
}

/// Headers on every answer that keep other sites from framing the app (clickjacking), browsers
/// from guessing content types, and URLs (which may carry a setup token) out of `Referer`.
pub fn with_security_headers<S: Clone + Send + Sync + 'static>(
    router: axum::Router<S>,
) -> axum::Router<S> {
    [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (
            header::CONTENT_SECURITY_POLICY,
            "frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'",
        ),
    ]
    .into_iter()
    .fold(router, |router, (name, value)| {
        router.layer(SetResponseHeaderLayer::if_not_present(
            name,
            HeaderValue::from_static(value),
        ))
    })
}

/// The plain-HTTP side of a server that serves HTTPS: every request is sent, same host and
/// path, to the HTTPS port.
pub fn redirect_to_https(https_port: u16) -> axum::Router {
    axum::Router::new().fallback(move |headers: axum::http::HeaderMap, uri: Uri| async move {
        let host = headers
            .get(header::HOST)
            .and_then(|value| value.to_str().ok())
            .unwrap_or("localhost");
        let path = uri
            .path_and_query()
            .map_or("/", axum::http::uri::PathAndQuery::as_str);
        axum::response::Redirect::permanent(&https_url(host, https_port, path)).into_response()
    })
}

/// `https://host:port/path` for a request that named `host` (with or without its port; an IPv6
/// address in brackets).
fn https_url(host: &str, https_port: u16, path: &str) -> String {
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split_once(']')
            .map_or(host.to_owned(), |(address, _)| format!("[{address}]"))
    } else {
        host.split(':').next().unwrap_or(host).to_owned()
    };
    // A name with odd characters is not trusted into a Location header.
    let name = if name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '[' | ']' | ':'))
    {
        name
    } else {
        "localhost".to_owned()
    };
    format!("https://{name}:{https_port}{path}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirects_keep_the_host_and_path_and_change_the_port() {
        assert_eq!(
            https_url("box.local:8080", 8443, "/panel?x=1"),
            "https://box.local:8443/panel?x=1"
        );
        assert_eq!(
            https_url("192.168.1.5", 443, "/"),
            "https://192.168.1.5:443/"
        );
        assert_eq!(https_url("[::1]:8080", 8443, "/"), "https://[::1]:8443/");
        assert_eq!(
            https_url("evil\r\nSet-Cookie: x", 8443, "/"),
            "https://localhost:8443/"
        );
    }
}
