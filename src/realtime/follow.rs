//! Streams follow their users. A token stays valid until it expires, but a user may be deleted
//! or change role before then (an admin demoted, say), and an open stream was authorized for
//! what the user was. Every `USER_CACHE_SECS` the replica reads the current role of every user
//! with a stream open here, in one query, and ends the streams whose user is gone or has
//! another role; their clients reconnect with `Last-Event-ID` and are authorized afresh (the
//! replica forgets what it had cached of those users first, so that the reconnect is not
//! authorized with the old role).

use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::Pool;
use tokio_util::sync::CancellationToken;

use super::Hub;
use crate::auth::users::{self, UserCache};

/// Runs until `shutdown`, checking every `period` (at least a second).
pub async fn follow_users(
    hub: Arc<Hub>,
    cache: Arc<UserCache>,
    db: Pool,
    period: Duration,
    shutdown: CancellationToken,
) {
    let mut every = tokio::time::interval(period.max(Duration::from_secs(1)));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = every.tick() => {}
        }
        let ids = hub.present_users();
        if ids.is_empty() {
            continue;
        }
        // A database that does not answer keeps every stream as it is.
        let roles = match db.get().await {
            Ok(client) => users::roles_of(&**client, &ids).await,
            Err(e) => Err(e.into()),
        };
        match roles {
            Ok(roles) => {
                let changed = hub.close_changed(&roles);
                if !changed.is_empty() {
                    tracing::info!(users = ?changed, "closed the streams of users who are gone or have another role");
                    cache.forget(changed);
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot re-check the users of open streams"),
        }
    }
}
