//! Completing a lesson. The database trigger then opens the pair's chat (once per pair).

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use serde::Serialize;
use time::OffsetDateTime;

use crate::auth::AuthUser;
use crate::error::ErrorBody;
use crate::extract::PathParam;
use crate::limits::Limited;
use crate::{AppError, AppState, Result};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/lessons/{id}/complete", post(complete))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Lesson {
    pub id: i64,
    pub teacher_id: i64,
    pub student_id: i64,
    /// `scheduled`, `completed` or `cancelled`.
    pub status: String,
    #[serde(with = "time::serde::rfc3339")]
    pub scheduled_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub completed_at: Option<OffsetDateTime>,
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
    if lesson.get::<_, i64>("teacher_id") != user.id && !user.is_admin() {
        return Err(AppError::Forbidden("only the lesson's teacher or an admin can complete it".into()));
    }
    if lesson.get::<_, String>("status") == "cancelled" {
        return Err(AppError::Conflict(format!("lesson {id} was cancelled and cannot be completed")));
    }
    client.execute("UPDATE lessons SET status = 'completed' WHERE id = $1 AND status = 'scheduled'", &[&id]).await?;
    let row = client
        .query_one(
            "SELECT l.id, l.teacher_id, l.student_id, l.status, l.scheduled_at, l.completed_at, c.id AS chat_id
             FROM lessons l JOIN chats c ON c.student_id = l.student_id AND c.teacher_id = l.teacher_id
             WHERE l.id = $1",
            &[&id],
        )
        .await?;
    Ok(Json(CompletedLesson {
        lesson: Lesson {
            id: row.get("id"),
            teacher_id: row.get("teacher_id"),
            student_id: row.get("student_id"),
            status: row.get("status"),
            scheduled_at: row.get("scheduled_at"),
            completed_at: row.get("completed_at"),
        },
        chat_id: row.get("chat_id"),
    }))
}
