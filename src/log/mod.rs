//! The event log: the one module that reads and writes `events`.
//!
//! Appends are the only way the application writes chat content; the triggers in
//! `sql/functions/events_before_insert.sql` validate each event, give it its position (and a message its id),
//! update the read models and NOTIFY, all in the caller's transaction. [`store`] holds every
//! statement on `events` (append, read after a position, the head, the replay one user may
//! see, read-model snapshots that carry the head); [`appender`] is the write path that batches
//! requests into shared transactions.

mod answers;
pub mod appender;
mod attachment;
mod columns;
mod departures;
pub mod mentions;
mod opened;
pub mod people;
mod replay;
mod request;
pub mod store;
mod stored;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

pub use appender::{AppendError, Appender, Refusal};
pub use attachment::{Attachment, IMAGE_TYPES};
pub use departures::HandOver;
pub use opened::{Audience, ChatOpened, Recipients};
pub use request::NewEvent;
pub use store::{append, head, read_after};
pub use stored::StoredEvent;

/// The NOTIFY channel; the payload is the highest position an append wrote (sent after its
/// commit by the writer, `store::NOTIFY_SQL`).
pub const CHANNEL: &str = "tutorchat_events";

/// The `type` column of `events`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    ChatCreated,
    MessageCreated,
    MessageDeleted,
    MessageEdited,
    ChatRead,
    ParticipantAdded,
    ParticipantRemoved,
    ChatRenamed,
    ChatClosed,
    MessageReported,
    MessageHidden,
    MessageUnhidden,
    MessagesPurged,
    ChatExported,
    UserSuspended,
    UserUnsuspended,
    UserErasureRequested,
    UserErased,
    GuardianLinked,
    GuardianUnlinked,
    MessageFlagged,
    ReportCleared,
    ChatMuted,
    ChatUnmuted,
    ChatArchived,
    ChatUnarchived,
    ClosureRequested,
    ClosureDeclined,
    ReactionAdded,
    ReactionRemoved,
    MessagePinned,
    MessageUnpinned,
    UserProvisioned,
    UserChanged,
    UserDeactivated,
    UserReactivated,
    ChatHandedOver,
    SchoolSettingsChanged,
}

crate::db::text_column!(EventType {
    ChatCreated => "chat_created",
    MessageCreated => "message_created",
    MessageDeleted => "message_deleted",
    MessageEdited => "message_edited",
    ChatRead => "chat_read",
    ParticipantAdded => "participant_added",
    ParticipantRemoved => "participant_removed",
    ChatRenamed => "chat_renamed",
    ChatClosed => "chat_closed",
    MessageReported => "message_reported",
    MessageHidden => "message_hidden",
    MessageUnhidden => "message_unhidden",
    MessagesPurged => "messages_purged",
    ChatExported => "chat_exported",
    UserSuspended => "user_suspended",
    UserUnsuspended => "user_unsuspended",
    UserErasureRequested => "user_erasure_requested",
    UserErased => "user_erased",
    GuardianLinked => "guardian_linked",
    GuardianUnlinked => "guardian_unlinked",
    MessageFlagged => "message_flagged",
    ReportCleared => "report_cleared",
    ChatMuted => "chat_muted",
    ChatUnmuted => "chat_unmuted",
    ChatArchived => "chat_archived",
    ChatUnarchived => "chat_unarchived",
    ClosureRequested => "closure_requested",
    ClosureDeclined => "closure_declined",
    ReactionAdded => "reaction_added",
    ReactionRemoved => "reaction_removed",
    MessagePinned => "message_pinned",
    MessageUnpinned => "message_unpinned",
    UserProvisioned => "user_provisioned",
    UserChanged => "user_changed",
    UserDeactivated => "user_deactivated",
    UserReactivated => "user_reactivated",
    ChatHandedOver => "chat_handed_over",
    SchoolSettingsChanged => "school_settings_changed",
});

/// A participant's own setting of a chat, each an event by them ([`NewEvent::ChatSetting`]):
/// muted, no offline notice tells them of it; archived, it is out of their inbox until a new
/// message (for good once closed). Nobody else sees either.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChatSetting {
    Muted,
    Unmuted,
    Archived,
    Unarchived,
}

impl ChatSetting {
    /// The event that records it.
    pub fn event_type(self) -> EventType {
        match self {
            Self::Muted => EventType::ChatMuted,
            Self::Unmuted => EventType::ChatUnmuted,
            Self::Archived => EventType::ChatArchived,
            Self::Unarchived => EventType::ChatUnarchived,
        }
    }
}

