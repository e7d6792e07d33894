//! Scheduled messages (`crate::scheduled`): `POST /api/messages` with `send_at` schedules one
//! (202, `api::messages`' own); `GET /api/scheduled-messages` lists the caller's, `PATCH` and `DELETE
//! /api/scheduled-messages/{id}` change or cancel one until it is sent. Only its author sees a
//! scheduled message: anyone else's id answers 403, as one that does not exist does.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, patch};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::text::{Empty, check_message_text};
use crate::access::{Participant, Writer};
use crate::error::ErrorBody;
use crate::extract::{JsonBody, PathParam, QueryParams};
use crate::limits::Limited;
use crate::scheduled::{self, Change, ScheduledMessage};
use crate::{AppState, Result};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/scheduled-messages", get(list))
        .route("/api/scheduled-messages/{id}", patch(change).delete(cancel))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ScheduledQuery {
    /// Only this chat's.
    #[param(nullable = false)]
    pub chat_id: Option<i64>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ScheduledMessages {
    pub messages: Vec<ScheduledMessage>,
}

/// The caller's scheduled messages not sent yet, soonest first: pending ones, and those whose
/// time came when the caller could no longer write them there (`failed`, with why).
#[utoipa::path(get, path = "/api/scheduled-messages", tag = "messages", operation_id = "scheduled_messages", params(ScheduledQuery),
    responses((status = 200, body = ScheduledMessages), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody, description = "admins and guardians write nothing, and schedule nothing"),
              (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = user.id))]
pub async fn list(
    State(state): State<AppState>,
    Participant(user): Participant,
    QueryParams(query): QueryParams<ScheduledQuery>,
) -> Result<Json<ScheduledMessages>> {
    state.limits.check(Limited::Read, user.id)?;
    Ok(Json(ScheduledMessages { messages: scheduled::list(&state, user.id, query.chat_id).await? }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ChangeScheduled {
    /// The new text: the same rules as sending (not blank, at most 10,000 characters).
    #[schema(max_length = 10000)]
    pub content: Option<String>,
    /// The new time: the same rules as `send_at` when sending.
    #[schema(format = DateTime)]
    pub send_at: Option<String>,
}

/// Changes the text or the time (or both) of one of the caller's scheduled messages, until it
/// is sent; a failed one is scheduled again (with an empty body, as it is).
#[utoipa::path(patch, path = "/api/scheduled-messages/{id}", tag = "messages", operation_id = "change_scheduled_message",
    params(("id" = i64, Path)),
    request_body = ChangeScheduled,
    responses((status = 200, body = ScheduledMessage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody, description = "`forbidden`: not the caller's scheduled message, or none (one answer for both); `account_suspended`"),
              (status = 409, body = ErrorBody, description = "`already_sent`: sent, or being sent"),
              (status = 422, body = ErrorBody, description = "`send_at_past`, `send_at_too_far`"), (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = user.id, scheduled = id))]
pub async fn change(
    State(state): State<AppState>,
    Writer(user): Writer,
    PathParam(id): PathParam<i64>,
    JsonBody(body): JsonBody<ChangeScheduled>,
) -> Result<Json<ScheduledMessage>> {
    if let Some(content) = body.content.as_deref() {
        check_message_text("content", content, Empty::Unfit)?;
    }
    let send_at = body.send_at.as_deref().map(|at| scheduled::send_at(at, state.clock.now())).transpose()?;
    let change = Change { content: body.content, send_at };
    Ok(Json(scheduled::update(&state, user.id, id, &change).await?))
}

/// Cancels one of the caller's scheduled messages (or dismisses a failed one): it is never sent.
#[utoipa::path(delete, path = "/api/scheduled-messages/{id}", tag = "messages", operation_id = "cancel_scheduled_message",
    params(("id" = i64, Path)),
    responses((status = 204), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody, description = "`forbidden`: not the caller's scheduled message, or none (one answer for both); `account_suspended`"),
              (status = 409, body = ErrorBody, description = "`already_sent`: sent, or being sent"), (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = user.id, scheduled = id))]
pub async fn cancel(
    State(state): State<AppState>,
    Writer(user): Writer,
    PathParam(id): PathParam<i64>,
) -> Result<StatusCode> {
    scheduled::cancel(&state, user.id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
