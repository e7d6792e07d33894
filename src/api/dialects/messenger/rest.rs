//! The REST half of `/api/messenger`: each route names the core's extractors and calls the
//! core's operation (the chats a person has, the direct chat's lookup, the send, history, the
//! unread count), answering `{"success": true, "data": …}`.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::ErrorBody;
use crate::access::{Participant, Writer};
use crate::api::messages::{Posted, SendMessage, post_message};
use crate::api::text::{Empty, check_message_text};
use crate::auth::AuthUser;
use crate::extract::{JsonBody, PathParam, QueryParams};
use crate::wire::{Attachment, HistoryMessage};
use crate::{AppError, AppState, Result};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/messenger/conversations", get(conversations).post(open))
        .route("/api/messenger/conversations/{id}/messages", get(messages))
        .route("/api/messenger/unread-count", get(unread_count))
}

/// The most conversations one list holds (the contract pages none; an admin's is every chat).
const MAX_CONVERSATIONS: i64 = 1000;

/// The most messages one page holds; a larger `limit` is honoured up to it.
const MAX_LIMIT: i64 = 100;

/// `{"success": true, "data": …}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Envelope<T> {
    pub success: bool,
    pub data: T,
}

fn ok<T>(data: T) -> Json<Envelope<T>> {
    Json(Envelope { success: true, data })
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = MessengerConversation)]
pub struct Conversation {
    pub id: i64,
    /// Its members' ids (an admin is not one).
    pub participants: Vec<i64>,
    /// `direct` for a pair, `group`.
    #[serde(rename = "type")]
    pub kind: String,
    pub name: Option<String>,
    pub last_message_id: Option<i64>,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_message_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
    pub last_message_content: Option<String>,
    /// The same as `last_message_at`.
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_message_time: Option<OffsetDateTime>,
    /// Others' messages after the caller's read marker (0 for an admin, who has none).
    pub unread_count: i64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = MessengerConversations)]
pub struct ConversationList {
    /// Newest `last_message_at` first (a conversation without one by when it opened).
    pub conversations: Vec<Conversation>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = MessengerCreated)]
pub struct Created {
    pub conversation: Conversation,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = MessengerMessage)]
pub struct Message {
    pub id: i64,
    pub conversation_id: i64,
    pub sender_id: i64,
    pub content: String,
    /// Always `text` here.
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub attachments: Vec<Attachment>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
}

impl Message {
    fn of(chat_id: i64, message: HistoryMessage) -> Self {
        let HistoryMessage { id, sender_id, content, attachments, created_at, .. } = message;
        Self { id, conversation_id: chat_id, sender_id, content, kind: "text", attachments, created_at }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = MessengerMessages)]
pub struct MessageList {
    /// Newest first.
    pub messages: Vec<Message>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = MessengerUnread)]
pub struct Unread {
    pub unread_count: i64,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = MessengerOpen)]
pub struct Open {
    /// The other person of the pair.
    pub participant_id: i64,
    /// Sent as the caller's first message when given: 1–10,000 characters, not blank.
    #[schema(min_length = 1, max_length = 10000)]
    pub message: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct Paging {
    /// 1 or more (at most 100 are given); 50 by default.
    #[param(minimum = 1, nullable = false)]
    pub limit: Option<i64>,
    /// How many of the newest to skip.
    #[param(minimum = 0, nullable = false)]
    pub offset: Option<i64>,
}

/// `ids`' conversations as the caller sees them, newest activity first.
async fn described(state: &AppState, user: &AuthUser, ids: &[i64]) -> Result<Vec<Conversation>> {
    // An announcement's listeners see its owner and themselves among its members (`access::roster`).
    let roster = crate::access::roster(user);
    let rows = state
        .db
        .get()
        .await?
        .query(
            "SELECT c.id, c.kind, c.title, c.created_at, c.active_at AS updated_at,
                    last.id AS last_id, last.content AS last_content, last.created_at AS last_at,
                    ARRAY(SELECT p.user_id FROM chat_participants p
                          WHERE p.chat_id = c.id
                            AND (NOT c.announcement OR $3 OR c.created_by = $2 OR p.user_id IN ($2, c.created_by))
                          ORDER BY p.user_id) AS participants,
                    coalesce((SELECT n.unread FROM chat_participants me
                              CROSS JOIN LATERAL chat_unread(c.id, c.announcement, c.created_by = me.user_id,
                                                             me.last_read_message_id, me.unread_count) n
                              WHERE me.chat_id = c.id AND me.user_id = $2), 0)::bigint AS unread
             FROM chats c
             LEFT JOIN LATERAL (SELECT m.id, m.content, m.created_at FROM messages m
                                WHERE m.chat_id = c.id AND NOT m.is_deleted AND m.hidden_at IS NULL
                                ORDER BY m.id DESC LIMIT 1) last ON true
             WHERE c.id = ANY($1)
             ORDER BY coalesce(last.created_at, c.created_at) DESC, c.id DESC",
            &[&ids, &roster.viewer, &roster.everyone],
        )
        .await?;
    rows.iter()
        .map(|r| {
            let kind: String = r.try_get("kind")?;
            let last_at: Option<OffsetDateTime> = r.try_get("last_at")?;
            Ok(Conversation {
                id: r.try_get("id")?,
                participants: r.try_get("participants")?,
                kind: if kind == "group" { "group" } else { "direct" }.to_owned(),
                name: r.try_get("title")?,
                last_message_id: r.try_get("last_id")?,
                last_message_at: last_at,
                created_at: r.try_get("created_at")?,
                updated_at: r.try_get("updated_at")?,
                last_message_content: r.try_get("last_content")?,
                last_message_time: last_at,
                unread_count: r.try_get("unread")?,
            })
        })
        .collect()
}

/// The caller's conversations (a participant's chats, every chat for an admin, a guardian's
/// children's), newest `last_message_at` first.
#[utoipa::path(get, path = "/api/messenger/conversations", operation_id = "messenger_conversations", tag = "messenger",
    responses((status = 200, body = Envelope<ConversationList>), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = user.id))]
