//! The write path: how validated, authorized events reach the log.
//!
//! A transaction that NOTIFYs takes a database-wide lock at commit, so one transaction per
//! message tops out at a few thousand messages a second (DESIGN.md). In `batched` mode (the
//! default) a single writer task per replica appends whatever requests are waiting, up to
//! `APPEND_BATCH_MAX`, in one transaction with one statement and one NOTIFY, and answers each
//! request with its own row only after the commit. If a batch fails, each of its events is
//! retried alone, so one bad event never turns valid requests into errors. `single` mode keeps
//! one transaction per request, for comparison.

use std::time::Duration;

use deadpool_postgres::Pool;
use tokio::sync::{mpsc, oneshot};

use crate::AppError;
use crate::events::{self, NewEvent, StoredEvent};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppendMode {
    Batched,
    Single,
}

#[derive(Debug, Clone, Copy)]
pub struct AppendConfig {
    pub mode: AppendMode,
    /// Most events in one transaction.
    pub max_batch: usize,
    /// After the first waiting event, how long to wait for more before appending (0: take
    /// only what is already waiting; under load the queue fills while the previous batch
    /// commits, which is what makes batches large).
    pub linger: Duration,
}

type Reply = oneshot::Sender<Result<Option<StoredEvent>, AppError>>;

pub struct Appender {
    mode: AppendMode,
    pool: Pool,
    queue: mpsc::Sender<(NewEvent, Reply)>,
}

impl Appender {
    /// Starts the writer task (in batched mode); it ends when the last `Appender` is dropped,
    /// after answering everything queued.
    pub fn start(pool: Pool, config: AppendConfig) -> Self {
        let (queue, requests) = mpsc::channel(config.max_batch.max(1) * 4);
        if config.mode == AppendMode::Batched {
            tokio::spawn(write(pool.clone(), requests, config));
        }
        Self { mode: config.mode, pool, queue }
    }

    /// Appends one event and returns it as stored (`None`: nothing to record, e.g. deleting a
    /// message that is already deleted). Returns only once it is committed.
    pub async fn append(&self, event: NewEvent) -> Result<Option<StoredEvent>, AppError> {
        match self.mode {
            AppendMode::Single => append_alone(&self.pool, &event).await,
            AppendMode::Batched => {
                let (reply, answer) = oneshot::channel();
                self.queue
                    .send((event, reply))
                    .await
                    .map_err(|_| AppError::Internal(anyhow::anyhow!("the append writer has stopped")))?;
                answer.await.map_err(|_| AppError::Internal(anyhow::anyhow!("the append writer dropped a request")))?
            }
        }
    }
}

async fn write(pool: Pool, mut requests: mpsc::Receiver<(NewEvent, Reply)>, config: AppendConfig) {
    let mut batch = Vec::with_capacity(config.max_batch);
    while requests.recv_many(&mut batch, config.max_batch).await > 0 {
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
        let (events, replies): (Vec<NewEvent>, Vec<Reply>) = batch.drain(..).unzip();
        match append_together(&pool, &events).await {
            Ok(stored) => {
                for (reply, stored) in replies.into_iter().zip(stored) {
                    let _ = reply.send(Ok(stored));
                }
            }
            // One event, or a database that is not there: retrying each alone cannot help
            // (and against an unreachable database would hold the writer for a timeout per
            // event), so every request gets the answer.
            Err(AppError::Unavailable(cause)) => {
                for reply in replies {
                    let _ = reply.send(Err(AppError::Unavailable(anyhow::anyhow!("{cause:#}"))));
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
                for (event, reply) in events.iter().zip(replies) {
                    let _ = reply.send(append_alone(&pool, event).await);
                }
            }
        }
    }
}

async fn append_together(pool: &Pool, events: &[NewEvent]) -> Result<Vec<Option<StoredEvent>>, AppError> {
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    let statement = tx.prepare_cached(&events::APPEND_SQL).await?;
    let stored = events::append_with(&*tx, &statement, events).await?;
    tx.commit().await?;
    Ok(stored)
}

async fn append_alone(pool: &Pool, event: &NewEvent) -> Result<Option<StoredEvent>, AppError> {
    let mut stored = append_together(pool, std::slice::from_ref(event)).await?;
    Ok(stored.pop().flatten())
}
