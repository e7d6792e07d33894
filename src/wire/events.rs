//! The data of each log event's SSE frame, as the event stream's contract describes it (the
//! OpenAPI document's components): one line of JSON per frame.

use serde::Serialize;
use time::OffsetDateTime;

use crate::wire::{
    Attachment, ClosureRequestView, Hidden, Mention, MessageType, Person, Purged, ReplyPreview, ReportView,
};

/// The data of `new_message` and `message_edited`: the message as history shows it, without
/// `is_deleted` (always false here) and `read_by` (nobody has read a new message yet; an edit
/// does not change who has).
#[derive(Serialize, utoipa::ToSchema)]
pub struct MessageEvent<'a> {
    pub chat_id: i64,
    pub message: MessageBody<'a>,
}

#[derive(Clone, Serialize, utoipa::ToSchema)]
pub struct MessageBody<'a> {
    pub id: i64,
    pub sender_id: Option<i64>,
    /// The text: for `message_edited`, the new one.
    pub content: &'a str,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub is_edited: bool,
    #[serde(with = "time::serde::rfc3339::option")]
    pub edited_at: Option<OffsetDateTime>,
    pub reply_to: Option<ReplyPreview>,
    #[serde(rename = "type")]
    pub kind: MessageType,
    pub attachments: &'a [Attachment],
    /// Hidden by a moderator: participants get it without text or files, admins with both.
    pub hidden: Option<Hidden>,
    /// Purged for good: no text, no files, for everyone.
    pub purged: Option<Purged>,
    /// Whom the text mentions, with their names now (none while hidden, deleted or purged).
    pub mentions: &'a [Mention],
}

impl MessageBody<'_> {
    /// What a participant sees of a hidden message: that it is there, when it was hidden.
    pub fn for_participants(&self) -> Self {
        match &self.hidden {
            Some(hidden) => Self {
                content: "",
                attachments: &[],
                kind: MessageType::Text,
                hidden: Some(hidden.for_participants()),
                mentions: &[],
                ..self.clone()
            },
            None => self.clone(),
        }
    }
}

/// The data of `message_hidden`: participants now show the message as hidden by a moderator
/// (without its text and files); admins get who hid it and why.
#[derive(Serialize, utoipa::ToSchema)]
pub struct MessageHiddenEvent {
    pub chat_id: i64,
    pub message_id: i64,
    pub hidden: Hidden,
}

/// The data of `messages_purged`: these messages' content is gone for good.
#[derive(Serialize, utoipa::ToSchema)]
pub struct MessagesPurgedEvent {
    pub chat_id: i64,
    pub message_ids: Vec<i64>,
    pub purged: Purged,
}

/// The data of `message_reported` (admins only).
#[derive(Serialize, utoipa::ToSchema)]
pub struct MessageReportedEvent {
    pub report: ReportView,
}

/// The data of `chat_exported` (admins only): who exported the chat, as it was when.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ChatExportedEvent {
    pub chat_id: i64,
    pub actor_id: Option<i64>,
    /// `json`, `html` or `pdf`.
    pub format: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// The data of `user_suspended` (admins, and the person's own streams, which then end): the
/// person reads, writes nothing, until `until` (null: until unsuspended).
#[derive(Serialize, utoipa::ToSchema)]
pub struct UserSuspendedEvent {
    pub user_id: i64,
    #[serde(with = "time::serde::rfc3339::option")]
    pub until: Option<OffsetDateTime>,
    pub reason: String,
}

/// The data of `user_unsuspended` (admins and the person), `user_erasure_requested` and
/// `user_erased` (admins; the person's streams end when their erasure is asked for).
#[derive(Serialize, utoipa::ToSchema)]
pub struct UserEvent {
    pub user_id: i64,
}

/// The data of `user_provisioned` and `user_changed` (admins): a person the school's systems
/// (`client`, a provisioning client's name) or an admin (`client` null) created, or what
/// changed of them (`changed` names the attributes; the others are null).
#[derive(Serialize, utoipa::ToSchema)]
pub struct PersonProvisionedEvent<'a> {
    pub user_id: i64,
    pub changed: Vec<&'static str>,
    pub external_id: Option<&'a str>,
    /// SCIM's userName (null: not provisioned through SCIM, or forgotten).
    pub user_name: Option<&'a str>,
    pub name: Option<&'a str>,
    pub email: Option<&'a str>,
    /// student, teacher, guardian or admin.
    pub role: Option<&'a str>,
    pub client: Option<&'a str>,
}

/// The data of `user_deactivated` and `user_reactivated` (admins, and the person): the person
/// left the school, or came back; `client` as in `user_provisioned`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct UserActivityEvent<'a> {
    pub user_id: i64,
    pub client: Option<&'a str>,
}

/// The data of `report_cleared` (admins): an admin found nothing to act on in report (or flag)
/// `report_id`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ReportClearedEvent {
    pub chat_id: i64,
    pub report_id: i64,
    pub actor_id: Option<i64>,
}

