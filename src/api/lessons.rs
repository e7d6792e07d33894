//! Lessons: listing one's own, and completing one. The database trigger then opens the
//! pair's chat (once per pair), which reaches both people as `chat_created`. The lessons
//! belong to the school's own systems; these two endpoints are how a teacher (or the demo)
//! marks one done from the chat.

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tokio_postgres::Row;

use crate::access::{Viewer, may_complete_lesson, viewer};
use crate::auth::AuthUser;
use crate::error::ErrorBody;
use crate::extract::{PathParam, QueryParams};
use crate::limits::Limited;
use crate::{AppError, AppState, Result};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/lessons", get(list)).route("/api/lessons/{id}/complete", post(complete))
}

/// The most lessons one listing answers.
const MAX_LESSONS: i64 = 200;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Lesson {
    pub id: i64,
    pub teacher_id: i64,
    pub student_id: i64,
    /// `scheduled`, `completed` or `cancelled`.
    pub status: LessonStatus,
    #[serde(with = "time::serde::rfc3339")]
    pub scheduled_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub completed_at: Option<OffsetDateTime>,
    pub teacher_name: String,
    pub student_name: String,
    /// What it is about, as the school's timetable names it; null for a lesson from before
    /// subjects were kept.
    pub subject: Option<String>,
}

impl Lesson {
    /// Decodes a lesson with its two people's names (`teacher_name`, `student_name`), as both
    /// endpoints select it.
    fn from_row(row: &Row) -> Self {
        Self {
            id: row.get("id"),
            teacher_id: row.get("teacher_id"),
            student_id: row.get("student_id"),
            status: row.get("status"),
            scheduled_at: row.get("scheduled_at"),
            completed_at: row.get("completed_at"),
            teacher_name: row.get("teacher_name"),
            student_name: row.get("student_name"),
            subject: row.get("subject"),
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LessonList {
    /// Ordered by `scheduled_at`, at most 200.
    pub lessons: Vec<Lesson>,
}

pub use crate::provisioning::lessons::LessonStatus;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LessonQuery {
    /// Only lessons in this status.
    #[param(nullable = false)]
    pub status: Option<LessonStatus>,
}

/// The caller's lessons: a teacher's or a student's own, every lesson for an admin (a guest has
/// none), ordered by when they are scheduled.
#[utoipa::path(get, path = "/api/lessons", tag = "lessons", params(LessonQuery),
    responses((status = 200, body = LessonList), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = user.id))]
pub async fn list(
    State(state): State<AppState>,
    user: AuthUser,
    QueryParams(query): QueryParams<LessonQuery>,
) -> Result<Json<LessonList>> {
    let client = state.db.get().await?;
    let status = query.status;
    let rows = client
        .query(
            "SELECT l.id, l.teacher_id, l.student_id, l.status, l.scheduled_at, l.completed_at, l.subject,
                    t.name AS teacher_name, s.name AS student_name
             FROM lessons l JOIN users t ON t.id = l.teacher_id JOIN users s ON s.id = l.student_id
             WHERE ($1 OR $2 IN (l.teacher_id, l.student_id)) AND ($3::varchar IS NULL OR l.status = $3)
             ORDER BY l.scheduled_at, l.id LIMIT $4",
            &[&(viewer(&user) == Viewer::Admin), &user.id, &status, &MAX_LESSONS],
        )
        .await?;
    Ok(Json(LessonList { lessons: rows.iter().map(Lesson::from_row).collect() }))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CompletedLesson {
    pub lesson: Lesson,
    /// The chat of the lesson's teacher and student.
    pub chat_id: i64,
}

/// Marks a lesson completed (its teacher or an admin). Completing it again is a no-op.
#[utoipa::path(post, path = "/api/lessons/{id}/complete", tag = "lessons", params(("id" = i64, Path)),
    responses((status = 200, body = CompletedLesson), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = user.id, lesson_id = id))]
pub async fn complete(
    State(state): State<AppState>,
    user: AuthUser,
    PathParam(id): PathParam<i64>,
) -> Result<Json<CompletedLesson>> {
    state.limits.check(Limited::write_by(user.role), user.id)?;
    let client = state.db.get().await?;
    let lesson = client
        .query_opt("SELECT teacher_id, status FROM lessons WHERE id = $1", &[&id])
        .await?
        .ok_or_else(|| AppError::NotFound(format!("lesson {id} does not exist")))?;
    may_complete_lesson(&user, lesson.get("teacher_id"))?;
    if lesson.get::<_, String>("status") == "cancelled" {
        return Err(AppError::Conflict(format!("lesson {id} was cancelled and cannot be completed")));
    }
    client.execute("UPDATE lessons SET status = 'completed' WHERE id = $1 AND status = 'scheduled'", &[&id]).await?;
    let row = client
        .query_one(
            "SELECT l.id, l.teacher_id, l.student_id, l.status, l.scheduled_at, l.completed_at, l.subject,
                    t.name AS teacher_name, s.name AS student_name, c.id AS chat_id
             FROM lessons l JOIN users t ON t.id = l.teacher_id JOIN users s ON s.id = l.student_id
             JOIN chats c ON c.student_id = l.student_id AND c.teacher_id = l.teacher_id
             WHERE l.id = $1",
            &[&id],
        )
        .await?;
    Ok(Json(CompletedLesson { lesson: Lesson::from_row(&row), chat_id: row.get("chat_id") }))
}
