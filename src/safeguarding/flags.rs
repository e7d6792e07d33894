//! Flags a moderator sees first: the school's list of words and phrases (`flag_terms`, each a
//! search query, so it matches every form search finds), read against each new text of the
//! log (a message as written, and each edit of it) by one replica at a time. A match appends a
//! `message_flagged` event (the system's, with the term), which puts the message into the
//! moderation queue as a report without a reporter. Flagging follows the log from behind
//! (`flag_cursor`), in the transaction that appends its flags, so each text is matched once
//! and delivery never waits for it; while
//! the list is empty it only moves the cursor to the head (nothing written then is flagged). (A
//! burst of a teacher's held messages is flagged by `quiet.rs`, as they are delivered.)

use serde::Serialize;
use time::OffsetDateTime;

use crate::log::{NewEvent, store};
use crate::{AppError, AppState, Result};

/// Events read per round.
const BATCH: i64 = 2000;

/// A term of the school's list.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FlagTerm {
    pub id: i64,
    /// As the school wrote it: a search query (`"quoted words"` in order, `or` between
    /// alternatives, e.g. `встретиться or встречаться`).
    pub term: String,
    /// What it matches, as PostgreSQL's text search reads it (e.g. `'встрет' | 'встреча'`).
    pub matches: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl FlagTerm {
    fn from_row(row: &tokio_postgres::Row) -> Result<Self, tokio_postgres::Error> {
        Ok(Self {
            id: row.try_get("id")?,
            term: row.try_get("term")?,
            matches: row.try_get("matches")?,
            created_at: row.try_get("created_at")?,
        })
    }
}

/// The school's list, oldest first.
pub async fn terms(state: &AppState) -> Result<Vec<FlagTerm>> {
    let rows = state
        .db
        .get()
        .await?
        .query("SELECT id, term, query::text AS matches, created_at FROM flag_terms ORDER BY id", &[])
        .await?;
    Ok(rows.iter().map(FlagTerm::from_row).collect::<Result<_, _>>()?)
}

/// Adds `term` (1–200 characters) by admin `by`: 422 when it holds no word search would match
/// (only stop words, punctuation); 409 when the list has it.
pub async fn add_term(state: &AppState, by: i64, term: &str) -> Result<FlagTerm> {
    // The length as sent (the document's `maxLength`), then without the spaces around it.
    let sent = term.chars().count();
    let term = term.trim();
    if !(1..=200).contains(&sent) || term.is_empty() || term.contains('\0') {
        return Err(AppError::BadRequest("term must be 1 to 200 characters, without NUL".into()));
    }
    let client = state.db.get().await?;
    let row = client
        .query_opt(
            "INSERT INTO flag_terms (term, query, created_by)
             SELECT $1, q, $2 FROM search_query($1, false) q WHERE numnode(q) > 0
             ON CONFLICT (school_id, term) DO NOTHING
             RETURNING id, term, query::text AS matches, created_at",
            &[&term, &by],
        )
        .await?;
    match row {
        Some(row) => Ok(FlagTerm::from_row(&row)?),
        None if client.query_opt("SELECT 1 FROM flag_terms WHERE term = $1", &[&term]).await?.is_some() => {
            Err(AppError::Conflict(format!("the list has {term:?} already")))
        }
        None => Err(AppError::Unprocessable(format!(
            "{term:?} has no word a search would match (only stop words such as и, в, the?)"
        ))),
    }
}

/// Removes term `id` from the list (flags it made stay).
pub async fn remove_term(state: &AppState, id: i64) -> Result<bool> {
    Ok(state.db.get().await?.execute("DELETE FROM flag_terms WHERE id = $1", &[&id]).await? > 0)
}

/// The advisory lock a replica's flagger holds for its round (one replica at a time).
const FLAG_LOCK: (i32, i32) = (1953854575, 6);

/// The job that reads new texts against the list.
pub const JOB: &str = "flags";

