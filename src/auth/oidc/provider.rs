//! The school's OpenID Provider as this replica knows it: its metadata (discovery) and the keys
//! it signs with (its JWKS), fetched over HTTP and cached.
//!
//! - The key set is kept for as long as the provider's `Cache-Control: max-age` says, within
//!   [`MIN_MAX_AGE`]..[`MAX_MAX_AGE`] ([`DEFAULT_MAX_AGE`] without one); after that the next
//!   token fetches it again in the background while the cached keys keep verifying.
//! - A token signed with a key id not in the set fetches it once (a rotation the cache has not
//!   seen yet), but never twice within `OIDC_KEYS_REFETCH_SECS`: a flood of forged key ids costs
//!   the provider one request per period per replica.
//! - When the provider is down, tokens signed with cached keys still verify; unknown key ids
//!   are refused.

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{Jwk, JwkSet};
use serde::Deserialize;
use serde_json::Value;

use crate::config::OidcConfig;

/// The shortest, longest and default time the key set is trusted without asking again.
pub const MIN_MAX_AGE: Duration = Duration::from_secs(60);
pub const MAX_MAX_AGE: Duration = Duration::from_secs(24 * 3600);
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(600);
/// How long one request to the provider may take.
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);

/// What discovery (`/.well-known/openid-configuration`) says, as far as this chat uses it.
#[derive(Debug, Clone, Deserialize)]
pub struct Metadata {
    pub issuer: String,
    pub jwks_uri: String,
    pub authorization_endpoint: String,
    #[serde(default)]
    pub end_session_endpoint: Option<String>,
    /// The whole document, for `openidconnect`'s own view of it (the browser sign-in).
    #[serde(skip)]
    pub document: Value,
}

/// The provider's metadata and keys, as last fetched.
pub struct Snapshot {
    pub metadata: Metadata,
    pub keys: JwkSet,
    /// The key set as the provider sent it, for `openidconnect`'s own verifier.
    pub jwks: Value,
    /// When it was fetched, and for how long the provider lets it be kept.
    fetched: Instant,
    max_age: Duration,
}

pub struct Provider {
    pub config: OidcConfig,
    http: reqwest::Client,
    cached: RwLock<Option<Arc<Snapshot>>>,
    /// When the provider was last asked (successfully or not): fetches are serialised by this
    /// lock and rate-limited by its value.
    asked: tokio::sync::Mutex<Option<Instant>>,
}

/// Why no key could be found for a token.
#[derive(Debug)]
pub enum Unavailable {
    /// The provider was asked too recently to be asked again.
    RateLimited,
    /// Asking failed (logged).
    Failed,
}

