//! Who may pin a chat's messages (and unpin them): a group's owner, the teacher who made it; in
//! a direct chat or a family chat either participant (in an inquiry its teacher: a guest's
//! route refuses them). Admins write nothing, guardians nothing outside their family chats
//! (`Writer::admit_in` refuses them first), a suspended person neither (their router). Everyone who reads the chat reads its pins, as its history.

use super::{check_access, no_chat, no_message};
use crate::auth::{AuthUser, Role};
use crate::error::Code;
use crate::wire::ChatKind;
use crate::{AppError, AppState, Result};

/// Whether `user` may pin or unpin message `message_id` of chat `chat_id`: 403 if they may not
/// use the chat, or the message is not one of it they can see ([`no_message`]: the same answer
/// whether it exists or not), 403 `not_group_owner` in a group they do not own, 409
/// `chat_closed` once the chat is closed, 403 `teacher_departed` in a direct chat whose
/// teacher left the school. The log's rule (`events_rule_pin`) checks the same
/// again under its lock, with the message's state and the number of pins.
pub async fn may_pin(state: &AppState, chat_id: i64, message_id: i64, user: &AuthUser) -> Result<()> {
    if user.role == Role::Guest {
        return Err(no_chat(chat_id));
    }
    let access = check_access(state, chat_id, user).await?.writable(chat_id)?.staffed(chat_id)?;
    let row = state
        .db
        .get()
        .await?
        .query_one(
            "SELECT c.kind, c.created_by, m.position
             FROM chats c LEFT JOIN messages m ON m.id = $2 AND m.chat_id = c.id
             WHERE c.id = $1",
            &[&chat_id, &message_id],
        )
        .await?;
    let position: Option<i64> = row.try_get("position")?;
    if position.is_none_or(|p| p < access.visible_from) {
        return Err(no_message(message_id));
    }
    let owner: Option<i64> = row.try_get("created_by")?;
    if row.try_get::<_, ChatKind>("kind")? == ChatKind::Group && owner != Some(user.id) {
        return Err(AppError::Forbidden("only the group's owner can pin or unpin its messages".into())
            .with_code(Code::NotGroupOwner));
    }
    Ok(())
}
