//! Lessons from the school's timetable, by the school's ids: one entry point ([`upsert`]) that
//! the integration API (`PUT /api/integrations/lessons/{external_id}`) and `tutorchat import
//! --lessons` share, and [`cancel`] for `DELETE`.
//!
//! A lesson is a row of `lessons`, not an event: what it causes is in the log. Completing one
//! opens the pair's chat by the lesson trigger (`lessons_create_chat`), in the upsert's
//! transaction, exactly as `POST /api/lessons/{id}/complete` does. Replaying the same input
//! writes nothing (no UPDATE, so no trigger runs) and answers [`Outcome::Unchanged`].
//!
//! Once completed, a lesson's pair and its completion are final: it never goes back to
//! `scheduled` and never changes teacher or student (the chat it opened is that pair's); 409
//! `lesson_completed`. It may still be cancelled (the chat stays: the log is never deleted),
//! and its subject and time corrected.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tokio_postgres::GenericClient;
use tokio_postgres::error::SqlState;

use crate::auth::Role;
use crate::error::{AppError, Code};

/// `scheduled`, `completed` or `cancelled`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum LessonStatus {
    Scheduled,
    Completed,
    Cancelled,
}

crate::db::text_column!(LessonStatus { Scheduled => "scheduled", Completed => "completed", Cancelled => "cancelled" });

/// A lesson as the school's timetable describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LessonInput {
    pub external_id: String,
    pub teacher_external_id: String,
    pub student_external_id: String,
    pub subject: String,
    pub scheduled_at: OffsetDateTime,
    pub status: LessonStatus,
}

/// What an upsert did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
#[schema(as = LessonOutcome)]
pub enum Outcome {
    Created,
    Changed,
    Unchanged,
}

/// A lesson as the integration API answers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TimetableLesson {
    pub external_id: String,
    pub teacher_external_id: String,
    pub student_external_id: String,
    /// Null only for a lesson from before subjects were kept.
    pub subject: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub scheduled_at: OffsetDateTime,
    pub status: LessonStatus,
    /// When it was first completed (it stays set if the lesson is cancelled afterwards).
    #[serde(with = "time::serde::rfc3339::option")]
    pub completed_at: Option<OffsetDateTime>,
    /// The pair's chat, once one of their lessons was completed; null before.
    pub chat_id: Option<i64>,
}

/// The longest external id (as `users.external_id`) and subject, in characters.
pub const MAX_EXTERNAL_ID: usize = 255;
pub const MAX_SUBJECT: usize = 200;

impl LessonInput {
    /// Checks the lengths, trims the subject and keeps the time to the microsecond (as
    /// PostgreSQL does, so the same input compares equal when replayed). `field`: what the
    /// messages call each attribute (the API's names, or the import's columns).
    pub fn validated(mut self) -> Result<Self, AppError> {
        for (field, value) in [
            ("external_id", &self.external_id),
            ("teacher_external_id", &self.teacher_external_id),
            ("student_external_id", &self.student_external_id),
        ] {
            let length = value.chars().count();
            if value.trim().is_empty() || length > MAX_EXTERNAL_ID {
                return Err(AppError::BadRequest(format!("{field} must be 1-{MAX_EXTERNAL_ID} characters, not blank")));
            }
        }
        self.subject = self.subject.trim().to_owned();
        if self.subject.is_empty() || self.subject.chars().count() > MAX_SUBJECT {
            return Err(AppError::BadRequest(format!("subject must be 1-{MAX_SUBJECT} characters, not blank")));
        }
        let micros = self.scheduled_at.microsecond();
        self.scheduled_at = self.scheduled_at.replace_microsecond(micros).map_err(anyhow::Error::from)?;
        Ok(self)
    }
}

