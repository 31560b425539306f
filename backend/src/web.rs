//! The compiled front end, embedded in the binary: one file to deploy.

use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use rust_embed::RustEmbed;

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
