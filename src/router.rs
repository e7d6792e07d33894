//! The whole application's router: the REST API, authentication's and the event stream's
//! routes, `/metrics`, the web client with its single-page-app fallback, and the layers every
//! request passes (request span and metrics, CORS for `ALLOWED_ORIGINS`, panic guard, body
//! limit, `no-store` on every answer but the web client's; compression on all but the event
//! stream's).

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{Predicate, SizeAbove};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::timeout::RequestBodyTimeoutLayer;

use crate::{AppError, AppState, api, auth};

pub fn router(state: AppState) -> Router {
    let limit = state.config.http.max_body_bytes;
    let client = state.config.http.static_dir.as_deref().map(|dir| compressed(crate::client::router(dir)));
    let router = Router::new()
        .merge(compressed(api::router(&state.config).merge(auth::router()).merge(crate::scim::router())))
        // The event stream apart: its body is never compressed, and the compression layer's
        // wrapper would be boxed with it, the size of every encoder's state: 5.8 kB of each
        // idle stream's memory (heaptrack, `scripts/heap-profile`).
        .merge(api::events::router())
        .route("/api/{*rest}", axum::routing::any(not_found))
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(limit))
        .layer(RequestBodyTimeoutLayer::new(state.config.http.body_timeout))
        .layer(axum::middleware::map_response(never_stored));
    // Everything outside /api is the web client (a single-page app) when it is built.
    let router = match client {
        Some(client) => router.merge(client),
        None => router.fallback(not_found),
    };
    let router =
        router.layer(CatchPanicLayer::custom(panicked)).layer(axum::middleware::map_response(security_headers));
    // Outermost but for the request span: a preflight is answered before anything else runs.
    let router = match cors(&state.config.auth.allowed_origins) {
        Some(cors) => router.layer(cors).layer(axum::middleware::map_response(only_for_allowed_origins)),
        None => router,
    };
    router.layer(axum::middleware::from_fn(crate::telemetry::observe)).with_state(state)
}

/// `router` with its answers compressed when the client takes it and they are worth it.
fn compressed(router: Router<AppState>) -> Router<AppState> {
    router.layer(CompressionLayer::new().compress_when(SizeAbove::new(MIN_COMPRESSED_BYTES).and(compressible)))
}

/// Below this, an answer goes as it is: a few bytes saved do not pay for the encoder's state
/// (and a body this small fits in one packet anyway).
const MIN_COMPRESSED_BYTES: u64 = 1024;

/// The types worth compressing on the fly: the API's JSON and the client's text files that have
/// no precompressed variant. Never an event stream (`text/event-stream`: the encoder would hold
/// each event back until its buffer fills) nor Socket.IO's long-polling (`text/plain`, which
/// its clients read as they come); images, PDFs and archives are compressed already.
fn compressible(_: StatusCode, _: axum::http::Version, headers: &HeaderMap, _: &axum::http::Extensions) -> bool {
    let Some(content_type) = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else { return false };
    let essence = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    matches!(
        essence.as_str(),
        "application/json" | "text/html" | "text/css" | "text/javascript" | "application/javascript" | "image/svg+xml"
    ) || essence.ends_with("+json")
}

/// An answer to an origin not in `ALLOWED_ORIGINS` carries no CORS header at all (the layer
/// would still say which methods and headers it allows, and that credentials are).
async fn only_for_allowed_origins(mut response: Response) -> Response {
    let headers = response.headers_mut();
    if !headers.contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN) {
        for name in [
            header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
            header::ACCESS_CONTROL_ALLOW_METHODS,
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            header::ACCESS_CONTROL_MAX_AGE,
        ] {
            headers.remove(name);
        }
    }
    response
}

/// The API for pages of `ALLOWED_ORIGINS` (a school's site embedding the chat): CORS with
/// credentials (cookie sessions and `EventSource(url, { withCredentials: true })`), preflight
/// for the API's methods and the headers it reads, `Vary: Origin`. An origin not in the list
/// gets no CORS header at all, so its browser keeps the answer from it. Without the variable,
/// no layer: only the chat's own pages call its API.
fn cors(allowed: &[String]) -> Option<CorsLayer> {
    let origins: Vec<HeaderValue> = allowed.iter().filter_map(|o| HeaderValue::from_str(o).ok()).collect();
    if origins.is_empty() {
        return None;
    }
    let named = HeaderName::from_static;
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_credentials(true)
            .allow_methods([Method::GET, Method::POST, Method::PUT, Method::PATCH, Method::DELETE])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                named("idempotency-key"),
                named("last-event-id"),
                named(crate::extract::MIN_POSITION_HEADER),
                named(crate::telemetry::REQUEST_ID_HEADER),
                named(crate::auth::expected::EXPECTED_USER_HEADER),
            ])
            .expose_headers([
                header::RETRY_AFTER,
                header::LOCATION,
                header::CONTENT_DISPOSITION,
                named(crate::api::EVENT_POSITION_HEADER),
                named(crate::telemetry::REQUEST_ID_HEADER),
            ])
            .max_age(std::time::Duration::from_secs(600)),
    )
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

/// Every answer of the API is someone's (their chats, their messages, their files, who they
/// are) or says something about a session: no browser or proxy keeps a copy (`no-store`), so
/// that none is left in a shared device's disk cache after the person's session ends. This
/// overrides what a handler set (an event stream's `no-cache`, a download's revalidation). The
/// web client's files (outside this router) keep their own caching (`crate::client`).
async fn never_stored(mut response: Response) -> Response {
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
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
