//! The database side of the harness: one PostgreSQL server per test process (yours via
//! `DATABASE_URL`, or a private one started from the machine's binaries), a fresh database per
//! test, streaming standbys of the private server, and what a test does to it directly.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio_postgres::{Client, NoTls};
use tutorchat::config::{parse_database_url, pg_bindir_from_env};
use tutorchat::db::embedded::{EmbeddedPostgres, Options};

enum Server {
    External(tokio_postgres::Config),
    Private(EmbeddedPostgres),
}

static SERVER: OnceLock<Server> = OnceLock::new();

/// The server every test of this process uses, started on first use.
pub fn server() -> tokio_postgres::Config {
    let server = SERVER.get_or_init(|| match std::env::var("DATABASE_URL") {
        Ok(url) if !url.trim().is_empty() => Server::External(parse_database_url(&url).expect("DATABASE_URL")),
        _ => {
            let base = scratch_dir().join(format!("tutorchat-test-{}", std::process::id()));
            let bindir = pg_bindir_from_env().expect("PG_BINDIR");
            // A standby (start_standby) streams from where its base backup ended, without a slot:
            // the WAL it has yet to fetch must outlive the checkpoints the suite's other tests
            // cause meanwhile (under CI's load a segment was removed seconds before it asked).
            let settings = vec![("wal_keep_size".to_owned(), "1GB".to_owned())];
            let options = Options { durable: false, remove_on_exit: true, bindir, settings };
            Server::Private(EmbeddedPostgres::start(&base, options).expect("start a private PostgreSQL for the tests"))
        }
    });
    match server {
        Server::External(config) => config.clone(),
        Server::Private(pg) => pg.config("postgres"),
    }
}

/// Where the private server keeps its data: in memory (`/dev/shm`) when it has room for the
/// suite's databases and WAL, else the temporary folder. Every test creates a database and
/// drops it; on ext4 each of those thousands of files' creation searched the inode bitmap
/// past the ones just deleted (`find_inode_bit`, `recently_deleted`): 3 % of the machine's
/// CPU over the whole API suite, and half of what 100 replicas started one after another
/// cost (31 CPU seconds on ext4, 16 in memory). The server is a throwaway either way.
fn scratch_dir() -> std::path::PathBuf {
    const ROOM: u64 = 4 << 30;
    let shm = std::path::Path::new("/dev/shm");
    let free = nix::sys::statvfs::statvfs(shm).map(|s| s.blocks_available() * s.fragment_size());
    match free {
        Ok(bytes) if bytes >= ROOM => shm.to_owned(),
        _ => std::env::temp_dir(),
    }
}

/// A streaming standby of the test server (`pg_basebackup`), of its own: stopped and removed
/// when dropped. `None` when the tests run against your `DATABASE_URL`, whose standby this
/// harness cannot make.
pub async fn start_standby() -> Option<EmbeddedPostgres> {
    server();
    let Some(Server::Private(primary)) = SERVER.get() else {
        eprintln!("skipped: a standby needs the private test server (DATABASE_URL is set)");
        return None;
    };
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let base = std::env::temp_dir().join(format!(
        "tutorchat-test-standby-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let standby = tokio::task::spawn_blocking(move || primary.start_standby(&base)).await.expect("task");
    Some(standby.expect("start a standby of the test server"))
}

pub async fn connect(config: &tokio_postgres::Config) -> Client {
    let (client, connection) = config.connect(NoTls).await.expect("connect to the test database");
    tokio::spawn(connection);
    client
}

/// A new, empty database on the test server (no migrations applied), dropped when the last
/// handle to it goes (so that tests against a long-lived `DATABASE_URL` leave nothing behind).
pub struct TestDatabase {
    config: tokio_postgres::Config,
    pub(crate) name: String,
}

impl std::ops::Deref for TestDatabase {
    type Target = tokio_postgres::Config;
    fn deref(&self) -> &Self::Target {
        &self.config
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        // Drop runs inside the test's runtime, which cannot be blocked on: a thread of its own
        // connects and drops the database, ending whatever sessions a test left open.
        let _ = std::fs::remove_dir_all(std::env::temp_dir().join(format!("{}-files", self.name)));
        let (admin, name) = (server(), self.name.clone());
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            runtime.block_on(async {
                let client = connect(&admin).await;
                client.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await
            })
        })
        .join();
        if let Ok(Err(e)) = dropped {
            eprintln!("could not drop test database {}: {e}", self.name);
        }
    }
}

/// A new, empty database: for the tests of migrations themselves and of a start-up that must
/// migrate. Every other test takes a [`migrated_database`].
pub async fn fresh_database() -> TestDatabase {
    create_database("").await
}

/// A new database with this build's schema: a copy of the template migrated once per schema
/// (`CREATE DATABASE … TEMPLATE`, a file copy that takes milliseconds where migrating takes a
/// second of CPU and holds the cluster's horizon meanwhile). The application migrates it as
/// it always does at start-up, and finds nothing left to do.
pub async fn migrated_database() -> TestDatabase {
    let template = migrated_template();
    create_database(&format!(" TEMPLATE {template}")).await
}

