//! A guardian's request that the school close their child's direct chat, as the guardian who
//! asked and the admins see it (REST lists and the `closure_requested` and `closure_declined`
//! frames alike). The chat's participants never see it: they see the closing.

use serde::Serialize;
use time::OffsetDateTime;
use tokio_postgres::{GenericClient, Row};

use super::Person;

/// What became of a closure request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ClosureOutcome {
    /// An admin closed the chat: read-only for both participants from then on.
    Closed,
    /// An admin declined: the chat stays open.
    Declined,
}

crate::db::text_column!(ClosureOutcome { Closed => "closed", Declined => "declined" });

/// A closure request (its id is its `closure_requested` event's position).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ClosureRequestView {
    pub id: i64,
    pub chat_id: i64,
    /// The guardian who asked.
    pub requested_by: Person,
    /// The chat's pair.
    pub student: Person,
    pub teacher: Person,
    /// The guardian's words (empty once the guardian has been erased).
    pub reason: String,
    #[serde(with = "time::serde::rfc3339")]
    pub requested_at: OffsetDateTime,
    /// Null while undecided.
    pub outcome: Option<ClosureOutcome>,
    pub decided_by: Option<i64>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub decided_at: Option<OffsetDateTime>,
    /// A declining admin's note to the guardian, if any.
    pub note: Option<String>,
}

/// Which requests to list.
#[derive(Debug, Clone, Copy)]
pub enum ClosureRequests<'a> {
    /// These ids (a batch of frames).
    Ids(&'a [i64]),
    /// A guardian's own, newest first.
    By(i64),
    /// Every request, the undecided first, then newest first (admins).
    All,
}

impl ClosureRequestView {
    pub async fn load(
        client: &impl GenericClient,
        which: ClosureRequests<'_>,
        limit: i64,
    ) -> Result<Vec<Self>, tokio_postgres::Error> {
        let rows = match which {
            ClosureRequests::Ids(ids) => {
                const SQL: &str = "SELECT * FROM closure_request_views WHERE id = ANY($1) ORDER BY id LIMIT $2";
                client.query(SQL, &[&ids, &limit]).await?
            }
            ClosureRequests::By(guardian) => {
                const SQL: &str =
                    "SELECT * FROM closure_request_views WHERE requested_by = $1 ORDER BY id DESC LIMIT $2";
                client.query(SQL, &[&guardian, &limit]).await?
            }
            ClosureRequests::All => {
                const SQL: &str = "SELECT * FROM closure_request_views ORDER BY outcome IS NOT NULL, id DESC LIMIT $1";
                client.query(SQL, &[&limit]).await?
            }
        };
        rows.iter().map(Self::from_row).collect()
    }

    fn from_row(row: &Row) -> Result<Self, tokio_postgres::Error> {
        let person = |prefix: &str| -> Result<Person, tokio_postgres::Error> {
            Ok(Person {
                id: row.try_get(format!("{prefix}_id").as_str())?,
                name: row.try_get(format!("{prefix}_name").as_str())?,
                role: row.try_get(format!("{prefix}_role").as_str())?,
            })
        };
        Ok(Self {
            id: row.try_get("id")?,
            chat_id: row.try_get("chat_id")?,
            requested_by: person("guardian")?,
            student: person("student")?,
            teacher: person("teacher")?,
            reason: row.try_get("reason")?,
            requested_at: row.try_get("requested_at")?,
            outcome: row.try_get("outcome")?,
            decided_by: row.try_get("decided_by")?,
            decided_at: row.try_get("decided_at")?,
            note: row.try_get("note")?,
        })
    }
}