/// Person `external_id`, who must have `role`; `field` names the attribute in the refusal
/// (422 `unknown_person`, `person_role_mismatch`). Their id, and whether they left.
async fn person(db: &impl GenericClient, field: &str, external_id: &str, role: Role) -> Result<(i64, bool), AppError> {
    let row = db
        .query_opt(
            "SELECT id, role, deactivated_at IS NOT NULL AS deactivated FROM users WHERE external_id = $1",
            &[&external_id],
        )
        .await?
        .ok_or_else(|| {
            AppError::Unprocessable(format!("{field} {external_id:?} names nobody")).with_code(Code::UnknownPerson)
        })?;
    if row.try_get::<_, Role>("role")? != role {
        return Err(AppError::Unprocessable(format!("{field} {external_id:?} is not a {}", role.as_str()))
            .with_code(Code::PersonRoleMismatch));
    }
    Ok((row.try_get("id")?, row.try_get("deactivated")?))
}

/// The lesson as the API answers it, by its row id.
const VIEW_SQL: &str =
    "SELECT l.external_id, t.external_id AS teacher_external_id, s.external_id AS student_external_id,
                               l.subject, l.scheduled_at, l.status, l.completed_at, c.id AS chat_id
                        FROM lessons l JOIN users t ON t.id = l.teacher_id JOIN users s ON s.id = l.student_id
                        LEFT JOIN chats c ON c.teacher_id = l.teacher_id AND c.student_id = l.student_id
                        WHERE l.id = $1";

async fn view(db: &impl GenericClient, id: i64) -> Result<TimetableLesson, AppError> {
    let row = db.query_one(VIEW_SQL, &[&id]).await?;
    Ok(TimetableLesson {
        external_id: row.try_get("external_id")?,
        // A lesson found by external ids has people with them; one made here may not.
        teacher_external_id: row.try_get::<_, Option<String>>("teacher_external_id")?.unwrap_or_default(),
        student_external_id: row.try_get::<_, Option<String>>("student_external_id")?.unwrap_or_default(),
        subject: row.try_get("subject")?,
        scheduled_at: row.try_get("scheduled_at")?,
        status: row.try_get("status")?,
        completed_at: row.try_get("completed_at")?,
        chat_id: row.try_get("chat_id")?,
    })
}

/// The lesson `external_id` as it is now, locked for the caller's transaction.
struct Existing {
    id: i64,
    teacher_id: i64,
    student_id: i64,
    subject: Option<String>,
    scheduled_at: OffsetDateTime,
    status: LessonStatus,
    completed: bool,
}

impl Existing {
    /// Whether the lesson is already as `input` (with its people's ids) says.
    fn same(&self, input: &LessonInput, teacher_id: i64, student_id: i64) -> bool {
        self.teacher_id == teacher_id
            && self.student_id == student_id
            && self.subject.as_deref() == Some(input.subject.as_str())
            && self.scheduled_at == input.scheduled_at
            && self.status == input.status
    }
}

async fn existing(db: &impl GenericClient, external_id: &str) -> Result<Option<Existing>, AppError> {
    let row = db
        .query_opt(
            "SELECT id, teacher_id, student_id, subject, scheduled_at, status, completed_at IS NOT NULL AS completed
             FROM lessons WHERE external_id = $1 FOR UPDATE",
            &[&external_id],
        )
        .await?;
    let Some(row) = row else { return Ok(None) };
    Ok(Some(Existing {
        id: row.try_get("id")?,
        teacher_id: row.try_get("teacher_id")?,
        student_id: row.try_get("student_id")?,
        subject: row.try_get("subject")?,
        scheduled_at: row.try_get("scheduled_at")?,
        status: row.try_get("status")?,
        completed: row.try_get("completed")?,
    }))
}

