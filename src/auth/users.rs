//! Who a user is (name and role), cached for a few seconds per replica so that an authenticated
//! request does not cost a database round trip. The price: a changed role or a deleted user
//! takes up to `USER_CACHE_SECS` to take effect on a replica (0 turns the cache off).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use deadpool_postgres::Pool;

use super::Role;
use crate::Result;

/// Entries kept at most; past it the cache starts over (it refills from the database).
const CAPACITY: usize = 100_000;

pub struct UserCache {
    ttl: Duration,
    entries: Mutex<HashMap<i64, (Instant, String, Role)>>,
}

impl UserCache {
    pub fn new(ttl: Duration) -> Self {
        Self { ttl, entries: Mutex::new(HashMap::new()) }
    }

    /// Drops what is cached of `ids` (their role changed, or they are gone): the next request
    /// reads them afresh.
    pub fn forget(&self, ids: impl IntoIterator<Item = i64>) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        for id in ids {
            entries.remove(&id);
        }
    }

    /// The user's name and role, or `None` if there is no such user (never cached).
    pub async fn get(&self, pool: &Pool, id: i64) -> Result<Option<(String, Role)>> {
        if !self.ttl.is_zero() {
            let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((at, name, role)) = entries.get(&id)
                && at.elapsed() < self.ttl
            {
                return Ok(Some((name.clone(), *role)));
            }
        }
        let client = pool.get().await?;
        let Some(row) = client.query_opt("SELECT name, role FROM users WHERE id = $1", &[&id]).await? else {
            return Ok(None);
        };
        let (name, role): (String, Role) = (row.try_get("name")?, row.try_get("role")?);
        if !self.ttl.is_zero() {
            let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
            if entries.len() >= CAPACITY {
                entries.clear();
            }
            entries.insert(id, (Instant::now(), name.clone(), role));
        }
        Ok(Some((name, role)))
    }
}

/// The current role of each of `ids` that still exists (one query, read fresh: no cache).
pub async fn roles_of(client: &impl tokio_postgres::GenericClient, ids: &[i64]) -> Result<HashMap<i64, Role>> {
    let rows = client.query("SELECT id, role FROM users WHERE id = ANY($1)", &[&ids]).await?;
    rows.iter().map(|r| Ok((r.try_get("id")?, r.try_get("role")?))).collect()
}
