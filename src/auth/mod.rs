//! Who is calling: a JWT from the `Authorization: Bearer` header or from an HttpOnly cookie,
//! either signed with the shared secret (HS256: the school's own platform, and the sessions
//! this server starts) or by the school's OpenID Provider (`oidc`). The role that counts is
//! the one in `users`, never one claimed by the token.

mod callers;
mod cookies;
pub mod devices;
pub mod expected;
pub mod oidc;
pub mod origin;
pub mod renewal;
pub mod revoked;
pub mod routes;
pub mod sealed;
pub mod session;
pub mod tickets;
pub mod users;

use std::sync::Arc;

use axum::extract::{FromRef, FromRequestParts};
use axum::http::header;
use axum::http::request::Parts;
use axum_extra::extract::CookieJar;
use deadpool_postgres::Pool;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

pub use self::cookies::{GUEST_COOKIE, cleared_cookie, cookie_name, credential_cookie};
use self::oidc::{Oidc, Peeked};
pub use self::session::router;
use self::users::UserCache;
use crate::AppError;
use crate::config::{Config, JwtConfig};
use crate::error::Code;

/// What authentication needs from the application: the keys, who users are, the settings.
/// Any state it can be taken from (`FromRef`) can authenticate requests. One `Arc`, so that
/// taking it for a request costs one reference count, not one per part.
#[derive(Clone)]
pub struct AuthState(Arc<AuthParts>);

pub struct AuthParts {
    pub keys: Arc<Keys>,
    pub users: Arc<UserCache>,
    pub db: Pool,
    pub config: Arc<Config>,
    /// The school's OpenID Provider, when `OIDC_ISSUER` is set.
    pub oidc: Option<Arc<Oidc>>,
    /// Sessions signed out, which no replica accepts any more.
    pub revoked: Arc<revoked::Revoked>,
    /// The school's settings (whether messages may be edited, for `/api/me`).
    pub school: Arc<crate::school::Settings>,
}

impl AuthState {
    pub fn new(parts: AuthParts) -> Self {
        Self(Arc::new(parts))
    }
}

impl std::ops::Deref for AuthState {
    type Target = AuthParts;
    fn deref(&self) -> &AuthParts {
        &self.0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Student,
    Teacher,
    Admin,
    /// A visitor without an account, who opened an inquiry link: allowed exactly their chat.
    Guest,
    /// A parent or carer: reads the direct chats of the students they are linked to (an admin
    /// links them), writes nothing.
    Guardian,
}

// `users.role` decodes straight into a Role.
crate::db::text_column!(Role {
    Student => "student",
    Teacher => "teacher",
    Admin => "admin",
    Guest => "guest",
    Guardian => "guardian",
});

/// The claims this server reads. Others (`role`, `iat`, …) may be present and are ignored.
#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    /// The user's id, as a string.
    pub sub: String,
    pub exp: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
    /// How a session this server started began: `oidc` for a sign-in with the school's
    /// account (signing out then also ends the provider's session).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
    /// A session this server started: its id, which signing out revokes (`revoked`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
}

/// Whom a credential names, until when, and which of this server's sessions it is.
#[derive(Debug, Clone)]
pub struct Session {
    pub user: i64,
    /// Unix seconds.
    pub expires_at: u64,
    /// The session's id, for one this server started (None: a token it did not mint).
    pub sid: Option<String>,
}

/// Signing and verification keys with the validation rules, built once at start-up.
pub struct Keys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: Option<String>,
    audience: Option<String>,
    /// The keys of the values this server seals for itself, one per purpose.
    sealer: sealed::Sealer,
}

impl Keys {
    pub fn new(config: &JwtConfig) -> Self {
        let mut validation = Validation::new(Algorithm::HS256); // the only algorithm accepted
        validation.leeway = 5;
        validation.validate_nbf = true;
        let mut required = vec!["exp", "sub"];
        match &config.issuer {
            Some(iss) => {
                validation.set_issuer(&[iss]);
                required.push("iss");
            }
            None => validation.iss = None,
        }
        match &config.audience {
            Some(aud) => {
                validation.set_audience(&[aud]);
                required.push("aud");
            }
            None => validation.validate_aud = false,
        }
        validation.set_required_spec_claims(&required);
        Self {
            encoding: EncodingKey::from_secret(config.secret.expose()),
            decoding: DecodingKey::from_secret(config.secret.expose()),
            validation,
            issuer: config.issuer.clone(),
            audience: config.audience.clone(),
            sealer: sealed::Sealer::new(config.secret.expose()),
        }
    }

