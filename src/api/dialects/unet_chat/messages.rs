//! Messages: the core's send (`api::messages::post_message`), history, edit and soft delete,
//! in this contract's words (`text`, `reply_to` as the quoted message's id).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Deserializer};

use super::{ErrorBody, Message};
use crate::access::Writer;
use crate::api::Snapshot;
use crate::api::history::{HistoryQuery, history};
use crate::api::messages::{EditMessage, Posted, SendMessage, post_message};
use crate::api::text::{Empty, check_message_text};
use crate::auth::AuthUser;
use crate::extract::{JsonBody, MinPosition, PathParam, QueryParams};
use crate::{AppError, AppState, Result};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/unet-chat/messages/", post(send))
        .route("/api/unet-chat/messages/{id}", get(history_of).put(edit).delete(delete))
}

/// The most messages a history answers: the newest this many (the client pages no further).
const HISTORY_LIMIT: usize = 1_000;
/// The core's largest history page.
const PAGE: i64 = 100;

/// `POST /messages/`'s body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = UnetSendBody)]
pub struct SendBody {
    /// The conversation's id, as `"42"`.
    #[serde(deserialize_with = "id")]
    #[schema(value_type = String, pattern = "^[1-9][0-9]{0,17}$")]
    pub conversation_id: i64,
    /// The caller's own id, or absent: the sender is always the token's owner, and another
    /// id is refused (403).
    #[serde(default)]
    pub sender_id: Option<i64>,
    /// 1–10,000 characters, not blank.
    #[schema(min_length = 1, max_length = 10000)]
    pub text: String,
    /// The id of the message this one answers, a message of the same conversation.
    #[serde(default, deserialize_with = "optional_id")]
    #[schema(value_type = Option<String>, pattern = "^[1-9][0-9]{0,17}$")]
    pub reply_to: Option<i64>,
}

/// `PUT /messages/{id}`'s body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = UnetEditBody)]
pub struct EditBody {
    /// The new text: 1–10,000 characters, not blank.
    #[schema(min_length = 1, max_length = 10000)]
    pub text: String,
}

/// An id as this contract writes it: a decimal string.
fn id<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    let text = String::deserialize(deserializer)?;
    text.parse().map_err(|_| serde::de::Error::custom("an id is a decimal string, as \"42\""))
}

fn optional_id<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    match Option::<String>::deserialize(deserializer)? {
        None => Ok(None),
        Some(text) => text.parse().map(Some).map_err(|_| serde::de::Error::custom("an id is a decimal string")),
    }
}

/// Sends a message as the token's owner, a core message (`message:new` on every socket of
/// the conversation, the sender's included, on every replica). An outsider and an admin 403,
/// nothing stored; another `sender_id` 403.
#[utoipa::path(post, path = "/api/unet-chat/messages/", operation_id = "unet_send", tag = "unet-chat",
    request_body = SendBody,
    responses((status = 201, body = Message),
              (status = 202, body = crate::safeguarding::quiet::HeldMessage, description = "quiet hours (QUIET_HOURS): a teacher's message held until `deliver_at`, as the core holds it"),
              (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody, description = "no such conversation, or not the caller's; an admin; a `sender_id` not the caller's"),
              (status = 409, body = ErrorBody, description = "the conversation is closed"),
              (status = 422, body = ErrorBody, description = "`reply_to` is not a message of this conversation"),
              (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = writer.0.id, chat_id = body.conversation_id))]
