//! The job that sends scheduled messages at their time, on every replica. Each send is one
//! transaction: take the soonest due row (`FOR UPDATE SKIP LOCKED`, so two replicas never take
//! the same one, and neither waits for the other), append its `message_created` through the
//! log's rules (or hand it to quiet hours), and mark the row sent. A replica that dies
//! mid-send rolls the whole of it back, and another sends it: exactly once, whatever runs or
//! restarts, since all the state is in PostgreSQL.
//!
//! Within the write rate: a message sent at its time is a write of its author's, charged to
//! their write bucket (`RATE_WRITES_PER_SEC`, `RATE_WRITES_BURST`) as a live send is; one over
//! it stays pending and is taken again when the bucket has room, so scheduling cannot gather
//! hours of writes into one second. (The bucket is the replica's, as a live send's is.)
//!
//! On time: the job sleeps until the soonest `send_at` it knows of, and never longer than
//! [`POLL_AT_MOST`], so a message scheduled through another replica (or a clock a test moved)
//! is seen within that; scheduling or editing through this replica wakes it at once (a
//! nudge). The time is the replica's clock ([`crate::clock::Clock`]), as quiet hours read it.

use std::time::Duration;

use time::OffsetDateTime;

use crate::auth::Role;
use crate::error::Code;
use crate::limits::Limited;
use crate::log::{AppendError, EventData, NewEvent, store};
use crate::safeguarding::quiet;
use crate::{AppError, AppState, Result};

/// The job's name under supervision.
pub const JOB: &str = "scheduled-messages";

/// The longest the job sleeps without looking at the table: the lateness of a message
/// scheduled through a replica that died before its time.
pub const POLL_AT_MOST: Duration = Duration::from_millis(500);

/// Sent rows are kept this long (without their text), so that a late edit answers 409.
const KEEP_SENT: &str = "7 days";

/// What became of the soonest due scheduled message.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Appended to the log at this position.
    Sent(i64),
    /// Quiet hours hold it (this held message), as a live send then: delivered when they end.
    Held(i64),
    /// The log would not take it from its author now: marked failed, with this code.
    Failed(Code),
    /// Its author is past their write rate on this replica: it waits for the next round (at
    /// least this long), and their other due messages with it.
    Deferred { author: i64, wait: Duration },
    /// Nothing is due (but for the authors passed over).
    Idle,
}

/// Sends the soonest scheduled message due by `now` of an author not in `passed_over`, in one
/// transaction with the row's mark, if its author is within their write rate.
pub async fn send_next(state: &AppState, now: OffsetDateTime, passed_over: &[i64]) -> Result<Outcome> {
    let mut client = state.db.get().await?;
    let tx = client.transaction().await?;
    let row = tx
        .query_opt(
            "SELECT s.id, s.chat_id, s.author_id, s.content, s.reply_to_message_id, u.role
             FROM scheduled_messages s JOIN users u ON u.id = s.author_id
             WHERE s.sent_at IS NULL AND s.failed_at IS NULL AND s.send_at <= $1 AND s.author_id <> ALL($2)
             ORDER BY s.send_at, s.id LIMIT 1 FOR UPDATE OF s SKIP LOCKED",
            &[&now, &passed_over],
        )
        .await?;
    let Some(row) = row else { return Ok(Outcome::Idle) };
    let (id, chat_id, author): (i64, i64, i64) =
        (row.try_get("id")?, row.try_get("chat_id")?, row.try_get("author_id")?);
    let (content, reply_to): (String, Option<i64>) = (row.try_get("content")?, row.try_get("reply_to_message_id")?);
    let role: Role = row.try_get("role")?;

    // Quiet hours hold it as they would a live send, if its author may still write it.
    if let Some(deliver_at) = quiet::held_until_for(&*tx, state, role, chat_id).await? {
        if let Some(refusal) = crate::access::write_refusal(&*tx, chat_id, author).await? {
            return failed(tx, id, &refusal).await;
        }
        let message = quiet::Message { chat_id, content: &content, reply_to, attachment_ids: &[], key: None };
        let held = match quiet::hold_with(&*tx, state, author, &message, deliver_at).await {
            Ok(Some(held)) => held,
            Ok(None) => {
                return Err(anyhow::anyhow!("held message of scheduled message {id} conflicted without a key").into());
            }
            // Its author has as many held as they may: it fails, for them to see, as a live send would.
            Err(full) if full.code() == Code::TooManyScheduled => return failed(tx, id, &full).await,
            Err(e) => return Err(e),
        };
        tx.execute(
            "UPDATE scheduled_messages SET sent_at = now(), held_message_id = $2, content = '' WHERE id = $1",
            &[&id, &held.id],
        )
        .await?;
        tx.commit().await?;
        return Ok(Outcome::Held(held.id));
    }

    // Sent at its time, it is a write of its author's as if they sent it then: within their
    // write rate, so that messages scheduled over days cannot all land in one second. One
    // over it waits (the row stays pending; the transaction ends, and its lock with it).
    if let Some(wait) = state.limits.charge(Limited::write_by(role), author) {
        return Ok(Outcome::Deferred { author, wait });
    }
    let mentions = crate::log::mentions::resolve(&*tx, chat_id, author, &content).await?;
    let event = NewEvent::MessageCreated {
        chat_id,
        sender_id: author,
        content,
        reply_to,
        attachment_ids: Vec::new(),
        mentions,
    };
    tx.execute("SAVEPOINT send", &[]).await?;
    match store::append(&*tx, &[event]).await {
        Ok(stored) => {
            let stored = stored.into_iter().flatten().next();
            let Some(stored) = stored else {
                return Err(anyhow::anyhow!("the log recorded nothing for scheduled message {id}").into());
            };
            let EventData::MessageCreated { message_id, .. } = stored.data else {
                return Err(anyhow::anyhow!("the log answered scheduled message {id} with {:?}", stored.data).into());
            };
            tx.execute(
                "UPDATE scheduled_messages SET sent_at = now(), message_id = $2, content = '' WHERE id = $1",
                &[&id, &message_id],
            )
            .await?;
            tx.commit().await?;
            Ok(Outcome::Sent(stored.position))
        }
        Err(refused @ AppendError::Refused(..)) => {
            tx.execute("ROLLBACK TO SAVEPOINT send", &[]).await?;
            failed(tx, id, &AppError::from(refused)).await
        }
        Err(e) => Err(e.into()),
    }
}

