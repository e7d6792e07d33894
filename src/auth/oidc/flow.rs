//! Signing in in the browser with the school's account: OpenID Connect's authorization-code
//! flow with PKCE (the `openidconnect` crate), ending in this chat's own session cookie.
//!
//! 1. `GET /api/auth/login?return_to=/…` keeps a fresh `state`, `nonce` and PKCE verifier in a
//!    short-lived HttpOnly cookie (sealed with the server's key, [`FLOW_TTL`]) and sends the
//!    browser to the provider.
//! 2. The provider sends it back to `GET /api/auth/callback?code&state`: the state must be the
//!    cookie's, the code is exchanged with the verifier, the ID token's signature, issuer,
//!    audience (the client id), expiry and nonce are verified, and its `OIDC_USER_CLAIM` names
//!    the user. The session cookie is set (HttpOnly, `SameSite=Lax`, `Secure` when `PUBLIC_URL`
//!    is https, `SESSION_TTL_SECS`) and the browser goes back to `return_to`, which is always
//!    an address of this chat (no open redirect).
//! 3. A sign-in that fails comes back to `return_to` with `auth_error` = `unknown_user`,
//!    `sign_in_denied` or `sign_in_failed` (the cause is in the replica's log), for the client
//!    to say in the person's language.

use axum::extract::{FromRef, State};
use axum::response::Redirect;
use axum::routing::get;
use axum::{Json, Router};
use axum_extra::extract::CookieJar;
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreJsonWebKeySet, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet, EndpointNotSet, EndpointSet, Nonce,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::provider::Snapshot;
use super::{Oidc, Peeked};
use crate::auth::sealed::Purpose;
use crate::auth::{AuthState, cleared_cookie, cookie_name, credential_cookie};
use crate::config::OidcClient;
use crate::error::{Code, ErrorBody};
use crate::extract::QueryParams;
use crate::{AppError, Result};

/// The cookie that keeps a sign-in's state while the browser is at the provider.
const FLOW_COOKIE: &str = "tutorchat_sign_in";
/// How long a person has to sign in at the provider.
const FLOW_TTL: std::time::Duration = std::time::Duration::from_secs(600);
/// The longest `return_to` accepted.
const MAX_RETURN_TO: usize = 2000;
/// `via` of the sessions a sign-in starts.
pub const VIA_OIDC: &str = "oidc";

pub fn router<S>() -> Router<S>
where
    AuthState: FromRef<S>,
    S: Clone + Send + Sync + 'static,
{
    Router::new()
        .route("/api/auth/config", get(auth_config))
        .route("/api/auth/login", get(login))
        .route("/api/auth/callback", get(callback))
}

/// How one may sign in on this server, and what the signed-in app may offer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AuthConfig {
    /// "Sign in with your school account" (`/api/auth/login`) is available.
    pub oidc: bool,
    /// The demo's user picker (`/api/dev/users`, `/api/dev/login`) is available.
    pub dev_login: bool,
    /// Web Push is set up (`PUSH_VAPID_PRIVATE_KEY`): `/api/push/vapid-public-key` answers the
    /// school's key. When false the client does not ask for it (it would answer 404
    /// `push_disabled`, an error in the browser's console on every load).
    pub push: bool,
}

