//! Stream tickets: how a page on another site opens the live stream. `EventSource` sends no
//! header, and across sites the browser keeps the session cookie (`SameSite=Lax`) to itself, so
//! such a page asks for a ticket (`POST /api/events/ticket`, with its token or cookie as any
//! request) and opens `GET /api/events/chat?token=<ticket>`. A ticket is not a session token in
//! a URL, where proxies and browsers keep URLs: it opens one stream, within a minute, for the
//! person it was given to, whose session's end ends that stream too. The database keeps its
//! SHA-256 until it is used or expires (`stream_tickets`), so any replica redeems it, once.
//! The server never logs a query string (`telemetry`), nor does the shipped nginx.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use deadpool_postgres::Pool;
use sha2::{Digest, Sha256};

use super::Session;
use crate::{AppError, Result};

/// How long a ticket may wait to be used.
pub const TICKET_TTL: Duration = Duration::from_secs(60);

/// A new ticket for `session`'s person, whose stream ends with the session.
pub async fn issue(db: &Pool, session: &Session) -> Result<String> {
    let ticket = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    let expires = i64::try_from(session.expires_at).unwrap_or(i64::MAX);
    db.get()
        .await?
        .execute(
            "SELECT stream_ticket_issue($1, $2, $3, make_interval(secs => $4), $5)",
            &[&digest(&ticket), &session.user, &expires, &TICKET_TTL.as_secs_f64(), &session.sid],
        )
        .await?;
    Ok(ticket)
}

/// Uses up `ticket`: the session whose stream it opens. 401 for one that is unknown, used or
/// expired (alike: the page asks for another).
pub async fn redeem(db: &Pool, ticket: &str) -> Result<Session> {
    let refused = || {
        AppError::Unauthorized(
            "the stream ticket is unknown, used or expired: ask for another (POST /api/events/ticket)".into(),
        )
    };
    if ticket.is_empty() || ticket.len() > 64 {
        return Err(refused());
    }
    let row = db
        .get()
        .await?
        .query_opt("SELECT user_id, session_expires_at, session FROM stream_ticket_redeem($1)", &[&digest(ticket)])
        .await?;
    match row.map(|r| (r.get::<_, Option<i64>>(0), r.get::<_, Option<i64>>(1), r.get(2))) {
        Some((Some(user), Some(expires), sid)) => {
            Ok(Session { user, expires_at: u64::try_from(expires).unwrap_or_default(), sid })
        }
        _ => Err(refused()),
    }
}

/// The ticket of a query string (`token=…`), if it has one.
pub fn in_query(query: Option<&str>) -> Option<&str> {
    query?.split('&').find_map(|pair| pair.strip_prefix("token="))
}

fn digest(ticket: &str) -> Vec<u8> {
    Sha256::digest(ticket.as_bytes()).to_vec()
}
