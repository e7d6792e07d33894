//! The application's shared state: one `AppState` that every REST handler can reach, and the
//! narrower states of the areas that must not depend on the whole app (authentication, the
//! event stream), taken from it with `FromRef`.

use std::sync::Arc;

use axum::extract::FromRef;
use deadpool_postgres::Pool;
use tokio_util::sync::CancellationToken;

use crate::Config;
use crate::auth::users::UserCache;
use crate::auth::{AuthState, Keys};
use crate::limits::Limits;
use crate::log::Appender;
use crate::realtime::{Hub, RealtimeState};

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub db: Pool,
    pub keys: Arc<Keys>,
    pub config: Arc<Config>,
    pub hub: Arc<Hub>,
    /// Cancelled on shutdown: the server stops accepting and every event stream ends.
    pub shutdown: CancellationToken,
    pub metrics: metrics_exporter_prometheus::PrometheusHandle,
    /// The only way handlers write to the log.
    pub appender: Arc<Appender>,
    pub users: Arc<UserCache>,
    /// Per-user request rates.
    pub limits: Arc<Limits>,
}

impl FromRef<AppState> for AuthState {
    fn from_ref(state: &AppState) -> Self {
        Self {
            keys: state.keys.clone(),
            users: state.users.clone(),
            db: state.db.clone(),
            config: state.config.clone(),
        }
    }
}

impl FromRef<AppState> for RealtimeState {
    fn from_ref(state: &AppState) -> Self {
        Self {
            hub: state.hub.clone(),
            db: state.db.clone(),
            config: state.config.clone(),
            users: state.users.clone(),
            limits: state.limits.clone(),
            shutdown: state.shutdown.clone(),
        }
    }
}
