//! The HTTP API: one module per area, each with its own routes, merged here.

mod chats;
mod health;
mod lessons;
mod messages;
pub mod openapi;

use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::{AppError, AppState};

pub use chats::{AdminChat, CHAT_LIST_SQL, ChatSummary, Person};
pub use messages::{HISTORY_SQL, HistoryMessage, MAX_MESSAGE_CHARS, SentMessage};

/// `axum::Json` whose rejections come back as `{"error": …}`.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(AppError))]
pub struct JsonBody<T>(pub T);

/// `axum::extract::Path` whose rejections come back as `{"error": …}` with 400.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(AppError))]
pub struct PathParam<T>(pub T);

/// `axum::extract::Query` whose rejections come back as `{"error": …}` with 400.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(AppError))]
pub struct QueryParams<T>(pub T);

/// A read-model answer and the log position it reflects, sent as `X-Event-Position`. The
/// position is read before the data or in the same statement, so the data is at least that
/// recent: opening the event stream with it as the resume point misses nothing committed in
/// between (the client de-duplicates by id whatever arrives twice).
pub struct Snapshot<T>(pub i64, pub T);

/// Runs a read-model statement shaped like [`HISTORY_SQL`]: the log head as column `head`,
/// left-joined to the data, so that both come from one snapshot in one round trip. Returns the
/// head and the data rows (none when the only row has a NULL `id`). The statement is prepared
/// once per pooled connection.
async fn snapshot_rows(
    client: &deadpool_postgres::Client,
    sql: &str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> crate::Result<(i64, Vec<tokio_postgres::Row>)> {
    let statement = client.prepare_cached(sql).await?;
    let mut rows = client.query(&statement, params).await?;
    let head = rows.first().map_or(0, |r| r.get("head"));
    rows.retain(|r| r.get::<_, Option<i64>>("id").is_some());
    Ok((head, rows))
}

pub const EVENT_POSITION_HEADER: &str = "x-event-position";

impl<T: Serialize> IntoResponse for Snapshot<T> {
    fn into_response(self) -> Response {
        ([(EVENT_POSITION_HEADER, self.0.to_string())], axum::Json(self.1)).into_response()
    }
}

pub fn router(state: AppState) -> Router {
    let limit = state.config.max_body_bytes;
    let client = state.config.static_dir.as_ref().map(|dir| {
        tower_http::services::ServeDir::new(dir).fallback(tower_http::services::ServeFile::new(dir.join("index.html")))
    });
    let router = Router::new()
        .merge(health::router())
        .merge(chats::router())
        .merge(messages::router())
        .merge(lessons::router())
        .merge(crate::auth::router())
        .merge(crate::realtime::router())
        .merge(openapi::router())
        .merge(crate::metrics::router())
        .route("/api/{*rest}", axum::routing::any(not_found))
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(limit));
    // Everything outside /api is the web client (a single-page app) when it is built.
    let router = match client {
        Some(client) => router.fallback_service(client),
        None => router.fallback(not_found),
    };
    router.layer(axum::middleware::from_fn(crate::telemetry::log_request)).with_state(state)
}

async fn not_found(uri: Uri) -> AppError {
    AppError::NotFound(format!("no such endpoint: {}", uri.path()))
}

async fn method_not_allowed(uri: Uri) -> AppError {
    AppError::Client(StatusCode::METHOD_NOT_ALLOWED, format!("method not allowed on {}", uri.path()))
}
