//! Erasure on request: once an admin asks (`user_erasure_requested`), the person's messages are
//! purged batch by batch (`messages_purged`, cause `erasure`, on the asking admin's authority),
//! then `user_erased` replaces their name and email and the log's trigger does the rest (their
//! reports' reasons, their unattached uploads). Idempotent and resumable: every step reads
//! what is left from the database.

use deadpool_postgres::Pool;

use super::{ERASURE_LOCK, pause, purges};
use crate::AppState;
use crate::log::{NewEvent, Purge, store};

/// Works on every erasure asked for and not complete, until none is left (or another replica
/// is at it). Returns how many messages it purged.
pub async fn run(state: &AppState) -> anyhow::Result<u64> {
    let governance = &state.config.governance;
    run_on(&state.db, governance.purge_batch, || pause(state, governance.purge_pause)).await
}

/// [`run`] on the database `db`, in batches of `batch` messages, `pause` between two (`false`:
/// stop): also what the restore drill runs on its restored copy, after the erasure ledger
/// asked again for the erasures the restore undid.
pub async fn run_on<P: Future<Output = bool>>(
    db: &Pool,
    batch: i64,
    mut pause: impl FnMut() -> P,
) -> anyhow::Result<u64> {
    let mut purged = 0;
    loop {
        match step(db, batch).await? {
            Step::Purged(n) => purged += n,
            Step::Erased => {}
            Step::Done | Step::Busy => return Ok(purged),
        }
        if !pause().await {
            return Ok(purged);
        }
    }
}

enum Step {
    Purged(u64),
    Erased,
    Done,
    Busy,
}

/// One transaction: a batch of one person's messages, or, when none is left, their erasure.
async fn step(db: &Pool, batch: i64) -> anyhow::Result<Step> {
    let mut client = db.get().await?;
    let tx = client.transaction().await?;
    let locked: bool =
        tx.query_one("SELECT pg_try_advisory_xact_lock($1, $2)", &[&ERASURE_LOCK.0, &ERASURE_LOCK.1]).await?.get(0);
    if !locked {
        return Ok(Step::Busy);
    }
    let pending = tx
        .query("SELECT id FROM users WHERE erasure_requested_at IS NOT NULL AND erased_at IS NULL ORDER BY id", &[])
        .await?;
    metrics::gauge!(crate::metrics::ERASURES_PENDING).set(pending.len() as f64);
    let Some(user_id) = pending.first().map(|r| r.get::<_, i64>(0)) else {
        return Ok(Step::Done);
    };
    let admin_id = store::erasure_requester(&*tx, user_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("user {user_id} is being erased, but the log has no request for it"))?;
    let rows = tx
        .query(
            "SELECT id, chat_id FROM messages WHERE sender_id = $1 AND purged_at IS NULL ORDER BY id LIMIT $2",
            &[&user_id, &batch],
        )
        .await?;
    if rows.is_empty() {
        store::append(&*tx, &[NewEvent::UserErased { admin_id, user_id }]).await?;
        tx.commit().await?;
        tracing::info!(user_id, "erasure complete");
        return Ok(Step::Erased);
    }
    let events = purges(&rows, Purge::Erasure { admin_id, user_id });
    store::append(&*tx, &events).await?;
    tx.commit().await?;
    let n = rows.len() as u64;
    metrics::counter!(crate::metrics::MESSAGES_PURGED, "cause" => "erasure").increment(n);
    Ok(Step::Purged(n))
}
