//! Direct send: a message to a person rather than to a chat id. The school's rule stands: a
//! student and a teacher have a chat only once a lesson of theirs is completed (the database
//! opens it), so this finds that chat and sends into it as `POST /api/messages` does; with no
//! such chat there is nothing to send into (404), and none is ever created here.

use axum::Router;
use axum::extract::State;
use axum::response::IntoResponse;
use axum::routing::post;
use serde::Deserialize;

use super::messages::{SendMessage, post_message};
use super::text::{Empty, check_message_text};
use crate::access::Writer;
use crate::error::ErrorBody;
use crate::extract::{IdempotencyKey, JsonBody, PathParam};
use crate::wire::SentMessage;
use crate::{AppError, AppState, Result};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/direct/{user_id}/send", post(send_direct))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct DirectMessage {
    /// 1–10,000 characters, not blank.
    #[schema(min_length = 1, max_length = 10000)]
    pub content: String,
}

/// Sends a message into the direct chat between the caller and `user_id` (the student–teacher
/// chat a completed lesson opened). 404 when they have none; admins are read-only (403). The
/// same rules and `Idempotency-Key` as `POST /api/messages`; the answer names the chat.
#[utoipa::path(post, path = "/api/direct/{user_id}/send", tag = "messages", params(("user_id" = i64, Path),
        super::IdempotencyKeyParam),
    request_body = DirectMessage,
    responses((status = 201, body = SentMessage), (status = 200, body = SentMessage, description = "a retry: the message the key created"),
              (status = 202, body = crate::safeguarding::quiet::HeldMessage, description = "quiet hours: accepted and held until `deliver_at`"),
              (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody, description = "no direct chat between the caller and this user"),
              (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = user.id, to = to))]
pub async fn send_direct(
    State(state): State<AppState>,
    Writer(user): Writer,
    key: IdempotencyKey,
    PathParam(to): PathParam<i64>,
    JsonBody(body): JsonBody<DirectMessage>,
) -> Result<axum::response::Response> {
    let chat_id = direct_chat(&state, user.id, to).await?;
    // Never empty here (no attachments): 400, as the document's `minLength` says.
    check_message_text("content", &body.content, Empty::Refused)?;
    let message = SendMessage {
        chat_id,
        content: body.content,
        reply_to_message_id: None,
        attachment_ids: Vec::new(),
        send_at: None,
    };
    let IdempotencyKey(key) = key;
    Ok(post_message(&state, &Writer(user), key, message).await?.into_response())
}

/// The direct chat between `user` and `to` (the one a completed lesson of theirs opened): 404
/// when they have none. Never creates one.
pub async fn direct_chat(state: &AppState, user: i64, to: i64) -> Result<i64> {
    let row = state
        .db
        .get()
        .await?
        .query_opt("SELECT id FROM chats WHERE (student_id, teacher_id) IN (($1, $2), ($2, $1))", &[&user, &to])
        .await?;
    row.map(|r| r.try_get::<_, i64>("id")).transpose()?.ok_or_else(|| {
        AppError::NotFound(format!(
            "you have no chat with user {to}: a chat opens when a lesson of yours together is completed"
        ))
    })
}
