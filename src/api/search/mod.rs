//! Message search: `GET /api/search`. The words are PostgreSQL's (`sql/functions/search_query.sql`:
//! a generated `tsvector` of the `russian` configuration, which stems Russian and English, and
//! a GIN index of searchable messages by chat); the entitlement is the stream's: a participant
//! finds what was posted in their chats while they were members (`chat_memberships`, by log
//! position, exactly as a resumed stream replays it), an admin everything. A short query
//! that finds nothing is tried again by trigram similarity, for typos. docs/search.md has the
//! whole design.

use std::collections::HashMap;

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use serde::{Deserialize, Serialize};
use tokio_postgres::Row;

mod cursor;
mod sql;

use cursor::Cursor;
pub use sql::STATEMENTS;
use sql::{FUZZY_SQL, RECENT_SQL, RELEVANCE_SQL};

use super::history::history_message;
use crate::access::{Readable, check_access, check_read_access, read_access_in};
use crate::auth::AuthUser;
use crate::error::ErrorBody;
use crate::extract::{MinPosition, QueryParams};
use crate::limits::Limited;
use crate::standby::{ReadClient, reading};
use crate::wire::HistoryMessage;
use crate::{AppError, AppState, Result};

pub fn router() -> Router<AppState> {
    crate::access::for_guests(Router::new().route("/api/search", get(search)))
}

/// The longest query, in characters.
const MAX_QUERY_CHARS: usize = 200;

/// How similar a word of a message must be to a typo query (pg_trgm's `word_similarity`).
const FUZZY_THRESHOLD: f32 = 0.4;

/// Where a match starts and ends in the text `ts_headline` and the typo search return
/// (private-use characters, removed from the text beforehand). `ts_headline` would also drop
/// whatever looks like an HTML tag, so `<` and `>` pass through it as two more private-use
/// characters and come back after: the snippet is the text as written (all of it, up to 300
/// characters; around the matches, longer ones).
const MARK_START: char = '\u{E000}';
const MARK_END: char = '\u{E001}';

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    /// The words: 1–200 characters. Russian and English word forms match (`учебниками`
    /// finds `учебник`), any case, `ё` as `е`; when the whole words find nothing, each word of
    /// three letters or more (in a query of at most four words) also matches as the start of a
    /// longer one; `"quoted words"` must appear together, `-word` must not appear, `or`
    /// between words finds either.
    #[param(min_length = 1, max_length = 200, nullable = false)]
    pub q: String,
    /// Only this chat's messages.
    #[param(nullable = false)]
    pub chat_id: Option<i64>,
    /// The previous page's `next_cursor`, for the same words, order and chat, within the hour
    /// (anything else: 422). Sealed by the server: the pattern is its shape only.
    #[param(nullable = false, pattern = r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")]
    pub before: Option<String>,
    /// 1–50, default 20.
    #[param(minimum = 1, maximum = 50, nullable = false)]
    pub limit: Option<i64>,
    /// `relevance` (the default: the newest 1,000 matches, best first, newer first among
    /// equals) or `recent` (every match, newest first).
    #[param(nullable = false)]
    pub order: Option<SearchOrder>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SearchOrder {
    #[default]
    Relevance,
    Recent,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SearchResults {
    /// Best first (or newest first, for `order=recent`).
    pub results: Vec<SearchResult>,
    /// Pass it as `before` for the next page; null when there is none.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SearchResult {
    pub chat_id: i64,
    /// As the chat's history shows it.
    pub message: HistoryMessage,
    /// The text around the matches, as segments: those with `highlight` are the matched
    /// words. Plain text: render it as text, never as HTML.
    pub snippet: Vec<SnippetPart>,
}

#[derive(Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SnippetPart {
    pub text: String,
    pub highlight: bool,
}

/// Messages the caller may read that match `q`, best first (or newest first), with where the
/// words matched.
#[utoipa::path(get, path = "/api/search", tag = "messages", params(SearchQuery),
    responses((status = 200, body = SearchResults), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody, description = "chat_id names a chat the caller may not read, or does not exist"),
              (status = 422, body = ErrorBody, description = "before is not a cursor this search gave out, or the search outlasted SEARCH_TIMEOUT_MS"),
              (status = 429, body = ErrorBody, description = "too many reads, or the caller's searches and exports already running (RATE_COSTLY_READS_AT_ONCE)")))]