/// Every `FLAG_EVERY_MS`, matches the log's new texts (messages and edits) against the list, until it is read up.
pub async fn keep_flagging(state: AppState) {
    let mut ticks = tokio::time::interval(state.config.safeguarding.flag_every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = state.shutdown.cancelled() => return,
            _ = ticks.tick() => {}
        }
        loop {
            match flag_next(&state).await {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "flagging failed; will retry");
                    break;
                }
            }
        }
    }
}

/// One round: the next events after the cursor (if no other replica is reading them), their
/// texts matched, the flags appended and the cursor moved, in one transaction. Whether
/// there may be more to read.
async fn flag_next(state: &AppState) -> anyhow::Result<bool> {
    let mut client = state.db.get().await?;
    let tx = client.transaction().await?;
    // Claimed with a lock that takes no transaction id (a row lock would): an append from a
    // transaction that has one must first wait for every append in flight (events_append).
    let claimed: bool =
        tx.query_one("SELECT pg_try_advisory_xact_lock($1, $2)", &[&FLAG_LOCK.0, &FLAG_LOCK.1]).await?.get(0);
    if !claimed {
        return Ok(false); // another replica is at it
    }
    let Some(row) = tx.query_opt("SELECT position, EXISTS (SELECT 1 FROM flag_terms) FROM flag_cursor", &[]).await?
    else {
        return Ok(false);
    };
    let (after, listed): (i64, bool) = (row.get(0), row.get(1));
    if !listed {
        // Nothing to match: what is written while the list is empty is never flagged.
        let head = store::head(&*tx).await?;
        if head > after {
            tx.execute("UPDATE flag_cursor SET position = $1", &[&head]).await?;
            tx.commit().await?;
        }
        return Ok(false);
    }
    let Some(texts) = store::texts_after(&*tx, after, BATCH).await? else { return Ok(false) };
    let last = texts.last;
    if texts.created.is_some() || !texts.edited.is_empty() {
        let (first_id, last_id) = texts.created.unzip();
        // Each new text: the messages created (their stored search vector) and each edit's
        // text as it was delivered (a later edit may have taken the term out again). Only
        // messages still shown (a hide or a deletion in the same batch is its own answer), each
        // text matched first against the whole list at once (one `@@` a text, the list's OR
        // built once per round; almost no text matches), and only those against each term. A
        // message matches a term once: a second text of it with the same term (or the flag
        // of an earlier round: events_rule_message_flagged) flags nothing more.
        let matched = tx
            .query(
                "SELECT DISTINCT ON (m.id, t.id) m.chat_id, m.id, t.term
                 FROM (SELECT m.id, m.search AS words FROM messages m WHERE m.id BETWEEN $1 AND $2
                       UNION ALL
                       SELECT e.id, to_tsvector('russian'::regconfig, e.content)
                       FROM unnest($3::bigint[], $4::text[]) e (id, content)) x
                 JOIN messages m ON m.id = x.id
                 JOIN flag_terms t ON x.words @@ t.query
                 WHERE x.words @@ (SELECT string_agg('(' || query::text || ')', ' | ')::tsquery FROM flag_terms)
                   AND NOT m.is_deleted AND m.hidden_at IS NULL AND m.purged_at IS NULL
                 ORDER BY m.id, t.id",
                &[&first_id, &last_id, &texts.edited, &texts.edits],
            )
            .await?;
        let flags: Vec<NewEvent> = matched
            .iter()
            .map(|r| NewEvent::MessageFlagged { chat_id: r.get(0), message_id: r.get(1), flag: r.get(2) })
            .collect();
        if !flags.is_empty() {
            store::append(&*tx, &flags).await?;
            metrics::counter!(crate::metrics::FLAGS, "cause" => "term").increment(flags.len() as u64);
        }
    }
    tx.execute("UPDATE flag_cursor SET position = $1", &[&last]).await?;
    tx.commit().await?;
    Ok(last - after >= BATCH)
}
