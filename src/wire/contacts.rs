//! A person as someone who shares a chat sees them: with their presence (`Contact`), looked up
//! with a row or on its own (`Presences`).

use std::collections::HashMap;

use serde::Serialize;
use time::OffsetDateTime;
use tokio_postgres::{GenericClient, Row};

use super::Person;
use crate::auth::Role;

/// Someone a user shares a chat with, and whether they are online.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Contact {
    #[serde(flatten)]
    pub person: Person,
    /// Whether they have an event stream open on any replica.
    pub online: bool,
    /// When their last stream closed; null while online, and for someone never seen.
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_seen: Option<OffsetDateTime>,
}

/// Whether someone of role `viewer` is shown anyone's presence: the one rule every path that
/// shows presence asks (the chat list, a chat's details, the stream's `chat_created` to members
/// and to a student's guardians, the hub's `presence` signals, `GET /api/presence/{id}` through
/// `access::may_see_presence`). Guests (an inquiry's visitor, no account) and guardians see
/// nobody's: a teacher's online hours are not theirs to watch. It is stated here, beside
/// [`Contact`], so that the hub and the frames, which `crate::access` itself builds on, apply
/// it as the API does; `crate::access` re-exports it.
pub fn sees_presence(viewer: Role) -> bool {
    !matches!(viewer, Role::Guest | Role::Guardian)
}

impl Contact {
    /// The contact as someone of role `viewer` is shown them: offline and never seen unless
    /// [`sees_presence`]. The only way a contact's presence is hidden.
    pub fn shown_to(self, viewer: Role) -> Self {
        if sees_presence(viewer) { self } else { Self { online: false, last_seen: None, ..self } }
    }

    /// `person` with the presence columns of `row`: `online` and `last_seen`, as
    /// `presence_of()` (`sql/functions/presence_of.sql`) answers them.
    pub fn from_row(person: Person, row: &Row) -> Result<Self, tokio_postgres::Error> {
        let (online, last_seen) = presence_of_row(row)?;
        Ok(Self { person, online, last_seen })
    }
}

/// The presence columns of `row`: online, and when last seen (none while online).
fn presence_of_row(row: &Row) -> Result<(bool, Option<OffsetDateTime>), tokio_postgres::Error> {
    let online: bool = row.try_get("online")?;
    Ok((online, if online { None } else { row.try_get("last_seen")? }))
}

/// Presence looked up on its own, on the primary: a standby cannot read it (its tables are
/// UNLOGGED), so statements that may run on one read people without it.
#[derive(Debug, Default)]
pub struct Presences(HashMap<i64, (bool, Option<OffsetDateTime>)>);

impl Presences {
    /// The presence of each user id in `$1`. Public so that the benchmark can run exactly this
    /// statement.
    pub const SQL: &str =
        "SELECT u.id, p.online, p.last_seen FROM unnest($1::bigint[]) AS u(id) CROSS JOIN LATERAL presence_of(u.id) p";

    /// The presence of each of `ids` (in one statement, parsed and planned on each call).
    pub async fn of(client: &impl GenericClient, ids: &[i64]) -> Result<Self, tokio_postgres::Error> {
        if ids.is_empty() {
            return Ok(Self::default());
        }
        Self::from_rows(client.query(Self::SQL, &[&ids]).await?)
    }

    /// As [`Self::of`], on a pooled connection, which prepares the statement once: a chat
    /// list asks for up to 500 people's presence at a time.
    pub async fn of_pooled(
        client: &deadpool_postgres::ClientWrapper,
        ids: &[i64],
    ) -> Result<Self, tokio_postgres::Error> {
        if ids.is_empty() {
            return Ok(Self::default());
        }
        let statement = client.prepare_cached(Self::SQL).await?;
        Self::from_rows(client.query(&statement, &[&ids]).await?)
    }

    fn from_rows(rows: Vec<Row>) -> Result<Self, tokio_postgres::Error> {
        let mut presences = HashMap::with_capacity(rows.len());
        for row in rows {
            presences.insert(row.try_get("id")?, presence_of_row(&row)?);
        }
        Ok(Self(presences))
    }

    /// `person` as a contact, with their presence (offline and never seen, if not looked up).
    pub fn contact(&self, person: Person) -> Contact {
        let (online, last_seen) = self.0.get(&person.id).copied().unwrap_or((false, None));
        Contact { person, online, last_seen }
    }
}
