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
    /// The chat is closed (an idle inquiry): read-only for everyone.
    pub closed: bool,
}

impl Access {
    const ALL: Self = Self { visible_from: 0, closed: false };

    /// 409 when the chat is closed: for writes that are not events of the log (typing,
    /// uploads), which the log's triggers cannot refuse themselves.
    pub fn writable(self, chat_id: i64) -> Result<Self> {
        if self.closed {
            return Err(AppError::Conflict(format!("chat {chat_id} is closed: it is read-only")));
        }
        Ok(self)
    }
}

/// Whether `user` may read chat `chat_id`: 404 if it does not exist, 403 unless the user is a
/// member now or an admin. Writing additionally excludes admins (checked by the caller). The
/// hub answers for the direct chats this replica knows (their members never change); the
/// database for groups (a removal must take effect at once, on every replica) and the rest.
pub async fn check_access(state: &AppState, chat_id: i64, user: &AuthUser) -> Result<Access> {
    match state.hub.is_member(chat_id, user.id) {
        // The hub answers for direct chats only, which never close.
        Some(true) => return Ok(Access::ALL),
        Some(false) if user.is_admin() => return Ok(Access::ALL),
        Some(false) => return Err(AppError::Forbidden(format!("you are not a participant of chat {chat_id}"))),
        None => {}
    }
    // Prepared once per pooled connection: a group's every message, typing request and history
    // page asks, and an unprepared statement is two round trips (parse, then execute).
    let client = state.db.get().await?;
    let statement = client
        .prepare_cached(
            "SELECT p.joined_position, c.closed_at IS NOT NULL AS closed FROM chats c
             LEFT JOIN chat_participants p ON p.chat_id = c.id AND p.user_id = $2
             WHERE c.id = $1",
        )
        .await?;
    let row = client
        .query_opt(&statement, &[&chat_id, &user.id])
        .await?
        .ok_or_else(|| AppError::NotFound(format!("chat {chat_id} does not exist")))?;
    let closed = row.get("closed");
    match row.get::<_, Option<i64>>("joined_position") {
        _ if user.is_admin() => Ok(Access { visible_from: 0, closed }),
        Some(joined) => Ok(Access { visible_from: joined, closed }),
        None => Err(AppError::Forbidden(format!("you are not a participant of chat {chat_id}"))),
    }
}
