//! Who may act on the things that are not chats: lessons, inquiry links, files.

use crate::auth::{AuthUser, Role};
use crate::{AppError, AppState, Result};

/// A lesson is completed by its teacher or an admin.
pub fn may_complete_lesson(user: &AuthUser, teacher_id: i64) -> Result<()> {
    if user.role == Role::Admin || user.id == teacher_id {
        return Ok(());
    }
    Err(AppError::Forbidden("only the lesson's teacher or an admin can complete it".into()))
}

/// An inquiry link is revoked by its teacher, who created it (`owners`: host and creator), or
/// an admin: 403 for anyone else, as for a link that does not exist (`owners` none).
pub fn may_revoke_link(user: &AuthUser, id: i64, owners: Option<(i64, i64)>) -> Result<()> {
    match owners {
        Some(_) if user.role == Role::Admin => Ok(()),
        Some((host, creator)) if user.id == host || user.id == creator => Ok(()),
        _ => Err(AppError::Forbidden(format!("inquiry link {id} does not exist or is not yours"))),
    }
}

/// An uploaded file, as [`may_read_attachment`] decides on it.
pub struct Attachment {
    pub id: i64,
    pub chat_id: i64,
    pub uploader_id: i64,
    /// The message it is attached to (none yet: only its uploader's).
    pub message: Option<AttachedTo>,
}

/// The message a file is attached to.
pub struct AttachedTo {
    pub id: i64,
    pub position: i64,
    pub deleted: bool,
    pub hidden: bool,
}

/// Who may download a file: an admin any; its uploader while it is not attached yet; a
/// participant who may see its message, while that is neither deleted nor hidden. 403 for
/// anyone else, as for a file that does not exist ([`no_attachment`]).
pub async fn may_read_attachment(state: &AppState, user: &AuthUser, file: &Attachment) -> Result<()> {
    let id = file.id;
    if user.role == Role::Admin {
        return Ok(());
    }
    let Some(message) = &file.message else {
        if file.uploader_id == user.id {
            return Ok(());
        }
        return Err(no_attachment(id));
    };
    // As if it did not exist: the caller may not see its message. A guardian reads by their
    // stretches (a group's: only their child's own messages, whose uploader is the child).
    let visible = if user.role == Role::Guardian {
        super::check_read_access(state, file.chat_id, user).await?.shows(message.position, Some(file.uploader_id))
    } else {
        message.position >= super::check_access(state, file.chat_id, user).await?.visible_from
    };
    if !visible {
        return Err(no_attachment(id));
    }
    if message.deleted {
        return Err(AppError::Forbidden(format!("message {} with attachment {id} was deleted", message.id)));
    }
    if message.hidden {
        return Err(AppError::Forbidden(format!(
            "message {} with attachment {id} is hidden by a moderator",
            message.id
        )));
    }
    Ok(())
}

/// 403 for a file that does not exist and for one the caller may not see alike (the same body:
/// see [`super::no_chat`]).
pub fn no_attachment(id: i64) -> AppError {
    AppError::Forbidden(format!("attachment {id} does not exist or you may not see it"))
}
