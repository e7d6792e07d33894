//! The frames of moderation, purges, exports and the events about a person. Who gets what:
//! a hidden message's members learn only that it was hidden, admins also by whom and why; a
//! purge reaches everyone (the content is gone for all); reports and exports reach admins
//! only; a suspension reaches admins and the person, whose streams then end (they reconnect
//! and read; `GET /api/me` says they are suspended); a person's own setting of a chat (muted,
//! archived) reaches their own streams only.

use std::collections::HashMap;

use time::OffsetDateTime;
use tokio_postgres::GenericClient;

use super::{MessageBody, MessageFacts, frame, message_dispatch, shared};
use crate::log::{EventData, PurgeCause, StoredEvent};
use crate::realtime::hub::{Dispatch, Frames, GuardianLink, ToPerson};
use crate::wire::events::{
    ChatExportedEvent, ChatSettingEvent, ClosureRequestEvent, GuardianEvent, MessageHiddenEvent, MessageReportedEvent,
    MessagesPurgedEvent, PersonProvisionedEvent, ReportClearedEvent, SchoolSettingsEvent, UserActivityEvent, UserEvent,
    UserSuspendedEvent,
};
use crate::wire::{ClosureRequestView, ClosureRequests, Hidden, MessageType, Purged, ReportView};

/// The reports a batch's `message_reported` events made, by position (their id), in one query
/// and only when the batch has some.
pub(super) async fn reports(
    client: &impl GenericClient,
    events: &[StoredEvent],
) -> anyhow::Result<HashMap<i64, ReportView>> {
    let ids: Vec<i64> = events
        .iter()
        .filter(|e| matches!(e.data, EventData::MessageReported { .. } | EventData::MessageFlagged { .. }))
        .map(|e| e.position)
        .collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(ReportView::load(client, &ids).await?.into_iter().map(|r| (r.id, r)).collect())
}

pub(super) fn hidden(
    position: i64,
    chat_id: i64,
    message_id: i64,
    admin: Option<i64>,
    reason: &str,
    at: OffsetDateTime,
) -> anyhow::Result<Dispatch> {
    let hidden = Hidden { hidden_at: at, hidden_by: admin, reason: Some(reason.to_owned()) };
    let members = MessageHiddenEvent { chat_id, message_id, hidden: hidden.for_participants() };
    let admins = MessageHiddenEvent { chat_id, message_id, hidden };
    Ok(Dispatch::new(
        position,
        chat_id,
        Frames::Split {
            members: Some(frame(position, "message_hidden", &members)),
            admins: frame(position, "message_hidden", &admins),
        },
    ))
}

/// The message back, as it is now (hidden again since, it stays a placeholder for members).
pub(super) fn unhidden(position: i64, chat_id: i64, message_id: i64, fact: &MessageFacts) -> anyhow::Result<Dispatch> {
    let gone = fact.is_deleted || fact.purged.is_some();
    let attachments = if gone { &[][..] } else { &fact.attachments[..] };
    let message = MessageBody {
        id: message_id,
        sender_id: Some(fact.sender_id),
        content: if gone { "" } else { fact.content.as_str() },
        created_at: fact.created_at,
        is_edited: fact.edited_at.is_some(),
        edited_at: fact.edited_at,
        reply_to: fact.reply_to.clone(),
        kind: MessageType::of(attachments),
        attachments,
        hidden: fact.hidden.clone(),
        purged: fact.purged,
        mentions: if gone { &[] } else { &fact.mentions },
    };
    let mut dispatch = message_dispatch(position, chat_id, "message_unhidden", message);
    dispatch.about = Some(fact.position);
    Ok(dispatch)
}

pub(super) fn purged(
    position: i64,
    chat_id: i64,
    message_ids: &[i64],
    cause: PurgeCause,
    at: OffsetDateTime,
) -> anyhow::Result<Dispatch> {
    let purged =
        MessagesPurgedEvent { chat_id, message_ids: message_ids.to_vec(), purged: Purged { purged_at: at, cause } };
    Ok(Dispatch::new(position, chat_id, shared(position, "messages_purged", &purged)))
}

/// For admins only. Reports are never deleted (a purge blanks only an erased reporter's
/// reason), so the event's report is always there to show.
pub(super) fn reported(position: i64, chat_id: i64, report: Option<&ReportView>) -> anyhow::Result<Dispatch> {
    let report = report.ok_or_else(|| anyhow::anyhow!("report {position} not found"))?;
    let admins = frame(position, "message_reported", &MessageReportedEvent { report: report.clone() });
    Ok(Dispatch::new(position, chat_id, Frames::Split { members: None, admins }))
}

