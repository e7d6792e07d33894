//! The write path: how validated, authorized events reach the log.
//!
//! A transaction that NOTIFYs takes a database-wide lock from before its commit until after
//! the commit's WAL flush, so the writer's appends notify nobody themselves: each is followed,
//! after its commit, by a NOTIFY of its own (a transaction that writes nothing, so waits for no
//! flush). In `batched` mode (the default) a single writer task per replica appends whatever
//! requests are waiting, up to `APPEND_BATCH_MAX`, in one statement (its own transaction,
//! through `events_append`), then sends the one NOTIFY, and answers each request with its own
//! row only after the commit. If a batch fails,
//! each of its events is retried alone, so one bad event never turns valid requests into
//! errors. `single` mode keeps one transaction per request, for comparison.
//!
//! The writer is the replica's most important task, so it runs under the jobs' supervisor
//! (`log-writer`, essential): a panic in it is counted and the writer starts again on the same
//! queue, requests that arrive meanwhile wait for it, and `/readyz` fails until it is back. The
//! requests of the batch it was appending when it panicked are answered as unavailable: that
//! batch may or may not have committed, and a retry with the same `Idempotency-Key` returns
//! the first answer if it did.
//!
//! It answers in its own terms ([`AppendError`]); the HTTP layer decides what that means for a
//! client.

use std::sync::Arc;

use deadpool_postgres::Pool;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use super::{NewEvent, StoredEvent, store};
use crate::config::{AppendConfig, AppendMode};
use crate::jobs::{Inbox, Jobs, Role};

/// The writer's name among the supervised jobs.
pub const WRITER_JOB: &str = "log-writer";

/// Why an append failed.
#[derive(Debug, thiserror::Error)]
pub enum AppendError {
    /// The log's own rules refused an event (see `sql/functions/events_before_insert.sql`).
    #[error("{0}")]
    Refused(String, Refusal),
    /// The actor appended an event with this idempotency key before (a retried request).
    #[error("the idempotency key was used before")]
    Duplicate,
    /// The database cannot be reached right now: retrying later may work.
    #[error("the database is unavailable: {0:#}")]
    Unavailable(anyhow::Error),
    #[error(transparent)]
    Database(tokio_postgres::Error),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// Which of the log's rules refused an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    InvalidContent,
    NotAllowed,
    NotFound,
    /// The event does not fit the state it is about (editing a deleted message).
    Conflict,
    /// Its actor is suspended (or their erasure was asked for): they may read, not write.
    Suspended,
    /// The reporter reported this message before.
    AlreadyReported,
    /// The message is hidden by a moderator (it cannot be edited).
    Hidden,
    /// The message was purged (it cannot be edited, nor take reactions).
    Purged,
    /// The message is deleted (it cannot be edited).
    Deleted,
    /// Well-formed, but naming something that does not fit the state (another's upload).
    Unfit,
    /// A reaction that is not one of the set (`api::reactions::REACTIONS`).
    UnknownReaction,
    /// The chat has as many pins as it may (`PINS_PER_CHAT`).
    TooManyPins,
    /// The chat is an announcement and the sender is not its owner.
    AnnouncementReadOnly,
    /// A person's role cannot change: they have chats, lessons or guardian links made for it.
    RoleInUse,
    /// The direct chat's teacher is deactivated: read-only until an admin hands it over.
    TeacherDeparted,
    /// The successor teacher has a chat with the student already.
    PairHasChat,
    /// Its actor is deactivated (they left the school).
    Deactivated,
    /// The person it adds to a chat is deactivated (they left the school).
    PersonDeactivated,
    /// The person it is about is being erased, or was: nothing more is said of them.
    Erased,
}