pub async fn send(
    State(state): State<AppState>,
    writer: Writer,
    JsonBody(body): JsonBody<SendBody>,
) -> Result<Response> {
    if body.sender_id.is_some_and(|id| id != writer.0.id) {
        return Err(AppError::Forbidden("sender_id must be your own id: you send as the token's owner".into()));
    }
    check_message_text("text", &body.text, Empty::Refused)?;
    let message = SendMessage {
        chat_id: body.conversation_id,
        content: body.text,
        reply_to_message_id: body.reply_to,
        attachment_ids: vec![],
        send_at: None,
    };
    Ok(match post_message(&state, &writer, None, message).await? {
        Posted::Created(_, sent) => {
            (StatusCode::CREATED, Json(Message::of(sent.chat_id, sent.message))).into_response()
        }
        Posted::Repeated(_, sent) => Json(Message::of(sent.chat_id, sent.message)).into_response(),
        later @ Posted::Later(_) => later.into_response(),
    })
}

/// A conversation's messages, oldest first (its newest 1,000), deleted ones absent. The
/// core's history decides who reads what: an outsider 403, an admin every conversation.
#[utoipa::path(get, path = "/api/unet-chat/messages/{id}", operation_id = "unet_messages", tag = "unet-chat",
    params(("id" = i64, Path, description = "the conversation's id")),
    responses((status = 200, body = Vec<Message>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody, description = "no such conversation, or not the caller's"),
              (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = user.id, chat_id = chat_id))]
pub async fn history_of(
    State(state): State<AppState>,
    user: AuthUser,
    PathParam(chat_id): PathParam<i64>,
) -> Result<Json<Vec<Message>>> {
    // The core pages from the newest by id: older pages until the limit or the first message.
    let (mut newest_first, mut before) = (Vec::new(), None);
    loop {
        let query = HistoryQuery { limit: Some(PAGE), before_id: before, after_id: None, around: None };
        let page = history(State(state.clone()), user.clone(), PathParam(chat_id), QueryParams(query), MinPosition(0));
        let Snapshot(_, page) = page.await?;
        before = page.messages.first().map(|m| m.id);
        newest_first.extend(page.messages.into_iter().rev());
        if !page.has_more || newest_first.len() >= HISTORY_LIMIT {
            break;
        }
    }
    newest_first.truncate(HISTORY_LIMIT);
    let mut messages: Vec<Message> = newest_first.into_iter().map(|m| Message::of(chat_id, m)).collect();
    messages.reverse();
    Ok(Json(messages))
}

/// Replaces the text of the caller's own message, where the school allows editing
/// (`MESSAGE_EDITING=on`): `is_edited` from then on, the old text kept in the log. Otherwise,
/// and for anyone but its author, 403.
#[utoipa::path(put, path = "/api/unet-chat/messages/{id}", operation_id = "unet_edit", tag = "unet-chat",
    params(("id" = i64, Path, description = "the message's id")), request_body = EditBody,
    responses((status = 200, body = Message), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody, description = "not the caller's message; an admin; editing off (MESSAGE_EDITING)"),
              (status = 409, body = ErrorBody, description = "the message is deleted; `quiet_hours`"),
              (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = writer.0.id, message_id = id))]
pub async fn edit(
    State(state): State<AppState>,
    writer: Writer,
    PathParam(id): PathParam<i64>,
    JsonBody(body): JsonBody<EditBody>,
) -> Result<Json<Message>> {
    let edit = EditMessage { content: body.text };
    let Json(sent) = crate::api::messages::edit_as(State(state), writer, PathParam(id), JsonBody(edit)).await?;
    Ok(Json(Message::of(sent.chat_id, sent.message)))
}

/// Deletes the caller's own message: it leaves every history, its row stays (`is_deleted`).
/// 204, also when it was deleted already; anyone else 403.
#[utoipa::path(delete, path = "/api/unet-chat/messages/{id}", operation_id = "unet_delete", tag = "unet-chat",
    params(("id" = i64, Path, description = "the message's id")),
    responses((status = 204, description = "deleted"), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody, description = "not the caller's message"), (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = user.id, message_id = id))]
pub async fn delete(
    State(state): State<AppState>,
    user: AuthUser,
    PathParam(id): PathParam<i64>,
) -> Result<StatusCode> {
    let Json(_) = crate::api::messages::remove(State(state), user, PathParam(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}
