//! Real-time delivery: the listener feeds the hub, the hub feeds the event streams (the
//! endpoint that opens one, authorizes it and replays what was missed is `api::events`).

pub mod follow;
pub mod frames;
pub mod hub;
pub mod listener;
pub mod presence;
pub mod signals;

use std::sync::Arc;

use deadpool_postgres::Pool;
use tokio_util::sync::CancellationToken;

pub use hub::Hub;

use crate::config::Config;
use crate::limits::Limits;

/// What the event stream needs from the application. One `Arc` (each open stream holds it).
#[derive(Clone)]
pub struct RealtimeState(Arc<RealtimeParts>);

impl RealtimeState {
    pub fn new(parts: RealtimeParts) -> Self {
        Self(Arc::new(parts))
    }
}

impl std::ops::Deref for RealtimeState {
    type Target = RealtimeParts;
    fn deref(&self) -> &RealtimeParts {
        &self.0
    }
}

pub struct RealtimeParts {
    pub hub: Arc<Hub>,
    /// For the log head.
    pub db: Pool,
    /// For replays (on a standby when there is one).
    pub reads: Arc<crate::standby::Reads>,
    pub config: Arc<Config>,
    /// Per-user rate of stream opens.
    pub limits: Arc<Limits>,
    /// Cancelled on shutdown: every stream ends.
    pub shutdown: CancellationToken,
}
