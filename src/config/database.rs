//! Where the data is: the primary (`DATABASE_URL`, or a private PostgreSQL for development),
//! the schema owner's connection for migrations, a streaming standby for reads, the pool.

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use super::env::{ConfigError, Env, Fallback, Var, defaults};

const DATABASE_URL: Var = Var {
    name: "DATABASE_URL",
    default: Fallback::Unset("unset: a private PostgreSQL"),
    meaning: "`postgres://…` URL or `host=… dbname=…` string",
};
const MIGRATION_DATABASE_URL: Var = Var {
    name: "MIGRATION_DATABASE_URL",
    default: Fallback::Unset("unset: `DATABASE_URL` migrates"),
    meaning: "the schema owner's connection, for migrations, when the replicas connect as a least-privilege role (docs/security.md); without it a replica whose role may not migrate only checks that the schema is current",
};
const READ_DATABASE_URL: Var = Var {
    name: "READ_DATABASE_URL",
    default: Fallback::Unset("unset: every read on `DATABASE_URL`"),
    meaning: "a streaming standby of `DATABASE_URL`'s server (hot standby): history, chat lists and stream replays are read there (docs/operations.md); start-up stops if it answers as another cluster; one that does not answer yet is only logged",
};
const READ_WAIT_MS: Var = Var {
    name: "READ_WAIT_MS",
    default: Fallback::Value("100"),
    meaning: "how long a read that must include a position waits for the standby to replay it before the primary answers it (at most 10000)",
};
const DB_POOL_SIZE: Var =
    Var { name: "DB_POOL_SIZE", default: Fallback::Value("16"), meaning: "connections per replica" };
const DATA_DIR: Var = Var {
    name: "DATA_DIR",
    default: Fallback::Value(".data"),
    meaning: "where the private PostgreSQL keeps its data (`DATA_DIR/postgres`), and the demo its signing key",
};
const PG_BINDIR: Var = Var {
    name: "PG_BINDIR",
    default: Fallback::Computed("search `PATH`, then `/usr/lib/postgresql/*/bin`"),
    meaning: "PostgreSQL server binaries for the private server",
};

pub(super) const VARS: &[Var] =
    &[DATABASE_URL, MIGRATION_DATABASE_URL, READ_DATABASE_URL, READ_WAIT_MS, DB_POOL_SIZE, DATA_DIR, PG_BINDIR];

/// The primary and the owner's connection.
#[derive(Debug, Clone)]
pub struct Databases {
    /// `None`: start a private PostgreSQL in `db.data_dir` (development and demo only).
    pub database: Option<tokio_postgres::Config>,
    /// The schema owner's connection, for migrations (and the demo data), when the replicas'
    /// own role (`database`) may not change the schema. `None`: `database` migrates.
    pub migration_database: Option<tokio_postgres::Config>,
    pub db: DbConfig,
}

impl Databases {
    pub(super) fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            database: url(env, &DATABASE_URL)?,
            migration_database: url(env, &MIGRATION_DATABASE_URL)?,
            db: DbConfig::from_env(env)?,
        })
    }
}

/// The pool and the private PostgreSQL.
#[derive(Debug, Clone)]
pub struct DbConfig {
    pub pool_size: usize,
    /// Where the private PostgreSQL keeps its data (`DATA_DIR/postgres`) and the demo its key.
    pub data_dir: PathBuf,
    /// PostgreSQL's server binaries for the private server (`None`: search for them).
    pub pg_bindir: Option<PathBuf>,
}

impl DbConfig {
    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let pool_size = env.parse(&DB_POOL_SIZE, "a pool size")?;
        if pool_size == 0 {
            return Err(ConfigError::new(DB_POOL_SIZE.name, "must be at least 1"));
        }
        Ok(Self {
            pool_size,
            data_dir: env.parse(&DATA_DIR, "a directory")?,
            pg_bindir: env.parse_opt(&PG_BINDIR, "a directory")?,
        })
    }
}

impl Default for DbConfig {
    fn default() -> Self {
        defaults(Self::from_env)
    }
}

/// Reads from a streaming standby of `DATABASE_URL` (`src/standby.rs`).
#[derive(Debug, Clone)]
pub struct ReadConfig {
    /// `READ_DATABASE_URL`; `None`: every read on the primary.
    pub database: Option<tokio_postgres::Config>,
    /// How long a read that must include a position waits for the standby to replay it
    /// before it reads the primary.
    pub wait: Duration,
}

impl ReadConfig {
    pub(super) fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let wait = env.millis(&READ_WAIT_MS)?;
        if wait > Duration::from_secs(10) {
            return Err(ConfigError::new(
                READ_WAIT_MS.name,
                format!("{} is more than 10000: a read would hang that long", wait.as_millis()),
            ));
        }
        Ok(Self { database: url(env, &READ_DATABASE_URL)?, wait })
    }
}

impl Default for ReadConfig {
    fn default() -> Self {
        defaults(Self::from_env)
    }
}

/// What `tutorchat migrate` needs: where the database is (`DATABASE_URL`, or `None` for a
/// private server), with the pool and the private server's settings.
pub fn database_from_env() -> Result<(Option<tokio_postgres::Config>, DbConfig), ConfigError> {
    let env = Env::process()?;
    Ok((url(&env, &DATABASE_URL)?, DbConfig::from_env(&env)?))
}

/// `MIGRATION_DATABASE_URL`: the schema owner's connection, when migrations run as another
/// role than the replicas.
pub fn migration_database_from_env() -> Result<Option<tokio_postgres::Config>, ConfigError> {
    url(&Env::process()?, &MIGRATION_DATABASE_URL)
}

/// `PG_BINDIR`: where PostgreSQL's server binaries are, when set.
pub fn pg_bindir_from_env() -> Result<Option<PathBuf>, ConfigError> {
    Env::process()?.parse_opt(&PG_BINDIR, "a directory")
}

/// A connection string in `var`, if set (its errors name that variable).
fn url(env: &Env, var: &Var) -> Result<Option<tokio_postgres::Config>, ConfigError> {
    let name = var.name;
    env.get(var).map(|url| parse_database_url(url).map_err(|e| ConfigError::new(name, e.problem))).transpose()
}

/// Parses a connection string in either form PostgreSQL accepts (URL or key=value).
pub fn parse_database_url(url: &str) -> Result<tokio_postgres::Config, ConfigError> {
    let mut config = tokio_postgres::Config::from_str(url).map_err(|e| {
        ConfigError::new(DATABASE_URL.name, format!("is not a valid PostgreSQL connection string ({e})"))
    })?;
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(Duration::from_secs(5));
    }
    Ok(config)
}
