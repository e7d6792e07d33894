//! What the application asks the log to record ([`NewEvent`]); the row it becomes:
//! `columns.rs`; how an append's returned rows are matched back to the requests: `answers.rs`.

use time::OffsetDateTime;

use super::people::{By, PersonChange};
use super::{ChatSetting, Purge};

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
        /// The messages the reader's client listed as read (empty: it named none).
        message_ids: Vec<i64>,
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
        /// Whom an announcement reaches (None: its students).
        recipients: Option<super::Recipients>,
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
    /// An admin changes the school's settings (`crate::school`).
    SchoolSettings {
        admin_id: i64,
        change: crate::school::SettingsChange,
    },
}
