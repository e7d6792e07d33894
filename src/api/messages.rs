//! Message history, sending and (soft) deleting. Writes go through the event log.

use std::sync::LazyLock;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use tokio_postgres::{GenericClient, Row};

use super::{MinPositionParam, Snapshot};
use crate::auth::AuthUser;
use crate::error::ErrorBody;
use crate::extract::{IdempotencyKey, JsonBody, MinPosition, PathParam, QueryParams};
use crate::limits::Limited;
use crate::log::{AppendError, EventData, NewEvent, StoredEvent, store};
use crate::reads::reading;
use crate::views::{Attachment, HistoryMessage, MessageType, READ_BY_LIMIT, ReplyPreview, SentMessage};
use crate::{AppError, AppState, Result};

/// Messages with what their views show: the message each answers (`p`), and every
/// participant's read marker (`readers`/`markers`, from the chat's few participant rows, read
/// once per statement), from which `read_by` is computed. `chat` names the chat (a parameter
/// or `m.chat_id`); `rest` filters and orders.
fn messages_sql(chat: &str, rest: &str) -> String {
    format!(
        "SELECT m.id, m.chat_id, m.sender_id, m.content, m.is_deleted, m.created_at, m.edited_at, m.attachments, {},
                r.readers, r.markers
         FROM messages m
         CROSS JOIN LATERAL (SELECT array_agg(user_id ORDER BY user_id) AS readers,
                                    array_agg(last_read_message_id ORDER BY user_id) AS markers
                             FROM chat_participants WHERE chat_id = {chat}) r
         LEFT JOIN messages p ON p.id = m.reply_to_id
         {rest}",
        ReplyPreview::COLUMNS
    )
}

/// A history page: $1 the chat, $2 `before_id` (or NULL), $3 how many, $4 the first position
/// the caller may see (see [`Access`]), with the log head in the same statement (see
/// [`store::with_head`]). Public so that the benchmark can `EXPLAIN` exactly this statement.
pub static HISTORY_SQL: LazyLock<String> = LazyLock::new(|| {
    store::with_head(
        &messages_sql(
            "$1",
            "WHERE m.chat_id = $1 AND NOT m.is_deleted AND m.id < coalesce($2, 9223372036854775807)
               AND m.position >= $4
             ORDER BY m.id DESC LIMIT $3",
        ),
        "d.id DESC",
    )
});

/// Message $1 as it is now.
static MESSAGE_SQL: LazyLock<String> = LazyLock::new(|| messages_sql("m.chat_id", "WHERE m.id = $1"));

