//! Who a user is (name and role), cached per replica so that an authenticated request does not
//! cost a database round trip. The replica's follower (`realtime::follow`) refreshes every entry
//! in use, with the users of its open streams, in one query every half `USER_CACHE_SECS`; an
//! entry that no refresh reached within `USER_CACHE_SECS` (the follower could not reach the
//! database) is read again on its own. So a changed role or a deleted user takes effect within
//! `USER_CACHE_SECS`, and a replica serving thousands of active users asks for them in one
//! query per period rather than one per user (0 turns the cache off).
//!
//! Guests are never cached: a guest's session ends the moment their inquiry chat closes (the
//! database's `guest_sessions`), on every replica at once, so each of their requests asks.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use deadpool_postgres::Pool;

use super::Role;
use crate::Result;

/// Entries kept at most; past it the cache starts over (it refills from the database).
const CAPACITY: usize = 100_000;

struct Entry {
    fetched: Instant,
    /// Asked for since the last refresh: a refresh keeps only these (and the users of open
    /// streams), so the cache follows the active users rather than everyone ever seen.
    used: bool,
    name: String,
    role: Role,
}

/// Who a user is.
#[derive(Debug, Clone)]
pub struct Known {
    pub name: String,
    pub role: Role,
    /// A guest's inquiry link (whose allowances they share with its other guests).
    pub link: Option<i64>,
}

/// What [`UserCache::get`] found.
#[derive(Debug)]
pub enum Lookup {
    Found(Known),
    /// No such user (deleted, or never was).
    Missing,
    /// A guest whose inquiry chat has been closed: their credential is spent.
    GuestEnded,
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
                return Ok(Lookup::Found(Known { name: entry.name.clone(), role: entry.role, link: None }));
            }
        }
        let client = pool.get().await?;
        let statement = client
            .prepare_cached(
                "SELECT u.name, u.role, g.link_id, g.ended FROM users u
                 LEFT JOIN guest_sessions g ON g.guest_id = u.id WHERE u.id = $1",
            )
            .await?;
        let Some(row) = client.query_opt(&statement, &[&id]).await? else {
            return Ok(Lookup::Missing);
        };
        let (name, role): (String, Role) = (row.try_get("name")?, row.try_get("role")?);
        if role == Role::Guest {
            if row.try_get::<_, Option<bool>>("ended")? == Some(true) {
                return Ok(Lookup::GuestEnded);
            }
            return Ok(Lookup::Found(Known { name, role, link: row.try_get("link_id")? }));
        }
        if !self.ttl.is_zero() {
            let mut entries = self.entries();
            if entries.len() >= CAPACITY {
                entries.clear();
            }
            entries.insert(id, Entry { fetched: Instant::now(), used: true, name: name.clone(), role });
        }
        Ok(Lookup::Found(Known { name, role, link: None }))
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
        let rows = client
            .query(
                "SELECT u.id, u.name, u.role FROM users u WHERE u.id = ANY($1)
                   AND NOT EXISTS (SELECT 1 FROM guest_sessions g WHERE g.guest_id = u.id AND g.ended)",
                &[&ids],
            )
            .await?;
        let mut roles = HashMap::with_capacity(rows.len());
        let mut found = HashMap::with_capacity(rows.len());
        for row in &rows {
            let (id, name, role): (i64, String, Role) =
                (row.try_get("id")?, row.try_get("name")?, row.try_get("role")?);
            roles.insert(id, role);
            if role != Role::Guest {
                found.insert(id, Entry { fetched, used: false, name, role });
            }
        }
        if !self.ttl.is_zero() {
            let mut entries = self.entries();
            for id in &ids {
                match found.remove(id) {
                    // An entry read on its own during the query is as fresh; keep its use.
                    Some(entry) => {
                        let used = entries.get(id).is_some_and(|e| e.used);
                        entries.insert(*id, Entry { used, ..entry });
                    }
                    None => {
                        entries.remove(id); // deleted
                    }
                }
            }
        }
        Ok(roles)
    }
}
