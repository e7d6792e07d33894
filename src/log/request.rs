//! What the application asks the log to record ([`NewEvent`]), as the row it becomes, and how
//! an append's returned rows are matched back to the requests.

use time::OffsetDateTime;

use super::{ChatOpened, EventData, EventType, StoredEvent};

/// An event the application asks the log to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NewEvent {
    /// A message, possibly answering another one of the same chat (`reply_to`), possibly with
    /// the sender's uploads to that chat (`attachment_ids`, in order; its text may then be
    /// empty).
    MessageCreated {
        chat_id: i64,
        sender_id: i64,
        content: String,
        reply_to: Option<i64>,
        attachment_ids: Vec<i64>,
    },
    MessageDeleted {
        chat_id: i64,
        actor_id: i64,
        message_id: i64,
    },
    /// A new text for a message, by its author.
    MessageEdited {
        chat_id: i64,
        actor_id: i64,
        message_id: i64,
        content: String,
    },
    /// The reader's marker moves forward to `up_to_message_id`.
    ChatRead {
        chat_id: i64,
        reader_id: i64,
        up_to_message_id: i64,
    },
    /// A group opens (`chat_id` drawn from `chats_id_seq`); its members join by
    /// [`NewEvent::ParticipantAdded`], in the same statement.
    GroupCreated {
        chat_id: i64,
        creator_id: i64,
        title: String,
        context: Option<serde_json::Value>,
    },
    ParticipantAdded {
        chat_id: i64,
        actor_id: i64,
        user_id: i64,
    },
    /// `actor_id == user_id`: the member left.
    ParticipantRemoved {
        chat_id: i64,
        actor_id: i64,
        user_id: i64,
    },
    ChatRenamed {
        chat_id: i64,
        actor_id: i64,
        title: String,
    },
    /// An inquiry chat becomes read-only (by the system: no actor).
    ChatClosed {
        chat_id: i64,
    },
    /// The inquiry's teacher or an admin closes it by blocking its visitor (`chat_closed`,
    /// reason `blocked`): its link refuses that visitor from now on.
    VisitorBlocked {
        chat_id: i64,
        actor_id: i64,
    },
    /// A guardian asks the school to close their child's direct chat.
    ClosureRequested {
        chat_id: i64,
        guardian_id: i64,
        reason: String,
    },
    /// An admin decides closure request `request_id`: closes the chat (`chat_closed`, reason
    /// `guardian_request`), or declines it with an optional note.
    ClosureDecided {
        chat_id: i64,
        admin_id: i64,
        request_id: i64,
        close: bool,
        note: Option<String>,
    },
    /// A participant reports someone else's message to the moderators.
    MessageReported {
        chat_id: i64,
        reporter_id: i64,
        message_id: i64,
        reason: String,
    },
    /// An admin hides a message from its chat's participants (admins and the audit still see it).
    MessageHidden {
        chat_id: i64,
        admin_id: i64,
        message_id: i64,
        reason: String,
    },
    MessageUnhidden {
        chat_id: i64,
        admin_id: i64,
        message_id: i64,
    },
    /// Messages of one chat whose content goes for good (see [`Purge`]).
    MessagesPurged {
        chat_id: i64,
        message_ids: Vec<i64>,
        purge: Purge,
    },
    /// Someone exported the chat, as it was at `at`.
    ChatExported {
        chat_id: i64,
        actor_id: i64,
        format: &'static str,
        at: OffsetDateTime,
    },
    /// An admin suspends a person, until `until` (never: until unsuspended).
    UserSuspended {
        admin_id: i64,
        user_id: i64,
        reason: String,
        until: Option<OffsetDateTime>,
    },
    UserUnsuspended {
        admin_id: i64,
        user_id: i64,
    },
    /// An admin asks for a person's erasure: from now on they cannot sign in or write, and
    /// their messages are purged in batches ([`Purge::Erasure`]), then [`NewEvent::UserErased`].
    UserErasureRequested {
        admin_id: i64,
        user_id: i64,
        reason: String,
    },
    /// The erasure is complete (by the admin who asked for it).
    UserErased {
        admin_id: i64,
        user_id: i64,
    },
    /// A message quiet hours held since `held_since`, delivered now (as a `message_created`
    /// that says when it was accepted).
    HeldMessage {
        chat_id: i64,
        sender_id: i64,
        content: String,
        reply_to: Option<i64>,
        attachment_ids: Vec<i64>,
        held_since: OffsetDateTime,
    },
    /// The system flags a message for the moderators (no actor).
    MessageFlagged {
        chat_id: i64,
        message_id: i64,
        flag: String,
    },
    /// An admin clears a report or a flag of chat `chat_id`.
    ReportCleared {
        chat_id: i64,
        admin_id: i64,
        report_id: i64,
    },
    /// An admin links a guardian to a student (`linked`), or ends the link.
    Guardian {
        admin_id: i64,
        guardian_id: i64,
        student_id: i64,
        linked: bool,
    },
}

