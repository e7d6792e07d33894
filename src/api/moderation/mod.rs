//! Moderation: participants report messages; admins read the reports, hide and unhide
//! messages, and suspend, unsuspend and erase people (`people.rs`). Every one of these is an
//! event of the log (its rules are the log's, `events_before_insert`), so the audit shows who
//! did what, when and why, and every replica's streams learn of it in order.
//!
//! Admins still never write messages: hiding changes what participants are shown, not what
//! anyone said.

pub(crate) mod flags;
pub(crate) mod people;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use crate::access::Writer;
use crate::access::{Admin, check_access, no_message};
use crate::auth::AuthUser;
use crate::error::ErrorBody;
use crate::extract::{JsonBody, PathParam, QueryParams};
use crate::limits::Limited;
use crate::log::NewEvent;
use crate::wire::ReportView;
use crate::{AppError, AppState, Result};

pub use people::{AdminUser, AdminUsers, EraseRequest, Erasure, ErasureStarted, SuspendRequest};

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(crate::access::for_guests(Router::new().route("/api/messages/{id}/report", post(report))))
        .route("/api/admin/reports", get(reports))
        .route("/api/admin/messages/{id}/hide", post(hide))
        .route("/api/admin/messages/{id}/unhide", post(unhide))
        .merge(people::router())
        .merge(flags::router())
}

/// Longest reason, in characters, for a report, a hide, a suspension or an erasure.
pub const MAX_REASON_CHARS: usize = 500;

/// Why: 1–500 characters, not only whitespace.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct Reason {
    #[schema(min_length = 1, max_length = 500)]
    pub reason: String,
}

/// A reason as the log accepts it, or 400 naming the field.
pub(crate) fn checked_reason(reason: &str) -> Result<String> {
    if reason.contains('\0') {
        return Err(AppError::BadRequest("reason must not contain the NUL character (U+0000)".into()));
    }
    let chars = reason.chars().count();
    if chars == 0 || chars > MAX_REASON_CHARS || super::text::is_blank(reason) {
        return Err(AppError::BadRequest(format!(
            "reason must be 1 to {MAX_REASON_CHARS} characters, not only whitespace or invisible characters (got {chars})"
        )));
    }
    Ok(reason.to_owned())
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Reported {
    /// The report's id (its event's position in the log).
    pub id: i64,
    pub message_id: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: time::OffsetDateTime,
}

/// Reports someone else's message of a chat the caller takes part in to the moderators, once
/// (a guardian: of a chat they read, their child's or their own).
#[utoipa::path(post, path = "/api/messages/{id}/report", tag = "moderation", params(("id" = i64, Path)),
    request_body = Reason,
    responses((status = 201, body = Reported), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody, description = "no such message, or not the caller's to see (one answer for both)"),
              (status = 409, body = ErrorBody, description = "reported before by the caller (`already_reported`), or no longer shown"),
              (status = 422, body = ErrorBody, description = "the caller's own message"),
              (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = user.id, message_id = id))]
