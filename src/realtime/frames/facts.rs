//! What a message's frame needs beyond its event, read in one query per batch.

use std::collections::HashMap;

use time::OffsetDateTime;
use tokio_postgres::GenericClient;

use super::Shown;
use crate::log::{EventData, StoredEvent};
use crate::wire::{Attachment, Hidden, Mention, Purged, ReplyPreview};

/// What a message's frame needs beyond its event: who wrote it and when (for an edit, whose
/// event has neither), the message it answers as it is now, and (for [`Shown::AsNow`]) the
/// message itself as it is now.
pub(super) struct MessageFacts {
    pub(super) sender_id: i64,
    pub(super) created_at: OffsetDateTime,
    /// Its `message_created` event's position.
    pub(super) position: i64,
    pub(super) reply_to: Option<ReplyPreview>,
    /// An edited message's attachments (a new one's are in its event).
    pub(super) attachments: Vec<Attachment>,
    pub(super) content: String,
    pub(super) is_deleted: bool,
    pub(super) edited_at: Option<OffsetDateTime>,
    pub(super) hidden: Option<Hidden>,
    pub(super) purged: Option<Purged>,
    /// Whom it mentions now, named as they are now.
    pub(super) mentions: Vec<Mention>,
}

/// Messages edited, or written as replies or with mentions, in a batch (every message, when shown as it is
/// now): their facts, in one query.
pub(super) async fn message_facts(
    client: &impl GenericClient,
    events: &[StoredEvent],
    shown: Shown,
) -> anyhow::Result<HashMap<i64, MessageFacts>> {
    let ids: Vec<i64> = events
        .iter()
        .filter_map(|e| match e.data {
            EventData::MessageCreated { message_id, reply_to_message_id: Some(_), .. } => Some(message_id),
            EventData::MessageCreated { message_id, .. } if shown == Shown::AsNow => Some(message_id),
            // Whom it mentions, named.
            EventData::MessageCreated { message_id, ref mentions, .. } if !mentions.is_empty() => Some(message_id),
            EventData::MessageEdited { message_id, .. } | EventData::MessageUnhidden { message_id } => Some(message_id),
            _ => None,
        })
        .collect();
    let mut facts = HashMap::new();
    if ids.is_empty() {
        return Ok(facts);
    }
    for row in client.query("SELECT * FROM message_views WHERE id = ANY($1)", &[&ids]).await? {
        let fact = MessageFacts {
            sender_id: row.get("sender_id"),
            created_at: row.get("created_at"),
            position: row.get("position"),
            reply_to: ReplyPreview::from_row(&row)?,
            attachments: Attachment::list_from_row(&row, "attachments")?,
            content: row.get("content"),
            is_deleted: row.get("is_deleted"),
            edited_at: row.get("edited_at"),
            hidden: Hidden::from_row(&row)?,
            purged: Purged::from_row(&row)?,
            mentions: Mention::list_from_row(&row, "mentions")?,
        };
        facts.insert(row.get("id"), fact);
    }
    Ok(facts)
}
