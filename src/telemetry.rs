//! Logging: one line per request (method, path, status, latency) and nothing secret — no
//! headers, no query strings, no bodies, so neither tokens nor message text reach the logs.

use std::io::IsTerminal;
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Installs the global subscriber; `RUST_LOG` filters (default `info`).
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

pub async fn log_request(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    // The route pattern, not the path: a label per chat id would grow without bound.
    let route = request.extensions().get::<MatchedPath>().map_or("unmatched", |m| m.as_str()).to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    tracing::info!(
        %method,
        %path,
        status = response.status().as_u16(),
        latency_ms = started.elapsed().as_secs_f64() * 1000.0,
        "request"
    );
    let labels = [("method", method.to_string()), ("route", route)];
    metrics::histogram!(crate::metrics::HTTP_DURATION, &labels).record(started.elapsed().as_secs_f64());
    let status = [labels[0].clone(), labels[1].clone(), ("status", response.status().as_u16().to_string())];
    metrics::counter!(crate::metrics::HTTP_REQUESTS, &status).increment(1);
    response
}