pub async fn conversations(State(state): State<AppState>, user: AuthUser) -> Result<Json<Envelope<ConversationList>>> {
    state.limits.check(crate::limits::Limited::Read, user.id)?;
    let ids: Vec<i64> =
        crate::access::chats_of(&state, &user, MAX_CONVERSATIONS, 0).await?.into_iter().map(|c| c.id).collect();
    Ok(ok(ConversationList { conversations: described(&state, &user, &ids).await? }))
}

/// *Finds* the lesson chat between the caller and `participantId` (a completed lesson opened
/// it; nothing is ever created) and sends `message`, if given, as the caller's. 403 without
/// such a chat (student to student included), and for an admin.
#[utoipa::path(post, path = "/api/messenger/conversations", operation_id = "messenger_open", tag = "messenger",
    request_body = Open,
    responses((status = 200, body = Envelope<Created>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody, description = "no lesson chat between the two; an admin"),
              (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = writer.0.id))]
pub async fn open(
    State(state): State<AppState>,
    writer: Writer,
    JsonBody(body): JsonBody<Open>,
) -> Result<Json<Envelope<Created>>> {
    let chat_id = crate::api::direct::direct_chat(&state, writer.0.id, body.participant_id).await.map_err(|e| {
        if e.status() == axum::http::StatusCode::NOT_FOUND { AppError::Forbidden(e.to_string()) } else { e }
    })?;
    if let Some(content) = body.message {
        check_message_text("message", &content, Empty::Refused)?;
        let message =
            SendMessage { chat_id, content, reply_to_message_id: None, attachment_ids: vec![], send_at: None };
        match post_message(&state, &writer, None, message).await? {
            Posted::Created(..) | Posted::Repeated(..) | Posted::Later(_) => {}
        }
    }
    let conversation = described(&state, &writer.0, &[chat_id]).await?.into_iter().next();
    let conversation = conversation.ok_or_else(|| crate::access::no_chat(chat_id))?;
    Ok(ok(Created { conversation }))
}

/// A conversation's messages, **newest first**: `limit` (default 50) after skipping the
/// `offset` newest. Deleted messages are absent; the core's history decides who reads what (an
/// outsider `403 {"error": "Access denied"}`, an admin every chat).
#[utoipa::path(get, path = "/api/messenger/conversations/{id}/messages", operation_id = "messenger_messages", tag = "messenger",
    params(("id" = i64, Path, description = "the conversation's id"), Paging),
    responses((status = 200, body = Envelope<MessageList>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody, description = "no such conversation, or not the caller's"),
              (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = user.id, chat_id = chat_id))]
pub async fn messages(
    State(state): State<AppState>,
    user: AuthUser,
    PathParam(chat_id): PathParam<i64>,
    QueryParams(paging): QueryParams<Paging>,
) -> Result<Json<Envelope<MessageList>>> {
    let (limit, offset) = (paging.limit.unwrap_or(50), paging.offset.unwrap_or(0));
    if limit < 1 || offset < 0 {
        return Err(AppError::BadRequest(format!(
            "limit must be 1 or more and offset 0 or more (got {limit} and {offset})"
        )));
    }
    let page = crate::api::history::from_newest(&state, &user, chat_id, limit.min(MAX_LIMIT), offset).await;
    let page = page.map_err(|e| match e.status().as_u16() {
        403 => AppError::Forbidden("Access denied".into()),
        _ => e,
    })?;
    // This contract's order: newest first.
    let page = page.into_iter().rev();
    Ok(ok(MessageList { messages: page.map(|m| Message::of(chat_id, m)).collect() }))
}

/// Others' unread messages over all the caller's conversations (one's own never count).
#[utoipa::path(get, path = "/api/messenger/unread-count", operation_id = "messenger_unread_count", tag = "messenger",
    responses((status = 200, body = Envelope<Unread>), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody, description = "an admin or a guardian: no read markers")))]
#[tracing::instrument(skip_all, fields(user_id = user.0.id))]
pub async fn unread_count(State(state): State<AppState>, user: Participant) -> Result<Json<Envelope<Unread>>> {
    let Json(count) = crate::api::read_markers::unread_count(State(state), user).await?;
    Ok(ok(Unread { unread_count: count.unread_count }))
}