    /// Verifies a token signed with the shared secret; answers its claims. A token whose
    /// audience is one of this server's own purposes (`sealed`) is no session, whatever
    /// `JWT_AUDIENCE` says: those are signed with keys of their own, and older builds' with
    /// this one.
    pub fn verify_claims(&self, token: &str) -> Result<Claims, AppError> {
        let claims = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|e| refusal(&e, "HS256 with the shared secret"))?
            .claims;
        if claims.aud.as_deref().is_some_and(sealed::is_internal_audience) {
            return Err(AppError::Unauthorized("this token is not a session token".into()));
        }
        Ok(claims)
    }

    /// Verifies a token signed with the shared secret; answers the session it is.
    pub fn verify(&self, token: &str) -> Result<Session, AppError> {
        let claims = self.verify_claims(token)?;
        let user =
            claims.sub.parse().map_err(|_| AppError::Unauthorized("token subject (sub) is not a user id".into()))?;
        Ok(Session { user, expires_at: claims.exp, sid: claims.sid })
    }

    /// Mints a session token for `user_id`, valid for `ttl`: the dev login's, and a sign-in's
    /// with the school's account (`via`).
    pub fn mint(&self, user_id: i64, ttl: std::time::Duration, via: Option<&str>) -> anyhow::Result<String> {
        let exp = jsonwebtoken::get_current_timestamp() + ttl.as_secs();
        self.mint_session(user_id, exp, via, &revoked::new_sid())
    }

    /// Mints a token of session `sid` (`renewal`: each renewal's has the same), expiring at
    /// `exp` (Unix seconds).
    pub fn mint_session(&self, user_id: i64, exp: u64, via: Option<&str>, sid: &str) -> anyhow::Result<String> {
        let claims = Claims {
            sub: user_id.to_string(),
            exp,
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            via: via.map(str::to_owned),
            sid: Some(sid.to_owned()),
        };
        Ok(jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)?)
    }

    /// Signs `value` for this server alone, for `purpose`, with that purpose's own key; valid
    /// for `ttl`.
    pub fn seal(
        &self,
        purpose: sealed::Purpose,
        value: &impl Serialize,
        ttl: std::time::Duration,
    ) -> anyhow::Result<String> {
        self.sealer.seal(purpose, value, ttl)
    }

    /// What [`Keys::seal`] sealed for `purpose`, if it is intact and not expired.
    pub fn open<T: serde::de::DeserializeOwned>(&self, purpose: sealed::Purpose, sealed: &str) -> Option<T> {
        self.sealer.open(purpose, sealed)
    }
}

/// A token that failed verification, as the caller is told: what is wrong, never a key.
pub(crate) fn refusal(e: &jsonwebtoken::errors::Error, signed_with: &str) -> AppError {
    let refused = AppError::Unauthorized(match e.kind() {
        ErrorKind::ExpiredSignature => "token has expired".to_owned(),
        ErrorKind::ImmatureSignature => "token is not valid yet (nbf)".to_owned(),
        ErrorKind::InvalidSignature => "token signature is invalid".to_owned(),
        ErrorKind::InvalidAlgorithm => format!("token must be signed with {signed_with}"),
        ErrorKind::InvalidIssuer => "token issuer (iss) is not accepted".to_owned(),
        ErrorKind::InvalidAudience => "token audience (aud) is not accepted".to_owned(),
        ErrorKind::MissingRequiredClaim(claim) => format!("token has no {claim} claim"),
        _ => "token is malformed".to_owned(),
    });
    if matches!(e.kind(), ErrorKind::ExpiredSignature) { refused.with_code(Code::TokenExpired) } else { refused }
}

