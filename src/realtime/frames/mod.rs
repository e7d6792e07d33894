//! Log events as SSE frames: `id: <position>`, the event name, and one line of JSON (JSON
//! escapes CR and LF inside strings, so message text can never forge a field or an event).

use std::collections::{HashMap, HashSet};

use axum::body::Bytes;
use serde::Serialize;
use tokio_postgres::GenericClient;

use super::hub::{Dispatch, Frames};
use crate::log::{ChatOpened, EventData, Recipients, StoredEvent};
use crate::wire::events::ChatCreated;
pub use crate::wire::events::{
    ChatClosedEvent, ChatCreatedEvent, ChatExportedEvent, ChatRenamedEvent, ChatSettingEvent, ClosureRequestEvent,
    GuardianEvent, MessageBody, MessageDeletedEvent, MessageEvent, MessageHiddenEvent, MessageReportedEvent,
    MessagesPurgedEvent, MessagesReadEvent, ParticipantAddedEvent, ParticipantRemovedEvent, PersonProvisionedEvent,
    PinEvent, ReactionEvent, ReportClearedEvent, ResetEvent, SchoolSettingsEvent, UserActivityEvent, UserEvent,
    UserSuspendedEvent,
};
use crate::wire::{
    AdminChat, ChatHeader, ChatKind, ClosureRequestView, Contact, MessageType, Person, Presences, ReportView,
};

mod authors;
mod facts;
mod governance;
mod messages;
mod pairs;
mod pins;
mod reactions;

use authors::{about_messages, owners, purged_by_author};
use facts::{MessageFacts, message_facts};
use messages::message_dispatch;
use pairs::pair_opened;

/// A log event's frame, with its position as the `id:`.
pub fn frame(position: i64, event: &str, data: &impl Serialize) -> Bytes {
    encode_frame(Some(position), event, data)
}

/// An ephemeral signal's frame: no `id:`, so it never moves a client's `Last-Event-ID`.
pub fn signal_frame(event: &str, data: &impl Serialize) -> Bytes {
    encode_frame(None, event, data)
}

fn encode_frame(id: Option<i64>, event: &str, data: &impl Serialize) -> Bytes {
    let json = serde_json::to_string(data).unwrap_or_else(|_| "{}".into());
    let id = id.map(|p| format!("id: {p}\n")).unwrap_or_default();
    Bytes::from(format!("{id}event: {event}\ndata: {json}\n\n"))
}

/// How a message's events are shown. Live, an event is encoded moments after it was appended:
/// as it was appended. A replay (a stream that resumes) shows every message **as it is now**,
/// in its events' positions and order: a deleted message without its text or files, an edited
/// one with its current text. So what a client missed never brings back what its author took
/// away, and the events themselves (positions, types, order) are exactly the log's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    AsAppended,
    AsNow,
}

/// Encodes a batch of log events. `chat_created`, `participant_added` and `chat_handed_over`
/// need the people's names, an edit its message's author and time, a reply the message it
/// quotes: each looked up in one query for the whole batch, and only when the batch has such
/// events. `presence`: the primary's pool when `client` is a standby's (see [`Presences`]);
/// `None` when `client` can read presence itself. `shown`: see [`Shown`].
pub async fn encode(
    client: &impl GenericClient,
    events: &[StoredEvent],
    presence: Option<&deadpool_postgres::Pool>,
    shown: Shown,
) -> anyhow::Result<Vec<Dispatch>> {
    let people: Vec<i64> = events
        .iter()
        .flat_map(|e| match e.data {
            EventData::ChatCreated(ChatOpened::Direct { student_id, teacher_id }) => vec![student_id, teacher_id],
            EventData::ChatCreated(ChatOpened::Inquiry { host_id, guest_id, .. }) => vec![host_id, guest_id],
            EventData::ChatCreated(ChatOpened::Family { guardian_id, teacher_id }) => vec![guardian_id, teacher_id],
            EventData::ParticipantAdded { user_id, .. } => vec![user_id],
            EventData::ChatHandedOver { to_teacher_id, .. } => vec![to_teacher_id],
            _ => vec![],
        })
        .collect();
    let mut names: HashMap<i64, Contact> = HashMap::new();
    // The students among them a guardian reads now (a new direct chat's header says so).
    let mut guarded: HashSet<i64> = HashSet::new();
    if !people.is_empty() {
        let rows = client
            .query(
                "SELECT id, name, role, EXISTS (SELECT 1 FROM guardian_links g
                                                WHERE g.student_id = u.id AND g.to_position IS NULL) AS guarded
                 FROM users u WHERE id = ANY($1)",
                &[&people],
            )
            .await?;
        let presences = match presence {
            Some(primary) => Presences::of_pooled(&*primary.get().await?, &people).await?,
            None => Presences::of(client, &people).await?,
        };
        for row in rows {
            if row.get("guarded") {
                guarded.insert(row.get("id"));
            }
            let contact =
                presences.contact(Person { id: row.get("id"), name: row.get("name"), role: row.try_get("role")? });
            names.insert(contact.person.id, contact);
        }
    }
    let facts = message_facts(client, events, shown).await?;
    let owners = owners(client, events).await?;
    let reports = governance::reports(client, events).await?;
    let closures = governance::closure_requests(client, events).await?;
    let standing = pins::Standing::of(client, events, shown).await?;
    let subjects = pairs::subjects(client, events).await?;
    let looked_up = LookedUp {
        names: &names,
        guarded: &guarded,
        subjects: &subjects,
        facts: &facts,
        reports: &reports,
        closures: &closures,
        owners: &owners,
    };
    events
        .iter()
        .filter(|event| standing.shows(event))
        .map(|event| {
            let mut dispatch = dispatch(event, &looked_up, shown)?;
            dispatch.messages = about_messages(event, &owners);
            dispatch.by_author = purged_by_author(event, &owners)?;
            Ok(dispatch)
        })
        .collect()
}

