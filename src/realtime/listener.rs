//! The replica's one LISTEN connection. A notification is only a wake-up: the listener then
//! reads the log after its cursor (the hub's head) in batches and hands the events to the hub.
//! After any disconnect it reconnects with back-off, LISTENs again and catches up the same
//! way, so nothing depends on a notification arriving. It never holds a transaction open (an
//! idle listener in a transaction would keep PostgreSQL from trimming its notification queue).
//! A connection can also go silent without closing (a half-open TCP connection, a frozen
//! backend): a probe every `LISTENER_PROBE_SECS` asks for the notification queue's usage (a
//! gauge), and any query that gets no answer in time counts as a drop.
//!
//! The task runs under the jobs' supervisor (`log-listener`, essential): if it panics (a bug,
//! not a network failure, which it handles itself), the panic is logged and counted, readiness
//! turns false, and it starts again after a back-off from the hub's head, so a replica never
//! goes on answering `/readyz` while blind.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use futures::StreamExt;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_postgres::{AsyncMessage, Client, NoTls, Statement};
use tokio_util::sync::CancellationToken;

use super::frames;
use super::hub::Hub;
use super::signals::{self, Signal};
use crate::log::{self, store};

/// Events read from the log per query while catching up.
const BATCH: i64 = 1000;
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// The listener's name among the supervised jobs.
pub const JOB: &str = "log-listener";

/// Loads the hub's starting point: the log head and every chat's members, in one snapshot, and the
/// sessions signed out so far.
pub async fn load(database: &tokio_postgres::Config, hub: &Hub) -> anyhow::Result<()> {
    let (mut client, connection) = database.connect(NoTls).await.context("listener: cannot connect")?;
    let driver = tokio::spawn(connection);
    let routing = store::routing(&mut client).await?;
    hub.reset(routing);
    // Before the first request too: the listener loads them again each time it connects.
    let revoked = crate::auth::revoked::Revoked::load(&client).await.context("cannot read the signed-out sessions")?;
    hub.revoked().replace(revoked);
    drop(client);
    let _ = driver.await;
    Ok(())
}

/// One run of the listener, from the hub's head, until `shutdown`: what the supervisor starts,
/// and starts again after a panic.
pub async fn run(database: tokio_postgres::Config, hub: Arc<Hub>, probe: Duration, shutdown: CancellationToken) {
    hub.set_listening(false); // until it has caught up (a restart follows a panic that left it set)
    reconnect(database, hub, probe, shutdown).await
}

