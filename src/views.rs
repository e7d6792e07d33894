//! The wire views shared by REST answers and event-stream frames: a chat and a message look
//! the same whether a client lists them or receives them live, so both paths build them here.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::auth::Role;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Person {
    pub id: i64,
    pub name: String,
    pub role: Role,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LastMessage {
    pub content: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// One chat as its participant sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ChatSummary {
    pub id: i64,
    /// The other participant.
    pub participant: Person,
    pub last_message: Option<LastMessage>,
    /// Messages from others after the caller's read marker.
    pub unread_count: i64,
}

/// One chat as an admin sees it: both participants and the chat's activity.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AdminChat {
    pub id: i64,
    pub participants: Vec<Person>,
    /// Messages not deleted.
    pub messages_count: i64,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_message_at: Option<OffsetDateTime>,
}

/// A message in a chat's history.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HistoryMessage {
    pub id: i64,
    pub sender_id: i64,
    pub content: String,
    pub is_deleted: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// A message as `POST /api/messages` answers it: a history item plus its chat.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SentMessage {
    pub chat_id: i64,
    #[serde(flatten)]
    pub message: HistoryMessage,
}
