//! Connections and migrations; and a private PostgreSQL started from the machine's own server
//! binaries (`embedded`): the server without `DATABASE_URL`, the schema dump, the local
//! topology, and the restore drill's scratch server.

use std::time::Duration;

use anyhow::Context;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio_postgres::NoTls;
use tokio_postgres::error::SqlState;

pub mod embedded;
mod migrate;

pub use migrate::{
    BASELINE, FUNCTIONS, MIGRATE_PATIENCE, functions_digest, migrate, migrate_or_check, schema_digest,
    wait_for_database,
};

/// Where a connection goes, without the password: safe for error messages and logs.
pub fn describe(config: &tokio_postgres::Config) -> String {
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .map(|h| match h {
            tokio_postgres::config::Host::Tcp(name) => name.clone(),
            tokio_postgres::config::Host::Unix(path) => path.display().to_string(),
        })
        .collect();
    format!(
        "host={} port={} user={} dbname={}",
        if hosts.is_empty() { "localhost".to_owned() } else { hosts.join(",") },
        config.get_ports().first().copied().unwrap_or(5432),
        config.get_user().unwrap_or("(default)"),
        config.get_dbname().unwrap_or("(default)"),
    )
}

/// Planner settings for the application's sessions, which run short lookups over a working set
/// that is in memory (docs/benchmarks.md, S4):
/// - `jit=off`: JIT compilation costs milliseconds per execution and pays off only for long
///   analytical queries; the chat list's estimate crossed `jit_above_cost` and spent ~10 of its
///   27 ms compiling.
/// - `max_parallel_workers_per_gather=0`: a parallel plan starts worker processes per execution;
///   with requests already running side by side on every core, it only adds that cost.
/// - `random_page_cost=1.1`: with the data cached, an index lookup costs about as much as a
///   sequential page. At the default 4, the planner answered a teacher's 500-chat list with a
///   sequential scan of all 100,000 chats (25 ms) instead of 500 index lookups (5 ms).
pub const SESSION_SETTINGS: &[(&str, &str)] =
    &[("jit", "off"), ("max_parallel_workers_per_gather", "0"), ("random_page_cost", "1.1")];

/// A database error that means "not reachable" rather than "the query is wrong".
pub fn is_connectivity(e: &tokio_postgres::Error) -> bool {
    if e.is_closed() {
        return true;
    }
    // A value that would not convert (a column, a parameter) is a bug of ours, not the network.
    let text = e.to_string();
    if text.starts_with("error deserializing") || text.starts_with("error serializing") {
        return false;
    }
    match e.code() {
        None => true, // I/O, connect and protocol errors carry no SQLSTATE
        Some(code) => {
            let c = code.code();
            // 08: connection exception; 57P: operator intervention (shutdown, terminated);
            // 25006: a write reached a server that is no longer the primary (a failover)
            c.starts_with("08")
                || c.starts_with("57P")
                || *code == SqlState::CANNOT_CONNECT_NOW
                || *code == SqlState::READ_ONLY_SQL_TRANSACTION
        }
    }
}

/// An enum stored in a text column (with a CHECK listing its values): the one place its
/// variants are spelled as text. Generates `as_str`, `FromStr` and the `ToSql`/`FromSql` that
/// let a row decode straight into the enum and a query bind it as text. (Its serde names, where
/// it has any, are checked against `as_str` by the enum's own test.)
///
/// ```ignore
/// text_column!(ChatKind { Direct => "direct", Group => "group" });
/// ```
macro_rules! text_column {
    ($ty:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        impl $ty {
            /// Every variant, in declaration order.
            #[allow(dead_code)]
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $text,)+
                }
            }
        }

        impl std::str::FromStr for $ty {
            type Err = anyhow::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($ty::$variant),)+
                    other => Err(anyhow::anyhow!(concat!("unknown ", stringify!($ty), " {:?}"), other)),
                }
            }
        }

        impl<'a> postgres_types::FromSql<'a> for $ty {
            fn from_sql(
                ty: &postgres_types::Type,
                raw: &'a [u8],
            ) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
                let text = <&str as postgres_types::FromSql>::from_sql(ty, raw)?;
                Ok(text.parse::<$ty>()?)
            }
            fn accepts(ty: &postgres_types::Type) -> bool {
                <&str as postgres_types::FromSql>::accepts(ty)
            }
        }

        impl postgres_types::ToSql for $ty {
            fn to_sql(
                &self,
                ty: &postgres_types::Type,
                out: &mut bytes::BytesMut,
            ) -> Result<postgres_types::IsNull, Box<dyn std::error::Error + Sync + Send>> {
                self.as_str().to_sql(ty, out)
            }
            fn accepts(ty: &postgres_types::Type) -> bool {
                <&str as postgres_types::ToSql>::accepts(ty)
            }
            postgres_types::to_sql_checked!();
        }
    };
}
pub(crate) use text_column;

