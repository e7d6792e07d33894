//! Quiet hours (`QUIET_HOURS`, `SCHOOL_TIMEZONE`): a teacher's message to a chat with a student,
//! sent inside the window, is accepted and stored in `held_messages` but not delivered; when
//! the window ends one replica appends it to the log (a `message_created` with `held_since`)
//! in the transaction that deletes the row, so it is delivered, counted unread and notified
//! then, exactly once, whichever replicas run or restart meanwhile. Students and guardians
//! write as always; admins see held messages at once and may deliver one early. Nothing about
//! who may read a chat changes: the log's rules check the message again as it is delivered.

use serde::Serialize;
use time::OffsetDateTime;
use tokio_postgres::GenericClient;

use crate::auth::{AuthUser, Role};
use crate::log::{AppendError, NewEvent, store};
use crate::{AppError, AppState, Result};

/// A message quiet hours hold: what `POST /api/messages` answers (202) inside them, and what
/// its sender and admins see until it is delivered.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HeldMessage {
    /// The held message's own id (not a message id: it gets one when it is delivered).
    pub id: i64,
    pub chat_id: i64,
    pub sender_id: i64,
    pub content: String,
    pub reply_to_message_id: Option<i64>,
    pub attachment_ids: Vec<i64>,
    #[serde(with = "time::serde::rfc3339")]
    pub held_at: OffsetDateTime,
    /// When quiet hours end and it is delivered.
    #[serde(with = "time::serde::rfc3339")]
    pub deliver_at: OffsetDateTime,
}

impl HeldMessage {
    fn from_row(row: &tokio_postgres::Row) -> Result<Self, tokio_postgres::Error> {
        Ok(Self {
            id: row.try_get("id")?,
            chat_id: row.try_get("chat_id")?,
            sender_id: row.try_get("sender_id")?,
            content: row.try_get("content")?,
            reply_to_message_id: row.try_get("reply_to_message_id")?,
            attachment_ids: row.try_get("attachment_ids")?,
            held_at: row.try_get("held_at")?,
            deliver_at: row.try_get("deliver_at")?,
        })
    }
}

/// What to hold: a message as `POST /api/messages` asked for it.
pub struct Message<'a> {
    pub chat_id: i64,
    pub content: &'a str,
    pub reply_to: Option<i64>,
    pub attachment_ids: &'a [i64],
    pub key: Option<&'a str>,
}

/// Until when `sender`'s message to chat `chat_id` is held (`None`: deliver it now): a
/// teacher's, to a chat with a student inside quiet hours, or to a family chat or any chat with
/// a guardian member (an announcement to families) inside the families' (`QUIET_HOURS_FAMILIES`);
/// to a chat with both, until the later of the two ends; by the replica's clock.
pub async fn held_until(state: &AppState, sender: &AuthUser, chat_id: i64) -> Result<Option<OffsetDateTime>> {
    let school = &state.school;
    if school.quiet_hours().is_none() && school.family_window().is_none() || sender.role != Role::Teacher {
        return Ok(None);
    }
    held_until_for(&**state.db.get().await?, state, sender.role, chat_id).await
}

/// [`held_until`] for a sender of role `role` who is not the caller, on `client`: a scheduled
/// message's author, as it is sent (in the transaction that sends it).
pub async fn held_until_for(
    client: &impl GenericClient,
    state: &AppState,
    role: Role,
    chat_id: i64,
) -> Result<Option<OffsetDateTime>> {
    let (students, families) = (state.school.quiet_hours(), state.school.family_window());
    if role != Role::Teacher || students.is_none() && families.is_none() {
        return Ok(None);
    }
    let zone = state.school.time_zone();
    // A window that is not set is NULL: quiet_hours_end says NULL, never held.
    let row = client
        .query_one(
            "SELECT CASE WHEN c.kind = 'family' THEN quiet_hours_end($1, $6, $7, $4)
                         ELSE greatest(
                             CASE WHEN EXISTS (SELECT 1 FROM chat_participants p JOIN users u ON u.id = p.user_id
                                               WHERE p.chat_id = $5 AND u.role = 'student')
                                  THEN quiet_hours_end($1, $2, $3, $4) END,
                             CASE WHEN EXISTS (SELECT 1 FROM chat_participants p JOIN users u ON u.id = p.user_id
                                               WHERE p.chat_id = $5 AND u.role = 'guardian')
                                  THEN quiet_hours_end($1, $6, $7, $4) END) END AS deliver_at
             FROM chats c WHERE c.id = $5
             UNION ALL SELECT NULL LIMIT 1",
            &[
                &state.clock.now(),
                &students.map(|w| w.start),
                &students.map(|w| w.end),
                &zone,
                &chat_id,
                &families.map(|w| w.start),
                &families.map(|w| w.end),
            ],
        )
        .await?;
    Ok(row.try_get("deliver_at")?)
}

