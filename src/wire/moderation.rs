//! What moderation and purges show of a message, and a report as the moderators see it. A
//! hidden message is shown to its chat's participants as a placeholder (no text, no files) and
//! to admins as it is, with who hid it and why; a purged one is a placeholder for everyone.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tokio_postgres::{GenericClient, Row};

use super::{Attachment, ChatKind, Person};
pub use crate::log::PurgeCause;

/// A moderator hid the message. `hidden_by` and `reason` reach admins only (null for others).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Hidden {
    #[serde(with = "time::serde::rfc3339")]
    pub hidden_at: OffsetDateTime,
    #[serde(default)]
    pub hidden_by: Option<i64>,
    #[serde(default)]
    pub reason: Option<String>,
}

impl Hidden {
    /// As `hidden_at`, `hidden_by` and `hidden_reason` say (None: not hidden).
    pub fn from_row(row: &Row) -> Result<Option<Self>, tokio_postgres::Error> {
        let Some(hidden_at) = row.try_get::<_, Option<OffsetDateTime>>("hidden_at")? else { return Ok(None) };
        Ok(Some(Self { hidden_at, hidden_by: row.try_get("hidden_by")?, reason: row.try_get("hidden_reason")? }))
    }

    /// What a participant sees of it: only when.
    pub fn for_participants(&self) -> Self {
        Self { hidden_at: self.hidden_at, hidden_by: None, reason: None }
    }
}

/// The message's content was purged for good: `content` is empty and it has no files, for
/// everyone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Purged {
    #[serde(with = "time::serde::rfc3339")]
    pub purged_at: OffsetDateTime,
    pub cause: PurgeCause,
}

impl Purged {
    /// As `purged_at` and `purge_cause` say (None: not purged).
    pub fn from_row(row: &Row) -> Result<Option<Self>, tokio_postgres::Error> {
        let Some(purged_at) = row.try_get::<_, Option<OffsetDateTime>>("purged_at")? else { return Ok(None) };
        let cause = match row.try_get::<_, Option<&str>>("purge_cause")? {
            Some("erasure") => PurgeCause::Erasure,
            _ => PurgeCause::Retention,
        };
        Ok(Some(Self { purged_at, cause }))
    }
}

/// Why a quoted message or a chat's last message shows no text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Removal {
    /// Hidden by a moderator.
    Hidden,
    /// Purged (retention or erasure).
    Purged,
}

/// A participant's report of a message, as the moderators see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReportView {
    /// Its event's position in the log.
    pub id: i64,
    pub chat: ReportedChat,
    pub message: ReportedMessage,
    /// Who reported it; null for a flag (the system's).
    pub reporter: Option<Person>,
    pub reason: String,
    /// A flag's cause (a term of the school's list it matched, or a burst); null for a
    /// person's report.
    pub flag: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub resolved_at: Option<OffsetDateTime>,
    /// `hidden`: an admin hid the message; `cleared`: an admin found nothing to act on; null
    /// while the report is open.
    pub resolution: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReportedChat {
    pub id: i64,
    pub kind: ChatKind,
    pub title: Option<String>,
}

/// The reported message as it is now, as an admin sees it (a hidden one with its content).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReportedMessage {
    pub id: i64,
    pub sender: Person,
    pub content: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub is_deleted: bool,
    pub hidden: Option<Hidden>,
    pub purged: Option<Purged>,
    pub attachments: Vec<Attachment>,
}

impl ReportView {
    /// A row of the `report_views` view (`sql/V28__wire_views.sql`).
    pub fn from_row(row: &Row) -> Result<Self, tokio_postgres::Error> {
        Ok(Self {
            id: row.try_get("id")?,
            chat: ReportedChat {
                id: row.try_get("chat_id")?,
                kind: row.try_get("kind")?,
                title: row.try_get("title")?,
            },
            message: ReportedMessage {
                id: row.try_get("message_id")?,
                sender: person(row, "sender")?,
                content: row.try_get("content")?,
                created_at: row.try_get("created_at")?,
                is_deleted: row.try_get("is_deleted")?,
                hidden: Hidden::from_row(row)?,
                purged: Purged::from_row(row)?,
                attachments: Attachment::list_from_row(row, "attachments")?,
            },
            reporter: match row.try_get::<_, Option<i64>>("reporter_id")? {
                Some(_) => Some(person(row, "reporter")?),
                None => None,
            },
            reason: row.try_get("reason")?,
            flag: row.try_get("flag")?,
            created_at: row.try_get("reported_at")?,
            resolved_at: row.try_get("resolved_at")?,
            resolution: row.try_get("resolution")?,
        })
    }

    /// The reports `ids`, in no particular order.
    pub async fn load(client: &impl GenericClient, ids: &[i64]) -> Result<Vec<Self>, tokio_postgres::Error> {
        let rows = client.query("SELECT * FROM report_views WHERE id = ANY($1)", &[&ids]).await?;
        rows.iter().map(Self::from_row).collect()
    }
}

/// The person in a row's `{prefix}_id`, `{prefix}_name` and `{prefix}_role`.
fn person(row: &Row, prefix: &str) -> Result<Person, tokio_postgres::Error> {
    Ok(Person {
        id: row.try_get(format!("{prefix}_id").as_str())?,
        name: row.try_get(format!("{prefix}_name").as_str())?,
        role: row.try_get(format!("{prefix}_role").as_str())?,
    })
}
