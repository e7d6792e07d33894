//! The messenger's contract: REST at `/api/messenger` in a `{success, data}` envelope and
//! Socket.IO at `/socket.io/` (docs/dialect-messenger.md). Its conversation is a core chat,
//! its message a core message, its ids the core's integers, its times ISO 8601. Every route and
//! event calls the core's operation (the same access rule, the same append, the same hub) and
//! only reshapes what goes in and comes out; errors keep the core's status as `{"error": "…"}`.
//!
//! - `rest.rs`: the four REST routes;
//! - `socket.rs`: the Socket.IO server, a hub connection per socket, and its events.

use axum::Router;
use serde::Serialize;

use crate::AppState;

mod rest;
mod socket;

pub use rest::{Conversation, ConversationList, Created, Envelope, Message, MessageList, Unread};

/// The routes of `/api/messenger` and `/socket.io/`.
pub fn router() -> Router<AppState> {
    rest::router().layer(axum::middleware::map_response(super::v1::own_shape)).merge(socket::router())
}

/// The dialect's REST routes, for the OpenAPI document (the socket's events are described in
/// docs/dialect-messenger.md: OpenAPI cannot state them).
#[derive(utoipa::OpenApi)]
#[openapi(paths(rest::conversations, rest::open, rest::messages, rest::unread_count), components(schemas(ErrorBody)))]
pub struct ApiDoc;

/// This contract's error: `{"error": "…"}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = MessengerErrorBody)]
pub struct ErrorBody {
    pub error: String,
}

/// The dialect's part of the OpenAPI document: every error its routes answer is this
/// contract's `MessengerErrorBody`, not the core's `ErrorBody`.
pub fn in_document(document: &mut serde_json::Value) {
    fn ours(value: &mut serde_json::Value) {
        match value {
            serde_json::Value::Object(map) => {
                if map.get("$ref").and_then(|r| r.as_str()) == Some("#/components/schemas/ErrorBody") {
                    map.insert("$ref".into(), "#/components/schemas/MessengerErrorBody".into());
                }
                map.values_mut().for_each(ours);
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(ours),
            _ => {}
        }
    }
    let Some(paths) = document.get_mut("paths").and_then(|p| p.as_object_mut()) else { return };
    paths.iter_mut().filter(|(path, _)| path.starts_with("/api/messenger/")).for_each(|(_, item)| ours(item));
}
