//! Message history: a page of a chat's messages as they are now, and one message as it is now
//! (what sending and editing answer). Each message carries the quote it answers and who has
//! read it, from one statement.

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use serde::{Deserialize, Serialize};
use tokio_postgres::{GenericClient, Row};

use super::{MinPositionParam, Snapshot};
use crate::access::check_read_access;
use crate::auth::AuthUser;
use crate::error::ErrorBody;
use crate::extract::{MinPosition, PathParam, QueryParams};
use crate::limits::Limited;
use crate::log::store;
use crate::standby::reading;
use crate::wire::{
    Attachment, Hidden, HistoryMessage, Mention, MessageType, Purged, READ_BY_LIMIT, Reacted, ReplyPreview, SentMessage,
};
use crate::{AppError, AppState, Result};

pub fn router() -> Router<AppState> {
    crate::access::for_guests(Router::new().route("/api/chats/{chat_id}/messages", get(history)))
}

/// A history page, as two legs from a pivot: up to $3 messages older than $2 (newest first)
/// and up to $7 newer than $6 (oldest first), within $4 and $5, the stretches of the log the
/// caller may read (from and through positions, see [`crate::access::Readable`]), each only
/// its author's messages where $8 names one (a guardian's stretch of their child's group), with the log
/// head in the same statement (see [`store::snapshot`]). The newest page asks for no newer
/// ones ($7 = 0). The legs choose message ids only; the page's messages are then read once,
/// as the `message_bodies` view shows them, with the page's mentions and reactions
/// (`message_mentions_in`, `message_reactions_in`: once a page, where `message_views` and
/// `message_reactions_of` start, sort and end an aggregate for each message; S4: half the
/// statement's time) and every participant's read marker (`chat_read_markers`, read once)
/// from which `read_by` is computed. Public so that the benchmark can `EXPLAIN` exactly this
/// statement.
pub const HISTORY_SQL: &str = "SELECT h.head, r.readers, r.markers, d.*
    FROM log_head() h CROSS JOIN chat_read_markers($1) r
    LEFT JOIN LATERAL (
        WITH page AS (
              (SELECT k.id FROM messages k
               WHERE k.chat_id = $1 AND NOT k.is_deleted AND k.id < coalesce($2, 9223372036854775807)
                 AND k.position >= ($4::bigint[])[1]
                 AND EXISTS (SELECT 1 FROM unnest($4::bigint[], $5::bigint[], $8::bigint[]) i(f, t, a)
                             WHERE k.position BETWEEN i.f AND i.t AND (i.a IS NULL OR k.sender_id = i.a))
               ORDER BY k.id DESC LIMIT $3)
              UNION ALL
              (SELECT k.id FROM messages k
               WHERE k.chat_id = $1 AND NOT k.is_deleted AND k.id > $6
                 AND k.position >= ($4::bigint[])[1]
                 AND EXISTS (SELECT 1 FROM unnest($4::bigint[], $5::bigint[], $8::bigint[]) i(f, t, a)
                             WHERE k.position BETWEEN i.f AND i.t AND (i.a IS NULL OR k.sender_id = i.a))
               ORDER BY k.id LIMIT $7))
        SELECT m.*, coalesce(t.mentions, '[]') AS mentions, coalesce(x.reactions, '[]') AS reactions
        FROM (SELECT array_agg(id) AS ids FROM page) p
        CROSS JOIN LATERAL unnest(p.ids) q(id)
        JOIN message_bodies m ON m.id = q.id
        LEFT JOIN message_mentions_in(p.ids) t ON t.message_id = m.id
        LEFT JOIN message_reactions_in(p.ids) x ON x.message_id = m.id
    ) d ON true
    ORDER BY d.id DESC";

