//! The REST API: one module per area, each with its own routes, merged here.

pub mod attachments;
mod blocking;
mod chat_settings;
mod chats;
mod closures;
mod departures;
pub mod dialects;
pub(crate) mod direct;
mod email;
pub mod events;
pub mod export;
mod groups;
mod guardians;
mod health;
mod held;
pub(crate) mod history;
pub mod inquiries;
mod integrations;
mod lessons;
pub(crate) mod messages;
pub mod moderation;
pub mod openapi;
mod paging;
mod pins;
pub(crate) mod presence;
mod push;
pub mod reactions;
pub(crate) mod read_markers;
mod readers;
mod scheduled;
mod school;
pub(crate) mod search;
pub mod text;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::{AppError, AppState};

pub use chats::CHAT_LIST_SQL;
pub use history::HISTORY_SQL;
pub use messages::MAX_MESSAGE_CHARS;
pub use search::STATEMENTS as SEARCH_STATEMENTS;

/// Every REST route but the event stream's ([`events::router`]: the router in `crate::router`
/// adds it, and the rest of the app, around them).
pub fn router(config: &crate::Config) -> Router<AppState> {
    Router::new()
        .merge(health::router())
        .merge(attachments::router(config.storage.max_file_bytes))
        .merge(chats::router())
        .merge(chat_settings::router())
        .merge(pins::router())
        .merge(groups::router())
        .merge(inquiries::router())
        .merge(history::router())
        .merge(messages::router())
        .merge(reactions::router())
        .merge(moderation::router())
        .merge(departures::router())
        .merge(school::router())
        .merge(export::router())
        .merge(direct::router())
        .merge(read_markers::router())
        .merge(readers::router())
        .merge(guardians::router())
        .merge(blocking::router())
        .merge(closures::router())
        .merge(held::router())
        .merge(scheduled::router())
        .merge(search::router())
        .merge(presence::router())
        .merge(push::router())
        .merge(email::router())
        .merge(lessons::router())
        .merge(integrations::router())
        .merge(dialects::router())
        .merge(openapi::router())
}

/// A read-model answer and the log position it reflects, sent as `X-Event-Position`. The
/// position is read before the data or in the same statement, so the data is at least that
/// recent: opening the event stream with it as the resume point misses nothing committed in
/// between (the client de-duplicates by id whatever arrives twice).
pub struct Snapshot<T>(pub i64, pub T);

pub const EVENT_POSITION_HEADER: &str = "x-event-position";

/// The `X-Min-Event-Position` request header, for the OpenAPI document (see
/// `extract::MinPosition`).
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)] // only described, never built: the extractor reads the header
pub struct MinPositionParam {
    /// The answer reflects at least this log position: the newest one you have seen (an
    /// event's `id`, a snapshot's `X-Event-Position`) or your own write's. With a read
    /// standby, the read waits briefly for it or is answered by the primary.
    #[param(rename = "X-Min-Event-Position", minimum = 0, nullable = false)]
    x_min_event_position: Option<i64>,
}

/// The `Idempotency-Key` header of a send, as the document describes it (`extract::IdempotencyKey`
/// reads it).
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)] // only described, never built
pub struct IdempotencyKeyParam {
    /// 1–64 visible ASCII characters: a retry with the same key answers the first request's
    /// message (200) and appends nothing.
    #[param(rename = "Idempotency-Key", min_length = 1, max_length = 64, pattern = "^[!-~]{1,64}$", nullable = false)]
    idempotency_key: Option<String>,
}

impl<T: Serialize> IntoResponse for Snapshot<T> {
    /// As `axum::Json` answers, but written into a `Vec`: serde_json writes a page in many
    /// small pieces, and `BytesMut`'s writer pays for each (a chat list of 500 chats took the
    /// replica ×0.84 the CPU written this way).
    fn into_response(self) -> Response {
        let mut body = Vec::with_capacity(16 * 1024);
        if let Err(e) = serde_json::to_writer(&mut body, &self.1) {
            return AppError::Internal(e.into()).into_response();
        }
        let mut response = body.into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.insert(EVENT_POSITION_HEADER, HeaderValue::from(self.0));
        response
    }
}
