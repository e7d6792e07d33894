//! Every statement that reads or writes `events`. Callers own the transaction: the functions
//! take `&impl GenericClient`, so they run on a pooled client or inside a transaction alike.

use tokio_postgres::types::ToSql;
use tokio_postgres::{GenericClient, Row, ToStatement};

use super::{AppendError, NewEvent, StoredEvent};

// The replay of a resuming stream: what each viewer may see (its own file, for length).
pub use super::replay::{
    VISIBLE_TO_ADMIN_SQL, VISIBLE_TO_GUARDIAN_SQL, VISIBLE_TO_PARTICIPANT_SQL, Viewer, read_visible,
};

// Every statement below returns the columns [`StoredEvent::from_row`] reads: position,
// chat_id, actor_id, type, payload, created_at.

/// The log head: the end of the log's settled prefix in this snapshot (0 for an empty log):
/// every event up to it is visible, and none can commit below it later
/// (`sql/functions/log_head.sql`; read-model snapshots select it too, see [`snapshot`]).
const HEAD_SQL: &str = "SELECT head FROM log_head()";

/// The statement [`append`] runs: $1–$5 are arrays of chat ids, actor ids, types, payloads
/// and idempotency keys (NULL for none), appended in array order by `events_append` (which
/// draws their numbers in a short turn and orders them; `sql/functions/events_append.sql`),
/// with the NOTIFY inside the caller's transaction.
pub const APPEND_SQL: &str = "SELECT position, chat_id, actor_id, type, payload, created_at
     FROM events_append($1::bigint[], $2::bigint[], $3::text[], $4::jsonb[], $5::text[], true)";

/// [`APPEND_SQL`] without the NOTIFY, for a statement that is its own transaction: the writer
/// sends [`NOTIFY_SQL`] after it, so that no append holds PostgreSQL's notification lock
/// through its commit. The writer prepares it once per pooled connection.
pub const APPEND_QUIETLY_SQL: &str = "SELECT position, chat_id, actor_id, type, payload, created_at
     FROM events_append($1::bigint[], $2::bigint[], $3::text[], $4::jsonb[], $5::text[], false)";

/// [`APPEND_QUIETLY_SQL`] for the writer's batches: a chat another append holds now is not
/// waited for but deferred (answered as a row with no position), except those in $6, deferred
/// once already (see [`append_deferring`]).
pub const APPEND_DEFERRING_SQL: &str = "SELECT position, chat_id, actor_id, type, payload, created_at
     FROM events_append($1::bigint[], $2::bigint[], $3::text[], $4::jsonb[], $5::text[], false, true, $6::bigint[])";

/// The wake-up every replica's listener waits for ($1: the highest position appended).
pub const NOTIFY_SQL: &str = "SELECT pg_notify('tutorchat_events', $1::text)";

/// Appends `events` in one statement, in order, and returns for each one the stored event, or
/// `None` where the log recorded nothing because there was nothing to do (deleting a message
/// that is already deleted). The caller owns the transaction: nothing is visible, and nothing
/// is notified, until it commits.
///
/// Database-side refusals (not a participant, not the author, invalid content) fail the whole
/// statement; callers check them first so that this stays the exception.
pub async fn append(client: &impl GenericClient, events: &[NewEvent]) -> Result<Vec<Option<StoredEvent>>, AppendError> {
    append_with(client, APPEND_SQL, events, &vec![None; events.len()]).await
}

/// [`append`] with [`APPEND_SQL`] already prepared (or as text), and each event's idempotency
/// key (`keys[i]` for `events[i]`). An event whose key its actor has used before fails the
/// statement with [`AppendError::Duplicate`].
pub async fn append_with<S>(
    client: &impl GenericClient,
    statement: &S,
    events: &[NewEvent],
    keys: &[Option<String>],
) -> Result<Vec<Option<StoredEvent>>, AppendError>
where
    S: ?Sized + ToStatement + Sync + Send,
{
    let (chat_ids, actor_ids, types, payloads) = columns(events);
    metrics::histogram!(crate::metrics::APPEND_BATCH).record(events.len() as f64);
    let rows = client.query(statement, &[&chat_ids, &actor_ids, &types, &payloads, &keys]).await?;
    let stored = rows.iter().map(StoredEvent::from_row).collect::<anyhow::Result<Vec<_>>>()?;
    answers(events.iter(), stored)
}

