//! Typed configuration from environment variables, one file per concern. Each file declares
//! its variables once (a [`Var`]: name, default, meaning), parses its own struct from them and
//! takes its `Default` from parsing the empty environment, so a default is written in one
//! place. [`GROUPS`] lists every file's variables: reading an undeclared one is a bug caught in
//! debug builds, and `tutorchat config-doc` writes docs/configuration.md from the list (a test
//! checks that the file is current). Only this module reads the environment.

mod auth;
mod database;
mod email;
mod env;
mod governance;
mod http;
mod limits;
mod notify;
mod oidc;
mod pins;
mod push;
mod safeguarding;
mod scim;
mod storage;
mod streams;
mod writes;

use std::fmt::Write;
use std::time::Duration;

pub use auth::{AuthConfig, DemoKey, JwtConfig};
pub use database::{
    DbConfig, ReadConfig, database_from_env, migration_database_from_env, parse_database_url, pg_bindir_from_env,
};
pub use email::{EmailChoice, EmailConfig, EmailDefaults, Language, Smtp};
pub use env::{ConfigError, Fallback, Secret, Var};
pub use governance::GovernanceConfig;
pub use http::HttpConfig;
pub use limits::{InquiryConfig, RateConfig};
pub use notify::{NotifyConfig, Webhook, webhook_secret};
pub use oidc::{OidcClient, OidcConfig, Provision, ProvisionedRole, Provisioning};
pub use pins::PinsConfig;
pub use push::{PushConfig, PushPreview, PushService, Vapid, vapid_key};
pub use safeguarding::{FamilyQuietHours, GuardianGroups, QuietHours, SafeguardingConfig};
pub use scim::ScimConfig;
pub use storage::{S3Config, StorageBackend, StorageConfig, storage_from_env, storage_in_env};
pub use streams::{ListenerConfig, PresenceConfig, SseConfig};
pub use writes::{AppendConfig, AppendMode};

use env::Env;

const LOG_FORMAT: Var = Var {
    name: "LOG_FORMAT",
    default: Fallback::Value("text"),
    meaning: "`text` or `json`; logs go to stderr, one line per request",
};
const RUST_LOG: Var = Var { name: "RUST_LOG", default: Fallback::Value("info"), meaning: "log filter" };
const TUTORCHAT_STOP_ON_EOF: Var = Var {
    name: "TUTORCHAT_STOP_ON_EOF",
    default: Fallback::Unset("unset"),
    meaning: "`1`: also stop when standard input closes (set by `tutorchat-dev topology` for its replicas)",
};

/// Every variable, by concern, in the order docs/configuration.md shows them.
pub const GROUPS: &[(&str, &[Var])] = &[
    ("Database", database::VARS),
    ("HTTP", http::VARS),
    ("Authentication", auth::VARS),
    ("Signing in with the school's OpenID Provider", oidc::VARS),
    ("Event streams, the listener and presence", streams::VARS),
    ("Rate limits and guests", limits::VARS),
    ("The write path", writes::VARS),
    ("Attachments", storage::VARS),
    ("Offline notifications", notify::VARS),
    ("Web Push", push::VARS),
    ("Email", email::VARS),
    ("Retention, erasure and export", governance::VARS),
    ("Safeguarding", safeguarding::VARS),
    ("Pins", pins::VARS),
    ("SCIM provisioning", scim::VARS),
    ("The process", &[LOG_FORMAT, RUST_LOG, TUTORCHAT_STOP_ON_EOF]),
];

/// Every variable the server reads.
pub fn variables() -> impl Iterator<Item = &'static Var> {
    GROUPS.iter().flat_map(|(_, vars)| vars.iter())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// The whole configuration of one replica.
