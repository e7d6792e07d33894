//! Who may manage a group: its owner or an admin (a member may only leave).

use crate::auth::{AuthUser, Role};
use crate::error::Code;
use crate::wire::ChatKind;
use crate::{AppError, AppState, Result};

/// Whether group `chat_id` may be managed by `user`: 403 if there is no such chat or the user
/// may not see it ([`super::no_chat`]), 403 if they see it but it is not a group or they are
/// neither its owner nor an admin. `doing` says what they tried, for the answer.
pub async fn group_manager(state: &AppState, chat_id: i64, user: &AuthUser, doing: &str) -> Result<()> {
    let admin = user.role == Role::Admin;
    let row = state
        .db
        .get()
        .await?
        .query_opt(
            "SELECT c.kind, c.created_by, EXISTS (SELECT 1 FROM chat_participants p
                                                  WHERE p.chat_id = c.id AND p.user_id = $2) AS member
             FROM chats c WHERE c.id = $1",
            &[&chat_id, &user.id],
        )
        .await?
        .filter(|row| admin || row.get::<_, bool>("member"))
        .ok_or_else(|| super::no_chat(chat_id))?;
    if row.try_get::<_, ChatKind>("kind")? != ChatKind::Group {
        return Err(AppError::Forbidden(format!(
            "chat {chat_id} is a direct chat: its members and title never change"
        )));
    }
    if !admin && row.get::<_, Option<i64>>("created_by") != Some(user.id) {
        return Err(AppError::Forbidden(format!("only the group's owner or an admin can {doing}"))
            .with_code(Code::NotGroupOwner));
    }
    Ok(())
}

/// Whether `user` is a member of chat `chat_id` now.
pub async fn is_member(state: &AppState, chat_id: i64, user: i64) -> Result<bool> {
    let row = state
        .db
        .get()
        .await?
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM chat_participants WHERE chat_id = $1 AND user_id = $2)",
            &[&chat_id, &user],
        )
        .await?;
    Ok(row.get(0))
}

/// Whom an announcement to families reaches among the guardians: those linked now to one of
/// `students` (each once, however many of their children are among them) who have not left
/// the school, by id. The log's `announcement_families_join` follows the same links later.
pub async fn families_of(client: &impl tokio_postgres::GenericClient, students: &[i64]) -> Result<Vec<i64>> {
    let rows = client
        .query(
            "SELECT DISTINCT g.guardian_id FROM guardian_links g
             JOIN users s ON s.id = g.student_id AND s.role = 'student'
             JOIN users x ON x.id = g.guardian_id AND x.deactivated_at IS NULL
             WHERE g.to_position IS NULL AND g.student_id = ANY ($1) ORDER BY g.guardian_id",
            &[&students],
        )
        .await?;
    Ok(rows.iter().map(|row| row.get("guardian_id")).collect())
}

/// Whom a person sees among a chat's members: every member, unless they listen to an
/// announcement (a member who is not its owner): then its owner and themself only, so that
/// the families (or students) it reaches never learn of each other. Admins see everyone.
/// What a statement listing members binds: `everyone` (an admin) and `viewer`.
#[derive(Debug, Clone, Copy)]
pub struct Roster {
    pub everyone: bool,
    pub viewer: i64,
}

pub fn roster(user: &AuthUser) -> Roster {
    Roster { everyone: user.role == Role::Admin, viewer: user.id }
}
