//! `message_pinned` and `message_unpinned`: to everyone who reads the message, as an edit is
//! (members who joined after it was written get neither, as history shows them nothing from
//! before they joined), on every replica. A replay shows the pins as they are now: a
//! `message_pinned` whose pin no longer stands (unpinned since, or its message hidden, deleted
//! or purged, which unpins it) is left out; unpins are replayed as they are, and a client that
//! never had the pin drops nothing. So a resumed client ends with exactly the pins that stand.

use std::collections::{HashMap, HashSet};

use tokio_postgres::GenericClient;

use super::{Shown, shared};
use crate::log::{EventData, StoredEvent};
use crate::realtime::hub::Dispatch;
use crate::wire::events::PinEvent;

/// The pin events a batch may show: all of them live; replayed, only the `message_pinned` whose
/// pin stands now (`chat_pins` holds it at that event's position). One query, only for a replay
/// with pins.
pub(super) struct Standing(Option<HashSet<i64>>);

impl Standing {
    pub(super) async fn of(client: &impl GenericClient, events: &[StoredEvent], shown: Shown) -> anyhow::Result<Self> {
        let pinned: Vec<i64> = events
            .iter()
            .filter_map(|e| match e.data {
                EventData::MessagePinned { message_id } => Some(message_id),
                _ => None,
            })
            .collect();
        if shown == Shown::AsAppended || pinned.is_empty() {
            return Ok(Self(None));
        }
        let rows = client.query("SELECT position FROM chat_pins WHERE message_id = ANY($1)", &[&pinned]).await?;
        Ok(Self(Some(rows.iter().map(|r| r.get(0)).collect())))
    }

    /// Whether `event` is shown at all.
    pub(super) fn shows(&self, event: &StoredEvent) -> bool {
        match (&self.0, &event.data) {
            (Some(standing), EventData::MessagePinned { .. }) => standing.contains(&event.position),
            _ => true,
        }
    }
}

/// A pin's or an unpin's dispatch: the same frame for every member who reads the message (from
/// its position on: `about`), its guardians and admins. `owners`: each message's sender and
/// position (`authors::owners`).
pub(super) fn dispatch(
    event: &StoredEvent,
    chat_id: i64,
    owners: &HashMap<i64, (i64, i64)>,
) -> anyhow::Result<Dispatch> {
    let (position, actor_id, at) = (event.position, event.actor_id, event.created_at);
    let (frames, message_id) = match event.data {
        EventData::MessagePinned { message_id } => {
            let pin = PinEvent { chat_id, message_id, actor_id, at };
            (shared(position, "message_pinned", &pin), message_id)
        }
        EventData::MessageUnpinned { message_id } => {
            let unpin = PinEvent { chat_id, message_id, actor_id, at };
            (shared(position, "message_unpinned", &unpin), message_id)
        }
        _ => anyhow::bail!("event {position} is not a pin"),
    };
    let (_, written) =
        owners.get(&message_id).ok_or_else(|| anyhow::anyhow!("pinned message {message_id} not found"))?;
    let mut dispatch = Dispatch::new(position, chat_id, frames);
    dispatch.about = Some(*written);
    Ok(dispatch)
}
