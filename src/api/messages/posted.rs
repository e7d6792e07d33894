//! What a send did, for the surfaces that answer it: REST's status and body, a socket's word
//! for a message that waits; and scheduling one, which a send with `send_at` does.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::{SendMessage, Snapshot};
use crate::access::{Access, may_schedule};
use crate::auth::AuthUser;
use crate::safeguarding::quiet::HeldMessage;
use crate::scheduled::{self, Draft, ScheduledMessage};
use crate::wire::SentMessage;
use crate::{AppError, AppState, Result};

/// What a send did: the message stored (`Created`), a retry's first answer (`Repeated`), or
/// the message accepted for later (`Later`: scheduled, or held by quiet hours).
pub enum Posted {
    Created(i64, SentMessage),
    Repeated(i64, SentMessage),
    Later(Accepted),
}

impl Posted {
    /// When quiet hours deliver it, for a message they hold.
    pub fn held_until(&self) -> Option<time::OffsetDateTime> {
        match self {
            Self::Later(Accepted::Held(held)) => Some(held.deliver_at),
            _ => None,
        }
    }

    /// What a sender whose surface has no answer for "later" (a socket's frame, a call that
    /// answers with something else) is told instead of a message: that it waits, and until
    /// when. None for a message stored now.
    pub fn later(&self) -> Option<String> {
        let at =
            |at: time::OffsetDateTime| at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
        match self {
            Self::Created(..) | Self::Repeated(..) => None,
            Self::Later(Accepted::Held(held)) => {
                Some(format!("held by the school's quiet hours: the message is delivered at {}", at(held.deliver_at)))
            }
            Self::Later(Accepted::Scheduled(scheduled)) => {
                Some(format!("scheduled: the message is sent at {}", at(scheduled.send_at)))
            }
        }
    }
}

impl IntoResponse for Posted {
    fn into_response(self) -> Response {
        match self {
            Self::Created(position, sent) => (StatusCode::CREATED, Snapshot(position, sent)).into_response(),
            Self::Repeated(position, sent) => (StatusCode::OK, Snapshot(position, sent)).into_response(),
            Self::Later(accepted) => (StatusCode::ACCEPTED, Json(accepted)).into_response(),
        }
    }
}

/// What `POST /api/messages` answers 202 with: a message for later, the author's own
/// (`send_at`), or one quiet hours hold, the school's rule (`deliver_at`).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum Accepted {
    Scheduled(ScheduledMessage),
    Held(HeldMessage),
}

/// Schedules the message `body` asks for at `send_at` (the rest of it checked by `send`).
pub(super) async fn schedule(
    state: &AppState,
    user: &AuthUser,
    access: Access,
    key: Option<&str>,
    body: &SendMessage,
    send_at: &str,
) -> Result<Accepted> {
    may_schedule(user)?;
    access.writable(body.chat_id)?;
    if !body.attachment_ids.is_empty() {
        return Err(AppError::Unprocessable(
            "a scheduled message carries text (and a reply) only: send attachments now".into(),
        ));
    }
    let send_at = scheduled::send_at(send_at, state.clock.now())?;
    let draft =
        Draft { chat_id: body.chat_id, content: &body.content, reply_to: body.reply_to_message_id, send_at, key };
    let scheduled = scheduled::schedule(state, user.id, &draft).await?;
    Ok(Accepted::Scheduled(scheduled))
}
