//! Sending, editing and (soft) deleting messages, and the rules for their text. Writes go
//! through the event log; history is `history.rs`.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::{post, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::Snapshot;
use super::history::load_message;
use crate::access::Writer;
use crate::access::{Access, may_see_message, no_chat, no_message, send_access};
use crate::auth::AuthUser;
use crate::error::{Code, ErrorBody};
use crate::extract::{IdempotencyKey, JsonBody, PathParam};
use crate::limits::Limited;
use crate::log::{AppendError, EventData, NewEvent, Refusal, StoredEvent, mentions, store};
use crate::safeguarding::quiet;
use crate::wire::{HistoryMessage, Mention, MessageType, ReplyPreview, SentMessage};
use crate::{AppError, AppState, Result};

pub use super::text::MAX_MESSAGE_CHARS;
use super::text::{Empty, check_message_text};

pub mod posted;

pub use posted::Posted;

pub fn router() -> Router<AppState> {
    crate::access::for_guests(
        Router::new().route("/api/messages", post(send)).route("/api/messages/{id}", put(edit).delete(remove)),
    )
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct SendMessage {
    pub chat_id: i64,
    /// At most 10,000 characters, not blank; may be empty when the message has attachments.
    #[schema(max_length = 10000)]
    pub content: String,
    /// The message this one answers: a message of the same chat (deleted or not).
    pub reply_to_message_id: Option<i64>,
    /// Up to 10 of the sender's uploads to this chat (`POST /api/chats/{id}/attachments`) that
    /// no message has attached yet, in the order to show them.
    #[serde(default)]
    #[schema(max_items = 10)]
    pub attachment_ids: Vec<i64>,
    /// Send it later, at this time (RFC 3339, in the future, at most 365 days ahead): the
    /// answer is 202 with the scheduled message, which only its author sees until then. Text
    /// and a reply only (no attachments); not for guests.
    #[serde(default)]
    #[schema(format = DateTime)]
    pub send_at: Option<String>,
}

/// Most attachments a message may carry.
pub const MAX_ATTACHMENTS: usize = 10;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct EditMessage {
    /// The new text; the same rules as sending (empty only for a message with attachments).
    #[schema(max_length = 10000)]
    pub content: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Deleted {
    pub success: bool,
}

/// Sends a message to a chat the caller takes part in, possibly as a reply to one of its
/// messages, now or (`send_at`) later. Admins are read-only. With an `Idempotency-Key`, a
/// retry of the same request answers 200 with the message the first one created (on any
/// replica, after any restart) and appends nothing. `X-Event-Position` is the message's
/// position in the log: send it as `X-Min-Event-Position` with a read that must show it.
///
/// In a group, `@` followed by a member's full name (any case; ended by the text's end or a
/// character that is not a letter or a digit) mentions them: the server resolves it as the
/// message is written (the longest name that fits; the sender never) and answers it in
/// `mentions`. A mention notifies the person even in a chat they muted.
#[utoipa::path(post, path = "/api/messages", tag = "messages", request_body = SendMessage,
    params(super::IdempotencyKeyParam),
    responses((status = 201, body = SentMessage, headers(("X-Event-Position" = i64, description = "the message's position in the log"))),
              (status = 200, body = SentMessage, description = "a retry: the message the key created",
               headers(("X-Event-Position" = i64, description = "the message's position in the log"))),
              (status = 202, body = posted::Accepted, description = "with `send_at`: scheduled (a `ScheduledMessage`, sent at `send_at`); or quiet hours (QUIET_HOURS): a teacher's message to a chat with a student is accepted and held (a `HeldMessage`), and delivered at `deliver_at`"),
              (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody, description = "no such chat, or the caller is not a participant (one answer for both); an announcement whose owner the caller is not (`announcement_read_only`)"),
              (status = 409, body = ErrorBody, description = "the chat is closed (an idle inquiry): read-only; `too_many_scheduled`: a scheduled message, or one quiet hours hold, while the caller has SCHEDULED_PER_PERSON of them waiting"),
              (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = user.id, chat_id = body.chat_id))]
pub async fn send(
    State(state): State<AppState>,
    user: AuthUser,
    IdempotencyKey(key): IdempotencyKey,
    JsonBody(body): JsonBody<SendMessage>,
) -> Result<Response> {
    let writer = Writer::admit_in(&state, user, body.chat_id).await?;
    Ok(post_message(&state, &writer, key, body).await?.into_response())
}

/// The send itself, for `POST /api/messages` and every other route that sends a message (the
/// direct send, the dialects): one set of rules for all.
pub async fn post_message(state: &AppState, writer: &Writer, key: Option<String>, body: SendMessage) -> Result<Posted> {
    let Writer(user) = writer;
    // No pooled connection is held while waiting for the writer, which needs one too.
    let access = send_access(state, body.chat_id, user).await?.postable(body.chat_id)?;
    let empty = if body.attachment_ids.is_empty() { Empty::Unfit } else { Empty::Allowed };
    check_message_text("content", &body.content, empty)?;
    if body.attachment_ids.len() > MAX_ATTACHMENTS {
        return Err(AppError::BadRequest(format!(
            "a message carries at most {MAX_ATTACHMENTS} attachments (got {})",
            body.attachment_ids.len()
        )));
    }
    let reply_to = match body.reply_to_message_id {
        None => None,
        Some(parent) => Some(quoted(state, body.chat_id, parent, access).await?),
    };
    if let Some(send_at) = body.send_at.as_deref() {
        return Ok(Posted::Later(posted::schedule(state, user, access, key.as_deref(), &body, send_at).await?));
    }

    if let Some(deliver_at) = quiet::held_until(state, user, body.chat_id).await? {
        // A retry of a message delivered already is answered as delivered.
        if let Some(key) = key.as_deref()
            && let Some((position, first)) = first_answer(state, user, key, &body).await?
        {
            return Ok(Posted::Repeated(position, first));
        }
        let message = quiet::Message {
            chat_id: body.chat_id,
            content: &body.content,
            reply_to: body.reply_to_message_id,
            attachment_ids: &body.attachment_ids,
            key: key.as_deref(),
        };
        let held = quiet::hold(state, user, &message, deliver_at).await?;
        return Ok(Posted::Later(posted::Accepted::Held(held)));
    }
    let mentions = mentioned(state, body.chat_id, user.id, &body.content).await?;
    let event = NewEvent::MessageCreated {
        chat_id: body.chat_id,
        sender_id: user.id,
        content: body.content.clone(),
        reply_to: body.reply_to_message_id,
        attachment_ids: body.attachment_ids.clone(),
        mentions,
    };
    let stored = match state.appender.append_idempotent(event, key.clone()).await {
        Ok(Some(stored)) => stored,
        Ok(None) => return Err(anyhow::anyhow!("the log recorded nothing for a new message").into()),
        // The key was used before (a retry whose first attempt committed, on any replica):
        // the log's unique index said so, without a lookup on every keyed send.
        Err(AppendError::Duplicate) => {
            let key = key.unwrap_or_default();
            let first = first_answer(state, user, &key, &body).await?;
            let (position, first) =
                first.ok_or_else(|| anyhow::anyhow!("idempotency key {key:?} conflicted but names no event"))?;
            return Ok(Posted::Repeated(position, first));
        }
        // A retry whose first attempt attached the uploads is refused for that, before the
        // key's index is reached: the key still finds the first answer.
        Err(refused @ AppendError::Refused(..)) => {
            let first = match key.as_deref() {
                Some(key) => first_answer(state, user, key, &body).await?,
                None => None,
            };
            return match first {
                Some((position, first)) => Ok(Posted::Repeated(position, first)),
                // Not a member as the log knows it (a removal the hub here had not read yet):
                // the answer anyone gets for a chat they are not in.
                None if matches!(refused, AppendError::Refused(_, Refusal::NotAllowed)) => Err(no_chat(body.chat_id)),
                None => Err(refused.into()),
            };
        }
        Err(e) => return Err(e.into()),
    };
    // The message ends the sender's typing there (the partner's client ends it on the message).
    state.typing.ended(user.id, body.chat_id);
    let sent = sent_message(state, &stored, reply_to).await?;
    Ok(Posted::Created(stored.position, sent))
}

/// The message `parent` that a new message of chat `chat_id` quotes: 400 unless it is a
/// message of that chat that the sender can see.
async fn quoted(state: &AppState, chat_id: i64, parent: i64, access: Access) -> Result<ReplyPreview> {
    let client = state.db.get().await?;
    let row = client
        .query_opt(
            "SELECT * FROM reply_previews WHERE reply_id = $1 AND reply_chat_id = $2 AND reply_position >= $3",
            &[&parent, &chat_id, &access.visible_from],
        )
        .await?;
    row.as_ref().map(ReplyPreview::from_row).transpose()?.flatten().ok_or_else(|| {
        AppError::Unprocessable(format!("reply_to_message_id {parent} is not a message of chat {chat_id}"))
    })
}

/// The answer the first request with `key` got, if there was one, with its event's position;
/// 422 if the key was used for a different request.
async fn first_answer(
    state: &AppState,
    user: &AuthUser,
    key: &str,
    body: &SendMessage,
) -> Result<Option<(i64, SentMessage)>> {
    let client = state.db.get().await?;
    let Some(first) = store::find_by_key(&**client, user.id, key).await? else {
        return Ok(None);
    };
    let same = matches!(&first.data, EventData::MessageCreated { content, reply_to_message_id, attachments, .. }
        if first.chat_id == Some(body.chat_id) && *content == body.content && *reply_to_message_id == body.reply_to_message_id
            && body.attachment_ids.iter().eq(attachments.iter().map(|a| &a.id)));
    if !same {
        return Err(AppError::Unprocessable(
            "this Idempotency-Key was already used for a different request; use a new key for a new message".into(),
        )
        .with_code(Code::IdempotencyKeyReused));
    }
    let EventData::MessageCreated { message_id, .. } = first.data else { unreachable!("matched above") };
    // As it is now: edited, deleted or read since, the retry sees that too.
    Ok(load_message(&**client, message_id).await?.map(|message| (first.position, message)))
}

/// A `message_created` event as `POST /api/messages` answers it (whom it mentions named now).
async fn sent_message(state: &AppState, stored: &StoredEvent, reply_to: Option<ReplyPreview>) -> Result<SentMessage> {
    let EventData::MessageCreated { message_id, content, attachments, mentions, .. } = &stored.data else {
        return Err(anyhow::anyhow!("the log answered a new message with {:?}", stored.data).into());
    };
    let sender_id = stored.actor_id.ok_or_else(|| anyhow::anyhow!("message {message_id} has no sender"))?;
    let message = HistoryMessage {
        id: *message_id,
        sender_id,
        content: content.clone(),
        is_deleted: false,
        created_at: stored.created_at,
        is_edited: false,
        edited_at: None,
        reply_to,
        kind: MessageType::of(attachments),
        attachments: attachments.clone(),
        read_by: Vec::new(), // markers only point at messages that existed before
        hidden: None,
        purged: None,
        reactions: Vec::new(),
        mentions: named(state, mentions).await?,
    };
    let chat_id = stored.chat_id.ok_or_else(|| anyhow::anyhow!("message {message_id} has no chat"))?;
    Ok(SentMessage { chat_id, message })
}

/// Whom `sender`'s `text` mentions in chat `chat_id`, resolved before the append (no pooled
/// connection for a text without an "@").
async fn mentioned(state: &AppState, chat_id: i64, sender: i64, text: &str) -> Result<Vec<i64>> {
    if !text.contains('@') {
        return Ok(Vec::new());
    }
    Ok(mentions::resolve(&**state.db.get().await?, chat_id, sender, text).await?)
}

/// The people of an event's `mentions`, named as they are now (no query for none).
async fn named(state: &AppState, ids: &[i64]) -> Result<Vec<Mention>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(Mention::named(&**state.db.get().await?, ids).await?)
}