/// For admins only: a flag shows as a report without a reporter.
pub(super) fn flagged(position: i64, chat_id: i64, report: Option<&ReportView>) -> anyhow::Result<Dispatch> {
    let report = report.ok_or_else(|| anyhow::anyhow!("flag {position} not found"))?;
    let admins = frame(position, "message_flagged", &MessageReportedEvent { report: report.clone() });
    Ok(Dispatch::new(position, chat_id, Frames::Split { members: None, admins }))
}

/// The closure requests a batch's `closure_requested` and `closure_declined` events are about,
/// by id, as they are now, in one query and only when the batch has some.
pub(super) async fn closure_requests(
    client: &impl GenericClient,
    events: &[StoredEvent],
) -> anyhow::Result<HashMap<i64, ClosureRequestView>> {
    let ids: Vec<i64> = events
        .iter()
        .filter_map(|e| match e.data {
            EventData::ClosureRequested { .. } => Some(e.position),
            EventData::ClosureDeclined { request_id, .. } => Some(request_id),
            _ => None,
        })
        .collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let limit = ids.len() as i64;
    let views = ClosureRequestView::load(client, ClosureRequests::Ids(&ids), limit).await?;
    Ok(views.into_iter().map(|r| (r.id, r)).collect())
}

/// For admins and the guardian who asked: never the chat's participants (nor its other
/// guardians), who see only a closing.
pub(super) fn closure(
    position: i64,
    chat_id: i64,
    declined: bool,
    request: Option<&ClosureRequestView>,
) -> anyhow::Result<Dispatch> {
    let request = request.ok_or_else(|| anyhow::anyhow!("closure request of event {position} not found"))?;
    let data = ClosureRequestEvent { request: request.clone() };
    let bytes =
        if declined { frame(position, "closure_declined", &data) } else { frame(position, "closure_requested", &data) };
    let mut dispatch = Dispatch::new(position, chat_id, Frames::Split { members: None, admins: bytes.clone() });
    dispatch.person = Some(ToPerson { user_id: request.requested_by.id, frame: Some(bytes), ends_streams: false });
    Ok(dispatch)
}

/// For admins only.
pub(super) fn cleared(position: i64, chat_id: i64, report_id: i64, admin: Option<i64>) -> anyhow::Result<Dispatch> {
    let admins = frame(position, "report_cleared", &ReportClearedEvent { chat_id, report_id, actor_id: admin });
    Ok(Dispatch::new(position, chat_id, Frames::Split { members: None, admins }))
}

pub(super) fn exported(
    position: i64,
    chat_id: i64,
    actor_id: Option<i64>,
    format: &str,
    at: OffsetDateTime,
) -> anyhow::Result<Dispatch> {
    let exported = ChatExportedEvent { chat_id, actor_id, format: format.to_owned(), at };
    Ok(Dispatch::new(
        position,
        chat_id,
        Frames::Split { members: None, admins: frame(position, "chat_exported", &exported) },
    ))
}

/// A person's own setting of a chat: their streams, every tab on every replica, get it; nobody
/// else's (no other member, no admin, no guardian of theirs).
pub(super) fn own_setting(
    position: i64,
    chat_id: i64,
    actor_id: Option<i64>,
    data: &EventData,
) -> anyhow::Result<Dispatch> {
    let user = actor_id.ok_or_else(|| anyhow::anyhow!("chat setting {position} has no actor"))?;
    let setting = ChatSettingEvent { chat_id };
    let bytes = match data {
        EventData::ChatMuted => frame(position, "chat_muted", &setting),
        EventData::ChatUnmuted => frame(position, "chat_unmuted", &setting),
        EventData::ChatArchived => frame(position, "chat_archived", &setting),
        EventData::ChatUnarchived => frame(position, "chat_unarchived", &setting),
        _ => anyhow::bail!("event {position} is not a chat setting"),
    };
    Ok(Dispatch::new(position, chat_id, Frames::Own { user, bytes }))
}

