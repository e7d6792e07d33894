//! Forgetting uploads that no message attached, and the allowance claims that count no more.
//!
//! A guest's unattached upload goes sooner (`ATTACHMENT_GUEST_ORPHAN_SECS`, an hour by default)
//! than anyone else's (`ATTACHMENT_ORPHAN_SECS`, a day): a visitor sends a file at once or not at
//! all, and the sweep must keep up with what guests can upload. Sweeping never gives allowance
//! back: a stored upload counts for 24 hours whether or not its file is still kept, and a guest's
//! orphan is gone long before that (`config::storage` keeps the guests' age under 12 hours).

use std::time::Duration;

use deadpool_postgres::Pool;
use tokio_util::sync::CancellationToken;

use super::allowance;
use crate::config::StorageConfig;
use crate::storage::Storage;

/// How old an unattached upload gets before the sweep deletes it.
#[derive(Debug, Clone, Copy)]
pub struct OrphanAges {
    /// Students', teachers' and admins' uploads.
    pub others: Duration,
    /// Guests' uploads.
    pub guests: Duration,
}

/// Deletes every upload older than `age` that no message attached (a guest's too).
pub async fn sweep(db: &deadpool_postgres::Pool, storage: &Storage, age: Duration) -> anyhow::Result<usize> {
    sweep_orphans(db, storage, OrphanAges { others: age, guests: age }).await
}

/// Deletes uploads older than their age in `ages` that no message attached, and their bytes
/// when no other upload has the same content; then temporary objects of uploads that never
/// finished, and the allowance claims that count no more. Returns how many uploads were
/// deleted. Never touches an attached upload (the database function deletes only unattached
/// rows, and a row attached meanwhile stays).
pub async fn sweep_orphans(db: &deadpool_postgres::Pool, storage: &Storage, ages: OrphanAges) -> anyhow::Result<usize> {
    let mut deleted = 0;
    loop {
        let mut client = db.get().await?;
        let tx = client.transaction().await?;
        let rows = tx
            .query(
                "SELECT * FROM attachments_sweep(make_interval(secs => $1), make_interval(secs => $2), 100)",
                &[&ages.others.as_secs_f64(), &ages.guests.as_secs_f64()],
            )
            .await?;
        for row in &rows {
            if !row.get::<_, bool>("referenced") {
                storage.delete(row.get("sha256")).await?;
            }
        }
        tx.commit().await?;
        deleted += rows.len();
        if rows.len() < 100 {
            break;
        }
    }
    // An upload still streaming writes its temporary object: only the longer age is safe.
    storage.sweep_temporary(ages.others.max(ages.guests)).await?;
    allowance::purge(db).await?;
    Ok(deleted)
}

/// Sweeps every quarter of the shorter orphan age (at most hourly) until shutdown.
pub async fn keep_sweeping(
    db: Pool,
    storage: std::sync::Arc<Storage>,
    config: StorageConfig,
    shutdown: CancellationToken,
) {
    let ages = OrphanAges { others: config.orphan_after, guests: config.guest_orphan_after };
    let mut every = tokio::time::interval((ages.others.min(ages.guests) / 4).min(Duration::from_secs(3600)));
    every.tick().await; // not at start-up
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = every.tick() => {}
        }
        match sweep_orphans(&db, &storage, ages).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(deleted = n, "deleted uploads that no message attached"),
            Err(e) => tracing::warn!(error = format!("{e:#}"), "the attachment sweep failed; it runs again later"),
        }
    }
}
