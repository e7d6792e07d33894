//! Signing in with the school's own OpenID Provider: whose tokens are accepted (`OIDC_ISSUER`,
//! `OIDC_AUDIENCE`), which claim names the person (`OIDC_USER_CLAIM`), and the browser's
//! sign-in (`OIDC_CLIENT_ID`, `OIDC_CLIENT_SECRET`, `PUBLIC_URL`, `SESSION_TTL_SECS`), and
//! who a first sign-in of a person the chat does not know creates (`OIDC_PROVISION`,
//! `OIDC_PROVISION_DOMAINS`; off unless set).
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
pub(super) const PUBLIC_URL: Var = Var {
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

const OIDC_PROVISION: Var = Var {
    name: "OIDC_PROVISION",
    default: Fallback::Value("off"),
    meaning: "just-in-time accounts: `off` (a person the chat does not know is refused, `unknown_user`); `students` (a first sign-in with a verified email of an allowed domain creates a student); or `claim:<claim>=<value>:<role>,…` (e.g. `claim:groups=teachers:teacher,pupils:student`: the claim, a string or an array of strings, is looked up in the map's order and the first entry it holds names the role, `student`, `teacher` or `guardian`, so the school's order decides for someone in two groups; none: refused). Needs `OIDC_USER_CLAIM=email` and `OIDC_PROVISION_DOMAINS`; the person is created through the log (`user_provisioned`, client `oidc`)",
};
const OIDC_PROVISION_DOMAINS: Var = Var {
    name: "OIDC_PROVISION_DOMAINS",
    default: Fallback::Unset("unset (needed by OIDC_PROVISION)"),
    meaning: "the email domains whose people `OIDC_PROVISION` may create, comma-separated (`school.example,staff.school.example`), compared exactly, without case",
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
    OIDC_PROVISION,
    OIDC_PROVISION_DOMAINS,
];

/// A role a just-in-time account may get: never an admin's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProvisionedRole {
    Student,
    Teacher,
    Guardian,
}

/// Who a first sign-in of a person the chat does not know creates (`OIDC_PROVISION`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Provision {
    /// Nobody: today's refusal (`unknown_user`).
    #[default]
    Off,
    /// Everyone allowed becomes a student.
    Students,
    /// The first of `roles`' values that `claim` holds names the role; none: refused.
    Claim { claim: String, roles: Vec<(String, ProvisionedRole)> },
}

/// Just-in-time accounts: who, and from which email domains.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Provisioning {
    pub provision: Provision,
    /// Lower-cased, without a leading `@`.
    pub domains: Vec<String>,
}

impl Provisioning {
    /// The role a first sign-in with these claims gets, if `email` (verified by the caller) is
    /// of an allowed domain and the setting gives one.
    pub fn role_for(
        &self,
        email: &str,
        claims: &serde_json::Map<String, serde_json::Value>,
    ) -> Option<ProvisionedRole> {
        let (_, domain) = email.rsplit_once('@')?;
        if !self.domains.iter().any(|d| d.eq_ignore_ascii_case(domain)) {
            return None;
        }
        match &self.provision {
            Provision::Off => None,
            Provision::Students => Some(ProvisionedRole::Student),
            Provision::Claim { claim, roles } => {
                let held: Vec<&str> = match claims.get(claim) {
                    Some(serde_json::Value::String(one)) => vec![one.as_str()],
                    Some(serde_json::Value::Array(many)) => many.iter().filter_map(|v| v.as_str()).collect(),
                    _ => vec![],
                };
                roles.iter().find(|(value, _)| held.contains(&value.as_str())).map(|(_, role)| *role)
            }
        }
    }

    fn from_env(env: &Env, user_claim: &str) -> Result<Self, ConfigError> {
        let text = env.text(&OIDC_PROVISION).unwrap_or("off").trim();
        let provision = match text {
            "off" | "" => Provision::Off,
            "students" => Provision::Students,
            _ => claim_map(text)?,
        };
        let domains: Vec<String> = env
            .get(&OIDC_PROVISION_DOMAINS)
            .unwrap_or_default()
            .split(',')
            .map(|d| d.trim().trim_start_matches('@').to_lowercase())
            .filter(|d| !d.is_empty())
            .collect();
        if let Some(bad) = domains.iter().find(|d| !d.contains('.') || d.contains(['@', ' ', '/'])) {
            return Err(ConfigError::new(OIDC_PROVISION_DOMAINS.name, format!("{bad:?} is not an email domain")));
        }
        if provision != Provision::Off {
            if domains.is_empty() {
                return Err(ConfigError::new(
                    OIDC_PROVISION_DOMAINS.name,
                    "is not set; OIDC_PROVISION creates only people of the school's own email domains",
                ));
            }
            if user_claim != "email" {
                return Err(ConfigError::new(OIDC_PROVISION.name, "needs OIDC_USER_CLAIM=email (a verified email)"));
            }
        }
        Ok(Self { provision, domains })
    }
}

