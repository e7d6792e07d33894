//! The bytes of purged uploads. A purge queues each upload's content in `file_deletions` (in
//! its own transaction); this deletes the bytes of those no other upload shares, under the
//! same advisory lock an upload of that content takes, so an upload of the same file meanwhile
//! keeps them.

use crate::storage::Storage;

/// Deletes the bytes of every queued file no upload references. Returns how many it deleted.
pub async fn delete_purged_files(db: &deadpool_postgres::Pool, storage: &Storage) -> anyhow::Result<u64> {
    let mut deleted = 0;
    loop {
        let mut client = db.get().await?;
        let tx = client.transaction().await?;
        let rows = tx.query("SELECT sha256, referenced FROM file_deletions_take(100)", &[]).await?;
        for row in &rows {
            if !row.get::<_, bool>("referenced") {
                storage.delete(row.get("sha256")).await?;
                deleted += 1;
            }
        }
        tx.commit().await?;
        if rows.len() < 100 {
            metrics::counter!(crate::metrics::PURGED_FILES).increment(deleted);
            return Ok(deleted);
        }
    }
}