/// An event about a person: to admins, and what it does to the person's own streams.
pub(super) fn about_person(event: &StoredEvent) -> anyhow::Result<Dispatch> {
    let position = event.position;
    let (admins, person) = match &event.data {
        EventData::UserSuspended { user_id, reason, until } => {
            let suspended = UserSuspendedEvent { user_id: *user_id, until: *until, reason: reason.clone() };
            let bytes = frame(position, "user_suspended", &suspended);
            (bytes.clone(), ToPerson { user_id: *user_id, frame: Some(bytes), ends_streams: true })
        }
        EventData::UserUnsuspended { user_id } => {
            let bytes = frame(position, "user_unsuspended", &UserEvent { user_id: *user_id });
            (bytes.clone(), ToPerson { user_id: *user_id, frame: Some(bytes), ends_streams: false })
        }
        EventData::UserErasureRequested { user_id, .. } => {
            let bytes = frame(position, "user_erasure_requested", &UserEvent { user_id: *user_id });
            (bytes, ToPerson { user_id: *user_id, frame: None, ends_streams: true })
        }
        EventData::UserErased { user_id } => {
            let bytes = frame(position, "user_erased", &UserEvent { user_id: *user_id });
            (bytes, ToPerson { user_id: *user_id, frame: None, ends_streams: true })
        }
        EventData::GuardianLinked { guardian_id, student_id }
        | EventData::GuardianUnlinked { guardian_id, student_id } => {
            let linked = matches!(event.data, EventData::GuardianLinked { .. });
            let data = GuardianEvent { guardian_id: *guardian_id, student_id: *student_id };
            let bytes = match linked {
                true => frame(position, "guardian_linked", &data),
                false => frame(position, "guardian_unlinked", &data),
            };
            // An ended link ends the guardian's streams: the next one (and history) no longer
            // has the child's chats.
            let person = ToPerson { user_id: *guardian_id, frame: Some(bytes.clone()), ends_streams: !linked };
            let mut dispatch =
                Dispatch::about_person(position, Frames::Split { members: None, admins: bytes }, Some(person));
            dispatch.guardian = Some(GuardianLink { guardian: *guardian_id, student: *student_id, linked });
            return Ok(dispatch);
        }
        EventData::UserProvisioned(p) => {
            let provisioned = PersonProvisionedEvent {
                user_id: p.user_id,
                changed: vec!["external_id", "user_name", "name", "email", "role"],
                external_id: p.external_id.as_deref(),
                user_name: p.user_name.as_deref(),
                name: Some(&p.name),
                email: Some(&p.email),
                role: Some(&p.role),
                client: p.client.as_deref(),
            };
            let admins = frame(position, "user_provisioned", &provisioned);
            return Ok(Dispatch::about_person(position, Frames::Split { members: None, admins }, None));
        }
        EventData::UserChanged(c) => {
            let changed = [
                ("external_id", c.external_id.is_some()),
                ("user_name", c.user_name.is_some()),
                ("name", c.name.is_some()),
                ("email", c.email.is_some()),
                ("role", c.role.is_some()),
            ];
            let data = PersonProvisionedEvent {
                user_id: c.user_id,
                changed: changed.iter().filter(|(_, set)| *set).map(|(name, _)| *name).collect(),
                external_id: c.external_id.as_ref().and_then(|id| id.as_deref()),
                user_name: c.user_name.as_ref().and_then(|name| name.as_deref()),
                name: c.name.as_deref(),
                email: c.email.as_deref(),
                role: c.role.as_deref(),
                client: c.client.as_deref(),
            };
            let admins = frame(position, "user_changed", &data);
            return Ok(Dispatch::about_person(position, Frames::Split { members: None, admins }, None));
        }
        // A deactivated person left the school: their streams get the frame, then end on every
        // replica (each forgets them as it dispatches this, so their next request is refused).
        EventData::UserDeactivated(a) | EventData::UserReactivated(a) => {
            let data = UserActivityEvent { user_id: a.user_id, client: a.client.as_deref() };
            let deactivated = matches!(event.data, EventData::UserDeactivated(_));
            let bytes = match deactivated {
                true => frame(position, "user_deactivated", &data),
                false => frame(position, "user_reactivated", &data),
            };
            let person = ToPerson { user_id: a.user_id, frame: Some(bytes.clone()), ends_streams: deactivated };
            let mut dispatch =
                Dispatch::about_person(position, Frames::Split { members: None, admins: bytes }, Some(person));
            dispatch.departs = deactivated;
            return Ok(dispatch);
        }
        // The school's settings: its admins see the change; every replica's copy follows it.
        EventData::SchoolSettingsChanged(change) => {
            let data = SchoolSettingsEvent {
                changed: change.changed(),
                name: change.name.as_ref().and_then(|name| name.as_deref()),
                time_zone: change.time_zone.as_ref().and_then(|zone| zone.as_deref()),
                quiet_hours: change.quiet_hours.as_ref().and_then(|window| window.as_deref()),
                family_quiet_hours: change.family_quiet_hours.as_ref().and_then(|window| window.as_deref()),
                message_editing: change.message_editing.flatten(),
                retention_days: change.retention_days.flatten(),
                email_notify: change.email_notify.as_ref().and_then(|notify| notify.as_deref()),
                language: change.language.flatten(),
                email_sender: change.email_sender.as_ref().and_then(|sender| sender.as_deref()),
                guardian_groups: change.guardian_groups.flatten(),
            };
            let admins = frame(position, "school_settings_changed", &data);
            let mut dispatch = Dispatch::about_person(position, Frames::Split { members: None, admins }, None);
            dispatch.settings = Some(change.clone());
            return Ok(dispatch);
        }
        _ => anyhow::bail!("event {position} names no chat but is about one"),
    };
    Ok(Dispatch::about_person(position, Frames::Split { members: None, admins }, Some(person)))
}