/// The same frame for every member and admin.
fn shared(position: i64, event: &str, data: &impl Serialize) -> Frames {
    Frames::Shared(frame(position, event, data))
}

/// What [`encode`] looked up for a batch, in one query each.
struct LookedUp<'a> {
    names: &'a HashMap<i64, Contact>,
    guarded: &'a HashSet<i64>,
    /// A new direct chat's subjects, by chat id (`pairs::subjects`).
    subjects: &'a HashMap<i64, Vec<String>>,
    facts: &'a HashMap<i64, MessageFacts>,
    reports: &'a HashMap<i64, ReportView>,
    closures: &'a HashMap<i64, ClosureRequestView>,
    /// Each message's sender and position, for the events about one (`authors::owners`).
    owners: &'a HashMap<i64, (i64, i64)>,
}

fn dispatch(event: &StoredEvent, looked_up: &LookedUp<'_>, shown: Shown) -> anyhow::Result<Dispatch> {
    let LookedUp { names, guarded, subjects, facts, reports, closures, owners } = *looked_up;
    let (position, actor_id) = (event.position, event.actor_id);
    let Some(chat_id) = event.chat_id else {
        return governance::about_person(event);
    };
    let person =
        |id: &i64| names.get(id).cloned().ok_or_else(|| anyhow::anyhow!("user {id} of chat {chat_id} not found"));
    let mut dispatch = match &event.data {
        EventData::MessageCreated { message_id, content, reply_to_message_id, attachments, mentions, .. } => {
            let fact = facts.get(message_id);
            let reply_to = match reply_to_message_id {
                None => None,
                Some(_) => fact.and_then(|f| f.reply_to.clone()),
            };
            let now = fact.filter(|_| shown == Shown::AsNow);
            let (content, attachments) = match now {
                Some(now) if now.is_deleted || now.purged.is_some() => ("", &[][..]),
                Some(now) => (now.content.as_str(), &attachments[..]),
                None => (content.as_str(), &attachments[..]),
            };
            let edited_at = now.filter(|now| !now.is_deleted).and_then(|now| now.edited_at);
            // Named as they are now; as appended, only when the text mentioned someone.
            let mentions = match (now, fact) {
                (Some(now), _) if now.is_deleted || now.purged.is_some() => &[][..],
                (Some(now), _) => &now.mentions[..],
                (None, Some(fact)) if !mentions.is_empty() => &fact.mentions[..],
                (None, _) => &[][..],
            };
            let message = MessageBody {
                id: *message_id,
                sender_id: actor_id,
                content,
                created_at: event.created_at,
                is_edited: edited_at.is_some(),
                edited_at,
                reply_to,
                kind: MessageType::of(attachments),
                attachments,
                hidden: now.and_then(|now| now.hidden.clone()),
                purged: now.and_then(|now| now.purged),
                mentions,
            };
            message_dispatch(position, chat_id, "new_message", message)
        }
        EventData::MessageEdited { message_id, content, mentions } => {
            let fact = facts.get(message_id).ok_or_else(|| anyhow::anyhow!("edited message {message_id} not found"))?;
            let (content, attachments, edited_at, mentions) = match shown {
                _ if fact.purged.is_some() => ("", &[][..], event.created_at, &[][..]),
                Shown::AsNow if fact.is_deleted => ("", &[][..], event.created_at, &[][..]),
                Shown::AsNow => (
                    fact.content.as_str(),
                    &fact.attachments[..],
                    fact.edited_at.unwrap_or(event.created_at),
                    &fact.mentions[..],
                ),
                // The edit's own mentions (none: it took them away), named as they are now.
                Shown::AsAppended => {
                    let named = if mentions.is_empty() { &[][..] } else { &fact.mentions[..] };
                    (content.as_str(), &fact.attachments[..], event.created_at, named)
                }
            };
            let message = MessageBody {
                id: *message_id,
                sender_id: Some(fact.sender_id),
                content,
                created_at: fact.created_at,
                is_edited: true,
                edited_at: Some(edited_at),
                reply_to: fact.reply_to.clone(),
                kind: MessageType::of(attachments),
                attachments,
                // Live too: an edit must not show a message hidden since to its members.
                hidden: fact.hidden.clone(),
                purged: fact.purged,
                mentions,
            };
            let mut dispatch = message_dispatch(position, chat_id, "message_edited", message);
            dispatch.about = Some(fact.position);
            dispatch
        }
        EventData::MessageUnhidden { message_id } => {
            let fact =
                facts.get(message_id).ok_or_else(|| anyhow::anyhow!("unhidden message {message_id} not found"))?;
            governance::unhidden(position, chat_id, *message_id, fact)?
        }
        EventData::MessageHidden { message_id, reason } => {
            governance::hidden(position, chat_id, *message_id, actor_id, reason, event.created_at)?
        }
        EventData::MessagesPurged { message_ids, cause, .. } => {
            governance::purged(position, chat_id, message_ids, *cause, event.created_at)?
        }
        EventData::MessageReported { .. } => governance::reported(position, chat_id, reports.get(&position))?,
        EventData::MessageFlagged { .. } => governance::flagged(position, chat_id, reports.get(&position))?,
        EventData::ReportCleared { report_id } => governance::cleared(position, chat_id, *report_id, actor_id)?,
        EventData::ClosureRequested { .. } => governance::closure(position, chat_id, false, closures.get(&position))?,
        EventData::ClosureDeclined { request_id, .. } => {
            governance::closure(position, chat_id, true, closures.get(request_id))?
        }
        EventData::ChatExported { format, at } => governance::exported(position, chat_id, actor_id, format, *at)?,
        EventData::UserSuspended { .. }
        | EventData::UserUnsuspended { .. }
        | EventData::UserErasureRequested { .. }
        | EventData::UserErased { .. }
        | EventData::GuardianLinked { .. }
        | EventData::GuardianUnlinked { .. }
        | EventData::UserProvisioned(_)
        | EventData::UserChanged(_)
        | EventData::UserDeactivated(_)
        | EventData::UserReactivated(_) => {
            anyhow::bail!("event {position} is about a person but names chat {chat_id}")
        }
        EventData::SchoolSettingsChanged(_) => {
            anyhow::bail!("event {position} is about the school but names chat {chat_id}")
        }
        EventData::ReactionAdded { .. } | EventData::ReactionRemoved { .. } => reactions::reaction(event, owners)?,
        EventData::ChatMuted | EventData::ChatUnmuted | EventData::ChatArchived | EventData::ChatUnarchived => {
            governance::own_setting(position, chat_id, actor_id, &event.data)?
        }
        EventData::MessagePinned { .. } | EventData::MessageUnpinned { .. } => pins::dispatch(event, chat_id, owners)?,
        EventData::ChatRead { up_to_message_id, message_ids } => {
            let read = MessagesReadEvent {
                chat_id,
                user_id: actor_id,
                up_to_message_id: *up_to_message_id,
                message_ids: message_ids.clone(),
                read_at: event.created_at,
            };
            Dispatch::new(position, chat_id, shared(position, "messages_read", &read))
        }
        EventData::MessageDeleted { message_id } => Dispatch::new(
            position,
            chat_id,
            shared(position, "message_deleted", &MessageDeletedEvent { chat_id, message_id: *message_id }),
        ),
        EventData::ChatCreated(ChatOpened::Direct { student_id, teacher_id }) => {
            let header = ChatHeader {
                guardians_read: guarded.contains(student_id),
                subjects: subjects.get(&chat_id).cloned().unwrap_or_default(),
                ..ChatHeader::new_direct(event.created_at)
            };
            pair_opened(
                position,
                chat_id,
                header,
                (*student_id, person(student_id)?),
                (*teacher_id, person(teacher_id)?),
            )
        }
        EventData::ChatCreated(ChatOpened::Inquiry { title, context, host_id, guest_id, .. }) => {
            let header = ChatHeader {
                kind: ChatKind::Inquiry,
                title: Some(title.clone()),
                context: context.clone(),
                created_by: actor_id,
                ..ChatHeader::new_direct(event.created_at)
            };
            // The guest's view of the host carries no presence: guests see nobody's.
            let mut dispatch =
                pair_opened(position, chat_id, header, (*host_id, person(host_id)?), (*guest_id, person(guest_id)?));
            dispatch.opens_checked = true; // it closes: its access is the database's to answer
            dispatch
        }
        EventData::ChatCreated(ChatOpened::Family { guardian_id, teacher_id }) => {
            let header = ChatHeader {
                kind: ChatKind::Family,
                children: subjects.get(&chat_id).cloned().unwrap_or_default(),
                ..ChatHeader::new_direct(event.created_at)
            };
            let mut dispatch = pair_opened(
                position,
                chat_id,
                header,
                (*guardian_id, person(guardian_id)?),
                (*teacher_id, person(teacher_id)?),
            );
            dispatch.opens_checked = true; // it ends with the link: its access is the database's to answer
            dispatch
        }
        EventData::ChatCreated(ChatOpened::Group { title, context, announcement, audience, recipients }) => {
            // Nobody is a member yet: admins see it open; members learn of it as they join.
            let header = ChatHeader {
                kind: ChatKind::Group,
                title: Some(title.clone()),
                context: context.clone(),
                created_by: actor_id,
                participants_count: 0,
                announcement: *announcement,
                audience: *audience,
                recipients: announcement.then(|| recipients.unwrap_or(Recipients::Students)),
                ..ChatHeader::new_direct(event.created_at)
            };
            let admin_view =
                AdminChat { id: chat_id, header, participants: vec![], messages_count: 0, last_message_at: None };
            let admins = frame(position, "chat_created", &ChatCreated { chat: admin_view });
            let mut dispatch =
                Dispatch::new(position, chat_id, Frames::PerUser { users: vec![], wards: vec![], admins });
            (dispatch.opens_checked, dispatch.opens_group) = (true, true);
            dispatch
        }
        EventData::ParticipantAdded { user_id, .. } => {
            let user = person(user_id)?.person;
            let mut dispatch = Dispatch::new(
                position,
                chat_id,
                shared(position, "participant_added", &ParticipantAddedEvent { chat_id, user, actor_id }),
            );
            dispatch.joined = vec![*user_id];
            dispatch
        }
        EventData::ChatHandedOver { from_teacher_id, to_teacher_id, .. } => {
            pairs::handed_over(position, chat_id, *from_teacher_id, person(to_teacher_id)?.person, actor_id)
        }
        EventData::ParticipantRemoved { user_id } => {
            let removed = ParticipantRemovedEvent { chat_id, user_id: *user_id, actor_id };
            let mut dispatch = Dispatch::new(position, chat_id, shared(position, "participant_removed", &removed));
            dispatch.left = vec![*user_id];
            dispatch
        }
        EventData::ChatClosed { reason, request_id } => {
            let closed = ChatClosedEvent {
                chat_id,
                closed_at: event.created_at,
                reason: reason.clone(),
                actor_id,
                request_id: *request_id,
            };
            let mut dispatch = Dispatch::new(position, chat_id, shared(position, "chat_closed", &closed));
            dispatch.ends_guests = true;
            dispatch.closes = true;
            dispatch
        }
        EventData::ChatRenamed { title } => Dispatch::new(
            position,
            chat_id,
            shared(position, "chat_renamed", &ChatRenamedEvent { chat_id, title: title.clone(), actor_id }),
        ),
    };
    dispatch.names = authors::named(event);
    if let EventData::ChatCreated(ChatOpened::Group { announcement: true, .. }) = &event.data {
        dispatch.announced_by = actor_id;
    }
    Ok(dispatch)
}