/// What an event says, by type (the `type` column with its `payload`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventData {
    ChatCreated(ChatOpened),
    MessageCreated {
        message_id: i64,
        content: String,
        /// Absent from messages written before replies existed.
        #[serde(default)]
        reply_to_message_id: Option<i64>,
        /// As the log recorded them when the message attached them (absent: none).
        #[serde(default)]
        attachments: Vec<Attachment>,
        /// When the server accepted it, if quiet hours held it until this event delivered it.
        #[serde(default, with = "time::serde::rfc3339::option")]
        held_since: Option<OffsetDateTime>,
        /// Whom its text mentions, as the log resolved it when it was written (a group's
        /// members; absent: nobody).
        #[serde(default)]
        mentions: Vec<i64>,
    },
    MessageDeleted {
        message_id: i64,
    },
    MessageEdited {
        message_id: i64,
        content: String,
        /// Whom the new text mentions, resolved again (absent: nobody).
        #[serde(default)]
        mentions: Vec<i64>,
    },
    ChatRead {
        up_to_message_id: i64,
        /// The messages the reader's client listed as read, when it listed them (the messenger
        /// dialect's receipts); absent otherwise.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        message_ids: Vec<i64>,
    },
    ParticipantAdded {
        user_id: i64,
        /// `student` or `teacher`: their role when they joined.
        role: String,
    },
    ParticipantRemoved {
        user_id: i64,
    },
    ChatRenamed {
        title: String,
    },
    /// The chat is read-only from now on: `idle` or `revoked` (an inquiry, by the system),
    /// `blocked` (an inquiry's visitor, by its teacher or an admin), `guardian_request` (a
    /// direct chat, by an admin, deciding closure request `request_id`).
    ChatClosed {
        reason: String,
        #[serde(default)]
        request_id: Option<i64>,
    },
    MessageReported {
        message_id: i64,
        /// Empty once the reporter has been erased.
        reason: String,
    },
    MessageHidden {
        message_id: i64,
        reason: String,
    },
    MessageUnhidden {
        message_id: i64,
    },
    /// The messages' content is gone for good, from the log too (their earlier events now
    /// carry empty text and no files).
    MessagesPurged {
        message_ids: Vec<i64>,
        cause: PurgeCause,
        /// Retention's horizon: every message purged was older.
        #[serde(default, with = "time::serde::rfc3339::option")]
        before: Option<OffsetDateTime>,
        /// Erasure's person.
        #[serde(default)]
        user_id: Option<i64>,
    },
    ChatExported {
        format: String,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
    },
    UserSuspended {
        user_id: i64,
        reason: String,
        #[serde(default, with = "time::serde::rfc3339::option")]
        until: Option<OffsetDateTime>,
    },
    UserUnsuspended {
        user_id: i64,
    },
    UserErasureRequested {
        user_id: i64,
        reason: String,
    },
    UserErased {
        user_id: i64,
    },
    /// An admin linked a guardian to a student: the guardian reads the student's direct chats.
    GuardianLinked {
        guardian_id: i64,
        student_id: i64,
    },
    GuardianUnlinked {
        guardian_id: i64,
        student_id: i64,
    },
    /// The system flagged a message for the moderators: `flag` says why (a term it matched, a
    /// burst).
    MessageFlagged {
        message_id: i64,
        flag: String,
    },
    /// An admin cleared a report or a flag: nothing to act on.
    ReportCleared {
        report_id: i64,
    },
    /// The actor muted the chat, for themself (see [`ChatSetting`]).
    ChatMuted,
    ChatUnmuted,
    /// The actor archived the chat, for themself, at this event's position.
    ChatArchived,
    ChatUnarchived,
    /// A guardian asked the school to close their child's direct chat (empty `reason` once the
    /// guardian has been erased).
    ClosureRequested {
        reason: String,
    },
    /// An admin declined closure request `request_id`.
    ClosureDeclined {
        request_id: i64,
        #[serde(default)]
        note: Option<String>,
    },
    /// The actor reacted to a message with `emoji` (one of `api::reactions::REACTIONS`), or
    /// took their reaction back.
    ReactionAdded {
        message_id: i64,
        emoji: String,
    },
    ReactionRemoved {
        message_id: i64,
        emoji: String,
    },
    /// The actor pinned the message at the chat's top (or unpinned it); hiding, deleting or
    /// purging it unpins it too, with no event of its own.
    MessagePinned {
        message_id: i64,
    },
    MessageUnpinned {
        message_id: i64,
    },
    /// A person created by a provisioning client (`client`) or an admin (the actor).
    UserProvisioned(people::Provisioned),
    /// What changed of a person (only the attributes that did).
    UserChanged(people::Changed),
    /// The person left the school (`deactivated_at`); nothing of theirs is deleted.
    UserDeactivated(people::Activity),
    UserReactivated(people::Activity),
    /// An admin (the actor) handed a direct chat from its teacher to a successor.
    ChatHandedOver {
        from_teacher_id: i64,
        to_teacher_id: i64,
        student_id: i64,
    },
    /// An admin (the actor) changed the school's settings.
    SchoolSettingsChanged(crate::school::SettingsChange),
}

/// Why messages' content goes, and on whose authority.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purge {
    /// Older than `before` (`RETENTION_DAYS` before the job's clock), by the system.
    Retention { before: OffsetDateTime },
    /// The messages of `user_id`, whose erasure `admin_id` asked for.
    Erasure { admin_id: i64, user_id: i64 },
}

/// Why a message's content was purged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PurgeCause {
    /// Older than the school keeps messages (`RETENTION_DAYS`).
    Retention,
    /// Its author's personal data was erased on request.
    Erasure,
}
