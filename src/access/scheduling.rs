//! Who may schedule a message, and whether its author may still write it when it is due.
//! Scheduling is for people with an account who take part in a chat ([`crate::access::Writer`]):
//! a guest's chat closes when they leave it, so a message for later is not theirs to send.
//! At send time the log's rules decide a sent message again; a message quiet hours take over
//! never reaches the log then, so [`write_refusal`] states the same rules for it first.

use tokio_postgres::GenericClient;

use crate::auth::{AuthUser, Role};
use crate::error::Code;
use crate::{AppError, Result};

/// 403 `guest_confined` for a guest; anyone else who may write may schedule.
pub fn may_schedule(user: &AuthUser) -> Result<()> {
    if user.role == Role::Guest {
        return Err(AppError::Forbidden("a guest may not schedule messages: send them now".into())
            .with_code(Code::GuestConfined));
    }
    Ok(())
}

/// Why `author` may not write in chat `chat_id` now, as the log would refuse it (`None`: they
/// may): no longer a participant, the chat closed, suspended or being erased.
pub async fn write_refusal(client: &impl GenericClient, chat_id: i64, author: i64) -> Result<Option<AppError>> {
    let row = client
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM chat_participants p WHERE p.chat_id = $1 AND p.user_id = $2) AS member,
                    EXISTS (SELECT 1 FROM chats c WHERE c.id = $1 AND c.closed_at IS NOT NULL) AS closed,
                    EXISTS (SELECT 1 FROM users u WHERE u.id = $2
                            AND (u.suspended_until > now() OR u.erasure_requested_at IS NOT NULL)) AS suspended",
            &[&chat_id, &author],
        )
        .await?;
    Ok(if row.get("suspended") {
        Some(
            AppError::Forbidden(format!("user {author} is suspended: they may read, not write"))
                .with_code(Code::AccountSuspended),
        )
    } else if !row.get::<_, bool>("member") {
        Some(AppError::Forbidden(format!("user {author} no longer takes part in chat {chat_id}")))
    } else if row.get("closed") {
        Some(AppError::Conflict(format!("chat {chat_id} is closed: it is read-only")).with_code(Code::ChatClosed))
    } else {
        None
    })
}
