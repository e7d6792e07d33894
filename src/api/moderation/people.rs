//! People, as moderators see them: the list, suspension and erasure. A suspended person reads
//! and writes nothing (the log refuses their events, this server their other writes) and their
//! open streams end; an erased person's messages, files, name and email are purged
//! (`crate::governance::erasure`) and they can no longer sign in.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{Reason, checked_reason};
use crate::access::Admin;
use crate::auth::Role;
use crate::auth::users::Suspension;
use crate::error::ErrorBody;
use crate::extract::{JsonBody, PathParam, QueryParams};
use crate::limits::Limited;
use crate::log::NewEvent;
use crate::{AppError, AppState, Result};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/admin/users", get(list))
        .route("/api/admin/users/{id}/suspend", post(suspend))
        .route("/api/admin/users/{id}/unsuspend", post(unsuspend))
        .route("/api/admin/users/{id}/erase", post(erase))
}

/// A person as moderators see them.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AdminUser {
    pub id: i64,
    pub name: String,
    pub role: Role,
    /// Null for a guest (they have none) and once erased.
    pub email: Option<String>,
    pub suspended: Option<Suspension>,
    pub erasure: Option<Erasure>,
    /// When they were deactivated (they left the school: `POST /api/admin/users/{id}/deactivate`
    /// or the school's directory); null: active.
    #[serde(with = "time::serde::rfc3339::option")]
    pub deactivated_at: Option<OffsetDateTime>,
}

/// An erasure asked for, and when it completed (null: under way).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Erasure {
    #[serde(with = "time::serde::rfc3339")]
    pub requested_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub completed_at: Option<OffsetDateTime>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AdminUsers {
    /// By name.
    pub users: Vec<AdminUser>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UsersQuery {
    /// Part of a name or an email, any case.
    #[param(nullable = false, pattern = "^[^\\u0000]*$")]
    pub q: Option<String>,
    /// 1–200, default 50.
    #[param(minimum = 1, maximum = 200, nullable = false)]
    pub limit: Option<i64>,
}

/// People (students, teachers, guardians, guests and admins) whose name or email contains `q`, by name.
#[utoipa::path(get, path = "/api/admin/users", tag = "moderation", operation_id = "list_users", params(UsersQuery),
    responses((status = 200, body = AdminUsers), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = user.id))]
pub async fn list(
    State(state): State<AppState>,
    Admin(user): Admin,
    QueryParams(query): QueryParams<UsersQuery>,
) -> Result<Json<AdminUsers>> {
    state.limits.check(Limited::Read, user.id)?;
    let limit = query.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(AppError::BadRequest(format!("limit must be between 1 and 200 (got {limit})")));
    }
    if let Some(q) = &query.q {
        crate::api::text::check_no_nul("q", q)?;
    }
    let pattern = query.q.filter(|q| !q.trim().is_empty()).map(|q| {
        let escaped = q.trim().to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
        format!("%{escaped}%")
    });
    let rows = state
        .db
        .get()
        .await?
        .query(
            "SELECT u.id, u.name, u.role, u.email, u.erasure_requested_at, u.erased_at,
                    u.suspended_until, u.suspended_forever, u.suspension_reason, d.deactivated_at
             FROM accounts u JOIN users d ON d.id = u.id
             WHERE $1::text IS NULL OR lower(u.name) LIKE $1 OR lower(u.email) LIKE $1
             ORDER BY u.name, u.id LIMIT $2",
            &[&pattern, &limit],
        )
        .await?;
    let users = rows
        .iter()
        .map(|r| {
            let role: Role = r.try_get("role")?;
            let erased_at: Option<OffsetDateTime> = r.try_get("erased_at")?;
            let requested_at: Option<OffsetDateTime> = r.try_get("erasure_requested_at")?;
            Ok(AdminUser {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                role,
                email: Some(r.try_get::<_, String>("email")?).filter(|_| role != Role::Guest && erased_at.is_none()),
                suspended: Suspension::from_row(r)?,
                erasure: requested_at.map(|requested_at| Erasure { requested_at, completed_at: erased_at }),
                deactivated_at: r.try_get("deactivated_at")?,
            })
        })
        .collect::<Result<Vec<_>, tokio_postgres::Error>>()?;
    Ok(Json(AdminUsers { users }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct SuspendRequest {
    /// Why (shown to the person): 1–500 characters.
    #[schema(min_length = 1, max_length = 500)]
    pub reason: String,
    /// When it ends (RFC 3339, in the future); absent or null: until unsuspended. A string
    /// that is no such time: 422.
    #[serde(default)]
    #[schema(format = DateTime)]
    pub until: Option<String>,
}

/// Suspends a person (not an admin): their writes are refused (403 `account_suspended`), their
/// open streams end, they may still read. Suspending again replaces the reason and the end.
#[utoipa::path(post, path = "/api/admin/users/{id}/suspend", tag = "moderation", params(("id" = i64, Path)),
    request_body = SuspendRequest,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody, description = "the person is erased"),
              (status = 422, body = ErrorBody, description = "an admin, or an end not in the future"),
              (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = user.id, target = id))]
