//! Dialects: other client contracts served on the same core. A dialect is an adapter, never a
//! second core: it translates its contract's requests into the core's operations (`access`
//! decides, the log appends, the hub fans out) and the core's answers and events into its
//! contract's shapes. It holds no rule of its own; a rule it needs belongs to the core.
//!
//! - [`v1`]: `/api/v1`, REST and one WebSocket per user (docs/dialect-v1.md).
//! - [`unet_chat`]: `/api/unet-chat`, REST and one WebSocket per conversation (docs/dialect-unet-chat.md).

use axum::Router;

use crate::AppState;

pub mod unet_chat;
pub mod v1;

/// Every dialect's routes.
pub fn router() -> Router<AppState> {
    Router::new().merge(v1::router()).merge(unet_chat::router())
}