/// Message $1 as it is now (as a history row).
const MESSAGE_SQL: &str = "SELECT m.*, r.readers, r.markers, x.reactions
    FROM message_views m CROSS JOIN LATERAL chat_read_markers(m.chat_id) r
    CROSS JOIN LATERAL message_reactions_of(m.id) x
    WHERE m.id = $1";

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct History {
    /// Oldest first.
    pub messages: Vec<HistoryMessage>,
    /// Whether older messages exist before the first one returned.
    pub has_more: bool,
    /// Whether newer messages exist after the last one returned (false for the newest page).
    pub has_newer: bool,
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
    /// Only messages with a greater id (the newest id you already have), oldest first.
    #[param(nullable = false)]
    pub after_id: Option<i64>,
    /// The messages around this one (a search result): about half the page before it, the
    /// rest after, itself included. 403 if the caller may not see it in this chat. At most one
    /// of `before_id`, `after_id` and `around` (422 otherwise).
    #[param(nullable = false)]
    pub around: Option<i64>,
}

/// Which page: the two legs of [`HISTORY_SQL`] and how many of each to show.
struct Page {
    /// Older than this id (none: the newest).
    below: Option<i64>,
    older: i64,
    /// Newer than this id.
    above: i64,
    newer: i64,
}

impl Page {
    fn of(query: &HistoryQuery, limit: i64) -> Result<Self> {
        match (query.before_id, query.after_id, query.around) {
            (before, None, None) => Ok(Self {
                below: before,
                older: limit,
                above: before.map_or(i64::MAX, |b| b.saturating_sub(1)),
                newer: 0,
            }),
            (None, Some(after), None) => {
                Ok(Self { below: Some(after.saturating_add(1)), older: 0, above: after, newer: limit })
            }
            (None, None, Some(around)) => {
                let older = (limit + 1) / 2; // the message itself among them
                Ok(Self { below: Some(around.saturating_add(1)), older, above: around, newer: limit - older })
            }
            _ => {
                Err(AppError::Unprocessable("before_id, after_id and around are alternatives: give at most one".into()))
            }
        }
    }
}

/// A page of visible messages, oldest first: the newest `limit`, or those older than
/// `before_id`, newer than `after_id`, or around the message `around`.
#[utoipa::path(get, path = "/api/chats/{chat_id}/messages", tag = "messages",
    params(("chat_id" = i64, Path), HistoryQuery, MinPositionParam),
    responses((status = 200, body = History, headers(("X-Event-Position" = i64, description = "the log position the page is at least as recent as"))),
              (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody, description = "no such chat, or the caller is not a participant (one answer for both)"),
              (status = 422, body = ErrorBody, description = "more than one of before_id, after_id and around"),
              (status = 429, body = ErrorBody)))]
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
    let page = Page::of(&query, limit)?;
    // Access on the primary (a removal binds at once); the page wherever it is fresh enough.
    let readable = check_read_access(&state, chat_id, &user).await?;
    crate::access::record_read(&state.db, &user, &[chat_id], crate::access::Via::History).await?;
    // One more of each leg than shown tells whether more lie beyond.
    let (older, newer) =
        (page.older + 1, if page.newer > 0 { page.newer + 1 } else { i64::from(page.below.is_some()) });
    let params: [&(dyn tokio_postgres::types::ToSql + Sync); 8] =
        [&chat_id, &page.below, &older, &readable.from, &readable.through, &page.above, &newer, &readable.authors];
    let (position, rows) =
        reading!(state.reads, min, |client| Ok(store::snapshot(&client, HISTORY_SQL, &params).await?))?;
    let admin = crate::access::viewer(&user) == crate::access::Viewer::Admin;
    // Newest first: the newer leg's, then the older leg's.
    let (newer_rows, older_rows): (Vec<&Row>, Vec<&Row>) =
        rows.iter().partition(|row| row.get::<_, i64>("id") > page.above);
    if let Some(around) = query.around
        && older_rows.first().is_none_or(|row| row.get::<_, i64>("id") != around)
    {
        return Err(crate::access::no_message(around));
    }
    let has_more = older_rows.len() as i64 > page.older;
    let has_newer = newer_rows.len() as i64 > page.newer;
    let mut messages = older_rows
        .into_iter()
        .take(page.older as usize)
        .rev()
        .chain(newer_rows.into_iter().rev().take(page.newer as usize))
        .map(|row| Ok(history_message(row)?.for_viewer(admin)))
        .collect::<Result<Vec<_>, tokio_postgres::Error>>()?;
    for message in &mut messages {
        // Who read it names the members: not to a guardian reading only their child's messages.
        message.read_by.retain(|reader| readable.names(*reader));
        // Nor who reacted: such a guardian sees the child's own reactions only.
        crate::wire::named_for(&mut message.reactions, |user| readable.names(user));
        message.reply_to = message.reply_to.take().map(|quote| {
            let by = quote.sender_id;
            quote.for_reader(|p| readable.shows(p, by))
        });
    }
    Ok(Snapshot(position, History { messages, has_more, has_newer }))
}

