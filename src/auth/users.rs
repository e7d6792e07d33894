//! Who a user is (name and role), cached per replica so that an authenticated request does not
//! cost a database round trip. The replica's follower (`realtime::follow`) refreshes every entry
//! in use, with the users of its open streams, in one query every half `USER_CACHE_SECS`; an
//! entry that no refresh reached within `USER_CACHE_SECS` (the follower could not reach the
//! database) is read again on its own. So a changed role or a deleted user takes effect within
//! `USER_CACHE_SECS`, and a replica serving thousands of active users asks for them in one
//! query per period rather than one per user (0 turns the cache off).
//!
//! A person's suspension is cached with them; an event that suspends, unsuspends, erases,
//! deactivates or reactivates someone makes every replica forget them as its listener reads it ([`UserCache::forget`]),
//! so that a suspension binds within moments, not `USER_CACHE_SECS`.
//!
//! Guests are never cached: a guest's session ends the moment their inquiry chat closes (the
//! database's `guest_sessions`), on every replica at once, so each of their requests asks.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use deadpool_postgres::Pool;
use futures::TryStreamExt;

use super::Role;
use crate::Result;

/// Entries kept at most; past it the cache starts over (it refills from the database).
const CAPACITY: usize = 100_000;

/// One user's entry, kept small (56 bytes a slot with its key): a replica holds one for every
/// user of an open stream, tens of thousands at once.
struct Entry {
    fetched: Instant,
    /// Asked for since the last refresh: a refresh keeps only these (and the users of open
    /// streams), so the cache follows the active users rather than everyone ever seen.
    used: bool,
    name: Box<str>,
    role: Role,
    suspended: Option<Box<Suspension>>,
}

impl Entry {
    fn new(fetched: Instant, name: &str, role: Role, suspended: Option<Suspension>) -> Self {
        Self { fetched, used: false, name: name.into(), role, suspended: suspended.map(Box::new) }
    }
}

/// Who a user is.
#[derive(Debug, Clone)]
pub struct Known {
    pub name: String,
    pub role: Role,
    /// A guest's inquiry link (whose allowances they share with its other guests).
    pub link: Option<i64>,
    /// Suspended by a moderator: they read, write nothing.
    pub suspended: Option<Suspension>,
}

/// A moderator's suspension of a person.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Suspension {
    /// When it ends; null: until an admin lifts it.
    #[serde(with = "time::serde::rfc3339::option")]
    pub until: Option<time::OffsetDateTime>,
    pub reason: String,
}

impl Suspension {
    /// Whether the row's person is suspended now, and until when: a row of the `accounts` view
    /// (`sql/V28__wire_views.sql`).
    pub fn from_row(row: &tokio_postgres::Row) -> Result<Option<Self>, tokio_postgres::Error> {
        let forever: bool = row.try_get("suspended_forever")?;
        // `infinity` fits no OffsetDateTime: the view says it apart.
        let until: Option<time::OffsetDateTime> = row.try_get("suspended_until")?;
        if !forever && until.is_none() {
            return Ok(None);
        }
        Ok(Some(Self { until, reason: row.try_get::<_, Option<String>>("suspension_reason")?.unwrap_or_default() }))
    }
}

/// What [`UserCache::get`] found.
#[derive(Debug)]
pub enum Lookup {
    Found(Known),
    /// No such user (deleted, or never was).
    Missing,
    /// A guest whose inquiry chat has been closed: their credential is spent.
    GuestEnded,
    /// An admin asked for this person's erasure: they may no longer sign in.
    Erased,
    /// The person left the school (`user_deactivated`): their sessions end, they may not sign in.
    Deactivated,
}

pub struct UserCache {
    ttl: Duration,
    entries: Mutex<HashMap<i64, Entry>>,
}