/// How one may sign in on this server (for the sign-in page), and whether push is on (for the app).
#[utoipa::path(get, path = "/api/auth/config", tag = "session", security(()), responses((status = 200, body = AuthConfig)))]
pub async fn auth_config(State(state): State<AuthState>) -> Json<AuthConfig> {
    let oidc = state.oidc.as_ref().is_some_and(|oidc| oidc.config().client.is_some());
    let push = state.config.notify.push.vapid.is_some();
    Json(AuthConfig { oidc, dev_login: state.config.auth.dev_login, push })
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LoginQuery {
    /// Where to go once signed in: a path of this chat (`/`, `/chats/12`) or a URL on its
    /// own origin (`PUBLIC_URL`). Default `/`.
    #[param(max_length = 2000)] // MAX_RETURN_TO
    pub return_to: Option<String>,
}

/// What the browser keeps (sealed) while it is at the provider.
#[derive(Serialize, Deserialize)]
struct Pending {
    state: String,
    nonce: String,
    verifier: String,
    return_to: String,
}

/// The browser sign-in's settings, or 404 when it is not configured.
fn sign_in(state: &AuthState) -> Result<(&Oidc, &OidcClient)> {
    state.oidc.as_deref().and_then(|oidc| oidc.config().client.as_ref().map(|client| (oidc, client))).ok_or_else(|| {
        AppError::NotFound(
            "signing in with the school's account is not configured on this server (OIDC_CLIENT_ID)".into(),
        )
    })
}

/// `return_to` as an absolute URL of this chat; anything on another origin is refused.
fn own_address(return_to: Option<&str>, client: &OidcClient) -> Result<String> {
    let public = &client.public_url;
    let Some(return_to) = return_to.filter(|r| !r.is_empty()) else { return Ok(public.to_string()) };
    if return_to.len() > MAX_RETURN_TO {
        return Err(AppError::BadRequest(format!("return_to is longer than {MAX_RETURN_TO} characters")));
    }
    match public.join(return_to) {
        Ok(url) if url.origin() == public.origin() => Ok(url.to_string()),
        _ => Err(AppError::BadRequest(format!(
            "return_to must be a path or an address of this chat ({}), not another site",
            public.origin().ascii_serialization()
        ))),
    }
}

/// `address` (an address of this chat, else its root) with `auth_error=<code>` added.
fn failed(address: &str, client: &OidcClient, code: &str) -> Redirect {
    let mut url = url::Url::parse(address).unwrap_or_else(|_| client.public_url.clone());
    url.query_pairs_mut().append_pair("auth_error", code);
    Redirect::to(url.as_str())
}

/// Starts the browser sign-in with the school's account: sends the browser to the provider.
#[utoipa::path(get, path = "/api/auth/login", tag = "session", params(LoginQuery), security(()),
    responses(
        (status = 303, description = "to the provider's sign-in page (or back to `return_to` with `auth_error=sign_in_failed` when the provider cannot be reached)"),
        (status = 400, body = ErrorBody, description = "`return_to` is on another site"),
        (status = 404, body = ErrorBody, description = "signing in with the school's account is not configured")))]
#[tracing::instrument(skip_all)]
pub async fn login(
    State(state): State<AuthState>,
    jar: CookieJar,
    QueryParams(query): QueryParams<LoginQuery>,
) -> Result<(CookieJar, Redirect)> {
    let (oidc, client) = sign_in(&state)?;
    let return_to = own_address(query.return_to.as_deref(), client)?;
    let snapshot = match oidc.provider.current().await {
        Ok(snapshot) => snapshot,
        Err(_) => return Ok((jar, failed(&return_to, client, "sign_in_failed"))),
    };
    let Ok(core) = core_client(&snapshot, client) else {
        return Ok((jar, failed(&return_to, client, "sign_in_failed")));
    };
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, csrf, nonce) = core
        .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
        .add_scope(Scope::new("email".into()))
        .add_scope(Scope::new("profile".into()))
        .set_pkce_challenge(challenge)
        .url();
    let pending = Pending {
        state: csrf.secret().clone(),
        nonce: nonce.secret().clone(),
        verifier: verifier.secret().clone(),
        return_to,
    };
    let sealed = state.keys.seal(Purpose::SignIn, &pending, FLOW_TTL)?;
    Ok((
        jar.add(credential_cookie(FLOW_COOKIE, sealed, client.secure(), "/api/auth", FLOW_TTL)),
        Redirect::to(url.as_str()),
    ))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CallbackQuery {
    /// The authorization code.
    pub code: Option<String>,
    /// The sign-in's state, as this chat gave it to the provider.
    pub state: Option<String>,
    /// The provider's error (`access_denied`, …) instead of a code.
    pub error: Option<String>,
}