pub async fn suspend(
    State(state): State<AppState>,
    Admin(user): Admin,
    PathParam(id): PathParam<i64>,
    JsonBody(body): JsonBody<SuspendRequest>,
) -> Result<StatusCode> {
    let reason = checked_reason(&body.reason)?;
    let until = body.until.as_deref().map(rfc3339).transpose()?;
    if until.is_some_and(|until| until <= OffsetDateTime::now_utc()) {
        return Err(AppError::Unprocessable("until must be in the future (or absent: until unsuspended)".into()));
    }
    person(&state, id).await?;
    let event = NewEvent::UserSuspended { admin_id: user.id, user_id: id, reason, until };
    state.appender.append(event).await.map_err(unprocessable_rule)?;
    Ok(StatusCode::NO_CONTENT)
}

/// Lifts a person's suspension; a no-op for one not suspended.
#[utoipa::path(post, path = "/api/admin/users/{id}/unsuspend", tag = "moderation", params(("id" = i64, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = user.id, target = id))]
pub async fn unsuspend(
    State(state): State<AppState>,
    Admin(user): Admin,
    PathParam(id): PathParam<i64>,
) -> Result<StatusCode> {
    person(&state, id).await?;
    state
        .appender
        .append(NewEvent::UserUnsuspended { admin_id: user.id, user_id: id })
        .await
        .map_err(unprocessable_rule)?;
    Ok(StatusCode::NO_CONTENT)
}

/// Why a person's data is erased (kept in the log: the audit shows it).
pub type EraseRequest = Reason;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErasureStarted {
    pub user_id: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub requested_at: OffsetDateTime,
}

/// Erases a person's personal data (not an admin's): every message they wrote and every edit
/// of it, their files, their name and email. From this moment they cannot sign in or write;
/// the purge runs in the background, in batches, on one replica at a time, and resumes after
/// a restart (`user_erased` in the log when complete; `GET /api/admin/users` shows it). It is
/// also recorded in the erasure ledger, outside the database, so that a restore of the database
/// to an earlier moment does not undo it. Asking again answers the same.
#[utoipa::path(post, path = "/api/admin/users/{id}/erase", tag = "moderation", params(("id" = i64, Path)),
    request_body = EraseRequest,
    responses((status = 202, body = ErasureStarted), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 422, body = ErrorBody, description = "an admin"), (status = 429, body = ErrorBody),
              (status = 503, body = ErrorBody, description = "the erasure ledger (the attachments' storage) cannot record it: ask again")))]
#[tracing::instrument(skip_all, fields(user_id = user.id, target = id))]
pub async fn erase(
    State(state): State<AppState>,
    Admin(user): Admin,
    PathParam(id): PathParam<i64>,
    JsonBody(body): JsonBody<EraseRequest>,
) -> Result<(StatusCode, Json<ErasureStarted>)> {
    state.limits.check(Limited::write_by(user.role), user.id)?;
    let reason = checked_reason(&body.reason)?;
    person(&state, id).await?;
    let event = NewEvent::UserErasureRequested { admin_id: user.id, user_id: id, reason };
    let requested_at = match state.appender.append(event).await.map_err(unprocessable_rule)? {
        Some(stored) => stored.created_at,
        // Asked before: the first request's time.
        None => {
            let client = state.db.get().await?;
            client.query_one("SELECT erasure_requested_at FROM users WHERE id = $1", &[&id]).await?.get(0)
        }
    };
    // Recorded outside the database too, so that a restore to before now does not undo it
    // (asked again, it is written again: a failed write is mended by asking again).
    let client = state.db.get().await?;
    crate::governance::ledger::record(&**client, &state.storage, id).await.map_err(|e| {
        AppError::Unavailable(
            e.context("the erasure is asked for, but the erasure ledger (the storage) cannot record it: ask again"),
        )
    })?;
    crate::governance::erase_soon(&state);
    Ok((StatusCode::ACCEPTED, Json(ErasureStarted { user_id: id, requested_at })))
}

/// An RFC 3339 time, or 422 (the document says `date-time`, which JSON Schema only annotates).
pub(crate) fn rfc3339(text: &str) -> Result<OffsetDateTime> {
    OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .map_err(|_| AppError::Unprocessable(format!("{text:?} is not an RFC 3339 time, like 2026-11-23T18:00:00Z")))
}

/// 404 unless person `id` exists.
async fn person(state: &AppState, id: i64) -> Result<()> {
    let client = state.db.get().await?;
    match client.query_opt("SELECT 1 FROM users WHERE id = $1", &[&id]).await? {
        Some(_) => Ok(()),
        None => Err(AppError::NotFound(format!("user {id} does not exist"))),
    }
}

/// The log's rules about people (an admin, an end in the past) are 422 here: the request is
/// well-formed, the person does not fit.
fn unprocessable_rule(e: crate::log::AppendError) -> AppError {
    match e {
        crate::log::AppendError::Refused(message, crate::log::Refusal::InvalidContent) => {
            AppError::Unprocessable(message)
        }
        other => other.into(),
    }
}
