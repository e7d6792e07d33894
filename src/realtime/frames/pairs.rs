//! The frames of a chat of two members opening (a lesson's pair, an inquiry): each sees the
//! other, admins both; and of a pair's teacher handing over to a successor.

use std::collections::HashMap;

use tokio_postgres::GenericClient;

use super::{frame, shared};
use crate::auth::Role;
use crate::log::{ChatOpened, EventData, StoredEvent};
use crate::realtime::hub::{Dispatch, Frames};
use crate::wire::events::{ChatCreated, ChatHandedOverEvent};
use crate::wire::{AdminChat, ChatHeader, ChatSummary, Contact, Person};

/// A chat of two fixed members opened (a lesson pair, an inquiry): each member sees it with the
/// other as `participant`, admins with both; both join it. Whose presence each is shown is the
/// one rule's (`Contact::shown_to`): a guest sees none of the teacher's, and a
/// student's guardians, who get the student's view, none of anyone's.
pub(super) fn pair_opened(
    position: i64,
    chat_id: i64,
    header: ChatHeader,
    a: (i64, Contact),
    b: (i64, Contact),
) -> Dispatch {
    let view = |viewer: Role, other: &Contact| {
        let chat = ChatSummary {
            id: chat_id,
            header: header.clone(),
            participant: Some(other.clone().shown_to(viewer)),
            ward: None,
            ward_only: false,
            last_message: None,
            unread_count: 0,
            last_read_message_id: 0,
            muted: false,
            participant_departed: false,
            archived: false,
        };
        frame(position, "chat_created", &ChatCreated { chat })
    };
    let users = vec![(a.0, view(a.1.person.role, &b.1)), (b.0, view(b.1.person.role, &a.1))];
    let wards = vec![(a.0, view(Role::Guardian, &b.1)), (b.0, view(Role::Guardian, &a.1))];
    let admin_view = AdminChat {
        id: chat_id,
        header,
        participants: vec![a.1.person, b.1.person],
        messages_count: 0,
        last_message_at: None,
    };
    let admins = frame(position, "chat_created", &ChatCreated { chat: admin_view });
    let mut dispatch = Dispatch::new(position, chat_id, Frames::PerUser { users, wards, admins });
    dispatch.joined = vec![a.0, b.0];
    dispatch
}

/// The subjects of each direct chat the batch opens, and the children of each family chat
/// (`chat_headers.subjects`, `children`, by chat id), in one query, and none when it opens
/// none: what a new chat's header says its pair studies, or whom it is about.
pub(super) async fn subjects(
    client: &impl GenericClient,
    events: &[StoredEvent],
) -> anyhow::Result<HashMap<i64, Vec<String>>> {
    let opened: Vec<i64> = events
        .iter()
        .filter(|e| matches!(e.data, EventData::ChatCreated(ChatOpened::Direct { .. } | ChatOpened::Family { .. })))
        .filter_map(|e| e.chat_id)
        .collect();
    if opened.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = client
        .query(
            "SELECT id, CASE kind WHEN 'family' THEN children ELSE subjects END AS said FROM chat_headers
             WHERE id = ANY($1)",
            &[&opened],
        )
        .await?;
    rows.iter().map(|row| Ok((row.try_get("id")?, row.try_get("said")?))).collect()
}

/// A direct chat handed to a successor: the same frame for the student, both teachers, the
/// student's guardians and admins; the successor joins (from the chat's opening, as their
/// history reads it), the departed teacher leaves (nothing of the chat after it). The chat's
/// members change, so the hub leaves its access to the database from now on.
pub(super) fn handed_over(position: i64, chat_id: i64, from: i64, to: Person, actor_id: Option<i64>) -> Dispatch {
    let successor = to.id;
    let event = ChatHandedOverEvent { chat_id, from_teacher_id: from, to_teacher: to, actor_id };
    let mut dispatch = Dispatch::new(position, chat_id, shared(position, "chat_handed_over", &event));
    dispatch.joined = vec![successor];
    dispatch.left = vec![from];
    dispatch.reassigns = true;
    dispatch
}
