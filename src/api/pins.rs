//! Pinned messages: a group's owner, or either participant of a direct chat, pins up to
//! `PINS_PER_CHAT` of the chat's messages at its top, and unpins them. Each change is an event
//! of the log by that person (`message_pinned`, `message_unpinned`), which everyone who reads
//! the chat gets live, as they get an edit; `chat_pins` is their read model
//! (`sql/functions/events_apply.sql`). A message hidden, deleted or purged is unpinned by that
//! same event, with none of its own: a client drops the pin of a message it sees go.
//!
//! The limit is the log's to enforce (`events_rule_pin` counts the chat's pins under the log's
//! lock), so two pins at once on two replicas cannot pass it: the request carries it in its
//! payload, as retention's horizon reaches its rule, and the rule keeps only the message id.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, put};
use serde::Serialize;
use time::OffsetDateTime;

use super::history::history_message;
use super::{MinPositionParam, Snapshot};
use crate::access::{Writer, check_read_access, may_pin};
use crate::auth::AuthUser;
use crate::error::ErrorBody;
use crate::extract::{MinPosition, PathParam};
use crate::limits::Limited;
use crate::log::{NewEvent, store};
use crate::standby::reading;
use crate::wire::HistoryMessage;
use crate::{AppState, Result};

/// Pinning and unpinning are writes (no guest, no suspended person); the list is read wherever
/// the chat's history is, a guest's inquiry too.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/chats/{chat_id}/pins/{message_id}", put(pin).delete(unpin))
        .merge(crate::access::for_guests(Router::new().route("/api/chats/{chat_id}/pins", get(list_pins))))
}

/// The chat's pins, newest pin first ($1: the chat), each message as history shows it, within
/// $2 and $3, the stretches of the log the caller may read, only its author's messages where
/// $4 names one (see `HISTORY_SQL`), with the log head in the same statement.
const PINS_SQL: &str = "SELECT h.head, d.*
    FROM log_head() h
    LEFT JOIN LATERAL (
        SELECT m.*, r.readers, r.markers, x.reactions, p.pinned_by, p.pinned_at, p.position AS pinned_position
        FROM chat_pins p
        JOIN message_views m ON m.id = p.message_id
        CROSS JOIN LATERAL chat_read_markers($1) r
        CROSS JOIN LATERAL message_reactions_of(m.id) x
        WHERE p.chat_id = $1
          AND EXISTS (SELECT 1 FROM unnest($2::bigint[], $3::bigint[], $4::bigint[]) i(f, t, a)
                      WHERE m.position BETWEEN i.f AND i.t AND (i.a IS NULL OR m.sender_id = i.a))
    ) d ON true
    ORDER BY d.pinned_position DESC";

/// A chat's pinned messages, newest pin first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Pins {
    pub pins: Vec<Pin>,
}

/// A pinned message: who pinned it, when, and the message as history shows it (never a hidden,
/// deleted or purged one: those are unpinned).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Pin {
    pub message_id: i64,
    pub pinned_by: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub pinned_at: OffsetDateTime,
    pub message: HistoryMessage,
}

/// Pins a message of the chat at its top. 204, also when it was pinned already. Only a
/// message that is shown (not hidden, deleted or purged), while the chat has fewer than
/// `PINS_PER_CHAT` pins.
#[utoipa::path(put, path = "/api/chats/{chat_id}/pins/{message_id}", tag = "chats",
    params(("chat_id" = i64, Path), ("message_id" = i64, Path)),
    responses((status = 204, description = "pinned (now or already)"), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody, description = "no such chat or message, or not the caller's to see (one answer for both); an admin, a guardian (but in their family chat), a guest; a group the caller does not own (`not_group_owner`); a direct chat whose teacher left the school (`teacher_departed`)"),
              (status = 409, body = ErrorBody, description = "the chat is closed (`chat_closed`); the message is hidden or deleted (`message_hidden`, `message_deleted`) or purged; the chat has `PINS_PER_CHAT` pins already (`too_many_pins`)"),
              (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = user.id, chat_id = chat_id, message_id = message_id))]
