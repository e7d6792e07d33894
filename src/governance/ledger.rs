//! The erasure ledger: every erasure asked for, recorded outside the database, so that an
//! erasure survives a restore of the database to a moment before it.
//!
//! A point-in-time restore (docs/backups.md) brings back everything the backup and the WAL
//! held at the target, the people erased since included, and the log forgets that anyone
//! asked. The ledger remembers: one small object per erased person in the attachments'
//! storage (`erasures/<id>-<created>.json`), which every replica shares and which a restore of
//! the database does not roll back. It holds ids and times only (the person's id and when
//! their account was created, the asking admin's id and creation time, when they asked), no
//! name, email or reason: nothing that would itself need erasing.
//!
//! At every start, and in the restore drill, [`reapply`] reads it and asks again, through the
//! log like any admin's request, for the erasure of every person of the ledger the database
//! has again and has not erased; the erasure job then purges them the normal way. The
//! account's creation time tells a restored person from a different one given the same id by
//! the database after the restore (ids are reused once the restore rewinds their sequence), so
//! a newcomer is never erased by mistake. The request is on the authority of the admin who
//! made the first one, as the log's rules demand an admin, and its reason says it was
//! re-applied and when it was first asked; an admin the restored copy does not have (an
//! account made after the target) cannot be named, and that erasure is left for an admin to
//! ask again (it is logged, and it fails the drill).

use anyhow::Context;
use deadpool_postgres::Pool;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tokio_postgres::GenericClient;

use crate::log::{NewEvent, store};
use crate::storage::Storage;

/// The ledger's folder in the attachments' storage.
const FOLDER: &str = "erasures";

/// One erasure: who, told apart from anyone given their id later, and on whose request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub user_id: i64,
    /// When the person's account was created: with the id, it names them and nobody else.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// The admin who asked, told apart by their own account's creation time.
    pub admin_id: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub admin_created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub requested_at: OffsetDateTime,
}

impl Entry {
    /// The object's key: one per person (an id and a creation time), so writing it again
    /// replaces it with the same.
    pub fn key(&self) -> String {
        key_of(self.user_id, self.created_at)
    }

    /// The reason of a request made again from this entry (the log keeps it; the audit shows it).
    pub fn reason(&self) -> String {
        let asked = self.requested_at.format(&Rfc3339).unwrap_or_else(|_| self.requested_at.to_string());
        format!("re-applied from the erasure ledger after a restore of the database: first asked at {asked}")
    }
}

fn key_of(user_id: i64, created_at: OffsetDateTime) -> String {
    format!("{FOLDER}/{user_id}-{}.json", created_at.unix_timestamp_nanos() / 1000)
}

/// Records the erasure of `user_id`, asked for already in the database `client` reads.
pub async fn record(client: &impl GenericClient, storage: &Storage, user_id: i64) -> anyhow::Result<Entry> {
    let row = client
        .query_one("SELECT created_at, erasure_requested_at FROM users WHERE id = $1", &[&user_id])
        .await
        .with_context(|| format!("user {user_id}"))?;
    let requested_at: Option<OffsetDateTime> = row.get(1);
    let requested_at = requested_at.with_context(|| format!("nobody asked for the erasure of user {user_id}"))?;
    let admin_id = store::erasure_requester(client, user_id)
        .await?
        .with_context(|| format!("the log names no admin who asked for the erasure of user {user_id}"))?;
    let admin = client.query_one("SELECT created_at FROM users WHERE id = $1", &[&admin_id]).await?;
    let entry = Entry { user_id, created_at: row.get(0), admin_id, admin_created_at: admin.get(0), requested_at };
    storage.put_record(&entry.key(), serde_json::to_vec(&entry)?).await?;
    Ok(entry)
}

/// Every entry of the ledger. One that does not read is skipped and logged: it cannot name a
/// person, and the others must still be applied.
pub async fn entries(storage: &Storage) -> anyhow::Result<Vec<Entry>> {
    let mut entries = Vec::new();
    for key in storage.list_records(FOLDER).await? {
        let bytes = storage.get_record(&key).await?;
        match serde_json::from_slice::<Entry>(&bytes) {
            Ok(entry) => entries.push(entry),
            Err(e) => tracing::error!(key, error = %e, "an erasure ledger entry does not read; it is skipped"),
        }
    }
    entries.sort_by_key(|e| (e.requested_at, e.user_id));
    Ok(entries)
}

