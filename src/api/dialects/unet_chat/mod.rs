//! `/api/unet-chat`: the REST routes and the per-conversation WebSocket of the React
//! "unet-chat" client (docs/dialect-unet-chat.md). Its conversation is a core chat and its
//! message a core message, their ids the core's written as decimal strings, its times RFC 3339.
//! Every route calls the core's operation (the lesson chat lookup, groups, the per-person
//! archive, the send, edit and delete, history) and only reshapes what goes in and comes out;
//! errors keep the core's status and sentence, in this contract's shape `{"error": "…"}`.
//!
//! - `conversations.rs`: conversations and their participants;
//! - `messages.rs`: sending, history, editing, deleting;
//! - `socket.rs`: `GET /api/unet-chat/ws/conversations/{id}/`, one conversation's new messages.

use axum::Router;
use serde::Serialize;
use time::OffsetDateTime;

use crate::AppState;
use crate::wire::{ChatHeader, ChatKind, HistoryMessage};

mod conversations;
mod messages;
mod socket;

/// The routes of `/api/unet-chat`, paths exactly as the client writes them (trailing slashes
/// included: the other spelling is an unknown path, never redirected).
pub fn router() -> Router<AppState> {
    conversations::router()
        .merge(messages::router())
        .merge(socket::router())
        .layer(axum::middleware::map_response(super::error_only))
}

/// The dialect's REST routes and its socket's handshake, for the OpenAPI document (the
/// socket's frame is described in docs/dialect-unet-chat.md).
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        conversations::list,
        conversations::one,
        conversations::create,
        conversations::hide,
        conversations::add,
        conversations::remove,
        messages::send,
        messages::history_of,
        messages::edit,
        messages::delete,
        socket::connect
    ),
    components(schemas(ErrorBody))
)]
pub struct ApiDoc;

/// This contract's error: `{"error": "…"}` (`UnetErrorBody` in the document).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = UnetErrorBody)]
pub struct ErrorBody {
    pub error: String,
}

/// A conversation: a core chat. A lesson chat (and a guest's inquiry) is `private`, a group
/// `group`; `service` and `service_id` are always null in a school.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = UnetConversation)]
pub struct Conversation {
    pub id: String,
    #[serde(rename = "type")]
    #[schema(pattern = "^(private|group)$")]
    pub kind: String,
    /// A group's title (an inquiry's link's); null for a lesson chat.
    pub title: Option<String>,
    /// A group's creator; null for a lesson chat, which a completed lesson opened.
    pub created_by: Option<i64>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    pub service: Option<String>,
    pub service_id: Option<String>,
}

impl Conversation {
    fn of(id: i64, header: ChatHeader, created_at: OffsetDateTime) -> Self {
        let kind = match header.kind {
            ChatKind::Group => "group",
            ChatKind::Direct | ChatKind::Inquiry | ChatKind::Family => "private",
        };
        Self {
            id: id.to_string(),
            kind: kind.to_owned(),
            title: header.title,
            created_by: header.created_by,
            created_at,
            service: None,
            service_id: None,
        }
    }
}

/// A message: a core message, `reply_to` the id of the message it quotes.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = UnetMessage)]
pub struct Message {
    pub id: String,
    pub conversation_id: String,
    pub sender_id: i64,
    pub text: String,
    pub reply_to: Option<String>,
    pub is_edited: bool,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
}

impl Message {
    fn of(chat_id: i64, message: HistoryMessage) -> Self {
        Self {
            id: message.id.to_string(),
            conversation_id: chat_id.to_string(),
            sender_id: message.sender_id,
            text: message.content,
            reply_to: message.reply_to.map(|r| r.id.to_string()),
            is_edited: message.is_edited,
            created_at: message.created_at,
        }
    }
}