pub async fn pin(
    State(state): State<AppState>,
    user: AuthUser,
    PathParam((chat_id, message_id)): PathParam<(i64, i64)>,
) -> Result<StatusCode> {
    let Writer(user) = Writer::admit_in(&state, user, chat_id).await?;
    change(&state, &user, chat_id, message_id, true).await
}

/// Unpins a message of the chat. 204, also when it was not pinned (or its hiding, deletion or
/// purge unpinned it).
#[utoipa::path(delete, path = "/api/chats/{chat_id}/pins/{message_id}", tag = "chats",
    params(("chat_id" = i64, Path), ("message_id" = i64, Path)),
    responses((status = 204, description = "not pinned (now or already)"), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody, description = "no such chat or message, or not the caller's to see (one answer for both); an admin, a guardian (but in their family chat), a guest; a group the caller does not own (`not_group_owner`); a direct chat whose teacher left the school (`teacher_departed`)"),
              (status = 409, body = ErrorBody, description = "the chat is closed (`chat_closed`)"),
              (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = user.id, chat_id = chat_id, message_id = message_id))]
pub async fn unpin(
    State(state): State<AppState>,
    user: AuthUser,
    PathParam((chat_id, message_id)): PathParam<(i64, i64)>,
) -> Result<StatusCode> {
    let Writer(user) = Writer::admit_in(&state, user, chat_id).await?;
    change(&state, &user, chat_id, message_id, false).await
}

async fn change(state: &AppState, user: &AuthUser, chat_id: i64, message_id: i64, pinned: bool) -> Result<StatusCode> {
    may_pin(state, chat_id, message_id, user).await?;
    let limit = state.config.pins.per_chat;
    let event = NewEvent::Pin { chat_id, actor_id: user.id, message_id, pinned, limit };
    state.appender.append(event).await?; // None: so already, which the log decides under its lock
    Ok(StatusCode::NO_CONTENT)
}

/// The chat's pinned messages, newest pin first, each as history shows it to the caller: for
/// everyone who reads the chat (participants, admins, a direct chat's guardians, an inquiry's
/// guest), only the messages they may read there.
#[utoipa::path(get, path = "/api/chats/{chat_id}/pins", tag = "chats",
    params(("chat_id" = i64, Path), MinPositionParam),
    responses((status = 200, body = Pins, headers(("X-Event-Position" = i64, description = "the log position the list is at least as recent as"))),
              (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody, description = "no such chat, or the caller may not read it (one answer for both)"),
              (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = user.id, chat_id = chat_id))]
pub async fn list_pins(
    State(state): State<AppState>,
    user: AuthUser,
    PathParam(chat_id): PathParam<i64>,
    MinPosition(min): MinPosition,
) -> Result<Snapshot<Pins>> {
    state.limits.check(Limited::Read, user.id)?;
    let readable = check_read_access(&state, chat_id, &user).await?;
    crate::access::record_read(&state.db, &user, &[chat_id], crate::access::Via::History).await?;
    let params: [&(dyn tokio_postgres::types::ToSql + Sync); 4] =
        [&chat_id, &readable.from, &readable.through, &readable.authors];
    let (position, rows) = reading!(state.reads, min, |client| Ok(store::snapshot(&client, PINS_SQL, &params).await?))?;
    let admin = crate::access::viewer(&user) == crate::access::Viewer::Admin;
    let pins = rows
        .iter()
        .map(|row| {
            let mut message = history_message(row)?.for_viewer(admin);
            message.read_by.retain(|reader| readable.names(*reader));
            crate::wire::named_for(&mut message.reactions, |user| readable.names(user));
            message.reply_to = message.reply_to.take().map(|quote| {
                let by = quote.sender_id;
                quote.for_reader(|p| readable.shows(p, by))
            });
            Ok(Pin {
                message_id: message.id,
                pinned_by: row.try_get("pinned_by")?,
                pinned_at: row.try_get("pinned_at")?,
                message,
            })
        })
        .collect::<Result<Vec<_>, tokio_postgres::Error>>()?;
    Ok(Snapshot(position, Pins { pins }))
}