impl AuthParts {
    /// The user a token names and when it expires, whichever way it was signed: the shared
    /// secret's HS256, or the school's OpenID Provider's keys.
    pub async fn verify(&self, token: &str) -> Result<Session, AppError> {
        let peeked = Peeked::of(token)?;
        if peeked.is_shared_secret() {
            return self.keys.verify(token);
        }
        let Some(oidc) = &self.oidc else {
            return Err(AppError::Unauthorized(match peeked.alg.as_str() {
                "none" => "unsigned tokens (alg none) are not accepted".to_owned(),
                alg => format!(
                    "token is signed with {:?}, but this server accepts only HS256 with its shared secret (no OpenID Provider is configured)",
                    alg.chars().take(16).collect::<String>()
                ),
            }));
        };
        let claims = oidc.claims(token, &peeked, &oidc.config().audience).await?;
        let expires_at = claims.get("exp").and_then(serde_json::Value::as_u64).unwrap_or_default();
        Ok(Session { user: oidc.user_of(&self.db, &claims).await?, expires_at, sid: None })
    }
}

/// How the caller presented its token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credential {
    Bearer,
    Cookie,
    /// A stream ticket in the query (`tickets`), on the routes that take one.
    Ticket,
    /// A token in the query (`?token=<JWT>`), on the same routes: `EventSource` and a browser's
    /// `WebSocket` can send no header. Reusable while valid, as a reconnecting client needs.
    Query,
    /// A marketplace visitor's UUID (`?user_id=`), on that dialect's routes: it stands for the
    /// guest their chat was opened with (`api::dialects::marketplace`).
    Visitor,
}

/// An authenticated caller, with the role the database gives it.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub id: i64,
    pub name: String,
    pub role: Role,
    pub credential: Credential,
    /// The token's `exp` (Unix seconds): an event stream closes then.
    pub expires_at: u64,
    /// The session's id, for one this server started: signing it out ends its streams too.
    pub session: Option<String>,
    /// A guest's inquiry link: its guests share one allowance of event streams.
    pub link: Option<i64>,
    /// Suspended by a moderator: reads, writes nothing (refused here for what is not an event
    /// of the log, by the log for what is).
    pub suspended: Option<users::Suspension>,
}

impl AuthUser {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}

fn token<'a>(parts: &'a Parts, jar: &'a CookieJar, base: &str) -> Result<(&'a str, Credential), AppError> {
    if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
        let value = value.to_str().unwrap_or_default();
        return match value.split_once(' ') {
            Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() => {
                Ok((token.trim(), Credential::Bearer))
            }
            _ => Err(AppError::Unauthorized("Authorization header must be `Bearer <token>`".into())),
        };
    }
    let secure = origin::request_scheme(&parts.headers) == "https";
    let (session, guest) = (cookie_name(base, secure), cookie_name(GUEST_COOKIE, secure));
    match jar.get(&session).or_else(|| jar.get(&guest)) {
        Some(cookie) => Ok((cookie.value(), Credential::Cookie)),
        // The browser dropped the token's cookie when it ran out, and kept the session's
        // refresh credential: the token expired, and the session may be renewed.
        None if jar.get(&renewal::refresh_cookie_name(secure)).is_some() => {
            Err(AppError::Unauthorized("the session's token has run out: renew it (POST /api/sessions/refresh)".into())
                .with_code(Code::TokenExpired))
        }
        None => Err(AppError::Unauthorized(format!(
            "authentication required: send `Authorization: Bearer <token>` or the {session} cookie"
        ))),
    }
}

impl<S> FromRequestParts<S> for AuthUser
where
    AuthState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AuthState::from_ref(state);
        let jar = CookieJar::from_headers(&parts.headers);
        // A token in the query, where the route takes one and no header says otherwise: a
        // token (a JWT has dots) or a single-use stream ticket (which has none).
        let in_query = match parts.extensions.get::<routes::TicketRoute>() {
            Some(_) if !parts.headers.contains_key(header::AUTHORIZATION) => tickets::in_query(parts.uri.query()),
            _ => None,
        };
        let (session, credential) = match in_query {
            Some(token) if token.contains('.') => (state.verify(token).await?, Credential::Query),
            Some(ticket) => (tickets::redeem(&state.db, ticket).await?, Credential::Ticket),
            None => {
                let (token, credential) = token(parts, &jar, &state.config.auth.cookie_name)?;
                if credential == Credential::Cookie && parts.extensions.get::<routes::NoCookieRoute>().is_some() {
                    return Err(AppError::Unauthorized(
                        "this route takes a token (Authorization: Bearer <token>), not the session cookie".into(),
                    ));
                }
                (state.verify(token).await?, credential)
            }
        };
        Self::of_session(&state, parts, session, credential).await
    }
}
