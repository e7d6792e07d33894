//! The outbox: what must leave the system because of an event, delivered at least once by
//! whichever replica claims it first.
//!
//! The notices themselves are written from the log, after the message's commit
//! (`notices_fan_out()`, `sql/functions/notices_fan_out.sql`, called by the notices worker
//! before each claim): one per user and chat, folding later messages into its `count`, for
//! members with no event stream open on any replica then. Nothing per member is written in the
//! append itself, so a message to a class of 257 costs what one to a pair does. A cursor
//! (`notices_fanned_out`) moves with the notices, in their transaction, so none is lost or
//! written twice when a replica dies between "message committed" and "notices recorded": the
//! next round, on any replica, writes them. Two deliveries take them from there, each a
//! [`Delivery`] run by the one worker loop [`work`] on every replica:
//! - [`notices`]: claims due notices (or cancels the moot ones), writes their Web Pushes, and
//!   posts them to the school's webhook when there is one;
//! - [`push`]: sends each browser's Web Push.
//!
//! Each claims with `FOR UPDATE SKIP LOCKED` and a lease (`NOTIFY_LEASE_SECS`), so one replica
//! at a time delivers an item, and one that dies holding it leaves it to be claimed again when
//! the lease runs out. Settled notices are deleted after `NOTIFY_KEEP_SECS` ([`keep_purging`]).

pub mod email;
pub mod notices;
mod purge;
pub mod push;
mod webhook;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::Pool;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use crate::config::NotifyConfig;

pub use notices::{Notice, announce};
pub use purge::{keep_purging, purge};
pub use webhook::signature;

/// One kind of delivery the outbox's worker runs: what it claims and how it delivers one item
/// (recording the outcome: delivered, retried later, or failed for good).
pub trait Delivery: Send + Sync + 'static {
    type Item: Send;
    /// The most items claimed at once.
    const BATCH: usize;

    /// Claims the due items (at most [`Delivery::BATCH`]), each leased to this replica.
    fn claim(&self, pool: &Pool) -> impl Future<Output = anyhow::Result<Vec<Self::Item>>> + Send;

    /// Delivers one claimed item and records the outcome.
    fn deliver(&self, pool: &Pool, item: Self::Item) -> impl Future<Output = ()> + Send;

    /// After each round of claims (for gauges): nothing by default.
    fn after_round(&self, _pool: &Pool) -> impl Future<Output = ()> + Send {
        async {}
    }
}

/// Deliveries one worker has under way at most, as whole batches: a delivery that hangs (a push
/// service that never answers, until its request's deadline) holds its own slot, not the next
/// claim.
const IN_FLIGHT: usize = 4;

/// The worker: claims due items and delivers each on its own task, and claims again at once
/// when the batch was full, else after `tick`, while there is room for another batch
/// ([`IN_FLIGHT`] batches), until shutdown; then lets the deliveries under way finish (each
/// within its own deadline; an item cut short is claimed again after its lease).
pub async fn work<D: Delivery>(delivery: D, pool: Pool, tick: Duration, shutdown: CancellationToken) {
    let delivery = Arc::new(delivery);
    let slots = Arc::new(Semaphore::new(IN_FLIGHT * D::BATCH));
    let mut flying = tokio::task::JoinSet::new();
    loop {
        let mut room = tokio::select! {
            _ = shutdown.cancelled() => break,
            room = slots.clone().acquire_many_owned(D::BATCH as u32) => room.expect("the semaphore is never closed"),
        };
        let claimed = delivery.claim(&pool).await.unwrap_or_else(|e| {
            tracing::warn!(error = format!("{e:#}"), "cannot claim from the outbox; trying again shortly");
            Vec::new()
        });
        let full = claimed.len() == D::BATCH;
        for item in claimed {
            let slot = room.split(1).expect("a slot per item of the batch");
            let (delivery, pool) = (delivery.clone(), pool.clone());
            flying.spawn(async move {
                delivery.deliver(&pool, item).await;
                drop(slot);
            });
        }
        drop(room);
        while flying.try_join_next().is_some() {}
        delivery.after_round(&pool).await;
        if full {
            continue;
        }
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = tokio::time::sleep(tick) => {}
        }
    }
    while flying.join_next().await.is_some() {}
}

/// How often a worker looks for due items when the last batch was not full.
fn tick(config: &NotifyConfig) -> Duration {
    (config.grace / 2).clamp(Duration::from_millis(100), Duration::from_secs(1))
}

/// The outbox's jobs, each run under the replica's supervisor from the same configuration.
#[derive(Debug, Clone, Copy)]
pub enum Job {
    Notices,
    Pushes,
    Purge,
}

impl Job {
    pub const ALL: [Job; 3] = [Job::Notices, Job::Pushes, Job::Purge];

    /// Its name among the supervised jobs.
    pub fn name(self) -> &'static str {
        match self {
            Self::Notices => "notices",
            Self::Pushes => "pushes",
            Self::Purge => "notice-purge",
        }
    }

    /// One run of it; it returns at once when there is nothing to deliver here (no webhook and
    /// no VAPID key, or no VAPID key for the pushes).
    pub fn run(
        self,
        pool: Pool,
        config: NotifyConfig,
        school: std::sync::Arc<crate::school::Settings>,
        shutdown: CancellationToken,
    ) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        match self {
            Self::Notices => Box::pin(async move {
                if let Some(notices) = notices::Notices::new(&config, school) {
                    work(notices, pool, tick(&config), shutdown).await;
                }
            }),
            Self::Pushes => Box::pin(async move {
                if let Some(pushes) = push::Pushes::new(&config) {
                    work(pushes, pool, tick(&config), shutdown).await;
                }
            }),
            Self::Purge => Box::pin(keep_purging(pool, config.keep, shutdown)),
        }
    }
}
