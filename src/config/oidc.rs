//! Signing in with the school's own OpenID Provider: whose tokens are accepted (`OIDC_ISSUER`,
//! `OIDC_AUDIENCE`), which claim names the person (`OIDC_USER_CLAIM`), and the browser's
//! sign-in (`OIDC_CLIENT_ID`, `OIDC_CLIENT_SECRET`, `PUBLIC_URL`, `SESSION_TTL_SECS`).
//! A missing or inconsistent variable stops start-up with one line naming it.

use std::time::Duration;

use url::Url;

use super::env::{ConfigError, Env, Fallback, Secret, Var};

const OIDC_ISSUER: Var = Var {
    name: "OIDC_ISSUER",
    default: Fallback::Unset("unset (no OpenID Provider)"),
    meaning: "the school's OpenID Provider (its issuer URL, https; http only on loopback): its tokens are verified against the keys it publishes (`/.well-known/openid-configuration`, `jwks_uri`)",
};
const OIDC_AUDIENCE: Var = Var {
    name: "OIDC_AUDIENCE",
    default: Fallback::Computed("`OIDC_CLIENT_ID`"),
    meaning: "the `aud` a provider's bearer token must carry",
};
const OIDC_USER_CLAIM: Var = Var {
    name: "OIDC_USER_CLAIM",
    default: Fallback::Value("email"),
    meaning: "the claim whose value is the person's email in `users` (compared without case); `email` counts only with `email_verified: true`",
};
const OIDC_CLIENT_ID: Var = Var {
    name: "OIDC_CLIENT_ID",
    default: Fallback::Unset("unset (no browser sign-in)"),
    meaning: "this chat's client id at the provider: enables \"Sign in with your school account\" (`/api/auth/login`); needs `OIDC_ISSUER` and `PUBLIC_URL`",
};
const OIDC_CLIENT_SECRET: Var = Var {
    name: "OIDC_CLIENT_SECRET",
    default: Fallback::Unset("unset (a public client: PKCE only)"),
    meaning: "the client's secret at the provider (sent with HTTP Basic to its token endpoint)",
};
const PUBLIC_URL: Var = Var {
    name: "PUBLIC_URL",
    default: Fallback::Unset("unset"),
    meaning: "the chat's address as browsers see it (`https://chat.school.example`): the provider redirects to `<PUBLIC_URL>/api/auth/callback`, and the session cookie is `Secure` when it is https",
};
const SESSION_TTL_SECS: Var = Var {
    name: "SESSION_TTL_SECS",
    default: Fallback::Value("43200"),
    meaning: "lifetime of the session cookie set by signing in with the school account",
};
const OIDC_KEYS_REFETCH_SECS: Var = Var {
    name: "OIDC_KEYS_REFETCH_SECS",
    default: Fallback::Value("10"),
    meaning: "the least time between two fetches of the provider's keys: a token signed with a key not yet known fetches them again at most this often, so forged key ids cannot make a replica hammer the provider",
};

pub(super) const VARS: &[Var] = &[
    OIDC_ISSUER,
    OIDC_AUDIENCE,
    OIDC_USER_CLAIM,
    OIDC_CLIENT_ID,
    OIDC_CLIENT_SECRET,
    PUBLIC_URL,
    SESSION_TTL_SECS,
    OIDC_KEYS_REFETCH_SECS,
];

/// The school's OpenID Provider, when one is configured.
#[derive(Debug, Clone)]
pub struct OidcConfig {
    /// The issuer URL exactly as configured (tokens' `iss` must equal it).
    pub issuer: String,
    /// The `aud` bearer tokens must carry.
    pub audience: String,
    /// The claim that names the person (its value is their email in `users`).
    pub user_claim: String,
    /// The browser sign-in, when a client is registered.
    pub client: Option<OidcClient>,
    /// The least time between two fetches of the provider's keys.
    pub keys_refetch: Duration,
}

/// This chat as a client of the provider (the authorization-code flow with PKCE).
#[derive(Debug, Clone)]
pub struct OidcClient {
    pub id: String,
    /// `None`: a public client.
    pub secret: Option<Secret>,
    /// The chat's public origin (`scheme://host[:port]`, no path).
    pub public_url: Url,
    /// Lifetime of the session a sign-in starts.
    pub session_ttl: Duration,
}