/// Until when quiet hours keep `actor` (of role `role`) from showing the people `people` (a
/// new group's members, a member being added) anything now (`None`: not now): a teacher's,
/// to a student among them, inside the window, as [`held_until_for`] decides for a chat.
pub async fn held_until_among(
    client: &impl GenericClient,
    state: &AppState,
    role: Role,
    people: &[i64],
) -> Result<Option<OffsetDateTime>> {
    let Some(window) = state.school.quiet_hours() else { return Ok(None) };
    if role != Role::Teacher || people.is_empty() {
        return Ok(None);
    }
    let zone = state.school.time_zone();
    let row = client
        .query_one(
            "SELECT quiet_hours_end($1, $2, $3, $4) AS deliver_at
             WHERE EXISTS (SELECT 1 FROM users u WHERE u.id = ANY($5) AND u.role = 'student')
             UNION ALL SELECT NULL LIMIT 1",
            &[&state.clock.now(), &window.start, &window.end, &zone, &people],
        )
        .await?;
    Ok(row.try_get("deliver_at")?)
}

/// The answer to a change quiet hours would hold if they could, and cannot: a teacher's edit
/// of a message, a group's title or a student joining a group reaches the student's open
/// client at once, and has no later delivery of its own to wait for. So it is refused, 409
/// `quiet_hours`, saying until when (`doing`: what was asked, "edit a message").
pub fn refused(doing: &str, until: OffsetDateTime) -> AppError {
    let until = until.format(&time::format_description::well_known::Rfc3339).unwrap_or_else(|_| until.to_string());
    AppError::Conflict(format!(
        "quiet hours (QUIET_HOURS): a teacher cannot {doing} where a student would see it until they end at {until}; try again then"
    ))
    .with_code(crate::error::Code::QuietHours)
}

/// 409 `quiet_hours` when `actor`'s change to chat `chat_id` would reach a student inside
/// quiet hours (the rule of [`held_until`]); `doing` says what it is.
pub async fn refuse_in_chat(state: &AppState, actor: &AuthUser, chat_id: i64, doing: &str) -> Result<()> {
    match held_until(state, actor, chat_id).await? {
        Some(until) => Err(refused(doing, until)),
        None => Ok(()),
    }
}

/// Holds `message` of `sender` until `deliver_at`; a retry with the same idempotency key
/// answers the message it held (422 if the key was used for another).
pub async fn hold(
    state: &AppState,
    sender: &AuthUser,
    message: &Message<'_>,
    deliver_at: OffsetDateTime,
) -> Result<HeldMessage> {
    let mut client = state.db.get().await?;
    let tx = client.transaction().await?;
    let held = hold_with(&*tx, state, sender.id, message, deliver_at).await?;
    tx.commit().await?;
    if let Some(held) = held {
        return Ok(held);
    }
    // The key held a message before: the same one is answered again.
    let first = client
        .query_one(
            "SELECT * FROM held_messages WHERE sender_id = $1 AND idempotency_key = $2",
            &[&sender.id, &message.key],
        )
        .await?;
    let first = HeldMessage::from_row(&first)?;
    if first.chat_id != message.chat_id
        || first.content != message.content
        || first.reply_to_message_id != message.reply_to
    {
        return Err(AppError::Unprocessable(
            "this Idempotency-Key was already used for a different request; use a new key for a new message".into(),
        )
        .with_code(crate::error::Code::IdempotencyKeyReused));
    }
    Ok(first)
}

