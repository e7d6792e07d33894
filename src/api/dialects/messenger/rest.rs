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
use crate::api::messages::{SendMessage, post_message};
use crate::api::text::{Empty, check_message_text};
use crate::auth::AuthUser;
use crate::extract::{JsonBody, PathParam, QueryParams};
use crate::wire::{Attachment, ChatKind, HistoryMessage};
use crate::{AppError, AppState, Result};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/messenger/conversations", get(conversations).post(open))
        .route("/api/messenger/conversations/{id}/messages", get(messages))
        .route("/api/messenger/unread-count", get(unread_count))
}

/// The most conversations one list holds (the contract pages none; an admin's is every chat).
const MAX_CONVERSATIONS: usize = 1000;

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
    /// Most recent activity first (its newest message, deleted or not, or its opening).
    pub conversations: Vec<Conversation>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = MessengerCreated)]
pub struct Created {
    pub conversation: Conversation,
    /// When the message sent with it is held by the school's quiet hours: when it is
    /// delivered. Absent for a message delivered now (or none).
    #[serde(skip_serializing_if = "Option::is_none", with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub held_until: Option<time::OffsetDateTime>,
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

/// The caller's conversations, the core's list of everything they read translated
/// (`api::chats::everything_of`: the inbox and the archived ones alike, as the contract has no
/// archive), most recent activity first; `only` keeps one chat.
async fn described(state: &AppState, user: &AuthUser, only: Option<i64>) -> Result<Vec<Conversation>> {
    let mut listed = crate::api::chats::everything_of(state, user, MAX_CONVERSATIONS).await?;
    listed.retain(|c| only.is_none_or(|id| c.id == id));
    let ids: Vec<i64> = listed.iter().map(|c| c.id).collect();
    let mut members = crate::access::members_of(state, user, &ids).await?;
    Ok(listed
        .into_iter()
        .filter_map(|c| {
            let crate::access::Members { created_at, ids } = members.remove(&c.id)?;
            let (last_message_id, last_message_content, last_at) = match c.last_message {
                Some(last) => (last.id, last.content, Some(last.at)),
                None => (None, None, None),
            };
            Some(Conversation {
                id: c.id,
                participants: ids,
                kind: if c.header.kind == ChatKind::Group { "group" } else { "direct" }.to_owned(),
                name: c.header.title,
                last_message_id,
                last_message_at: last_at,
                created_at,
                updated_at: c.header.updated_at,
                last_message_content,
                last_message_time: last_at,
                unread_count: c.unread_count,
            })
        })
        .collect())
}

/// The caller's conversations (a participant's chats, every chat for an admin, a guardian's
/// children's), most recent activity first: the core's chat list, its rules applied.
#[utoipa::path(get, path = "/api/messenger/conversations", operation_id = "messenger_conversations", tag = "messenger",
    responses((status = 200, body = Envelope<ConversationList>), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = user.id))]
pub async fn conversations(State(state): State<AppState>, user: AuthUser) -> Result<Json<Envelope<ConversationList>>> {
    state.limits.check(crate::limits::Limited::Read, user.id)?;
    Ok(ok(ConversationList { conversations: described(&state, &user, None).await? }))
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
    let mut held_until = None;
    if let Some(content) = body.message {
        check_message_text("message", &content, Empty::Refused)?;
        let message =
            SendMessage { chat_id, content, reply_to_message_id: None, attachment_ids: vec![], send_at: None };
        held_until = post_message(&state, &writer, None, message).await?.held_until();
    }
    let conversation = described(&state, &writer.0, Some(chat_id)).await?.into_iter().next();
    let conversation = conversation.ok_or_else(|| crate::access::no_chat(chat_id))?;
    Ok(ok(Created { conversation, held_until }))
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
