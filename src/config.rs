//! Typed configuration from environment variables, grouped by concern. Each group's
//! `Default` is the one set of defaults: `from_env` starts from it and overrides what is set,
//! and tests start from [`Config::for_tests`]. Every variable this program reads is read here
//! and listed in [`VARIABLES`]; a test checks that list against README.md's table.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

/// Every environment variable the server reads (README.md documents each one; a test keeps
/// the two in step).
pub const VARIABLES: &[&str] = &[
    "LISTEN_ADDR",
    "DATABASE_URL",
    "MIGRATION_DATABASE_URL",
    "READ_DATABASE_URL",
    "READ_WAIT_MS",
    "JWT_SECRET",
    "JWT_ISSUER",
    "JWT_AUDIENCE",
    "AUTH_COOKIE_NAME",
    "ALLOWED_ORIGINS",
    "DEV_LOGIN",
    "DEV_TOKEN_TTL_SECS",
    "MAX_BODY_BYTES",
    "HTTP_HEADER_TIMEOUT_SECS",
    "HTTP_BODY_TIMEOUT_SECS",
    "DB_POOL_SIZE",
    "DATA_DIR",
    "PG_BINDIR",
    "HEARTBEAT_SECS",
    "SSE_RETRY_MS",
    "SSE_QUEUE",
    "SSE_SEND_TIMEOUT_SECS",
    "SSE_MAX_STREAMS",
    "SSE_MAX_STREAMS_PER_USER",
    "USER_CACHE_SECS",
    "RATE_WRITES_PER_SEC",
    "RATE_WRITES_BURST",
    "RATE_STREAM_OPENS_PER_SEC",
    "RATE_STREAM_OPENS_BURST",
    "RATE_GUEST_WRITES_PER_MIN",
    "RATE_INQUIRY_OPENS_PER_MIN",
    "INQUIRY_IDLE_SECS",
    "INQUIRY_GUEST_TTL_SECS",
    "APPEND_MODE",
    "APPEND_BATCH_MAX",
    "APPEND_LINGER_MICROS",
    "LISTENER_PROBE_SECS",
    "PRESENCE_LEASE_SECS",
    "PRESENCE_GRACE_SECS",
    "STORAGE_DIR",
    "S3_BUCKET",
    "S3_ENDPOINT",
    "S3_REGION",
    "S3_ACCESS_KEY_ID",
    "S3_SECRET_ACCESS_KEY",
    "ATTACHMENT_MAX_BYTES",
    "ATTACHMENT_DAILY_BYTES",
    "ATTACHMENT_ORPHAN_SECS",
    "NOTIFY_WEBHOOK_URL",
    "NOTIFY_WEBHOOK_SECRET",
    "NOTIFY_GRACE_SECS",
    "NOTIFY_QUIET_SECS",
    "NOTIFY_LEASE_SECS",
    "NOTIFY_RETRY_BASE_MS",
    "NOTIFY_RETRY_FOR_SECS",
    "NOTIFY_KEEP_SECS",
    "STATIC_DIR",
    "LOG_FORMAT",
    "TUTORCHAT_STOP_ON_EOF",
    "RUST_LOG",
];

/// A bad setting: start-up stops with one line that names the variable.
#[derive(Debug, thiserror::Error)]
#[error("{var}: {problem}")]
pub struct ConfigError {
    pub var: &'static str,
    pub problem: String,
}

impl ConfigError {
    fn new(var: &'static str, problem: impl Into<String>) -> Self {
        Self { var, problem: problem.into() }
    }
}

/// A value that must never reach a log line.
#[derive(Clone)]
pub struct Secret(Vec<u8>);

impl Secret {
    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        Self(bytes.into())
    }
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
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
    /// A streaming standby for history, chat lists and replays (see `db::reads`).
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
    pub log_format: LogFormat,
    /// Also stop when standard input closes (set by `tutorchat topology` for its replicas).
    pub stop_on_eof: bool,
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

impl Default for DbConfig {
    fn default() -> Self {
        Self { pool_size: 16, data_dir: PathBuf::from(".data"), pg_bindir: None }
    }
}

/// Reads from a streaming standby of `DATABASE_URL` (`src/db/reads.rs`).
#[derive(Debug, Clone)]
pub struct ReadConfig {
    /// `READ_DATABASE_URL`; `None`: every read on the primary.
    pub database: Option<tokio_postgres::Config>,
    /// `READ_WAIT_MS`: how long a read that must include a position waits for the standby to
    /// replay it before it reads the primary.
    pub wait: Duration,
}

