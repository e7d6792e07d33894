//! The event log: the one module that reads and writes `events`.
//!
//! Appends are the only way the application writes chat content; the triggers in
//! `sql/V2__event_log.sql` validate each event, give it its position (and a message its id),
//! update the read models and NOTIFY, all in the caller's transaction. [`store`] holds every
//! statement on `events` (append, read after a position, the head, the replay one user may
//! see, read-model snapshots that carry the head); [`appender`] is the write path that batches
//! requests into shared transactions.

pub mod appender;
pub mod store;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tokio_postgres::Row;

pub use appender::{AppendError, Appender, Refusal};
pub use store::{append, head, read_after};

/// The NOTIFY channel; the payload is the highest position an INSERT statement appended.
pub const CHANNEL: &str = "tutorchat_events";

/// The `type` column of `events`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    ChatCreated,
    MessageCreated,
    MessageDeleted,
    MessageEdited,
    ChatRead,
    ParticipantAdded,
    ParticipantRemoved,
    ChatRenamed,
    ChatClosed,
}

crate::db::text_column!(EventType {
    ChatCreated => "chat_created",
    MessageCreated => "message_created",
    MessageDeleted => "message_deleted",
    MessageEdited => "message_edited",
    ChatRead => "chat_read",
    ParticipantAdded => "participant_added",
    ParticipantRemoved => "participant_removed",
    ChatRenamed => "chat_renamed",
    ChatClosed => "chat_closed",
});

/// An event the application asks the log to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NewEvent {
    /// A message, possibly answering another one of the same chat (`reply_to`), possibly with
    /// the sender's uploads to that chat (`attachment_ids`, in order; its text may then be
    /// empty).
    MessageCreated {
        chat_id: i64,
        sender_id: i64,
        content: String,
        reply_to: Option<i64>,
        attachment_ids: Vec<i64>,
    },
    MessageDeleted {
        chat_id: i64,
        actor_id: i64,
        message_id: i64,
    },
    /// A new text for a message, by its author.
    MessageEdited {
        chat_id: i64,
        actor_id: i64,
        message_id: i64,
        content: String,
    },
    /// The reader's marker moves forward to `up_to_message_id`.
    ChatRead {
        chat_id: i64,
        reader_id: i64,
        up_to_message_id: i64,
    },
    /// A group opens (`chat_id` drawn from `chats_id_seq`); its members join by
    /// [`NewEvent::ParticipantAdded`], in the same statement.
    GroupCreated {
        chat_id: i64,
        creator_id: i64,
        title: String,
        context: Option<serde_json::Value>,
    },
    ParticipantAdded {
        chat_id: i64,
        actor_id: i64,
        user_id: i64,
    },
    /// `actor_id == user_id`: the member left.
    ParticipantRemoved {
        chat_id: i64,
        actor_id: i64,
        user_id: i64,
    },
    ChatRenamed {
        chat_id: i64,
        actor_id: i64,
        title: String,
    },
    /// An inquiry chat becomes read-only (by the system: no actor).
    ChatClosed {
        chat_id: i64,
    },
}

