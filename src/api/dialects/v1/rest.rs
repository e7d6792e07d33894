//! The REST half of `/api/v1`: each route names the core's extractors and calls the core's
//! operation (history, the send, the read marker, presence), reshaping only its answer.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{ErrorBody, id};
use crate::access::Writer;
use crate::api::messages::{Posted, SendMessage, post_message};
use crate::api::text::{Empty, check_message_text};
use crate::auth::AuthUser;
use crate::extract::{JsonBody, OptionalJsonBody, PathParam, QueryParams};
use crate::wire::HistoryMessage;
use crate::{AppError, AppState, Result};

pub fn router() -> Router<AppState> {
    // The read marker is open to suspended people, as the core's is (`crate::access`).
    let read = crate::access::for_suspended(Router::new().route("/api/v1/chat/conversations/{id}/read", post(read)));
    Router::new()
        .route("/api/v1/chat/conversations", get(conversations))
        .route("/api/v1/chat/conversations/{id}/messages", get(messages))
        .route("/api/v1/chat/direct/{user_id}/send", post(send_direct))
        .route("/api/v1/chat/presence/{user_id}", get(presence))
        .merge(read)
}

/// The most a page holds; a larger `limit` is honoured up to it.
const MAX_LIMIT: i64 = 100;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct Paging {
    /// 1 or more (at most 100 are given); conversations 20 by default, messages 50.
    #[param(minimum = 1, nullable = false)]
    pub limit: Option<i64>,
    /// How many to skip: conversations from the first by id, messages from the newest.
    #[param(minimum = 0, nullable = false)]
    pub offset: Option<i64>,
}

impl Paging {
    /// `(limit, offset)`, with `default` for an absent limit: 400 below 1 or below 0.
    fn of(&self, default: i64) -> Result<(i64, i64)> {
        let (limit, offset) = (self.limit.unwrap_or(default), self.offset.unwrap_or(0));
        if limit < 1 || offset < 0 {
            return Err(AppError::BadRequest(format!(
                "limit must be 1 or more and offset 0 or more (got {limit} and {offset})"
            )));
        }
        Ok((limit.min(MAX_LIMIT), offset))
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = V1Conversation)]
pub struct Conversation {
    pub id: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    /// Its last activity.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = V1Conversations)]
pub struct Conversations {
    pub conversations: Vec<Conversation>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = V1Message)]
pub struct Message {
    pub id: String,
    pub conversation_id: String,
    pub sender_id: String,
    pub body: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
}

impl Message {
    fn of(chat_id: i64, message: HistoryMessage) -> Self {
        Self {
            id: id(message.id),
            conversation_id: id(chat_id),
            sender_id: id(message.sender_id),
            body: message.content,
            created_at: message.created_at,
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = V1Messages)]
pub struct Messages {
    /// Oldest first.
    pub messages: Vec<Message>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = V1Sent)]
pub struct Sent {
    pub message: Message,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = V1SendBody)]
pub struct SendBody {
    /// 1–10,000 characters, not blank.
    #[schema(min_length = 1, max_length = 10000)]
    pub body: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = V1Presence)]
pub struct Presence {
    pub user_id: String,
    pub online: bool,
    /// When their last connection closed, in epoch seconds; null while online and for someone
    /// never connected.
    pub last_seen: Option<i64>,
}

/// The caller's conversations (a participant's chats, every chat for an admin, a guardian's
/// children's), by id, `limit` (default 20) after `offset`: pages are disjoint and complete.
#[utoipa::path(get, path = "/api/v1/chat/conversations", operation_id = "v1_conversations", tag = "v1", params(Paging),
    responses((status = 200, body = Conversations), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = user.id))]
pub async fn conversations(
    State(state): State<AppState>,
    user: AuthUser,
    QueryParams(paging): QueryParams<Paging>,
) -> Result<Json<Conversations>> {
    state.limits.check(crate::limits::Limited::Read, user.id)?;
    let (limit, offset) = paging.of(20)?;
    let listed = crate::access::chats_of(&state, &user, limit, offset).await?;
    let conversations = listed
        .into_iter()
        .map(|c| Conversation { id: id(c.id), created_at: c.created_at, updated_at: c.updated_at })
        .collect();
    Ok(Json(Conversations { conversations }))
}

/// A conversation's messages, oldest first: `limit` (default 50) of them, after skipping the
/// `offset` newest (so the default page is the newest 50). Deleted messages are absent; the
/// core's history decides who reads what (an outsider 403, an admin every chat).
#[utoipa::path(get, path = "/api/v1/chat/conversations/{id}/messages", operation_id = "v1_messages", tag = "v1",
    params(("id" = i64, Path, description = "the conversation's id (its string in this contract's answers)"), Paging),
    responses((status = 200, body = Messages), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody, description = "no such conversation, or not the caller's"),
              (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = user.id, chat_id = chat_id))]