/// The arrays `events_append` takes, of `events`' chat ids, actor ids, types and payloads.
#[allow(clippy::type_complexity)]
fn columns(events: &[NewEvent]) -> (Vec<Option<i64>>, Vec<Option<i64>>, Vec<super::EventType>, Vec<serde_json::Value>) {
    let mut chat_ids = Vec::with_capacity(events.len());
    let mut actor_ids = Vec::with_capacity(events.len());
    let mut types = Vec::with_capacity(events.len());
    let mut payloads = Vec::with_capacity(events.len());
    for event in events {
        let (chat_id, actor_id, kind, payload) = event.columns();
        chat_ids.push(chat_id);
        actor_ids.push(actor_id);
        types.push(kind);
        payloads.push(payload);
    }
    (chat_ids, actor_ids, types, payloads)
}

/// Each of `events` matched with its stored row: rows come back in insertion order, minus the
/// ones the log skipped (no-ops, `None`).
fn answers<'a>(
    events: impl Iterator<Item = &'a NewEvent>,
    stored: Vec<StoredEvent>,
) -> Result<Vec<Option<StoredEvent>>, AppendError> {
    let mut stored = stored.into_iter().peekable();
    let answers = events.map(|event| stored.next_if(|s| event.is_answered_by(s))).collect();
    if let Some(extra) = stored.next() {
        return Err(AppendError::Other(anyhow::anyhow!("the log returned unexpected event {}", extra.position)));
    }
    Ok(answers)
}

/// What [`append_deferring`] did with an event. (Unboxed: each is made once and moved into the
/// request's answer as it is.)
#[derive(Debug)]
#[allow(clippy::large_enum_variant)]
pub enum Outcome {
    /// Appended (`None`: a no-op, nothing to record).
    Stored(Option<StoredEvent>),
    /// Its chat was busy with another append: left for the next batch, as every event of that
    /// chat in this one.
    Deferred,
}

/// [`append_with`] for the writer, with [`APPEND_DEFERRING_SQL`] prepared: the events of a chat
/// another append holds now are deferred rather than waited for, unless their chat is in
/// `wait` (deferred once already) or every chat is busy. Its own transaction: nothing notified.
pub async fn append_deferring(
    client: &impl GenericClient,
    statement: &tokio_postgres::Statement,
    events: &[NewEvent],
    keys: &[Option<String>],
    wait: &[i64],
) -> Result<Vec<Outcome>, AppendError> {
    let (chat_ids, actor_ids, types, payloads) = columns(events);
    metrics::histogram!(crate::metrics::APPEND_BATCH).record(events.len() as f64);
    let rows = client.query(statement, &[&chat_ids, &actor_ids, &types, &payloads, &keys, &wait]).await?;
    let (mut busy, mut stored) = (std::collections::HashSet::new(), Vec::with_capacity(rows.len()));
    for row in &rows {
        match row.try_get::<_, Option<i64>>("position").map_err(anyhow::Error::from)? {
            Some(_) => stored.push(StoredEvent::from_row(row)?),
            None => {
                busy.insert(row.try_get::<_, i64>("chat_id").map_err(anyhow::Error::from)?);
            }
        }
    }
    let deferred = |i: usize| chat_ids[i].is_some_and(|chat| busy.contains(&chat));
    let appended = events.iter().enumerate().filter(|&(i, _)| !deferred(i)).map(|(_, e)| e);
    let mut answers = answers(appended, stored)?.into_iter();
    let outcomes = (0..events.len())
        .map(|i| if deferred(i) { Outcome::Deferred } else { Outcome::Stored(answers.next().flatten()) })
        .collect();
    Ok(outcomes)
}

/// The event `actor` appended with idempotency key `key`, if any: what a retried request
/// answers with.
pub async fn find_by_key(client: &impl GenericClient, actor: i64, key: &str) -> anyhow::Result<Option<StoredEvent>> {
    const SQL: &str = "SELECT position, chat_id, actor_id, type, payload, created_at FROM events
                       WHERE actor_id = $1 AND idempotency_key = $2";
    client.query_opt(SQL, &[&actor, &key]).await?.as_ref().map(StoredEvent::from_row).transpose()
}

/// The statement [`read_after`] runs: $1 the position to read after, $2 how many at most; each
/// row says whether it is settled (its transaction below the oldest one running, in the
/// statement's snapshot; rows from before transactions were recorded are, and those at or
/// below `log_floor`, restored from a logical copy).
pub const READ_AFTER_SQL: &str = "SELECT position, chat_id, actor_id, type, payload, created_at,
            xid IS NULL OR xid < pg_snapshot_xmin(pg_current_snapshot())
            OR position <= (SELECT f.position FROM log_floor f) AS settled
     FROM events WHERE position > $1 ORDER BY position LIMIT $2";