impl Default for ReadConfig {
    fn default() -> Self {
        Self { database: None, wait: Duration::from_millis(100) }
    }
}

/// The HTTP server.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    pub listen_addr: SocketAddr,
    pub max_body_bytes: usize,
    /// How long a connection may take to send a request's headers, and how long it may sit
    /// idle between requests (a half-sent request or an idle keep-alive is closed after it).
    pub header_timeout: Duration,
    /// How long a request body may go without a byte arriving.
    pub body_timeout: Duration,
    /// The built web client, served at `/` with a fallback to its `index.html`.
    pub static_dir: Option<PathBuf>,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            listen_addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            max_body_bytes: 64 * 1024,
            header_timeout: Duration::from_secs(20),
            body_timeout: Duration::from_secs(20),
            static_dir: None,
        }
    }
}

/// Who a caller is and what a browser session may do.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    pub jwt: JwtConfig,
    /// Name of the HttpOnly cookie that carries the JWT for browsers.
    pub cookie_name: String,
    /// Origins allowed to make cookie-authenticated writes; empty = same origin as `Host`.
    pub allowed_origins: Vec<String>,
    /// Enables `POST /api/dev/login` (demo and development only).
    pub dev_login: bool,
    /// How long a replica trusts what it read of a user (name, role).
    pub user_cache: Duration,
}

impl AuthConfig {
    /// The defaults around a signing key.
    pub fn new(jwt: JwtConfig) -> Self {
        Self {
            jwt,
            cookie_name: "access_token".into(),
            allowed_origins: vec![],
            dev_login: false,
            user_cache: Duration::from_secs(10),
        }
    }
}

#[derive(Debug, Clone)]
pub struct JwtConfig {
    /// HS256 key; at least [`JwtConfig::MIN_SECRET_BYTES`] bytes.
    pub secret: Secret,
    pub issuer: Option<String>,
    pub audience: Option<String>,
    /// Lifetime of the tokens this server mints itself (dev login only).
    pub dev_token_ttl: Duration,
}

impl JwtConfig {
    pub const MIN_SECRET_BYTES: usize = 32;

    pub fn new(secret: Secret) -> Result<Self, ConfigError> {
        if secret.expose().len() < Self::MIN_SECRET_BYTES {
            return Err(ConfigError::new(
                "JWT_SECRET",
                format!("must be at least {} bytes long (got {})", Self::MIN_SECRET_BYTES, secret.expose().len()),
            ));
        }
        Ok(Self { secret, issuer: None, audience: None, dev_token_ttl: Duration::from_secs(12 * 3600) })
    }
}

/// The event streams.
#[derive(Debug, Clone)]
pub struct SseConfig {
    /// Comment line sent on an idle event stream this often.
    pub heartbeat: Duration,
    /// The `retry:` hint sent to event-stream clients.
    pub retry: Duration,
    /// Frames a connection may have waiting before it is cut off as too slow.
    pub queue: usize,
    /// How long a write to an event stream may wait for the client to take it before the
    /// connection is closed (a client that stopped reading without closing; `serve`).
    pub send_timeout: Duration,
    /// Open event streams this replica accepts; beyond it new streams get 503 (default: the
    /// process's open-file limit less room for the database pool, the listener and REST).
    pub max_streams: usize,
    /// Open event streams one user may have on this replica (tabs and devices); beyond it new
    /// streams get 429, so that one user cannot take the replica's whole `max_streams`.
    pub max_streams_per_user: usize,
}

impl Default for SseConfig {
    fn default() -> Self {
        Self {
            heartbeat: Duration::from_secs(30),
            retry: Duration::from_millis(3000),
            queue: 1024,
            send_timeout: Duration::from_secs(60),
            max_streams: default_max_streams(),
            max_streams_per_user: 16,
        }
    }
}

/// Per-user request rates on one replica (token buckets: a sustained rate and a burst).
#[derive(Debug, Clone, Copy)]
pub struct RateConfig {
    pub writes_per_sec: u32,
    pub writes_burst: u32,
    pub stream_opens_per_sec: u32,
    pub stream_opens_burst: u32,
    /// A guest's writes (messages, edits, deletions, read markers), per minute, with a burst of
    /// as many: guests have no account to answer for them.
    pub guest_writes_per_min: u32,
    /// New guests (inquiry chats) per inquiry link, per minute, with a burst of as many.
    pub inquiry_opens_per_min: u32,
}