pub async fn messages(
    State(state): State<AppState>,
    user: AuthUser,
    PathParam(chat_id): PathParam<i64>,
    QueryParams(paging): QueryParams<Paging>,
) -> Result<Json<Messages>> {
    let (limit, offset) = paging.of(50)?;
    let page = crate::api::history::from_newest(&state, &user, chat_id, limit, offset).await?;
    let messages = page.into_iter().map(|m| Message::of(chat_id, m)).collect();
    Ok(Json(Messages { messages }))
}

/// Sends `{"body"}` into the lesson chat between the caller and `user_id`, as a core message
/// (`message` frames to both and to admins, on every replica). No such chat: 404, nothing
/// stored or created; admins 403; a body that is not exactly `{"body": "<1–10,000 characters,
/// not blank>"}`: 400.
#[utoipa::path(post, path = "/api/v1/chat/direct/{user_id}/send", operation_id = "v1_send_direct", tag = "v1",
    params(("user_id" = i64, Path, description = "the other person's id")), request_body = SendBody,
    responses((status = 201, body = Sent),
              (status = 202, body = crate::safeguarding::quiet::HeldMessage, description = "quiet hours (QUIET_HOURS): a teacher's message held until `deliver_at`, as the core holds it"),
              (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody, description = "an admin or a guardian (read-only)"),
              (status = 404, body = ErrorBody, description = "no lesson chat between the two"),
              (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = writer.0.id, to = to))]
pub async fn send_direct(
    State(state): State<AppState>,
    writer: Writer,
    PathParam(to): PathParam<i64>,
    JsonBody(body): JsonBody<SendBody>,
) -> Result<Response> {
    let chat_id = crate::api::direct::direct_chat(&state, writer.0.id, to).await?;
    // Never empty here (no attachments): 400, as the core's direct send answers.
    check_message_text("body", &body.body, Empty::Refused)?;
    let message =
        SendMessage { chat_id, content: body.body, reply_to_message_id: None, attachment_ids: vec![], send_at: None };
    Ok(match post_message(&state, &writer, None, message).await? {
        Posted::Created(_, sent) => {
            (StatusCode::CREATED, Json(Sent { message: Message::of(sent.chat_id, sent.message) })).into_response()
        }
        Posted::Repeated(_, sent) => Json(Sent { message: Message::of(sent.chat_id, sent.message) }).into_response(),
        // Held by quiet hours: the core's 202, which says until when.
        later @ Posted::Later(_) => later.into_response(),
    })
}

/// Marks the conversation read: the caller's unread count for it becomes 0 (the core's read
/// marker, moved to its newest message). 204; an outsider 403.
#[utoipa::path(post, path = "/api/v1/chat/conversations/{id}/read", operation_id = "v1_read", tag = "v1",
    params(("id" = i64, Path, description = "the conversation's id (its string in this contract's answers)")),
    responses((status = 204, description = "read"), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody, description = "no such conversation, or not the caller's; an admin"),
              (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = writer.0.id, chat_id = chat_id))]
pub async fn read(
    State(state): State<AppState>,
    writer: Writer,
    PathParam(chat_id): PathParam<i64>,
) -> Result<StatusCode> {
    crate::api::read_markers::mark_read_as(State(state), writer, PathParam(chat_id), OptionalJsonBody(None)).await
}

/// Whether a user is online (any connection, a socket of this dialect or an event stream, on
/// any replica) and when last seen, in epoch seconds. Contacts and admins; anyone else 403.
#[utoipa::path(get, path = "/api/v1/chat/presence/{user_id}", operation_id = "v1_presence", tag = "v1",
    params(("user_id" = i64, Path, description = "the user's id")),
    responses((status = 200, body = Presence), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody, description = "no such user, or not the caller's to see")))]
#[tracing::instrument(skip_all, fields(user_id = user.id, about = about))]
pub async fn presence(
    State(state): State<AppState>,
    user: AuthUser,
    PathParam(about): PathParam<i64>,
) -> Result<Json<Presence>> {
    let Json(seen) = crate::api::presence::presence(State(state), user, PathParam(about)).await?;
    let last_seen = seen.last_seen.map(OffsetDateTime::unix_timestamp);
    Ok(Json(Presence { user_id: id(seen.user_id), online: seen.online, last_seen }))
}