/// Up to `limit` events after `position`, in log order, up to the first that is not settled:
/// the only events a reader may move its cursor past (see `events_append`: every event before
/// a settled one has ended, so none can commit behind the cursor later).
pub async fn read_after(client: &impl GenericClient, position: i64, limit: i64) -> anyhow::Result<Vec<StoredEvent>> {
    Ok(read_after_with(client, READ_AFTER_SQL, position, limit).await?.events)
}

/// What [`read_after_with`] read: the settled events, and whether it stopped short of events
/// it saw (an append still settling: worth reading again soon, as its writer's NOTIFY may never
/// come).
pub struct Settled {
    pub events: Vec<StoredEvent>,
    pub cut: bool,
}

/// [`read_after`] with [`READ_AFTER_SQL`] already prepared (or as text).
pub async fn read_after_with<S>(
    client: &impl GenericClient,
    statement: &S,
    position: i64,
    limit: i64,
) -> anyhow::Result<Settled>
where
    S: ?Sized + ToStatement + Sync + Send,
{
    let rows = client.query(statement, &[&position, &limit]).await?;
    let settled = rows.iter().take_while(|r| r.try_get::<_, bool>("settled").unwrap_or(false)).count();
    let events = rows[..settled].iter().map(StoredEvent::from_row).collect::<anyhow::Result<_>>()?;
    Ok(Settled { events, cut: settled < rows.len() })
}

/// The texts the next `limit` events after `position` wrote, for a reader that needs only
/// those (the flagger): nothing else leaves the database.
pub struct NewTexts {
    /// The last position read.
    pub last: i64,
    /// The first and last id of the messages created there (`None` when none was). Message ids
    /// are drawn with positions (`events_append`), in position order, and every event before a
    /// settled one has ended, so the messages of those events are exactly the ids between the
    /// two.
    pub created: Option<(i64, i64)>,
    /// The messages edited there, in log order, each with the text the edit gave it (a message
    /// edited twice is here twice: each text was delivered).
    pub edited: Vec<i64>,
    /// Those texts, `edited[i]`'s at `edits[i]`.
    pub edits: Vec<String>,
}

/// The texts written by the next `limit` events after `position`, up to the first that is not
/// settled (`None` when there is nothing settled after it): the messages created, and each
/// edit's text.
pub async fn texts_after(
    client: &impl GenericClient,
    position: i64,
    limit: i64,
) -> Result<Option<NewTexts>, tokio_postgres::Error> {
    let row = client
        .query_one(
            "SELECT max(position),
                    min((payload ->> 'message_id')::bigint) FILTER (WHERE type = 'message_created'),
                    max((payload ->> 'message_id')::bigint) FILTER (WHERE type = 'message_created'),
                    coalesce(array_agg((payload ->> 'message_id')::bigint ORDER BY position)
                             FILTER (WHERE type = 'message_edited'), '{}'),
                    coalesce(array_agg(payload ->> 'content' ORDER BY position)
                             FILTER (WHERE type = 'message_edited'), '{}')
             FROM (SELECT position, type, payload FROM events WHERE position > $1 ORDER BY position LIMIT $2) e
             WHERE e.position < coalesce((SELECT min(u.position) FROM events u
                                          WHERE u.position > greatest($1, (SELECT f.position FROM log_floor f))
                                            AND u.xid >= pg_snapshot_xmin(pg_current_snapshot())),
                                         9223372036854775807)",
            &[&position, &limit],
        )
        .await?;
    let Some(last) = row.try_get::<_, Option<i64>>(0)? else { return Ok(None) };
    Ok(Some(NewTexts {
        last,
        created: row.try_get::<_, Option<i64>>(1)?.zip(row.try_get::<_, Option<i64>>(2)?),
        edited: row.try_get(3)?,
        edits: row.try_get(4)?,
    }))
}

/// The end of the log's settled prefix now (0 for an empty log): see [`HEAD_SQL`].
pub async fn head(client: &impl GenericClient) -> Result<i64, tokio_postgres::Error> {
    Ok(client.query_one(HEAD_SQL, &[]).await?.get(0))
}

/// The log's last committed position this snapshot sees, settled or not (0 for an empty log):
/// every position up to it exists, though the settled head may not have reached it yet (an
/// older transaction is still running somewhere in the cluster).
pub async fn newest(client: &impl GenericClient) -> Result<i64, tokio_postgres::Error> {
    Ok(client.query_one("SELECT coalesce(max(position), 0) FROM events", &[]).await?.get(0))
}

/// The log's last position, the time of its event and how many events there are (all 0 and
/// `None` for an empty log): how far a restored copy of the database got.
pub async fn summary(
    client: &impl GenericClient,
) -> Result<(i64, Option<time::OffsetDateTime>, i64), tokio_postgres::Error> {
    let row = client
        .query_one(
            "SELECT coalesce(max(position), 0), (SELECT created_at FROM events ORDER BY position DESC LIMIT 1), count(*)
             FROM events",
            &[],
        )
        .await?;
    Ok((row.get(0), row.get(1), row.get(2)))
}

