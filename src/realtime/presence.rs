//! Presence: a user is online while at least one of their event streams is open, on any
//! replica.
//!
//! ## The data model, and why
//!
//! Each replica knows its own streams exactly (the hub counts them per user). What needs
//! sharing is only which replicas a user has streams on, so PostgreSQL holds (see
//! `sql/functions/presence_*.sql`):
//!
//! - a **lease per replica** (`presence_replicas`, a random id per process), renewed every
//!   `PRESENCE_LEASE_SECS / 4`: one write per replica, not per user;
//! - a **row per user and replica** (`presence_streams`), written when the user's first stream
//!   on that replica opens and deleted when their last one there closes (plus the grace
//!   below): one write per transition per replica, however many tabs;
//! - **`last_seen` per user** (`user_presence`), written when they go offline everywhere.
//!
//! The first two are UNLOGGED (no WAL, no disk flush; emptied by a PostgreSQL crash, when no
//! stream survives anyway); `last_seen` is an ordinary table and survives restarts of
//! everything. The SQL functions that change them serialize on one advisory lock and announce
//! each transition (`presence` signal) exactly once, whichever replicas race.
//!
//! Why not a counter per user: a replica killed with `kill -9` can never decrement it. With
//! rows per replica under a lease, its users simply stop counting when the lease runs out,
//! and the next renewal by any other replica sweeps them (announcing those who are now
//! offline, last seen at the dead replica's last renewal). A restarted replica has a new id,
//! so it never inherits ghosts; its old id is swept the same way.
//!
//! ## Timing
//!
//! - **Moves without a flap.** When a user's last stream here closes, the row stays for
//!   `PRESENCE_GRACE_SECS`; a stream reopened here within it cancels the close, and one opened
//!   on another replica finds the user still online, so nothing is announced either way.
//!   After the grace, the row goes and, if no other replica has the user, they go offline with
//!   `last_seen` = the moment the stream closed, by the database's clock: the replica says how
//!   long ago that was (its monotonic clock), never when (replicas' wall clocks may be skewed).
//! - **Shutdown.** A replica stopping gracefully shortens its lease to the grace: its clients
//!   reconnect elsewhere without a flap, and the rest are swept after it.
//! - **Crash.** Offline within `PRESENCE_LEASE_SECS` + one renewal period (`lease / 4`) of the
//!   replica's last renewal.
//! - **Database errors.** A change that fails is retried on the next renewal (the replica
//!   reconciles what it has recorded with the streams it holds); if its own lease lapsed
//!   meanwhile and was swept, it registers its users again.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use deadpool_postgres::Pool;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::hub::{Hub, StreamChange};
use crate::config::PresenceConfig;

/// The replica's presence task, as replica `replica`: it runs until `shutdown`, then shortens
/// its lease. Run under the job supervisor (`crate::jobs`): a run that starts after a panic
/// takes over what the last one recorded, and closes what was closed meanwhile.
pub async fn run(hub: Arc<Hub>, db: Pool, config: PresenceConfig, replica: Uuid, shutdown: CancellationToken) {
    let (changes, events) = mpsc::unbounded_channel();
    hub.report_changes(changes);
    let mut tracker = Tracker { replica, hub, db, config, recorded: HashSet::new(), closing: HashMap::new() };
    tracker.take_over().await;
    tracker.run(events, shutdown).await;
}

struct Tracker {
    replica: Uuid,
    hub: Arc<Hub>,
    db: Pool,
    config: PresenceConfig,
    /// Users with a `presence_streams` row of this replica.
    recorded: HashSet<i64>,
    /// Users whose last stream here closed (when), waiting out the grace.
    closing: HashMap<i64, Instant>,
}

impl Tracker {
    /// What this replica has recorded already (by an earlier run of the task).
    async fn take_over(&mut self) {
        let recorded = async {
            let client = self.db.get().await?;
            let rows =
                client.query("SELECT user_id FROM presence_streams WHERE replica_id = $1", &[&self.replica]).await?;
            anyhow::Ok(rows.iter().map(|r| r.get::<_, i64>(0)).collect::<HashSet<i64>>())
        }
        .await;
        match recorded {
            Ok(recorded) => self.recorded = recorded,
            Err(e) => tracing::warn!(error = format!("{e:#}"), "presence: cannot read what this replica recorded"),
        }
    }

