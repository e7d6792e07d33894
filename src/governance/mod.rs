//! Children's data, governed: the background work behind retention and erasure, and the end of
//! idle inquiries (`inquiries.rs`). Content goes by redaction: a `messages_purged` event of the
//! log names the messages, and its append blanks their text and files everywhere they are kept
//! (the log's own copies too; see `sql/functions/events_purge.sql` and docs/governance.md). This
//! module decides what to purge and when, in bounded batches, and deletes the purged files'
//! bytes.
//!
//! Every replica runs the loop; each batch takes a transaction-scoped advisory lock first, so
//! one replica at a time works while the others skip their turn. Each batch commits on its
//! own and everything left to do is read from the database, so a replica that dies halfway
//! leaves the rest to the next pass, of any replica.

pub mod erasure;
mod files;
mod inquiries;
pub mod ledger;
pub mod retention;

use std::collections::BTreeMap;
use std::time::Duration;

use crate::AppState;
use crate::log::{NewEvent, Purge};

pub use files::delete_purged_files;
pub use inquiries::{close_idle, forget_addresses, keep_closing};

/// Advisory-lock keys, one for retention and one for erasures. Taken: (1953854575, 1) the
/// log's appends in flight, (1953854575, 5) its draw and (1953854575, 8) transactions that draw
/// more than once (`events_append`), (1953854575, 2) presence (`presence_lock`),
/// (1953854575, 6) the flagger's round, (1953854575, 7) the notices' fan-out (`notices_fan_out`).
const RETENTION_LOCK: (i32, i32) = (1953854575, 4);
const ERASURE_LOCK: (i32, i32) = (1953854575, 3);

/// At start, the erasures the erasure ledger has and the database lacks (a restore undid them)
/// asked for again, and the erasures a stopped replica left half done; then every
/// `PURGE_EVERY_SECS` until shutdown: retention (when the school has one: its own, or
/// `RETENTION_DAYS`), the erasures asked for, and the bytes of purged files, and the ledger
/// again until it was read once.
/// (Retention waits a period: a restart need not count its backlog.)
pub async fn keep_governing(state: AppState) {
    let mut ledger_kept = keep_the_ledger(&state).await;
    govern_erasures(&state).await;
    let every = state.config.governance.purge_every;
    let mut tick = tokio::time::interval(every);
    tick.tick().await; // the first one is now: done above
    let asked = state.jobs.nudges(JOB);
    loop {
        tokio::select! {
            _ = state.shutdown.cancelled() => return,
            () = asked.notified() => {
                govern_erasures(&state).await;
                continue;
            }
            _ = tick.tick() => {}
        }
        if let Err(e) = retention::run_at(&state, time::OffsetDateTime::now_utc()).await {
            tracing::warn!(error = format!("{e:#}"), "retention failed; it runs again later");
        }
        if !ledger_kept {
            ledger_kept = keep_the_ledger(&state).await;
        }
        govern_erasures(&state).await;
    }
}

/// The governance job's name among the supervised jobs.
pub const JOB: &str = "governance";

/// Runs the erasures asked for, and deletes purged files, now (in the governance job, as soon
/// as it is free): what `POST /api/admin/users/{id}/erase` asks for.
pub fn erase_soon(state: &AppState) {
    state.jobs.nudge(JOB);
}

/// The erasure ledger and the database brought to agree: the ledger's erasures asked for
/// again where the database has the person back, the database's recorded where the ledger
/// lacks them. `false` when either failed (the database or the storage unreachable): the job
/// tries again at its next pass.
async fn keep_the_ledger(state: &AppState) -> bool {
    match ledger::reapply(&state.db, &state.storage).await {
        Ok(done) => {
            if !done.asked_again.is_empty() || !done.unattributed.is_empty() {
                tracing::warn!(asked_again = ?done.asked_again, unattributed = ?done.unattributed, "erasure ledger re-applied");
            }
        }
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "the erasure ledger could not be re-applied; it is tried again");
            return false;
        }
    }
    match ledger::record_missing(&state.db, &state.storage).await {
        Ok(_) => true,
        Err(e) => {
            tracing::warn!(error = format!("{e:#}"), "the erasure ledger could not be completed; it is tried again");
            false
        }
    }
}

async fn govern_erasures(state: &AppState) {
    if let Err(e) = erasure::run(state).await {
        tracing::warn!(error = format!("{e:#}"), "an erasure failed; it resumes on the next pass");
    }
    if let Err(e) = delete_purged_files(&state.db, &state.storage).await {
        tracing::warn!(error = format!("{e:#}"), "deleting purged files failed; it resumes on the next pass");
    }
}

/// One `messages_purged` event per chat of `rows` (each with `id` and `chat_id`).
fn purges(rows: &[tokio_postgres::Row], purge: Purge) -> Vec<NewEvent> {
    let mut chats: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for row in rows {
        chats.entry(row.get("chat_id")).or_default().push(row.get("id"));
    }
    chats.into_iter().map(|(chat_id, message_ids)| NewEvent::MessagesPurged { chat_id, message_ids, purge }).collect()
}

/// The pause between two batches (a shutdown cuts it short: `false`).
async fn pause(state: &AppState, pause: Duration) -> bool {
    tokio::select! {
        _ = state.shutdown.cancelled() => false,
        _ = tokio::time::sleep(pause) => true,
    }
}