/// Connects and listens until `shutdown`, reconnecting with back-off after every disconnect.
async fn reconnect(database: tokio_postgres::Config, hub: Arc<Hub>, probe: Duration, shutdown: CancellationToken) {
    let mut backoff = Duration::from_millis(100);
    loop {
        match listen(&database, &hub, probe, &shutdown, &mut backoff).await {
            Ok(()) => return, // shut down
            Err(e) => {
                metrics::counter!(crate::metrics::LISTENER_RECONNECTS).increment(1);
                tracing::warn!(
                    error = format!("{e:#}"),
                    retry_in_ms = backoff.as_millis() as u64,
                    "listener disconnected"
                )
            }
        }
        hub.set_listening(false);
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(backoff) => {}
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// One connection's life: LISTEN, catch up, then catch up again on every wake-up and probe.
async fn listen(
    database: &tokio_postgres::Config,
    hub: &Arc<Hub>,
    probe: Duration,
    shutdown: &CancellationToken,
    backoff: &mut Duration,
) -> anyhow::Result<()> {
    // A session that stops answering (a frozen backend, a half-open connection) must not hold
    // the listener forever, whichever step it stops in: each gets the probe's time, or 5 s.
    let within = probe.max(Duration::from_secs(5));
    let mut config = database.clone();
    config
        .application_name("tutorchat-listener")
        .keepalives(true)
        .keepalives_idle(Duration::from_secs(10))
        .connect_timeout(within);
    let (client, mut connection) = config.connect(NoTls).await.context("cannot connect")?;
    let (wake, mut wakes) = mpsc::unbounded_channel::<()>();
    let signal_hub = Arc::clone(hub);
    let driver = tokio::spawn(async move {
        let mut messages = futures::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(message) = messages.next().await {
            match message {
                // Signals carry themselves: routed as they arrive, nothing to read.
                Ok(AsyncMessage::Notification(n)) if n.channel() == signals::CHANNEL => {
                    Signal::dispatch(n.payload(), &signal_hub);
                }
                Ok(AsyncMessage::Notification(_)) => {
                    let _ = wake.send(());
                }
                Ok(_) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }); // when it ends, `wake` is dropped and the loop below sees the channel close
    let _abort = AbortOnDrop(driver);

    let (read, queue_usage) = answered(within, "LISTEN", async {
        let listen = format!("LISTEN {}; LISTEN {}", log::CHANNEL, signals::CHANNEL);
        client.batch_execute(&listen).await.context("LISTEN failed")?;
        // Listening first, then the sessions signed out so far: none falls between the two.
        let revoked =
            crate::auth::revoked::Revoked::load(&client).await.context("cannot read the signed-out sessions")?;
        hub.revoked().replace(revoked);
        let read = client.prepare(store::READ_AFTER_SQL).await.context("cannot prepare the log read")?;
        // The queue's usage, and the age of the oldest transaction holding an id: the horizon
        // the log's readers wait for (a forgotten psql session, a migration, a long job).
        let usage = client
            .prepare(
                "SELECT pg_notification_queue_usage(),
                        coalesce(extract(epoch FROM clock_timestamp() - min(xact_start)), 0)::float8
                 FROM pg_stat_activity WHERE backend_xid IS NOT NULL",
            )
            .await
            .context("cannot prepare the probe")?;
        anyhow::Ok((read, usage))
    })
    .await?;
    let mut settling = Settling::new(catch_up(&client, &read, hub, within).await?);
    hub.set_listening(true);
    *backoff = Duration::from_millis(100);
    tracing::info!(head = hub.head(), "listener connected");

    let mut probe_timer = tokio::time::interval(probe);
    probe_timer.tick().await;
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return Ok(()),
            woke = wakes.recv() => {
                if woke.is_none() {
                    bail!("connection closed");
                }
                while wakes.try_recv().is_ok() {} // one catch-up answers every wake-up so far
                settling.after(catch_up(&client, &read, hub, within).await?);
            }
            _ = settling.wait() => {
                settling.after(catch_up(&client, &read, hub, within).await?);
            }
            _ = probe_timer.tick() => {
                // A half-open TCP connection (or a frozen backend) stays silent forever: ask, and
                // treat no answer as a drop. The answer is worth a gauge: a session that stops
                // reading its notifications (a paused replica) makes the queue grow.
                let usage = answered(probe, "probe", async { Ok(client.query_one(&queue_usage, &[]).await?) }).await?;
                metrics::gauge!(crate::metrics::NOTIFICATION_QUEUE_USAGE).set(usage.try_get::<_, f64>(0)?);
                metrics::gauge!(crate::metrics::LOG_HORIZON_AGE).set(usage.try_get::<_, f64>(1)?);
                settling.after(catch_up(&client, &read, hub, within).await?);
            }
        }
    }
}

/// When to read again without a wake-up: after a read that stopped short of events still
/// settling (an append drawn before them still open, or any transaction older than them), 2 ms
/// later, then twice as long each time up to 100 ms, until a read is not cut. Whatever ends the
/// wait may send no notification: a transaction that appends nothing, or a writer that died
/// between its commit and its NOTIFY.
struct Settling {
    next: Option<Duration>,
}

impl Settling {
    const FIRST: Duration = Duration::from_millis(2);
    const MOST: Duration = Duration::from_millis(100);

    fn new(cut: bool) -> Self {
        Self { next: cut.then_some(Self::FIRST) }
    }

    /// After a catch-up that was cut (or not).
    fn after(&mut self, cut: bool) {
        self.next = match (cut, self.next) {
            (false, _) => None,
            (true, None) => Some(Self::FIRST),
            (true, Some(last)) => Some((last * 2).min(Self::MOST)),
        };
    }

    /// Resolves when it is time to read again; never, while nothing is settling.
    async fn wait(&self) {
        match self.next {
            Some(delay) => tokio::time::sleep(delay).await,
            None => std::future::pending().await,
        }
    }
}

/// Reads the log after the hub's head and dispatches it, until a read comes back short;
/// whether that read was cut (events after it still settling).
#[tracing::instrument(name = "catch_up", skip_all, fields(from = hub.head()))]
async fn catch_up(client: &Client, read: &Statement, hub: &Hub, within: Duration) -> anyhow::Result<bool> {
    loop {
        let store::Settled { events: batch, cut } =
            answered(within, "log read", store::read_after_with(client, read, hub.head(), BATCH)).await?;
        let Some(last) = batch.last() else {
            metrics::gauge!(crate::metrics::LISTENER_LAG_POSITIONS).set(0.0);
            return Ok(cut);
        };
        // How far behind the log this replica was when it read the batch, in events and time.
        metrics::gauge!(crate::metrics::LISTENER_LAG_POSITIONS).set((last.position - hub.head()) as f64);
        let age = time::OffsetDateTime::now_utc() - last.created_at;
        metrics::gauge!(crate::metrics::LISTENER_LAG_SECONDS).set(age.as_seconds_f64().max(0.0));
        let full = batch.len() as i64 == BATCH;
        let frames =
            answered(within, "encoding", frames::encode(client, &batch, None, frames::Shown::AsAppended)).await?;
        hub.dispatch(frames);
        if !full {
            return Ok(cut);
        }
    }
}

/// `step`'s outcome, or an error once `limit` passes without one: a session that stays silent
/// (a frozen backend, a half-open connection) counts as dropped, whatever step it stops in.
async fn answered<T>(
    limit: Duration,
    what: &str,
    step: impl std::future::Future<Output = anyhow::Result<T>>,
) -> anyhow::Result<T> {
    tokio::time::timeout(limit, step).await.map_err(|_| anyhow::anyhow!("no answer to the {what} within {limit:?}"))?
}

struct AbortOnDrop(JoinHandle<Result<(), tokio_postgres::Error>>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