#[derive(Debug, Clone)]
pub struct Config {
    /// `None`: start a private PostgreSQL in `db.data_dir` (development and demo only).
    pub database: Option<tokio_postgres::Config>,
    /// The schema owner's connection, for migrations (and the demo data), when the replicas'
    /// own role (`database`) may not change the schema. `None`: `database` migrates.
    pub migration_database: Option<tokio_postgres::Config>,
    /// A streaming standby for history, chat lists and replays (see `reads`).
    pub reads: ReadConfig,
    pub db: DbConfig,
    pub http: HttpConfig,
    pub auth: AuthConfig,
    pub sse: SseConfig,
    pub listener: ListenerConfig,
    pub presence: PresenceConfig,
    pub append: AppendConfig,
    pub rate: RateConfig,
    pub inquiry: InquiryConfig,
    pub storage: StorageConfig,
    pub notify: NotifyConfig,
    pub governance: GovernanceConfig,
    pub safeguarding: SafeguardingConfig,
    pub pins: PinsConfig,
    pub scim: ScimConfig,
    pub log_format: LogFormat,
    /// Also stop when standard input closes (set by `tutorchat-dev topology` for its replicas).
    pub stop_on_eof: bool,
}

impl Config {
    /// The signing key of [`Config::for_tests`]; never accepted from the environment's
    /// defaults (a deployment always sets its own `JWT_SECRET`).
    pub const TEST_SECRET: &'static str = "test-secret-that-is-long-enough-for-hs256!";

    /// The defaults with what tests need: any free port, dev login on, a known key, a small
    /// pool, a quick listener probe, no rate limits, no web client. A test writes
    /// `Config { database, ..Config::for_tests() }`.
    pub fn for_tests() -> Self {
        let jwt = match JwtConfig::new(Secret::new(Self::TEST_SECRET)) {
            Ok(jwt) => jwt,
            Err(_) => unreachable!("TEST_SECRET is long enough"),
        };
        Self {
            database: None,
            migration_database: None,
            reads: ReadConfig::default(),
            db: DbConfig { pool_size: 4, data_dir: std::env::temp_dir(), pg_bindir: None },
            http: HttpConfig { listen_addr: std::net::SocketAddr::from(([127, 0, 0, 1], 0)), ..HttpConfig::default() },
            auth: AuthConfig { dev_login: true, ..AuthConfig::new(jwt) },
            sse: SseConfig { max_streams: 1000, ..SseConfig::default() },
            listener: ListenerConfig { probe: Duration::from_secs(2) },
            presence: PresenceConfig::default(),
            append: AppendConfig::default(),
            rate: RateConfig::unlimited(),
            inquiry: InquiryConfig::default(),
            storage: StorageConfig::local(std::env::temp_dir().join("tutorchat-test-attachments")),
            notify: NotifyConfig::default(),
            governance: GovernanceConfig::default(),
            safeguarding: SafeguardingConfig::default(),
            pins: PinsConfig::default(),
            scim: ScimConfig::default(),
            log_format: LogFormat::Text,
            stop_on_eof: false,
        }
    }

    /// Reads the environment. With a demo key (`serve --demo`, `topology`), dev login is on by
    /// default and a missing `JWT_SECRET` falls back to the demo's own key.
    pub fn from_env(demo: Option<DemoKey>) -> Result<Self, ConfigError> {
        let env = Env::process()?;
        let databases = database::Databases::from_env(&env)?;
        let db = databases.db;
        Ok(Self {
            database: databases.database,
            migration_database: databases.migration_database,
            reads: ReadConfig::from_env(&env)?,
            http: HttpConfig::from_env(&env)?,
            auth: AuthConfig::from_env(&env, &db.data_dir, demo)?,
            sse: SseConfig::from_env(&env)?,
            listener: ListenerConfig::from_env(&env)?,
            presence: PresenceConfig::from_env(&env)?,
            append: AppendConfig::from_env(&env)?,
            rate: RateConfig::from_env(&env)?,
            inquiry: InquiryConfig::from_env(&env)?,
            storage: StorageConfig::from_env(&env, &db.data_dir)?,
            notify: NotifyConfig::from_env(&env)?,
            governance: GovernanceConfig::from_env(&env)?,
            safeguarding: SafeguardingConfig::from_env(&env)?,
            pins: PinsConfig::from_env(&env)?,
            scim: ScimConfig::from_env(&env)?,
            log_format: env.choice(&LOG_FORMAT, &[("text", LogFormat::Text), ("json", LogFormat::Json)])?,
            stop_on_eof: env.flag(&TUTORCHAT_STOP_ON_EOF)?.unwrap_or(false),
            db,
        })
    }
}

