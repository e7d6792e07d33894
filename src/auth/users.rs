//! Who a user is (name and role), cached per replica so that an authenticated request does not
//! cost a database round trip. The replica's follower (`realtime::follow`) refreshes every entry
//! in use, with the users of its open streams, in one query every half `USER_CACHE_SECS`; an
//! entry that no refresh reached within `USER_CACHE_SECS` (the follower could not reach the
//! database) is read again on its own. So a changed role or a deleted user takes effect within
//! `USER_CACHE_SECS`, and a replica serving thousands of active users asks for them in one
//! query per period rather than one per user (0 turns the cache off).

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

    /// The user's name and role, or `None` if there is no such user (never cached).
    pub async fn get(&self, pool: &Pool, id: i64) -> Result<Option<(String, Role)>> {
        if !self.ttl.is_zero() {
            let mut entries = self.entries();
            if let Some(entry) = entries.get_mut(&id)
                && entry.fetched.elapsed() < self.ttl
            {
                entry.used = true;
                return Ok(Some((entry.name.clone(), entry.role)));
            }
        }
        let client = pool.get().await?;
        let Some(row) = client.query_opt("SELECT name, role FROM users WHERE id = $1", &[&id]).await? else {
            return Ok(None);
        };
        let (name, role): (String, Role) = (row.try_get("name")?, row.try_get("role")?);
        if !self.ttl.is_zero() {
            let mut entries = self.entries();
            if entries.len() >= CAPACITY {
                entries.clear();
            }
            entries.insert(id, Entry { fetched: Instant::now(), used: true, name: name.clone(), role });
        }
        Ok(Some((name, role)))
    }

    /// Reads afresh, in one query, every user asked for since the last refresh and every one of
    /// `also` (the users of open streams), keeps them, and forgets the rest; answers the current
    /// role of each of them that still exists.
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
        let rows = client.query("SELECT id, name, role FROM users WHERE id = ANY($1)", &[&ids]).await?;
        let mut roles = HashMap::with_capacity(rows.len());
        let mut found = HashMap::with_capacity(rows.len());
        for row in &rows {
            let (id, name, role): (i64, String, Role) =
                (row.try_get("id")?, row.try_get("name")?, row.try_get("role")?);
            roles.insert(id, role);
            found.insert(id, Entry { fetched, used: false, name, role });
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
