//! The wire shapes: what a chat, a message or a person looks like on the wire, shared by REST
//! answers and event-stream frames (a chat and a message look the same whether a client lists
//! them or receives them live, so both paths build them here), and each log event's frame data
//! (`events`). Not the read models, which are tables (`sql/schema.sql`).

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tokio_postgres::Row;

use crate::auth::Role;
pub use crate::log::{Attachment, IMAGE_TYPES};

mod closures;
mod contacts;
pub mod events;
mod mentions;
mod moderation;
mod reactions;
pub use closures::{ClosureOutcome, ClosureRequestView, ClosureRequests};
pub use contacts::{Contact, Presences, sees_presence};
pub use mentions::Mention;
pub use moderation::{Hidden, PurgeCause, Purged, Removal, ReportView, ReportedChat, ReportedMessage};
pub use reactions::{Reacted, Reaction, named_for};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Person {
    pub id: i64,
    pub name: String,
    pub role: Role,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LastMessage {
    pub id: i64,
    pub sender_id: i64,
    /// The sender's name in a group (null in a direct chat, whose sender is you or
    /// `participant`).
    pub sender_name: Option<String>,
    /// Empty for a message of attachments only (see `type`), and for one hidden or purged.
    pub content: String,
    #[serde(rename = "type")]
    pub kind: MessageType,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Why it shows no text: hidden by a moderator, or purged.
    pub removed: Option<Removal>,
}

/// `direct`: a student and a teacher, opened by their first completed lesson, members fixed.
/// `group`: created by a teacher or an admin, members added and removed by events.
/// `inquiry`: a visitor without an account (a guest) and a teacher, opened through the
/// teacher's inquiry link, members fixed; read-only once closed.
/// `family`: a guardian and a teacher of their child, opened by the database (the child's first
/// completed lesson with the teacher while the guardian is linked, or the link), members fixed;
/// read-only while it concerns no child (the link ended).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ChatKind {
    Direct,
    Group,
    Inquiry,
    Family,
}

crate::db::text_column!(ChatKind { Direct => "direct", Group => "group", Inquiry => "inquiry", Family => "family" });

pub use crate::log::{Audience, Recipients};

/// What every view of a chat says about it, whoever looks.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ChatHeader {
    pub kind: ChatKind,
    /// A group's title, or an inquiry's (its link's); null for a direct chat.
    pub title: Option<String>,
    /// What the chat is about, as its creator described it, e.g.
    /// `{"type": "course", "id": 12, "title": "ЕГЭ математика"}` (null: nothing).
    #[schema(value_type = Option<Object>)]
    pub context: Option<serde_json::Value>,
    /// Who created a group, or the guest who opened an inquiry (null for a direct chat: the
    /// lesson trigger opened it).
    pub created_by: Option<i64>,
    /// Last activity: when the newest message was written (deleted or not), or the chat
    /// opened. Chat lists are ordered by it.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    /// Current members (2 in a direct chat or an inquiry).
    pub participants_count: i64,
    /// When an inquiry was closed for lack of activity: it is read-only since (null: open).
    #[serde(with = "time::serde::rfc3339::option")]
    pub closed_at: Option<OffsetDateTime>,
    /// A direct chat whose student has a guardian linked now: the guardian reads it (never
    /// writes), and the header tells both its members so.
    pub guardians_read: bool,
    /// An announcement: only its owner (`created_by`, a teacher) posts; members read, and
    /// `POST /api/messages` answers them 403 `announcement_read_only`.
    pub announcement: bool,
    /// An announcement's members follow its owner's lessons (`my_students`); null: members
    /// added by hand.
    pub audience: Option<Audience>,
    /// Whom an announcement reaches: `students`, `guardians` (their guardians, not the
    /// students) or `both`; null for every other chat.
    pub recipients: Option<Recipients>,
    /// A direct chat's pair's lesson subjects (lessons not cancelled), the most recent lesson's
    /// first, each once; empty for a group or an inquiry, and for a pair whose lessons have none.
    pub subjects: Vec<String>,
    /// A direct chat whose teacher left the school (deactivated): read-only (a message answers
    /// 403 `teacher_departed`) until an admin hands it to a successor (`chat_handed_over`).
    pub teacher_departed: bool,
    /// A family chat's children: the names of the guardian's children the teacher teaches now
    /// (alphabetical). None: the chat is read-only (the guardian's link ended). Empty for
    /// every other kind of chat.
    pub children: Vec<String>,
}

