//! Who a caller is: the token's signing key and claims, the browser's cookie, which origins may
//! write with it, the demo's dev login, and how long a replica trusts what it read of a user.

use std::time::Duration;

use super::env::{ConfigError, Env, Fallback, Secret, Var, defaults};
use super::oidc::OidcConfig;

const JWT_SECRET: Var = Var {
    name: "JWT_SECRET",
    default: Fallback::Computed("required (demo: generated once into `DATA_DIR`)"),
    meaning: "HS256 secret, at least 32 bytes, the same on every replica: it verifies the school platform's shared-secret tokens and signs the sessions this server starts (the school sign-in's, the demo's)",
};
const JWT_ISSUER: Var = Var {
    name: "JWT_ISSUER",
    default: Fallback::Unset("unset"),
    meaning: "when set, tokens must carry exactly this `iss`",
};
const JWT_AUDIENCE: Var = Var {
    name: "JWT_AUDIENCE",
    default: Fallback::Unset("unset"),
    meaning: "when set, tokens must carry exactly this `aud`",
};
const AUTH_COOKIE_NAME: Var = Var {
    name: "AUTH_COOKIE_NAME",
    default: Fallback::Value("access_token"),
    meaning: "cookie that carries the token for browsers; over HTTPS it is `__Host-` and this name (the server reads no other there)",
};
const ALLOWED_ORIGINS: Var = Var {
    name: "ALLOWED_ORIGINS",
    default: Fallback::Unset("empty (the chat's own origin only)"),
    meaning: "comma-separated origins (`https://school.example`) that, besides the chat's own, may call the API from a browser: CORS with credentials (preflight included), and cookie-authenticated writes; https only (plain http on loopback, for development)",
};
const DEV_LOGIN: Var = Var {
    name: "DEV_LOGIN",
    default: Fallback::Computed("`true` with `--demo`, else `false`"),
    meaning: "enables `/api/dev/login` and `/api/dev/users`",
};
const DEV_TOKEN_TTL_SECS: Var =
    Var { name: "DEV_TOKEN_TTL_SECS", default: Fallback::Value("43200"), meaning: "lifetime of dev-login tokens" };
const SESSION_MAX_AGE_SECS: Var = Var {
    name: "SESSION_MAX_AGE_SECS",
    default: Fallback::Value("2592000"),
    meaning: "the longest a device stays signed in (30 days): a session this server starts (the school sign-in's, the dev login's) renews its token while the device is used (`POST /api/sessions/refresh`), never past this after the sign-in; then the person signs in again",
};
const USER_CACHE_SECS: Var = Var {
    name: "USER_CACHE_SECS",
    default: Fallback::Value("10"),
    meaning: "how long a replica trusts what it read of a user (name, role): a changed role or deleted user takes up to this long to take effect, for requests and for open streams (re-read in one query every half of it, at least every second); `0` reads the database on every request",
};

pub(super) const VARS: &[Var] = &[
    JWT_SECRET,
    JWT_ISSUER,
    JWT_AUDIENCE,
    AUTH_COOKIE_NAME,
    ALLOWED_ORIGINS,
    DEV_LOGIN,
    DEV_TOKEN_TTL_SECS,
    SESSION_MAX_AGE_SECS,
    USER_CACHE_SECS,
];

/// Signing keys that were published in this repository (the compose file's old fallback):
/// anyone could forge tokens with them, so only a demo may run with one.
const PUBLISHED_SECRETS: &[&str] = &["demo-only-secret-change-me-0123456789abcdef"];

/// Where a demo's signing key comes from when `JWT_SECRET` is unset (the demo code keeps one
/// in `DATA_DIR`); given only by `tutorchat serve --demo` and `topology`.
pub type DemoKey = fn(&std::path::Path) -> Result<Secret, ConfigError>;

/// Who a caller is and what a browser session may do.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    pub jwt: JwtConfig,
    /// Name of the HttpOnly cookie that carries the JWT for browsers.
    pub cookie_name: String,
    /// Origins that, besides the chat's own, may call the API from a browser (CORS) and make
    /// cookie-authenticated writes.
    pub allowed_origins: Vec<String>,
    /// Enables `POST /api/dev/login` (demo and development only).
    pub dev_login: bool,
    /// How long a replica trusts what it read of a user (name, role).
    pub user_cache: Duration,
    /// The longest a session this server starts renews itself, from its sign-in.
    pub session_max_age: Duration,
    /// The school's OpenID Provider, if any.
    pub oidc: Option<OidcConfig>,
}