#[tracing::instrument(skip_all, fields(user_id = user.id))]
pub async fn search(
    State(state): State<AppState>,
    user: AuthUser,
    QueryParams(query): QueryParams<SearchQuery>,
    MinPosition(min): MinPosition,
) -> Result<Json<SearchResults>> {
    state.limits.check(Limited::Read, user.id)?;
    let chars = query.q.chars().count();
    if chars > MAX_QUERY_CHARS || query.q.contains('\0') || crate::api::text::is_blank(&query.q) {
        return Err(AppError::BadRequest(format!(
            "q must be 1 to {MAX_QUERY_CHARS} characters of text, not blank, without NUL (got {chars})"
        )));
    }
    let q = query.q.trim();
    let limit = query.limit.unwrap_or(20);
    if !(1..=50).contains(&limit) {
        return Err(AppError::BadRequest(format!("limit must be between 1 and 50 (got {limit})")));
    }
    let order = query.order.unwrap_or_default();
    let this = cursor::Search { user: user.id, q, order, chat_id: query.chat_id };
    let cursor = query.before.as_deref().map(|c| this.unseal(&state.keys, c)).transpose()?;
    let admin = crate::access::viewer(&user) == crate::access::Viewer::Admin;
    if let Some(chat_id) = query.chat_id {
        // 403 for a chat that does not exist or that the caller never read.
        if admin {
            check_access(&state, chat_id, &user).await.map(|_| ())?
        } else {
            check_read_access(&state, chat_id, &user).await.map(|_| ())?
        }
    }
    let searcher = (!admin).then_some(user.id);
    // One of the person's few costly reads at once, on the standby when there is one (fresh
    // enough for the caller's own writes, by `X-Min-Event-Position`).
    let _running = state.limits.costly(user.id)?;
    let groups = state.school.guardian_groups().own_messages();
    let words = Words { q, searcher, chat_id: query.chat_id, order, admin, groups, limit, cursor };
    let deadline = state.config.rate.search_timeout;
    let (mut rows, prefix, fuzzy) = reading!(state.reads, min, |client| find(client, &words, deadline).await)?;
    let next_cursor = if !fuzzy && rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last()
            .map(|row| {
                this.seal(&state.keys, Cursor { prefix, rank: row.get("rank"), id: row.get("id"), top: row.get("top") })
            })
            .transpose()?
    } else {
        None
    };
    let chats: Vec<i64> = rows.iter().map(|row| row.get("chat_id")).collect();
    crate::access::record_read(&state.db, &user, &chats, crate::access::Via::Search).await?;
    let readable = readable_by_chat(&state, &user, &rows).await?;
    let results = rows
        .iter()
        .map(|row| {
            let chat_id: i64 = row.try_get("chat_id")?;
            let mut message = history_message(row)?.for_viewer(admin);
            if let Some(readable) = readable.get(&chat_id) {
                message.reply_to = message.reply_to.take().map(|quote| {
                    let by = quote.sender_id;
                    quote.for_reader(|p| readable.shows(p, by))
                });
                crate::wire::named_for(&mut message.reactions, |user| readable.names(user));
            }
            Ok(SearchResult {
                chat_id,
                message,
                snippet: snippet(row.try_get::<_, Option<&str>>("snippet")?.unwrap_or("")),
            })
        })
        .collect::<Result<Vec<_>, tokio_postgres::Error>>()?;
    Ok(Json(SearchResults { results, next_cursor }))
}

/// What one search looks for (see [`search`]).
#[derive(Clone, Copy)]
struct Words<'q> {
    q: &'q str,
    searcher: Option<i64>,
    chat_id: Option<i64>,
    order: SearchOrder,
    admin: bool,
    /// Whether a guardian reads their children's groups (`GUARDIAN_GROUPS`).
    groups: bool,
    limit: i64,
    cursor: Option<Cursor>,
}