/// Marks scheduled message `id` failed with `refusal`, for its author to see, and commits.
async fn failed(tx: deadpool_postgres::Transaction<'_>, id: i64, refusal: &AppError) -> Result<Outcome> {
    let code = refusal.code();
    let code_text = serde_json::to_value(code).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
    tx.execute(
        "UPDATE scheduled_messages SET failed_at = now(), failure_code = $2, failure = $3 WHERE id = $1",
        &[&id, &code_text, &refusal.to_string()],
    )
    .await?;
    tx.commit().await?;
    Ok(Outcome::Failed(code))
}

/// When the soonest pending scheduled message of an author not in `passed_over` is due.
async fn next_due(state: &AppState, passed_over: &[i64]) -> Result<Option<OffsetDateTime>> {
    let client = state.db.get().await?;
    let row = client
        .query_one(
            "SELECT min(send_at) FROM scheduled_messages
             WHERE sent_at IS NULL AND failed_at IS NULL AND author_id <> ALL($1)",
            &[&passed_over],
        )
        .await?;
    Ok(row.try_get(0)?)
}

/// Sends every scheduled message as it comes due, on every replica (each is taken by one).
pub async fn keep_sending(state: AppState) {
    let nudges = state.jobs.nudges(JOB);
    let mut swept = tokio::time::Instant::now();
    loop {
        // Authors past their write rate this round, and the soonest one of them has room again.
        let mut passed_over: Vec<i64> = Vec::new();
        let mut room_in: Option<Duration> = None;
        loop {
            match send_next(&state, state.clock.now(), &passed_over).await {
                Ok(Outcome::Idle) => break,
                Ok(Outcome::Deferred { author, wait }) => {
                    tracing::debug!(author, ?wait, "a due scheduled message waits for its author's write rate");
                    passed_over.push(author);
                    room_in = Some(room_in.map_or(wait, |soonest| soonest.min(wait)));
                }
                Ok(outcome) => {
                    let (label, position) = match outcome {
                        Outcome::Sent(position) => ("sent", position),
                        Outcome::Held(_) => ("held", 0),
                        _ => ("failed", 0),
                    };
                    metrics::counter!(crate::metrics::SCHEDULED_MESSAGES, "outcome" => label).increment(1);
                    tracing::info!(outcome = ?outcome, position, "a scheduled message came due");
                }
                Err(e) => {
                    tracing::warn!(error = %e, "sending scheduled messages failed; will retry");
                    break;
                }
            }
        }
        if swept.elapsed() > Duration::from_secs(3600) {
            swept = tokio::time::Instant::now();
            if let Err(e) = sweep(&state).await {
                tracing::warn!(error = %e, "forgetting sent scheduled messages failed; will retry");
            }
        }
        let wait = match next_due(&state, &passed_over).await {
            Ok(Some(at)) => Duration::try_from(at - state.clock.now()).unwrap_or(Duration::ZERO).min(POLL_AT_MOST),
            Ok(None) => POLL_AT_MOST,
            Err(e) => {
                tracing::warn!(error = %e, "reading the next scheduled message's time failed; will retry");
                POLL_AT_MOST
            }
        };
        let wait = room_in.map_or(wait, |room| wait.min(room.max(Duration::from_millis(10))));
        tokio::select! {
            _ = state.shutdown.cancelled() => return,
            _ = nudges.notified() => {}
            _ = tokio::time::sleep(wait) => {}
        }
    }
}

/// Forgets sent rows after [`KEEP_SENT`] (they hold no text, only that they were sent).
async fn sweep(state: &AppState) -> Result<()> {
    let client = state.db.get().await?;
    client.execute("DELETE FROM scheduled_messages WHERE sent_at < now() - $1::text::interval", &[&KEEP_SENT]).await?;
    Ok(())
}
