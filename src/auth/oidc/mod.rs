//! Tokens from the school's OpenID Provider: signed with its published keys (RS256, ES256,
//! EdDSA and their RSA/ECDSA siblings), meant for this chat (`OIDC_AUDIENCE`), naming a person
//! whose email is in `users` (`OIDC_USER_CLAIM`). The browser's sign-in with the same provider
//! is [`flow`].
//!
//! A token's header says which algorithm signed it; the algorithm decides which way it is
//! verified (`auth::Keys` for the shared secret's HS256, the provider's keys for the others),
//! and the key must be of that algorithm's type: an HS256 token is never checked against a
//! public key (algorithm confusion), an unsigned one (`alg: none`) never accepted.

pub mod flow;
pub mod provider;
mod provision;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use base64::Engine;
use deadpool_postgres::Pool;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use serde_json::{Map, Value};

use self::provider::{Provider, Unavailable};
use crate::AppError;
use crate::config::OidcConfig;
use crate::error::Code;

/// How far a provider's clock may be from this replica's (`exp`, `nbf`, `iat`), in seconds.
pub const LEEWAY_SECS: u64 = 30;

/// A token's header, read before its signature is checked (to know how to check it).
#[derive(Debug, Deserialize)]
pub struct Peeked {
    pub alg: String,
    #[serde(default)]
    pub kid: Option<String>,
}

impl Peeked {
    pub fn of(token: &str) -> Result<Self, AppError> {
        segment(token, 0).ok_or_else(|| AppError::Unauthorized("token is malformed (not a signed JWT)".into()))
    }

    /// Signed with a shared secret (HMAC): the school's HS256 tokens and this chat's sessions.
    pub fn is_shared_secret(&self) -> bool {
        self.alg.starts_with("HS")
    }
}