impl NewEvent {
    /// The row this event becomes: chat, actor, type and payload.
    fn columns(&self) -> (i64, Option<i64>, EventType, serde_json::Value) {
        match self {
            Self::MessageCreated { chat_id, sender_id, content, reply_to, attachment_ids } => {
                let mut payload = serde_json::json!({ "content": content });
                if let Some(parent) = reply_to {
                    payload["reply_to_message_id"] = (*parent).into();
                }
                if !attachment_ids.is_empty() {
                    payload["attachment_ids"] = attachment_ids.as_slice().into();
                }
                (*chat_id, Some(*sender_id), EventType::MessageCreated, payload)
            }
            Self::MessageDeleted { chat_id, actor_id, message_id } => {
                (*chat_id, Some(*actor_id), EventType::MessageDeleted, serde_json::json!({ "message_id": message_id }))
            }
            Self::MessageEdited { chat_id, actor_id, message_id, content } => (
                *chat_id,
                Some(*actor_id),
                EventType::MessageEdited,
                serde_json::json!({ "message_id": message_id, "content": content }),
            ),
            Self::ChatRead { chat_id, reader_id, up_to_message_id } => (
                *chat_id,
                Some(*reader_id),
                EventType::ChatRead,
                serde_json::json!({ "up_to_message_id": up_to_message_id }),
            ),
            Self::GroupCreated { chat_id, creator_id, title, context } => (
                *chat_id,
                Some(*creator_id),
                EventType::ChatCreated,
                serde_json::json!({ "kind": "group", "title": title, "context": context }),
            ),
            Self::ParticipantAdded { chat_id, actor_id, user_id } => {
                (*chat_id, Some(*actor_id), EventType::ParticipantAdded, serde_json::json!({ "user_id": user_id }))
            }
            Self::ParticipantRemoved { chat_id, actor_id, user_id } => {
                (*chat_id, Some(*actor_id), EventType::ParticipantRemoved, serde_json::json!({ "user_id": user_id }))
            }
            Self::ChatRenamed { chat_id, actor_id, title } => {
                (*chat_id, Some(*actor_id), EventType::ChatRenamed, serde_json::json!({ "title": title }))
            }
            Self::ChatClosed { chat_id } => {
                (*chat_id, None, EventType::ChatClosed, serde_json::json!({ "reason": "idle" }))
            }
        }
    }
}

/// What an event says, by type (the `type` column with its `payload`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventData {
    ChatCreated(ChatOpened),
    MessageCreated {
        message_id: i64,
        content: String,
        /// Absent from messages written before replies existed.
        #[serde(default)]
        reply_to_message_id: Option<i64>,
        /// As the log recorded them when the message attached them (absent: none).
        #[serde(default)]
        attachments: Vec<Attachment>,
    },
    MessageDeleted {
        message_id: i64,
    },
    MessageEdited {
        message_id: i64,
        content: String,
    },
    ChatRead {
        up_to_message_id: i64,
    },
    ParticipantAdded {
        user_id: i64,
        /// `student` or `teacher`: their role when they joined.
        role: String,
    },
    ParticipantRemoved {
        user_id: i64,
    },
    ChatRenamed {
        title: String,
    },
    ChatClosed {
        reason: String,
    },
}

/// What kind of chat a `chat_created` opened. Told apart by their fields, tried in this order:
/// only an inquiry has `guest_id`, only a group (or an inquiry) `title`, a pair neither.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum ChatOpened {
    /// A guest's inquiry through a teacher's link: both members from the start, like a pair.
    Inquiry {
        title: String,
        #[serde(default)]
        context: Option<serde_json::Value>,
        link_id: i64,
        host_id: i64,
        guest_id: i64,
    },
    /// A group, with no members yet (they join by `participant_added`, next in the log).
    Group {
        title: String,
        #[serde(default)]
        context: Option<serde_json::Value>,
    },
    /// A lesson pair, both members from the start.
    Direct { student_id: i64, teacher_id: i64 },
}

/// One row of the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    pub position: i64,
    pub chat_id: i64,
    pub actor_id: Option<i64>,
    pub created_at: OffsetDateTime,
    pub data: EventData,
}

impl StoredEvent {
    /// Decodes a row selected with [`store::COLUMNS`].
    pub fn from_row(row: &Row) -> anyhow::Result<Self> {
        let kind: EventType = row.try_get("type")?;
        let mut payload: serde_json::Value = row.try_get("payload")?;
        if let Some(fields) = payload.as_object_mut() {
            fields.insert("type".into(), kind.as_str().into());
        }
        let position: i64 = row.try_get("position")?;
        let data = serde_json::from_value(payload)
            .map_err(|e| anyhow::anyhow!("event at position {position} of type {}: {e}", kind.as_str()))?;
        Ok(Self {
            position,
            chat_id: row.try_get("chat_id")?,
            actor_id: row.try_get("actor_id")?,
            created_at: row.try_get("created_at")?,
            data,
        })
    }

