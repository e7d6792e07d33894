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

/// Every dialect's part of the completed OpenAPI document: each answers errors in its own shape.
pub fn in_document(document: &mut serde_json::Value) {
    v1::in_document(document);
    unet_chat::in_document(document);
    messenger::in_document(document);
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