/// Part `n` of a JWT (0 its header, 1 its claims) as JSON, if it is that.
fn segment<T: serde::de::DeserializeOwned>(token: &str, n: usize) -> Option<T> {
    let part = token.split('.').nth(n)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(part.trim_end_matches('=')).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// The provider, and whom its tokens name.
pub struct Oidc {
    pub provider: Arc<Provider>,
    /// Email (lower case) → user id, for `USER_CACHE_SECS`.
    people: Mutex<HashMap<String, (i64, Instant)>>,
    people_ttl: Duration,
}

impl Oidc {
    pub fn new(config: OidcConfig, people_ttl: Duration) -> anyhow::Result<Arc<Self>> {
        Ok(Arc::new(Self { provider: Provider::new(config)?, people: Mutex::new(HashMap::new()), people_ttl }))
    }

    pub fn config(&self) -> &OidcConfig {
        &self.provider.config
    }

    /// The claims of a token the provider signed for `audience` (this chat's API, or its client
    /// for an ID token), once its signature and `iss`, `aud`, `exp`, `nbf` hold.
    pub async fn claims(&self, token: &str, peeked: &Peeked, audience: &str) -> Result<Map<String, Value>, AppError> {
        let refused = |why: String| AppError::Unauthorized(why);
        let alg: Algorithm = match peeked.alg.as_str() {
            "none" => return Err(refused("unsigned tokens (alg none) are not accepted".into())),
            alg if alg.starts_with("HS") => {
                return Err(refused(format!("a {alg} token is not signed by the OpenID Provider")));
            }
            alg => alg.parse().map_err(|_| refused(format!("token algorithm {alg:?} is not supported")))?,
        };
        let kid = peeked.kid.as_deref();
        let unknown = || {
            let named = kid.map_or("it has no kid".to_owned(), |kid| format!("kid {:?}", truncated(kid)));
            refused(format!("token is signed with a key the OpenID Provider does not publish ({named})"))
        };
        let (key, _) = match self.provider.key(kid).await {
            Ok(Some(found)) => found,
            Ok(None) | Err(Unavailable::RateLimited) => return Err(unknown()),
            Err(Unavailable::Failed) => match self.provider.snapshot() {
                // The provider is down, and this key is not among the cached ones.
                Some(_) => return Err(unknown()),
                None => {
                    return Err(AppError::Client(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "the school's OpenID Provider cannot be reached to verify the token; try again shortly".into(),
                    ));
                }
            },
        };
        fits(alg, &key).map_err(refused)?;
        let decoding = DecodingKey::from_jwk(&key).map_err(|_| refused("the provider's key cannot be read".into()))?;
        let mut validation = Validation::new(alg);
        validation.leeway = LEEWAY_SECS;
        validation.validate_nbf = true;
        validation.set_issuer(&[&self.config().issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        let data = jsonwebtoken::decode::<Map<String, Value>>(token, &decoding, &validation)
            .map_err(|e| super::refusal(&e, "a key the OpenID Provider publishes"))?;
        Ok(data.claims)
    }

    /// The user a provider's claims name: the one whose email is the `OIDC_USER_CLAIM` claim's
    /// value. A person the chat does not know is 403, never an account made up on the spot.
    pub async fn user_of(&self, db: &Pool, claims: &Map<String, Value>) -> Result<i64, AppError> {
        let claim = &self.config().user_claim;
        let unknown = |why: String| AppError::Forbidden(why).with_code(Code::UnknownUser);
        let Some(value) = claims.get(claim).and_then(Value::as_str).map(str::trim).filter(|v| !v.is_empty()) else {
            return Err(unknown(format!("the token has no {claim} claim, which names the person (OIDC_USER_CLAIM)")));
        };
        // An email names a person only once the provider says it verified it: `true`, not a
        // missing claim, not `"true"` (anyone can type someone else's address into a provider
        // that lets people sign up).
        if claim == "email" && claims.get("email_verified") != Some(&Value::Bool(true)) {
            return Err(unknown(format!(
                "the provider has not verified the email {value} (email_verified is not true)"
            )));
        }
        let key = value.to_lowercase();
        if let Some((id, at)) = self.people().get(&key)
            && at.elapsed() < self.people_ttl
        {
            return Ok(*id);
        }
        let client = db.get().await?;
        let statement = client
            .prepare_cached(
                "SELECT id, deactivated_at IS NOT NULL AS deactivated FROM users
                 WHERE lower(email) = $1 AND role <> 'guest' ORDER BY id LIMIT 2",
            )
            .await?;
        let rows = client.query(&statement, &[&key]).await?;
        match rows.as_slice() {
            [row] if row.try_get("deactivated")? => Err(AppError::Unauthorized(format!(
                "the account of {value} has been deactivated: it can no longer sign in"
            ))
            .with_code(Code::AccountDeactivated)),
            [row] => {
                let id: i64 = row.try_get("id")?;
                if !self.people_ttl.is_zero() {
                    let mut people = self.people();
                    if people.len() >= 100_000 {
                        people.clear();
                    }
                    people.insert(key, (id, Instant::now()));
                }
                Ok(id)
            }
            // A first sign-in: an account, if the school provisions just in time (the email is
            // verified: checked above, and OIDC_PROVISION needs the email claim).
            [] => match provision::provision(db, &self.config().provisioning, value, claims).await? {
                Some(id) => Ok(id),
                None => Err(unknown(format!(
                    "no user of this chat has the email {value} ({claim} of the school's account): ask the school's administrator"
                ))),
            },
            _ => Err(unknown(format!(
                "more than one user of this chat has the email {value}: ask the school's administrator"
            ))),
        }
    }

    fn people(&self) -> std::sync::MutexGuard<'_, HashMap<String, (i64, Instant)>> {
        self.people.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A client-supplied string in an error message: never long.
fn truncated(text: &str) -> String {
    text.chars().take(64).collect()
}

/// Whether `key` can verify a token signed with `alg`: its type and curve are the algorithm's,
/// its own `alg` (if it names one) is the same, and it is not an encryption key.
fn fits(alg: Algorithm, key: &Jwk) -> Result<(), String> {
    let kid =
        key.common.key_id.as_deref().map_or("the provider's key".to_owned(), |k| format!("key {:?}", truncated(k)));
    let (kind, fits) = match &key.algorithm {
        AlgorithmParameters::RSA(_) => (
            "an RSA key",
            matches!(
                alg,
                Algorithm::RS256
                    | Algorithm::RS384
                    | Algorithm::RS512
                    | Algorithm::PS256
                    | Algorithm::PS384
                    | Algorithm::PS512
            ),
        ),
        AlgorithmParameters::EllipticCurve(p) => match p.curve {
            EllipticCurve::P256 => ("a P-256 key", alg == Algorithm::ES256),
            EllipticCurve::P384 => ("a P-384 key", alg == Algorithm::ES384),
            _ => ("an elliptic-curve key of an unsupported curve", false),
        },
        AlgorithmParameters::OctetKeyPair(p) if p.curve == EllipticCurve::Ed25519 => {
            ("an Ed25519 key", alg == Algorithm::EdDSA)
        }
        AlgorithmParameters::OctetKeyPair(_) => ("an OKP key of an unsupported curve", false),
        AlgorithmParameters::OctetKey(_) => ("a symmetric key", false),
        _ => ("a key of an unsupported type", false),
    };
    if !fits {
        return Err(format!("{kid} is {kind}; it cannot verify a {alg:?} token"));
    }
    if let Some(key_alg) = key.common.key_algorithm
        && key_alg.to_string() != format!("{alg:?}")
    {
        return Err(format!("{kid} is for {key_alg}; it cannot verify a {alg:?} token"));
    }
    if matches!(key.common.public_key_use, Some(PublicKeyUse::Encryption)) {
        return Err(format!("{kid} is an encryption key; it cannot verify a token"));
    }
    Ok(())
}
