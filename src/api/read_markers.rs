//! Read markers and unread counts. A participant's marker is the newest message id they have
//! read; moving it appends a `chat_read` event, and the log's trigger keeps every
//! participant's unread count (`sql/functions/events_apply.sql`). A chat's markers, read whole,
//! tell its messages' authors "seen by N of M" (no row is written per message and reader).

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};

use crate::access::may_see_receipts;
use crate::access::{Participant, Writer};
use crate::auth::AuthUser;
use crate::auth::Role;
use crate::error::ErrorBody;
use crate::extract::{OptionalJsonBody, PathParam};
use crate::limits::Limited;
use crate::log::NewEvent;
use crate::{AppError, AppState, Result};

pub fn router() -> Router<AppState> {
    let mark = Router::new().route("/api/chats/{chat_id}/read", post(mark_read));
    crate::access::for_guests(crate::access::for_suspended(mark))
        .route("/api/unread-count", get(unread_count))
        .route("/api/chats/{chat_id}/read-markers", get(read_markers))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ReadUpTo {
    /// A message of this chat (deleted or not); default: its newest message.
    pub up_to_message_id: Option<i64>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UnreadCount {
    /// Messages from others after the caller's read markers, over all the caller's chats.
    pub unread_count: i64,
    /// Chats with at least one of them.
    pub chats: i64,
}

/// Marks the chat read up to a message (default: its newest). Markers only move forward: an
/// older id changes nothing and still answers 204. Admins read without a marker (403).
#[utoipa::path(post, path = "/api/chats/{chat_id}/read", tag = "chats", params(("chat_id" = i64, Path)),
    request_body(content = Option<ReadUpTo>, description = "optional"),
    responses((status = 422, body = ErrorBody, description = "up_to_message_id is not a message of this chat"), (status = 204, description = "the marker is at or past the message"), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody, description = "no such chat, or the caller is not a participant (one answer for both)")))]
#[tracing::instrument(skip_all, fields(user_id = user.id, chat_id = chat_id))]
pub async fn mark_read(
    State(state): State<AppState>,
    user: AuthUser,
    PathParam(chat_id): PathParam<i64>,
    body: OptionalJsonBody<ReadUpTo>,
) -> Result<StatusCode> {
    let writer = Writer::admit_in(&state, user, chat_id).await?;
    mark_read_as(State(state), writer, PathParam(chat_id), body).await
}

/// [`mark_read`] by a writer admitted already (a dialect's, whose caller signed in as one).
pub async fn mark_read_as(
    State(state): State<AppState>,
    Writer(user): Writer,
    PathParam(chat_id): PathParam<i64>,
    OptionalJsonBody(body): OptionalJsonBody<ReadUpTo>,
) -> Result<StatusCode> {
    move_marker(&state, &user, chat_id, body.and_then(|b| b.up_to_message_id), Vec::new()).await
}

/// The most messages a client may list as read at once: the list goes into the log (and every
/// member's stream), so it is bounded here and by the log's rule alike.
pub const MAX_LISTED_READ: usize = 100;

/// Marks the chat read up to the newest of `listed`, the messages a client listed as read (the
/// messenger dialect's receipts): [`mark_read`]'s rules, and every stream's `messages_read`
/// carries the list as given. 400 for more than [`MAX_LISTED_READ`].
pub async fn mark_listed_read(
    state: &AppState,
    Writer(user): Writer,
    chat_id: i64,
    listed: Vec<i64>,
) -> Result<StatusCode> {
    if listed.len() > MAX_LISTED_READ {
        return Err(AppError::BadRequest(format!(
            "{} messages listed as read: at most {MAX_LISTED_READ} at once",
            listed.len()
        )));
    }
    let newest = listed.iter().copied().max();
    move_marker(state, &user, chat_id, newest, listed).await
}