/// Creates the lesson `input` describes, or brings it up to date; what it is now and what the
/// upsert did. Run it in a transaction (the caller's): the lesson's row is locked while it is
/// compared, and a completion's chat commits with it. `input` must be [`LessonInput::validated`].
pub async fn upsert(db: &impl GenericClient, input: &LessonInput) -> Result<(TimetableLesson, Outcome), AppError> {
    let teacher = person(db, "teacher_external_id", &input.teacher_external_id, Role::Teacher).await?;
    let student = person(db, "student_external_id", &input.student_external_id, Role::Student).await?;
    let (teacher_id, student_id) = (teacher.0, student.0);
    let now = existing(db, &input.external_id).await?;
    // Someone who left gets no new lessons; theirs may still be cancelled, or sent again as they are.
    if input.status != LessonStatus::Cancelled
        && now.as_ref().is_none_or(|now| !now.same(input, teacher_id, student_id))
    {
        for (field, external_id, (_, left)) in [
            ("teacher_external_id", &input.teacher_external_id, teacher),
            ("student_external_id", &input.student_external_id, student),
        ] {
            if left {
                return Err(AppError::Unprocessable(format!("{field} {external_id:?} is deactivated"))
                    .with_code(Code::PersonDeactivated));
            }
        }
    }
    let (id, outcome) = match now {
        None => {
            let inserted = db
                .query_opt(
                    "INSERT INTO lessons (external_id, teacher_id, student_id, subject, scheduled_at, status)
                     VALUES ($1, $2, $3, $4, $5, $6)
                     ON CONFLICT (school_id, external_id) WHERE external_id IS NOT NULL DO NOTHING RETURNING id",
                    &[&input.external_id, &teacher_id, &student_id, &input.subject, &input.scheduled_at, &input.status],
                )
                .await
                .map_err(constraint)?;
            match inserted {
                Some(row) => (row.try_get("id")?, Outcome::Created),
                // Another upsert of the same lesson committed first: this one updates it.
                None => match existing(db, &input.external_id).await? {
                    Some(now) => update(db, &now, input, teacher_id, student_id).await?,
                    None => return Err(AppError::Conflict("the lesson changed meanwhile: retry".into())),
                },
            }
        }
        Some(now) => update(db, &now, input, teacher_id, student_id).await?,
    };
    Ok((view(db, id).await?, outcome))
}

async fn update(
    db: &impl GenericClient,
    now: &Existing,
    input: &LessonInput,
    teacher_id: i64,
    student_id: i64,
) -> Result<(i64, Outcome), AppError> {
    if now.same(input, teacher_id, student_id) {
        return Ok((now.id, Outcome::Unchanged));
    }
    if now.completed && (input.status == LessonStatus::Scheduled) {
        return Err(AppError::Conflict(format!(
            "lesson {:?} was completed: it cannot be scheduled again",
            input.external_id
        ))
        .with_code(Code::LessonCompleted));
    }
    if now.completed && (now.teacher_id != teacher_id || now.student_id != student_id) {
        return Err(AppError::Conflict(format!(
            "lesson {:?} was completed: its teacher and student cannot change",
            input.external_id
        ))
        .with_code(Code::LessonCompleted));
    }
    db.execute(
        "UPDATE lessons SET teacher_id = $2, student_id = $3, subject = $4, scheduled_at = $5, status = $6 WHERE id = $1",
        &[&now.id, &teacher_id, &student_id, &input.subject, &input.scheduled_at, &input.status],
    )
    .await
    .map_err(constraint)?;
    Ok((now.id, Outcome::Changed))
}

/// Cancels the lesson `external_id` (404 `not_found` if the school never sent it); whether it
/// changed. A completed lesson may be cancelled too: its chat stays.
pub async fn cancel(db: &impl GenericClient, external_id: &str) -> Result<(TimetableLesson, bool), AppError> {
    let now = existing(db, external_id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no lesson has the external id {external_id:?}")))?;
    let changed = now.status != LessonStatus::Cancelled;
    if changed {
        db.execute("UPDATE lessons SET status = 'cancelled' WHERE id = $1", &[&now.id]).await?;
    }
    Ok((view(db, now.id).await?, changed))
}

/// A check the database makes that the input broke (a length): 400, not 500.
fn constraint(e: tokio_postgres::Error) -> AppError {
    if e.code() == Some(&SqlState::CHECK_VIOLATION) {
        return AppError::BadRequest(format!(
            "the lesson breaks a rule: {}",
            e.as_db_error().map_or("", |d| d.message())
        ));
    }
    e.into()
}
