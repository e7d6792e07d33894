//! Real-time delivery: the listener feeds the hub, the hub feeds SSE connections.

pub mod frames;
pub mod hub;
pub mod listener;
pub mod stream;

use axum::Router;
use axum::routing::get;

use crate::AppState;

pub use hub::Hub;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/events/chat", get(stream::stream))
}