/// What [`reapply`] did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Reapplied {
    /// The ledger's entries.
    pub entries: usize,
    /// The people whose erasure was asked for again (the database had them, not erased).
    pub asked_again: Vec<i64>,
    /// People to erase whose admin the database does not have: (person, admin).
    pub unattributed: Vec<(i64, i64)>,
}

/// Asks again for the erasure of every person of the ledger whom the database `db` has (the
/// same account: its id and creation time) and nobody asked to erase there; the erasure job
/// does the rest ([`super::erasure::run_on`]).
pub async fn reapply(db: &Pool, storage: &Storage) -> anyhow::Result<Reapplied> {
    let entries = entries(storage).await?;
    let mut done = Reapplied { entries: entries.len(), ..Reapplied::default() };
    let mut client = db.get().await?;
    for entry in entries {
        let tx = client.transaction().await?;
        let present = tx
            .query_opt(
                "SELECT 1 FROM users WHERE id = $1 AND created_at = $2 AND erasure_requested_at IS NULL",
                &[&entry.user_id, &entry.created_at],
            )
            .await?;
        if present.is_none() {
            continue; // erased here too, absent, or someone else with the id: nothing to do
        }
        let admin = tx
            .query_opt(
                "SELECT 1 FROM users WHERE id = $1 AND created_at = $2 AND role = 'admin'",
                &[&entry.admin_id, &entry.admin_created_at],
            )
            .await?;
        if admin.is_none() {
            tracing::error!(
                user_id = entry.user_id,
                admin_id = entry.admin_id,
                "the restored database has a person the erasure ledger says was erased, but not the admin who asked: an admin must ask again"
            );
            done.unattributed.push((entry.user_id, entry.admin_id));
            continue;
        }
        let event =
            NewEvent::UserErasureRequested { admin_id: entry.admin_id, user_id: entry.user_id, reason: entry.reason() };
        // A no-op (None) when another replica starting too asked first.
        let asked = store::append(&*tx, &[event]).await?.into_iter().flatten().next().is_some();
        tx.commit().await?;
        if asked {
            tracing::warn!(
                user_id = entry.user_id,
                "an erasure a restore had undone is asked for again (erasure ledger)"
            );
            done.asked_again.push(entry.user_id);
        }
    }
    Ok(done)
}

/// Records every erasure asked for in the database `db` that the ledger lacks (one recorded
/// when the storage failed, or before the ledger existed).
pub async fn record_missing(db: &Pool, storage: &Storage) -> anyhow::Result<usize> {
    let known: std::collections::HashSet<String> = storage.list_records(FOLDER).await?.into_iter().collect();
    let client = db.get().await?;
    let rows = client.query("SELECT id, created_at FROM users WHERE erasure_requested_at IS NOT NULL", &[]).await?;
    let mut recorded = 0;
    for row in rows {
        if !known.contains(&key_of(row.get(0), row.get(1))) {
            record(&**client, storage, row.get(0)).await?;
            recorded += 1;
        }
    }
    Ok(recorded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_holds_ids_and_times_only_and_is_keyed_by_the_person_and_their_accounts_creation() {
        let at = |text: &str| OffsetDateTime::parse(text, &Rfc3339).expect("a time");
        let entry = Entry {
            user_id: 42,
            created_at: at("2026-09-01T08:00:00.123456Z"),
            admin_id: 7,
            admin_created_at: at("2026-08-01T08:00:00Z"),
            requested_at: at("2026-11-20T10:15:00.5Z"),
        };
        assert_eq!(entry.key(), "erasures/42-1788249600123456.json");
        let json: serde_json::Value = serde_json::to_value(&entry).expect("JSON");
        assert_eq!(
            json,
            serde_json::json!({"user_id": 42, "created_at": "2026-09-01T08:00:00.123456Z", "admin_id": 7,
                               "admin_created_at": "2026-08-01T08:00:00Z", "requested_at": "2026-11-20T10:15:00.5Z"})
        );
        assert_eq!(serde_json::from_value::<Entry>(json).expect("read back"), entry);
        // Anything more (a name, a reason) is not an entry: the ledger must stay free of
        // personal data.
        let with_name = serde_json::json!({"user_id": 42, "created_at": "2026-09-01T08:00:00Z", "admin_id": 7,
            "admin_created_at": "2026-08-01T08:00:00Z", "requested_at": "2026-11-20T10:15:00Z", "name": "Zinaida"});
        assert!(serde_json::from_value::<Entry>(with_name).is_err());
        assert!(entry.reason().contains("first asked at 2026-11-20T10:15:00.5Z") && entry.reason().len() <= 500);
    }
}
