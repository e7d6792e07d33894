//! How each [`NewEvent`] becomes the row it is appended as (how an append's returned rows are
//! matched back to the requests: `answers.rs`).

use time::OffsetDateTime;

use super::{EventType, NewEvent, Purge};

impl NewEvent {
    /// The row this event becomes: chat (none for an event about a person), actor, type and
    /// payload.
    pub(super) fn columns(&self) -> (Option<i64>, Option<i64>, EventType, serde_json::Value) {
        match self {
            Self::MessageCreated { chat_id, sender_id, content, reply_to, attachment_ids, mentions } => {
                let payload = message(serde_json::json!({ "content": content }), *reply_to, attachment_ids, mentions);
                (Some(*chat_id), Some(*sender_id), EventType::MessageCreated, payload)
            }
            Self::HeldMessage { chat_id, sender_id, content, reply_to, attachment_ids, held_since, mentions } => {
                let payload = serde_json::json!({ "content": content, "held_since": rfc3339(*held_since) });
                let payload = message(payload, *reply_to, attachment_ids, mentions);
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
            Self::ChatRead { chat_id, reader_id, up_to_message_id, message_ids } => {
                let mut payload = serde_json::json!({ "up_to_message_id": up_to_message_id });
                if !message_ids.is_empty() {
                    payload["message_ids"] = message_ids.as_slice().into();
                }
                (Some(*chat_id), Some(*reader_id), EventType::ChatRead, payload)
            }
            Self::GroupCreated { chat_id, creator_id, title, context, announcement, audience, recipients } => {
                let mut payload = serde_json::json!({ "kind": "group", "title": title, "context": context,
                                                      "announcement": announcement, "audience": audience });
                if let Some(recipients) = recipients {
                    payload["recipients"] = serde_json::json!(recipients);
                }
                (Some(*chat_id), Some(*creator_id), EventType::ChatCreated, payload)
            }
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
            Self::SchoolSettings { admin_id, change } => (
                None,
                Some(*admin_id),
                EventType::SchoolSettingsChanged,
                serde_json::to_value(change).unwrap_or_default(),
            ),
        }
    }
}

/// A new message's payload: `payload` (its text, and when quiet hours held it) with the
/// reply, attachments and mentions it has (none: absent, as the log's fast path expects).
fn message(
    mut payload: serde_json::Value,
    reply_to: Option<i64>,
    attachments: &[i64],
    mentions: &[i64],
) -> serde_json::Value {
    if let Some(parent) = reply_to {
        payload["reply_to_message_id"] = parent.into();
    }
    if !attachments.is_empty() {
        payload["attachment_ids"] = attachments.into();
    }
    if !mentions.is_empty() {
        payload["mentions"] = mentions.into();
    }
    payload
}

/// In UTC: RFC 3339 allows offsets up to ±23:59, PostgreSQL's timestamptz only ±15:59.
fn rfc3339(at: OffsetDateTime) -> String {
    at.to_offset(time::UtcOffset::UTC).format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}