pub async fn report(
    State(state): State<AppState>,
    user: AuthUser,
    PathParam(id): PathParam<i64>,
    JsonBody(body): JsonBody<Reason>,
) -> Result<(StatusCode, Json<Reported>)> {
    let Writer(user) = Writer::admit_reporter(&state, user)?;
    let reason = checked_reason(&body.reason)?;
    let row = state
        .db
        .get()
        .await?
        .query_opt("SELECT chat_id, sender_id, position FROM messages WHERE id = $1", &[&id])
        .await?
        .ok_or_else(|| no_message(id))?;
    let chat_id: i64 = row.get("chat_id");
    let access = check_access(&state, chat_id, &user).await.map_err(|_| no_message(id))?;
    if row.get::<_, i64>("position") < access.visible_from {
        return Err(no_message(id));
    }
    if row.get::<_, i64>("sender_id") == user.id {
        return Err(AppError::Unprocessable("one cannot report one's own message".into()));
    }
    let event = NewEvent::MessageReported { chat_id, reporter_id: user.id, message_id: id, reason };
    let stored = state.appender.append(event).await?.ok_or_else(|| anyhow::anyhow!("a report appended nothing"))?;
    Ok((StatusCode::CREATED, Json(Reported { id: stored.position, message_id: id, created_at: stored.created_at })))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReportsQuery {
    /// `open` (the default): not resolved yet; `all`.
    #[param(nullable = false)]
    pub state: Option<ReportState>,
    /// The `next_cursor` of the previous page.
    #[param(nullable = false, pattern = "^[1-9][0-9]{0,17}$")]
    pub before: Option<String>,
    /// 1–100, default 50.
    #[param(minimum = 1, maximum = 100, nullable = false)]
    pub limit: Option<i64>,
    /// `flag`: only the system's flags (what a moderator looks at first); `report`: only
    /// people's reports; absent: both.
    #[param(nullable = false)]
    pub kind: Option<ReportKind>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ReportState {
    Open,
    All,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ReportKind {
    Flag,
    Report,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReportList {
    /// Newest first.
    pub reports: Vec<ReportView>,
    /// Pass as `before` for the next page; null on the last.
    pub next_cursor: Option<String>,
}

/// Reports, newest first, with the message (as admins see it), its chat and who reported it;
/// the system's flags are reports without a reporter, with their `flag` (`kind=flag` lists
/// only them).
#[utoipa::path(get, path = "/api/admin/reports", tag = "moderation", params(ReportsQuery),
    responses((status = 200, body = ReportList), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody),
              (status = 422, body = ErrorBody, description = "a cursor this API did not give out"),
              (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = user.id))]
pub async fn reports(
    State(state): State<AppState>,
    Admin(user): Admin,
    QueryParams(query): QueryParams<ReportsQuery>,
) -> Result<Json<ReportList>> {
    state.limits.check(Limited::Read, user.id)?;
    let (before, limit) = crate::api::paging::page(query.before.as_deref(), query.limit, 50, 100)?;
    let open_only = query.state.unwrap_or(ReportState::Open) == ReportState::Open;
    let kind = query.kind.map(|k| if k == ReportKind::Flag { "flag" } else { "report" });
    let rows = state.db.get().await?.query(REPORTS_SQL, &[&before, &open_only, &(limit + 1), &kind]).await?;
    let mut reports = rows.iter().map(ReportView::from_row).collect::<Result<Vec<_>, _>>()?;
    let next_cursor = crate::api::paging::next_cursor(&mut reports, limit, |r| r.id);
    Ok(Json(ReportList { reports, next_cursor }))
}

/// A page of reports before report $1 ($2: open ones only; $3 at most; $4: `flag`s or
/// `report`s only), newest first.
const REPORTS_SQL: &str = "SELECT * FROM report_views
    WHERE id < $1 AND (NOT $2 OR resolved_at IS NULL)
      AND ($4::text IS NULL OR (flag IS NOT NULL) = ($4 = 'flag')) ORDER BY id DESC LIMIT $3";

/// Hides a message from its chat's participants (they see "hidden by a moderator", live and
/// on resume; its files are no longer served to them); admins and the audit still see it,
/// with who hid it and why. Resolves the message's open reports. Hiding again is a no-op.
#[utoipa::path(post, path = "/api/admin/messages/{id}/hide", tag = "moderation", params(("id" = i64, Path)),
    request_body = Reason,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody, description = "no such message, or not the caller's to see (one answer for both)"),
              (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = user.id, message_id = id))]
pub async fn hide(
    State(state): State<AppState>,
    Admin(user): Admin,
    PathParam(id): PathParam<i64>,
    JsonBody(body): JsonBody<Reason>,
) -> Result<StatusCode> {
    let reason = checked_reason(&body.reason)?;
    let chat_id = chat_of(&state, id).await?;
    state.appender.append(NewEvent::MessageHidden { chat_id, admin_id: user.id, message_id: id, reason }).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Shows a hidden message to its chat's participants again. Unhiding one that is not hidden
/// is a no-op.
#[utoipa::path(post, path = "/api/admin/messages/{id}/unhide", tag = "moderation", params(("id" = i64, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody, description = "no such message, or not the caller's to see (one answer for both)"), (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = user.id, message_id = id))]
pub async fn unhide(
    State(state): State<AppState>,
    Admin(user): Admin,
    PathParam(id): PathParam<i64>,
) -> Result<StatusCode> {
    let chat_id = chat_of(&state, id).await?;
    state.appender.append(NewEvent::MessageUnhidden { chat_id, admin_id: user.id, message_id: id }).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The chat of message `id` (403 if there is none, as for any message the caller may not see).
async fn chat_of(state: &AppState, id: i64) -> Result<i64> {
    let client = state.db.get().await?;
    let row = client.query_opt("SELECT chat_id FROM messages WHERE id = $1", &[&id]).await?;
    row.map(|r| r.get(0)).ok_or_else(|| no_message(id))
}