/// `claim:<claim>=<value>:<role>,<value>:<role>…`
fn claim_map(text: &str) -> Result<Provision, ConfigError> {
    let bad = |why: &str| {
        ConfigError::new(
            OIDC_PROVISION.name,
            format!("{text:?} is not off, students nor claim:<claim>=<value>:<role>,… ({why})"),
        )
    };
    let rest = text.strip_prefix("claim:").ok_or_else(|| bad("an unknown word"))?;
    let (claim, pairs) = rest.split_once('=').ok_or_else(|| bad("no ="))?;
    let claim = claim.trim();
    if claim.is_empty() {
        return Err(bad("no claim"));
    }
    let mut roles = Vec::new();
    for pair in pairs.split(',') {
        let (value, role) = pair.rsplit_once(':').ok_or_else(|| bad("a pair without :"))?;
        let role = match role.trim() {
            "student" => ProvisionedRole::Student,
            "teacher" => ProvisionedRole::Teacher,
            "guardian" => ProvisionedRole::Guardian,
            _ => return Err(bad("a role that is not student, teacher or guardian")),
        };
        let value = value.trim();
        if value.is_empty() {
            return Err(bad("an empty value"));
        }
        roles.push((value.to_owned(), role));
    }
    Ok(Provision::Claim { claim: claim.to_owned(), roles })
}

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
    /// Just-in-time accounts (`OIDC_PROVISION`, `OIDC_PROVISION_DOMAINS`).
    pub provisioning: Provisioning,
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
            for var in [&OIDC_AUDIENCE, &OIDC_CLIENT_ID, &OIDC_CLIENT_SECRET, &OIDC_PROVISION_DOMAINS] {
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
        let provisioning = Provisioning::from_env(env, &user_claim)?;
        let keys_refetch = env.secs(&OIDC_KEYS_REFETCH_SECS)?;
        Ok(Some(Self { issuer, audience, user_claim, client, keys_refetch, provisioning }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(pairs: &[(&'static str, &str)]) -> Result<Provisioning, ConfigError> {
        let mut all = vec![("OIDC_ISSUER", "https://id.school.example"), ("OIDC_AUDIENCE", "chat")];
        all.extend_from_slice(pairs);
        OidcConfig::from_env(&Env::of(&all)).map(|c| c.map(|c| c.provisioning).unwrap_or_default())
    }

    #[test]
    fn provisioning_is_off_unless_set_and_needs_the_schools_domains() {
        assert_eq!(parsed(&[]).ok(), Some(Provisioning::default()));
        assert!(parsed(&[("OIDC_PROVISION", "students")]).is_err(), "no domains");
        assert!(parsed(&[("OIDC_PROVISION", "everyone"), ("OIDC_PROVISION_DOMAINS", "school.example")]).is_err());
        assert!(
            parsed(&[("OIDC_PROVISION", "claim:groups=staff:admin"), ("OIDC_PROVISION_DOMAINS", "s.example")]).is_err()
        );
        let students =
            parsed(&[("OIDC_PROVISION", "students"), ("OIDC_PROVISION_DOMAINS", "@School.example, x.example")]);
        assert_eq!(students.map(|p| p.domains).ok(), Some(vec!["school.example".to_owned(), "x.example".to_owned()]));
    }

    #[test]
    fn a_claim_map_gives_the_first_role_the_claim_holds_for_an_allowed_domain_only() {
        let map = parsed(&[
            ("OIDC_PROVISION", "claim:groups=staff:teacher, pupils:student"),
            ("OIDC_PROVISION_DOMAINS", "school.example"),
        ])
        .expect("a map");
        let claims = |groups: serde_json::Value| {
            serde_json::json!({ "groups": groups }).as_object().cloned().unwrap_or_default()
        };
        let role = |email: &str, groups| map.role_for(email, &claims(groups));
        assert_eq!(role("a@school.example", serde_json::json!(["x", "pupils"])), Some(ProvisionedRole::Student));
        assert_eq!(role("a@School.Example", serde_json::json!("staff")), Some(ProvisionedRole::Teacher));
        assert_eq!(role("a@school.example", serde_json::json!(["x"])), None);
        assert_eq!(role("a@evil.example", serde_json::json!("staff")), None);
        assert_eq!(role("a@sub.school.example", serde_json::json!("staff")), None);
        // In both groups: the map's order decides, not the order the provider lists them in.
        assert_eq!(role("a@school.example", serde_json::json!(["pupils", "staff"])), Some(ProvisionedRole::Teacher));
    }
}