/// A history row (selected by [`HISTORY_SQL`] or [`MESSAGE_SQL`]) as a message.
pub(super) fn history_message(row: &Row) -> Result<HistoryMessage, tokio_postgres::Error> {
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
    let (hidden, purged) = (Hidden::from_row(row)?, Purged::from_row(row)?);
    let is_deleted: bool = row.try_get("is_deleted")?;
    // A message hidden, deleted or purged shows no reactions (hiding keeps them for unhiding).
    let reactions = if hidden.is_some() || purged.is_some() || is_deleted {
        Vec::new()
    } else {
        Reacted::list_from_row(row, "reactions")?.into_iter().map(Reacted::shown).collect()
    };
    // Nor mentions once deleted or purged (a hidden one's: to admins only, `for_viewer`).
    let mentions = if purged.is_some() || is_deleted { Vec::new() } else { Mention::list_from_row(row, "mentions")? };
    Ok(HistoryMessage {
        id,
        sender_id,
        content: row.try_get("content")?,
        is_deleted,
        created_at: row.try_get("created_at")?,
        is_edited: edited_at.is_some(),
        edited_at,
        reply_to: ReplyPreview::from_row(row)?,
        kind: MessageType::of(&attachments),
        attachments,
        read_by,
        hidden,
        purged,
        reactions,
        mentions,
    })
}

/// Message `id` as it is now, with its chat.
pub(super) async fn load_message(client: &impl GenericClient, id: i64) -> Result<Option<SentMessage>> {
    let Some(row) = client.query_opt(MESSAGE_SQL, &[&id]).await? else {
        return Ok(None);
    };
    // Its author asks (admins write nothing): a participant's view.
    Ok(Some(SentMessage { chat_id: row.try_get("chat_id")?, message: history_message(&row)?.for_viewer(false) }))
}

/// A page of a chat's messages for clients that page by offset (the dialects): `limit` of them
/// after skipping the `offset` newest, oldest first, as `history` gives them to `user` (the same
/// access rule: an outsider 403, an admin every chat; deleted messages absent). The core pages
/// by id from the newest, so older pages are read until the offset and the page are in (a far
/// offset costs a read of the caller's allowance per 100 messages, as paging would).
pub async fn from_newest(
    state: &AppState,
    user: &AuthUser,
    chat_id: i64,
    limit: i64,
    offset: i64,
) -> Result<Vec<HistoryMessage>> {
    const MOST: i64 = 100;
    let (want, mut newest_first, mut before) = (offset.saturating_add(limit), Vec::new(), None);
    loop {
        let asked = (want - newest_first.len() as i64).min(MOST);
        let query = HistoryQuery { limit: Some(asked), before_id: before, after_id: None, around: None };
        let page = history(State(state.clone()), user.clone(), PathParam(chat_id), QueryParams(query), MinPosition(0));
        let super::Snapshot(_, page) = page.await?;
        before = page.messages.first().map(|m| m.id);
        newest_first.extend(page.messages.into_iter().rev());
        if !page.has_more || newest_first.len() as i64 >= want {
            break;
        }
    }
    let mut page: Vec<HistoryMessage> = newest_first.into_iter().skip(offset as usize).take(limit as usize).collect();
    page.reverse();
    Ok(page)
}
