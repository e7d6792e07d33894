//! Streams follow their users. A token stays valid until it expires, but a user may be deleted
//! or change role before then (an admin demoted, say), and an open stream was authorized for
//! what the user was. Every half `USER_CACHE_SECS` the replica reads, in one query, every user
//! with a stream open here and every user its cache holds (`UserCache::refresh`), and ends the
//! streams whose user is gone or has another role; their clients reconnect with
//! `Last-Event-ID` and are authorized afresh, with the role just read.

use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::Pool;
use tokio_util::sync::CancellationToken;

use super::Hub;
use crate::auth::users::UserCache;

/// Runs until `shutdown`, checking every half `period` (at least every second), so that a
/// cached entry is refreshed before it is `period` old.
pub async fn follow_users(
    hub: Arc<Hub>,
    cache: Arc<UserCache>,
    db: Pool,
    period: Duration,
    shutdown: CancellationToken,
) {
    let mut every = tokio::time::interval((period / 2).max(Duration::from_secs(1)));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = every.tick() => {}
        }
        let present = hub.present_users();
        // A database that does not answer keeps every stream as it is (and cached entries
        // expire on their own).
        let roles = match db.get().await {
            Ok(client) => cache.refresh(&**client, &present).await,
            Err(e) => Err(e.into()),
        };
        match roles {
            Ok(roles) => {
                let changed = hub.close_changed(&present, &roles);
                if !changed.is_empty() {
                    tracing::info!(users = ?changed, "closed the streams of users who are gone or have another role");
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot re-check the users of open streams"),
        }
    }
}
