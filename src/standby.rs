//! Reads from a streaming standby (`READ_DATABASE_URL`), with read-your-writes. (Beside `db`,
//! not in it: it answers in the API's errors, which `db` must not depend on.)
//!
//! **What moves** to the standby: history pages, chat lists and the replay of a resuming event
//! stream, the reads that grow with users. **What stays** on the primary: every write; access
//! checks (a group removal binds every replica the moment it is answered, so it cannot wait for
//! a standby to replay it); idempotency lookups; LISTEN; presence, whose tables are UNLOGGED
//! and so unreadable in recovery (a standby-served chat list or replay asks the primary for
//! just that, see [`Source`]).
//!
//! **Why a standby's answer is a usable snapshot.** Its head is the end of the log's settled
//! prefix there (`sql/functions/log_head.sql`): the rows before the first whose transaction is
//! not below the oldest one its snapshot counts as running. A standby counts as running every
//! transaction it has not seen end in the WAL, so its horizon is conservative and the cut exact:
//! what a standby shows is every event up to its head, and none can commit below it later: a
//! snapshot's `X-Event-Position` from it is as exact a resume point as the primary's, only
//! older. A client that resumes its
//! stream from it gets the rest from the stream.
//!
//! **Read-your-writes.** A read that must include position P (the caller's
//! `X-Min-Event-Position`: the newest position it has seen, or the one its own write was given;
//! for a stream's replay, the stream's live head) first reads the standby's head, a 4-buffer
//! index scan. If it is behind, the read waits in growing steps for up to `READ_WAIT_MS`, then
//! goes to the primary. A standby's visible state only moves forward, so the statements that
//! follow on that connection see at least P. Without a P the standby answers as it is.
//!
//! **Failures.** A standby that cannot be reached, or whose statement fails for a reason of the
//! standby's (the connection, a recovery conflict, shutdown), is rested for [`REST`] and its
//! reads go to the primary, the failed one included: a reader never sees the standby's
//! trouble, only `tutorchat_standby_reads_total{outcome="unavailable"}` does.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use deadpool_postgres::Pool;
use tokio_postgres::error::SqlState;

pub use crate::db::Source;
use crate::log::store;
use crate::{AppError, Result};

/// How long a failed standby is left alone before a read tries it again.
pub const REST: Duration = Duration::from_secs(5);

/// A pooled connection to the server a read runs on.
pub struct ReadClient {
    client: deadpool_postgres::Client,
    pub source: Source,
}

impl std::ops::Deref for ReadClient {
    type Target = deadpool_postgres::Client;
    fn deref(&self) -> &Self::Target {
        &self.client
    }
}

impl std::ops::DerefMut for ReadClient {
    /// For a transaction: a read that sets a deadline for itself (`SET LOCAL`).
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.client
    }
}

/// Where reads go: the primary's pool, and the standby's when `READ_DATABASE_URL` is set.
pub struct Reads {
    primary: Pool,
    standby: Option<Standby>,
}

struct Standby {
    pool: Pool,
    /// The longest a read waits for the standby to reach its position (`READ_WAIT_MS`).
    wait: Duration,
    /// Until when the standby is rested after a failure.
    resting_until: Mutex<Option<Instant>>,
}

/// What happened to reads meant for the standby (`tutorchat_standby_reads_total{outcome}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// Answered by the standby at once.
    Served,
    /// Answered by the standby after waiting for it to reach the read's position.
    Waited,
    /// Answered by the primary: the standby stayed behind the read's position for the wait.
    Lagging,
    /// Answered by the primary: the standby failed, or is resting after a failure.
    Unavailable,
}

impl Outcome {
    fn count(self) {
        let outcome = match self {
            Self::Served => "served",
            Self::Waited => "waited",
            Self::Lagging => "lagging",
            Self::Unavailable => "unavailable",
        };
        metrics::counter!(crate::metrics::STANDBY_READS, "outcome" => outcome).increment(1);
    }
}

impl Reads {
    /// Every read on the primary.
    pub fn primary_only(primary: Pool) -> Self {
        Self { primary, standby: None }
    }

    /// Reads on `standby` when it can answer them, waiting up to `wait` for it to catch up.
    pub fn with_standby(primary: Pool, standby: Pool, wait: Duration) -> Self {
        Self { primary, standby: Some(Standby { pool: standby, wait, resting_until: Mutex::new(None) }) }
    }

    /// The primary's pool (for what a standby cannot read).
    pub fn primary(&self) -> &Pool {
        &self.primary
    }

    /// The start of a read that must include log position `min` (0: any): see [`reading!`].
    pub fn attempt(&self, min: i64) -> Attempt<'_> {
        Attempt { reads: self, min, on_standby: None, tried: false }
    }
}

/// Runs `$read` (an expression that may `.await` and use `?`, of type `crate::Result<T>`) with
/// `$client`, a [`ReadClient`] on a server whose snapshot includes position `$min`: the standby
/// when it has reached it in time and answers, else the primary, also when the standby fails
/// under the read (which then runs again there: it must only read).
///
/// A macro rather than a function taking an async closure: the future of such a closure
/// cannot be proved `Send` for every borrow of its argument, which an axum handler needs.
macro_rules! reading {
    ($reads:expr, $min:expr, |$client:ident| $read:expr) => {{
        let mut attempt = $reads.attempt($min);
        loop {
            let answer: $crate::Result<_> = async {
                let $client = attempt.client().await?;
                $read
            }
            .await;
            if !attempt.again(&answer) {
                break answer;
            }
        }
    }};
}
pub(crate) use reading;

