//! Signed-out sessions. A session this server starts (the dev login, a sign-in with the
//! school's account) carries a random id, its `sid` claim. Signing out records the sid in the
//! database until the session would have expired (`session_revoke`), which also signals every
//! replica: each keeps the signed-out sids in memory, refuses their tokens (401) and ends their
//! streams, so a copied cookie stops working at once everywhere rather than in `SESSION_TTL_SECS`.
//! A replica's listener loads the whole set each time it connects (`sessions_revoked`), so one
//! that was not listening when a session ended refuses it all the same.
//!
//! Tokens this server did not mint (the school's platform's HS256, the OpenID Provider's) have no
//! sid of ours: they end when they expire, or at once when the person is erased or deleted.

use std::collections::HashMap;
use std::sync::Mutex;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use deadpool_postgres::Pool;

use crate::Result;

/// A new session id: 16 random bytes, base64url.
pub fn new_sid() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 16]>())
}

/// The signed-out sessions this replica knows of, each until it would have expired (Unix
/// seconds).
#[derive(Default)]
pub struct Revoked {
    sessions: Mutex<HashMap<String, u64>>,
}

impl Revoked {
    fn sessions(&self) -> std::sync::MutexGuard<'_, HashMap<String, u64>> {
        self.sessions.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether session `sid` has been signed out.
    pub fn contains(&self, sid: &str) -> bool {
        self.sessions().contains_key(sid)
    }

    /// Session `sid` is signed out until `until`; those past their end are forgotten.
    pub fn insert(&self, sid: String, until: u64) {
        let now = jsonwebtoken::get_current_timestamp();
        let mut sessions = self.sessions();
        sessions.retain(|_, until| *until > now);
        sessions.insert(sid, until);
    }

    /// Everything signed out, as the database has it (the listener's start).
    pub fn replace(&self, all: HashMap<String, u64>) {
        *self.sessions() = all;
    }

    /// The database's signed-out sessions.
    pub async fn load(client: &tokio_postgres::Client) -> Result<HashMap<String, u64>> {
        let rows = client.query("SELECT sid, extract(epoch FROM until)::bigint FROM sessions_revoked()", &[]).await?;
        Ok(rows.iter().map(|row| (row.get(0), u64::try_from(row.get::<_, i64>(1)).unwrap_or_default())).collect())
    }
}

/// Signs session `sid` out until `until` (Unix seconds), on every replica.
pub async fn revoke(db: &Pool, sid: &str, until: u64) -> Result<()> {
    let until = i64::try_from(until).unwrap_or(i64::MAX);
    db.get().await?.execute("SELECT session_revoke($1, to_timestamp($2))", &[&sid, &(until as f64)]).await?;
    Ok(())
}
