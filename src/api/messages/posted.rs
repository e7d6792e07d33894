//! What a send did, for the surfaces that answer it: REST's status and body, a socket's word
//! for a message that waits.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::Snapshot;
use crate::api::scheduled::Accepted;
use crate::wire::SentMessage;

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
