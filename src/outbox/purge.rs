//! The outbox's upkeep: settled notices and emails deleted after `NOTIFY_KEEP_SECS`.

use std::time::Duration;

use deadpool_postgres::Pool;
use tokio_util::sync::CancellationToken;

use crate::metrics::NOTICES_PURGED;

/// Settled notices deleted per statement.
const PURGE_BATCH: i32 = 1000;

/// Deletes the notices settled more than `keep` ago, [`PURGE_BATCH`] per statement, and the
/// emails settled as long ago (they hold no text, only that one was sent); returns how many
/// notices it deleted.
pub async fn purge(pool: &Pool, keep: Duration) -> anyhow::Result<usize> {
    let client = pool.get().await?;
    client
        .execute("DELETE FROM emails WHERE settled_at < now() - make_interval(secs => $1)", &[&keep.as_secs_f64()])
        .await?;
    let statement = client.prepare_cached("SELECT notices_purge(make_interval(secs => $1), $2)").await?;
    let mut deleted = 0;
    loop {
        let gone: i32 = client.query_one(&statement, &[&keep.as_secs_f64(), &PURGE_BATCH]).await?.get(0);
        deleted += gone as usize;
        if gone < PURGE_BATCH {
            return Ok(deleted);
        }
    }
}

/// Purges at start-up and then every hour (or every `keep`, if shorter) until shutdown.
pub async fn keep_purging(pool: Pool, keep: Duration, shutdown: CancellationToken) {
    let mut every = tokio::time::interval(keep.min(Duration::from_secs(3600)).max(Duration::from_secs(1)));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = every.tick() => {}
        }
        match purge(&pool, keep).await {
            Ok(0) => {}
            Ok(n) => {
                metrics::counter!(NOTICES_PURGED).increment(n as u64);
                tracing::info!(deleted = n, "deleted settled notices past NOTIFY_KEEP_SECS");
            }
            Err(e) => tracing::warn!(error = format!("{e:#}"), "the notice purge failed; it runs again later"),
        }
    }
}
