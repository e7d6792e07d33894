//! Reactions' frames: `reaction_added` and `reaction_removed` reach whom the message's edits
//! reach (its chat's members who joined at or before it, admins, a direct chat's guardians),
//! every replica's alike. A resumed stream replays them as they are now: the log's replay
//! leaves out those of a message hidden, deleted or purged since (`log::store`'s replay
//! statements), as history shows it none.

use std::collections::HashMap;

use super::shared;
use crate::log::{EventData, StoredEvent};
use crate::realtime::hub::Dispatch;
use crate::wire::events::ReactionEvent;

/// A reaction's frame for everyone who sees its message: `owners` holds the message's sender
/// and position (its `message_created`), members who joined after it get nothing.
pub(super) fn reaction(event: &StoredEvent, owners: &HashMap<i64, (i64, i64)>) -> anyhow::Result<Dispatch> {
    let position = event.position;
    let (added, message_id, emoji) = match &event.data {
        EventData::ReactionAdded { message_id, emoji } => (true, *message_id, emoji),
        EventData::ReactionRemoved { message_id, emoji } => (false, *message_id, emoji),
        _ => anyhow::bail!("event {position} is not a reaction"),
    };
    let chat_id = event.chat_id.ok_or_else(|| anyhow::anyhow!("reaction {position} has no chat"))?;
    let user_id = event.actor_id.ok_or_else(|| anyhow::anyhow!("reaction {position} has no actor"))?;
    let (_, about) =
        owners.get(&message_id).ok_or_else(|| anyhow::anyhow!("the message {message_id} of reaction {position}"))?;
    let data = ReactionEvent { chat_id, message_id, emoji, user_id };
    let frames =
        if added { shared(position, "reaction_added", &data) } else { shared(position, "reaction_removed", &data) };
    let mut dispatch = Dispatch::new(position, chat_id, frames);
    dispatch.about = Some(*about);
    Ok(dispatch)
}

/// The reacted message as a group's guardian sees it (see `Dispatch::messages`): a child's
/// reaction to their own message; nobody else's (it would name another member).
pub(super) fn about_own_message(event: &StoredEvent, owners: &HashMap<i64, (i64, i64)>) -> Vec<(i64, i64)> {
    match &event.data {
        EventData::ReactionAdded { message_id, .. } | EventData::ReactionRemoved { message_id, .. } => {
            owners.get(message_id).filter(|(sender, _)| event.actor_id == Some(*sender)).copied().into_iter().collect()
        }
        _ => Vec::new(),
    }
}