/// Which server a read runs on (see `crate::standby`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Primary,
    /// A streaming standby (`READ_DATABASE_URL`). It cannot read presence (UNLOGGED tables):
    /// presence comes from the primary (`wire::Presences`).
    Standby,
}

/// Builds the pool and proves the database answers, so that a bad `DATABASE_URL` stops
/// start-up with one clear line instead of failing the first request.
pub async fn connect(config: &tokio_postgres::Config, size: usize) -> anyhow::Result<Pool> {
    let pool = pool(config, size, Duration::from_secs(5), RecyclingMethod::Fast)?;
    let client = pool.get().await.map_err(|e| {
        anyhow::anyhow!("DATABASE_URL: cannot connect to the database ({}): {}", describe(config), pool_error(&e))
    })?;
    client.simple_query("SELECT 1").await.context("DATABASE_URL: the database does not answer")?;
    Ok(pool)
}

/// The pool of a streaming standby (`READ_DATABASE_URL`, see `crate::standby`), with short timeouts
/// so that a standby gone quiet costs a read a second, not five. Start-up stops if the standby
/// answers as another cluster than the primary's (its data would be another school's, or
/// nobody's); a standby that does not answer yet is only logged: reads go to the primary
/// until it does.
///
/// With `target_session_attrs=read-only` (a URL naming several servers, the standby among
/// them, as a Patroni cluster's replicas use), each connection is checked out only while its
/// server is still in recovery: after a failover the promoted server's connections are
/// dropped and new ones go to whichever server is the standby now.
pub async fn connect_standby(config: &tokio_postgres::Config, primary: &Pool, size: usize) -> anyhow::Result<Pool> {
    let recycling = if config.get_target_session_attrs() == tokio_postgres::config::TargetSessionAttrs::ReadOnly {
        RecyclingMethod::Custom(STILL_A_STANDBY.to_owned())
    } else {
        RecyclingMethod::Fast
    };
    let standby = pool(config, size, Duration::from_secs(1), recycling)?;
    let client = match standby.get().await {
        Ok(client) => client,
        Err(e) => {
            tracing::warn!(standby = %describe(config), error = %pool_error(&e),
                "READ_DATABASE_URL: the standby does not answer yet; reading the primary until it does");
            return Ok(standby);
        }
    };
    const IDENTITY: &str = "SELECT system_identifier::text, pg_is_in_recovery() FROM pg_control_system()";
    let theirs =
        client.query_one(IDENTITY, &[]).await.context("READ_DATABASE_URL: cannot read the server's identity")?;
    let ours = primary.get().await?.query_one(IDENTITY, &[]).await?;
    let (theirs_id, ours_id): (String, String) = (theirs.get(0), ours.get(0));
    anyhow::ensure!(
        theirs_id == ours_id,
        "READ_DATABASE_URL: {} is not a copy of DATABASE_URL's cluster (system identifier {theirs_id}, the primary's {ours_id}): point it at a streaming standby of the primary",
        describe(config)
    );
    if !theirs.get::<_, bool>(1) {
        tracing::warn!(standby = %describe(config), "READ_DATABASE_URL is not in recovery: it is the primary itself (or a promoted standby); reads go there");
    }
    Ok(standby)
}

/// Fails on a server that is no longer in recovery (a promoted standby).
const STILL_A_STANDBY: &str =
    "DO $$BEGIN IF NOT pg_is_in_recovery() THEN RAISE 'promoted: no longer a standby'; END IF; END$$";