async fn create_database(options: &str) -> TestDatabase {
    let name = new_name("tutorchat_test");
    let admin = server();
    connect(&admin)
        .await
        .batch_execute(&format!("CREATE DATABASE {name}{options}"))
        .await
        .unwrap_or_else(|e| panic!("create test database{options}: {e}"));
    let mut config = admin;
    config.dbname(&name);
    TestDatabase { config, name }
}

fn new_name(prefix: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    format!("{prefix}_{}_{}_{nanos}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed))
}

/// The name of the database migrated to this build's schema, made on first use: named by the
/// schema's digest, so that a `DATABASE_URL` server keeps one per schema (the previous ones
/// are dropped) and a process finds the one another made. It is migrated under a name of its
/// own and renamed when done, so a template that exists is complete.
fn migrated_template() -> &'static str {
    static TEMPLATE: OnceLock<String> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        // The first test to ask makes it on a thread and runtime of its own (the test's runtime
        // may have one thread, which this blocks), as `Drop` drops a database.
        std::thread::spawn(|| {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            runtime.block_on(make_template())
        })
        .join()
        .expect("make the migrated template")
    })
}

async fn exists(client: &Client, database: &str) -> bool {
    let row = client.query_one("SELECT count(*) FROM pg_database WHERE datname = $1", &[&database]).await;
    row.expect("look up a database").get::<_, i64>(0) > 0
}

async fn make_template() -> String {
    let digest = tutorchat::db::schema_digest();
    let template = format!("tutorchat_template_{}", &digest[..16]);
    let admin = server();
    let client = connect(&admin).await;
    if exists(&client, &template).await {
        return template;
    }
    let stale = client
        .query(
            "SELECT datname FROM pg_database WHERE datname LIKE 'tutorchat\\_template\\_%' AND datname <> $1",
            &[&template],
        )
        .await
        .expect("list stale templates");
    for row in stale {
        let name: String = row.get(0);
        let _ = client.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
    }
    let building = new_name("tutorchat_building");
    client.batch_execute(&format!("CREATE DATABASE {building}")).await.expect("create the template");
    let mut config = admin;
    config.dbname(&building);
    tutorchat::db::migrate(&config).await.expect("migrate the template");
    // Another process may have finished first: then its template serves, and this one goes.
    if let Err(e) = client.batch_execute(&format!("ALTER DATABASE {building} RENAME TO {template}")).await {
        client.batch_execute(&format!("DROP DATABASE {building} WITH (FORCE)")).await.expect("drop a spare template");
        assert!(exists(&client, &template).await, "rename the template: {e}");
    }
    template
}

/// A plain message (no reply, attachment or mention) for appending to the log directly.
pub fn plain_message(chat_id: i64, sender_id: i64, content: &str) -> tutorchat::log::NewEvent {
    tutorchat::log::NewEvent::MessageCreated {
        chat_id,
        sender_id,
        content: content.into(),
        reply_to: None,
        attachment_ids: vec![],
        mentions: Vec::new(),
    }
}

/// The position of the last event committed so far (what a client that saw everything has
/// seen): not the log head, which stops short of events still settling.
pub async fn last_position(client: &Client) -> i64 {
    client.query_one("SELECT coalesce(max(position), 0) FROM events", &[]).await.expect("last position").get(0)
}

/// Every event committed after `cursor` so far (up to `limit`), read as a reader that cannot
/// wait for a wake-up reads them: again, a few milliseconds later, while a read comes back cut
/// (rows after it still settling: any transaction of the cluster older than them, such as
/// another test's, holds them back), for up to [`super::PATIENCE`].
pub async fn settled_after(client: &Client, cursor: i64, limit: i64) -> Vec<tutorchat::log::StoredEvent> {
    use tutorchat::log::store;
    let deadline = std::time::Instant::now() + super::PATIENCE;
    let (mut cursor, mut events) = (cursor, Vec::new());
    loop {
        let room = limit - events.len() as i64;
        let read = store::read_after_with(client, store::READ_AFTER_SQL, cursor, room).await.expect("read the log");
        if let Some(last) = read.events.last() {
            cursor = last.position;
        }
        events.extend(read.events);
        if !read.cut || events.len() as i64 >= limit || std::time::Instant::now() > deadline {
            return events;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
}

/// Terminates the log listeners' connections to this database (`pg_terminate_backend`), as a
/// network failure or a DBA would; returns how many there were.
pub async fn kill_listeners(sql: &tokio_postgres::Client) -> i64 {
    sql.query_one(
        "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE application_name = 'tutorchat-listener' AND datname = current_database()) t",
        &[],
    )
    .await
    .expect("terminate")
    .get(0)
}

/// The plan PostgreSQL runs `statement` with (`EXPLAIN` with `options`), one line a node.
pub async fn plan(
    sql: &Client,
    options: &str,
    statement: &str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> String {
    let explain = format!("EXPLAIN ({options}) {statement}");
    let rows = sql.query(&explain, params).await.unwrap_or_else(|e| panic!("{explain}: {e}"));
    rows.iter().map(|r| r.get::<_, String>(0)).collect::<Vec<_>>().join("\n")
}