impl Provider {
    pub fn new(config: OidcConfig) -> anyhow::Result<Arc<Self>> {
        let http = reqwest::Client::builder()
            .timeout(FETCH_TIMEOUT)
            // A provider's answer is taken from where it was asked, never from where it points.
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Arc::new(Self { config, http, cached: RwLock::new(None), asked: tokio::sync::Mutex::new(None) }))
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    fn cached(&self) -> Option<Arc<Snapshot>> {
        self.cached.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The metadata and keys as cached, if any were ever fetched; a set past its age is
    /// fetched again in the background.
    pub fn snapshot(self: &Arc<Self>) -> Option<Arc<Snapshot>> {
        let snapshot = self.cached();
        let stale = snapshot.as_ref().is_none_or(|s| s.fetched.elapsed() >= s.max_age);
        // One fetch at a time, and none sooner than the least time between two.
        let due =
            || self.asked.try_lock().is_ok_and(|asked| asked.is_none_or(|at| at.elapsed() >= self.config.keys_refetch));
        if stale && due() {
            let provider = Arc::clone(self);
            tokio::spawn(async move {
                let _ = provider.refresh(|_| true).await;
            });
        }
        snapshot
    }

    /// The cached snapshot, or one fetched now (start-up, or the provider was down).
    pub async fn current(self: &Arc<Self>) -> Result<Arc<Snapshot>, Unavailable> {
        match self.snapshot() {
            Some(snapshot) => Ok(snapshot),
            None => self.refresh(|snapshot| snapshot.is_none()).await,
        }
    }

    /// The key with this id (or the only key, for a token without one), fetching the key set
    /// again if it is not known yet (rate-limited).
    pub async fn key(self: &Arc<Self>, kid: Option<&str>) -> Result<Option<(Jwk, Arc<Snapshot>)>, Unavailable> {
        let find = |snapshot: &Snapshot| match kid {
            Some(kid) => snapshot.keys.find(kid).cloned(),
            None if snapshot.keys.keys.len() == 1 => snapshot.keys.keys.first().cloned(),
            None => None,
        };
        if let Some(snapshot) = self.snapshot()
            && let Some(key) = find(&snapshot)
        {
            return Ok(Some((key, snapshot)));
        }
        let snapshot = self.refresh(|snapshot| snapshot.is_none_or(|s| find(s).is_none())).await?;
        Ok(find(&snapshot).map(|key| (key, snapshot)))
    }

    /// Fetches metadata and keys if `needed` of the cached snapshot still holds once this
    /// caller's turn comes (another may have fetched meanwhile), unless the provider was asked
    /// within `OIDC_KEYS_REFETCH_SECS`.
    async fn refresh(&self, needed: impl Fn(Option<&Snapshot>) -> bool) -> Result<Arc<Snapshot>, Unavailable> {
        let mut asked = self.asked.lock().await;
        let current = self.cached();
        if !needed(current.as_deref()) {
            return current.ok_or(Unavailable::Failed);
        }
        if asked.is_some_and(|at| at.elapsed() < self.config.keys_refetch) {
            return Err(Unavailable::RateLimited);
        }
        *asked = Some(Instant::now());
        let fetched = self.fetch().await;
        let outcome = if fetched.is_ok() { "ok" } else { "failed" };
        let issuer = self.config.issuer.clone();
        metrics::counter!(crate::metrics::OIDC_KEY_FETCHES, "outcome" => outcome, "issuer" => issuer).increment(1);
        match fetched {
            Ok(snapshot) => {
                let snapshot = Arc::new(snapshot);
                *self.cached.write().unwrap_or_else(|p| p.into_inner()) = Some(snapshot.clone());
                let (keys, max_age) = (snapshot.keys.keys.len(), snapshot.max_age);
                tracing::info!(issuer = %self.config.issuer, keys, ?max_age, "fetched the OpenID Provider's keys");
                Ok(snapshot)
            }
            Err(e) => {
                tracing::warn!(issuer = %self.config.issuer, "cannot fetch the OpenID Provider's metadata and keys: {e:#}");
                Err(Unavailable::Failed)
            }
        }
    }

    async fn fetch(&self) -> anyhow::Result<Snapshot> {
        let url = format!("{}/.well-known/openid-configuration", self.config.issuer.trim_end_matches('/'));
        let document: Value =
            serde_json::from_slice(&self.http.get(&url).send().await?.error_for_status()?.bytes().await?)?;
        let mut metadata: Metadata = serde_json::from_value(document.clone())
            .map_err(|e| anyhow::anyhow!("{url} is not an OpenID Provider's metadata: {e}"))?;
        // OpenID Connect Discovery 1.0, 4.3: the issuer must be exactly the one configured.
        anyhow::ensure!(
            metadata.issuer == self.config.issuer,
            "the provider's metadata names issuer {:?}, not OIDC_ISSUER {:?}",
            metadata.issuer,
            self.config.issuer
        );
        metadata.document = document;
        let response = self.http.get(&metadata.jwks_uri).send().await?.error_for_status()?;
        let max_age = max_age(response.headers()).unwrap_or(DEFAULT_MAX_AGE).clamp(MIN_MAX_AGE, MAX_MAX_AGE);
        let jwks: Value = serde_json::from_slice(&response.bytes().await?)?;
        // Keys this library cannot read (another type, a broken entry) are left out, not fatal.
        let keys = jwks
            .get("keys")
            .and_then(Value::as_array)
            .ok_or_else(|| anyhow::anyhow!("{} has no `keys` array", metadata.jwks_uri))?
            .iter()
            .filter_map(|key| serde_json::from_value::<Jwk>(key.clone()).ok())
            .collect();
        Ok(Snapshot { metadata, keys: JwkSet { keys }, jwks, fetched: Instant::now(), max_age })
    }
}

/// An HTTP call of `openidconnect` (the token endpoint), made with the provider's client.
pub async fn send(
    http: &reqwest::Client,
    request: openidconnect::HttpRequest,
) -> Result<openidconnect::HttpResponse, HttpError> {
    let (parts, body) = request.into_parts();
    let response = http.request(parts.method, parts.uri.to_string()).headers(parts.headers).body(body).send().await?;
    let mut answer = axum::http::Response::builder().status(response.status());
    if let Some(headers) = answer.headers_mut() {
        headers.extend(response.headers().clone());
    }
    Ok(answer.body(response.bytes().await?.to_vec())?)
}

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error(transparent)]
    Request(#[from] reqwest::Error),
    #[error(transparent)]
    Response(#[from] axum::http::Error),
}

/// `Cache-Control: max-age=N` (`no-cache`/`no-store` count as 0, so the lower bound applies).
fn max_age(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let value = headers.get(reqwest::header::CACHE_CONTROL)?.to_str().ok()?;
    value.split(',').map(str::trim).find_map(|directive| match directive.split_once('=') {
        Some((name, secs)) if name.eq_ignore_ascii_case("max-age") => secs.trim().parse().ok().map(Duration::from_secs),
        None if directive.eq_ignore_ascii_case("no-cache") || directive.eq_ignore_ascii_case("no-store") => {
            Some(Duration::ZERO)
        }
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_age_reads_cache_control() {
        let headers = |v: &str| {
            let mut h = reqwest::header::HeaderMap::new();
            h.insert(reqwest::header::CACHE_CONTROL, v.parse().expect("a header value"));
            h
        };
        assert_eq!(max_age(&headers("public, max-age=3600")), Some(Duration::from_secs(3600)));
        assert_eq!(max_age(&headers("no-store")), Some(Duration::ZERO));
        assert_eq!(max_age(&headers("public")), None);
        assert_eq!(max_age(&reqwest::header::HeaderMap::new()), None);
    }
}