/// Longest message, in Unicode scalar values.
pub const MAX_MESSAGE_CHARS: usize = 10_000;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/chats/{chat_id}/messages", get(history))
        .route("/api/messages", post(send))
        .route("/api/messages/{id}", put(edit).delete(remove))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct History {
    /// Oldest first.
    pub messages: Vec<HistoryMessage>,
    /// Whether older messages exist before the first one returned.
    pub has_more: bool,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct HistoryQuery {
    /// 1–100, default 50.
    pub limit: Option<i64>,
    /// Only messages with a smaller id (the oldest id you already have).
    pub before_id: Option<i64>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct SendMessage {
    pub chat_id: i64,
    /// May be empty when the message has attachments.
    pub content: String,
    /// The message this one answers: a message of the same chat (deleted or not).
    pub reply_to_message_id: Option<i64>,
    /// Up to 10 of the sender's uploads to this chat (`POST /api/chats/{id}/attachments`) that
    /// no message has attached yet, in the order to show them.
    #[serde(default)]
    pub attachment_ids: Vec<i64>,
}

/// Most attachments a message may carry.
pub const MAX_ATTACHMENTS: usize = 10;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct EditMessage {
    /// The new text; the same rules as sending.
    pub content: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Deleted {
    pub success: bool,
}

/// What the caller may see of a chat.
#[derive(Debug, Clone, Copy)]
pub(super) struct Access {
    /// The first log position whose messages they may see: where their membership began (a
    /// group member sees nothing from before they joined; a direct chat's pair joined when it
    /// opened), 0 for an admin.
    pub visible_from: i64,
}

/// Whether `user` may read chat `chat_id`: 404 if it does not exist, 403 unless the user is a
/// member now or an admin. Writing additionally excludes admins (checked by the caller). The
/// hub answers for the direct chats this replica knows (their members never change); the
/// database for groups (a removal must take effect at once, on every replica) and the rest.
pub(super) async fn check_access(state: &AppState, chat_id: i64, user: &AuthUser) -> Result<Access> {
    match state.hub.is_member(chat_id, user.id) {
        Some(true) => return Ok(Access { visible_from: 0 }),
        Some(false) if user.is_admin() => return Ok(Access { visible_from: 0 }),
        Some(false) => return Err(AppError::Forbidden(format!("you are not a participant of chat {chat_id}"))),
        None => {}
    }
    // Prepared once per pooled connection: a group's every message, typing request and history
    // page asks, and an unprepared statement is two round trips (parse, then execute).
    let client = state.db.get().await?;
    let statement = client
        .prepare_cached(
            "SELECT p.joined_position FROM chats c
             LEFT JOIN chat_participants p ON p.chat_id = c.id AND p.user_id = $2
             WHERE c.id = $1",
        )
        .await?;
    let row = client
        .query_opt(&statement, &[&chat_id, &user.id])
        .await?
        .ok_or_else(|| AppError::NotFound(format!("chat {chat_id} does not exist")))?;
    match row.get::<_, Option<i64>>("joined_position") {
        _ if user.is_admin() => Ok(Access { visible_from: 0 }),
        Some(joined) => Ok(Access { visible_from: joined }),
        None => Err(AppError::Forbidden(format!("you are not a participant of chat {chat_id}"))),
    }
}

/// Characters that render as nothing (format controls, joiners, fillers, variation
/// selectors): a message made only of them and whitespace looks blank, so it is refused as
/// blank.
fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{FFA0}'
        | '\u{1D173}'..='\u{1D17A}' | '\u{E0000}'..='\u{E007F}' | '\u{E0100}'..='\u{E01EF}')
}

/// Whether a text shows nothing: only whitespace and invisible characters (or none).
pub(super) fn is_blank(text: &str) -> bool {
    text.chars().all(|c| c.is_whitespace() || is_invisible(c))
}

/// The rules for a message's text; `may_be_empty` when it has attachments.
fn validate_content(content: &str, may_be_empty: bool) -> Result<()> {
    if content.contains('\0') {
        return Err(AppError::BadRequest("content must not contain the NUL character (U+0000)".into()));
    }
    if may_be_empty && content.is_empty() {
        return Ok(());
    }
    if is_blank(content) {
        return Err(AppError::BadRequest(
            "content must not be empty or only whitespace or invisible characters".into(),
        ));
    }
    let length = content.chars().count();
    if length > MAX_MESSAGE_CHARS {
        return Err(AppError::BadRequest(format!(
            "content is {length} characters long; the limit is {MAX_MESSAGE_CHARS}"
        )));
    }
    Ok(())
}

/// The newest `limit` visible messages older than `before_id`, oldest first.
#[utoipa::path(get, path = "/api/chats/{chat_id}/messages", tag = "messages",
    params(("chat_id" = i64, Path), HistoryQuery, MinPositionParam),
    responses((status = 200, body = History, headers(("X-Event-Position" = i64, description = "the log position the page is at least as recent as"))),
              (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = user.id, chat_id = chat_id))]
pub async fn history(
    State(state): State<AppState>,
    user: AuthUser,
    PathParam(chat_id): PathParam<i64>,
    QueryParams(query): QueryParams<HistoryQuery>,
    MinPosition(min): MinPosition,
) -> Result<Snapshot<History>> {
    let limit = query.limit.unwrap_or(50);
    if !(1..=100).contains(&limit) {
        return Err(AppError::BadRequest(format!("limit must be between 1 and 100 (got {limit})")));
    }
    // Access on the primary (a removal binds at once); the page wherever it is fresh enough.
    let access = check_access(&state, chat_id, &user).await?;
    let params: [&(dyn tokio_postgres::types::ToSql + Sync); 4] =
        [&chat_id, &query.before_id, &(limit + 1), &access.visible_from];
    let (position, rows) =
        reading!(state.reads, min, |client| Ok(store::snapshot(&client, &HISTORY_SQL, &params).await?))?;
    let has_more = rows.len() as i64 > limit;
    let mut messages =
        rows.iter().take(limit as usize).map(history_message).collect::<Result<Vec<_>, tokio_postgres::Error>>()?;
    messages.reverse();
    Ok(Snapshot(position, History { messages, has_more }))
}

/// A history row (selected by [`HISTORY_SQL`] or [`MESSAGE_SQL`]) as a message.
fn history_message(row: &Row) -> Result<HistoryMessage, tokio_postgres::Error> {
    let id: i64 = row.try_get("id")?;
    let sender_id: i64 = row.try_get("sender_id")?;
    let readers: Vec<i64> = row.try_get("readers")?;
    let markers: Vec<i64> = row.try_get("markers")?;
    let read_by = readers
        .into_iter()
        .zip(markers)
        .filter(|&(reader, marker)| reader != sender_id && marker >= id)
        .map(|(reader, _)| reader)
        .take(READ_BY_LIMIT)
        .collect();
    let edited_at: Option<time::OffsetDateTime> = row.try_get("edited_at")?;
    let attachments = Attachment::list_from_row(row, "attachments")?;
    Ok(HistoryMessage {
        id,
        sender_id,
        content: row.try_get("content")?,
        is_deleted: row.try_get("is_deleted")?,
        created_at: row.try_get("created_at")?,
        is_edited: edited_at.is_some(),
        edited_at,
        reply_to: ReplyPreview::from_row(row)?,
        kind: MessageType::of(&attachments),
        attachments,
        read_by,
    })
}

