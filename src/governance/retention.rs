//! Retention: the content of messages older than the school's retention (its own, or
//! `RETENTION_DAYS`) goes, oldest first, in batches of `PURGE_BATCH`. What stays: that each message existed, who sent it, when, and that
//! it was purged (history shows a placeholder; counts and read markers do not change).

use time::OffsetDateTime;

use super::{RETENTION_LOCK, pause, purges};
use crate::AppState;
use crate::log::{Purge, store};

/// Purges the messages past the school's retention as of `now` (the replica's clock; a test's
/// own), if it has one. Returns how many messages this call purged.
pub async fn run_at(state: &AppState, now: OffsetDateTime) -> anyhow::Result<u64> {
    match state.school.retention() {
        Some(keep) => purge(state, now - keep).await,
        None => Ok(0),
    }
}

/// Purges every message created before `before`, batch after batch, unless another replica is
/// at it. `before` is the caller's clock less `RETENTION_DAYS` (a test sets it); the log
/// refuses a horizon in its own future. Returns how many messages this call purged.
pub async fn purge(state: &AppState, before: OffsetDateTime) -> anyhow::Result<u64> {
    // Who read which chat goes with the messages: kept as long, no longer.
    let client = state.db.get().await?;
    client.execute("SELECT access_records_purge($1)", &[&before]).await?;
    // So do guardians' closure requests' reasons: a person's words, kept as long as messages.
    client.execute("SELECT closure_requests_purge($1)", &[&before]).await?;
    drop(client);
    // The progress /metrics shows: what is past the horizon, less what each batch purges.
    let backlog: i64 = state
        .db
        .get()
        .await?
        .query_one("SELECT count(*) FROM messages WHERE purged_at IS NULL AND created_at < $1", &[&before])
        .await?
        .get(0);
    metrics::gauge!(crate::metrics::RETENTION_BACKLOG).set(backlog as f64);
    let mut purged = 0;
    loop {
        match purge_batch(state, before).await? {
            Batch::Purged(n) => {
                purged += n;
                metrics::gauge!(crate::metrics::RETENTION_BACKLOG).decrement(n as f64);
            }
            Batch::Done | Batch::Busy => return Ok(purged),
        }
        if !pause(state, state.config.governance.purge_pause).await {
            return Ok(purged);
        }
    }
}

enum Batch {
    Purged(u64),
    /// Nothing older than the horizon is left.
    Done,
    /// Another replica holds the retention lock.
    Busy,
}

async fn purge_batch(state: &AppState, before: OffsetDateTime) -> anyhow::Result<Batch> {
    let mut client = state.db.get().await?;
    let tx = client.transaction().await?;
    let locked: bool =
        tx.query_one("SELECT pg_try_advisory_xact_lock($1, $2)", &[&RETENTION_LOCK.0, &RETENTION_LOCK.1]).await?.get(0);
    if !locked {
        return Ok(Batch::Busy);
    }
    let rows = tx
        .query(
            "SELECT id, chat_id FROM messages WHERE purged_at IS NULL AND created_at < $1 ORDER BY created_at LIMIT $2",
            &[&before, &state.config.governance.purge_batch],
        )
        .await?;
    if rows.is_empty() {
        metrics::gauge!(crate::metrics::RETENTION_BACKLOG).set(0.0);
        return Ok(Batch::Done);
    }
    let events = purges(&rows, Purge::Retention { before });
    store::append(&*tx, &events).await?;
    tx.commit().await?;
    let n = rows.len() as u64;
    metrics::counter!(crate::metrics::MESSAGES_PURGED, "cause" => "retention").increment(n);
    Ok(Batch::Purged(n))
}
