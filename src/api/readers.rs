//! Who read a chat they take no part in (`access::record_read`, the table `access_records`):
//! the admins' report of every such read, and a person's own question, "which adults read my
//! chats?" (`GET /api/me/readers`).

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::access::{Admin, Participant};
use crate::error::ErrorBody;
use crate::extract::QueryParams;
use crate::limits::Limited;
use crate::wire::Person;
use crate::{AppState, Result};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/admin/access-records", get(access_records)).route("/api/me/readers", get(readers))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AccessQuery {
    /// Only this chat's.
    #[param(nullable = false)]
    pub chat_id: Option<i64>,
    /// Only this reader's.
    #[param(nullable = false)]
    pub reader_id: Option<i64>,
    /// The `next_cursor` of the previous page.
    #[param(nullable = false, pattern = "^[1-9][0-9]{0,17}$")]
    pub before: Option<String>,
    /// 1–200, default 50.
    #[param(minimum = 1, maximum = 200, nullable = false)]
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AccessRecord {
    pub id: i64,
    pub chat_id: i64,
    pub reader: Person,
    /// `history`, `export`, `search` or `stream` (a guardian's event stream, as it opened).
    pub via: String,
    #[serde(with = "time::serde::rfc3339")]
    pub read_at: OffsetDateTime,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AccessRecords {
    /// Newest first.
    pub records: Vec<AccessRecord>,
    /// Pass as `before` for the next page; null on the last.
    pub next_cursor: Option<String>,
}

/// Every read of a chat by someone who takes no part in it, newest first: who, which chat,
/// through which endpoint, when. Kept as long as the messages (`RETENTION_DAYS`).
#[utoipa::path(get, path = "/api/admin/access-records", tag = "moderation", params(AccessQuery),
    responses((status = 200, body = AccessRecords), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody),
              (status = 422, body = ErrorBody, description = "a cursor this API did not give out"),
              (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = user.id))]
pub async fn access_records(
    State(state): State<AppState>,
    Admin(user): Admin,
    QueryParams(query): QueryParams<AccessQuery>,
) -> Result<Json<AccessRecords>> {
    state.limits.check(Limited::Read, user.id)?;
    let (before, limit) = super::paging::page(query.before.as_deref(), query.limit, 50, 200)?;
    let params: [&(dyn tokio_postgres::types::ToSql + Sync); 4] =
        [&before, &query.chat_id, &query.reader_id, &(limit + 1)];
    let rows = state.db.get().await?.query(ACCESS_RECORDS_SQL, &params).await?;
    let mut records = rows
        .iter()
        .map(|row| {
            Ok(AccessRecord {
                id: row.try_get("id")?,
                chat_id: row.try_get("chat_id")?,
                reader: reader(row)?,
                via: row.try_get("via")?,
                read_at: row.try_get("read_at")?,
            })
        })
        .collect::<Result<Vec<_>, tokio_postgres::Error>>()?;
    let next_cursor = super::paging::next_cursor(&mut records, limit, |r| r.id);
    Ok(Json(AccessRecords { records, next_cursor }))
}

/// The reader of a row of [`ACCESS_RECORDS_SQL`] or [`READERS_SQL`].
fn reader(row: &tokio_postgres::Row) -> Result<Person, tokio_postgres::Error> {
    Ok(Person { id: row.try_get("reader_id")?, name: row.try_get("reader_name")?, role: row.try_get("reader_role")? })
}

/// A page of access records before $1, of chat $2 and reader $3 when given, $4 at most.
const ACCESS_RECORDS_SQL: &str = "SELECT a.id, a.chat_id, a.reader_id, r.name AS reader_name, r.role AS reader_role,
        a.via, a.read_at
    FROM access_records a JOIN users r ON r.id = a.reader_id
    WHERE a.id < $1 AND ($2::bigint IS NULL OR a.chat_id = $2) AND ($3::bigint IS NULL OR a.reader_id = $3)
    ORDER BY a.id DESC LIMIT $4";

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Reader {
    pub reader: Person,
    pub chat_id: i64,
    /// `history`, `export`, `search` or `stream` (a guardian's event stream, as it opened).
    pub via: String,
    /// How many times.
    pub reads: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub last_read_at: OffsetDateTime,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Readers {
    /// The most recent first.
    pub readers: Vec<Reader>,
}

/// Which adults who take no part in the caller's chats read them (admins, for moderation or an
/// export), through what, how often, when last: the records the school keeps (as long as the
/// messages), for each chat the caller takes part in now.
#[utoipa::path(get, path = "/api/me/readers", tag = "session",
    responses((status = 200, body = Readers), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody, description = "an admin (who takes part in no chat)"),
              (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = user.id))]
pub async fn readers(State(state): State<AppState>, Participant(user): Participant) -> Result<Json<Readers>> {
    state.limits.check(Limited::Read, user.id)?;
    let rows = state.db.get().await?.query(READERS_SQL, &[&user.id]).await?;
    let readers = rows
        .iter()
        .map(|row| {
            Ok(Reader {
                reader: reader(row)?,
                chat_id: row.try_get("chat_id")?,
                via: row.try_get("via")?,
                reads: row.try_get("reads")?,
                last_read_at: row.try_get("last_read_at")?,
            })
        })
        .collect::<Result<Vec<_>, tokio_postgres::Error>>()?;
    Ok(Json(Readers { readers }))
}

/// The access records of the chats person $1 takes part in, by reader, chat and endpoint.
const READERS_SQL: &str = "SELECT a.reader_id, r.name AS reader_name, r.role AS reader_role, a.chat_id, a.via,
        count(*) AS reads, max(a.read_at) AS last_read_at
    FROM chat_participants p
    JOIN access_records a ON a.chat_id = p.chat_id
    JOIN users r ON r.id = a.reader_id
    WHERE p.user_id = $1
    GROUP BY a.reader_id, r.name, r.role, a.chat_id, a.via
    ORDER BY last_read_at DESC, a.chat_id, a.via
    LIMIT 500";
