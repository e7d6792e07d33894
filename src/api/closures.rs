//! A guardian asks the school to close their child's chat with a teacher, and an admin decides.
//!
//! `POST /api/chats/{chat_id}/closure-requests` (a guardian linked now to the direct chat's
//! student) appends `closure_requested`; admins see it live and in
//! `GET /api/admin/closure-requests`, and either close the chat
//! (`POST /api/admin/closure-requests/{id}/close`: `chat_closed`, reason `guardian_request`,
//! read-only for both participants for good; a later lesson of the pair does not reopen it, as
//! the pair keeps its one chat) or decline (`…/decline`: `closure_declined`, with an optional
//! note). The guardian lists their own requests (`GET /api/closure-requests`) and gets each
//! outcome live. The chat's participants never see the request, only a closing: a guardian's
//! request is between the guardian and the school. Every step is an event of the log.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use crate::access::Admin;
use crate::auth::AuthUser;
use crate::error::ErrorBody;
use crate::extract::{JsonBody, PathParam};
use crate::limits::Limited;
use crate::log::NewEvent;
use crate::wire::{ClosureRequestView, ClosureRequests};
use crate::{AppError, AppState, Result};

/// Longest reason and note, in Unicode scalar values.
pub const MAX_REASON_CHARS: usize = 1000;

/// How many requests a list shows at most.
const LIST_LIMIT: i64 = 500;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/chats/{chat_id}/closure-requests", post(request_closure))
        .route("/api/closure-requests", get(my_requests))
        .route("/api/admin/closure-requests", get(all_requests))
        .route("/api/admin/closure-requests/{id}/close", post(close))
        .route("/api/admin/closure-requests/{id}/decline", post(decline))
}

/// Why the guardian asks: 1–1000 characters, not only whitespace.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ClosureReason {
    #[schema(min_length = 1, max_length = 1000)]
    pub reason: String,
}

/// A declining admin's note to the guardian (optional, at most 1000 characters).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct Decline {
    #[schema(max_length = 1000)]
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ClosureRequestList {
    pub requests: Vec<ClosureRequestView>,
}

fn checked(field: &str, text: &str, empty_allowed: bool) -> Result<()> {
    let chars = text.chars().count();
    let blank = super::text::is_blank(text);
    if text.contains('\0') || chars > MAX_REASON_CHARS || (!empty_allowed && (chars == 0 || blank)) {
        return Err(AppError::BadRequest(format!(
            "{field} must be {} to {MAX_REASON_CHARS} characters{}, without NUL (got {chars})",
            if empty_allowed { 0 } else { 1 },
            if empty_allowed { "" } else { ", not only whitespace or invisible characters" }
        )));
    }
    Ok(())
}

/// A guardian linked to the student of a direct chat asks the school to close it: 201 with the
/// request. Admins see it at once; the chat's participants never do. 403 for anyone else (the
/// participants, an admin, another child's guardian), as for a chat that does not exist; 409
/// `chat_closed` for a chat closed already.
#[utoipa::path(post, path = "/api/chats/{chat_id}/closure-requests", tag = "guardians",
    params(("chat_id" = i64, Path)), request_body = ClosureReason,
    responses((status = 201, body = ClosureRequestView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = user.id, chat_id))]
pub async fn request_closure(
    State(state): State<AppState>,
    user: AuthUser,
    PathParam(chat_id): PathParam<i64>,
    JsonBody(body): JsonBody<ClosureReason>,
) -> Result<(StatusCode, Json<ClosureRequestView>)> {
    crate::access::may_request_closure(&state, chat_id, &user).await?;
    checked("reason", &body.reason, false)?;
    state.limits.check(Limited::write_by(user.role), user.id)?;
    let event = NewEvent::ClosureRequested { chat_id, guardian_id: user.id, reason: body.reason };
    let stored = state.appender.append(event).await?;
    let id = stored.ok_or_else(|| AppError::Internal(anyhow::anyhow!("a closure request was not recorded")))?.position;
    let client = state.db.get().await?;
    let view = ClosureRequestView::load(&**client, ClosureRequests::Ids(&[id]), 1).await?.pop();
    let view = view.ok_or_else(|| AppError::Internal(anyhow::anyhow!("closure request {id} not found")))?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// The caller's own closure requests (a guardian's; nobody else has any), newest first, with
/// their outcomes.
#[utoipa::path(get, path = "/api/closure-requests", tag = "guardians",
    responses((status = 200, body = ClosureRequestList), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = user.id))]