/// One read's way to a server (see [`reading!`]).
pub struct Attempt<'r> {
    reads: &'r Reads,
    min: i64,
    /// The outcome of the standby client handed out, until the read answers.
    on_standby: Option<Outcome>,
    tried: bool,
}

impl Attempt<'_> {
    /// The standby's client, on the first call when it can serve; else the primary's.
    pub async fn client(&mut self) -> Result<ReadClient> {
        if let (false, Some(standby)) = (std::mem::replace(&mut self.tried, true), &self.reads.standby) {
            match standby.client(self.min, &self.reads.primary).await {
                Ok(Some((client, outcome))) => {
                    self.on_standby = Some(outcome);
                    return Ok(client);
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "the standby cannot be read; reading the primary");
                    standby.rest();
                }
            }
        }
        let client = self.reads.primary.get().await?;
        // A read that must include `min`, sent to the primary because the standby could not: the
        // primary's settled head may still be below it while an older transaction anywhere in
        // the cluster runs, and is waited for as the standby's would be.
        if let (true, Some(standby)) = (self.min > 0, &self.reads.standby) {
            standby.settled(&**client, self.min).await?;
        }
        Ok(ReadClient { client, source: Source::Primary })
    }

    /// Whether to read again (on the primary) after the client last handed out answered
    /// `answer`: when that was the standby's, failing for the standby's own reasons.
    pub fn again<T>(&mut self, answer: &Result<T>) -> bool {
        let Some(outcome) = self.on_standby.take() else { return false };
        match answer {
            Err(e) if standby_failed(e) => {
                tracing::warn!(error = %e, "a read failed on the standby; reading the primary");
                if let Some(standby) = &self.reads.standby {
                    standby.rest();
                }
                true
            }
            _ => {
                outcome.count();
                false
            }
        }
    }
}

impl Standby {
    /// A standby connection whose snapshot includes `min`, or `None` when the read must go to
    /// the primary (counted), or the error that says the standby is unwell. A position beyond
    /// the primary's last committed one is nothing to wait for (a client's mistake, or a way to
    /// hold standby connections for `READ_WAIT_MS` each): the primary answers at once.
    async fn client(&self, min: i64, primary: &Pool) -> Result<Option<(ReadClient, Outcome)>> {
        let resting = self.resting_until.lock().unwrap_or_else(|p| p.into_inner()).is_some_and(|t| Instant::now() < t);
        if resting {
            Outcome::Unavailable.count();
            return Ok(None);
        }
        let client = ReadClient { client: self.pool.get().await?, source: Source::Standby };
        if min <= 0 {
            return Ok(Some((client, Outcome::Served)));
        }
        let started = Instant::now();
        let (mut pause, mut outcome) = (Duration::from_millis(1), Outcome::Served);
        loop {
            if store::head(&***client).await? >= min {
                return Ok(Some((client, outcome)));
            }
            // Beyond the primary's committed rows (not only its settled head, which an older
            // transaction anywhere in the cluster holds back, even below the caller's own write).
            if outcome == Outcome::Served && store::newest(&**primary.get().await?).await? < min {
                Outcome::Lagging.count();
                return Ok(None);
            }
            if started.elapsed() + pause > self.wait {
                Outcome::Lagging.count();
                return Ok(None);
            }
            tokio::time::sleep(pause).await;
            (pause, outcome) = ((pause * 2).min(Duration::from_millis(20)), Outcome::Waited);
        }
    }

    /// Waits (up to the standby's own wait) until `primary`'s settled head reaches `min`, unless
    /// `min` is beyond what it committed (nothing to wait for).
    async fn settled(&self, primary: &impl tokio_postgres::GenericClient, min: i64) -> Result<()> {
        let (started, mut pause) = (Instant::now(), Duration::from_millis(1));
        while store::head(primary).await? < min
            && store::newest(primary).await? >= min
            && started.elapsed() + pause <= self.wait
        {
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(20));
        }
        Ok(())
    }

    fn rest(&self) {
        Outcome::Unavailable.count();
        *self.resting_until.lock().unwrap_or_else(|p| p.into_inner()) = Some(Instant::now() + REST);
    }
}

/// Whether a read's error is the standby's trouble rather than the request's: the connection
/// (unreachable, closed, shut down, terminated), a pool timeout, or a statement cancelled by a
/// conflict with recovery (SQLSTATE 40001 on a hot standby).
fn standby_failed(error: &AppError) -> bool {
    match error {
        AppError::Unavailable(_) => true,
        AppError::Internal(cause) => cause.chain().any(|e| {
            e.downcast_ref::<tokio_postgres::Error>().is_some_and(|e| {
                crate::db::is_connectivity(e)
                    || e.code().is_some_and(|c| *c == SqlState::T_R_SERIALIZATION_FAILURE || c.code().starts_with("57"))
            })
        }),
        _ => false,
    }
}
