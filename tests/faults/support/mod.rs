//! The fault tests' harness: a topology with users and chats, followers that behave like
//! browsers (reconnect through nginx with Last-Event-ID), posters, and the delivery check.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tutorchat::config::parse_database_url;
use tutorchat_dev::topology::{Options, Topology};

use crate::helpers::{SECRET, User, connect, token_for};

mod checks;
mod follower;
mod observe;
mod posters;

pub use follower::{Follower, drain};
pub use posters::PostLog;

/// The fault tests each start three replicas, nginx and PostgreSQL: one at a time.
pub async fn serial() -> Turn {
    static LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    Turn { _held: LOCK.lock().await, since: std::time::Instant::now() }
}

/// A test's turn: when it ends (the test's topology dropped before it), how long it took goes
/// to stderr itself, past the harness's capture of `eprintln!`, so that a run's log shows where
/// the catalogue's time goes (the harness's own notices count the wait for the turn too).
pub struct Turn {
    _held: tokio::sync::MutexGuard<'static, ()>,
    since: std::time::Instant,
}

impl Drop for Turn {
    fn drop(&mut self) {
        use std::io::Write;
        let thread = std::thread::current();
        let test = thread.name().unwrap_or("a fault test");
        let _ = writeln!(std::io::stderr(), "faults: {test} took {:.0} s", self.since.elapsed().as_secs_f64());
    }
}

/// Up to the hard limit: thousands of streams need as many descriptors here, and the replicas
/// and nginx started from this process inherit it.
pub fn raise_file_limit() {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    if let Ok((_, hard)) = getrlimit(Resource::RLIMIT_NOFILE) {
        let _ = setrlimit(Resource::RLIMIT_NOFILE, hard, hard);
    }
}

/// The topology's PostgreSQL.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Database {
    Single,
    WithStandby,
    BackedUp,
    Ha,
}

pub struct Pair {
    pub chat: i64,
    pub teacher: User,
    pub student: User,
}

pub struct Cluster {
    topology: Arc<Mutex<Topology>>,
    pub url: String,
    replica_urls: Vec<String>,
    access_log: std::path::PathBuf,
    database: tokio_postgres::Config,
    http: reqwest::Client,
    pairs: Vec<Pair>,
    admin: User,
}

impl Cluster {
    pub async fn start(env: &[(&str, &str)]) -> Self {
        Self::start_on(env, false).await
    }

    /// [`Cluster::start`], with a streaming standby the replicas read from when `standby`.
    pub async fn start_on(env: &[(&str, &str)], standby: bool) -> Self {
        Self::start_with(env, standby, false).await
    }

    /// [`Cluster::start`], PostgreSQL backed up by pgBackRest (the WAL archived, a first full
    /// backup taken).
    pub async fn start_with_backups() -> Self {
        Self::start_with(&[], false, true).await
    }

    /// The HA topology: etcd and two PostgreSQL servers under Patroni (primary and synchronous
    /// standby), two replicas following whichever leads, nginx in front.
    pub async fn start_ha(env: &[(&str, &str)]) -> Self {
        Self::start_topology(env, Database::Ha).await
    }

    async fn start_with(env: &[(&str, &str)], standby: bool, backups: bool) -> Self {
        let database = match (standby, backups) {
            (true, _) => Database::WithStandby,
            (_, true) => Database::BackedUp,
            _ => Database::Single,
        };
        Self::start_topology(env, database).await
    }

