//! Scheduled send: a message its author wants sent later (`POST /api/messages` with `send_at`).
//! Until its time it is a row of `scheduled_messages`, not an event of the log: its author
//! alone sees, edits or cancels it; no stream, unread count, notice or export knows it. At
//! `send_at` one replica sends it ([`sender`]) as an ordinary `message_created` through the
//! log's rules, in the transaction that marks the row sent, so it is sent exactly once. Quiet
//! hours are the school's rule and apply at that moment as to a live send; these are the
//! author's own, a type apart from [`crate::safeguarding::quiet::HeldMessage`].

pub mod sender;

use serde::Serialize;
use time::OffsetDateTime;
use tokio_postgres::GenericClient;

use crate::error::Code;
use crate::{AppError, AppState, Result};

pub use sender::{JOB, keep_sending};

/// The furthest ahead a message may be scheduled.
pub const MAX_AHEAD: time::Duration = time::Duration::days(365);

/// A message its author scheduled: what `POST /api/messages` with `send_at` answers (202), and
/// what its author (nobody else) sees until it is sent.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ScheduledMessage {
    /// The scheduled message's own id (not a message id: it gets one when it is sent).
    pub id: i64,
    pub chat_id: i64,
    pub content: String,
    pub reply_to_message_id: Option<i64>,
    /// When it is sent (to the second, give or take one).
    #[serde(with = "time::serde::rfc3339")]
    pub send_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub state: ScheduledState,
    /// Why it was not sent (`state` is `failed`).
    pub failure: Option<ScheduledFailure>,
}

/// Where a scheduled message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ScheduledState {
    /// Waiting for `send_at`.
    Pending,
    /// Its time came and the author could no longer write it there: not sent (see `failure`).
    /// Editing it schedules it again; deleting it dismisses it.
    Failed,
}

/// Why a scheduled message was not sent: the refusal a live send would have had then.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ScheduledFailure {
    /// `forbidden` (no longer a participant), `chat_closed`, `account_suspended`, …
    pub code: Code,
    /// The refusal, in English.
    pub reason: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

impl ScheduledMessage {
    fn from_row(row: &tokio_postgres::Row) -> Result<Self> {
        let failed_at: Option<OffsetDateTime> = row.try_get("failed_at")?;
        let failure = match failed_at {
            None => None,
            Some(at) => {
                let code: String = row.try_get("failure_code")?;
                Some(ScheduledFailure {
                    code: serde_json::from_value(serde_json::Value::String(code)).unwrap_or(Code::Forbidden),
                    reason: row.try_get::<_, Option<String>>("failure")?.unwrap_or_default(),
                    at,
                })
            }
        };
        Ok(Self {
            id: row.try_get("id")?,
            chat_id: row.try_get("chat_id")?,
            content: row.try_get("content")?,
            reply_to_message_id: row.try_get("reply_to_message_id")?,
            send_at: row.try_get("send_at")?,
            created_at: row.try_get("created_at")?,
            state: if failure.is_some() { ScheduledState::Failed } else { ScheduledState::Pending },
            failure,
        })
    }
}

/// A message to schedule, as `POST /api/messages` asked for it (checked already).
pub struct Draft<'a> {
    pub chat_id: i64,
    pub content: &'a str,
    pub reply_to: Option<i64>,
    pub send_at: OffsetDateTime,
    pub key: Option<&'a str>,
}

/// `send_at` as a request gave it: an RFC 3339 time after `now` and at most [`MAX_AHEAD`] later
/// (by the replica's clock), else 422 `send_at_past` or `send_at_too_far`.
pub fn send_at(text: &str, now: OffsetDateTime) -> Result<OffsetDateTime> {
    let at = OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).map_err(|_| {
        AppError::Unprocessable(format!("send_at {text:?} is not an RFC 3339 time, like 2026-11-23T18:00:00Z"))
    })?;
    if at <= now {
        return Err(AppError::Unprocessable(format!("send_at {text} is not in the future: send it now instead"))
            .with_code(Code::SendAtPast));
    }
    if at > now + MAX_AHEAD {
        return Err(AppError::Unprocessable(format!("send_at {text} is more than a year (365 days) ahead"))
            .with_code(Code::SendAtTooFar));
    }
    Ok(at)
}