impl AuthConfig {
    /// The defaults around a signing key.
    pub fn new(jwt: JwtConfig) -> Self {
        Self::with(jwt, &Env::empty(), false).unwrap_or_else(|e| panic!("a default in src/config/auth.rs: {e}"))
    }

    /// With a demo key, dev login defaults to on and a missing `JWT_SECRET` falls back to it.
    pub(super) fn from_env(env: &Env, data_dir: &std::path::Path, demo: Option<DemoKey>) -> Result<Self, ConfigError> {
        let dev_login = env.flag(&DEV_LOGIN)?.unwrap_or(demo.is_some());
        let secret = match (env.get(&JWT_SECRET), demo) {
            (Some(s), _) => Secret::new(s.as_bytes()),
            (None, Some(demo_key)) if dev_login => demo_key(data_dir)?,
            (None, _) => {
                return Err(ConfigError::new(
                    JWT_SECRET.name,
                    "is not set; set it to a random secret of at least 32 bytes, the same on every replica (the school's shared HS256 secret, if its platform signs tokens), or run `tutorchat serve --demo`",
                ));
            }
        };
        if demo.is_none() && PUBLISHED_SECRETS.iter().any(|p| p.as_bytes() == secret.expose()) {
            return Err(ConfigError::new(
                JWT_SECRET.name,
                "is a demo secret published in tutorchat's repository, so anyone could forge tokens with it; set the school's own secret (or run with --demo)",
            ));
        }
        let mut jwt = JwtConfig::new(secret)?;
        jwt.issuer = env.get(&JWT_ISSUER).map(str::to_owned);
        jwt.audience = env.get(&JWT_AUDIENCE).map(str::to_owned);
        jwt.dev_token_ttl = env.secs(&DEV_TOKEN_TTL_SECS)?;
        Self::with(jwt, env, dev_login)
    }

    fn with(jwt: JwtConfig, env: &Env, dev_login: bool) -> Result<Self, ConfigError> {
        Ok(Self {
            jwt,
            cookie_name: env.parse(&AUTH_COOKIE_NAME, "a cookie name")?,
            allowed_origins: allowed_origins(env)?,
            dev_login,
            user_cache: env.secs(&USER_CACHE_SECS)?,
            session_max_age: env.secs(&SESSION_MAX_AGE_SECS)?,
            oidc: OidcConfig::from_env(env)?,
        })
    }
}

/// `ALLOWED_ORIGINS`: each an origin as a browser sends it in `Origin` (`scheme://host[:port]`,
/// no path); `*` is refused, since credentials must never be allowed to every site.
fn allowed_origins(env: &Env) -> Result<Vec<String>, ConfigError> {
    let Some(value) = env.get(&ALLOWED_ORIGINS) else { return Ok(Vec::new()) };
    let mut origins = Vec::new();
    for origin in value.split(',').map(|o| o.trim().trim_end_matches('/')).filter(|o| !o.is_empty()) {
        let parsed = url::Url::parse(origin).ok().filter(|u| matches!(u.scheme(), "http" | "https"));
        match parsed {
            Some(url)
                if url.path() == "/"
                    && url.query().is_none()
                    && url.fragment().is_none()
                    && url.username().is_empty()
                    && url.host_str().is_some_and(|h| !h.contains('*')) =>
            {
                // A page served over plain http could be anyone's on the way to the browser:
                // only this machine's (loopback, for development) may use the session.
                let loopback = super::env::is_loopback(&url);
                if url.scheme() == "http" && !loopback {
                    return Err(ConfigError::new(
                        ALLOWED_ORIGINS.name,
                        format!(
                            "{origin:?} is plain http: only https origins (or http on loopback, for development) may use the session"
                        ),
                    ));
                }
                origins.push(url.origin().ascii_serialization());
            }
            _ => {
                return Err(ConfigError::new(
                    ALLOWED_ORIGINS.name,
                    format!("{origin:?} is not an origin (scheme://host[:port], no path; `*` is not allowed)"),
                ));
            }
        }
    }
    Ok(origins)
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
                JWT_SECRET.name,
                format!("must be at least {} bytes long (got {})", Self::MIN_SECRET_BYTES, secret.expose().len()),
            ));
        }
        Ok(Self { secret, issuer: None, audience: None, dev_token_ttl: defaults(|env| env.secs(&DEV_TOKEN_TTL_SECS)) })
    }
}