impl NewEvent {
    /// The row this event becomes: chat (none for an event about a person), actor, type and
    /// payload.
    pub(super) fn columns(&self) -> (Option<i64>, Option<i64>, EventType, serde_json::Value) {
        match self {
            Self::MessageCreated { chat_id, sender_id, content, reply_to, attachment_ids } => {
                let mut payload = serde_json::json!({ "content": content });
                if let Some(parent) = reply_to {
                    payload["reply_to_message_id"] = (*parent).into();
                }
                if !attachment_ids.is_empty() {
                    payload["attachment_ids"] = attachment_ids.as_slice().into();
                }
                (Some(*chat_id), Some(*sender_id), EventType::MessageCreated, payload)
            }
            Self::HeldMessage { chat_id, sender_id, content, reply_to, attachment_ids, held_since } => {
                let mut payload = serde_json::json!({ "content": content, "held_since": rfc3339(*held_since) });
                if let Some(parent) = reply_to {
                    payload["reply_to_message_id"] = (*parent).into();
                }
                if !attachment_ids.is_empty() {
                    payload["attachment_ids"] = attachment_ids.as_slice().into();
                }
                (Some(*chat_id), Some(*sender_id), EventType::MessageCreated, payload)
            }
            Self::MessageDeleted { chat_id, actor_id, message_id } => (
                Some(*chat_id),
                Some(*actor_id),
                EventType::MessageDeleted,
                serde_json::json!({ "message_id": message_id }),
            ),
            Self::MessageEdited { chat_id, actor_id, message_id, content } => (
                Some(*chat_id),
                Some(*actor_id),
                EventType::MessageEdited,
                serde_json::json!({ "message_id": message_id, "content": content }),
            ),
            Self::ChatRead { chat_id, reader_id, up_to_message_id } => (
                Some(*chat_id),
                Some(*reader_id),
                EventType::ChatRead,
                serde_json::json!({ "up_to_message_id": up_to_message_id }),
            ),
            Self::GroupCreated { chat_id, creator_id, title, context } => (
                Some(*chat_id),
                Some(*creator_id),
                EventType::ChatCreated,
                serde_json::json!({ "kind": "group", "title": title, "context": context }),
            ),
            Self::ParticipantAdded { chat_id, actor_id, user_id } => (
                Some(*chat_id),
                Some(*actor_id),
                EventType::ParticipantAdded,
                serde_json::json!({ "user_id": user_id }),
            ),
            Self::ParticipantRemoved { chat_id, actor_id, user_id } => (
                Some(*chat_id),
                Some(*actor_id),
                EventType::ParticipantRemoved,
                serde_json::json!({ "user_id": user_id }),
            ),
            Self::ChatRenamed { chat_id, actor_id, title } => {
                (Some(*chat_id), Some(*actor_id), EventType::ChatRenamed, serde_json::json!({ "title": title }))
            }
            Self::ChatClosed { chat_id } => {
                (Some(*chat_id), None, EventType::ChatClosed, serde_json::json!({ "reason": "idle" }))
            }
            Self::VisitorBlocked { chat_id, actor_id } => {
                (Some(*chat_id), Some(*actor_id), EventType::ChatClosed, serde_json::json!({ "reason": "blocked" }))
            }
            Self::ClosureRequested { chat_id, guardian_id, reason } => (
                Some(*chat_id),
                Some(*guardian_id),
                EventType::ClosureRequested,
                serde_json::json!({ "reason": reason }),
            ),
            Self::ClosureDecided { chat_id, admin_id, request_id, close: true, .. } => (
                Some(*chat_id),
                Some(*admin_id),
                EventType::ChatClosed,
                serde_json::json!({ "reason": "guardian_request", "request_id": request_id }),
            ),
            Self::ClosureDecided { chat_id, admin_id, request_id, close: false, note } => (
                Some(*chat_id),
                Some(*admin_id),
                EventType::ClosureDeclined,
                serde_json::json!({ "request_id": request_id, "note": note }),
            ),
            Self::MessageReported { chat_id, reporter_id, message_id, reason } => (
                Some(*chat_id),
                Some(*reporter_id),
                EventType::MessageReported,
                serde_json::json!({ "message_id": message_id, "reason": reason }),
            ),
            Self::MessageHidden { chat_id, admin_id, message_id, reason } => (
                Some(*chat_id),
                Some(*admin_id),
                EventType::MessageHidden,
                serde_json::json!({ "message_id": message_id, "reason": reason }),
            ),
            Self::MessageUnhidden { chat_id, admin_id, message_id } => (
                Some(*chat_id),
                Some(*admin_id),
                EventType::MessageUnhidden,
                serde_json::json!({ "message_id": message_id }),
            ),
            Self::MessagesPurged { chat_id, message_ids, purge } => {
                let (actor, mut payload) = match purge {
                    Purge::Retention { before } => {
                        (None, serde_json::json!({ "cause": "retention", "before": rfc3339(*before) }))
                    }
                    Purge::Erasure { admin_id, user_id } => {
                        (Some(*admin_id), serde_json::json!({ "cause": "erasure", "user_id": user_id }))
                    }
                };
                payload["message_ids"] = message_ids.as_slice().into();
                (Some(*chat_id), actor, EventType::MessagesPurged, payload)
            }
            Self::ChatExported { chat_id, actor_id, format, at } => (
                Some(*chat_id),
                Some(*actor_id),
                EventType::ChatExported,
                serde_json::json!({ "format": format, "at": rfc3339(*at) }),
            ),
            Self::UserSuspended { admin_id, user_id, reason, until } => (
                None,
                Some(*admin_id),
                EventType::UserSuspended,
                serde_json::json!({ "user_id": user_id, "reason": reason, "until": until.map(rfc3339) }),
            ),
            Self::UserUnsuspended { admin_id, user_id } => {
                (None, Some(*admin_id), EventType::UserUnsuspended, serde_json::json!({ "user_id": user_id }))
            }
            Self::UserErasureRequested { admin_id, user_id, reason } => (
                None,
                Some(*admin_id),
                EventType::UserErasureRequested,
                serde_json::json!({ "user_id": user_id, "reason": reason }),
            ),
            Self::UserErased { admin_id, user_id } => {
                (None, Some(*admin_id), EventType::UserErased, serde_json::json!({ "user_id": user_id }))
            }
            Self::MessageFlagged { chat_id, message_id, flag } => (
                Some(*chat_id),
                None,
                EventType::MessageFlagged,
                serde_json::json!({ "message_id": message_id, "flag": flag }),
            ),
            Self::ReportCleared { chat_id, admin_id, report_id } => (
                Some(*chat_id),
                Some(*admin_id),
                EventType::ReportCleared,
                serde_json::json!({ "report_id": report_id }),
            ),
            Self::Guardian { admin_id, guardian_id, student_id, linked } => (
                None,
                Some(*admin_id),
                if *linked { EventType::GuardianLinked } else { EventType::GuardianUnlinked },
                serde_json::json!({ "guardian_id": guardian_id, "student_id": student_id }),
            ),
        }
    }

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
            | (Self::MessageUnhidden { message_id, .. }, EventData::MessageUnhidden { message_id: m }) => {
                message_id == m
            }
            (
                Self::MessageEdited { message_id, content, .. },
                EventData::MessageEdited { message_id: m, content: c },
            ) => message_id == m && content == c,
            (Self::ChatRead { up_to_message_id, .. }, EventData::ChatRead { up_to_message_id: u }) => {
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
            (Self::ChatClosed { .. }, EventData::ChatClosed { .. })
            | (Self::MessagesPurged { .. }, EventData::MessagesPurged { .. })
            | (Self::ChatExported { .. }, EventData::ChatExported { .. }) => true,
            _ => false,
        }
    }
}

/// Why messages' content goes, and on whose authority.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purge {
    /// Older than `before` (`RETENTION_DAYS` before the job's clock), by the system.
    Retention { before: OffsetDateTime },
    /// The messages of `user_id`, whose erasure `admin_id` asked for.
    Erasure { admin_id: i64, user_id: i64 },
}

/// In UTC: RFC 3339 allows offsets up to ±23:59, PostgreSQL's timestamptz only ±15:59.
fn rfc3339(at: OffsetDateTime) -> String {
    at.to_offset(time::UtcOffset::UTC).format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}