/// The matching rows (one more than a page when there are more), whether the words matched as
/// prefixes, and whether by similarity (a typo), read within `deadline` (`SEARCH_TIMEOUT_MS`).
async fn find(
    mut client: ReadClient,
    words: &Words<'_>,
    deadline: std::time::Duration,
) -> Result<(Vec<Row>, bool, bool)> {
    let Words { q, searcher, chat_id, order, admin, groups, limit, cursor } = *words;
    // The deadline holds for this transaction only: the pooled connection goes back without it.
    let client = client.transaction().await?;
    let deadline = deadline.as_millis().to_string();
    client.execute("SELECT set_config('statement_timeout', $1, true)", &[&deadline]).await?;
    let sql = match order {
        SearchOrder::Relevance => RELEVANCE_SQL[usize::from(admin)],
        SearchOrder::Recent => RECENT_SQL[usize::from(admin)],
    };
    // Planned for its arguments each time (a statement of its own, not one prepared per
    // connection): after five runs PostgreSQL may keep a generic plan of a prepared statement,
    // which knows neither how common the words are nor how many chats the searcher has (S8
    // measured a teacher's common word at 206 ms that way, 46 ms planned for it). Planning
    // costs about a millisecond.
    let statement = client.prepare(sql).await.map_err(too_long)?;
    let (id, rank, top) = (cursor.map(|c| c.id), cursor.map(|c| c.rank), cursor.and_then(|c| c.top));
    let run = |prefix: bool| {
        let (statement, client) = (&statement, &client);
        async move {
            let page = limit + 1;
            let mut params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> =
                vec![&q, &searcher, &chat_id, &prefix, &page, &id];
            if order == SearchOrder::Relevance {
                params.push(&rank);
                params.push(&top);
            }
            if !admin {
                params.push(&groups);
            }
            client.query(statement, &params).await
        }
    };
    // Whole words first; when they find nothing (a word half typed), every word as a prefix.
    // Not whenever they find less than a page: for a prefix the index gathers every message of
    // the school with a word it begins, again for each chat it looks up, so a teacher's prefix
    // of a word in 20,000 messages took 300 ms and more (S8 at 10 million messages).
    let mut prefix = cursor.is_some_and(|c| c.prefix);
    let mut rows = run(prefix).await.map_err(too_long)?;
    if !prefix && cursor.is_none() && rows.is_empty() {
        prefix = true;
        rows = run(prefix).await.map_err(too_long)?;
    }
    let mut fuzzy = false;
    if rows.is_empty() && cursor.is_none() && is_one_word(q) {
        let statement = client.prepare(FUZZY_SQL[usize::from(admin)]).await.map_err(too_long)?;
        let mut params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> =
            vec![&q, &searcher, &chat_id, &FUZZY_THRESHOLD, &limit];
        if !admin {
            params.push(&groups);
        }
        rows = client.query(&statement, &params).await.map_err(too_long)?;
        fuzzy = true;
    }
    client.commit().await?;
    Ok((rows, prefix, fuzzy))
}

/// A query a typo search may help: one word of 3 to 30 letters (no phrase, no operator).
fn is_one_word(q: &str) -> bool {
    (3..=30).contains(&q.chars().count()) && q.chars().all(char::is_alphanumeric)
}

/// The stretches of each result's chat the caller may read (for the quotes the results carry);
/// none for an admin, who reads everything.
async fn readable_by_chat(state: &AppState, user: &AuthUser, rows: &[Row]) -> Result<HashMap<i64, Readable>> {
    if crate::access::viewer(user) == crate::access::Viewer::Admin {
        return Ok(HashMap::new());
    }
    let chats: Vec<i64> = rows.iter().map(|row| row.get("chat_id")).collect();
    read_access_in(state, &chats, user).await
}

/// Splits a text marked with [`MARK_START`] and [`MARK_END`] into its parts.
fn snippet(marked: &str) -> Vec<SnippetPart> {
    let mut parts: Vec<SnippetPart> = Vec::new();
    let mut highlight = false;
    let mut text = String::new();
    let mut flush = |text: &mut String, highlight: bool| {
        if !text.is_empty() {
            parts.push(SnippetPart { text: std::mem::take(text), highlight });
        }
    };
    for c in marked.chars() {
        match c {
            MARK_START | MARK_END => {
                flush(&mut text, highlight);
                highlight = c == MARK_START;
            }
            c => text.push(c),
        }
    }
    flush(&mut text, highlight);
    parts
}

/// A search stopped at its deadline (`SEARCH_TIMEOUT_MS`): 422, saying how to narrow it.
fn too_long(e: tokio_postgres::Error) -> AppError {
    if e.code() == Some(&tokio_postgres::error::SqlState::QUERY_CANCELED) {
        return AppError::Unprocessable(
            "this search reads more than it may within SEARCH_TIMEOUT_MS: use longer or more words, or one chat (chat_id)"
                .into(),
        );
    }
    e.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_marked_text_becomes_plain_and_highlighted_parts() {
        let parts = snippet("Я принёс \u{E000}учебники\u{E001} и <b>\u{E000}книги\u{E001}");
        let texts: Vec<(&str, bool)> = parts.iter().map(|p| (p.text.as_str(), p.highlight)).collect();
        assert_eq!(texts, [("Я принёс ", false), ("учебники", true), (" и <b>", false), ("книги", true)]);
        assert!(snippet("").is_empty());
    }
}
