//! Every long-lived task of a replica, under one supervisor: the write path's two (the log
//! writer, which appends every event, and the log listener, which delivers them), and the
//! background jobs (delivering notices and pushes, purging settled notices, closing idle
//! inquiries, sweeping orphaned uploads, retention and erasure, sending scheduled messages,
//! presence, sending signals, following changed people, forgetting idle rate-limit state).
//!
//! Each job runs as a task of its own. When it panics, the supervisor logs the panic, counts it
//! (`tutorchat_job_restarts_total{job}`) and starts the job again after a back-off (half a
//! second, doubling up to 30 s, back to half a second once a run lasted a minute). `/readyz`
//! answers 503 naming the job while an *essential* job (the writer, the listener) is down, and
//! while any job is *failing* (it failed [`FAILING_AFTER`] times within [`FAILING_WINDOW`]), so
//! that the orchestrator takes a replica whose work has stopped out of rotation instead of
//! keeping it there with nobody noticing. A job that returns, at shutdown or because it has
//! nothing to do here (no webhook, no VAPID key), is not started again.
//!
//! A job that consumes a queue takes it through an [`Inbox`], which outlives the run: a run that
//! panics loses what it held (its senders see their reply dropped), and the next run takes up
//! the queue where it stopped.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{Notify, OwnedMutexGuard, mpsc};
use tokio_util::sync::CancellationToken;

use crate::metrics::JOB_RESTARTS;

/// The first back-off after a panic.
const MIN_BACKOFF: Duration = Duration::from_millis(500);
/// The longest back-off.
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// A run this long resets the back-off.
const STABLE: Duration = Duration::from_secs(60);
/// A job that failed this many times within [`FAILING_WINDOW`] is failing.
pub const FAILING_AFTER: usize = 3;
pub const FAILING_WINDOW: Duration = Duration::from_secs(300);

/// The supervisor's record of every job it runs.
#[derive(Default)]
pub struct Jobs {
    jobs: Mutex<HashMap<&'static str, Job>>,
}

#[derive(Default)]
struct Job {
    /// When it panicked, within the last [`FAILING_WINDOW`].
    failures: VecDeque<Instant>,
    /// Whether a run is under way (false while it waits to restart, or once it returned).
    running: bool,
    /// Whether the replica cannot serve while it is down (`/readyz`).
    essential: bool,
    /// A test's request that it panic (see [`Jobs::crash`]).
    crash: Arc<Notify>,
    /// Work for it now, rather than at its next period (see [`Jobs::nudge`]).
    nudge: Arc<Notify>,
}

/// Whether the replica can serve while a job is down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The replica cannot serve without it: `/readyz` fails while it is down.
    Essential,
    /// The replica serves without it for a while: `/readyz` fails only once it keeps failing.
    Background,
}