impl OidcClient {
    /// Whether browsers reach the chat over HTTPS (its cookies are then `Secure`).
    pub fn secure(&self) -> bool {
        self.public_url.scheme() == "https"
    }

    /// Where the provider sends the browser back.
    pub fn redirect_uri(&self) -> String {
        format!("{}api/auth/callback", self.public_url)
    }
}

/// An http(s) URL; plain http only on a loopback host (a test provider on this machine).
fn url(var: &Var, value: &str) -> Result<Url, ConfigError> {
    let parsed =
        Url::parse(value.trim()).map_err(|e| ConfigError::new(var.name, format!("{value:?} is not a URL ({e})")))?;
    let loopback = matches!(parsed.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
    match parsed.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => {
            return Err(ConfigError::new(var.name, format!("{value:?} must be https (plain http only on localhost)")));
        }
        _ => return Err(ConfigError::new(var.name, format!("{value:?} is not an http(s) URL"))),
    }
    Ok(parsed)
}

impl OidcConfig {
    /// `None` when `OIDC_ISSUER` is unset (and nothing that needs it is set).
    pub(super) fn from_env(env: &Env) -> Result<Option<Self>, ConfigError> {
        let Some(issuer) = env.get(&OIDC_ISSUER) else {
            for var in [&OIDC_AUDIENCE, &OIDC_CLIENT_ID, &OIDC_CLIENT_SECRET] {
                if env.is_set(var) {
                    return Err(ConfigError::new(
                        var.name,
                        "is set but OIDC_ISSUER is not (set the provider's issuer URL)",
                    ));
                }
            }
            return Ok(None);
        };
        let issuer = issuer.trim().to_owned();
        url(&OIDC_ISSUER, &issuer)?;
        let client = match env.get(&OIDC_CLIENT_ID).map(str::trim).filter(|id| !id.is_empty()) {
            None if env.is_set(&OIDC_CLIENT_SECRET) => {
                return Err(ConfigError::new(OIDC_CLIENT_ID.name, "is not set but OIDC_CLIENT_SECRET is"));
            }
            None => None,
            Some(id) => {
                let Some(public) = env.get(&PUBLIC_URL) else {
                    return Err(ConfigError::new(
                        PUBLIC_URL.name,
                        "is not set; the browser sign-in (OIDC_CLIENT_ID) needs the chat's public address, e.g. https://chat.school.example",
                    ));
                };
                let public_url = url(&PUBLIC_URL, public)?;
                if public_url.path() != "/" || public_url.query().is_some() || public_url.fragment().is_some() {
                    return Err(ConfigError::new(
                        PUBLIC_URL.name,
                        format!("{public:?} must be an origin, without a path"),
                    ));
                }
                Some(OidcClient {
                    id: id.to_owned(),
                    secret: env.get(&OIDC_CLIENT_SECRET).map(|s| Secret::new(s.as_bytes())),
                    public_url,
                    session_ttl: env.secs(&SESSION_TTL_SECS)?,
                })
            }
        };
        let audience = match (env.get(&OIDC_AUDIENCE).map(str::trim).filter(|a| !a.is_empty()), &client) {
            (Some(audience), _) => audience.to_owned(),
            (None, Some(client)) => client.id.clone(),
            (None, None) => {
                return Err(ConfigError::new(
                    OIDC_AUDIENCE.name,
                    "is not set; tokens from OIDC_ISSUER must be meant for this chat (set the `aud` they carry, or OIDC_CLIENT_ID)",
                ));
            }
        };
        let user_claim: String = env.parse(&OIDC_USER_CLAIM, "a claim name")?;
        if user_claim.is_empty() {
            return Err(ConfigError::new(OIDC_USER_CLAIM.name, "is empty"));
        }
        Ok(Some(Self { issuer, audience, user_claim, client, keys_refetch: env.secs(&OIDC_KEYS_REFETCH_SECS)? }))
    }
}
