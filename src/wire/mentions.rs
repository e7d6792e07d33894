//! Mentions as history, the event stream and the answers to sending and editing show them:
//! whom a message names with "@", by id, with their names as they are now (a person renamed
//! since shows their new name; one erased is no longer mentioned).

use serde::{Deserialize, Serialize};
use tokio_postgres::{GenericClient, Row};

/// A member a message mentions: a group's member whose name followed an "@" in its text when
/// it was written or last edited (resolved before the append, `log::mentions`; checked by the
/// log, `message_mentions_check()`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Mention {
    pub id: i64,
    /// Their name now.
    pub name: String,
}

impl Mention {
    /// The mentions in `column` of a row (`message_views`' `mentions`).
    pub fn list_from_row(row: &Row, column: &str) -> Result<Vec<Self>, tokio_postgres::Error> {
        let list: Option<postgres_types::Json<Vec<Self>>> = row.try_get(column)?;
        Ok(list.map(|list| list.0).unwrap_or_default())
    }

    /// The people of `ids` (an event's `mentions`) with their names now, by id; none for none.
    pub async fn named(client: &impl GenericClient, ids: &[i64]) -> Result<Vec<Self>, tokio_postgres::Error> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows = client.query("SELECT id, name FROM users WHERE id = ANY($1) ORDER BY id", &[&ids]).await?;
        rows.iter().map(|row| Ok(Self { id: row.try_get("id")?, name: row.try_get("name")? })).collect()
    }
}
