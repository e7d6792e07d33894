//! Building and running one replica. `main` and the tests start the app the same way:
//! `Application::build(config)` binds (port 0 in tests), then `run_until_stopped()`.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use hyper::server::conn::http1;
use hyper_util::rt::TokioTimer;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::auth::Keys;
use crate::auth::oidc::Oidc;
use crate::auth::users::UserCache;
use crate::jobs::{Jobs, Role};
use crate::limits::Limits;
use crate::log::Appender;
use crate::realtime::follow::follow_users;
use crate::realtime::signals::{SignalSender, TypingThrottle};
use crate::realtime::{Hub, listener, presence};
use crate::serve::Connections;
use crate::standby::Reads;
use crate::state::Shared;
use crate::storage::Storage;
use crate::{AppState, Config, db};

/// How long shutdown waits for open connections to finish.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

pub struct Application {
    listener: TcpListener,
    state: AppState,
    log_listener: JoinHandle<()>,
    presence: JoinHandle<()>,
}

impl Application {
    /// Binds `LISTEN_ADDR`, migrates the database, connects the pool and starts the log
    /// listener. Each failure is one line naming the setting to fix.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let addr = config.http.listen_addr;
        let listener =
            TcpListener::bind(addr).await.with_context(|| format!("LISTEN_ADDR: cannot listen on {addr}"))?;
        let database = config.database.clone().context("DATABASE_URL: not set")?;
        match &config.migration_database {
            Some(owner) => db::migrate(owner).await?,
            None => db::migrate_or_check(&database).await?,
        }
        let school = db::deployment_school(&database).await?;
        let pool = db::connect(&db::in_school(&database, school), config.db.pool_size).await?;
        let zone = &config.safeguarding.school_timezone;
        if !crate::safeguarding::quiet::check_timezone(&**pool.get().await?, zone).await? {
            let e = config.safeguarding.unknown_timezone();
            anyhow::bail!("{}: {}", e.var, e.problem);
        }
        let reads = Arc::new(match &config.reads.database {
            None => Reads::primary_only(pool.clone()),
            Some(standby) => {
                let standby = db::connect_standby(&db::in_school(standby, school), &pool, config.db.pool_size).await?;
                Reads::with_standby(pool.clone(), standby, config.reads.wait)
            }
        });
        let keys = Arc::new(Keys::new(&config.auth.jwt));
        let oidc = config.auth.oidc.clone().map(|c| Oidc::new(c, config.auth.user_cache)).transpose()?;
        if let Some(oidc) = &oidc {
            // The provider's keys, fetched ahead of the first token (failing here is not fatal:
            // a replica starts while the provider is down, and asks again when a token comes).
            let provider = oidc.provider.clone();
            tokio::spawn(async move {
                let _ = provider.current().await;
            });
        }
        // The school's settings, which the hub keeps as it dispatches their changes.
        let school_settings = Arc::new(crate::school::Settings::new(&config));
        let hub = Arc::new(Hub::new(config.sse.queue, school_settings.clone()));
        let shutdown = CancellationToken::new();
        listener::load(&database, &hub).await?;
        // Read after the hub's head: a change the read missed comes after that head, so the
        // listener applies it; one both read and dispatched is applied again in the log's
        // order, which ends at the newest (a change sets values, it adds nothing).
        school_settings.load(&**pool.get().await?).await.context("cannot read the school's settings")?;
        let jobs = Arc::new(Jobs::default());
        let log_listener = jobs.supervise_as(listener::JOB, Role::Essential, shutdown.clone(), {
            let (hub, probe, shutdown) = (hub.clone(), config.listener.probe, shutdown.clone());
            move || listener::run(database.clone(), hub.clone(), probe, shutdown.clone())
        });
        let presence = jobs.supervise("presence", shutdown.clone(), {
            let (hub, pool, presence, replica) = (hub.clone(), pool.clone(), config.presence, uuid::Uuid::new_v4());
            let shutdown = shutdown.clone();
            move || presence::run(hub.clone(), pool.clone(), presence, replica, shutdown.clone())
        });
        jobs.supervise(crate::access::STREAM_READS_JOB, shutdown.clone(), {
            let (hub, pool, shutdown) = (hub.clone(), pool.clone(), shutdown.clone());
            move || crate::access::keep_recording_streams(hub.clone(), pool.clone(), shutdown.clone())
        });
        let metrics = crate::metrics::handle();
        let appender = Arc::new(Appender::start(pool.clone(), config.append, &jobs, shutdown.clone()));
        let users = Arc::new(UserCache::new(config.auth.user_cache));
        hub.on_person_changed({
            let users = users.clone();
            move |id| users.forget(id)
        });
        let limits = Arc::new(Limits::new(&config.rate));
        jobs.supervise("rate-limits", shutdown.clone(), {
            let (limits, shutdown) = (limits.clone(), shutdown.clone());
            move || forget_idle_users(limits.clone(), shutdown.clone())
        });
        jobs.supervise("follow-users", shutdown.clone(), {
            let (hub, users, pool, shutdown) = (hub.clone(), users.clone(), pool.clone(), shutdown.clone());
            let period = config.auth.user_cache;
            move || follow_users(hub.clone(), users.clone(), pool.clone(), period, shutdown.clone())
        });
        let storage = Arc::new(Storage::open(&config.storage)?);
        crate::outbox::announce(&pool, &config.notify).await?;
        crate::safeguarding::announce(&pool, &config.safeguarding).await?;
        jobs.supervise("emails", shutdown.clone(), {
            let (pool, notify, keys, shutdown) = (pool.clone(), config.notify.clone(), keys.clone(), shutdown.clone());
            let school = school_settings.clone();
            move || {
                let (pool, notify) = (pool.clone(), notify.clone());
                crate::outbox::email::run(pool, notify, school.clone(), keys.clone(), shutdown.clone())
            }
        });
        for job in crate::outbox::Job::ALL {
            let (pool, notify, shutdown) = (pool.clone(), config.notify.clone(), shutdown.clone());
            let school = school_settings.clone();
            jobs.supervise(job.name(), shutdown.clone(), move || {
                job.run(pool.clone(), notify.clone(), school.clone(), shutdown.clone())
            });
        }
        let config = Arc::new(config);
        let typing = Arc::new(TypingThrottle::default());
        let signals = Arc::new(SignalSender::start(pool.clone(), &jobs, shutdown.clone()));
        let shared = Shared {
            db: pool,
            reads,
            keys,
            oidc,
            config,
            hub,
            shutdown,
            metrics,
            appender,
            users,
            limits,
            typing,
            signals,
            storage,
            jobs,
            clock: Arc::default(),
            school: school_settings,
        };
        let state = AppState::new(shared);
        let (jobs, shutdown) = (&state.jobs, &state.shutdown);
        let s = state.clone();
        jobs.supervise("inquiry-closing", shutdown.clone(), move || crate::governance::keep_closing(s.clone()));
        jobs.supervise("attachment-sweep", shutdown.clone(), {
            let (db, storage, config, shutdown) =
                (state.db.clone(), state.storage.clone(), state.config.storage.clone(), shutdown.clone());
            move || crate::uploads::keep_sweeping(db.clone(), storage.clone(), config.clone(), shutdown.clone())
        });
        let s = state.clone();
        jobs.supervise(crate::safeguarding::quiet::JOB, shutdown.clone(), move || {
            crate::safeguarding::quiet::keep_delivering(s.clone())
        });
        let s = state.clone();
        jobs.supervise(crate::scheduled::JOB, shutdown.clone(), move || crate::scheduled::keep_sending(s.clone()));
        let s = state.clone();
        jobs.supervise(crate::safeguarding::flags::JOB, shutdown.clone(), move || {
            crate::safeguarding::flags::keep_flagging(s.clone())
        });
        let s = state.clone();
        jobs.supervise(crate::governance::JOB, shutdown.clone(), move || crate::governance::keep_governing(s.clone()));
        Ok(Self { listener, state, log_listener, presence })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    pub fn port(&self) -> u16 {
        self.local_addr().port()
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Cancel it to stop the server gracefully: streams end, then the server and the listener.
    pub fn shutdown_token(&self) -> CancellationToken {
        self.state.shutdown.clone()
    }

    /// Serves until the shutdown token is cancelled, then waits for open connections (event
    /// streams end on the same token) and the listener.
    ///
    /// hyper is driven directly rather than through `axum::serve`, which sets no timer: with
    /// one, a connection that has not sent a whole request's headers within
    /// `HTTP_HEADER_TIMEOUT_SECS`, or sits idle between requests that long, is closed, so
    /// half-open and slow-header connections cannot pile up until the file limit. An event
    /// stream that opens its connection is answered without hyper (`serve`).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let shutdown = self.state.shutdown.clone();
        let header_timeout = self.state.config.http.header_timeout;
        let send_timeout = self.state.config.sse.send_timeout;
        // One router for every connection: each gets a clone (one Arc). (Serving a Router
        // through `axum::serve` rebuilt its route tables per connection, about 13 kB each,
        // measured with heaptrack; docs/benchmarks.md, S3.)
        let router = crate::router::router(self.state);
        // HTTP/1.1 only: browsers reach the replicas through nginx, which speaks HTTP/1.1 to
        // them (event streams need nothing else).
        let mut builder = http1::Builder::new();
        builder.timer(TokioTimer::new()).header_read_timeout(header_timeout);
        let connections = Connections::new(router, builder, (header_timeout, send_timeout), shutdown.clone());
        let graceful = GracefulShutdown::new();
        loop {
            let (stream, _) = tokio::select! {
                _ = shutdown.cancelled() => break,
                accepted = self.listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        accept_failed(e).await;
                        continue;
                    }
                },
            };
            let _ = stream.set_nodelay(true);
            tokio::spawn(connections.clone().serve(stream, graceful.watcher()));
        }
        drop(self.listener);
        // Streams end on the token; a client that stopped reading could still hold its
        // connection's last bytes unsent, so the wait is bounded.
        if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown()).await.is_err() {
            tracing::warn!(grace_secs = SHUTDOWN_GRACE.as_secs(), "connections still open at shutdown; closing them");
        }
        let _ = self.log_listener.await;
        let _ = self.presence.await; // it shortens this replica's presence lease on its way out
        Ok(())
    }
}

/// Once a minute, drops the rate-limit state of users who have been quiet (their buckets are
/// full again), so it follows the active users rather than everyone ever seen.
async fn forget_idle_users(limits: Arc<Limits>, shutdown: CancellationToken) {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(60));
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = every.tick() => limits.forget_idle(),
        }
    }
}

/// Errors of `accept` are about one connection (reset before it was taken) or the process
/// (out of file descriptors): the first are skipped, the second wait a moment for room.
async fn accept_failed(error: std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(error.kind(), ConnectionAborted | ConnectionRefused | ConnectionReset) {
        return;
    }
    metrics::counter!(crate::metrics::ACCEPT_ERRORS).increment(1);
    tracing::error!(error = %error, "accept failed; pausing for a second");
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
}
