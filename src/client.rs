//! The web client's files (`STATIC_DIR`: the client's `dist/`, built by Vite), served so that a
//! phone downloads each once, and small.
//!
//! - `/assets/…` are Vite's hashed files: a file's name changes whenever its content does, so
//!   they are kept for a year and never revalidated (`immutable`). One that is not there is a
//!   404, never the app's page: a tab still running the previous build asks for its old chunks
//!   after a deploy, and must see that they are gone rather than parse HTML as a script.
//! - Everything else (`index.html`, the single-page app's fallback for every other path, the
//!   service worker, `robots.txt`, the icon) is `no-cache`: revalidated on every load, so a new
//!   version's page never meets the old version's assets, nor the other way round.
//! - Both with the variants the client's build writes beside each file (`.br`, `.gz`) when the
//!   browser accepts them (`Vary: Accept-Encoding`): compressed once, at the highest level,
//!   instead of on every request.

use std::path::Path;

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use tower::Layer;
use tower_http::services::fs::ServeFileSystemResponseBody;
use tower_http::services::{ServeDir, ServeFile};

type Response = axum::http::Response<ServeFileSystemResponseBody>;

/// A year: what browsers and CDNs take as "for ever".
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Stored, but asked again (a 304 when unchanged) before each use.
const REVALIDATE: &str = "no-cache";

/// The client's routes: its assets under `/assets`, every other path its pages.
pub fn router<S: Clone + Send + Sync + 'static>(dir: &Path) -> Router<S> {
    let assets = ServeDir::new(dir.join("assets")).precompressed_br().precompressed_gzip();
    let index = ServeFile::new(dir.join("index.html")).precompressed_br().precompressed_gzip();
    let pages = ServeDir::new(dir).precompressed_br().precompressed_gzip().fallback(index);
    Router::new()
        .nest_service("/assets", axum::middleware::map_response(immutable).layer(assets))
        .fallback_service(axum::middleware::map_response(revalidate).layer(pages))
}

/// A hashed asset found (or unchanged since the browser's copy) is kept for a year.
async fn immutable(mut response: Response) -> Response {
    if response.status().is_success() || response.status() == StatusCode::NOT_MODIFIED {
        response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(IMMUTABLE));
    }
    response
}

async fn revalidate(mut response: Response) -> Response {
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(REVALIDATE));
    response
}
