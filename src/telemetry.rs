//! Logging and request observability: one span per request (method, matched route, request
//! id) so that every line logged while handling it carries them, one line per request (path,
//! status, latency), and nothing secret — no headers, no query strings, no bodies, so neither
//! tokens nor message text reach the logs.

use std::io::IsTerminal;
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderValue, Method};
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;
use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// The header a request id arrives in (from nginx or a client) and is echoed back in.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// Installs the global subscriber, filtered by `filter` (`RUST_LOG`'s syntax).
pub fn init(format: LogFormat, filter: &str) {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// The request's own id when it brings a sane one (so a trace can follow it from nginx),
/// else a new one.
fn request_id(request: &Request) -> String {
    let sane = |id: &&str| {
        (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
    };
    match request.headers().get(REQUEST_ID_HEADER).and_then(|v| v.to_str().ok()).filter(sane) {
        Some(id) => id.to_owned(),
        None => uuid::Uuid::new_v4().simple().to_string(),
    }
}

/// A metric label for the method: the standard ones by name, anything else `other`, so that
/// made-up methods cannot grow the number of series.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// Middleware: the request span, the request line, the request metrics and `x-request-id`.
pub async fn observe(request: Request, next: Next) -> Response {
    let method = method_label(request.method());
    let path = request.uri().path().to_owned();
    // The route pattern, not the path: a label per chat id would grow without bound.
    let route = request.extensions().get::<MatchedPath>().map_or("unmatched", |m| m.as_str()).to_owned();
    let id = request_id(&request);
    let span = tracing::info_span!("request", method = %method, route = %route, request_id = %id);
    let started = Instant::now();
    let mut response = next.run(request).instrument(span.clone()).await;
    let status = response.status().as_u16();
    span.in_scope(|| {
        tracing::info!(%path, status, latency_ms = started.elapsed().as_secs_f64() * 1000.0, "request");
    });
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    let labels = [("method", method.to_owned()), ("route", route)];
    metrics::histogram!(crate::metrics::HTTP_DURATION, &labels).record(started.elapsed().as_secs_f64());
    let labels = [labels[0].clone(), labels[1].clone(), ("status", status.to_string())];
    metrics::counter!(crate::metrics::HTTP_REQUESTS, &labels).increment(1);
    response
}

/// What a caught panic said, for the log line that reports it.
pub fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic.downcast_ref::<&str>().map(|s| s.to_string()).or(panic.downcast_ref::<String>().cloned()).unwrap_or_default()
}
