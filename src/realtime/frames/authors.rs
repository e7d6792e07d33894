//! Whose messages each event is about, for a guardian's reading of their child's groups
//! (`GUARDIAN_GROUPS=own_messages`): the hub and the replay send a group's event to a member's
//! guardians only when it is about that member's own messages (`Dispatch::messages`), and a purge
//! of several members' messages as it shows the child's alone (`Dispatch::by_author`).

use std::collections::HashMap;

use axum::body::Bytes;
use tokio_postgres::GenericClient;

use super::governance;
use crate::log::{EventData, StoredEvent};

/// Who wrote each message the batch's changes are about (edits, deletions, hidings, purges,
/// showings again, reactions, pins), and where it was written: (sender, position of its `message_created`).
/// A group's guardians get only the events about their own child's messages (see
/// `Dispatch::messages`). One query, only when the batch has such events.
pub(super) async fn owners(
    client: &impl GenericClient,
    events: &[StoredEvent],
) -> anyhow::Result<HashMap<i64, (i64, i64)>> {
    let ids: Vec<i64> = events
        .iter()
        .flat_map(|e| match &e.data {
            EventData::MessageEdited { message_id, .. }
            | EventData::MessageDeleted { message_id }
            | EventData::MessageHidden { message_id, .. }
            | EventData::MessageUnhidden { message_id }
            | EventData::ReactionAdded { message_id, .. }
            | EventData::ReactionRemoved { message_id, .. } => vec![*message_id],
            EventData::MessagePinned { message_id } | EventData::MessageUnpinned { message_id } => vec![*message_id],
            EventData::MessagesPurged { message_ids, .. } => message_ids.clone(),
            _ => vec![],
        })
        .collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = client.query("SELECT id, sender_id, position FROM messages WHERE id = ANY($1)", &[&ids]).await?;
    Ok(rows.iter().map(|r| (r.get("id"), (r.get("sender_id"), r.get("position")))).collect())
}

/// A purge of several people's messages as each of them would show it alone: see
/// `Dispatch::by_author` (none for another event, or for one author's messages).
pub(super) fn purged_by_author(
    event: &StoredEvent,
    owners: &HashMap<i64, (i64, i64)>,
) -> anyhow::Result<Vec<(i64, Bytes)>> {
    let (Some(chat_id), EventData::MessagesPurged { message_ids, cause, .. }) = (event.chat_id, &event.data) else {
        return Ok(Vec::new());
    };
    let mut authors: Vec<i64> = message_ids.iter().filter_map(|id| owners.get(id)).map(|(sender, _)| *sender).collect();
    authors.sort_unstable();
    authors.dedup();
    if authors.len() < 2 {
        return Ok(Vec::new());
    }
    let mut frames = Vec::with_capacity(authors.len());
    for author in authors {
        let own: Vec<i64> = message_ids
            .iter()
            .filter(|id| owners.get(id).is_some_and(|(sender, _)| *sender == author))
            .copied()
            .collect();
        let alone = governance::purged(event.position, chat_id, &own, *cause, event.created_at)?;
        if let Some(bytes) = alone.frames.for_admins() {
            frames.push((author, bytes.clone()));
        }
    }
    Ok(frames)
}

/// The messages `event` is about, each as (sender, position): see `Dispatch::messages`.
pub(super) fn about_messages(event: &StoredEvent, owners: &HashMap<i64, (i64, i64)>) -> Vec<(i64, i64)> {
    match &event.data {
        EventData::MessageCreated { .. } => event.actor_id.map(|sender| (sender, event.position)).into_iter().collect(),
        EventData::MessageEdited { message_id, .. }
        | EventData::MessageDeleted { message_id }
        | EventData::MessageHidden { message_id, .. }
        | EventData::MessageUnhidden { message_id }
        | EventData::MessagePinned { message_id }
        | EventData::MessageUnpinned { message_id } => owners.get(message_id).copied().into_iter().collect(),
        EventData::MessagesPurged { message_ids, .. } => {
            message_ids.iter().filter_map(|id| owners.get(id)).copied().collect()
        }
        EventData::ReactionAdded { .. } | EventData::ReactionRemoved { .. } => {
            super::reactions::about_own_message(event, owners)
        }
        _ => Vec::new(),
    }
}

/// The member an event names (who joined, left, read or reacted), if any: in an announcement,
/// only its owner and that member get it (`Dispatch::names`), as the replay's statement keeps
/// such events of another member from a listener.
pub(super) fn named(event: &StoredEvent) -> Option<i64> {
    match &event.data {
        EventData::ParticipantAdded { user_id, .. } | EventData::ParticipantRemoved { user_id } => Some(*user_id),
        EventData::ChatRead { .. } | EventData::ReactionAdded { .. } | EventData::ReactionRemoved { .. } => {
            event.actor_id
        }
        _ => None,
    }
}