/// Replaces the text of the caller's own message. The old text stays in the log; history
/// shows the new one with `is_edited`. The same text again changes nothing (200, no event).
/// A school that turned editing off (its setting `message_editing`, by default `MESSAGE_EDITING`)
/// refuses every edit. In a group,
/// the new text's mentions are resolved again (`mentions`: the people it names now); an edit
/// notifies nobody. Inside quiet hours a teacher's edit in a chat with a student is refused
/// (409 `quiet_hours`, until they end), since only new messages can be held.
#[utoipa::path(put, path = "/api/messages/{id}", tag = "messages", params(("id" = i64, Path)), request_body = EditMessage,
    responses((status = 422, body = ErrorBody, description = "empty content for a message without attachments"), (status = 200, body = SentMessage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody, description = "no such message, or not the caller's to see (one answer for both); `editing_off`: this school turned editing off"),
              (status = 409, body = ErrorBody, description = "the message is deleted; `quiet_hours`: a teacher's edit in a chat with a student inside quiet hours (QUIET_HOURS), refused until they end")))]
#[tracing::instrument(skip_all, fields(user_id = user.id, message_id = id))]
pub async fn edit(
    State(state): State<AppState>,
    user: AuthUser,
    PathParam(id): PathParam<i64>,
    body: JsonBody<EditMessage>,
) -> Result<Json<SentMessage>> {
    let writer = Writer::admit_for_message(&state, user, id).await?;
    edit_as(State(state), writer, PathParam(id), body).await
}