impl UserCache {
    pub fn new(ttl: Duration) -> Self {
        Self { ttl, entries: Mutex::new(HashMap::new()) }
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<i64, Entry>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Who user `id` is now (a missing user is never cached, nor is a guest).
    pub async fn get(&self, pool: &Pool, id: i64) -> Result<Lookup> {
        if !self.ttl.is_zero() {
            let mut entries = self.entries();
            if let Some(entry) = entries.get_mut(&id)
                && entry.fetched.elapsed() < self.ttl
            {
                entry.used = true;
                let suspended = entry.suspended.as_deref().cloned();
                return Ok(Lookup::Found(Known {
                    name: entry.name.to_string(),
                    role: entry.role,
                    link: None,
                    suspended,
                }));
            }
        }
        let client = pool.get().await?;
        let statement = client
            .prepare_cached(
                "SELECT u.name, u.role, g.link_id, g.ended, u.erasure_requested_at IS NOT NULL AS erasing,
                        u.suspended_until, u.suspended_forever, u.suspension_reason,
                        d.deactivated_at IS NOT NULL AS deactivated
                 FROM accounts u JOIN users d ON d.id = u.id
                 LEFT JOIN guest_sessions g ON g.guest_id = u.id WHERE u.id = $1",
            )
            .await?;
        let Some(row) = client.query_opt(&statement, &[&id]).await? else {
            return Ok(Lookup::Missing);
        };
        let (name, role): (String, Role) = (row.try_get("name")?, row.try_get("role")?);
        if row.try_get("erasing")? {
            return Ok(Lookup::Erased);
        }
        if row.try_get("deactivated")? {
            return Ok(Lookup::Deactivated);
        }
        let suspended = Suspension::from_row(&row)?;
        if role == Role::Guest {
            if row.try_get::<_, Option<bool>>("ended")? == Some(true) {
                return Ok(Lookup::GuestEnded);
            }
            return Ok(Lookup::Found(Known { name, role, link: row.try_get("link_id")?, suspended }));
        }
        if !self.ttl.is_zero() {
            let mut entries = self.entries();
            if entries.len() >= CAPACITY {
                entries.clear();
            }
            entries.insert(id, Entry { used: true, ..Entry::new(Instant::now(), &name, role, suspended.clone()) });
        }
        Ok(Lookup::Found(Known { name, role, link: None, suspended }))
    }

    /// Forgets `id`: the next request of theirs reads who they are afresh (they were
    /// suspended, unsuspended, erased, deactivated or reactivated).
    pub fn forget(&self, id: i64) {
        self.entries().remove(&id);
    }

    /// Reads afresh, in one query, every user asked for since the last refresh and every one of
    /// `also` (the users of open streams), keeps them, and forgets the rest; answers the current
    /// role of each of them that still exists (a guest whose session ended does not).
    pub async fn refresh(
        &self,
        client: &impl tokio_postgres::GenericClient,
        also: &[i64],
    ) -> Result<HashMap<i64, Role>> {
        let mut ids: HashSet<i64> = also.iter().copied().collect();
        if !self.ttl.is_zero() {
            let mut entries = self.entries();
            entries.retain(|_, entry| std::mem::take(&mut entry.used));
            ids.extend(entries.keys());
        }
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let ids: Vec<i64> = ids.into_iter().collect();
        let fetched = Instant::now();
        // Row by row, each into the cache as it arrives: tens of thousands of rows, or a second
        // map of entries, held at once would stay in the allocator's arenas after the refresh.
        let rows = client
            .query_raw(
                "SELECT u.id, u.name, u.role, u.suspended_until, u.suspended_forever, u.suspension_reason
                 FROM accounts u WHERE u.id = ANY($1)
                   AND u.erasure_requested_at IS NULL
                   AND NOT EXISTS (SELECT 1 FROM users d WHERE d.id = u.id AND d.deactivated_at IS NOT NULL)
                   AND NOT EXISTS (SELECT 1 FROM guest_sessions g WHERE g.guest_id = u.id AND g.ended)",
                [&ids],
            )
            .await?;
        let mut rows = std::pin::pin!(rows);
        let mut roles = HashMap::with_capacity(ids.len());
        while let Some(row) = rows.try_next().await? {
            let (id, name, role): (i64, &str, Role) = (row.try_get("id")?, row.try_get("name")?, row.try_get("role")?);
            roles.insert(id, role);
            if role != Role::Guest && !self.ttl.is_zero() {
                let entry = Entry::new(fetched, name, role, Suspension::from_row(&row)?);
                // An entry read on its own during the query is as fresh; keep its use.
                let mut entries = self.entries();
                let used = entries.get(&id).is_some_and(|e| e.used);
                entries.insert(id, Entry { used, ..entry });
            }
        }
        if !self.ttl.is_zero() {
            let mut entries = self.entries();
            for id in ids.iter().filter(|id| !roles.contains_key(id)) {
                entries.remove(id); // deleted
            }
        }
        Ok(roles)
    }
}
