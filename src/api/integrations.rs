//! The integration API: the school's timetable puts its lessons here by its own ids,
//! authenticated as a provisioning client with the scope `lessons` (`TimetableClient`), never
//! as a person. Each lesson goes through `provisioning::lessons::upsert`, as the import's do:
//! replaying the same lesson changes nothing, and a completed one opens its pair's chat.

use axum::http::StatusCode;
use axum::routing::put;
use axum::{Json, Router, extract::State};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::access::TimetableClient;
use crate::error::ErrorBody;
use crate::extract::{JsonBody, PathParam};
use crate::provisioning::lessons::{self, LessonInput, LessonStatus, Outcome, TimetableLesson};
use crate::{AppError, AppState, Result};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/integrations/lessons/{external_id}", put(upsert).delete(cancel))
        .route("/api/integrations/lessons", put(batch))
}

/// The most lessons one batch carries.
pub const MAX_BATCH: usize = 500;

/// A lesson as the school's timetable sends it (its id is the path's).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct LessonBody {
    /// The teacher's external id (SCIM `externalId`, the import's `external_id`).
    pub teacher_external_id: String,
    /// The student's external id.
    pub student_external_id: String,
    /// 1-200 characters, e.g. `Алгебра`.
    pub subject: String,
    #[serde(with = "time::serde::rfc3339")]
    pub scheduled_at: OffsetDateTime,
    /// `completed` opens the pair's chat (once per pair).
    pub status: LessonStatus,
}

impl LessonBody {
    fn input(self, external_id: String) -> Result<LessonInput> {
        LessonInput {
            external_id,
            teacher_external_id: self.teacher_external_id,
            student_external_id: self.student_external_id,
            subject: self.subject,
            scheduled_at: self.scheduled_at,
            status: self.status,
        }
        .validated()
    }
}

/// Runs one upsert in its own transaction.
async fn upsert_one(state: &AppState, input: &LessonInput) -> Result<(TimetableLesson, Outcome)> {
    let mut client = state.db.get().await?;
    let tx = client.transaction().await?;
    let done = lessons::upsert(&*tx, input).await?;
    tx.commit().await?;
    Ok(done)
}

/// Creates or updates a lesson by the school's id for it: 201 when created, 200 otherwise
/// (the same body again changes nothing). Once completed, a lesson is never scheduled again
/// nor changes its pair (409 `lesson_completed`).
#[utoipa::path(put, path = "/api/integrations/lessons/{external_id}", tag = "integrations",
    params(("external_id" = String, Path, description = "The school's id of the lesson, 1-255 characters")),
    request_body = LessonBody, security(("bearer" = [])),
    responses((status = 200, body = TimetableLesson, description = "changed, or already so"),
              (status = 201, body = TimetableLesson, description = "created"),
              (status = 403, body = ErrorBody, description = "`provisioning_scope_missing`: the client lacks the scope `lessons`"),
              (status = 409, body = ErrorBody, description = "`lesson_completed`"),
              (status = 422, body = ErrorBody,
               description = "`unknown_person`, `person_role_mismatch`, `person_deactivated`: the message names the external id")))]
#[tracing::instrument(skip_all, fields(client = client.0.name))]
pub async fn upsert(
    State(state): State<AppState>,
    client: TimetableClient,
    PathParam(external_id): PathParam<String>,
    JsonBody(body): JsonBody<LessonBody>,
) -> Result<(StatusCode, Json<TimetableLesson>)> {
    let input = body.input(external_id)?;
    let (lesson, outcome) = upsert_one(&state, &input).await?;
    let status = if outcome == Outcome::Created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(lesson)))
}

