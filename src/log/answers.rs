//! How an append's returned rows are matched back to the requests ([`NewEvent::is_answered_by`]).

use super::{ChatOpened, EventData, NewEvent, StoredEvent};

impl NewEvent {
    /// Whether `stored` is the event this one asked for (an append returns rows in insertion
    /// order, minus those the log skipped as no-ops).
    pub(super) fn is_answered_by(&self, stored: &StoredEvent) -> bool {
        let (chat, actor, _, _) = self.columns();
        if chat != stored.chat_id || actor != stored.actor_id {
            return false;
        }
        match (self, &stored.data) {
            (
                Self::MessageCreated { content, reply_to, attachment_ids, .. },
                EventData::MessageCreated { content: c, reply_to_message_id, attachments, .. },
            ) => {
                content == c
                    && reply_to == reply_to_message_id
                    && attachment_ids.iter().eq(attachments.iter().map(|a| &a.id))
            }
            (
                Self::HeldMessage { content, reply_to, held_since, .. },
                EventData::MessageCreated { content: c, reply_to_message_id, held_since: h, .. },
            ) => content == c && reply_to == reply_to_message_id && h.is_some_and(|h| h == *held_since),
            (Self::MessageDeleted { message_id, .. }, EventData::MessageDeleted { message_id: m })
            | (Self::MessageReported { message_id, .. }, EventData::MessageReported { message_id: m, .. })
            | (Self::MessageHidden { message_id, .. }, EventData::MessageHidden { message_id: m, .. })
            | (Self::MessageUnhidden { message_id, .. }, EventData::MessageUnhidden { message_id: m })
            | (Self::Pin { message_id, pinned: true, .. }, EventData::MessagePinned { message_id: m })
            | (Self::Pin { message_id, pinned: false, .. }, EventData::MessageUnpinned { message_id: m }) => {
                message_id == m
            }
            (
                Self::MessageEdited { message_id, content, .. },
                EventData::MessageEdited { message_id: m, content: c, .. },
            ) => message_id == m && content == c,
            (Self::ChatRead { up_to_message_id, .. }, EventData::ChatRead { up_to_message_id: u, .. }) => {
                up_to_message_id == u
            }
            (Self::GroupCreated { title, .. }, EventData::ChatCreated(ChatOpened::Group { title: t, .. })) => {
                title == t
            }
            (Self::ParticipantAdded { user_id, .. }, EventData::ParticipantAdded { user_id: u, .. })
            | (Self::ParticipantRemoved { user_id, .. }, EventData::ParticipantRemoved { user_id: u })
            | (Self::UserSuspended { user_id, .. }, EventData::UserSuspended { user_id: u, .. })
            | (Self::UserUnsuspended { user_id, .. }, EventData::UserUnsuspended { user_id: u })
            | (Self::UserErasureRequested { user_id, .. }, EventData::UserErasureRequested { user_id: u, .. })
            | (Self::UserErased { user_id, .. }, EventData::UserErased { user_id: u }) => user_id == u,
            (Self::ChatRenamed { title, .. }, EventData::ChatRenamed { title: t }) => title == t,
            (Self::MessageFlagged { message_id, flag, .. }, EventData::MessageFlagged { message_id: m, flag: f }) => {
                message_id == m && flag == f
            }
            (Self::ReportCleared { report_id, .. }, EventData::ReportCleared { report_id: r }) => report_id == r,
            (
                Self::Guardian { guardian_id, student_id, linked: true, .. },
                EventData::GuardianLinked { guardian_id: g, student_id: s },
            )
            | (
                Self::Guardian { guardian_id, student_id, linked: false, .. },
                EventData::GuardianUnlinked { guardian_id: g, student_id: s },
            ) => guardian_id == g && student_id == s,
            (Self::ClosureRequested { reason, .. }, EventData::ClosureRequested { reason: r }) => reason == r,
            (Self::ClosureDecided { request_id, close: true, .. }, EventData::ChatClosed { request_id: r, .. }) => {
                Some(*request_id) == *r
            }
            (
                Self::ClosureDecided { request_id, close: false, .. },
                EventData::ClosureDeclined { request_id: r, .. },
            ) => request_id == r,
            (Self::VisitorBlocked { .. }, EventData::ChatClosed { reason, .. }) => reason == "blocked",
            (
                Self::Reaction { message_id, emoji, added: true, .. },
                EventData::ReactionAdded { message_id: m, emoji: e },
            )
            | (
                Self::Reaction { message_id, emoji, added: false, .. },
                EventData::ReactionRemoved { message_id: m, emoji: e },
            ) => message_id == m && emoji == e,
            (Self::Person { change, .. }, data) => change.is_answered_by(data),
            (Self::ChatSetting { setting, .. }, _) => setting.event_type() == stored.kind(),
            (Self::ChatHandedOver(h), EventData::ChatHandedOver { to_teacher_id, .. }) => {
                h.to_teacher_id == *to_teacher_id
            }
            (Self::ChatClosed { .. }, EventData::ChatClosed { .. })
            | (Self::MessagesPurged { .. }, EventData::MessagesPurged { .. })
            | (Self::ChatExported { .. }, EventData::ChatExported { .. })
            | (Self::SchoolSettings { .. }, EventData::SchoolSettingsChanged(_)) => true,
            _ => false,
        }
    }
}
