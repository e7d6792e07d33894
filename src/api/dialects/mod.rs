//! Dialects: other client contracts served on the same core. A dialect is an adapter, never a
//! second core: it translates its contract's requests into the core's operations (`access`
//! decides, the log appends, the hub fans out) and the core's answers and events into its
//! contract's shapes. It holds no rule of its own; a rule it needs belongs to the core.
//!
//! - [`v1`]: `/api/v1`, REST and one WebSocket per user (docs/dialect-v1.md);
//! - [`unet_chat`]: `/api/unet-chat`, REST and one WebSocket per conversation
//!   (docs/dialect-unet-chat.md);
//! - [`marketplace`]: `/api/chat` and `/health`, the marketplace chat read as a school, with
//!   one WebSocket per chat (docs/dialect-marketplace.md);
//! - [`messenger`]: `/api/messenger` and Socket.IO at `/socket.io/` (docs/dialect-messenger.md).

use axum::Router;
use axum::response::{IntoResponse, Response};

use crate::AppState;

pub mod marketplace;
pub mod messenger;
pub mod socket;
pub mod unet_chat;
pub mod v1;

/// Every dialect's routes.
pub fn router() -> Router<AppState> {
    Router::new().merge(v1::router()).merge(unet_chat::router()).merge(marketplace::router()).merge(messenger::router())
}

/// Every dialect's part of the OpenAPI document (the core's `api::openapi` merges it).
pub fn document() -> utoipa::openapi::OpenApi {
    use utoipa::OpenApi;
    v1::ApiDoc::openapi()
        .merge_from(unet_chat::ApiDoc::openapi())
        .merge_from(marketplace::ApiDoc::openapi())
        .merge_from(messenger::ApiDoc::openapi())
}

/// The dialects whose contracts answer an error as `{"error": "…"}` alone, by path prefix, and
/// the name of that shape in the OpenAPI document.
const ERROR_ONLY: &[(&str, &str)] =
    &[("/api/v1/", "V1ErrorBody"), ("/api/unet-chat/", "UnetErrorBody"), ("/api/messenger/", "MessengerErrorBody")];

/// Every dialect's part of the completed OpenAPI document (`api::openapi`): the errors of an
/// [`ERROR_ONLY`] dialect's routes are its contract's shape, not the core's `ErrorBody`.
pub fn in_document(document: &mut serde_json::Value) {
    fn named(value: &mut serde_json::Value, schema: &str) {
        match value {
            serde_json::Value::Object(map) => {
                if map.get("$ref").and_then(|r| r.as_str()) == Some("#/components/schemas/ErrorBody") {
                    map.insert("$ref".into(), format!("#/components/schemas/{schema}").into());
                }
                map.values_mut().for_each(|v| named(v, schema));
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(|v| named(v, schema)),
            _ => {}
        }
    }
    let Some(paths) = document.get_mut("paths").and_then(|p| p.as_object_mut()) else { return };
    for (path, item) in paths.iter_mut() {
        if let Some((_, schema)) = ERROR_ONLY.iter().find(|(prefix, _)| path.starts_with(prefix)) {
            named(item, schema);
        }
    }
}

/// An answer of an [`ERROR_ONLY`] dialect, with an error in that shape: the core's status,
/// headers (`Retry-After`) and sentence, as `{"error": "…"}` (the core's `code` left out),
/// whichever part refused it (authentication, an extractor, a rule).
pub async fn error_only(response: Response) -> Response {
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
    (parts, axum::Json(serde_json::json!({ "error": error }))).into_response()
}

/// A core frame (an event stream's bytes, which the hub shares with every connection) as its
/// event's name and data, for a dialect to reshape; None for a comment or a frame without data.
pub fn core_event(bytes: &[u8]) -> Option<(&str, serde_json::Value)> {
    let text = std::str::from_utf8(bytes).ok()?;
    let (mut event, mut data) = (None, None);
    for line in text.lines() {
        if let Some(value) = line.strip_prefix("event: ") {
            event = Some(value);
        } else if let Some(value) = line.strip_prefix("data: ") {
            data = Some(value);
        }
    }
    Some((event?, serde_json::from_str(data?).ok()?))
}