/// [`edit`] by a writer admitted already (a dialect's, whose caller signed in as one).
pub async fn edit_as(
    State(state): State<AppState>,
    Writer(user): Writer,
    PathParam(id): PathParam<i64>,
    JsonBody(body): JsonBody<EditMessage>,
) -> Result<Json<SentMessage>> {
    if !state.school.message_editing() {
        return Err(AppError::Forbidden(
            "this school turned editing off (its setting message_editing, by default MESSAGE_EDITING): delete the message and write it again".into(),
        )
        .with_code(Code::EditingOff));
    }
    let current = {
        let client = state.db.get().await?;
        load_message(&**client, id).await?.ok_or_else(|| no_message(id))?
    };
    if current.message.sender_id != user.id {
        return Err(not_theirs(&state, id, &user, "edit").await);
    }
    if current.message.is_deleted {
        return Err(
            AppError::Conflict(format!("message {id} is deleted and cannot be edited")).with_code(Code::MessageDeleted)
        );
    }
    let empty = if current.message.attachments.is_empty() { Empty::Unfit } else { Empty::Allowed };
    check_message_text("content", &body.content, empty)?;
    if current.message.content == body.content {
        return Ok(Json(current));
    }
    // Quiet hours cannot hold an edit: it changes a message its reader has, at once.
    quiet::refuse_in_chat(&state, &user, current.chat_id, "edit a message").await?;
    let mentions = mentioned(&state, current.chat_id, user.id, &body.content).await?;
    let event = NewEvent::MessageEdited {
        chat_id: current.chat_id,
        actor_id: user.id,
        message_id: id,
        content: body.content,
        mentions,
    };
    match state.appender.append(event).await? {
        Some(stored) => {
            let EventData::MessageEdited { content, mentions, .. } = stored.data else {
                return Err(anyhow::anyhow!("the log answered an edit with {:?}", stored.data).into());
            };
            let mut message = current.message;
            (message.content, message.is_edited, message.edited_at) = (content, true, Some(stored.created_at));
            message.mentions = named(&state, &mentions).await?;
            Ok(Json(SentMessage { chat_id: current.chat_id, message }))
        }
        // A concurrent edit wrote this same text first: answer with the message as it is.
        None => {
            let client = state.db.get().await?;
            Ok(Json(load_message(&**client, id).await?.ok_or_else(|| anyhow::anyhow!("message {id} vanished"))?))
        }
    }
}