/// Where the provider sends the browser back: sets the session cookie, then back to `return_to`.
#[utoipa::path(get, path = "/api/auth/callback", tag = "session", params(CallbackQuery), security(()),
    responses(
        (status = 303, description = "signed in: to `return_to` with the session cookie; or not: to `return_to` with `auth_error` = `unknown_user`, `sign_in_denied` or `sign_in_failed`"),
        (status = 404, body = ErrorBody, description = "signing in with the school's account is not configured")))]
#[tracing::instrument(skip_all)]
pub async fn callback(
    State(state): State<AuthState>,
    peer: Option<axum::Extension<crate::peer::Peer>>,
    headers: axum::http::HeaderMap,
    jar: CookieJar,
    QueryParams(query): QueryParams<CallbackQuery>,
) -> Result<(CookieJar, Redirect)> {
    let (oidc, client) = sign_in(&state)?;
    let flow = cookie_name(FLOW_COOKIE, client.secure());
    let pending: Option<Pending> = jar.get(&flow).and_then(|c| state.keys.open(Purpose::SignIn, c.value()));
    let jar = jar.add(cleared_cookie(FLOW_COOKIE, client.secure(), "/api/auth"));
    let Some(pending) = pending else {
        tracing::warn!("sign-in refused: no sign-in in progress in this browser (its cookie is missing or expired)");
        return Ok((jar, failed(client.public_url.as_str(), client, "sign_in_failed")));
    };
    if query.state.as_deref() != Some(pending.state.as_str()) {
        tracing::warn!("sign-in refused: the state the provider sent back is not this browser's");
        return Ok((jar, failed(&pending.return_to, client, "sign_in_failed")));
    }
    // One flow, one sign-in: a copy of its cookie replayed with another code finds it spent.
    if !spend(&state, &pending.state).await? {
        tracing::warn!("sign-in refused: this sign-in came back before (its cookie was replayed)");
        return Ok((jar, failed(&pending.return_to, client, "sign_in_failed")));
    }
    let user = match signed_in(&state, oidc, client, &query, &pending).await {
        Ok(user) => user,
        Err(code) => return Ok((jar, failed(&pending.return_to, client, code))),
    };
    // The email's owner as the replicas know them now (a deactivation makes each forget them).
    if matches!(state.users.get(&state.db, user).await?, crate::auth::users::Lookup::Deactivated) {
        tracing::info!(user_id = user, "sign-in refused: the account is deactivated");
        return Ok((jar, failed(&pending.return_to, client, "sign_in_denied")));
    }
    let device = crate::auth::renewal::Device::of(&headers, peer.map(|p| p.0.0.ip()), &state);
    let issued = crate::auth::renewal::start(&state, user, Some(VIA_OIDC), client.session_ttl, &device).await?;
    tracing::info!(user_id = user, "signed in with the school's account");
    let jar = crate::auth::renewal::set_cookies(jar, &state, issued, client.secure());
    Ok((jar, Redirect::to(&pending.return_to)))
}

/// Spends the flow whose state is `flow_state` (`spent_sign_ins`, on the primary, so on every
/// replica at once): whether this was its first time back.
async fn spend(state: &AuthState, flow_state: &str) -> Result<bool> {
    use sha2::Digest;
    let hash = sha2::Sha256::digest(flow_state.as_bytes()).to_vec();
    let until = time::OffsetDateTime::now_utc() + FLOW_TTL;
    let row = state.db.get().await?.query_one("SELECT sign_in_spend($1, $2)", &[&hash, &until]).await?;
    Ok(row.get::<_, Option<bool>>(0).unwrap_or(false))
}