impl Jobs {
    /// Runs the background job `make` builds under supervision until it returns: `make` is
    /// called again for every restart. The handle ends when the job has returned (or at
    /// shutdown).
    pub fn supervise<F, Fut>(
        self: &Arc<Self>,
        name: &'static str,
        shutdown: CancellationToken,
        make: F,
    ) -> tokio::task::JoinHandle<()>
    where
        F: Fn() -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.supervise_as(name, Role::Background, shutdown, make)
    }

    /// [`Jobs::supervise`], saying whether the replica can serve while the job is down.
    pub fn supervise_as<F, Fut>(
        self: &Arc<Self>,
        name: &'static str,
        role: Role,
        shutdown: CancellationToken,
        make: F,
    ) -> tokio::task::JoinHandle<()>
    where
        F: Fn() -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        // Running from now on: readiness does not wait for the task's first poll.
        let crash = self.with(name, |job| {
            job.essential = role == Role::Essential;
            job.running = true;
            job.crash.clone()
        });
        let jobs = self.clone();
        tokio::spawn(async move {
            let mut backoff = MIN_BACKOFF;
            loop {
                let started = Instant::now();
                jobs.with(name, |job| job.running = true);
                let (run, crash) = (make(), crash.clone());
                let task = tokio::spawn(async move {
                    tokio::select! {
                        () = run => {}
                        () = crash.notified() => panic!("the job {name} was asked to crash (a test of its supervision)"),
                    }
                });
                let outcome = task.await;
                jobs.with(name, |job| job.running = false);
                let Err(error) = outcome else { return }; // shut down, or nothing to do here
                if shutdown.is_cancelled() {
                    return;
                }
                let panic = match error.try_into_panic() {
                    Ok(panic) => crate::telemetry::panic_message(&*panic),
                    Err(_) => "cancelled".into(),
                };
                if started.elapsed() >= STABLE {
                    backoff = MIN_BACKOFF;
                }
                jobs.with(name, |job| {
                    let now = Instant::now();
                    job.failures.push_back(now);
                    while job.failures.front().is_some_and(|at| now.duration_since(*at) > FAILING_WINDOW) {
                        job.failures.pop_front();
                    }
                });
                metrics::counter!(JOB_RESTARTS, "job" => name).increment(1);
                tracing::error!(
                    job = name,
                    panic,
                    restart_in_ms = backoff.as_millis() as u64,
                    "a background job failed; restarting it"
                );
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        })
    }

    /// The jobs that keep failing, with how many times they failed within the window.
    pub fn failing(&self) -> Vec<(&'static str, usize)> {
        let now = Instant::now();
        let jobs = self.lock();
        let mut failing: Vec<_> = jobs
            .iter()
            .map(|(name, job)| {
                (*name, job.failures.iter().filter(|at| now.duration_since(**at) <= FAILING_WINDOW).count())
            })
            .filter(|(_, failures)| *failures >= FAILING_AFTER)
            .collect();
        failing.sort_unstable();
        failing
    }

    /// The first essential job that is down (waiting to restart after a panic, or returned).
    pub fn essential_down(&self) -> Option<&'static str> {
        let jobs = self.lock();
        let mut down: Vec<_> = jobs.iter().filter(|(_, job)| job.essential && !job.running).map(|(n, _)| *n).collect();
        down.sort_unstable();
        down.first().copied()
    }

    /// Whether job `name` is running now.
    pub fn running(&self, name: &str) -> bool {
        self.lock().get(name).is_some_and(|job| job.running)
    }

    /// The jobs under supervision, by name.
    pub fn names(&self) -> Vec<&'static str> {
        let mut names: Vec<_> = self.lock().keys().copied().collect();
        names.sort_unstable();
        names
    }

    /// Makes job `name` panic where it is, as a bug in it would: a test hook for its
    /// supervision. Never called by the server itself. False if there is no such job running.
    pub fn crash(&self, name: &str) -> bool {
        let jobs = self.lock();
        match jobs.get(name) {
            Some(job) if job.running => {
                job.crash.notify_one();
                true
            }
            _ => false,
        }
    }

    /// Asks job `name` to do its work now rather than at its next period; the job waits on
    /// [`Jobs::nudges`]. One nudge is kept while the job is busy, so none is lost.
    pub fn nudge(&self, name: &'static str) {
        self.with(name, |job| job.nudge.notify_one());
    }

    /// What job `name` waits on for [`Jobs::nudge`].
    pub fn nudges(&self, name: &'static str) -> Arc<Notify> {
        self.with(name, |job| job.nudge.clone())
    }

    fn with<T>(&self, name: &'static str, f: impl FnOnce(&mut Job) -> T) -> T {
        f(self.lock().entry(name).or_default())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<&'static str, Job>> {
        self.jobs.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The receiving end of a queue consumed by a supervised job. It outlives the job's runs: a run
/// takes it for as long as it lasts (a run that panics gives it back as it unwinds), and the
/// next run goes on with what is still queued.
pub struct Inbox<T>(Arc<tokio::sync::Mutex<mpsc::Receiver<T>>>);

impl<T> Clone for Inbox<T> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<T> Inbox<T> {
    pub fn new(receiver: mpsc::Receiver<T>) -> Self {
        Self(Arc::new(tokio::sync::Mutex::new(receiver)))
    }

    /// The queue, for one run (another run waits until this one has ended).
    pub async fn take(&self) -> OwnedMutexGuard<mpsc::Receiver<T>> {
        self.0.clone().lock_owned().await
    }
}