impl Default for RateConfig {
    fn default() -> Self {
        Self {
            writes_per_sec: 10,
            writes_burst: 50,
            stream_opens_per_sec: 2,
            stream_opens_burst: 20,
            guest_writes_per_min: 20,
            inquiry_opens_per_min: 10,
        }
    }
}

/// Inquiry chats with guests.
#[derive(Debug, Clone, Copy)]
pub struct InquiryConfig {
    /// An inquiry chat without a new message for this long is closed (read-only).
    pub idle: Duration,
    /// How long a guest's credential lasts.
    pub guest_ttl: Duration,
}

impl Default for InquiryConfig {
    fn default() -> Self {
        Self { idle: Duration::from_secs(3 * 24 * 3600), guest_ttl: Duration::from_secs(30 * 24 * 3600) }
    }
}

/// Presence across replicas (see `realtime::presence`).
/// Where attachments' bytes live, and the limits on uploading them.
#[derive(Debug, Clone)]
pub struct StorageConfig {
    pub backend: StorageBackend,
    /// Largest file, in bytes (`ATTACHMENT_MAX_BYTES`).
    pub max_file_bytes: u64,
    /// What one user may upload in 24 hours, in bytes (`ATTACHMENT_DAILY_BYTES`).
    pub daily_bytes_per_user: u64,
    /// Uploads that no message attached within this are deleted (`ATTACHMENT_ORPHAN_SECS`).
    pub orphan_after: Duration,
}

#[derive(Debug, Clone)]
pub enum StorageBackend {
    /// A directory (`STORAGE_DIR`, default `DATA_DIR/attachments`).
    Local(PathBuf),
    /// An S3-compatible object store (`S3_BUCKET` set).
    S3(S3Config),
}

#[derive(Debug, Clone)]
pub struct S3Config {
    pub bucket: String,
    /// `S3_ENDPOINT`, for a store other than AWS (MinIO, Ceph, moto…); `http://` is allowed.
    pub endpoint: Option<String>,
    pub region: String,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<Secret>,
}

impl StorageConfig {
    pub fn local(dir: PathBuf) -> Self {
        Self {
            backend: StorageBackend::Local(dir),
            max_file_bytes: 25 * 1024 * 1024,
            daily_bytes_per_user: 500 * 1024 * 1024,
            orphan_after: Duration::from_secs(24 * 3600),
        }
    }
}

/// Notifications to offline users, through the school's webhook.
#[derive(Debug, Clone)]
pub struct NotifyConfig {
    /// `None`: no notices are recorded or sent.
    pub webhook: Option<Webhook>,
    /// How long a user must stay offline after a message before they are notified.
    pub grace: Duration,
    /// After a notice about a chat, the next one to the same user waits this long (what comes
    /// meanwhile is folded into its count).
    pub quiet: Duration,
    /// How long a replica holds a claimed notice before another may send it again.
    pub lease: Duration,
    /// The first retry's delay; each next one doubles it (up to an hour).
    pub retry_base: Duration,
    /// A notice still failing this long after its message is given up (`failed`).
    pub retry_for: Duration,
    /// Settled notices (delivered, failed, cancelled) are deleted this long after they settled;
    /// never less than `quiet`, which reads the latest delivered one.
    pub keep: Duration,
}

#[derive(Debug, Clone)]
pub struct Webhook {
    pub url: String,
    /// The HMAC-SHA256 key (a `whsec_…` secret is base64-decoded, as Standard Webhooks does).
    pub secret: Secret,
}

