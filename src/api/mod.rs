//! The HTTP API: one module per area, each with its own routes, merged here.

mod chats;
mod health;
mod lessons;
mod messages;
pub mod openapi;

use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts};
use axum::http::{StatusCode, Uri};

use crate::{AppError, AppState};

pub use chats::{AdminChat, ChatSummary, Person};
pub use messages::{HistoryMessage, MAX_MESSAGE_CHARS, SentMessage};

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

pub fn router(state: AppState) -> Router {
    let limit = state.config.max_body_bytes;
    Router::new()
        .merge(health::router())
        .merge(chats::router())
        .merge(messages::router())
        .merge(lessons::router())
        .merge(crate::auth::router())
        .merge(openapi::router())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(limit))
        .layer(axum::middleware::from_fn(crate::telemetry::log_request))
        .with_state(state)
}

async fn not_found(uri: Uri) -> AppError {
    AppError::NotFound(format!("no such endpoint: {}", uri.path()))
}

async fn method_not_allowed(uri: Uri) -> AppError {
    AppError::Client(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("method not allowed on {}", uri.path()),
    )
}
