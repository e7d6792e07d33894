//! The event log: appending and reading `events`.
//!
//! Appends are the only way the application writes chat content; the triggers in
//! `sql/V2__event_log.sql` validate each event, give it its position (and a message its id),
//! update the read models and NOTIFY, all in the caller's transaction. [`append`] takes a
//! slice so that requests arriving together can share one transaction and one NOTIFY.

use serde::Deserialize;
use time::OffsetDateTime;
use tokio_postgres::{GenericClient, Row, ToStatement};

/// The NOTIFY channel; the payload is the highest position an INSERT statement appended.
pub const CHANNEL: &str = "tutorchat_events";

/// An event the application asks the log to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NewEvent {
    MessageCreated { chat_id: i64, sender_id: i64, content: String },
    MessageDeleted { chat_id: i64, actor_id: i64, message_id: i64 },
}

/// What an event says, by type (the `type` column with its `payload`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventData {
    ChatCreated { student_id: i64, teacher_id: i64 },
    MessageCreated { message_id: i64, content: String },
    MessageDeleted { message_id: i64 },
}

/// One row of the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    pub position: i64,
    pub chat_id: i64,
    pub actor_id: Option<i64>,
    pub created_at: OffsetDateTime,
    pub data: EventData,
}

impl StoredEvent {
    pub fn from_row(row: &Row) -> anyhow::Result<Self> {
        let kind: String = row.try_get("type")?;
        let mut payload: serde_json::Value = row.try_get("payload")?;
        if let Some(fields) = payload.as_object_mut() {
            fields.insert("type".into(), kind.clone().into());
        }
        let data = serde_json::from_value(payload)
            .map_err(|e| anyhow::anyhow!("event at position {} of type {kind}: {e}", row.get::<_, i64>("position")))?;
        Ok(Self {
            position: row.try_get("position")?,
            chat_id: row.try_get("chat_id")?,
            actor_id: row.try_get("actor_id")?,
            created_at: row.try_get("created_at")?,
            data,
        })
    }

    /// Whether this stored event is the one `new` asked for.
    fn answers(&self, new: &NewEvent) -> bool {
        match (new, &self.data) {
            (
                NewEvent::MessageCreated { chat_id, sender_id, content },
                EventData::MessageCreated { content: c, .. },
            ) => *chat_id == self.chat_id && Some(*sender_id) == self.actor_id && content == c,
            (
                NewEvent::MessageDeleted { chat_id, actor_id, message_id },
                EventData::MessageDeleted { message_id: m },
            ) => *chat_id == self.chat_id && Some(*actor_id) == self.actor_id && message_id == m,
            _ => false,
        }
    }
}

/// The columns `StoredEvent::from_row` reads, for queries elsewhere.
pub const COLUMNS: &str = "position, chat_id, actor_id, type, payload, created_at";

/// The statement [`append`] runs: $1–$4 are arrays of chat ids, actor ids, types and
/// payloads, inserted in array order. The appender prepares it once per pooled connection.
pub static APPEND_SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "INSERT INTO events (chat_id, actor_id, type, payload)
         SELECT chat_id, actor_id, type, payload
         FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::jsonb[])
              WITH ORDINALITY AS e (chat_id, actor_id, type, payload, ord)
         ORDER BY ord
         RETURNING {COLUMNS}"
    )
});

/// Appends `events` in one statement, in order, and returns for each one the stored event, or
/// `None` where the log recorded nothing because there was nothing to do (deleting a message
/// that is already deleted). The caller owns the transaction: nothing is visible, and nothing
/// is notified, until it commits.
///
/// Database-side refusals (not a participant, not the author, invalid content) fail the whole
/// statement; callers check them first so that this stays the exception.
pub async fn append(client: &impl GenericClient, events: &[NewEvent]) -> Result<Vec<Option<StoredEvent>>, AppendError> {
    append_with(client, APPEND_SQL.as_str(), events).await
}

