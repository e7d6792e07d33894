//! The whole application's router: the REST API, authentication's and the event stream's
//! routes, `/metrics`, the web client with its single-page-app fallback, and the layers every
//! request passes (request span and metrics, panic guard, body limit).

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::timeout::RequestBodyTimeoutLayer;

use crate::{AppError, AppState, api, auth, realtime};

pub fn router(state: AppState) -> Router {
    let limit = state.config.http.max_body_bytes;
    let client = state
        .config
        .http
        .static_dir
        .as_ref()
        .map(|dir| ServeDir::new(dir).fallback(ServeFile::new(dir.join("index.html"))));
    let router = Router::new()
        .merge(api::router(&state.config))
        .merge(auth::router())
        .merge(realtime::router())
        .route("/api/{*rest}", axum::routing::any(not_found))
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(limit))
        .layer(RequestBodyTimeoutLayer::new(state.config.http.body_timeout));
    // Everything outside /api is the web client (a single-page app) when it is built.
    let router = match client {
        Some(client) => router.fallback_service(client),
        None => router.fallback(not_found),
    };
    router
        .layer(CatchPanicLayer::custom(panicked))
        .layer(axum::middleware::map_response(security_headers))
        .layer(axum::middleware::from_fn(crate::telemetry::observe))
        .with_state(state)
}

/// Sent with every answer (unless a handler set its own): the web client runs only its own
/// scripts, is never framed, and no answer is sniffed into another content type.
const SECURITY_HEADERS: [(HeaderName, &str); 4] = [
    (
        header::CONTENT_SECURITY_POLICY,
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; \
         connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    ),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::X_FRAME_OPTIONS, "DENY"),
    (header::REFERRER_POLICY, "same-origin"),
];

async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    for (name, value) in &SECURITY_HEADERS {
        if !headers.contains_key(name) {
            headers.insert(name.clone(), HeaderValue::from_static(value));
        }
    }
    response
}

async fn not_found(uri: Uri) -> AppError {
    AppError::NotFound(format!("no such endpoint: {}", uri.path()))
}

async fn method_not_allowed(uri: Uri) -> AppError {
    AppError::Client(StatusCode::METHOD_NOT_ALLOWED, format!("method not allowed on {}", uri.path()))
}

/// A handler that panicked answers like any internal error: logged (inside the request's
/// span), an opaque 500 in the API's JSON shape.
fn panicked(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let message = crate::telemetry::panic_message(&*panic);
    AppError::Internal(anyhow::anyhow!("handler panicked: {message}")).into_response()
}
