//! Guardians' links (admins): `PUT`/`DELETE /api/admin/guardians/{guardian_id}/students/{student_id}`
//! link a guardian to a student, or end the link, as events of the log (`guardian_linked`,
//! `guardian_unlinked`); `GET /api/admin/guardians` lists the links open now. A linked guardian
//! reads the student's direct chats from the link on, live and in history, and writes nothing
//! (`crate::access`); an ended link ends their stream and their reading at once.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, put};
use axum::{Json, Router};
use serde::Serialize;

use crate::access::Admin;
use crate::auth::{AuthUser, Role};
use crate::error::ErrorBody;
use crate::extract::PathParam;
use crate::limits::Limited;
use crate::log::NewEvent;
use crate::wire::Person;
use crate::{AppState, Result};

/// A page of the chats guardian $1 reads, as `CHAT_LIST_SQL` (`GET /api/chats`) for a participant, by
/// the one rule of a guardian's reading (`guardian_reading($1, $9)`, $9:
/// `GUARDIAN_GROUPS=own_messages`): the direct chats of each student they are linked to now,
/// the teacher as the other participant and the student as the ward, the last message only if
/// it came after the link; with $9, each group the student is a member of while linked, as
/// `ward_only` (no other participant; the last message, and the time it says it was active, the
/// student's own within the stretches; it is still ranked by the group's activity, which pages
/// the list). No unread count there (a guardian keeps no read marker in a child's chat), nothing
/// muted or archived (`archived=true`, $8: none). And the guardian's own family chats (a
/// teacher of their child's), as a member's: the teacher the other participant, no ward, the
/// unread count of their own marker. The search matches the teacher's or the student's name, or
/// a group's title.
pub(super) const GUARDIAN_CHAT_LIST_SQL: &str = r#"SELECT h.head, d.*
    FROM log_head() h
    LEFT JOIN LATERAL (
        WITH reading AS (
            SELECT r.chat_id, min(r.student_id) AS student_id, bool_or(r.own_only) AS own_only,
                   min(r.from_position) AS from_position
            FROM guardian_reading($1, $9) r
            WHERE r.from_position <= $2 AND (r.to_position IS NULL OR r.to_position > $2)
            GROUP BY r.chat_id
            UNION ALL
            SELECT p.chat_id, NULL, false, p.joined_position FROM chat_participants p
            WHERE p.user_id = $1 AND p.joined_position <= $2
        ), page AS (
            SELECT c.id, x.active, c.kind, c.title, c.context, c.created_by, c.updated_at, c.closed_at,
                   c.participants_count, c.last_message_id, c.guardians_read, c.announcement, c.audience, c.recipients, c.subjects, c.children, c.teacher_departed, c.created_at,
                   r.from_position AS joined_position, r.own_only, r.student_id, c.teacher_id
            FROM reading r
            JOIN chat_headers c ON c.id = r.chat_id
            CROSS JOIN LATERAL chat_activity_as_of(c.id, c.active_position, $2) x
            WHERE x.active IS NOT NULL AND NOT $8::boolean
              AND (x.active, c.id) < ($3, $4)
              AND ($5::text IS NULL OR c.kind = $5)
              AND ($6::text IS NULL OR (r.own_only AND lower(c.title COLLATE "und-x-icu") LIKE $6) OR EXISTS (
                  SELECT 1 FROM users su WHERE su.id IN (r.student_id, c.teacher_id)
                    AND lower(su.name COLLATE "und-x-icu") LIKE $6))
            ORDER BY x.active DESC, c.id DESC LIMIT $7)
        SELECT c.id, c.active, c.kind, c.title, c.context, c.created_by,
               CASE WHEN c.own_only THEN coalesce(m.created_at, c.created_at) ELSE c.updated_at END AS updated_at,
               c.closed_at, c.participants_count, c.guardians_read, c.announcement, c.audience, c.recipients, c.subjects, c.children, c.teacher_departed,
               c.teacher_id AS other_id, u.name AS other_name, u.role AS other_role, u.deactivated_at IS NOT NULL AS other_departed,
               c.student_id AS ward_id, s.name AS ward_name, c.own_only AS ward_only,
               m.id AS last_id, m.sender_id AS last_sender_id,
               CASE WHEN m.hidden_at IS NULL THEN m.content ELSE '' END AS last_content,
               CASE WHEN m.hidden_at IS NULL THEN m.attachments END AS last_attachments, m.created_at AS last_at,
               CASE WHEN m.purged_at IS NOT NULL THEN 'purged' WHEN m.hidden_at IS NOT NULL THEN 'hidden' END AS last_removed,
               CASE WHEN c.own_only THEN s.name END AS last_sender_name,
               coalesce(n.unread, 0) AS unread, coalesce(me.last_read_message_id, 0) AS last_read,
               coalesce(me.muted, false) AS muted, false AS archived
        FROM page c
        LEFT JOIN users u ON u.id = c.teacher_id
        LEFT JOIN users s ON s.id = c.student_id
        LEFT JOIN chat_participants me ON c.student_id IS NULL AND me.chat_id = c.id AND me.user_id = $1
        LEFT JOIN LATERAL chat_unread(c.id, $1, me.last_read_message_id) n
               ON me.chat_id IS NOT NULL
        LEFT JOIN LATERAL (
            SELECT m.* FROM messages m
            WHERE NOT c.own_only AND m.id = c.last_message_id AND m.position >= c.joined_position
            UNION ALL
            (SELECT m.* FROM messages m
             WHERE c.own_only AND m.chat_id = c.id AND m.sender_id = c.student_id AND NOT m.is_deleted
               AND EXISTS (SELECT 1 FROM guardian_reading($1, $9) w
                           WHERE w.chat_id = c.id AND w.student_id = m.sender_id AND m.position >= w.from_position
                             AND (w.to_position IS NULL OR m.position <= w.to_position))
             ORDER BY m.id DESC LIMIT 1)
        ) m ON true
    ) d ON true
    ORDER BY d.active DESC, d.id DESC"#;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/admin/guardians", get(guardian_links))
        .route("/api/admin/guardians/{guardian_id}/students/{student_id}", put(link_guardian).delete(unlink_guardian))
}