/// The data of `guardian_linked` and `guardian_unlinked` (admins, and the guardian's own
/// streams, which end when the link does): `guardian_id` reads `student_id`'s direct chats from
/// now on, or no longer.
#[derive(Serialize, utoipa::ToSchema)]
pub struct GuardianEvent {
    pub guardian_id: i64,
    pub student_id: i64,
}

/// The data of `chat_muted`, `chat_unmuted`, `chat_archived` and `chat_unarchived`: the
/// caller changed their own setting of the chat (only their own streams get it, every tab).
/// Archived, it leaves their inbox until its next message (a closed chat: for good).
#[derive(Serialize, utoipa::ToSchema)]
pub struct ChatSettingEvent {
    pub chat_id: i64,
}

/// The data of `message_pinned` and `message_unpinned`: `actor_id` pinned message `message_id`
/// at the chat's top, or unpinned it (`GET /api/chats/{id}/pins` lists the pins with their
/// messages). Everyone who reads the message gets it, as an edit. A message hidden, deleted or
/// purged is unpinned with no event of its own: its `message_hidden`, `message_deleted` or
/// `messages_purged` says so. A resumed stream replays a pin only while it still stands.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PinEvent {
    pub chat_id: i64,
    pub message_id: i64,
    pub actor_id: Option<i64>,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// The data of `messages_read`: `user_id` has read the chat up to `up_to_message_id`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct MessagesReadEvent {
    pub chat_id: i64,
    pub user_id: Option<i64>,
    pub up_to_message_id: i64,
    /// The messages the reader's client listed as read, when it listed them (the messenger
    /// dialect's `read_messages`); left out otherwise.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub message_ids: Vec<i64>,
    #[serde(with = "time::serde::rfc3339")]
    pub read_at: OffsetDateTime,
}

/// The data of `message_deleted`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct MessageDeletedEvent {
    pub chat_id: i64,
    pub message_id: i64,
}

/// The data of `participant_added`: `user` joined the group, added by `actor_id` (themself
/// when the owner rejoins). The new member's own streams get it too (then fetch the chat).
#[derive(Serialize, utoipa::ToSchema)]
pub struct ParticipantAddedEvent {
    pub chat_id: i64,
    pub user: Person,
    pub actor_id: Option<i64>,
}

/// The data of `participant_removed`: `user_id` is no longer a member (`actor_id == user_id`:
/// they left). The removed member's streams get it, and nothing of the chat after it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ParticipantRemovedEvent {
    pub chat_id: i64,
    pub user_id: i64,
    pub actor_id: Option<i64>,
}

/// The data of `chat_handed_over`: an admin (`actor_id`) handed a direct chat from its teacher
/// (`from_teacher_id`, who left the school, or moves on) to `to_teacher`, who now reads its
/// whole history and writes in it. The student, the successor (then fetch the chat), the
/// departed teacher's streams (nothing of the chat after it) and admins get it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ChatHandedOverEvent {
    pub chat_id: i64,
    pub from_teacher_id: i64,
    pub to_teacher: Person,
    pub actor_id: Option<i64>,
}

/// The data of `chat_renamed`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ChatRenamedEvent {
    pub chat_id: i64,
    pub title: String,
    pub actor_id: Option<i64>,
}

/// The data of `chat_closed`: the chat is read-only from now on. `reason`: `idle` (an inquiry
/// without a new message too long), `revoked` (its link), `blocked` (its teacher or an admin,
/// `actor_id`, blocked the visitor), `guardian_request` (an admin, `actor_id`, closed a direct
/// chat on a guardian's closure request `request_id`).
#[derive(Serialize, utoipa::ToSchema)]
pub struct ChatClosedEvent {
    pub chat_id: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub closed_at: OffsetDateTime,
    pub reason: String,
    /// Who closed it (null: the system).
    pub actor_id: Option<i64>,
    /// The closure request it decided (reason `guardian_request`; else null).
    pub request_id: Option<i64>,
}

/// The data of `closure_requested` (admins, and the guardian who asked) and `closure_declined`
/// (admins, and the guardian who asked): the request as it is now. A chat's participants get
/// neither: they see only a closing (`chat_closed`, reason `guardian_request`).
#[derive(Serialize, utoipa::ToSchema)]
pub struct ClosureRequestEvent {
    pub request: ClosureRequestView,
}

#[derive(Serialize)]
pub(crate) struct ChatCreated<T> {
    pub chat: T,
}

/// The data of `chat_created`, as the document describes it: a participant gets the chat as
/// their chat list shows it (`ChatSummary`), an admin as the admin list does (`AdminChat`).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // only described: ChatCreated<T> is what is sent
pub struct ChatCreatedEvent {
    #[schema(schema_with = chat_created_chat)]
    pub chat: (),
}

fn chat_created_chat() -> utoipa::openapi::Schema {
    utoipa::openapi::schema::OneOfBuilder::new()
        .item(utoipa::openapi::Ref::from_schema_name("ChatSummary"))
        .item(utoipa::openapi::Ref::from_schema_name("AdminChat"))
        .build()
        .into()
}