/// The user a callback signs in, or the `auth_error` to go back with (the cause is logged).
async fn signed_in(
    state: &AuthState,
    oidc: &Oidc,
    client: &OidcClient,
    query: &CallbackQuery,
    pending: &Pending,
) -> Result<i64, &'static str> {
    if let Some(error) = &query.error {
        tracing::info!(error = error.chars().take(100).collect::<String>(), "the provider did not sign the person in");
        let denied =
            matches!(error.as_str(), "access_denied" | "login_required" | "consent_required" | "interaction_required");
        return Err(if denied { "sign_in_denied" } else { "sign_in_failed" });
    }
    let Some(code) = &query.code else {
        tracing::warn!("sign-in refused: the provider sent neither a code nor an error");
        return Err("sign_in_failed");
    };
    let fail = |what: &str, e: &dyn std::fmt::Display| {
        tracing::warn!("sign-in failed: {what}: {e}");
        "sign_in_failed"
    };
    let snapshot =
        oidc.provider.current().await.map_err(|e| fail("the provider cannot be reached", &format!("{e:?}")))?;
    let core = core_client(&snapshot, client).map_err(|e| fail("the provider's metadata", &e))?;
    let client_of_provider = oidc.provider.http().clone();
    let http = move |request| {
        let client = client_of_provider.clone();
        async move { super::provider::send(&client, request).await }
    };
    let response = core
        .exchange_code(AuthorizationCode::new(code.clone()))
        .map_err(|e| fail("the provider has no token endpoint", &e))?
        .set_pkce_verifier(PkceCodeVerifier::new(pending.verifier.clone()))
        .request_async(&http)
        .await
        .map_err(|e| fail("exchanging the code", &e))?;
    let id_token = response.id_token().ok_or_else(|| fail("the token response", &"it has no ID token"))?;
    let nonce = Nonce::new(pending.nonce.clone());
    if let Err(first) = id_token.claims(&core.id_token_verifier(), &nonce) {
        // Perhaps signed with a key published since the keys were fetched: fetch them again
        // (rate-limited, as for bearer tokens) and verify once more.
        let kid = Peeked::of(&id_token.to_string()).ok().and_then(|p| p.kid);
        let fresh = match oidc.provider.key(kid.as_deref()).await {
            Ok(Some((_, fresh))) if !std::sync::Arc::ptr_eq(&fresh, &snapshot) => fresh,
            _ => return Err(fail("verifying the ID token", &first)),
        };
        let core = core_client(&fresh, client).map_err(|e| fail("the provider's metadata", &e))?;
        id_token.claims(&core.id_token_verifier(), &nonce).map_err(|e| fail("verifying the ID token", &e))?;
    }
    // Verified: its claims, all of them, for the claim that names the person.
    let claims: Map<String, Value> =
        super::segment(&id_token.to_string(), 1).ok_or_else(|| fail("the ID token's claims", &"not a JSON object"))?;
    oidc.user_of(&state.db, &claims).await.map_err(|e| match e.code() {
        Code::UnknownUser => {
            // Not the email itself: a log outlives what erasure and retention reach.
            tracing::info!("sign-in refused: the school's account names no single user of this chat, or is unverified");
            "unknown_user"
        }
        Code::AccountDeactivated => {
            tracing::info!("sign-in refused: the account is deactivated");
            "sign_in_denied"
        }
        _ => fail("finding the user", &e),
    })
}

/// `openidconnect`'s client for this chat: the provider's authorization endpoint, its token
/// endpoint (if it has one) and its keys.
type Client =
    CoreClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointMaybeSet, EndpointMaybeSet>;

/// [`Client`] from the metadata and keys the provider last gave.
fn core_client(snapshot: &Snapshot, client: &OidcClient) -> anyhow::Result<Client> {
    let metadata: CoreProviderMetadata = serde_json::from_value(snapshot.metadata.document.clone())?;
    let jwks: CoreJsonWebKeySet = serde_json::from_value(snapshot.jwks.clone())?;
    let secret = client.secret.as_ref().map(|s| ClientSecret::new(String::from_utf8_lossy(s.expose()).into_owned()));
    Ok(CoreClient::from_provider_metadata(metadata.set_jwks(jwks), ClientId::new(client.id.clone()), secret)
        .set_redirect_uri(RedirectUrl::new(client.redirect_uri())?))
}