async fn move_marker(
    state: &AppState,
    user: &crate::auth::AuthUser,
    chat_id: i64,
    requested: Option<i64>,
    listed: Vec<i64>,
) -> Result<StatusCode> {
    // Only a member has a marker: the statement below finds none for anybody else (an admin, a
    // guardian reading a child's chat, a stranger), who gets the one answer for a chat they may
    // not use; so it is the access check too (a receipt is one query before its append, not two).
    // Prepared once per pooled connection (a client marks a chat read as its messages arrive).
    let client = state.db.get().await?;
    let statement = client
        .prepare_cached(
            "SELECT c.last_message_id, p.last_read_message_id,
                    (SELECT m.chat_id FROM messages m WHERE m.id = $3) AS message_chat
             FROM chats c JOIN chat_participants p ON p.chat_id = c.id AND p.user_id = $2
             WHERE c.id = $1",
        )
        .await?;
    let row = client
        .query_opt(&statement, &[&chat_id, &user.id, &requested])
        .await?
        .ok_or_else(|| crate::access::no_chat(chat_id))?;
    drop(client); // not held while waiting for the writer, which needs one too
    let up_to = match requested {
        Some(id) if row.get::<_, Option<i64>>("message_chat") != Some(chat_id) => {
            return Err(AppError::Unprocessable(format!("up_to_message_id {id} is not a message of chat {chat_id}")));
        }
        Some(id) => id,
        None => match row.get::<_, Option<i64>>("last_message_id") {
            Some(newest) => newest,
            None => return Ok(StatusCode::NO_CONTENT), // nothing to read
        },
    };
    if up_to > row.get::<_, i64>("last_read_message_id") {
        // None: a concurrent read (another tab) moved the marker at least as far.
        let read = NewEvent::ChatRead { chat_id, reader_id: user.id, up_to_message_id: up_to, message_ids: listed };
        state.appender.append(read).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's unread messages over all their chats (participants only): the counters kept
/// per member, and each announcement's derived from the read marker (`chat_unread`).
#[utoipa::path(get, path = "/api/unread-count", tag = "chats",
    responses((status = 200, body = UnreadCount), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = user.id))]
pub async fn unread_count(State(state): State<AppState>, Participant(user): Participant) -> Result<Json<UnreadCount>> {
    let row = state
        .db
        .get()
        .await?
        .query_one(
            "SELECT coalesce(sum(n.unread), 0)::bigint AS unread, count(*) FILTER (WHERE n.unread > 0) AS chats
             FROM chat_participants p
             CROSS JOIN LATERAL chat_unread(p.chat_id, p.user_id, p.last_read_message_id) n
             WHERE p.user_id = $1",
            &[&user.id],
        )
        .await?;
    Ok(Json(UnreadCount { unread_count: row.get("unread"), chats: row.get("chats") }))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReadMarkers {
    pub chat_id: i64,
    /// Every current member, by name.
    pub markers: Vec<ReadMarker>,
}

/// A member's read marker, and which of the chat's messages are theirs to read: a message
/// `m` is seen by them when `m > since_message_id` and `m <= last_read_message_id`, and is
/// counted in its "of M" when `m > since_message_id` and they are not its author.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReadMarker {
    pub user_id: i64,
    pub name: String,
    pub role: Role,
    /// The newest message they have read (0: none).
    pub last_read_message_id: i64,
    /// The newest message of the chat from before they joined (0: none): they read only later ones.
    pub since_message_id: i64,
}

/// Each current member's marker with the newest message from before their membership began:
/// the chat's messages and members in one sort by log position, a running maximum of the
/// message ids over it (one pass, however many members joined when).
const READ_MARKERS_SQL: &str = "SELECT u.id, u.name, u.role, s.last_read, coalesce(s.since, 0) AS since
    FROM (SELECT s.user_id, s.last_read, max(s.id) OVER (ORDER BY s.position, s.member) AS since
          FROM (SELECT false AS member, NULL::bigint AS user_id, NULL::bigint AS last_read, id, position
                FROM messages WHERE chat_id = $1
                UNION ALL
                SELECT true, user_id, last_read_message_id, NULL, joined_position
                FROM chat_participants WHERE chat_id = $1) s) s
    JOIN users u ON u.id = s.user_id
    ORDER BY u.name, u.id";

/// Every member's read marker, from which a client shows each message's "seen by N of M" and,
/// on demand, who has and who has not read it, kept live by `messages_read` (and read again
/// when members change). Members (an announcement's owner only) and admins.
#[utoipa::path(get, path = "/api/chats/{chat_id}/read-markers", tag = "chats", params(("chat_id" = i64, Path)),
    responses((status = 200, body = ReadMarkers), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody, description = "no such chat, or the caller is not a member (an announcement: its owner), nor an admin"),
              (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = user.id, chat_id = chat_id))]
pub async fn read_markers(
    State(state): State<AppState>,
    user: AuthUser,
    PathParam(chat_id): PathParam<i64>,
) -> Result<Json<ReadMarkers>> {
    state.limits.check(Limited::Read, user.id)?;
    may_see_receipts(&state, chat_id, &user).await?;
    let rows = state.db.get().await?.query(READ_MARKERS_SQL, &[&chat_id]).await?;
    let markers = rows
        .iter()
        .map(|row| {
            Ok(ReadMarker {
                user_id: row.try_get("id")?,
                name: row.try_get("name")?,
                role: row.try_get("role")?,
                last_read_message_id: row.try_get("last_read")?,
                since_message_id: row.try_get("since")?,
            })
        })
        .collect::<Result<_, tokio_postgres::Error>>()?;
    Ok(Json(ReadMarkers { chat_id, markers }))
}