/// Holds `message` of `sender` until `deliver_at` on `client`, a transaction (a scheduled
/// message is held in the one that marks it sent); `None` if its idempotency key held one
/// before. A sender has at most `SCHEDULED_PER_PERSON` messages held at once (409
/// `too_many_scheduled`): they are all delivered together when quiet hours end.
pub async fn hold_with(
    client: &impl GenericClient,
    state: &AppState,
    sender: i64,
    message: &Message<'_>,
    deliver_at: OffsetDateTime,
) -> Result<Option<HeldMessage>> {
    let attachable: i64 = client
        .query_one(
            "SELECT count(*) FROM attachments
             WHERE id = ANY($1) AND uploader_id = $2 AND chat_id = $3 AND message_id IS NULL",
            &[&message.attachment_ids, &sender, &message.chat_id],
        )
        .await?
        .get(0);
    if attachable != message.attachment_ids.len() as i64 {
        return Err(AppError::Unprocessable(
            "attachment_ids must be your own uploads to this chat that no message has attached".into(),
        ));
    }
    // One sender's holds one at a time: two at once cannot both take the last place.
    client.execute("SELECT pg_advisory_xact_lock(hashtextextended('held_messages', $1))", &[&sender]).await?;
    let cap = i64::from(state.config.rate.scheduled_per_person);
    let row = client
        .query_opt(
            "INSERT INTO held_messages (chat_id, sender_id, content, reply_to_message_id, attachment_ids, idempotency_key, deliver_at)
             SELECT $1, $2, $3, $4, $5, $6, $7
             WHERE (SELECT count(*) FROM held_messages WHERE sender_id = $2) < $8
             ON CONFLICT (sender_id, idempotency_key) DO NOTHING RETURNING *",
            &[&message.chat_id, &sender, &message.content, &message.reply_to, &message.attachment_ids, &message.key, &deliver_at, &cap],
        )
        .await?;
    let Some(row) = row else {
        let held_before = match message.key {
            Some(key) => client
                .query_opt(
                    "SELECT 1 FROM held_messages WHERE sender_id = $1 AND idempotency_key = $2",
                    &[&sender, &key],
                )
                .await?
                .is_some(),
            None => false,
        };
        if held_before {
            return Ok(None);
        }
        return Err(AppError::Conflict(format!(
            "you have {cap} messages held until quiet hours end, the most one person may (SCHEDULED_PER_PERSON): \
             they are delivered then"
        ))
        .with_code(crate::error::Code::TooManyScheduled));
    };
    mark_burst(client, state, sender).await?;
    Ok(Some(HeldMessage::from_row(&row)?))
}

/// Marks `sender`'s held messages of the last `FLAG_BURST_MINUTES` as a burst when they reach
/// `FLAG_BURST_CHATS` students' chats: each is flagged as it is delivered.
async fn mark_burst(client: &impl GenericClient, state: &AppState, sender: i64) -> Result<()> {
    let config = &state.config.safeguarding;
    if config.burst_chats <= 0 {
        return Ok(());
    }
    let burst = format!(
        "burst: messages to {} or more students' chats within {} minutes, out of hours",
        config.burst_chats, config.burst_minutes
    );
    client
        .execute(
            "UPDATE held_messages SET burst = $4
             WHERE sender_id = $1 AND burst IS NULL AND held_at > now() - make_interval(mins => $2)
               AND (SELECT count(DISTINCT h.chat_id) FROM held_messages h
                    WHERE h.sender_id = $1 AND h.held_at > now() - make_interval(mins => $2)) >= $3",
            &[&sender, &config.burst_minutes, &config.burst_chats, &burst],
        )
        .await?;
    Ok(())
}

/// The held messages `sender` may see (`None`: an admin's, everyone's), of one chat or all.
pub async fn list(state: &AppState, sender: Option<i64>, chat_id: Option<i64>) -> Result<Vec<HeldMessage>> {
    let rows = state
        .db
        .get()
        .await?
        .query(
            "SELECT * FROM held_messages WHERE ($1::bigint IS NULL OR sender_id = $1)
                AND ($2::bigint IS NULL OR chat_id = $2) ORDER BY deliver_at, id LIMIT 1000",
            &[&sender, &chat_id],
        )
        .await?;
    Ok(rows.iter().map(HeldMessage::from_row).collect::<Result<_, _>>()?)
}

/// What became of a held message asked to be delivered.
#[derive(Debug, PartialEq, Eq)]
pub enum Delivered {
    /// Appended to the log at this position.
    At(i64),
    /// The log refused it (its sender suspended, the chat closed, …): it is dropped.
    Refused(String),
    /// Not held (any more): delivered already, or never held.
    NotHeld,
}