impl Default for NotifyConfig {
    fn default() -> Self {
        Self {
            webhook: None,
            grace: Duration::from_secs(30),
            quiet: Duration::from_secs(600),
            lease: Duration::from_secs(60),
            retry_base: Duration::from_secs(5),
            retry_for: Duration::from_secs(24 * 3600),
            keep: Duration::from_secs(30 * 24 * 3600),
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct PresenceConfig {
    /// A replica's lease: renewed every quarter of it; once it has expired (the replica died),
    /// its users stop counting as online and are swept.
    pub lease: Duration,
    /// How long a user's last closed stream on a replica still counts, so that a reconnect (to
    /// this or another replica) within it shows no offline/online flap.
    pub grace: Duration,
}

impl Default for PresenceConfig {
    fn default() -> Self {
        Self { lease: Duration::from_secs(20), grace: Duration::from_secs(5) }
    }
}

/// The replica's LISTEN connection.
#[derive(Debug, Clone)]
pub struct ListenerConfig {
    /// How often the listener checks that its connection still answers (and how long it waits).
    pub probe: Duration,
}

impl Default for ListenerConfig {
    fn default() -> Self {
        Self { probe: Duration::from_secs(10) }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppendMode {
    /// Group commit: one writer task appends what is waiting in one transaction.
    Batched,
    /// One transaction per request (for comparison).
    Single,
}

/// How messages and deletions are appended to the log.
#[derive(Debug, Clone, Copy)]
pub struct AppendConfig {
    pub mode: AppendMode,
    /// Most events in one transaction.
    pub max_batch: usize,
    /// After the first waiting event, how long to wait for more before appending (0: take
    /// only what is already waiting; under load the queue fills while the previous batch
    /// commits, which is what makes batches large).
    pub linger: Duration,
}

impl Default for AppendConfig {
    fn default() -> Self {
        Self { mode: AppendMode::Batched, max_batch: 256, linger: Duration::ZERO }
    }
}

/// Signing keys that were published in this repository (the compose file's old fallback):
/// anyone could forge tokens with them, so only a demo may run with one.
const PUBLISHED_SECRETS: &[&str] = &["demo-only-secret-change-me-0123456789abcdef"];

impl Config {
    /// The signing key of [`Config::for_tests`]; never accepted from the environment's
    /// defaults (a deployment always sets its own `JWT_SECRET`).
    pub const TEST_SECRET: &'static str = "test-secret-that-is-long-enough-for-hs256!";

    /// The defaults with what tests need: any free port, dev login on, a known key, a small
    /// pool, a quick listener probe. A test writes `Config { database, ..Config::for_tests() }`.
    pub fn for_tests() -> Self {
        let jwt = match JwtConfig::new(Secret::new(Self::TEST_SECRET)) {
            Ok(jwt) => jwt,
            Err(_) => unreachable!("TEST_SECRET is long enough"),
        };
        Self {
            database: None,
            migration_database: None,
            reads: ReadConfig::default(),
            db: DbConfig { pool_size: 8, data_dir: std::env::temp_dir(), pg_bindir: None },
            http: HttpConfig { listen_addr: SocketAddr::from(([127, 0, 0, 1], 0)), ..HttpConfig::default() },
            auth: AuthConfig { dev_login: true, ..AuthConfig::new(jwt) },
            sse: SseConfig { max_streams: 1000, ..SseConfig::default() },
            listener: ListenerConfig { probe: Duration::from_secs(2) },
            presence: PresenceConfig::default(),
            append: AppendConfig::default(),
            // Tests write in bursts; the limits have tests of their own.
            rate: RateConfig {
                writes_per_sec: 100_000,
                writes_burst: 100_000,
                stream_opens_per_sec: 100_000,
                stream_opens_burst: 100_000,
                guest_writes_per_min: 100_000,
                inquiry_opens_per_min: 100_000,
            },
            inquiry: InquiryConfig::default(),
            storage: StorageConfig::local(std::env::temp_dir().join("tutorchat-test-attachments")),
            notify: NotifyConfig::default(),
            log_format: LogFormat::Text,
            stop_on_eof: false,
        }
    }

    /// Reads the environment. `demo` turns dev login on by default and lets a missing
    /// `JWT_SECRET` fall back to one generated once and kept in the data folder.
    pub fn from_env(demo: bool) -> Result<Self, ConfigError> {
        let (database, db) = database_from_env()?;
        let dev_login = flag("DEV_LOGIN", demo)?;
        let secret = match var("JWT_SECRET")? {
            Some(s) => Secret::new(s.into_bytes()),
            None if dev_login => demo_secret(&db.data_dir)?,
            None => {
                return Err(ConfigError::new(
                    "JWT_SECRET",
                    "is not set; set it to the school's shared HS256 secret (at least 32 bytes), or run `tutorchat serve --demo`",
                ));
            }
        };
        if !demo && PUBLISHED_SECRETS.iter().any(|p| p.as_bytes() == secret.expose()) {
            return Err(ConfigError::new(
                "JWT_SECRET",
                "is a demo secret published in tutorchat's repository, so anyone could forge tokens with it; set the school's own secret (or run with --demo)",
            ));
        }
        let mut jwt = JwtConfig::new(secret)?;
        jwt.issuer = var("JWT_ISSUER")?;
        jwt.audience = var("JWT_AUDIENCE")?;
        jwt.dev_token_ttl =
            Duration::from_secs(parsed("DEV_TOKEN_TTL_SECS", jwt.dev_token_ttl.as_secs(), "a number of seconds")?);

        let defaults = AuthConfig::new(jwt);
        let auth = AuthConfig {
            cookie_name: var("AUTH_COOKIE_NAME")?.unwrap_or(defaults.cookie_name),
            allowed_origins: var("ALLOWED_ORIGINS")?
                .map(|v| {
                    v.split(',').map(|o| o.trim().trim_end_matches('/').to_owned()).filter(|o| !o.is_empty()).collect()
                })
                .unwrap_or(defaults.allowed_origins),
            dev_login,
            user_cache: Duration::from_secs(parsed(
                "USER_CACHE_SECS",
                defaults.user_cache.as_secs(),
                "a number of seconds",
            )?),
            jwt: defaults.jwt,
        };

        let defaults = HttpConfig::default();
        let http = HttpConfig {
            listen_addr: parsed("LISTEN_ADDR", defaults.listen_addr, "an address like 127.0.0.1:8080")?,
            max_body_bytes: parsed("MAX_BODY_BYTES", defaults.max_body_bytes, "a number of bytes")?,
            header_timeout: secs("HTTP_HEADER_TIMEOUT_SECS", defaults.header_timeout)?.max(Duration::from_secs(1)),
            body_timeout: secs("HTTP_BODY_TIMEOUT_SECS", defaults.body_timeout)?.max(Duration::from_secs(1)),
            static_dir: static_dir()?,
        };

        let defaults = SseConfig::default();
        let sse = SseConfig {
            heartbeat: secs("HEARTBEAT_SECS", defaults.heartbeat)?.max(Duration::from_secs(1)),
            retry: Duration::from_millis(parsed(
                "SSE_RETRY_MS",
                defaults.retry.as_millis() as u64,
                "a number of milliseconds",
            )?),
            queue: parsed("SSE_QUEUE", defaults.queue, "a number of events")?.max(1),
            send_timeout: secs("SSE_SEND_TIMEOUT_SECS", defaults.send_timeout)?.max(Duration::from_secs(1)),
            max_streams: parsed("SSE_MAX_STREAMS", defaults.max_streams, "a number of streams")?,
            max_streams_per_user: parsed(
                "SSE_MAX_STREAMS_PER_USER",
                defaults.max_streams_per_user,
                "a number of streams",
            )?
            .max(1),
        };

        let listener = ListenerConfig {
            probe: secs("LISTENER_PROBE_SECS", ListenerConfig::default().probe)?.max(Duration::from_secs(1)),
        };

        let defaults = PresenceConfig::default();
        let presence = PresenceConfig {
            lease: secs("PRESENCE_LEASE_SECS", defaults.lease)?,
            grace: secs("PRESENCE_GRACE_SECS", defaults.grace)?,
        };
        if presence.lease < Duration::from_secs(2) {
            return Err(ConfigError::new("PRESENCE_LEASE_SECS", "must be at least 2 seconds"));
        }

        let defaults = AppendConfig::default();
        let append = AppendConfig {
            mode: match var("APPEND_MODE")?.as_deref() {
                None => defaults.mode,
                Some("batched") => AppendMode::Batched,
                Some("single") => AppendMode::Single,
                Some(v) => return Err(ConfigError::new("APPEND_MODE", format!("{v:?} is not batched or single"))),
            },
            max_batch: parsed("APPEND_BATCH_MAX", defaults.max_batch, "a number of events")?.max(1),
            linger: Duration::from_micros(parsed(
                "APPEND_LINGER_MICROS",
                defaults.linger.as_micros() as u64,
                "a number of microseconds",
            )?),
        };

        let defaults = RateConfig::default();
        let rate = RateConfig {
            writes_per_sec: parsed("RATE_WRITES_PER_SEC", defaults.writes_per_sec, "a number of requests")?,
            writes_burst: parsed("RATE_WRITES_BURST", defaults.writes_burst, "a number of requests")?,
            stream_opens_per_sec: parsed(
                "RATE_STREAM_OPENS_PER_SEC",
                defaults.stream_opens_per_sec,
                "a number of requests",
            )?,
            stream_opens_burst: parsed("RATE_STREAM_OPENS_BURST", defaults.stream_opens_burst, "a number of requests")?,
            guest_writes_per_min: parsed(
                "RATE_GUEST_WRITES_PER_MIN",
                defaults.guest_writes_per_min,
                "a number of requests",
            )?,
            inquiry_opens_per_min: parsed(
                "RATE_INQUIRY_OPENS_PER_MIN",
                defaults.inquiry_opens_per_min,
                "a number of requests",
            )?,
        };
        let defaults = InquiryConfig::default();
        let inquiry = InquiryConfig {
            idle: Duration::from_secs(
                parsed("INQUIRY_IDLE_SECS", defaults.idle.as_secs(), "a number of seconds")?.max(1),
            ),
            guest_ttl: Duration::from_secs(
                parsed("INQUIRY_GUEST_TTL_SECS", defaults.guest_ttl.as_secs(), "a number of seconds")?.max(60),
            ),
        };

        let storage = storage_from_env(&db.data_dir)?;
        let notify = notify_from_env()?;

        let log_format = match var("LOG_FORMAT")?.as_deref() {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(v) => return Err(ConfigError::new("LOG_FORMAT", format!("{v:?} is not text or json"))),
        };
        Ok(Self {
            database,
            migration_database: migration_database_from_env()?,
            reads: reads_from_env()?,
            db,
            http,
            auth,
            sse,
            listener,
            presence,
            append,
            rate,
            inquiry,
            storage,
            notify,
            log_format,
            stop_on_eof: var("TUTORCHAT_STOP_ON_EOF")?.is_some_and(|v| v.trim() == "1"),
        })
    }
}

/// Where the database is: `DATABASE_URL` (or `None` for a private server), with the pool and
/// the private server's settings. `tutorchat migrate` needs only this much.
pub fn database_from_env() -> Result<(Option<tokio_postgres::Config>, DbConfig), ConfigError> {
    let database = var("DATABASE_URL")?.as_deref().map(parse_database_url).transpose()?;
    let defaults = DbConfig::default();
    let pool_size = parsed("DB_POOL_SIZE", defaults.pool_size, "a pool size")?;
    if pool_size == 0 {
        return Err(ConfigError::new("DB_POOL_SIZE", "must be at least 1"));
    }
    let db = DbConfig {
        pool_size,
        data_dir: var("DATA_DIR")?.map_or(defaults.data_dir, PathBuf::from),
        pg_bindir: pg_bindir_from_env()?,
    };
    Ok((database, db))
}

/// `MIGRATION_DATABASE_URL`: the schema owner's connection, when migrations run as another
/// role than the replicas.
pub fn migration_database_from_env() -> Result<Option<tokio_postgres::Config>, ConfigError> {
    database_url_var("MIGRATION_DATABASE_URL")
}

/// A connection string in variable `name`, if set (its errors name that variable).
fn database_url_var(name: &'static str) -> Result<Option<tokio_postgres::Config>, ConfigError> {
    var(name)?.as_deref().map(|url| parse_database_url(url).map_err(|e| ConfigError::new(name, e.problem))).transpose()
}

/// `READ_DATABASE_URL` and `READ_WAIT_MS`.
fn reads_from_env() -> Result<ReadConfig, ConfigError> {
    let defaults = ReadConfig::default();
    let database = database_url_var("READ_DATABASE_URL")?;
    let wait = parsed("READ_WAIT_MS", defaults.wait.as_millis() as u64, "a number of milliseconds")?;
    if wait > 10_000 {
        return Err(ConfigError::new(
            "READ_WAIT_MS",
            format!("{wait} is more than 10000: a read would hang that long"),
        ));
    }
    Ok(ReadConfig { database, wait: Duration::from_millis(wait) })
}

/// `PG_BINDIR`: where PostgreSQL's server binaries are, when set.
pub fn pg_bindir_from_env() -> Result<Option<PathBuf>, ConfigError> {
    Ok(var("PG_BINDIR")?.map(PathBuf::from))
}

/// Parses a connection string in either form PostgreSQL accepts (URL or key=value).
pub fn parse_database_url(url: &str) -> Result<tokio_postgres::Config, ConfigError> {
    let mut config = tokio_postgres::Config::from_str(url)
        .map_err(|e| ConfigError::new("DATABASE_URL", format!("is not a valid PostgreSQL connection string ({e})")))?;
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(Duration::from_secs(5));
    }
    Ok(config)
}

/// Reads one variable; `None` when unset or empty.
fn var(name: &'static str) -> Result<Option<String>, ConfigError> {
    debug_assert!(VARIABLES.contains(&name), "{name} is missing from config::VARIABLES");
    match std::env::var(name) {
        Ok(v) if v.trim().is_empty() => Ok(None),
        Ok(v) => Ok(Some(v)),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => Err(ConfigError::new(name, "is not valid UTF-8")),
    }
}

fn parsed<T: FromStr>(name: &'static str, default: T, what: &str) -> Result<T, ConfigError> {
    match var(name)? {
        None => Ok(default),
        Some(v) => v.trim().parse().map_err(|_| ConfigError::new(name, format!("{v:?} is not {what}"))),
    }
}

fn secs(name: &'static str, default: Duration) -> Result<Duration, ConfigError> {
    Ok(Duration::from_secs(parsed(name, default.as_secs(), "a number of seconds")?))
}

fn flag(name: &'static str, default: bool) -> Result<bool, ConfigError> {
    match var(name)?.as_deref().map(str::trim) {
        None => Ok(default),
        Some("1" | "true" | "yes" | "on") => Ok(true),
        Some("0" | "false" | "no" | "off") => Ok(false),
        Some(v) => Err(ConfigError::new(name, format!("{v:?} is not a boolean (use true or false)"))),
    }
}

/// Whether this process's environment says where attachments go (`STORAGE_DIR` or `S3_BUCKET`).
pub fn storage_in_env(name: &'static str) -> bool {
    matches!(var(name), Ok(Some(_)))
}

fn storage_from_env(data_dir: &Path) -> Result<StorageConfig, ConfigError> {
    let backend = match var("S3_BUCKET")? {
        Some(bucket) => {
            if var("STORAGE_DIR")?.is_some() {
                return Err(ConfigError::new("STORAGE_DIR", "is set together with S3_BUCKET: choose one storage"));
            }
            let endpoint = var("S3_ENDPOINT")?;
            if let Some(e) = &endpoint
                && !(e.starts_with("http://") || e.starts_with("https://"))
            {
                return Err(ConfigError::new("S3_ENDPOINT", format!("{e:?} is not an http:// or https:// URL")));
            }
            let access_key_id = var("S3_ACCESS_KEY_ID")?;
            let secret_access_key = var("S3_SECRET_ACCESS_KEY")?.map(|s| Secret::new(s.into_bytes()));
            if access_key_id.is_some() != secret_access_key.is_some() {
                return Err(ConfigError::new(
                    if access_key_id.is_some() { "S3_SECRET_ACCESS_KEY" } else { "S3_ACCESS_KEY_ID" },
                    "must be set together with the other S3 key (or neither, for the machine's own credentials)",
                ));
            }
            StorageBackend::S3(S3Config {
                bucket,
                endpoint,
                region: var("S3_REGION")?.unwrap_or_else(|| "us-east-1".into()),
                access_key_id,
                secret_access_key,
            })
        }
        None => StorageBackend::Local(var("STORAGE_DIR")?.map_or_else(|| data_dir.join("attachments"), PathBuf::from)),
    };
    let defaults = StorageConfig::local(PathBuf::new());
    let storage = StorageConfig {
        backend,
        max_file_bytes: parsed("ATTACHMENT_MAX_BYTES", defaults.max_file_bytes, "a number of bytes")?,
        daily_bytes_per_user: parsed("ATTACHMENT_DAILY_BYTES", defaults.daily_bytes_per_user, "a number of bytes")?,
        orphan_after: secs("ATTACHMENT_ORPHAN_SECS", defaults.orphan_after)?,
    };
    if storage.max_file_bytes == 0 {
        return Err(ConfigError::new("ATTACHMENT_MAX_BYTES", "must be at least 1"));
    }
    if storage.orphan_after < Duration::from_secs(60) {
        return Err(ConfigError::new("ATTACHMENT_ORPHAN_SECS", "must be at least 60 seconds"));
    }
    Ok(storage)
}

fn notify_from_env() -> Result<NotifyConfig, ConfigError> {
    let defaults = NotifyConfig::default();
    let webhook = match var("NOTIFY_WEBHOOK_URL")? {
        None => None,
        Some(url) => {
            if !(url.starts_with("http://") || url.starts_with("https://")) || url.parse::<axum::http::Uri>().is_err() {
                return Err(ConfigError::new(
                    "NOTIFY_WEBHOOK_URL",
                    format!("{url:?} is not an http:// or https:// URL"),
                ));
            }
            let Some(secret) = var("NOTIFY_WEBHOOK_SECRET")? else {
                return Err(ConfigError::new(
                    "NOTIFY_WEBHOOK_SECRET",
                    "is not set; notices are signed with it (at least 24 bytes, or whsec_ and base64)",
                ));
            };
            Some(Webhook { url, secret: webhook_secret(&secret)? })
        }
    };
    let notify = NotifyConfig {
        webhook,
        grace: secs("NOTIFY_GRACE_SECS", defaults.grace)?,
        quiet: secs("NOTIFY_QUIET_SECS", defaults.quiet)?,
        lease: secs("NOTIFY_LEASE_SECS", defaults.lease)?,
        retry_base: Duration::from_millis(parsed(
            "NOTIFY_RETRY_BASE_MS",
            defaults.retry_base.as_millis() as u64,
            "a number of milliseconds",
        )?),
        retry_for: secs("NOTIFY_RETRY_FOR_SECS", defaults.retry_for)?,
        keep: secs("NOTIFY_KEEP_SECS", defaults.keep)?,
    };
    if notify.lease < Duration::from_secs(2) {
        return Err(ConfigError::new("NOTIFY_LEASE_SECS", "must be at least 2 seconds"));
    }
    if notify.retry_base < Duration::from_millis(10) {
        return Err(ConfigError::new("NOTIFY_RETRY_BASE_MS", "must be at least 10 milliseconds"));
    }
    if notify.keep < notify.quiet {
        return Err(ConfigError::new(
            "NOTIFY_KEEP_SECS",
            format!(
                "must be at least NOTIFY_QUIET_SECS ({} s): the quiet period reads the latest delivered notice",
                notify.quiet.as_secs()
            ),
        ));
    }
    Ok(notify)
}

/// A webhook signing secret: `whsec_<base64>` (Standard Webhooks' form) or the raw bytes.
pub fn webhook_secret(value: &str) -> Result<Secret, ConfigError> {
    use base64::Engine;
    let bytes = match value.strip_prefix("whsec_") {
        Some(encoded) => base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .map_err(|_| ConfigError::new("NOTIFY_WEBHOOK_SECRET", "starts with whsec_ but the rest is not base64"))?,
        None => value.as_bytes().to_vec(),
    };
    if bytes.len() < 24 {
        return Err(ConfigError::new(
            "NOTIFY_WEBHOOK_SECRET",
            format!("must be at least 24 bytes long (got {})", bytes.len()),
        ));
    }
    Ok(Secret::new(bytes))
}

/// The open-file limit less 256 descriptors for everything that is not an event stream.
fn default_max_streams() -> usize {
    let (soft, _) = nix::sys::resource::getrlimit(nix::sys::resource::Resource::RLIMIT_NOFILE).unwrap_or((1024, 1024));
    (soft as usize).saturating_sub(256).max(16)
}

/// `STATIC_DIR`, else `client/dist` when it has been built.
fn static_dir() -> Result<Option<PathBuf>, ConfigError> {
    match var("STATIC_DIR")? {
        Some(dir) if PathBuf::from(&dir).join("index.html").is_file() => Ok(Some(dir.into())),
        Some(dir) => Err(ConfigError::new(
            "STATIC_DIR",
            format!("{dir} has no index.html (build the client: npm run build in client/)"),
        )),
        None => Ok(Some(PathBuf::from("client/dist")).filter(|d| d.join("index.html").is_file())),
    }
}

/// The demo's signing key: random, created once, kept with the demo's data so that browser
/// sessions survive a restart. Never used unless dev login is on and `JWT_SECRET` is unset.
fn demo_secret(data_dir: &Path) -> Result<Secret, ConfigError> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let path = data_dir.join("jwt-secret");
    if let Ok(existing) = std::fs::read(&path)
        && existing.len() >= JwtConfig::MIN_SECRET_BYTES
    {
        // Earlier versions wrote it readable by everyone.
        let _ = std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600));
        return Ok(Secret::new(existing));
    }
    let fail = |e: std::io::Error| {
        ConfigError::new("JWT_SECRET", format!("is not set and {} cannot be written ({e})", path.display()))
    };
    let mut raw = [0u8; 32];
    std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut raw)).map_err(fail)?;
    let hex: String = raw.iter().map(|b| format!("{b:02x}")).collect();
    std::fs::create_dir_all(data_dir).map_err(fail)?;
    // Readable by its owner only: whoever reads it can sign in as anyone.
    let mut file =
        std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&path).map_err(fail)?;
    std::io::Write::write_all(&mut file, hex.as_bytes()).map_err(fail)?;
    Ok(Secret::new(hex.into_bytes()))
}

/// `RUST_LOG`: the log filter (default `info`).
pub fn log_filter() -> String {
    var("RUST_LOG").ok().flatten().unwrap_or_else(|| "info".into())
}
