//! `/api/v1`: five REST routes and one WebSocket per user, for clients written to that
//! contract (docs/dialect-v1.md). Its conversation is a core chat, its message a core message,
//! its ids the core's written as decimal strings, its times epoch seconds on the socket and in
//! presence, RFC 3339 elsewhere. Every route calls the core's operation (the same access rule,
//! the same append, the same hub) and only reshapes what goes in and comes out; errors keep
//! the core's status and sentence, in this contract's shape `{"error": "…"}` ([`super::error_only`]).
//!
//! - `rest.rs`: the REST routes;
//! - `socket.rs`: `GET /api/v1/ws`, a hub connection like an event stream's, and its frames.

use axum::Router;
use serde::Serialize;

use crate::AppState;

mod rest;
mod socket;

pub use rest::{Conversation, Conversations, Message, Messages, Presence, SendBody, Sent};

/// The routes of `/api/v1`.
pub fn router() -> Router<AppState> {
    rest::router().merge(socket::router()).layer(axum::middleware::map_response(super::error_only))
}

/// The dialect's REST routes, for the OpenAPI document (the socket's frames are described in
/// docs/dialect-v1.md: OpenAPI cannot state them).
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(rest::conversations, rest::messages, rest::send_direct, rest::read, rest::presence, socket::connect),
    components(schemas(ErrorBody))
)]
pub struct ApiDoc;

/// This contract's error: `{"error": "…"}` (`V1ErrorBody` in the document, beside the core's).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = V1ErrorBody)]
pub struct ErrorBody {
    pub error: String,
}

/// A core id as this contract writes it.
fn id(id: i64) -> String {
    id.to_string()
}