/// The answer to changing somebody else's message: 403 `not_author` if the caller can see it,
/// 403 `forbidden` (as if it did not exist) if not.
async fn not_theirs(state: &AppState, id: i64, user: &AuthUser, doing: &str) -> AppError {
    match may_see_message(state, id, user).await {
        Ok(true) => AppError::Forbidden(format!("only the author can {doing} a message")).with_code(Code::NotAuthor),
        Ok(false) => no_message(id),
        Err(e) => e,
    }
}

/// Soft-deletes the caller's own message; deleting it again is a no-op success.
#[utoipa::path(delete, path = "/api/messages/{id}", tag = "messages", operation_id = "delete_message", params(("id" = i64, Path)),
    responses((status = 200, body = Deleted), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody, description = "no such message, or not the caller's to see (one answer for both)")))]
#[tracing::instrument(skip_all, fields(user_id = user.id, message_id = id))]
pub async fn remove(
    State(state): State<AppState>,
    user: AuthUser,
    PathParam(id): PathParam<i64>,
) -> Result<Json<Deleted>> {
    state.limits.check(Limited::write_by(user.role), user.id)?;
    let row = state
        .db
        .get()
        .await?
        .query_opt("SELECT chat_id, sender_id, is_deleted FROM messages WHERE id = $1", &[&id])
        .await?
        .ok_or_else(|| no_message(id))?;
    if row.get::<_, i64>("sender_id") != user.id {
        return Err(not_theirs(&state, id, &user, "delete").await);
    }
    if !row.get::<_, bool>("is_deleted") {
        let event = NewEvent::MessageDeleted { chat_id: row.get("chat_id"), actor_id: user.id, message_id: id };
        state.appender.append(event).await?; // None: someone deleted it meanwhile, also fine
    }
    Ok(Json(Deleted { success: true }))
}
