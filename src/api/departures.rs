//! People who leave the school, as admins handle it without a provisioning client: deactivating
//! a person (`user_deactivated`: their sessions and streams end on every replica, they can no
//! longer sign in; nothing of theirs is deleted) or reactivating them (`user_reactivated`), and
//! handing a departed teacher's direct chat to a successor (`chat_handed_over`: the successor
//! reads its whole history and writes in it; until then it is read-only for the student, 403
//! `teacher_departed`). Every step is an event of the log by the admin.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use crate::access::Admin;
use crate::error::ErrorBody;
use crate::extract::{JsonBody, PathParam};
use crate::limits::Limited;
use crate::log::people::{By, PersonChange};
use crate::log::{AppendError, HandOver, NewEvent, Refusal};
use crate::{AppError, AppState, Result};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/admin/users/{id}/deactivate", post(deactivate))
        .route("/api/admin/users/{id}/reactivate", post(reactivate))
        .route("/api/admin/chats/{chat_id}/hand-over", post(hand_over))
}

/// Deactivates a person who left the school (not an admin): their sessions answer 401
/// `account_deactivated` from now on and their open streams end, on every replica; they can
/// no longer sign in. A departed teacher's direct chats become read-only until handed over; a
/// departed student's chats leave their teachers' inboxes for the archive. Nothing is deleted.
/// Deactivating again is a no-op (204 too).
#[utoipa::path(post, path = "/api/admin/users/{id}/deactivate", tag = "moderation", params(("id" = i64, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody, description = "`conflict`: someone being erased, or erased"),
              (status = 422, body = ErrorBody, description = "an admin"), (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = user.id, target = id))]
pub async fn deactivate(
    State(state): State<AppState>,
    Admin(user): Admin,
    PathParam(id): PathParam<i64>,
) -> Result<StatusCode> {
    state.limits.check(Limited::write_by(user.role), user.id)?;
    person(&state, id).await?;
    let event = NewEvent::Person { by: By::Admin(user.id), change: PersonChange::Deactivate { user_id: id } };
    state.appender.append(event).await.map_err(unprocessable_rule)?;
    Ok(StatusCode::NO_CONTENT)
}

/// Reactivates a deactivated person: they may sign in again (their chats are as they were).
/// A no-op for one who is active.
#[utoipa::path(post, path = "/api/admin/users/{id}/reactivate", tag = "moderation", params(("id" = i64, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody, description = "`conflict`: someone being erased, or erased"),
              (status = 422, body = ErrorBody, description = "an admin"), (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = user.id, target = id))]
pub async fn reactivate(
    State(state): State<AppState>,
    Admin(user): Admin,
    PathParam(id): PathParam<i64>,
) -> Result<StatusCode> {
    state.limits.check(Limited::write_by(user.role), user.id)?;
    person(&state, id).await?;
    let event = NewEvent::Person { by: By::Admin(user.id), change: PersonChange::Reactivate { user_id: id } };
    state.appender.append(event).await.map_err(unprocessable_rule)?;
    Ok(StatusCode::NO_CONTENT)
}

/// The successor of a direct chat's teacher.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Successor {
    /// A teacher of the school (not deactivated, suspended or being erased), not a former
    /// teacher of this chat, who has no chat with its student yet.
    pub teacher_id: i64,
}

/// A chat handed over: whose it was, whose it is.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HandedOver {
    pub chat_id: i64,
    pub from_teacher_id: i64,
    pub to_teacher_id: i64,
}

/// Hands a direct chat to a successor teacher (`chat_handed_over`): the successor becomes its
/// teacher and reads its whole history; the teacher it had leaves it (their streams get the
/// event, then nothing more of it); the student, the successor and admins get it live. Meant for
/// a teacher who left the school (whose chat is read-only meanwhile), allowed for any. 200 with
/// the change; to its own teacher, 200 with nothing changed. 409 `pair_has_chat` when the
/// successor has a chat with this student already (one chat per pair), 409 `chat_closed` for a
/// closed chat, 422 for a successor who is no active teacher or a chat that is not direct.
#[utoipa::path(post, path = "/api/admin/chats/{chat_id}/hand-over", tag = "moderation",
    params(("chat_id" = i64, Path)), request_body = Successor,
    responses((status = 200, body = HandedOver), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = user.id, chat_id))]
pub async fn hand_over(
    State(state): State<AppState>,
    Admin(user): Admin,
    PathParam(chat_id): PathParam<i64>,
    JsonBody(body): JsonBody<Successor>,
) -> Result<Json<HandedOver>> {
    state.limits.check(Limited::write_by(user.role), user.id)?;
    let teacher: Option<i64> = {
        let client = state.db.get().await?;
        let row = client.query_opt("SELECT teacher_id FROM chats WHERE id = $1", &[&chat_id]).await?;
        row.ok_or_else(|| AppError::NotFound(format!("chat {chat_id} does not exist")))?.get("teacher_id")
    };
    let event = NewEvent::ChatHandedOver(HandOver { admin_id: user.id, chat_id, to_teacher_id: body.teacher_id });
    let from_teacher_id = match state.appender.append(event).await.map_err(unprocessable_rule)? {
        Some(stored) => match stored.data {
            crate::log::EventData::ChatHandedOver { from_teacher_id, .. } => from_teacher_id,
            _ => return Err(AppError::Internal(anyhow::anyhow!("the hand-over of chat {chat_id} was not recorded"))),
        },
        // Theirs already.
        None => teacher.unwrap_or(body.teacher_id),
    };
    Ok(Json(HandedOver { chat_id, from_teacher_id, to_teacher_id: body.teacher_id }))
}

/// 404 unless person `id` exists; 422 for an admin (the school's directory deactivates an
/// admin who leaves, so that no admin locks out another, or themself, here).
async fn person(state: &AppState, id: i64) -> Result<()> {
    let client = state.db.get().await?;
    match client.query_opt("SELECT role = 'admin' AS admin FROM users WHERE id = $1", &[&id]).await? {
        Some(row) if row.get("admin") => {
            Err(AppError::Unprocessable(format!("user {id} is an admin: the school's directory deactivates admins")))
        }
        Some(_) => Ok(()),
        None => Err(AppError::NotFound(format!("user {id} does not exist"))),
    }
}

/// The log's rules about who fits (an admin deactivated, a successor who is no active teacher,
/// a chat that is not direct) are 422 here: the request is well-formed, what it names does not fit.
fn unprocessable_rule(e: AppendError) -> AppError {
    match e {
        AppendError::Refused(message, Refusal::InvalidContent) => AppError::Unprocessable(message),
        other => other.into(),
    }
}
