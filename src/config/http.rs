//! The HTTP server: where it listens, how much and how slowly a client may send, and the web
//! client it serves.

use std::net::{IpAddr, SocketAddr};

use ipnet::IpNet;
use std::path::PathBuf;
use std::time::Duration;

use super::env::{ConfigError, Env, Fallback, Var, defaults};

const LISTEN_ADDR: Var =
    Var { name: "LISTEN_ADDR", default: Fallback::Value("127.0.0.1:8080"), meaning: "address to serve on" };
const MAX_BODY_BYTES: Var =
    Var { name: "MAX_BODY_BYTES", default: Fallback::Value("65536"), meaning: "larger request bodies get 413" };
const HTTP_HEADER_TIMEOUT_SECS: Var = Var {
    name: "HTTP_HEADER_TIMEOUT_SECS",
    default: Fallback::Value("20"),
    meaning: "a connection that has not sent a whole request's headers within this time, or sits idle between requests this long, is closed (against slow-header clients holding connections open)",
};
const HTTP_BODY_TIMEOUT_SECS: Var = Var {
    name: "HTTP_BODY_TIMEOUT_SECS",
    default: Fallback::Value("20"),
    meaning: "a request body that stops arriving for this long is answered 408",
};
const STATIC_DIR: Var = Var {
    name: "STATIC_DIR",
    default: Fallback::Computed("`client/dist` if built"),
    meaning: "the web client, served at `/` with a single-page-app fallback",
};

const TRUSTED_PROXIES: Var = Var {
    name: "TRUSTED_PROXIES",
    default: Fallback::Value("127.0.0.1/32,::1/128"),
    meaning: "comma-separated addresses or CIDR blocks of the proxies in front (nginx) whose `X-Forwarded-For` is believed: a visitor's address, for the per-address limits, is the last one in that header that is not a trusted proxy; from any other peer the header is ignored (empty: trust none)",
};

pub(super) const VARS: &[Var] =
    &[LISTEN_ADDR, MAX_BODY_BYTES, HTTP_HEADER_TIMEOUT_SECS, HTTP_BODY_TIMEOUT_SECS, STATIC_DIR, TRUSTED_PROXIES];

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
    /// Peers whose `X-Forwarded-For` names the client (`extract::ClientAddress`).
    pub trusted_proxies: Vec<IpNet>,
}

impl HttpConfig {
    pub(super) fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            listen_addr: env.parse(&LISTEN_ADDR, "an address like 127.0.0.1:8080")?,
            max_body_bytes: env.parse(&MAX_BODY_BYTES, "a number of bytes")?,
            header_timeout: env.secs(&HTTP_HEADER_TIMEOUT_SECS)?.max(Duration::from_secs(1)),
            body_timeout: env.secs(&HTTP_BODY_TIMEOUT_SECS)?.max(Duration::from_secs(1)),
            static_dir: static_dir(env)?,
            trusted_proxies: trusted_proxies(env)?,
        })
    }
}

/// The defaults, serving no web client (whatever the working directory holds).
impl Default for HttpConfig {
    fn default() -> Self {
        Self { static_dir: None, ..defaults(Self::from_env) }
    }
}

/// `TRUSTED_PROXIES`: addresses (a single host) or CIDR blocks.
fn trusted_proxies(env: &Env) -> Result<Vec<IpNet>, ConfigError> {
    let raw = env.text(&TRUSTED_PROXIES).unwrap_or_default();
    raw.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(|item| {
            item.parse::<IpNet>().or_else(|_| item.parse::<IpAddr>().map(IpNet::from)).map_err(|_| {
                ConfigError::new(TRUSTED_PROXIES.name, format!("{item:?} is neither an IP address nor a CIDR block"))
            })
        })
        .collect()
}

/// `STATIC_DIR`, else `client/dist` when it has been built.
fn static_dir(env: &Env) -> Result<Option<PathBuf>, ConfigError> {
    match env.get(&STATIC_DIR) {
        Some(dir) if PathBuf::from(dir).join("index.html").is_file() => Ok(Some(dir.into())),
        Some(dir) => Err(ConfigError::new(
            STATIC_DIR.name,
            format!("{dir} has no index.html (build the client: npm run build in client/)"),
        )),
        None => Ok(Some(PathBuf::from("client/dist")).filter(|d| d.join("index.html").is_file())),
    }
}