pub async fn my_requests(State(state): State<AppState>, user: AuthUser) -> Result<Json<ClosureRequestList>> {
    state.limits.check(Limited::Read, user.id)?;
    let client = state.db.get().await?;
    let requests = ClosureRequestView::load(&**client, ClosureRequests::By(user.id), LIST_LIMIT).await?;
    Ok(Json(ClosureRequestList { requests }))
}

/// Every closure request (admins): the undecided first, then newest first.
#[utoipa::path(get, path = "/api/admin/closure-requests", tag = "moderation",
    responses((status = 200, body = ClosureRequestList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = user.id))]
pub async fn all_requests(State(state): State<AppState>, Admin(user): Admin) -> Result<Json<ClosureRequestList>> {
    state.limits.check(Limited::Read, user.id)?;
    let client = state.db.get().await?;
    let requests = ClosureRequestView::load(&**client, ClosureRequests::All, LIST_LIMIT).await?;
    Ok(Json(ClosureRequestList { requests }))
}

/// Grants a closure request: the chat is closed (`chat_closed`, reason `guardian_request`),
/// read-only for both participants from now on. 204; a decided request changes no more (204
/// too). 404 for no such request.
#[utoipa::path(post, path = "/api/admin/closure-requests/{id}/close", tag = "moderation", params(("id" = i64, Path)),
    responses((status = 204), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = user.id, request = id))]
pub async fn close(
    State(state): State<AppState>,
    Admin(user): Admin,
    PathParam(id): PathParam<i64>,
) -> Result<StatusCode> {
    decide(&state, &user, id, true, None).await
}

/// Declines a closure request (`closure_declined`, with an optional note the guardian sees; the
/// body may be left out):
/// the chat stays open. 204; a decided request changes no more (204 too). 404 for no such
/// request.
#[utoipa::path(post, path = "/api/admin/closure-requests/{id}/decline", tag = "moderation", params(("id" = i64, Path)),
    request_body = Decline,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = user.id, request = id))]
pub async fn decline(
    State(state): State<AppState>,
    Admin(user): Admin,
    PathParam(id): PathParam<i64>,
    body: axum::body::Bytes,
) -> Result<StatusCode> {
    // The body is optional: none is a decline without a note.
    let decline: Decline = if body.iter().all(u8::is_ascii_whitespace) {
        Decline::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| AppError::BadRequest(format!("invalid JSON body: {e}")))?
    };
    let note = decline.note.filter(|n| !n.trim().is_empty());
    if let Some(note) = &note {
        checked("note", note, true)?;
    }
    decide(&state, &user, id, false, note).await
}

async fn decide(state: &AppState, admin: &AuthUser, id: i64, close: bool, note: Option<String>) -> Result<StatusCode> {
    state.limits.check(Limited::write_by(admin.role), admin.id)?;
    let row = state.db.get().await?.query_opt("SELECT chat_id FROM closure_requests WHERE id = $1", &[&id]).await?;
    let chat_id: i64 = row.ok_or_else(|| AppError::NotFound(format!("closure request {id} does not exist")))?.get(0);
    let event = NewEvent::ClosureDecided { chat_id, admin_id: admin.id, request_id: id, close, note };
    state.appender.append(event).await?;
    Ok(StatusCode::NO_CONTENT)
}