/// Schedules `draft` of `author`; a retry with the same idempotency key answers the message it
/// scheduled (422 `idempotency_key_reused` if the key was used for another). An author has at
/// most `SCHEDULED_PER_PERSON` messages not sent yet (pending or failed): one more is 409
/// `too_many_scheduled`, since at their time they are released together.
pub async fn schedule(state: &AppState, author: i64, draft: &Draft<'_>) -> Result<ScheduledMessage> {
    let cap = i64::from(state.config.rate.scheduled_per_person);
    let mut client = state.db.get().await?;
    let tx = client.transaction().await?;
    // One author's schedulings one at a time: two at once cannot both take the last place.
    tx.execute("SELECT pg_advisory_xact_lock(hashtextextended('scheduled_messages', $1))", &[&author]).await?;
    let row = tx
        .query_opt(
            "INSERT INTO scheduled_messages (chat_id, author_id, content, reply_to_message_id, idempotency_key, send_at)
             SELECT $1, $2, $3, $4, $5, $6
             WHERE (SELECT count(*) FROM scheduled_messages WHERE author_id = $2 AND sent_at IS NULL) < $7
             ON CONFLICT (author_id, idempotency_key) DO NOTHING RETURNING *",
            &[&draft.chat_id, &author, &draft.content, &draft.reply_to, &draft.key, &draft.send_at, &cap],
        )
        .await?;
    if let Some(row) = row {
        tx.commit().await?;
        // The sender sleeps until the soonest time it knows of: this one may be sooner.
        state.jobs.nudge(JOB);
        return ScheduledMessage::from_row(&row);
    }
    let first = tx
        .query_opt(
            "SELECT * FROM scheduled_messages WHERE author_id = $1 AND idempotency_key = $2",
            &[&author, &draft.key],
        )
        .await?;
    tx.commit().await?;
    let Some(first) = first else {
        return Err(AppError::Conflict(format!(
            "you have {cap} messages waiting to be sent, the most one person may (SCHEDULED_PER_PERSON): \
             cancel one, or wait until one is sent"
        ))
        .with_code(Code::TooManyScheduled));
    };
    let first = ScheduledMessage::from_row(&first)?;
    if first.chat_id != draft.chat_id || first.reply_to_message_id != draft.reply_to || first.send_at != draft.send_at {
        return Err(AppError::Unprocessable(
            "this Idempotency-Key was already used for a different request; use a new key for a new message".into(),
        )
        .with_code(Code::IdempotencyKeyReused));
    }
    Ok(first)
}

/// `author`'s scheduled messages not sent yet (pending or failed), of one chat or all,
/// soonest first.
pub async fn list(state: &AppState, author: i64, chat_id: Option<i64>) -> Result<Vec<ScheduledMessage>> {
    let rows = state
        .db
        .get()
        .await?
        .query(
            "SELECT * FROM scheduled_messages WHERE author_id = $1 AND sent_at IS NULL
                AND ($2::bigint IS NULL OR chat_id = $2) ORDER BY send_at, id LIMIT 1000",
            &[&author, &chat_id],
        )
        .await?;
    rows.iter().map(ScheduledMessage::from_row).collect()
}

/// A change to a scheduled message: its text, its time, or both (checked already).
#[derive(Debug, Default)]
pub struct Change {
    pub content: Option<String>,
    pub send_at: Option<OffsetDateTime>,
}

/// Changes `author`'s scheduled message `id` (a failed one is scheduled again). 403 if it is
/// not theirs (or not at all); 409 `already_sent` once it is sent or being sent (the sender's
/// transaction holds the row: this waits for it, then sees it sent).
pub async fn update(state: &AppState, author: i64, id: i64, change: &Change) -> Result<ScheduledMessage> {
    let client = state.db.get().await?;
    let row = client
        .query_opt(
            "UPDATE scheduled_messages
             SET content = coalesce($3, content), send_at = coalesce($4, send_at),
                 failed_at = NULL, failure_code = NULL, failure = NULL
             WHERE id = $1 AND author_id = $2 AND sent_at IS NULL RETURNING *",
            &[&id, &author, &change.content, &change.send_at],
        )
        .await?;
    match row {
        Some(row) => {
            state.jobs.nudge(JOB);
            ScheduledMessage::from_row(&row)
        }
        None => Err(why_not(&**client, author, id).await?),
    }
}

/// Cancels `author`'s scheduled message `id` (or dismisses a failed one): 403 and 409 as
/// [`update`].
pub async fn cancel(state: &AppState, author: i64, id: i64) -> Result<()> {
    let client = state.db.get().await?;
    let deleted = client
        .execute("DELETE FROM scheduled_messages WHERE id = $1 AND author_id = $2 AND sent_at IS NULL", &[&id, &author])
        .await?;
    if deleted == 1 { Ok(()) } else { Err(why_not(&**client, author, id).await?) }
}

/// Why `author`'s scheduled message `id` could not be changed: 409 if it was sent, else 403
/// (someone else's answers as one that does not exist, with the same body).
async fn why_not(client: &impl GenericClient, author: i64, id: i64) -> Result<AppError> {
    let sent = client
        .query_opt(
            "SELECT 1 FROM scheduled_messages WHERE id = $1 AND author_id = $2 AND sent_at IS NOT NULL",
            &[&id, &author],
        )
        .await?
        .is_some();
    Ok(if sent {
        AppError::Conflict(format!("scheduled message {id} was sent already: edit or delete the message itself"))
            .with_code(Code::AlreadySent)
    } else {
        AppError::Forbidden(format!("you have no scheduled message {id}"))
    })
}