/// A guardian's link to a student, open since the log position `position` (the audit
/// timeline says when).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct GuardianLink {
    pub guardian: Person,
    pub student: Person,
    pub position: i64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct GuardianLinks {
    pub links: Vec<GuardianLink>,
}

/// Every guardian's link open now, by guardian, then student.
#[utoipa::path(get, path = "/api/admin/guardians", tag = "guardians",
    responses((status = 200, body = GuardianLinks), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = user.id))]
pub async fn guardian_links(State(state): State<AppState>, Admin(user): Admin) -> Result<Json<GuardianLinks>> {
    state.limits.check(Limited::Read, user.id)?;
    let rows = state
        .db
        .get()
        .await?
        .query(
            "SELECT g.guardian_id, gu.name AS guardian_name, g.student_id, su.name AS student_name, g.from_position
             FROM guardian_links g
             JOIN users gu ON gu.id = g.guardian_id JOIN users su ON su.id = g.student_id
             WHERE g.to_position IS NULL ORDER BY gu.name, g.guardian_id, su.name, g.student_id",
            &[],
        )
        .await?;
    let links = rows
        .iter()
        .map(|r| {
            Ok(GuardianLink {
                guardian: Person {
                    id: r.try_get("guardian_id")?,
                    name: r.try_get("guardian_name")?,
                    role: Role::Guardian,
                },
                student: Person { id: r.try_get("student_id")?, name: r.try_get("student_name")?, role: Role::Student },
                position: r.try_get("from_position")?,
            })
        })
        .collect::<Result<_, tokio_postgres::Error>>()?;
    Ok(Json(GuardianLinks { links }))
}

/// Links a guardian to a student: from now on the guardian reads the student's direct chats
/// (live and in history, from this moment on), never writing. 201 for a new link, 200 when it
/// was open already; 404 when the first is not a guardian or the second not a student.
#[utoipa::path(put, path = "/api/admin/guardians/{guardian_id}/students/{student_id}", tag = "guardians",
    params(("guardian_id" = i64, Path), ("student_id" = i64, Path)),
    responses((status = 201), (status = 200), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = user.id))]
pub async fn link_guardian(
    State(state): State<AppState>,
    Admin(user): Admin,
    PathParam((guardian_id, student_id)): PathParam<(i64, i64)>,
) -> Result<StatusCode> {
    let linked = change(&state, &user, guardian_id, student_id, true).await?;
    Ok(if linked { StatusCode::CREATED } else { StatusCode::OK })
}

/// Ends a guardian's link to a student: the guardian's event streams end and they read the
/// student's chats no more (history, export, a new stream), on every replica at once. 204,
/// also when there was no link.
#[utoipa::path(delete, path = "/api/admin/guardians/{guardian_id}/students/{student_id}", tag = "guardians",
    params(("guardian_id" = i64, Path), ("student_id" = i64, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = user.id))]
pub async fn unlink_guardian(
    State(state): State<AppState>,
    Admin(user): Admin,
    PathParam((guardian_id, student_id)): PathParam<(i64, i64)>,
) -> Result<StatusCode> {
    change(&state, &user, guardian_id, student_id, false).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Appends the link's change; whether the log recorded one (no: it was so already).
async fn change(state: &AppState, admin: &AuthUser, guardian_id: i64, student_id: i64, linked: bool) -> Result<bool> {
    state.limits.check(Limited::write_by(admin.role), admin.id)?;
    let event = NewEvent::Guardian { admin_id: admin.id, guardian_id, student_id, linked };
    Ok(state.appender.append(event).await?.is_some())
}
