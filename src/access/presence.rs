//! Who sees whose presence (online, last seen): one rule for every path that shows it, so
//! that none can show more than the others. The chat list, a chat's details, the stream's
//! `chat_created` (to the members and to a student's guardians), the hub's `presence` signals
//! and `GET /api/presence/{id}` all ask it: [`sees_presence`], which `Contact::shown_to`
//! applies. It is written beside `Contact` (`crate::wire`), because the hub and the frames,
//! which this module builds on, apply it too; this module re-exports it and adds whose
//! presence one may ask for.
//!
//! Guests (an inquiry's visitor, with no account) and guardians see nobody's presence: a
//! teacher's online hours are not theirs to watch. Everyone else sees the presence of the
//! people they share a chat with, and admins everyone's. An announcement is shared with no
//! one in this sense: its members listen, and being told the same thing makes nobody a contact
//! (a child would otherwise watch another family's parent come and go).

use crate::auth::{AuthUser, Role};
pub use crate::wire::sees_presence;
use crate::{AppError, AppState, Result};

/// Whose presence `user` may ask for: their own, that of anyone they share a chat with (not an
/// announcement),
/// anyone's for an admin; nobody's for a guest or a guardian ([`sees_presence`]). 403 with the
/// same body for a person who does not exist and for one they may not see, as everywhere
/// (what the caller may not see answers as if it did not exist).
pub async fn may_see_presence(state: &AppState, user: &AuthUser, about: i64) -> Result<()> {
    let hidden = || AppError::Forbidden(format!("no user {about} shares a chat with you"));
    if about == user.id {
        return Ok(());
    }
    if !sees_presence(user.role) {
        return Err(hidden());
    }
    let visible: bool = state
        .db
        .get()
        .await?
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM users WHERE id = $1)
                    AND ($3 OR EXISTS (SELECT 1 FROM chat_participants a
                                       JOIN chat_participants b ON b.chat_id = a.chat_id
                                       JOIN chats c ON c.id = a.chat_id AND NOT c.announcement
                                       WHERE a.user_id = $1 AND b.user_id = $2))",
            &[&about, &user.id, &(user.role == Role::Admin)],
        )
        .await?
        .get(0);
    if visible { Ok(()) } else { Err(hidden()) }
}