/// `RUST_LOG`: the log filter (default `info`).
pub fn log_filter() -> String {
    Env::process().ok().and_then(|env| env.get(&RUST_LOG).map(str::to_owned)).unwrap_or_else(|| "info".into())
}

/// docs/configuration.md, from [`GROUPS`] (`tutorchat config-doc` writes it).
pub fn reference() -> String {
    let mut md = String::from(
        "# Configuration\n\n\
         <!-- Generated by `cargo run -- config-doc` from the variables declared in src/config/; \
         edit those, not this file (a test checks that it is current). -->\n\n\
         Every setting is an environment variable; a bad value stops start-up with one line naming \
         the variable. Empty counts as unset.\n",
    );
    for (title, vars) in GROUPS {
        let _ = write!(md, "\n## {title}\n\n| variable | default | meaning |\n|---|---|---|\n");
        for var in *vars {
            let _ = writeln!(md, "| `{}` | {} | {} |", var.name, var.default.describe(), var.meaning);
        }
    }
    md.push_str(
        "\nThe replicas' own database sessions also set three planner settings for their short lookups: \
         `jit=off`, `max_parallel_workers_per_gather=0` and `random_page_cost=1.1` (`db::SESSION_SETTINGS`; \
         why, in docs/benchmarks.md, S4). They do not change the server's configuration for anyone else.\n",
    );
    md
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_parses_and_every_name_is_declared_once() {
        let env = Env::empty();
        let data_dir = std::path::Path::new(".data");
        assert!(ReadConfig::from_env(&env).is_ok());
        assert!(HttpConfig::from_env(&env).is_ok());
        assert!(SseConfig::from_env(&env).is_ok());
        assert!(ListenerConfig::from_env(&env).is_ok());
        assert!(PresenceConfig::from_env(&env).is_ok());
        assert!(AppendConfig::from_env(&env).is_ok());
        assert!(RateConfig::from_env(&env).is_ok());
        assert!(InquiryConfig::from_env(&env).is_ok());
        assert!(StorageConfig::from_env(&env, data_dir).is_ok());
        assert!(NotifyConfig::from_env(&env).is_ok());
        assert!(GovernanceConfig::from_env(&env).is_ok());
        assert!(PinsConfig::from_env(&env).is_ok());
        assert!(database::Databases::from_env(&env).is_ok());
        let names: Vec<&str> = variables().map(|v| v.name).collect();
        let mut unique = names.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(names.len(), unique.len(), "a variable is declared twice: {names:?}");
    }

    #[test]
    fn the_defaults_are_the_declared_ones() {
        let sse = SseConfig::default();
        assert_eq!((sse.heartbeat, sse.retry, sse.queue), (Duration::from_secs(30), Duration::from_millis(3000), 1024));
        assert_eq!(NotifyConfig::default().keep, Duration::from_secs(30 * 24 * 3600));
        assert_eq!(AppendConfig::default().mode, AppendMode::Batched);
        assert_eq!(HttpConfig::default().listen_addr.port(), 8080);
        assert_eq!(StorageConfig::local("x".into()).max_file_bytes, 25 * 1024 * 1024);
    }

    #[test]
    fn the_secret_s_debug_output_is_redacted() {
        assert_eq!(format!("{:?}", Secret::new("hunter2")), "Secret([redacted])");
    }
}