/// Cancels a lesson (again: the same answer). A completed lesson may be cancelled too: the
/// chat it opened stays.
#[utoipa::path(delete, path = "/api/integrations/lessons/{external_id}", tag = "integrations",
    params(("external_id" = String, Path, description = "The school's id of the lesson")), security(("bearer" = [])),
    responses((status = 200, body = TimetableLesson, description = "cancelled"),
              (status = 403, body = ErrorBody, description = "`provisioning_scope_missing`"),
              (status = 404, body = ErrorBody, description = "no lesson has this external id")))]
#[tracing::instrument(skip_all, fields(client = client.0.name))]
pub async fn cancel(
    State(state): State<AppState>,
    client: TimetableClient,
    PathParam(external_id): PathParam<String>,
) -> Result<Json<TimetableLesson>> {
    let mut db = state.db.get().await?;
    let tx = db.transaction().await?;
    let (lesson, _) = lessons::cancel(&*tx, &external_id).await?;
    tx.commit().await?;
    Ok(Json(lesson))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct LessonBatch {
    /// 1-500 lessons, each a `BatchLesson`; each is upserted on its own (one that fails leaves
    /// the others done), in order.
    #[schema(value_type = Vec<BatchLesson>, min_items = 1, max_items = 500)]
    pub lessons: Vec<serde_json::Value>,
}

/// A lesson of a batch: its external id and the body of `PUT /api/integrations/lessons/{external_id}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct BatchLesson {
    pub external_id: String,
    #[serde(flatten)]
    pub lesson: LessonBody,
}

/// What became of one lesson of a batch: `outcome` when done, `error` when refused.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BatchResult {
    /// Its place in `lessons`, from 0.
    pub index: usize,
    /// Null when the item had none (a refusal says so).
    pub external_id: Option<String>,
    pub outcome: Option<Outcome>,
    pub error: Option<ErrorBody>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BatchResults {
    /// One per lesson, in the batch's order.
    pub results: Vec<BatchResult>,
}

/// Upserts up to 500 lessons, each as `PUT /api/integrations/lessons/{external_id}` would:
/// 200 with a result per lesson, whichever of them were refused.
#[utoipa::path(put, path = "/api/integrations/lessons", tag = "integrations", request_body = LessonBatch,
    security(("bearer" = [])),
    responses((status = 200, body = BatchResults, description = "each lesson's outcome or error"),
              (status = 403, body = ErrorBody, description = "`provisioning_scope_missing`"),
              (status = 422, body = ErrorBody, description = "no lessons, or more than 500")))]
#[tracing::instrument(skip_all, fields(client = client.0.name, lessons = body.lessons.len()))]
pub async fn batch(
    State(state): State<AppState>,
    client: TimetableClient,
    JsonBody(body): JsonBody<LessonBatch>,
) -> Result<Json<BatchResults>> {
    if body.lessons.is_empty() || body.lessons.len() > MAX_BATCH {
        return Err(AppError::Unprocessable(format!("a batch has 1-{MAX_BATCH} lessons, not {}", body.lessons.len())));
    }
    let mut results = Vec::with_capacity(body.lessons.len());
    for (index, item) in body.lessons.into_iter().enumerate() {
        let external_id = item.get("external_id").and_then(|v| v.as_str()).map(str::to_owned);
        let done = match serde_json::from_value::<BatchLesson>(item) {
            Ok(BatchLesson { external_id, lesson }) => match lesson.input(external_id) {
                Ok(input) => upsert_one(&state, &input).await.map(|(_, outcome)| outcome),
                Err(e) => Err(e),
            },
            Err(e) => Err(AppError::BadRequest(format!("invalid lesson: {e}"))),
        };
        let (outcome, error) = match done {
            Ok(outcome) => (Some(outcome), None),
            // The database, or a bug: the whole batch answers it (the lessons before stay done).
            Err(e @ (AppError::Internal(_) | AppError::Unavailable(_))) => return Err(e),
            Err(e) => (None, Some(ErrorBody { error: e.to_string(), code: e.code() })),
        };
        results.push(BatchResult { index, external_id, outcome, error });
    }
    Ok(Json(BatchResults { results }))
}