/// The school this replica serves: the database's only school (`current_school()`, see
/// `sql/functions/current_school.sql`). Start-up stops on a database of several: a replica does
/// not yet find a request's school.
pub async fn deployment_school(config: &tokio_postgres::Config) -> anyhow::Result<i64> {
    let (client, connection) = config
        .connect(NoTls)
        .await
        .with_context(|| format!("DATABASE_URL: cannot connect to the database ({})", describe(config)))?;
    let driver = tokio::spawn(connection);
    let school: Option<i64> = client.query_one("SELECT current_school()", &[]).await?.get(0);
    drop(client);
    let _ = driver.await;
    school.context("DATABASE_URL: the database holds several schools, and this build serves a database of one")
}

/// `config` with its sessions in `school` (`tutorchat.school`, which every table's wall reads:
/// `sql/functions/current_school.sql`).
pub fn in_school(config: &tokio_postgres::Config, school: i64) -> tokio_postgres::Config {
    let mut config = config.clone();
    let options = config.get_options().map(|o| format!("{o} ")).unwrap_or_default();
    config.options(format!("{options}-c tutorchat.school={school}"));
    config
}

/// A pool with the application's session settings, connecting lazily.
fn pool(
    config: &tokio_postgres::Config,
    size: usize,
    timeout: Duration,
    recycling_method: RecyclingMethod,
) -> anyhow::Result<Pool> {
    let mut session = config.clone();
    let settings = SESSION_SETTINGS.iter().map(|(name, value)| format!("-c {name}={value}"));
    let options = config.get_options().map(str::to_owned).into_iter().chain(settings).collect::<Vec<_>>();
    session.options(options.join(" "));
    if config.get_application_name().is_none() {
        session.application_name("tutorchat"); // who is connected, for whoever reads pg_stat_activity
    }
    let manager = Manager::from_config(session, NoTls, ManagerConfig { recycling_method });
    Pool::builder(manager)
        .max_size(size)
        .runtime(Runtime::Tokio1)
        .wait_timeout(Some(timeout))
        .create_timeout(Some(timeout))
        .recycle_timeout(Some(timeout))
        .build()
        .context("cannot build the database pool")
}

fn pool_error(e: &deadpool_postgres::PoolError) -> String {
    match e {
        deadpool_postgres::PoolError::Backend(e) => format!("{e}"),
        deadpool_postgres::PoolError::Timeout(_) => "timed out".to_owned(),
        other => other.to_string(),
    }
}

/// The group role the migrations grant the replicas' privileges to (`sql/V26__baseline.sql`).
pub const RUNTIME_GROUP: &str = "tutorchat_app";

/// Creates, when missing, the group role [`RUNTIME_GROUP`] and a login role `login` in it: the
/// role a least-privilege replica connects as. Needs a role with CREATEROLE (`server` is the
/// private server's superuser in `tutorchat-dev topology`).
pub async fn ensure_runtime_role(server: &tokio_postgres::Config, login: &str) -> anyhow::Result<()> {
    anyhow::ensure!(
        !login.is_empty() && login.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
        "a runtime role name is lowercase letters, digits and underscores: {login:?}"
    );
    let (client, connection) = server.connect(NoTls).await.context("cannot connect to create the runtime role")?;
    let driver = tokio::spawn(connection);
    client
        .batch_execute(&format!(
            "DO $$
             BEGIN
                 IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{RUNTIME_GROUP}') THEN
                     CREATE ROLE {RUNTIME_GROUP} NOLOGIN;
                 END IF;
                 IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{login}') THEN
                     CREATE ROLE {login} LOGIN IN ROLE {RUNTIME_GROUP};
                 END IF;
             END
             $$"
        ))
        .await
        .context("cannot create the runtime role")?;
    drop(client);
    let _ = driver.await;
    Ok(())
}

/// Creates the database named in `config` if it does not exist (used for the private server).
pub async fn ensure_database(server: &tokio_postgres::Config, name: &str) -> anyhow::Result<()> {
    let (client, connection) = server.connect(NoTls).await.context("cannot connect to the private PostgreSQL")?;
    let driver = tokio::spawn(connection);
    let exists = client.query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name]).await?.is_some();
    if !exists {
        client.batch_execute(&format!("CREATE DATABASE \"{}\"", name.replace('"', "\"\""))).await?;
    }
    drop(client);
    let _ = driver.await;
    Ok(())
}