/// Delivers held message `id` now if it is due by `due` (`None`: whenever it is due, an
/// admin's override), in one transaction with the row's deletion: exactly once.
pub async fn deliver(state: &AppState, id: Option<i64>, due: OffsetDateTime) -> Result<Delivered> {
    let mut client = state.db.get().await?;
    let tx = client.transaction().await?;
    let row = tx
        .query_opt(
            "SELECT * FROM held_messages WHERE ($1::bigint IS NULL AND deliver_at <= $2) OR id = $1
             ORDER BY deliver_at, id LIMIT 1 FOR UPDATE SKIP LOCKED",
            &[&id, &due],
        )
        .await?;
    let Some(row) = row else { return Ok(Delivered::NotHeld) };
    let held = HeldMessage::from_row(&row)?;
    let key: Option<String> = row.try_get("idempotency_key")?;
    let mentions = crate::log::mentions::resolve(&*tx, held.chat_id, held.sender_id, &held.content).await?;
    let event = NewEvent::HeldMessage {
        chat_id: held.chat_id,
        sender_id: held.sender_id,
        content: held.content.clone(),
        reply_to: held.reply_to_message_id,
        attachment_ids: held.attachment_ids.clone(),
        held_since: held.held_at,
        mentions,
    };
    tx.execute("SAVEPOINT deliver", &[]).await?;
    match store::append_with(&*tx, store::APPEND_SQL, &[event], &[key]).await {
        Ok(stored) => {
            // A burst is flagged as the message enters the log (flags never hold it up).
            let burst: Option<String> = row.try_get("burst")?;
            if let (Some(flag), Some(Some(event))) = (burst, stored.first())
                && let crate::log::EventData::MessageCreated { message_id, .. } = event.data
            {
                let flagged = NewEvent::MessageFlagged { chat_id: held.chat_id, message_id, flag };
                store::append(&*tx, &[flagged]).await?;
                metrics::counter!(crate::metrics::FLAGS, "cause" => "burst").increment(1);
            }
            tx.execute("DELETE FROM held_messages WHERE id = $1", &[&held.id]).await?;
            tx.commit().await?;
            let position = stored.first().and_then(Option::as_ref).map_or(0, |e| e.position);
            Ok(Delivered::At(position))
        }
        Err(refusal @ (AppendError::Refused(..) | AppendError::Duplicate)) => {
            // The log will not take it (its sender suspended or being erased, the chat closed,
            // its key delivered already): dropped, not tried again and again.
            tx.execute("ROLLBACK TO SAVEPOINT deliver", &[]).await?;
            tx.execute("DELETE FROM held_messages WHERE id = $1", &[&held.id]).await?;
            tx.commit().await?;
            Ok(Delivered::Refused(refusal.to_string()))
        }
        Err(e) => Err(e.into()),
    }
}

/// The job that delivers held messages as they come due.
pub const JOB: &str = "quiet-hours";

/// Delivers every held message that is due by the replica's clock, every
/// `HELD_RELEASE_EVERY_MS`, on every replica (each row is taken by one of them).
pub async fn keep_delivering(state: AppState) {
    let every = state.config.safeguarding.release_every;
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = state.shutdown.cancelled() => return,
            _ = ticks.tick() => {}
        }
        loop {
            match deliver(&state, None, state.clock.now()).await {
                Ok(Delivered::NotHeld) => break,
                Ok(Delivered::At(position)) => {
                    metrics::counter!(crate::metrics::HELD_MESSAGES, "outcome" => "delivered").increment(1);
                    tracing::info!(position, "delivered a message quiet hours held");
                }
                Ok(Delivered::Refused(reason)) => {
                    metrics::counter!(crate::metrics::HELD_MESSAGES, "outcome" => "refused").increment(1);
                    tracing::warn!(reason, "the log refused a message quiet hours held; it is dropped");
                }
                Err(e) => {
                    tracing::warn!(error = %e, "delivering held messages failed; will retry");
                    break;
                }
            }
        }
    }
}

/// Whether `SCHOOL_TIMEZONE` is a time zone PostgreSQL knows (checked at start): `UTC`, the
/// default, every PostgreSQL knows; another is looked up in `pg_timezone_names`, which reads
/// every zone's file (25 ms of the server's CPU, at every replica's start).
pub async fn check_timezone(client: &impl GenericClient, zone: &str) -> Result<bool, tokio_postgres::Error> {
    if zone == "UTC" {
        return Ok(true);
    }
    let row = client.query_one("SELECT EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = $1)", &[&zone]).await?;
    Ok(row.get(0))
}