    async fn start_topology(env: &[(&str, &str)], database: Database) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let base = std::env::temp_dir().join(format!(
            "tutorchat-faults-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let mut vars: Vec<(String, String)> = [
            ("JWT_SECRET", SECRET),
            ("HEARTBEAT_SECS", "1"),
            ("SSE_RETRY_MS", "100"),
            ("LISTENER_PROBE_SECS", "2"),
            ("RUST_LOG", "warn"),
            // The posters are load generators, not people: the per-user rates (tested on
            // their own in tests/api/limits.rs) would refuse most of their writes.
            ("RATE_WRITES_PER_SEC", "100000"),
            ("RATE_WRITES_BURST", "100000"),
            ("RATE_READS_PER_SEC", "100000"),
            ("RATE_READS_BURST", "100000"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        vars.extend(env.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let options = Options {
            binary: env!("CARGO_BIN_EXE_tutorchat").into(),
            replicas: if database == Database::Ha { 2 } else { 3 },
            front: "127.0.0.1:0".parse().expect("addr"),
            base,
            durable: false,
            remove_on_exit: true,
            nginx: true,
            env: vars,
            demo: false,
            pg_bindir: tutorchat::config::pg_bindir_from_env().expect("PG_BINDIR"),
            standby: database == Database::WithStandby,
            pg_settings: Vec::new(),
            backups: database == Database::BackedUp,
            ha: database == Database::Ha,
        };
        let topology = tokio::task::spawn_blocking(move || Topology::start(options))
            .await
            .expect("task")
            .expect("start the topology (PostgreSQL, the replicas, nginx)");
        let database = parse_database_url(topology.database_url()).expect("url");
        let sql = connect(&database).await;
        let mut pairs = Vec::new();
        for i in 0..2 {
            let teacher = user(&sql, "teacher", i).await;
            let student = user(&sql, "student", i).await;
            sql.execute(
                "INSERT INTO lessons (teacher_id, student_id, scheduled_at, status) VALUES ($1, $2, now(), 'completed')",
                &[&teacher.id, &student.id],
            )
            .await
            .expect("lesson");
            let chat = sql
                .query_one(
                    "SELECT id FROM chats WHERE teacher_id = $1 AND student_id = $2",
                    &[&teacher.id, &student.id],
                )
                .await
                .expect("chat")
                .get(0);
            pairs.push(Pair { chat, teacher, student });
        }
        let admin = user(&sql, "admin", 0).await;
        let replica_urls = (0..topology.replica_count()).map(|i| topology.replica_url(i)).collect();
        Self {
            url: topology.url(),
            replica_urls,
            access_log: topology.nginx_access_log(),
            topology: Arc::new(Mutex::new(topology)),
            database,
            http: reqwest::Client::new(),
            pairs,
            admin,
        }
    }

    /// Runs a blocking operation on the topology (kill, restart, stop PostgreSQL…).
    pub async fn topology<R: Send + 'static>(
        &self,
        operation: impl FnOnce(&mut Topology) -> anyhow::Result<R> + Send + 'static,
    ) -> R {
        let topology = self.topology.clone();
        tokio::task::spawn_blocking(move || {
            let mut topology = topology.lock().unwrap_or_else(|p| p.into_inner());
            operation(&mut topology)
        })
        .await
        .expect("task")
        .expect("topology operation")
    }

    /// The admin's token (every chat's events).
    pub fn admin_token(&self) -> &str {
        &self.admin.token
    }

    /// The admin (who follows every chat).
    pub fn admin(&self) -> &User {
        &self.admin
    }

    /// The i-th chat and its two participants.
    pub fn pair(&self, i: usize) -> &Pair {
        &self.pairs[i]
    }

    /// A replica's own address, bypassing nginx.
    pub fn replica_url(&self, i: usize) -> &str {
        &self.replica_urls[i]
    }

    pub fn stalled_user(&self) -> &User {
        &self.pairs[0].student
    }

    pub fn stalled_chat(&self) -> i64 {
        self.pairs[0].chat
    }

    /// A fresh connection (PostgreSQL may have restarted since the last one).
    pub fn database(&self) -> &tokio_postgres::Config {
        &self.database
    }

    pub async fn sql(&self) -> tokio_postgres::Client {
        connect(&self.database).await
    }
}

async fn user(sql: &tokio_postgres::Client, role: &str, i: usize) -> User {
    let email = format!("{role}{i}@faults.test");
    let id: i64 = sql
        .query_one("INSERT INTO users (email, name, role) VALUES ($1, $2, $3) RETURNING id", &[&email, &email, &role])
        .await
        .expect("user")
        .get(0);
    User { id, token: token_for(id) }
}