/// [`append`] with [`APPEND_SQL`] already prepared (or as text).
pub async fn append_with<S>(
    client: &impl GenericClient,
    statement: &S,
    events: &[NewEvent],
) -> Result<Vec<Option<StoredEvent>>, AppendError>
where
    S: ?Sized + ToStatement + Sync + Send,
{
    let mut chat_ids = Vec::with_capacity(events.len());
    let mut actor_ids = Vec::with_capacity(events.len());
    let mut types = Vec::with_capacity(events.len());
    let mut payloads = Vec::with_capacity(events.len());
    for event in events {
        let (chat_id, actor_id, kind, payload) = match event {
            NewEvent::MessageCreated { chat_id, sender_id, content } => {
                (*chat_id, *sender_id, "message_created", serde_json::json!({ "content": content }))
            }
            NewEvent::MessageDeleted { chat_id, actor_id, message_id } => {
                (*chat_id, *actor_id, "message_deleted", serde_json::json!({ "message_id": message_id }))
            }
        };
        chat_ids.push(chat_id);
        actor_ids.push(actor_id);
        types.push(kind);
        payloads.push(payload);
    }
    metrics::histogram!(crate::metrics::APPEND_BATCH).record(events.len() as f64);
    let rows = client.query(statement, &[&chat_ids, &actor_ids, &types, &payloads]).await?;
    let stored = rows.iter().map(StoredEvent::from_row).collect::<anyhow::Result<Vec<_>>>()?;

    // Rows come back in insertion order, minus the ones the log skipped: match them up.
    let mut stored = stored.into_iter().peekable();
    let answers = events.iter().map(|event| stored.next_if(|s| s.answers(event))).collect();
    if let Some(extra) = stored.next() {
        return Err(AppendError::Other(anyhow::anyhow!("the log returned unexpected event {}", extra.position)));
    }
    Ok(answers)
}

/// The statement [`read_after`] runs: $1 the position to read after, $2 how many at most.
pub static READ_AFTER_SQL: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| format!("SELECT {COLUMNS} FROM events WHERE position > $1 ORDER BY position LIMIT $2"));

/// Up to `limit` events after `position`, in log order. Because positions become visible in
/// order (see the migration), a reader that advances its cursor to the last event returned can
/// never skip one that commits later.
pub async fn read_after(client: &impl GenericClient, position: i64, limit: i64) -> anyhow::Result<Vec<StoredEvent>> {
    read_after_with(client, READ_AFTER_SQL.as_str(), position, limit).await
}

/// [`read_after`] with [`READ_AFTER_SQL`] already prepared (or as text).
pub async fn read_after_with<S>(
    client: &impl GenericClient,
    statement: &S,
    position: i64,
    limit: i64,
) -> anyhow::Result<Vec<StoredEvent>>
where
    S: ?Sized + ToStatement + Sync + Send,
{
    let rows = client.query(statement, &[&position, &limit]).await?;
    rows.iter().map(StoredEvent::from_row).collect()
}

/// The highest position visible now (0 for an empty log). Because positions become visible
/// in order, every event up to it is visible too.
pub async fn head(client: &impl GenericClient) -> Result<i64, tokio_postgres::Error> {
    Ok(client.query_one("SELECT coalesce(max(position), 0) FROM events", &[]).await?.get(0))
}

/// Why an append failed.
#[derive(Debug, thiserror::Error)]
pub enum AppendError {
    /// The log's own rules refused an event (see `sql/V2__event_log.sql`).
    #[error("{0}")]
    Refused(String, Refusal),
    #[error(transparent)]
    Database(tokio_postgres::Error),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    InvalidContent,
    NotAllowed,
    NotFound,
}

impl From<tokio_postgres::Error> for AppendError {
    fn from(e: tokio_postgres::Error) -> Self {
        use tokio_postgres::error::SqlState;
        let Some(db) = e.as_db_error() else {
            return Self::Database(e);
        };
        let refusal = match db.code() {
            c if *c == SqlState::CHECK_VIOLATION => Refusal::InvalidContent,
            c if *c == SqlState::INSUFFICIENT_PRIVILEGE => Refusal::NotAllowed,
            c if *c == SqlState::NO_DATA_FOUND => Refusal::NotFound,
            _ => return Self::Database(e),
        };
        let message = match db.constraint() {
            Some("messages_content_length") => "content must be 1 to 10000 characters".to_owned(),
            Some("messages_content_not_blank") => "content must not be empty or only whitespace".to_owned(),
            _ => db.message().to_owned(),
        };
        Self::Refused(message, refusal)
    }
}

impl From<AppendError> for crate::AppError {
    fn from(e: AppendError) -> Self {
        match e {
            AppendError::Refused(message, Refusal::InvalidContent) => Self::BadRequest(message),
            AppendError::Refused(message, Refusal::NotAllowed) => Self::Forbidden(message),
            AppendError::Refused(message, Refusal::NotFound) => Self::NotFound(message),
            AppendError::Database(e) => e.into(),
            AppendError::Other(e) => Self::Internal(e),
        }
    }
}