/// The data of `reaction_added` and `reaction_removed`: `user_id` reacted to message
/// `message_id` with `emoji`, or took that reaction back (each person has at most one of each
/// emoji on a message). Replayed on resume as it is now: none for a message hidden, deleted or
/// purged since.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ReactionEvent<'a> {
    pub chat_id: i64,
    pub message_id: i64,
    pub emoji: &'a str,
    pub user_id: i64,
}

/// The data of `school_settings_changed` (admins): an admin changed the school's settings;
/// `changed` names them, each with its new value (null: back to the deployment's default, or
/// not changed).
#[derive(Serialize, utoipa::ToSchema)]
pub struct SchoolSettingsEvent<'a> {
    pub changed: Vec<&'static str>,
    pub name: Option<&'a str>,
    pub time_zone: Option<&'a str>,
    /// `HH:MM-HH:MM`, or `off`.
    pub quiet_hours: Option<&'a str>,
    /// `HH:MM-HH:MM`, `off`, or `students`.
    pub family_quiet_hours: Option<&'a str>,
    pub message_editing: Option<bool>,
    pub retention_days: Option<i32>,
    pub email_notify: Option<&'a str>,
    pub language: Option<crate::config::Language>,
    pub email_sender: Option<&'a str>,
    pub guardian_groups: Option<crate::config::GuardianGroups>,
}

/// The data of `reset`: the resume point was unusable; reload the snapshots and continue from
/// this frame's id.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ResetEvent {
    pub reason: String,
}

/// The event stream's events: (the SSE `event:` name, its data's schema, whether it carries
/// `id:` — a log event, replayed on resume — or is an ephemeral signal).
pub const EVENTS: &[(&str, &str, bool)] = &[
    ("chat_created", "ChatCreatedEvent", true),
    ("new_message", "MessageEvent", true),
    ("message_edited", "MessageEvent", true),
    ("message_deleted", "MessageDeletedEvent", true),
    ("messages_read", "MessagesReadEvent", true),
    ("participant_added", "ParticipantAddedEvent", true),
    ("participant_removed", "ParticipantRemovedEvent", true),
    ("chat_renamed", "ChatRenamedEvent", true),
    ("chat_handed_over", "ChatHandedOverEvent", true),
    ("chat_closed", "ChatClosedEvent", true),
    ("message_hidden", "MessageHiddenEvent", true),
    ("message_unhidden", "MessageEvent", true),
    ("messages_purged", "MessagesPurgedEvent", true),
    ("message_reported", "MessageReportedEvent", true),
    ("chat_exported", "ChatExportedEvent", true),
    ("user_suspended", "UserSuspendedEvent", true),
    ("user_unsuspended", "UserEvent", true),
    ("user_erasure_requested", "UserEvent", true),
    ("user_erased", "UserEvent", true),
    ("message_flagged", "MessageReportedEvent", true),
    ("report_cleared", "ReportClearedEvent", true),
    ("guardian_linked", "GuardianEvent", true),
    ("guardian_unlinked", "GuardianEvent", true),
    ("chat_muted", "ChatSettingEvent", true),
    ("chat_unmuted", "ChatSettingEvent", true),
    ("chat_archived", "ChatSettingEvent", true),
    ("chat_unarchived", "ChatSettingEvent", true),
    ("closure_requested", "ClosureRequestEvent", true),
    ("closure_declined", "ClosureRequestEvent", true),
    ("reaction_added", "ReactionEvent", true),
    ("reaction_removed", "ReactionEvent", true),
    ("message_pinned", "PinEvent", true),
    ("message_unpinned", "PinEvent", true),
    ("user_provisioned", "PersonProvisionedEvent", true),
    ("user_changed", "PersonProvisionedEvent", true),
    ("user_deactivated", "UserActivityEvent", true),
    ("user_reactivated", "UserActivityEvent", true),
    ("school_settings_changed", "SchoolSettingsEvent", true),
    ("reset", "ResetEvent", true),
    ("typing", "TypingEvent", false),
    ("presence", "PresenceEvent", false),
];

/// States [`EVENTS`] on the stream's answer: OpenAPI has no words for an event stream's events,
/// so they are an extension (`x-events`) naming each event's schema in `components`.
pub fn catalogue(document: &mut serde_json::Value) {
    use serde_json::{Value, json};
    let catalogue: serde_json::Map<String, Value> = EVENTS
        .iter()
        .map(|(name, schema, logged)| {
            let event = json!({ "data": { "$ref": format!("#/components/schemas/{schema}") }, "id": logged });
            (name.to_string(), event)
        })
        .collect();
    let pointer = "/paths/~1api~1events~1chat/get/responses/200";
    if let Some(Value::Object(answer)) = document.pointer_mut(pointer) {
        answer.insert("x-events".into(), Value::Object(catalogue));
    }
}