impl From<tokio_postgres::Error> for AppendError {
    fn from(e: tokio_postgres::Error) -> Self {
        use tokio_postgres::error::SqlState;
        let Some(db) = e.as_db_error() else {
            return if crate::db::is_connectivity(&e) { Self::Unavailable(e.into()) } else { Self::Database(e) };
        };
        let refusal = match db.code() {
            c if *c == SqlState::CHECK_VIOLATION => Refusal::InvalidContent,
            c if *c == SqlState::INSUFFICIENT_PRIVILEGE => Refusal::NotAllowed,
            c if *c == SqlState::NO_DATA_FOUND => Refusal::NotFound,
            c if *c == SqlState::OBJECT_NOT_IN_PREREQUISITE_STATE => Refusal::Conflict,
            c if *c == SqlState::UNIQUE_VIOLATION && db.constraint() == Some("events_idempotency") => {
                return Self::Duplicate;
            }
            _ if crate::db::is_connectivity(&e) => return Self::Unavailable(e.into()),
            _ => return Self::Database(e),
        };
        // The log names what a client may act on in the HINT (see events_before_insert).
        let refusal = match db.hint() {
            Some("account_suspended") => Refusal::Suspended,
            Some("already_reported") => Refusal::AlreadyReported,
            Some("message_hidden") => Refusal::Hidden,
            Some("message_purged") => Refusal::Purged,
            Some("message_deleted") => Refusal::Deleted,
            Some("unfit") => Refusal::Unfit,
            Some("unknown_reaction") => Refusal::UnknownReaction,
            Some("too_many_pins") => Refusal::TooManyPins,
            Some("announcement_read_only") => Refusal::AnnouncementReadOnly,
            Some("role_in_use") => Refusal::RoleInUse,
            Some("teacher_departed") => Refusal::TeacherDeparted,
            Some("account_deactivated") => Refusal::Deactivated,
            Some("person_deactivated") => Refusal::PersonDeactivated,
            Some("pair_has_chat") => Refusal::PairHasChat,
            Some("person_erased") => Refusal::Erased,
            _ => refusal,
        };
        let message = match db.constraint() {
            Some("messages_content_length") => "content must be at most 10000 characters".to_owned(),
            Some("messages_content_not_blank") => {
                "content must not be empty or only whitespace (unless the message has attachments)".to_owned()
            }
            _ => db.message().to_owned(),
        };
        Self::Refused(message, refusal)
    }
}

impl From<deadpool_postgres::PoolError> for AppendError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        match e {
            deadpool_postgres::PoolError::Backend(e) => e.into(),
            other => Self::Unavailable(other.into()),
        }
    }
}

type Reply = oneshot::Sender<Result<Option<StoredEvent>, AppendError>>;

/// One request waiting for the writer: the event, its idempotency key, where to answer.
type Request = (NewEvent, Option<String>, Reply);

pub struct Appender {
    mode: AppendMode,
    pool: Pool,
    queue: mpsc::Sender<Request>,
}

impl Appender {
    /// Starts the writer (in batched mode) under `jobs`' supervision; it ends when the last
    /// `Appender` is dropped, after answering everything queued. (It does not end at
    /// `shutdown`, which only keeps a panicked writer from being started again: requests still
    /// being served at shutdown are answered.)
    pub fn start(pool: Pool, config: AppendConfig, jobs: &Arc<Jobs>, shutdown: CancellationToken) -> Self {
        let (queue, requests) = mpsc::channel(config.max_batch.max(1) * 4);
        if config.mode == AppendMode::Batched {
            let (pool, requests) = (pool.clone(), Inbox::new(requests));
            jobs.supervise_as(WRITER_JOB, Role::Essential, shutdown, move || {
                write(pool.clone(), requests.clone(), config)
            });
        }
        Self { mode: config.mode, pool, queue }
    }

    /// Appends one event and returns it as stored (`None`: nothing to record, e.g. deleting a
    /// message that is already deleted). Returns only once it is committed.
    pub async fn append(&self, event: NewEvent) -> Result<Option<StoredEvent>, AppendError> {
        self.append_idempotent(event, None).await
    }

    /// [`Appender::append`] with the request's idempotency key, recorded with the event:
    /// [`AppendError::Duplicate`] if the actor used the key before.
    #[tracing::instrument(name = "append", skip_all)]
    pub async fn append_idempotent(
        &self,
        event: NewEvent,
        key: Option<String>,
    ) -> Result<Option<StoredEvent>, AppendError> {
        match self.mode {
            AppendMode::Single => append_alone(&self.pool, &event, key).await,
            AppendMode::Batched => {
                let (reply, answer) = oneshot::channel();
                let request = (event, key, reply);
                self.queue.send(request).await.map_err(|_| anyhow::anyhow!("the append writer has stopped"))?;
                // A dropped reply: the writer panicked while it held this request, before or
                // after its batch committed.
                answer.await.map_err(|_| {
                    AppendError::Unavailable(anyhow::anyhow!("the log writer failed while appending; it restarts"))
                })?
            }
        }
    }
}

