//! Who may read a chat, and from where: the one check every chat-scoped endpoint makes (REST
//! history, sending, typing, reading markers, attachments, groups).

use crate::auth::AuthUser;
use crate::{AppError, AppState, Result};

/// What the caller may see of a chat.
#[derive(Debug, Clone, Copy)]
pub struct Access {
    /// The first log position whose messages they may see: where their membership began (a
    /// group member sees nothing from before they joined; a direct chat's pair joined when it
    /// opened), 0 for an admin.
    pub visible_from: i64,
}

/// Whether `user` may read chat `chat_id`: 404 if it does not exist, 403 unless the user is a
/// member now or an admin. Writing additionally excludes admins (checked by the caller). The
/// hub answers for the direct chats this replica knows (their members never change); the
/// database for groups (a removal must take effect at once, on every replica) and the rest.
pub async fn check_access(state: &AppState, chat_id: i64, user: &AuthUser) -> Result<Access> {
    match state.hub.is_member(chat_id, user.id) {
        Some(true) => return Ok(Access { visible_from: 0 }),
        Some(false) if user.is_admin() => return Ok(Access { visible_from: 0 }),
        Some(false) => return Err(AppError::Forbidden(format!("you are not a participant of chat {chat_id}"))),
        None => {}
    }
    // Prepared once per pooled connection: a group's every message, typing request and history
    // page asks, and an unprepared statement is two round trips (parse, then execute).
    let client = state.db.get().await?;
    let statement = client
        .prepare_cached(
            "SELECT p.joined_position FROM chats c
             LEFT JOIN chat_participants p ON p.chat_id = c.id AND p.user_id = $2
             WHERE c.id = $1",
        )
        .await?;
    let row = client
        .query_opt(&statement, &[&chat_id, &user.id])
        .await?
        .ok_or_else(|| AppError::NotFound(format!("chat {chat_id} does not exist")))?;
    match row.get::<_, Option<i64>>("joined_position") {
        _ if user.is_admin() => Ok(Access { visible_from: 0 }),
        Some(joined) => Ok(Access { visible_from: joined }),
        None => Err(AppError::Forbidden(format!("you are not a participant of chat {chat_id}"))),
    }
}