    /// Whether this stored event is the one `new` asked for.
    fn answers(&self, new: &NewEvent) -> bool {
        match (new, &self.data) {
            (
                NewEvent::MessageCreated { chat_id, sender_id, content, reply_to, attachment_ids },
                EventData::MessageCreated { content: c, reply_to_message_id, attachments, .. },
            ) => {
                *chat_id == self.chat_id
                    && Some(*sender_id) == self.actor_id
                    && content == c
                    && reply_to == reply_to_message_id
                    && attachment_ids.iter().eq(attachments.iter().map(|a| &a.id))
            }
            (
                NewEvent::MessageDeleted { chat_id, actor_id, message_id },
                EventData::MessageDeleted { message_id: m },
            ) => *chat_id == self.chat_id && Some(*actor_id) == self.actor_id && message_id == m,
            (
                NewEvent::MessageEdited { chat_id, actor_id, message_id, content },
                EventData::MessageEdited { message_id: m, content: c },
            ) => *chat_id == self.chat_id && Some(*actor_id) == self.actor_id && message_id == m && content == c,
            (
                NewEvent::ChatRead { chat_id, reader_id, up_to_message_id },
                EventData::ChatRead { up_to_message_id: u },
            ) => *chat_id == self.chat_id && Some(*reader_id) == self.actor_id && up_to_message_id == u,
            (
                NewEvent::GroupCreated { chat_id, creator_id, title, .. },
                EventData::ChatCreated(ChatOpened::Group { title: t, .. }),
            ) => *chat_id == self.chat_id && Some(*creator_id) == self.actor_id && title == t,
            (
                NewEvent::ParticipantAdded { chat_id, actor_id, user_id },
                EventData::ParticipantAdded { user_id: u, .. },
            )
            | (
                NewEvent::ParticipantRemoved { chat_id, actor_id, user_id },
                EventData::ParticipantRemoved { user_id: u },
            ) => *chat_id == self.chat_id && Some(*actor_id) == self.actor_id && user_id == u,
            (NewEvent::ChatRenamed { chat_id, actor_id, title }, EventData::ChatRenamed { title: t }) => {
                *chat_id == self.chat_id && Some(*actor_id) == self.actor_id && title == t
            }
            (NewEvent::ChatClosed { chat_id }, EventData::ChatClosed { .. }) => *chat_id == self.chat_id,
            _ => false,
        }
    }
}

/// A file uploaded to a chat, as a `message_created` event records it once the message
/// attaches it (and as every view of the message shows it). Its bytes: `GET /api/attachments/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Attachment {
    pub id: i64,
    /// The file name the uploader gave (Unicode, no path).
    pub name: String,
    /// Sniffed from the bytes, not taken from the uploader.
    pub content_type: String,
    /// In bytes.
    pub size: i64,
    /// Of the bytes, in lowercase hex: the download's ETag.
    pub sha256: String,
    /// An image's size in pixels, when it could be read from its header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<i32>,
}

/// Content types a browser shows as an image: attachments of these types (with a size read
/// from their header) make an `image` message.
pub const IMAGE_TYPES: &[&str] = &["image/png", "image/jpeg", "image/gif", "image/webp", "image/avif", "image/bmp"];

impl Attachment {
    /// A message's attachments from a `messages.attachments` column (NULL: none).
    pub fn list_from_row(row: &Row, column: &str) -> Result<Vec<Self>, tokio_postgres::Error> {
        let list: Option<postgres_types::Json<Vec<Self>>> = row.try_get(column)?;
        Ok(list.map(|list| list.0).unwrap_or_default())
    }

    pub fn is_image(&self) -> bool {
        IMAGE_TYPES.contains(&self.content_type.as_str()) && self.width.is_some()
    }
}
