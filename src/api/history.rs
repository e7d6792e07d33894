//! Message history: a page of a chat's messages as they are now, and one message as it is now
//! (what sending and editing answer). Each message carries the quote it answers and who has
//! read it, from one statement.

use std::sync::LazyLock;

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use serde::{Deserialize, Serialize};
use tokio_postgres::{GenericClient, Row};

use super::access::check_read_access;
use super::{MinPositionParam, Snapshot};
use crate::auth::AuthUser;
use crate::error::ErrorBody;
use crate::extract::{MinPosition, PathParam, QueryParams};
use crate::limits::Limited;
use crate::log::store;
use crate::reads::reading;
use crate::views::{Attachment, Hidden, HistoryMessage, MessageType, Purged, READ_BY_LIMIT, ReplyPreview, SentMessage};
use crate::{AppError, AppState, Result};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/chats/{chat_id}/messages", get(history))
}

/// Messages with what their views show: the message each answers (`p`), and every
/// participant's read marker (`readers`/`markers`, from the chat's few participant rows, read
/// once per statement), from which `read_by` is computed. `chat` names the chat (a parameter
/// or `m.chat_id`); `rest` filters and orders.
fn messages_sql(chat: &str, rest: &str) -> String {
    format!(
        "SELECT m.id, m.chat_id, m.sender_id, m.content, m.is_deleted, m.created_at, m.edited_at, m.attachments, {},
                {}, r.readers, r.markers
         FROM messages m
         CROSS JOIN LATERAL (SELECT array_agg(user_id ORDER BY user_id) AS readers,
                                    array_agg(last_read_message_id ORDER BY user_id) AS markers
                             FROM chat_participants WHERE chat_id = {chat}) r
         LEFT JOIN messages p ON p.id = m.reply_to_id
         {rest}",
        ReplyPreview::COLUMNS,
        Hidden::COLUMNS
    )
}

/// A history page: $1 the chat, $2 `before_id` (or NULL), $3 how many, $4 and $5 the stretches
/// of the log the caller may read (from and through positions, see
/// [`super::access::Readable`]), with the log head in the same statement (see
/// [`store::with_head`]). Public so that the benchmark can `EXPLAIN` exactly this statement.
pub static HISTORY_SQL: LazyLock<String> = LazyLock::new(|| {
    store::with_head(
        &messages_sql(
            "$1",
            "WHERE m.chat_id = $1 AND NOT m.is_deleted AND m.id < coalesce($2, 9223372036854775807)
               AND m.position >= ($4::bigint[])[1]
               AND EXISTS (SELECT 1 FROM unnest($4::bigint[], $5::bigint[]) i(f, t) WHERE m.position BETWEEN i.f AND i.t)
             ORDER BY m.id DESC LIMIT $3",
        ),
        "d.id DESC",
    )
});

/// Message $1 as it is now.
static MESSAGE_SQL: LazyLock<String> = LazyLock::new(|| messages_sql("m.chat_id", "WHERE m.id = $1"));

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct History {
    /// Oldest first.
    pub messages: Vec<HistoryMessage>,
    /// Whether older messages exist before the first one returned.
    pub has_more: bool,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)] // `offset` or `page` would otherwise silently answer the newest page
pub struct HistoryQuery {
    /// 1–100, default 50.
    #[param(minimum = 1, maximum = 100, nullable = false)]
    pub limit: Option<i64>,
    /// Only messages with a smaller id (the oldest id you already have).
    #[param(nullable = false)]
    pub before_id: Option<i64>,
}

/// The newest `limit` visible messages older than `before_id`, oldest first.
#[utoipa::path(get, path = "/api/chats/{chat_id}/messages", tag = "messages",
    params(("chat_id" = i64, Path), HistoryQuery, MinPositionParam),
    responses((status = 200, body = History, headers(("X-Event-Position" = i64, description = "the log position the page is at least as recent as"))),
              (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = user.id, chat_id = chat_id))]
pub async fn history(
    State(state): State<AppState>,
    user: AuthUser,
    PathParam(chat_id): PathParam<i64>,
    QueryParams(query): QueryParams<HistoryQuery>,
    MinPosition(min): MinPosition,
) -> Result<Snapshot<History>> {
    state.limits.check(Limited::Read, user.id)?;
    let limit = query.limit.unwrap_or(50);
    if !(1..=100).contains(&limit) {
        return Err(AppError::BadRequest(format!("limit must be between 1 and 100 (got {limit})")));
    }
    // Access on the primary (a removal binds at once); the page wherever it is fresh enough.
    let readable = check_read_access(&state, chat_id, &user).await?;
    let params: [&(dyn tokio_postgres::types::ToSql + Sync); 5] =
        [&chat_id, &query.before_id, &(limit + 1), &readable.from, &readable.through];
    let (position, rows) =
        reading!(state.reads, min, |client| Ok(store::snapshot(&client, &HISTORY_SQL, &params).await?))?;
    let has_more = rows.len() as i64 > limit;
    let admin = user.is_admin();
    let mut messages = rows
        .iter()
        .take(limit as usize)
        .map(|row| Ok(history_message(row)?.for_viewer(admin)))
        .collect::<Result<Vec<_>, tokio_postgres::Error>>()?;
    messages.reverse();
    for message in &mut messages {
        message.reply_to = message.reply_to.take().map(|quote| quote.for_reader(|p| readable.contains(p)));
    }
    Ok(Snapshot(position, History { messages, has_more }))
}

/// A history row (selected by [`HISTORY_SQL`] or [`MESSAGE_SQL`]) as a message.
fn history_message(row: &Row) -> Result<HistoryMessage, tokio_postgres::Error> {
    let id: i64 = row.try_get("id")?;
    let sender_id: i64 = row.try_get("sender_id")?;
    let readers: Vec<i64> = row.try_get("readers")?;
    let markers: Vec<i64> = row.try_get("markers")?;
    let read_by = readers
        .into_iter()
        .zip(markers)
        .filter(|&(reader, marker)| reader != sender_id && marker >= id)
        .map(|(reader, _)| reader)
        .take(READ_BY_LIMIT)
        .collect();
    let edited_at: Option<time::OffsetDateTime> = row.try_get("edited_at")?;
    let attachments = Attachment::list_from_row(row, "attachments")?;
    Ok(HistoryMessage {
        id,
        sender_id,
        content: row.try_get("content")?,
        is_deleted: row.try_get("is_deleted")?,
        created_at: row.try_get("created_at")?,
        is_edited: edited_at.is_some(),
        edited_at,
        reply_to: ReplyPreview::from_row(row)?,
        kind: MessageType::of(&attachments),
        attachments,
        read_by,
        hidden: Hidden::from_row(row)?,
        purged: Purged::from_row(row)?,
    })
}

/// Message `id` as it is now, with its chat.
pub(super) async fn load_message(client: &impl GenericClient, id: i64) -> Result<Option<SentMessage>> {
    let Some(row) = client.query_opt(MESSAGE_SQL.as_str(), &[&id]).await? else {
        return Ok(None);
    };
    // Its author asks (admins write nothing): a participant's view.
    Ok(Some(SentMessage { chat_id: row.try_get("chat_id")?, message: history_message(&row)?.for_viewer(false) }))
}