/// One run of the writer: appends what is queued until every `Appender` is gone.
async fn write(pool: Pool, requests: Inbox<Request>, config: AppendConfig) {
    let mut requests = requests.take().await;
    let mut batch = Vec::with_capacity(config.max_batch);
    // The chats of the requests the last batch deferred (another append held them): they lead
    // the next batch, which waits for those chats rather than defer them again.
    let mut wait: Vec<i64> = Vec::new();
    loop {
        if batch.is_empty() {
            if requests.recv_many(&mut batch, config.max_batch).await == 0 {
                return;
            }
        } else {
            while batch.len() < config.max_batch {
                match requests.try_recv() {
                    Ok(request) => batch.push(request),
                    Err(_) => break,
                }
            }
        }
        if !config.linger.is_zero() && batch.len() < config.max_batch {
            let deadline = tokio::time::Instant::now() + config.linger;
            while batch.len() < config.max_batch {
                let room = config.max_batch - batch.len();
                match tokio::time::timeout_at(deadline, requests.recv_many(&mut batch, room)).await {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
            }
        }
        let (mut events, mut keys, mut replies) =
            (Vec::with_capacity(batch.len()), Vec::with_capacity(batch.len()), Vec::with_capacity(batch.len()));
        for (event, key, reply) in batch.drain(..) {
            events.push(event);
            keys.push(key);
            replies.push(reply);
        }
        match append_batch(&pool, &events, &keys, &std::mem::take(&mut wait)).await {
            Ok((outcomes, notify)) => {
                for (((event, key), reply), outcome) in events.into_iter().zip(keys).zip(replies).zip(outcomes) {
                    match outcome {
                        store::Outcome::Stored(stored) => {
                            let _ = reply.send(Ok(stored));
                        }
                        store::Outcome::Deferred => {
                            wait.extend(event.columns().0);
                            batch.push((event, key, reply));
                        }
                    }
                }
                wait.sort_unstable();
                wait.dedup();
                // The wake-up on the batch's own connection, while the next batch goes on
                // another: it is no part of the write, and need not hold the writer.
                if let Some(notify) = notify {
                    tokio::spawn(notify);
                }
            }
            // One event, or a database that is not there: retrying each alone cannot help
            // (and against an unreachable database would hold the writer for a timeout per
            // event), so every request gets the answer.
            Err(AppendError::Unavailable(cause)) => {
                for reply in replies {
                    let _ = reply.send(Err(AppendError::Unavailable(anyhow::anyhow!("{cause:#}"))));
                }
            }
            Err(e) if events.len() == 1 => {
                if let Some(reply) = replies.into_iter().next() {
                    let _ = reply.send(Err(e));
                }
            }
            Err(e) => {
                // Which event failed is unknown: each gets its own transaction and answer.
                tracing::debug!(error = %e, size = events.len(), "batch failed; appending its events one by one");
                for ((event, key), reply) in events.iter().zip(keys).zip(replies) {
                    let _ = reply.send(append_alone(&pool, event, key).await);
                }
            }
        }
    }
}

/// The wake-up an append owes the listeners, to send after its commit.
type Wake = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>;

/// One batch of the writer, in its own transaction: the events of chats another append holds
/// now deferred (except those in `wait`), then the wake-up to send.
async fn append_batch(
    pool: &Pool,
    events: &[NewEvent],
    keys: &[Option<String>],
    wait: &[i64],
) -> Result<(Vec<store::Outcome>, Option<Wake>), AppendError> {
    let client = pool.get().await?;
    let statement = client.prepare_cached(store::APPEND_DEFERRING_SQL).await?;
    let outcomes = store::append_deferring(&**client, &statement, events, keys, wait).await?;
    let head = outcomes
        .iter()
        .filter_map(|o| match o {
            store::Outcome::Stored(Some(e)) => Some(e.position),
            _ => None,
        })
        .max();
    Ok((outcomes, head.map(|head| wake(client, head))))
}

/// The wake-up after an append's commit, on its connection: a transaction of its own that
/// writes nothing (so it waits for no flush). If it is lost (this replica dies first, the
/// connection drops), the events still reach every listener: at the next append's wake-up, or
/// at its probe.
fn wake(client: deadpool_postgres::Object, head: i64) -> Wake {
    Box::pin(async move {
        let notified = async {
            let notify = client.prepare_cached(store::NOTIFY_SQL).await?;
            client.execute(&notify, &[&head.to_string()]).await
        };
        if let Err(e) = notified.await {
            tracing::warn!(error = %e, head, "appended, but the wake-up was not sent");
        }
    })
}

async fn append_together(
    pool: &Pool,
    events: &[NewEvent],
    keys: &[Option<String>],
) -> Result<(Vec<Option<StoredEvent>>, Option<Wake>), AppendError> {
    let client = pool.get().await?;
    let statement = client.prepare_cached(store::APPEND_QUIETLY_SQL).await?;
    // One statement, so no BEGIN and COMMIT: its implicit transaction commits when the server
    // reads the Sync sent right behind it, and the locks it takes (on the chats and people
    // its events are about, held to commit) are not held across a round trip to this replica,
    // whose next turn on a busy machine can be long. The rows count only once the server is
    // ready for the next query, which is after the commit: a commit that fails is this call's
    // error.
    let stored = store::append_with(&**client, &statement, events, keys).await?;
    let head = stored.iter().flatten().map(|e| e.position).max();
    Ok((stored, head.map(|head| wake(client, head))))
}

async fn append_alone(pool: &Pool, event: &NewEvent, key: Option<String>) -> Result<Option<StoredEvent>, AppendError> {
    let (mut stored, wake) = append_together(pool, std::slice::from_ref(event), &[key]).await?;
    if let Some(wake) = wake {
        wake.await;
    }
    Ok(stored.pop().flatten())
}
