//! One row of the log as the application reads it ([`StoredEvent`]).

use time::OffsetDateTime;
use tokio_postgres::Row;

use super::{EventData, EventType};

/// One row of the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    pub position: i64,
    /// None for an event about a person (suspension, erasure) rather than a chat.
    pub chat_id: Option<i64>,
    pub actor_id: Option<i64>,
    pub created_at: OffsetDateTime,
    pub data: EventData,
}

impl StoredEvent {
    /// Its `type`.
    pub fn kind(&self) -> EventType {
        match &self.data {
            EventData::ChatCreated(_) => EventType::ChatCreated,
            EventData::MessageCreated { .. } => EventType::MessageCreated,
            EventData::MessageDeleted { .. } => EventType::MessageDeleted,
            EventData::MessageEdited { .. } => EventType::MessageEdited,
            EventData::ChatRead { .. } => EventType::ChatRead,
            EventData::ParticipantAdded { .. } => EventType::ParticipantAdded,
            EventData::ParticipantRemoved { .. } => EventType::ParticipantRemoved,
            EventData::ChatRenamed { .. } => EventType::ChatRenamed,
            EventData::ChatClosed { .. } => EventType::ChatClosed,
            EventData::MessageReported { .. } => EventType::MessageReported,
            EventData::MessageHidden { .. } => EventType::MessageHidden,
            EventData::MessageUnhidden { .. } => EventType::MessageUnhidden,
            EventData::MessagesPurged { .. } => EventType::MessagesPurged,
            EventData::ChatExported { .. } => EventType::ChatExported,
            EventData::UserSuspended { .. } => EventType::UserSuspended,
            EventData::UserUnsuspended { .. } => EventType::UserUnsuspended,
            EventData::UserErasureRequested { .. } => EventType::UserErasureRequested,
            EventData::UserErased { .. } => EventType::UserErased,
            EventData::GuardianLinked { .. } => EventType::GuardianLinked,
            EventData::GuardianUnlinked { .. } => EventType::GuardianUnlinked,
            EventData::MessageFlagged { .. } => EventType::MessageFlagged,
            EventData::ReportCleared { .. } => EventType::ReportCleared,
            EventData::ChatMuted => EventType::ChatMuted,
            EventData::ChatUnmuted => EventType::ChatUnmuted,
            EventData::ChatArchived => EventType::ChatArchived,
            EventData::ChatUnarchived => EventType::ChatUnarchived,
            EventData::ClosureRequested { .. } => EventType::ClosureRequested,
            EventData::ClosureDeclined { .. } => EventType::ClosureDeclined,
            EventData::ReactionAdded { .. } => EventType::ReactionAdded,
            EventData::ReactionRemoved { .. } => EventType::ReactionRemoved,
            EventData::MessagePinned { .. } => EventType::MessagePinned,
            EventData::MessageUnpinned { .. } => EventType::MessageUnpinned,
            EventData::UserProvisioned(_) => EventType::UserProvisioned,
            EventData::UserChanged(_) => EventType::UserChanged,
            EventData::UserDeactivated(_) => EventType::UserDeactivated,
            EventData::UserReactivated(_) => EventType::UserReactivated,
            EventData::ChatHandedOver { .. } => EventType::ChatHandedOver,
            EventData::SchoolSettingsChanged(_) => EventType::SchoolSettingsChanged,
        }
    }

    /// Decodes a row of the log's columns as `store`'s statements return them (position,
    /// chat_id, actor_id, type, payload, created_at).
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
}