/// Message `id` as it is now, with its chat.
async fn load_message(client: &impl GenericClient, id: i64) -> Result<Option<SentMessage>> {
    let Some(row) = client.query_opt(MESSAGE_SQL.as_str(), &[&id]).await? else {
        return Ok(None);
    };
    Ok(Some(SentMessage { chat_id: row.try_get("chat_id")?, message: history_message(&row)? }))
}

/// Sends a message to a chat the caller takes part in, possibly as a reply to one of its
/// messages. Admins are read-only. With an `Idempotency-Key`, a retry of the same request
/// answers 200 with the message the first one created (on any replica, after any restart) and
/// appends nothing. `X-Event-Position` is the message's position in the log: send it as
/// `X-Min-Event-Position` with a read that must show it.
#[utoipa::path(post, path = "/api/messages", tag = "messages", request_body = SendMessage,
    params(("Idempotency-Key" = Option<String>, Header, description = "1–64 visible ASCII characters; a retry with the same key returns the first answer")),
    responses((status = 201, body = SentMessage, headers(("X-Event-Position" = i64, description = "the message's position in the log"))),
              (status = 200, body = SentMessage, description = "a retry: the message the key created",
               headers(("X-Event-Position" = i64, description = "the message's position in the log"))),
              (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = user.id, chat_id = body.chat_id))]
pub async fn send(
    State(state): State<AppState>,
    user: AuthUser,
    IdempotencyKey(key): IdempotencyKey,
    JsonBody(body): JsonBody<SendMessage>,
) -> Result<(StatusCode, Snapshot<SentMessage>)> {
    if user.is_admin() {
        return Err(AppError::Forbidden("admins have read-only access and cannot send messages".into()));
    }
    state.limits.check(Limited::write_by(user.role), user.id)?;
    // No pooled connection is held while waiting for the writer, which needs one too.
    let access = check_access(&state, body.chat_id, &user).await?;
    validate_content(&body.content, !body.attachment_ids.is_empty())?;
    if body.attachment_ids.len() > MAX_ATTACHMENTS {
        return Err(AppError::BadRequest(format!(
            "a message carries at most {MAX_ATTACHMENTS} attachments (got {})",
            body.attachment_ids.len()
        )));
    }
    let reply_to = match body.reply_to_message_id {
        None => None,
        Some(parent) => Some(quoted(&state, body.chat_id, parent, access).await?),
    };

    let event = NewEvent::MessageCreated {
        chat_id: body.chat_id,
        sender_id: user.id,
        content: body.content.clone(),
        reply_to: body.reply_to_message_id,
        attachment_ids: body.attachment_ids.clone(),
    };
    let stored = match state.appender.append_idempotent(event, key.clone()).await {
        Ok(Some(stored)) => stored,
        Ok(None) => return Err(anyhow::anyhow!("the log recorded nothing for a new message").into()),
        // The key was used before (a retry whose first attempt committed, on any replica):
        // the log's unique index said so, without a lookup on every keyed send.
        Err(AppendError::Duplicate) => {
            let key = key.unwrap_or_default();
            let first = first_answer(&state, &user, &key, &body).await?;
            let (position, first) =
                first.ok_or_else(|| anyhow::anyhow!("idempotency key {key:?} conflicted but names no event"))?;
            return Ok((StatusCode::OK, Snapshot(position, first)));
        }
        // A retry whose first attempt attached the uploads is refused for that, before the
        // key's index is reached: the key still finds the first answer.
        Err(refused @ AppendError::Refused(..)) => {
            let Some(key) = key.as_deref() else { return Err(refused.into()) };
            return match first_answer(&state, &user, key, &body).await? {
                Some((position, first)) => Ok((StatusCode::OK, Snapshot(position, first))),
                None => Err(refused.into()),
            };
        }
        Err(e) => return Err(e.into()),
    };
    // The message ends the sender's typing there (the partner's client ends it on the message).
    state.typing.ended(user.id, body.chat_id);
    Ok((StatusCode::CREATED, Snapshot(stored.position, sent_message(&stored, reply_to)?)))
}

