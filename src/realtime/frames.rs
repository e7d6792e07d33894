//! Log events as SSE frames: `id: <position>`, the event name, and one line of JSON (JSON
//! escapes CR and LF inside strings, so message text can never forge a field or an event).

use std::collections::HashMap;

use axum::body::Bytes;
use serde::Serialize;
use time::OffsetDateTime;
use tokio_postgres::GenericClient;

use super::hub::{Dispatch, Frames};
use crate::log::{EventData, StoredEvent};
use crate::views::{AdminChat, ChatSummary, Person};

pub fn frame(position: i64, event: &str, data: &impl Serialize) -> Bytes {
    let json = serde_json::to_string(data).unwrap_or_else(|_| "{}".into());
    Bytes::from(format!("id: {position}\nevent: {event}\ndata: {json}\n\n"))
}

#[derive(Serialize)]
struct NewMessage<'a> {
    chat_id: i64,
    message: MessageBody<'a>,
}

#[derive(Serialize)]
struct MessageBody<'a> {
    id: i64,
    sender_id: Option<i64>,
    content: &'a str,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
}

#[derive(Serialize)]
struct MessageDeleted {
    chat_id: i64,
    message_id: i64,
}

#[derive(Serialize)]
struct ChatCreated<T> {
    chat: T,
}

/// Encodes a batch of log events. `chat_created` needs the participants' names, looked up
/// in one query for the whole batch.
pub async fn encode(client: &impl GenericClient, events: &[StoredEvent]) -> anyhow::Result<Vec<Dispatch>> {
    let people: Vec<i64> = events
        .iter()
        .filter_map(|e| match e.data {
            EventData::ChatCreated { student_id, teacher_id } => Some([student_id, teacher_id]),
            _ => None,
        })
        .flatten()
        .collect();
    let mut names: HashMap<i64, Person> = HashMap::new();
    if !people.is_empty() {
        for row in client.query("SELECT id, name, role FROM users WHERE id = ANY($1)", &[&people]).await? {
            names
                .insert(row.get("id"), Person { id: row.get("id"), name: row.get("name"), role: row.try_get("role")? });
        }
    }
    events.iter().map(|event| dispatch(event, &names)).collect()
}

fn dispatch(event: &StoredEvent, names: &HashMap<i64, Person>) -> anyhow::Result<Dispatch> {
    let (position, chat_id) = (event.position, event.chat_id);
    let (joined, frames) = match &event.data {
        EventData::MessageCreated { message_id, content } => {
            let message =
                MessageBody { id: *message_id, sender_id: event.actor_id, content, created_at: event.created_at };
            (vec![], Frames::Shared(frame(position, "new_message", &NewMessage { chat_id, message })))
        }
        EventData::MessageDeleted { message_id } => (
            vec![],
            Frames::Shared(frame(position, "message_deleted", &MessageDeleted { chat_id, message_id: *message_id })),
        ),
        EventData::ChatCreated { student_id, teacher_id } => {
            let person = |id: &i64| {
                names.get(id).cloned().ok_or_else(|| anyhow::anyhow!("user {id} of chat {chat_id} not found"))
            };
            let (student, teacher) = (person(student_id)?, person(teacher_id)?);
            let view = |other: &Person| {
                let chat = ChatSummary { id: chat_id, participant: other.clone(), last_message: None, unread_count: 0 };
                frame(position, "chat_created", &ChatCreated { chat })
            };
            let users = vec![(*student_id, view(&teacher)), (*teacher_id, view(&student))];
            let admin_view = AdminChat {
                id: chat_id,
                participants: vec![student, teacher],
                messages_count: 0,
                last_message_at: None,
            };
            let admins = frame(position, "chat_created", &ChatCreated { chat: admin_view });
            (vec![*student_id, *teacher_id], Frames::PerUser { users, admins })
        }
    };
    Ok(Dispatch { position, chat_id, joined, frames })
}
