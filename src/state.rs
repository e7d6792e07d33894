//! The application's shared state: one `AppState` that every REST handler can reach, and the
//! narrower states of the areas that must not depend on the whole app (authentication, the
//! event stream), taken from it with `FromRef`. Each is one `Arc`: a request's extractors
//! clone a reference count per state, not one per part (those counts are shared between the
//! cores, and the clones showed in profiles of the write path).

use std::sync::Arc;

use axum::extract::FromRef;
use deadpool_postgres::Pool;
use tokio_util::sync::CancellationToken;

use crate::Config;
use crate::auth::oidc::Oidc;
use crate::auth::users::UserCache;
use crate::auth::{AuthParts, AuthState, Keys};
use crate::limits::Limits;
use crate::log::Appender;
use crate::realtime::signals::{SignalSender, TypingThrottle};
use crate::realtime::{Hub, RealtimeParts, RealtimeState};
use crate::standby::Reads;
use crate::storage::Storage;

/// What every handler can reach (its fields through `Deref`: `state.db`, `state.hub`, …).
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

/// The parts of [`AppState`].
pub struct Shared {
    pub db: Pool,
    /// History, chat lists and replays: on a standby when there is one (`crate::standby`).
    pub reads: Arc<Reads>,
    pub keys: Arc<Keys>,
    /// The school's OpenID Provider, when one is configured.
    pub oidc: Option<Arc<Oidc>>,
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
    /// Which typing signals are forwarded, and how.
    pub typing: Arc<TypingThrottle>,
    pub signals: Arc<SignalSender>,
    /// Attachments' bytes.
    pub storage: Arc<Storage>,
    /// The background jobs' supervisor (what `/readyz` asks about them).
    pub jobs: Arc<crate::jobs::Jobs>,
    /// The wall clock of the school's policies (quiet hours), which a test can move.
    pub clock: Arc<crate::clock::Clock>,
    /// The school's settings as they hold now (its own, or the deployment's defaults).
    pub school: Arc<crate::school::Settings>,
}

struct Inner {
    shared: Shared,
    auth: AuthState,
    realtime: RealtimeState,
}

impl AppState {
    pub fn new(shared: Shared) -> Self {
        let auth = AuthState::new(AuthParts {
            keys: shared.keys.clone(),
            users: shared.users.clone(),
            db: shared.db.clone(),
            config: shared.config.clone(),
            oidc: shared.oidc.clone(),
            revoked: shared.hub.revoked().clone(),
            school: shared.school.clone(),
        });
        let realtime = RealtimeState::new(RealtimeParts {
            hub: shared.hub.clone(),
            db: shared.db.clone(),
            reads: shared.reads.clone(),
            config: shared.config.clone(),
            limits: shared.limits.clone(),
            shutdown: shared.shutdown.clone(),
        });
        Self(Arc::new(Inner { shared, auth, realtime }))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0.shared
    }
}

impl FromRef<AppState> for AuthState {
    fn from_ref(state: &AppState) -> Self {
        state.0.auth.clone()
    }
}

impl FromRef<AppState> for crate::peer::TrustedProxies {
    fn from_ref(state: &AppState) -> Self {
        Self(state.config.http.trusted_proxies.clone())
    }
}

impl FromRef<AppState> for RealtimeState {
    fn from_ref(state: &AppState) -> Self {
        state.0.realtime.clone()
    }
}
