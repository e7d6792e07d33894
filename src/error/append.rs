//! The write path's refusals ([`AppendError`]) as HTTP answers: each of the log's rules has
//! its status and, where a client may act on it, its code.

use super::{AppError, Code};
use crate::log::{AppendError, Refusal};

/// The write path's answer, in HTTP terms.
impl From<AppendError> for AppError {
    fn from(e: AppendError) -> Self {
        match e {
            AppendError::Refused(message, Refusal::InvalidContent) => Self::BadRequest(message),
            AppendError::Refused(message, Refusal::NotAllowed) => Self::Forbidden(message),
            AppendError::Refused(message, Refusal::NotFound) => Self::NotFound(message),
            AppendError::Refused(message, Refusal::Suspended) => {
                Self::Forbidden(message).with_code(Code::AccountSuspended)
            }
            AppendError::Refused(message, Refusal::AlreadyReported) => {
                Self::Conflict(message).with_code(Code::AlreadyReported)
            }
            AppendError::Refused(message, Refusal::Hidden) => Self::Conflict(message).with_code(Code::MessageHidden),
            AppendError::Refused(message, Refusal::Deleted) => Self::Conflict(message).with_code(Code::MessageDeleted),
            AppendError::Refused(message, Refusal::Purged) => Self::Conflict(message).with_code(Code::MessagePurged),
            AppendError::Refused(message, Refusal::Unfit) => Self::Unprocessable(message),
            AppendError::Refused(message, Refusal::UnknownReaction) => {
                Self::Unprocessable(message).with_code(Code::UnknownReaction)
            }
            AppendError::Refused(message, Refusal::RoleInUse) => Self::Conflict(message).with_code(Code::RoleInUse),
            AppendError::Refused(message, Refusal::TooManyPins) => Self::Conflict(message).with_code(Code::TooManyPins),
            AppendError::Refused(message, Refusal::AnnouncementReadOnly) => {
                Self::Forbidden(message).with_code(Code::AnnouncementReadOnly)
            }
            AppendError::Refused(message, Refusal::TeacherDeparted) => {
                Self::Forbidden(message).with_code(Code::TeacherDeparted)
            }
            AppendError::Refused(message, Refusal::PairHasChat) => Self::Conflict(message).with_code(Code::PairHasChat),
            AppendError::Refused(message, Refusal::Erased) => Self::Conflict(message),
            AppendError::Refused(message, Refusal::Deactivated) => {
                Self::Unauthorized(message).with_code(Code::AccountDeactivated)
            }
            AppendError::Refused(message, Refusal::PersonDeactivated) => {
                Self::Unprocessable(message).with_code(Code::PersonDeactivated)
            }
            // The log's trigger refuses two states (its messages say which).
            AppendError::Refused(message, Refusal::Conflict) => {
                let code = if message.contains("is closed") { Code::ChatClosed } else { Code::MessageDeleted };
                Self::Conflict(message).with_code(code)
            }
            AppendError::Duplicate => Self::Conflict("the idempotency key was used before".into()),
            AppendError::Unavailable(cause) => Self::Unavailable(cause),
            AppendError::Database(e) => e.into(),
            AppendError::Other(e) => Self::Internal(e),
        }
    }
}