impl ChatHeader {
    /// A row of the `chat_headers` view (`sql/V28__wire_views.sql`).
    pub fn from_row(row: &Row) -> Result<Self, tokio_postgres::Error> {
        Ok(Self {
            kind: row.try_get("kind")?,
            title: row.try_get("title")?,
            context: row.try_get("context")?,
            created_by: row.try_get("created_by")?,
            updated_at: row.try_get("updated_at")?,
            participants_count: row.try_get("participants_count")?,
            closed_at: row.try_get("closed_at")?,
            guardians_read: row.try_get("guardians_read")?,
            announcement: row.try_get("announcement")?,
            audience: row.try_get("audience")?,
            recipients: row.try_get("recipients")?,
            subjects: row.try_get("subjects")?,
            teacher_departed: row.try_get("teacher_departed")?,
            children: row.try_get("children")?,
        })
    }

    /// A pair's chat that has just opened (an inquiry's adds its title and context, a direct
    /// chat its subjects).
    pub fn new_direct(created_at: OffsetDateTime) -> Self {
        Self {
            kind: ChatKind::Direct,
            title: None,
            context: None,
            created_by: None,
            updated_at: created_at,
            participants_count: 2,
            closed_at: None,
            guardians_read: false,
            announcement: false,
            audience: None,
            recipients: None,
            subjects: Vec::new(),
            teacher_departed: false,
            children: Vec::new(),
        }
    }
}

/// One chat as its participant sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ChatSummary {
    pub id: i64,
    #[serde(flatten)]
    pub header: ChatHeader,
    /// The other participant of a direct chat or an inquiry (null for a group); for a guardian,
    /// the teacher.
    pub participant: Option<Contact>,
    /// For a guardian: the student they read this chat for (null for everyone else).
    pub ward: Option<Person>,
    /// For a guardian: they read only the ward's own messages here (a group, under
    /// `GUARDIAN_GROUPS=own_messages`); false for everyone else.
    #[serde(default)]
    pub ward_only: bool,
    pub last_message: Option<LastMessage>,
    /// Messages from others after the caller's read marker, not deleted.
    pub unread_count: i64,
    /// The caller's read marker: the newest message id they have read (0: none).
    pub last_read_message_id: i64,
    /// The caller muted it: no offline notice tells them of it (unread still counts).
    pub muted: bool,
    /// `participant` left the school (deactivated): a teacher's chat with a departed student is
    /// in the archive; a student's with a departed teacher is read-only (`teacher_departed`).
    pub participant_departed: bool,
    /// The caller archived it and no message has arrived since (or it is closed), or it is a
    /// teacher's chat with a student who left the school: it is out of their inbox, in
    /// `GET /api/chats?archived=true`.
    pub archived: bool,
}

/// One chat as an admin sees it: its members and its activity.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AdminChat {
    pub id: i64,
    #[serde(flatten)]
    pub header: ChatHeader,
    pub participants: Vec<Person>,
    /// Messages not deleted.
    pub messages_count: i64,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_message_at: Option<OffsetDateTime>,
}

/// A message in a chat's history.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HistoryMessage {
    pub id: i64,
    pub sender_id: i64,
    /// The current text (the newest edit's).
    pub content: String,
    pub is_deleted: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Whether the text was changed after sending.
    #[serde(default)]
    pub is_edited: bool,
    /// When the text was last changed.
    #[serde(with = "time::serde::rfc3339::option", default)]
    pub edited_at: Option<OffsetDateTime>,
    /// The message this one answers.
    #[serde(default)]
    pub reply_to: Option<ReplyPreview>,
    /// `text`, or `image` when every attachment is an image, `file` otherwise.
    #[serde(rename = "type", default)]
    pub kind: MessageType,
    /// Files and images, in the order the sender gave them (empty for a text message).
    #[serde(default)]
    pub attachments: Vec<Attachment>,
    /// The chat's other participants whose read marker covers this message (at most
    /// [`READ_BY_LIMIT`], lowest ids first): in a direct chat `[partner]` once the partner has
    /// read it, else `[]`.
    #[serde(default)]
    pub read_by: Vec<i64>,
    /// Hidden by a moderator: participants get it without text or files; admins with both.
    #[serde(default)]
    pub hidden: Option<Hidden>,
    /// Purged for good (retention, erasure): no text, no files, for everyone.
    #[serde(default)]
    pub purged: Option<Purged>,
    /// Its reactions, one entry per emoji in the order each was first given (none on a
    /// hidden, deleted or purged message).
    #[serde(default)]
    pub reactions: Vec<Reaction>,
    /// Whom its text mentions ("@Name" in a group), with their names now (none on a hidden,
    /// deleted or purged message; an admin reads a hidden one's).
    #[serde(default)]
    pub mentions: Vec<Mention>,
}

