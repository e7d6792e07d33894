//! What the application asks the log to record ([`NewEvent`]), as the row it becomes (how an
//! append's returned rows are matched back to the requests: `answers.rs`).

use time::OffsetDateTime;

use super::people::{By, PersonChange};
use super::{ChatSetting, EventType, Purge};

/// An event the application asks the log to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NewEvent {
    /// A message, possibly answering another one of the same chat (`reply_to`), possibly with the
    /// sender's uploads to that chat (`attachment_ids`, in order; its text may then be empty).
    MessageCreated {
        chat_id: i64,
        sender_id: i64,
        content: String,
        reply_to: Option<i64>,
        attachment_ids: Vec<i64>,
        /// Whom its text mentions, resolved before the append ([`super::mentions`]).
        mentions: Vec<i64>,
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
        /// Whom the new text mentions, resolved before the append ([`super::mentions`]).
        mentions: Vec<i64>,
    },
    /// The reader's marker moves forward to `up_to_message_id`.
    ChatRead {
        chat_id: i64,
        reader_id: i64,
        up_to_message_id: i64,
    },
    /// A group opens (`chat_id` drawn from `chats_id_seq`); its members join by [`NewEvent::ParticipantAdded`].
    GroupCreated {
        chat_id: i64,
        creator_id: i64,
        title: String,
        context: Option<serde_json::Value>,
        /// Only the creator posts (an announcement), to this audience if any.
        announcement: bool,
        audience: Option<super::Audience>,
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
        /// Whom its text mentions, resolved as it is delivered ([`super::mentions`]).
        mentions: Vec<i64>,
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
    /// A participant's reaction to a message (`added`), or its taking back.
    Reaction {
        chat_id: i64,
        user_id: i64,
        message_id: i64,
        emoji: &'static str,
        added: bool,
    },
    /// A participant's own setting of the chat: its payload is empty.
    ChatSetting {
        chat_id: i64,
        user_id: i64,
        setting: ChatSetting,
    },
    /// A message pinned at its chat's top (`pinned`), or unpinned. `limit`: how many pins the
    /// chat may have (`PINS_PER_CHAT`), which the log counts against under its lock.
    Pin {
        chat_id: i64,
        actor_id: i64,
        message_id: i64,
        pinned: bool,
        limit: u32,
    },
    /// A person provisioned, changed, deactivated or reactivated (`crate::provisioning`).
    Person {
        by: By,
        change: PersonChange,
    },
    /// An admin hands a direct chat to a successor teacher (`chat_handed_over`).
    ChatHandedOver(super::departures::HandOver),
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
            Self::MessageCreated { chat_id, sender_id, content, reply_to, attachment_ids, mentions } => {
                let mut payload = serde_json::json!({ "content": content });
                if let Some(parent) = reply_to {
                    payload["reply_to_message_id"] = (*parent).into();
                }
                if !attachment_ids.is_empty() {
                    payload["attachment_ids"] = attachment_ids.as_slice().into();
                }
                if !mentions.is_empty() {
                    payload["mentions"] = mentions.as_slice().into();
                }
                (Some(*chat_id), Some(*sender_id), EventType::MessageCreated, payload)
            }
            Self::HeldMessage { chat_id, sender_id, content, reply_to, attachment_ids, held_since, mentions } => {
                let mut payload = serde_json::json!({ "content": content, "held_since": rfc3339(*held_since) });
                if let Some(parent) = reply_to {
                    payload["reply_to_message_id"] = (*parent).into();
                }
                if !attachment_ids.is_empty() {
                    payload["attachment_ids"] = attachment_ids.as_slice().into();
                }
                if !mentions.is_empty() {
                    payload["mentions"] = mentions.as_slice().into();
                }
                (Some(*chat_id), Some(*sender_id), EventType::MessageCreated, payload)
            }
            Self::MessageDeleted { chat_id, actor_id, message_id } => (
                Some(*chat_id),
                Some(*actor_id),
                EventType::MessageDeleted,
                serde_json::json!({ "message_id": message_id }),
            ),
            Self::MessageEdited { chat_id, actor_id, message_id, content, mentions } => {
                let mut payload = serde_json::json!({ "message_id": message_id, "content": content });
                if !mentions.is_empty() {
                    payload["mentions"] = mentions.as_slice().into();
                }
                (Some(*chat_id), Some(*actor_id), EventType::MessageEdited, payload)
            }
            Self::ChatRead { chat_id, reader_id, up_to_message_id } => (
                Some(*chat_id),
                Some(*reader_id),
                EventType::ChatRead,
                serde_json::json!({ "up_to_message_id": up_to_message_id }),
            ),
            Self::GroupCreated { chat_id, creator_id, title, context, announcement, audience } => (
                Some(*chat_id),
                Some(*creator_id),
                EventType::ChatCreated,
                serde_json::json!({ "kind": "group", "title": title, "context": context,
                                    "announcement": announcement, "audience": audience }),
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
            Self::Reaction { chat_id, user_id, message_id, emoji, added } => (
                Some(*chat_id),
                Some(*user_id),
                if *added { EventType::ReactionAdded } else { EventType::ReactionRemoved },
                serde_json::json!({ "message_id": message_id, "emoji": emoji }),
            ),
            Self::ChatSetting { chat_id, user_id, setting } => {
                (Some(*chat_id), Some(*user_id), setting.event_type(), serde_json::json!({}))
            }
            Self::Pin { chat_id, actor_id, message_id, pinned: true, limit } => (
                Some(*chat_id),
                Some(*actor_id),
                EventType::MessagePinned,
                serde_json::json!({ "message_id": message_id, "limit": limit }),
            ),
            Self::Pin { chat_id, actor_id, message_id, pinned: false, .. } => (
                Some(*chat_id),
                Some(*actor_id),
                EventType::MessageUnpinned,
                serde_json::json!({ "message_id": message_id }),
            ),
            Self::Person { by, change } => {
                let (actor, kind, payload) = change.columns(by);
                (None, actor, kind, payload)
            }
            Self::ChatHandedOver(hand_over) => hand_over.columns(),
            Self::Guardian { admin_id, guardian_id, student_id, linked } => (
                None,
                Some(*admin_id),
                if *linked { EventType::GuardianLinked } else { EventType::GuardianUnlinked },
                serde_json::json!({ "guardian_id": guardian_id, "student_id": student_id }),
            ),
        }
    }
}

/// In UTC: RFC 3339 allows offsets up to ±23:59, PostgreSQL's timestamptz only ±15:59.
fn rfc3339(at: OffsetDateTime) -> String {
    at.to_offset(time::UtcOffset::UTC).format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}
