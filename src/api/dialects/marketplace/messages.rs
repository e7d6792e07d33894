//! A chat's messages, by offset from the newest, and marking it read.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{Caller, Names, escaped};
use crate::access::Writer;
use crate::error::ErrorBody;
use crate::extract::{OptionalJsonBody, PathParam, QueryParams};
use crate::{AppError, AppState, Result};

pub fn router() -> Router<AppState> {
    // The read marker is open to suspended people, as the core's is (`crate::access`).
    let read = crate::access::for_suspended(Router::new().route("/api/chat/chats/{chat_id}/read", post(read)));
    Router::new().route("/api/chat/chats/{chat_id}/messages", get(messages)).merge(read)
}

/// A message as this contract shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = MarketplaceMessage)]
pub struct Message {
    pub id: i64,
    /// A person's id (decimal), or the chat's visitor: the UUID they came with, to themselves;
    /// their public UUID, to anybody else.
    pub sender_id: String,
    /// HTML-escaped.
    pub message_text: String,
    /// Whether someone other than its sender has read it.
    pub is_read: bool,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Paging {
    /// 1 or more (at most 100 are given), 100 by default.
    #[param(minimum = 1, nullable = false)]
    pub limit: Option<i64>,
    /// How many of the newest to skip.
    #[param(minimum = 0, nullable = false)]
    pub offset: Option<i64>,
}

/// The chat's messages, oldest first: `limit` (default 100) of them after skipping the `offset`
/// newest. Deleted messages are absent. The chat's visitor (by UUID) and people (signed in)
/// read it, admins every chat; anyone else 403.
#[utoipa::path(get, path = "/api/chat/chats/{chat_id}/messages", operation_id = "marketplace_messages",
    tag = "marketplace", params(("chat_id" = i64, Path), Paging,
        ("user_id" = Option<String>, Query, description = "a visitor's UUID, or the signed-in person's id")), security(("marketplace_visitor" = []), ("cookie" = [])),
    responses((status = 200, body = [Message]), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody, description = "not the caller's chat"), (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = caller.user.id, chat_id = chat_id))]
pub async fn messages(
    State(state): State<AppState>,
    caller: Caller,
    PathParam(chat_id): PathParam<i64>,
    QueryParams(paging): QueryParams<Paging>,
) -> Result<Json<Vec<Message>>> {
    let (limit, offset) = (paging.limit.unwrap_or(100), paging.offset.unwrap_or(0));
    if limit < 1 || offset < 0 {
        return Err(AppError::BadRequest(format!(
            "limit must be 1 or more and offset 0 or more (got {limit} and {offset})"
        )));
    }
    let page = crate::api::history::from_newest(&state, &caller.user, chat_id, limit.min(100), offset).await?;
    let names = Names::of(&state, chat_id, &caller).await?;
    let messages = page
        .into_iter()
        .map(|m| Message {
            id: m.id,
            sender_id: names.sender(m.sender_id),
            message_text: escaped(&m.content),
            is_read: m.read_by.iter().any(|reader| *reader != m.sender_id),
            created_at: m.created_at,
        })
        .collect();
    Ok(Json(messages))
}

/// Marks the chat read for the caller: their unread count for it becomes 0 (the core's read
/// marker). 204; anyone not in the chat 403.
#[utoipa::path(post, path = "/api/chat/chats/{chat_id}/read", operation_id = "marketplace_read", tag = "marketplace",
    params(("chat_id" = i64, Path), ("user_id" = Option<String>, Query, description = "a visitor's UUID, or the signed-in person's id")),
    security(("marketplace_visitor" = []), ("cookie" = [])),
    responses((status = 204, description = "read"), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody, description = "not the caller's chat; an admin"), (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = caller.user.id, chat_id = chat_id))]
pub async fn read(
    State(state): State<AppState>,
    caller: Caller,
    PathParam(chat_id): PathParam<i64>,
) -> Result<StatusCode> {
    let writer = Writer::admit(&state, caller.user)?;
    crate::api::read_markers::mark_read_as(State(state), writer, PathParam(chat_id), OptionalJsonBody(None)).await
}
