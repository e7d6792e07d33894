//! A chat list's page: its cursor (`head.active.id`, stable across pages as of the first
//! page's log head) and the request's parameters, validated, as the list statements take them.

use super::{DEFAULT_PAGE, ListQuery, MAX_PAGE};
use crate::wire::ChatKind;
use crate::{AppError, Result};

/// Where a page ends: the first page's log head (later pages rank chats by their activity as of
/// it), and the last chat's activity position and id. Sent as `head.active.id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Cursor {
    pub(super) head: i64,
    pub(super) active: i64,
    pub(super) id: i64,
}

impl Cursor {
    /// Before every chat, at any head.
    const START: Cursor = Cursor { head: i64::MAX, active: i64::MAX, id: i64::MAX };

    /// 400 for what is not a cursor's shape (`head.active.id`), 422 for one of that shape that
    /// this API did not give out.
    fn parse(text: &str) -> Result<Self> {
        let shaped = text.split('.').count() == 3
            && text.split('.').all(|p| !p.is_empty() && p.len() <= 18 && p.bytes().all(|b| b.is_ascii_digit()));
        if !shaped {
            return Err(AppError::BadRequest(format!("cursor {text:?} is not a next_cursor (head.active.id)")));
        }
        let bad = || AppError::Unprocessable(format!("cursor {text:?} is not a next_cursor this API gave out"));
        let mut parts = text.split('.').map(|p| p.parse::<i64>().map_err(|_| bad()));
        let (Some(head), Some(active), Some(id), None) = (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        let cursor = Cursor { head: head?, active: active?, id: id? };
        if cursor.head < 0 || cursor.active < 0 || cursor.active > cursor.head || cursor.id < 0 {
            return Err(bad());
        }
        Ok(cursor)
    }
}

impl std::fmt::Display for Cursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.head, self.active, self.id)
    }
}

/// A page request, validated: its parameters as the list statements take them.
pub(super) struct Page {
    pub(super) cursor: Cursor,
    /// None: every chat (no `limit` and no `cursor`).
    pub(super) limit: Option<i64>,
    pub(super) kind: Option<ChatKind>,
    /// A `LIKE` pattern of the lower-cased search text, or NULL.
    pub(super) pattern: Option<String>,
    pub(super) archived: bool,
}

impl Page {
    pub(super) fn from_query(query: ListQuery) -> Result<Self> {
        if let Some(limit) = query.limit
            && !(1..=MAX_PAGE).contains(&limit)
        {
            return Err(AppError::BadRequest(format!("limit must be between 1 and {MAX_PAGE} (got {limit})")));
        }
        let limit = match (&query.cursor, query.limit) {
            (None, None) => None,
            (_, limit) => Some(limit.unwrap_or(DEFAULT_PAGE)),
        };
        let cursor = query.cursor.as_deref().map(Cursor::parse).transpose()?.unwrap_or(Cursor::START);
        let pattern = match query.q.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(q) if q.contains('\0') => {
                return Err(AppError::BadRequest("q must not contain the NUL character (U+0000)".into()));
            }
            Some(q) if q.chars().count() > 100 => {
                return Err(AppError::BadRequest("q is longer than 100 characters".into()));
            }
            Some(q) => {
                let escaped = q.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
                Some(format!("%{escaped}%"))
            }
        };
        Ok(Self { cursor, limit, kind: query.kind, pattern, archived: query.archived.unwrap_or(false) })
    }

    /// The position a read of this page must include: the caller's, and for a later page the
    /// head its first page was read at (ranked as of that head, it must be read on a snapshot
    /// that has it, or chats would repeat or go missing across pages; see `crate::standby`).
    pub(super) fn min_position(&self, caller: i64) -> i64 {
        if self.cursor == Cursor::START { caller } else { caller.max(self.cursor.head) }
    }

    /// The next page's cursor, if this one is full (`rows` holds one row more than the page).
    pub(super) fn next(&self, head: i64, rows: &mut Vec<tokio_postgres::Row>) -> Option<String> {
        let limit = self.limit?;
        if rows.len() as i64 <= limit {
            return None;
        }
        rows.truncate(limit as usize);
        let last = rows.last()?;
        // The first page's head, and at least the activity of each chat it ranked: a first page
        // ranks chats by the activity its snapshot sees, which may be past the log head (the end
        // of the settled prefix) while an append below it is still settling.
        let ranked = rows.first().map_or(0, |r| r.get::<_, i64>("active"));
        let head = head.min(self.cursor.head).max(ranked);
        Some(Cursor { head, active: last.get("active"), id: last.get("id") }.to_string())
    }
}