impl HistoryMessage {
    /// As `admin` or a participant may see it: a participant gets a hidden message without its
    /// text and files, and without who hid it and why.
    pub fn for_viewer(self, admin: bool) -> Self {
        match &self.hidden {
            Some(hidden) if !admin => Self {
                content: String::new(),
                attachments: Vec::new(),
                kind: MessageType::Text,
                hidden: Some(hidden.for_participants()),
                mentions: Vec::new(),
                ..self
            },
            _ => self,
        }
    }
}

/// What a message carries, as the spec names it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum MessageType {
    #[default]
    Text,
    File,
    Image,
}

impl MessageType {
    pub fn of(attachments: &[Attachment]) -> Self {
        match attachments {
            [] => Self::Text,
            all if all.iter().all(Attachment::is_image) => Self::Image,
            _ => Self::File,
        }
    }
}

/// Ids listed in a message's `read_by` at most.
pub const READ_BY_LIMIT: usize = 20;

/// The message a reply answers, as it is now, as the reader may see it: a message from before
/// the reader joined (a group's later member) is shown only as unavailable, with no author or
/// text, in history, live and on resume alike.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReplyPreview {
    pub id: i64,
    /// Null when it is unavailable to the reader.
    pub sender_id: Option<i64>,
    /// The first 100 characters of its current text; null when it is deleted (its text is
    /// then shown to nobody but an auditor), hidden, purged, or unavailable to the reader.
    pub content_preview: Option<String>,
    pub is_deleted: bool,
    /// Why it shows no text besides deletion: hidden by a moderator, or purged.
    #[serde(default)]
    pub removed: Option<Removal>,
    /// The reader may not see the quoted message (it was written before they joined).
    #[serde(default)]
    pub unavailable: bool,
    /// Its `message_created` event's position: who joined after it may not see it.
    #[serde(skip)]
    pub position: i64,
}

impl ReplyPreview {
    /// The quote of a row of the `message_views` view, or of the `reply_previews` view
    /// (`sql/V28__wire_views.sql`).
    pub fn from_row(row: &Row) -> Result<Option<Self>, tokio_postgres::Error> {
        let Some(id) = row.try_get::<_, Option<i64>>("reply_id")? else {
            return Ok(None);
        };
        Ok(Some(Self {
            id,
            sender_id: row.try_get("reply_sender_id")?,
            content_preview: row.try_get("reply_preview")?,
            is_deleted: row.try_get("reply_deleted")?,
            removed: removal(row.try_get("reply_removed")?),
            unavailable: false,
            position: row.try_get("reply_position")?,
        }))
    }

    /// As a reader sees it who may see the chat's messages at the positions `readable` accepts.
    pub fn for_reader(self, readable: impl Fn(i64) -> bool) -> Self {
        if readable(self.position) { self } else { self.unavailable() }
    }

    /// Only that it exists and is not the reader's to see.
    pub fn unavailable(self) -> Self {
        Self { sender_id: None, content_preview: None, is_deleted: false, removed: None, unavailable: true, ..self }
    }
}

/// A `removed` column (`'hidden'`, `'purged'` or NULL).
pub fn removal(column: Option<&str>) -> Option<Removal> {
    match column {
        Some("purged") => Some(Removal::Purged),
        Some("hidden") => Some(Removal::Hidden),
        _ => None,
    }
}

/// A message as `POST /api/messages` answers it: a history item plus its chat.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SentMessage {
    pub chat_id: i64,
    #[serde(flatten)]
    pub message: HistoryMessage,
}