/// A replica's starting point for routing, read in one snapshot: the log head, every chat's
/// members (chat, user, the position they joined at), the groups, and the guardians' links
/// open now (guardian, student, the position of the link).
pub struct Routing {
    pub head: i64,
    pub members: Vec<(i64, i64, i64)>,
    /// Every chat but the direct ones, and of those the groups proper (kind `group`).
    pub groups: std::collections::HashSet<i64>,
    pub kind_group: std::collections::HashSet<i64>,
    pub guardians: Vec<(i64, i64, i64)>,
    /// The direct chats closed (on a guardian's request).
    pub closed: std::collections::HashSet<i64>,
    /// Each announcement's owner, by chat.
    pub announcements: std::collections::HashMap<i64, i64>,
}

/// Reads [`Routing`] in one snapshot.
pub async fn routing(client: &mut tokio_postgres::Client) -> anyhow::Result<Routing> {
    let tx = client
        .build_transaction()
        .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await?;
    let head: i64 = tx.query_one(HEAD_SQL, &[]).await?.get(0);
    let members = tx.query("SELECT chat_id, user_id, joined_position FROM chat_participants", &[]).await?;
    let groups = tx.query("SELECT id, kind = 'group' FROM chats WHERE kind <> 'direct'", &[]).await?;
    // Closed, or its teacher left the school: access asks the database (`Hub::is_member`).
    let closed = tx
        .query(
            "SELECT c.id FROM chats c WHERE c.kind = 'direct' AND (c.closed_at IS NOT NULL OR EXISTS (
                 SELECT 1 FROM users t WHERE t.id = c.teacher_id AND t.deactivated_at IS NOT NULL))",
            &[],
        )
        .await?;
    let guardians = tx
        .query("SELECT guardian_id, student_id, from_position FROM guardian_links WHERE to_position IS NULL", &[])
        .await?;
    let announcements = tx.query("SELECT id, created_by FROM chats WHERE announcement", &[]).await?;
    tx.commit().await?;
    Ok(Routing {
        head,
        members: members.iter().map(|r| (r.get(0), r.get(1), r.get(2))).collect(),
        groups: groups.iter().map(|r| r.get(0)).collect(),
        kind_group: groups.iter().filter(|r| r.get::<_, bool>(1)).map(|r| r.get(0)).collect(),
        guardians: guardians.iter().map(|r| (r.get(0), r.get(1), r.get(2))).collect(),
        closed: closed.iter().map(|r| r.get(0)).collect(),
        announcements: announcements.iter().map(|r| (r.get(0), r.get(1))).collect(),
    })
}

/// When each of the events at `positions` was appended (those that exist).
pub async fn times_of(
    client: &impl GenericClient,
    positions: &[i64],
) -> Result<std::collections::HashMap<i64, time::OffsetDateTime>, tokio_postgres::Error> {
    let rows = client.query("SELECT position, created_at FROM events WHERE position = ANY($1)", &[&positions]).await?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// Runs a read-model statement that also answers with the log head: the head (as column
/// `head`) left-joined to the data rows (aliased `d`), as in
/// `SELECT h.head, d.* FROM log_head() h LEFT JOIN LATERAL (…) d ON true`. Both come from
/// one snapshot in one round trip, so the data is at least as recent as the head. Prepared
/// once per pooled connection. Returns the head and the data rows (none when the only row has
/// a NULL `id`).
pub async fn snapshot(
    client: &deadpool_postgres::Client,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<(i64, Vec<Row>), tokio_postgres::Error> {
    let statement = client.prepare_cached(sql).await?;
    let mut rows = client.query(&statement, params).await?;
    let head = rows.first().map_or(0, |r| r.get("head"));
    rows.retain(|r| r.get::<_, Option<i64>>("id").is_some());
    Ok((head, rows))
}

/// The admin who asked for `user`'s erasure (the newest such request), if anyone did: the
/// erasure's batches are appended on their authority.
pub async fn erasure_requester(client: &impl GenericClient, user: i64) -> anyhow::Result<Option<i64>> {
    let row = client
        .query_opt(
            "SELECT actor_id FROM events
             WHERE chat_id IS NULL AND type = 'user_erasure_requested' AND (payload ->> 'user_id')::bigint = $1
             ORDER BY position DESC LIMIT 1",
            &[&user],
        )
        .await?;
    Ok(row.and_then(|r| r.get(0)))
}
