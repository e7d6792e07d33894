//! A participant's own settings of a chat: muted (no offline notice, Web Push or webhook, tells
//! them of its messages; unread still counts) and archived (out of their inbox until its next
//! message, or for good once it is closed: the "delete a conversation" of one person, which
//! never deletes the log). Each change is an event of the log by that person (`chat_muted`,
//! `chat_unmuted`, `chat_archived`, `chat_unarchived`), which only their own streams get, and
//! which `chat_participants` keeps (`sql/functions/events_apply.sql`). Admins and guardians
//! take part in no chat, and a guest's inquiry is their only one: none of them has either.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::put;

use crate::access::{Writer, check_access};
use crate::auth::AuthUser;
use crate::error::ErrorBody;
use crate::extract::PathParam;
use crate::log::{ChatSetting, NewEvent};
use crate::{AppState, Result};

/// Open to suspended people too: what they are told is theirs to set, as their read markers.
pub fn router() -> Router<AppState> {
    crate::access::for_suspended(
        Router::new()
            .route("/api/chats/{chat_id}/mute", put(mute).delete(unmute))
            .route("/api/chats/{chat_id}/archive", put(archive).delete(unarchive)),
    )
}

/// Mutes the chat for the caller: no Web Push and no webhook notice about its messages (those
/// waiting are cancelled); unread still counts. 201 when muted now, 200 when it was already.
#[utoipa::path(put, path = "/api/chats/{chat_id}/mute", tag = "chats", params(("chat_id" = i64, Path)),
    responses((status = 201, description = "muted now"), (status = 200, description = "it was muted already"),
              (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody, description = "no such chat, or the caller is not a participant (one answer for both), an admin, a guardian or a guest"),
              (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = user.id, chat_id = chat_id))]
pub async fn mute(
    State(state): State<AppState>,
    Writer(user): Writer,
    PathParam(chat_id): PathParam<i64>,
) -> Result<StatusCode> {
    created(change(&state, &user, chat_id, ChatSetting::Muted).await?)
}

/// Unmutes the chat for the caller. 204, also when it was not muted.
#[utoipa::path(delete, path = "/api/chats/{chat_id}/mute", tag = "chats", params(("chat_id" = i64, Path)),
    responses((status = 204, description = "not muted"), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody, description = "no such chat, or the caller is not a participant (one answer for both), an admin, a guardian or a guest"),
              (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = user.id, chat_id = chat_id))]
pub async fn unmute(
    State(state): State<AppState>,
    Writer(user): Writer,
    PathParam(chat_id): PathParam<i64>,
) -> Result<StatusCode> {
    change(&state, &user, chat_id, ChatSetting::Unmuted).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Archives the chat for the caller: `GET /api/chats` leaves it out (`?archived=true` lists
/// it) until a message newer than this arrives; a closed chat stays archived. Nothing is
/// deleted. 201 when archived now (again, if a message had brought it back), 200 when it was
/// archived already.
#[utoipa::path(put, path = "/api/chats/{chat_id}/archive", tag = "chats", params(("chat_id" = i64, Path)),
    responses((status = 201, description = "archived now"), (status = 200, description = "it was archived already"),
              (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody, description = "no such chat, or the caller is not a participant (one answer for both), an admin, a guardian or a guest"),
              (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = user.id, chat_id = chat_id))]
pub async fn archive(
    State(state): State<AppState>,
    Writer(user): Writer,
    PathParam(chat_id): PathParam<i64>,
) -> Result<StatusCode> {
    created(change(&state, &user, chat_id, ChatSetting::Archived).await?)
}

/// Brings the chat back to the caller's inbox. 204, also when it was not archived.
#[utoipa::path(delete, path = "/api/chats/{chat_id}/archive", tag = "chats", params(("chat_id" = i64, Path)),
    responses((status = 204, description = "in the inbox"), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody, description = "no such chat, or the caller is not a participant (one answer for both), an admin, a guardian or a guest"),
              (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = user.id, chat_id = chat_id))]
pub async fn unarchive(
    State(state): State<AppState>,
    Writer(user): Writer,
    PathParam(chat_id): PathParam<i64>,
) -> Result<StatusCode> {
    change(&state, &user, chat_id, ChatSetting::Unarchived).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// 201 for a change the log recorded, 200 for none (it was so already).
fn created(changed: bool) -> Result<StatusCode> {
    Ok(if changed { StatusCode::CREATED } else { StatusCode::OK })
}

/// Appends the setting's event, if the caller takes part in the chat; whether the log recorded
/// one (no: it was so already, which the log decides under its lock).
async fn change(state: &AppState, user: &AuthUser, chat_id: i64, setting: ChatSetting) -> Result<bool> {
    check_access(state, chat_id, user).await?;
    let event = NewEvent::ChatSetting { chat_id, user_id: user.id, setting };
    Ok(state.appender.append(event).await?.is_some())
}
