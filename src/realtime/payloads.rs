//! The data of each log event's SSE frame, as the event stream's contract describes it (the
//! OpenAPI document's components): one line of JSON per frame.

use serde::Serialize;
use time::OffsetDateTime;

use crate::views::{Attachment, MessageType, Person, ReplyPreview};

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
}

/// The data of `messages_read`: `user_id` has read the chat up to `up_to_message_id`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct MessagesReadEvent {
    pub chat_id: i64,
    pub user_id: Option<i64>,
    pub up_to_message_id: i64,
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

/// The data of `chat_renamed`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ChatRenamedEvent {
    pub chat_id: i64,
    pub title: String,
    pub actor_id: Option<i64>,
}

/// The data of `chat_closed`: an inquiry is read-only from now on (it was idle too long).
#[derive(Serialize, utoipa::ToSchema)]
pub struct ChatClosedEvent {
    pub chat_id: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub closed_at: OffsetDateTime,
}

#[derive(Serialize)]
pub(super) struct ChatCreated<T> {
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

/// The data of `reset`: the resume point was unusable; reload the snapshots and continue from
/// this frame's id.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ResetEvent {
    pub reason: String,
}
