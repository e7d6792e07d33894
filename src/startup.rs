//! Building and running one replica. `main` and the tests start the app the same way:
//! `Application::build(config)` binds (port 0 in tests), then `run_until_stopped()`.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::auth::Keys;
use crate::auth::users::UserCache;
use crate::log::Appender;
use crate::realtime::{Hub, listener};
use crate::{AppState, Config, db};

pub struct Application {
    listener: TcpListener,
    state: AppState,
    log_listener: JoinHandle<()>,
}

impl Application {
    /// Binds `LISTEN_ADDR`, migrates the database, connects the pool and starts the log
    /// listener. Each failure is one line naming the setting to fix.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let addr = config.http.listen_addr;
        let listener =
            TcpListener::bind(addr).await.with_context(|| format!("LISTEN_ADDR: cannot listen on {addr}"))?;
        let database = config.database.clone().context("DATABASE_URL: not set")?;
        db::migrate(&database).await?;
        let pool = db::connect(&database, config.db.pool_size).await?;
        let keys = Arc::new(Keys::new(&config.auth.jwt));
        let hub = Arc::new(Hub::new(config.sse.queue));
        let shutdown = CancellationToken::new();
        let log_listener = listener::start(database, hub.clone(), config.listener.probe, shutdown.clone()).await?;
        let metrics = crate::metrics::handle();
        let appender = Arc::new(Appender::start(pool.clone(), config.append));
        let users = Arc::new(UserCache::new(config.auth.user_cache));
        let state = AppState { db: pool, keys, config: Arc::new(config), hub, shutdown, metrics, appender, users };
        Ok(Self { listener, state, log_listener })
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

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let shutdown = self.state.shutdown.clone();
        // into_make_service: each connection gets a clone of the router (one Arc). Serving the
        // Router itself rebuilds its route tables for every connection (`with_state(())` in
        // axum 0.8), about 13 kB per open connection, an event stream's included (measured with
        // heaptrack; docs/benchmarks.md, S3).
        let router = crate::router::router(self.state).into_make_service();
        let served =
            axum::serve(self.listener, router).with_graceful_shutdown(shutdown.clone().cancelled_owned()).await;
        shutdown.cancel(); // if serving failed, stop the listener too
        let _ = self.log_listener.await;
        served
    }
}