    async fn run(mut self, mut changes: mpsc::UnboundedReceiver<StreamChange>, shutdown: CancellationToken) {
        let mut renewal = tokio::time::interval(self.config.lease / 4);
        renewal.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut graces = tokio::time::interval(self.config.grace.min(Duration::from_secs(1)) / 2);
        graces.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                change = changes.recv() => match change {
                    Some(StreamChange::Opened(user)) => {
                        self.closing.remove(&user);
                        if !self.recorded.contains(&user) {
                            self.open(user).await;
                        }
                    }
                    Some(StreamChange::Closed(user, at)) => {
                        self.closing.insert(user, at);
                    }
                    None => break,
                },
                _ = graces.tick() => self.close_expired().await,
                _ = renewal.tick() => self.renew().await,
            }
        }
        self.leave().await;
    }

    async fn open(&mut self, user: i64) {
        let lease = self.config.lease;
        let result = async {
            let client = self.db.get().await?;
            let row = client
                .query_one(
                    "SELECT presence_open($1, $2, make_interval(secs => $3))",
                    &[&self.replica, &user, &lease.as_secs_f64()],
                )
                .await?;
            anyhow::Ok(row.get::<_, bool>(0))
        }
        .await;
        match result {
            Ok(came_online) => {
                tracing::debug!(user, came_online, "presence: stream opened");
                self.recorded.insert(user);
            }
            Err(e) => {
                metrics::counter!(crate::metrics::PRESENCE_ERRORS).increment(1);
                tracing::warn!(user, error = format!("{e:#}"), "presence: could not record an open stream; retrying");
            }
        }
    }

    /// Closes, in the database, users whose grace has passed with no stream here.
    async fn close_expired(&mut self) {
        let grace = self.config.grace;
        let due: Vec<(i64, Instant)> =
            self.closing.iter().filter(|(_, at)| at.elapsed() >= grace).map(|(u, at)| (*u, *at)).collect();
        for (user, at) in due {
            if self.hub.streams_of(user) > 0 {
                self.closing.remove(&user); // reopened meanwhile (its Opened is on its way)
                continue;
            }
            if !self.recorded.contains(&user) {
                self.closing.remove(&user);
                continue;
            }
            let result = async {
                let client = self.db.get().await?;
                // How long ago, not when: last_seen comes from the database's clock.
                let ago = at.elapsed().as_secs_f64();
                let row = client
                    .query_one(
                        "SELECT presence_close($1, $2, make_interval(secs => $3))",
                        &[&self.replica, &user, &ago],
                    )
                    .await?;
                anyhow::Ok(row.get::<_, bool>(0))
            }
            .await;
            match result {
                Ok(went_offline) => {
                    tracing::debug!(user, went_offline, "presence: last stream closed");
                    self.closing.remove(&user);
                    self.recorded.remove(&user);
                }
                Err(e) => {
                    metrics::counter!(crate::metrics::PRESENCE_ERRORS).increment(1);
                    tracing::warn!(user, error = format!("{e:#}"), "presence: could not record a close; retrying");
                    return; // the database is likely away: try again on the next tick
                }
            }
        }
    }

    /// Renews this replica's lease and sweeps expired ones; registers again what a sweep of
    /// this replica removed, and retries opens that failed.
    async fn renew(&mut self) {
        let lease = self.config.lease;
        let result = async {
            let client = self.db.get().await?;
            let existed: bool = client
                .query_one(
                    "SELECT presence_renew($1, make_interval(secs => $2))",
                    &[&self.replica, &lease.as_secs_f64()],
                )
                .await?
                .get(0);
            let swept: i32 = client.query_one("SELECT presence_sweep()", &[]).await?.get(0);
            anyhow::Ok((existed, swept))
        }
        .await;
        match result {
            Ok((existed, swept)) => {
                if swept > 0 {
                    tracing::info!(swept, "presence: users of expired replicas went offline");
                }
                if !existed {
                    self.recorded.clear(); // a new lease: nothing of ours is recorded any more
                }
            }
            Err(e) => {
                metrics::counter!(crate::metrics::PRESENCE_ERRORS).increment(1);
                tracing::warn!(error = format!("{e:#}"), "presence: could not renew the lease");
                return;
            }
        }
        let present: HashSet<i64> = self.hub.present_users().into_iter().collect();
        for user in &present {
            if !self.recorded.contains(user) {
                self.open(*user).await;
            }
        }
        // Recorded with no stream here and no close on its way (it happened while no task ran):
        // closed after the grace, as any other.
        let gone: Vec<i64> =
            self.recorded.iter().filter(|u| !present.contains(u) && !self.closing.contains_key(u)).copied().collect();
        for user in gone {
            self.closing.insert(user, Instant::now());
        }
    }

    async fn leave(&self) {
        let grace = self.config.grace.as_secs_f64();
        let result = async {
            let client = self.db.get().await?;
            client.execute("SELECT presence_leave($1, make_interval(secs => $2))", &[&self.replica, &grace]).await?;
            anyhow::Ok(())
        }
        .await;
        if let Err(e) = result {
            tracing::warn!(error = format!("{e:#}"), "presence: could not shorten the lease; it expires on its own");
        }
    }
}
