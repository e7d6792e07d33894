//! Flags (`crate::safeguarding::flags`): the school's list of words and phrases, kept by admins
//! (`/api/admin/flag-terms`), and clearing a report or a flag that needs nothing done
//! (`POST /api/admin/reports/{id}/clear`).

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use crate::access::Admin;
use crate::error::ErrorBody;
use crate::extract::{JsonBody, PathParam};
use crate::limits::Limited;
use crate::log::NewEvent;
use crate::safeguarding::flags::{self, FlagTerm};
use crate::{AppError, AppState, Result};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/admin/flag-terms", get(flag_terms).post(add_flag_term))
        .route("/api/admin/flag-terms/{id}", delete(remove_flag_term))
        .route("/api/admin/reports/{id}/clear", post(clear_report))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FlagTerms {
    pub terms: Vec<FlagTerm>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct NewFlagTerm {
    /// A search query, 1–200 characters: words match every form search finds them in,
    /// `"quoted words"` must come together and in order, `or` joins alternatives.
    #[schema(min_length = 1, max_length = 200)]
    pub term: String,
}

/// The school's list of words and phrases that flag a message, oldest first.
#[utoipa::path(get, path = "/api/admin/flag-terms", tag = "moderation",
    responses((status = 200, body = FlagTerms), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = user.id))]
pub async fn flag_terms(State(state): State<AppState>, Admin(user): Admin) -> Result<Json<FlagTerms>> {
    state.limits.check(Limited::Read, user.id)?;
    Ok(Json(FlagTerms { terms: flags::terms(&state).await? }))
}

/// Adds a term: messages written from now on that match it are flagged. 409 when the list has
/// it; 422 when it holds no word a search would match.
#[utoipa::path(post, path = "/api/admin/flag-terms", tag = "moderation", request_body = NewFlagTerm,
    responses((status = 201, body = FlagTerm), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody),
              (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = user.id))]
pub async fn add_flag_term(
    State(state): State<AppState>,
    Admin(user): Admin,
    JsonBody(body): JsonBody<NewFlagTerm>,
) -> Result<(StatusCode, Json<FlagTerm>)> {
    state.limits.check(Limited::write_by(user.role), user.id)?;
    Ok((StatusCode::CREATED, Json(flags::add_term(&state, user.id, &body.term).await?)))
}

/// Removes a term (the flags it made stay). 404 when there is none.
#[utoipa::path(delete, path = "/api/admin/flag-terms/{id}", tag = "moderation", params(("id" = i64, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = user.id))]
pub async fn remove_flag_term(
    State(state): State<AppState>,
    Admin(user): Admin,
    PathParam(id): PathParam<i64>,
) -> Result<StatusCode> {
    state.limits.check(Limited::write_by(user.role), user.id)?;
    match flags::remove_term(&state, id).await? {
        true => Ok(StatusCode::NO_CONTENT),
        false => Err(AppError::NotFound(format!("flag term {id} does not exist"))),
    }
}

/// Clears an open report or flag: a moderator looked and there is nothing to act on (a
/// `report_cleared` event). Clearing a resolved one is a no-op; 404 for none.
#[utoipa::path(post, path = "/api/admin/reports/{id}/clear", tag = "moderation", params(("id" = i64, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = user.id, report = id))]
pub async fn clear_report(
    State(state): State<AppState>,
    Admin(user): Admin,
    PathParam(id): PathParam<i64>,
) -> Result<StatusCode> {
    state.limits.check(Limited::write_by(user.role), user.id)?;
    let row = state.db.get().await?.query_opt("SELECT chat_id FROM reports WHERE id = $1", &[&id]).await?;
    let chat_id: i64 = row.ok_or_else(|| AppError::NotFound(format!("report {id} does not exist")))?.get(0);
    state.appender.append(NewEvent::ReportCleared { chat_id, admin_id: user.id, report_id: id }).await?;
    Ok(StatusCode::NO_CONTENT)
}