/// The message `parent` that a new message of chat `chat_id` quotes: 400 unless it is a
/// message of that chat that the sender can see.
async fn quoted(state: &AppState, chat_id: i64, parent: i64, access: Access) -> Result<ReplyPreview> {
    let sql = format!(
        "SELECT {} FROM messages p WHERE p.id = $1 AND p.chat_id = $2 AND p.position >= $3",
        ReplyPreview::COLUMNS
    );
    let client = state.db.get().await?;
    let row = client.query_opt(&sql, &[&parent, &chat_id, &access.visible_from]).await?;
    row.as_ref()
        .map(ReplyPreview::from_row)
        .transpose()?
        .flatten()
        .ok_or_else(|| AppError::BadRequest(format!("reply_to_message_id {parent} is not a message of chat {chat_id}")))
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
        if first.chat_id == body.chat_id && *content == body.content && *reply_to_message_id == body.reply_to_message_id
            && body.attachment_ids.iter().eq(attachments.iter().map(|a| &a.id)));
    if !same {
        return Err(AppError::Client(
            StatusCode::UNPROCESSABLE_ENTITY,
            "this Idempotency-Key was already used for a different request; use a new key for a new message".into(),
        ));
    }
    let EventData::MessageCreated { message_id, .. } = first.data else { unreachable!("matched above") };
    // As it is now: edited, deleted or read since, the retry sees that too.
    Ok(load_message(&**client, message_id).await?.map(|message| (first.position, message)))
}

/// A `message_created` event as `POST /api/messages` answers it.
fn sent_message(stored: &StoredEvent, reply_to: Option<ReplyPreview>) -> Result<SentMessage> {
    let EventData::MessageCreated { message_id, content, attachments, .. } = &stored.data else {
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
    };
    Ok(SentMessage { chat_id: stored.chat_id, message })
}

/// Replaces the text of the caller's own message. The old text stays in the log; history
/// shows the new one with `is_edited`. The same text again changes nothing (200, no event).
#[utoipa::path(put, path = "/api/messages/{id}", tag = "messages", params(("id" = i64, Path)), request_body = EditMessage,
    responses((status = 200, body = SentMessage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "the message is deleted")))]
#[tracing::instrument(skip_all, fields(user_id = user.id, message_id = id))]
pub async fn edit(
    State(state): State<AppState>,
    user: AuthUser,
    PathParam(id): PathParam<i64>,
    JsonBody(body): JsonBody<EditMessage>,
) -> Result<Json<SentMessage>> {
    if user.is_admin() {
        return Err(AppError::Forbidden("admins have read-only access and cannot edit messages".into()));
    }
    state.limits.check(Limited::write_by(user.role), user.id)?;
    let current = {
        let client = state.db.get().await?;
        load_message(&**client, id).await?.ok_or_else(|| AppError::NotFound(format!("message {id} does not exist")))?
    };
    if current.message.sender_id != user.id {
        return Err(AppError::Forbidden("only the author can edit a message".into()));
    }
    if current.message.is_deleted {
        return Err(AppError::Conflict(format!("message {id} is deleted and cannot be edited")));
    }
    validate_content(&body.content, !current.message.attachments.is_empty())?;
    if current.message.content == body.content {
        return Ok(Json(current));
    }
    let event =
        NewEvent::MessageEdited { chat_id: current.chat_id, actor_id: user.id, message_id: id, content: body.content };
    match state.appender.append(event).await? {
        Some(stored) => {
            let EventData::MessageEdited { content, .. } = stored.data else {
                return Err(anyhow::anyhow!("the log answered an edit with {:?}", stored.data).into());
            };
            let mut message = current.message;
            (message.content, message.is_edited, message.edited_at) = (content, true, Some(stored.created_at));
            Ok(Json(SentMessage { chat_id: stored.chat_id, message }))
        }
        // A concurrent edit wrote this same text first: answer with the message as it is.
        None => {
            let client = state.db.get().await?;
            Ok(Json(load_message(&**client, id).await?.ok_or_else(|| anyhow::anyhow!("message {id} vanished"))?))
        }
    }
}

/// Soft-deletes the caller's own message; deleting it again is a no-op success.
#[utoipa::path(delete, path = "/api/messages/{id}", tag = "messages", params(("id" = i64, Path)),
    responses((status = 200, body = Deleted), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
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
        .ok_or_else(|| AppError::NotFound(format!("message {id} does not exist")))?;
    if row.get::<_, i64>("sender_id") != user.id {
        return Err(AppError::Forbidden("only the author can delete a message".into()));
    }
    if !row.get::<_, bool>("is_deleted") {
        let event = NewEvent::MessageDeleted { chat_id: row.get("chat_id"), actor_id: user.id, message_id: id };
        state.appender.append(event).await?; // None: someone deleted it meanwhile, also fine
    }
    Ok(Json(Deleted { success: true }))
}
