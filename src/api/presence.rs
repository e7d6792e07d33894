//! Typing and presence: ephemeral signals next to the log (see `realtime::signals` and
//! `realtime::presence`). Nothing here appends to the log.

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::Deserialize;

use crate::access::check_access;
use crate::access::{Writer, may_see_presence};
use crate::auth::AuthUser;
use crate::error::ErrorBody;
use crate::extract::{JsonBody, PathParam};
use crate::realtime::signals::{PresenceEvent, Signal, TypingEvent};
use crate::{AppState, Result};

pub fn router() -> Router<AppState> {
    crate::access::for_guests(Router::new().route("/api/chats/{chat_id}/typing", post(typing)))
        .route("/api/presence/{user_id}", get(presence))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct Typing {
    pub is_typing: bool,
}

/// Tells the chat's other participants that the caller is (or stopped) typing. A `true` is
/// forwarded at most once per 2 s per user and chat, whatever came between; a `false` only to
/// end a forwarded `true`; the rest are answered 204 and dropped. Counts as a write for the
/// rate limit (429). Receivers show `true` for 6 s unless it is renewed.
#[utoipa::path(post, path = "/api/chats/{chat_id}/typing", tag = "chats", params(("chat_id" = i64, Path)),
    request_body = Typing,
    responses((status = 204, description = "forwarded, or dropped by the throttle"), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody, description = "no such chat, or the caller is not a participant (one answer for both)"),
              (status = 409, body = ErrorBody), (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = user.id, chat_id = chat_id))]
pub async fn typing(
    State(state): State<AppState>,
    user: AuthUser,
    PathParam(chat_id): PathParam<i64>,
    body: JsonBody<Typing>,
) -> Result<StatusCode> {
    let writer = Writer::admit_in(&state, user, chat_id).await?;
    typing_as(State(state), writer, PathParam(chat_id), body).await
}

/// [`typing`] by a writer admitted already (a dialect's socket, whose caller signed in once).
pub async fn typing_as(
    State(state): State<AppState>,
    Writer(user): Writer,
    PathParam(chat_id): PathParam<i64>,
    JsonBody(body): JsonBody<Typing>,
) -> Result<StatusCode> {
    // A typing request costs a lookup and, when forwarded, a notification on every replica:
    // it counts as a write (Writer).
    check_access(&state, chat_id, &user).await?.writable(chat_id)?.postable(chat_id)?;
    if state.typing.admit(user.id, chat_id, body.is_typing) {
        state.signals.send(Signal::Typing(TypingEvent { chat_id, user_id: user.id, is_typing: body.is_typing }));
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Whether a user is online (has an event stream open on any replica) and when they were last
/// seen (`null` while online, and for someone never seen). Visible to those who share a chat
/// with them, to themselves and to admins; 403 for anyone else (presence is personal data),
/// the same answer whether or not the user exists.
#[utoipa::path(get, path = "/api/presence/{user_id}", tag = "chats", params(("user_id" = i64, Path)),
    responses((status = 200, body = PresenceEvent), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody, description = "no such user, or not the caller's to see (one answer for both)")))]
#[tracing::instrument(skip_all, fields(user_id = user.id, about = about))]
pub async fn presence(
    State(state): State<AppState>,
    user: AuthUser,
    PathParam(about): PathParam<i64>,
) -> Result<Json<PresenceEvent>> {
    may_see_presence(&state, &user, about).await?;
    let row = state.db.get().await?.query_one("SELECT online, last_seen FROM presence_of($1)", &[&about]).await?;
    let online: bool = row.get("online");
    Ok(Json(PresenceEvent { user_id: about, online, last_seen: if online { None } else { row.get("last_seen") } }))
}
