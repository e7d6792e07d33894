//! `/api/v1`: five REST routes and one WebSocket per user, for clients written to that
//! contract (docs/dialect-v1.md). Its conversation is a core chat, its message a core message,
//! its ids the core's written as decimal strings, its times epoch seconds on the socket and in
//! presence, RFC 3339 elsewhere. Every route calls the core's operation (the same access rule,
//! the same append, the same hub) and only reshapes what goes in and comes out; errors keep
//! the core's status and sentence, in this contract's shape `{"error": "…"}` ([`own_shape`]).
//!
//! - `rest.rs`: the REST routes;
//! - `socket.rs`: `GET /api/v1/ws`, a hub connection like an event stream's, and its frames.

use axum::Json;
use axum::Router;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::AppState;

mod rest;
mod socket;

pub use rest::{Conversation, Conversations, Message, Messages, Presence, SendBody, Sent};

/// The routes of `/api/v1`.
pub fn router() -> Router<AppState> {
    rest::router().merge(socket::router()).layer(axum::middleware::map_response(own_shape))
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

/// Every answer of the dialect with an error in this contract's shape: the core's status,
/// headers (`Retry-After`) and sentence, as `{"error": "…"}` (the core's `code` left out),
/// whichever part refused it (authentication, an extractor, a rule).
pub(super) async fn own_shape(response: Response) -> Response {
    if !(response.status().is_client_error() || response.status().is_server_error()) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, 64 * 1024).await.unwrap_or_default();
    let error = serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_owned))
        .unwrap_or_else(|| parts.status.canonical_reason().unwrap_or("error").to_lowercase());
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    (parts, Json(ErrorBody { error })).into_response()
}

/// A core id as this contract writes it.
fn id(id: i64) -> String {
    id.to_string()
}

/// The dialect's part of the OpenAPI document, once the rules every operation follows have
/// completed it (`api::openapi`): every error its routes answer is this contract's
/// `V1ErrorBody`, not the core's `ErrorBody`.
pub fn in_document(document: &mut serde_json::Value) {
    fn ours(value: &mut serde_json::Value) {
        match value {
            serde_json::Value::Object(map) => {
                if map.get("$ref").and_then(|r| r.as_str()) == Some("#/components/schemas/ErrorBody") {
                    map.insert("$ref".into(), "#/components/schemas/V1ErrorBody".into());
                }
                map.values_mut().for_each(ours);
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(ours),
            _ => {}
        }
    }
    let Some(paths) = document.get_mut("paths").and_then(|p| p.as_object_mut()) else { return };
    paths.iter_mut().filter(|(path, _)| path.starts_with("/api/v1/")).for_each(|(_, item)| ours(item));
}
