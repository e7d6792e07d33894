//! Typed configuration from environment variables. Every variable is documented in README.md.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

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

#[derive(Debug, Clone)]
pub struct Config {
    pub listen_addr: SocketAddr,
    /// `None`: start a private PostgreSQL in `data_dir` (development and demo only).
    pub database: Option<tokio_postgres::Config>,
    pub db_pool_size: usize,
    pub jwt: JwtConfig,
    /// Name of the HttpOnly cookie that carries the JWT for browsers.
    pub cookie_name: String,
    /// Origins allowed to make cookie-authenticated writes; empty = same origin as `Host`.
    pub allowed_origins: Vec<String>,
    /// Enables `POST /api/dev/login` (demo and development only).
    pub dev_login: bool,
    pub max_body_bytes: usize,
    pub data_dir: PathBuf,
    pub log_format: LogFormat,
    /// Comment line sent on an idle event stream this often.
    pub heartbeat: Duration,
    /// The `retry:` hint sent to event-stream clients.
    pub sse_retry: Duration,
    /// Frames a connection may have waiting before it is cut off as too slow.
    pub sse_queue: usize,
    /// Open event streams this replica accepts; beyond it new streams get 503 (default: the
    /// process's open-file limit less room for the database pool, the listener and REST).
    pub sse_max_streams: usize,
    /// How often the listener checks that its connection still answers (and how long it waits).
    pub listener_probe: Duration,
    /// The built web client, served at `/` with a fallback to its `index.html`.
    pub static_dir: Option<PathBuf>,
    /// How messages and deletions are appended (group commit or one transaction each).
    pub append: crate::appender::AppendConfig,
    /// How long a replica trusts what it read of a user (name, role).
    pub user_cache: Duration,
}

/// Reads one variable; `None` when unset or empty.
fn var(name: &'static str) -> Result<Option<String>, ConfigError> {
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

fn flag(name: &'static str, default: bool) -> Result<bool, ConfigError> {
    match var(name)?.as_deref().map(str::trim) {
        None => Ok(default),
        Some("1" | "true" | "yes" | "on") => Ok(true),
        Some("0" | "false" | "no" | "off") => Ok(false),
        Some(v) => Err(ConfigError::new(name, format!("{v:?} is not a boolean (use true or false)"))),
    }
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

/// Where the database is: `DATABASE_URL`, or `None` for a private server in `DATA_DIR`.
pub fn database_from_env() -> Result<(Option<tokio_postgres::Config>, PathBuf), ConfigError> {
    let database = var("DATABASE_URL")?.as_deref().map(parse_database_url).transpose()?;
    let data_dir = PathBuf::from(var("DATA_DIR")?.unwrap_or_else(|| ".data".into()));
    Ok((database, data_dir))
}

impl Config {
    /// Reads the environment. `demo` turns dev login on by default and lets a missing
    /// `JWT_SECRET` fall back to one generated once and kept in the data folder.
    pub fn from_env(demo: bool) -> Result<Self, ConfigError> {
        let (database, data_dir) = database_from_env()?;
        let dev_login = flag("DEV_LOGIN", demo)?;
        let secret = match var("JWT_SECRET")? {
            Some(s) => Secret::new(s.into_bytes()),
            None if dev_login => demo_secret(&data_dir)?,
            None => {
                return Err(ConfigError::new(
                    "JWT_SECRET",
                    "is not set; set it to the school's shared HS256 secret (at least 32 bytes), or run `tutorchat serve --demo`",
                ));
            }
        };
        let mut jwt = JwtConfig::new(secret)?;
        jwt.issuer = var("JWT_ISSUER")?;
        jwt.audience = var("JWT_AUDIENCE")?;
        let ttl: u64 = parsed("DEV_TOKEN_TTL_SECS", 12 * 3600, "a number of seconds")?;
        jwt.dev_token_ttl = Duration::from_secs(ttl);

        let log_format = match var("LOG_FORMAT")?.as_deref() {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(v) => {
                return Err(ConfigError::new("LOG_FORMAT", format!("{v:?} is not text or json")));
            }
        };
        let db_pool_size = parsed("DB_POOL_SIZE", 16, "a pool size")?;
        if db_pool_size == 0 {
            return Err(ConfigError::new("DB_POOL_SIZE", "must be at least 1"));
        }
        Ok(Self {
            listen_addr: parsed(
                "LISTEN_ADDR",
                SocketAddr::from(([127, 0, 0, 1], 8080)),
                "an address like 127.0.0.1:8080",
            )?,
            database,
            db_pool_size,
            jwt,
            cookie_name: var("AUTH_COOKIE_NAME")?.unwrap_or_else(|| "access_token".into()),
            allowed_origins: var("ALLOWED_ORIGINS")?
                .map(|v| {
                    v.split(',').map(|o| o.trim().trim_end_matches('/').to_owned()).filter(|o| !o.is_empty()).collect()
                })
                .unwrap_or_default(),
            dev_login,
            max_body_bytes: parsed("MAX_BODY_BYTES", 64 * 1024, "a number of bytes")?,
            data_dir,
            log_format,
            heartbeat: Duration::from_secs(parsed("HEARTBEAT_SECS", 30, "a number of seconds")?.max(1)),
            sse_retry: Duration::from_millis(parsed("SSE_RETRY_MS", 3000, "a number of milliseconds")?),
            sse_queue: parsed("SSE_QUEUE", 1024, "a number of events")?.max(1),
            sse_max_streams: parsed("SSE_MAX_STREAMS", default_max_streams(), "a number of streams")?,
            listener_probe: Duration::from_secs(parsed("LISTENER_PROBE_SECS", 10, "a number of seconds")?.max(1)),
            static_dir: static_dir()?,
            user_cache: Duration::from_secs(parsed("USER_CACHE_SECS", 10, "a number of seconds")?),
            append: crate::appender::AppendConfig {
                mode: match var("APPEND_MODE")?.as_deref() {
                    None | Some("batched") => crate::appender::AppendMode::Batched,
                    Some("single") => crate::appender::AppendMode::Single,
                    Some(v) => return Err(ConfigError::new("APPEND_MODE", format!("{v:?} is not batched or single"))),
                },
                max_batch: parsed("APPEND_BATCH_MAX", 256, "a number of events")?.max(1),
                linger: Duration::from_micros(parsed("APPEND_LINGER_MICROS", 0, "a number of microseconds")?),
            },
        })
    }
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
fn demo_secret(data_dir: &std::path::Path) -> Result<Secret, ConfigError> {
    use std::io::Read;
    let path = data_dir.join("jwt-secret");
    if let Ok(existing) = std::fs::read(&path)
        && existing.len() >= JwtConfig::MIN_SECRET_BYTES
    {
        return Ok(Secret::new(existing));
    }
    let fail = |e: std::io::Error| {
        ConfigError::new("JWT_SECRET", format!("is not set and {} cannot be written ({e})", path.display()))
    };
    let mut raw = [0u8; 32];
    std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut raw)).map_err(fail)?;
    let hex: String = raw.iter().map(|b| format!("{b:02x}")).collect();
    std::fs::create_dir_all(data_dir).map_err(fail)?;
    std::fs::write(&path, &hex).map_err(fail)?;
    Ok(Secret::new(hex.into_bytes()))
}
