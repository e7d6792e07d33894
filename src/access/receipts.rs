//! Who sees a chat's read markers whole, the "seen by N of M" of its messages: its members
//! (in a group each sees it of their own messages, as `read_by` shows them the first readers
//! already), an announcement's owner, and admins. An announcement's other members do not see
//! who else read it, nor does a guardian who reads a child's chat without taking part.

use crate::auth::AuthUser;
use crate::{AppState, Result};

use super::chat::no_chat;

/// 403 ([`no_chat`]'s words) unless `user` may see every member's read marker in `chat_id`.
pub async fn may_see_receipts(state: &AppState, chat_id: i64, user: &AuthUser) -> Result<()> {
    let client = state.db.get().await?;
    let row = client
        .query_opt(
            "SELECT p.user_id IS NOT NULL AS member, c.announcement AND c.created_by IS DISTINCT FROM $2 AS listener
             FROM chats c LEFT JOIN chat_participants p ON p.chat_id = c.id AND p.user_id = $2
             WHERE c.id = $1",
            &[&chat_id, &user.id],
        )
        .await?
        .ok_or_else(|| no_chat(chat_id))?;
    let (member, listener): (bool, bool) = (row.get("member"), row.get("listener"));
    if user.is_admin() || member && !listener { Ok(()) } else { Err(no_chat(chat_id)) }
}
