//! Session endpoints for browsers: who am I, log out, and — in demo/dev mode only — log in
//! as a demo user by email. In production the school's own login sets the cookie.

use axum::extract::{FromRef, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use axum_extra::extract::CookieJar;
use serde::{Deserialize, Serialize};

use super::{AuthState, AuthUser, Role};
use crate::error::{CLEAR_SITE_DATA, ErrorBody, FORGET_THIS_DEVICE};
use crate::extract::JsonBody;
use crate::{AppError, Result};

/// `/api/me`, `/api/logout` and the dev-login endpoints, for any state that can authenticate.
pub fn router<S>() -> Router<S>
where
    AuthState: FromRef<S>,
    S: Clone + Send + Sync + 'static,
{
    let everyone = Router::new().route("/api/me", get(me));
    let leaving = super::routes::for_suspended(Router::new().route("/api/logout", post(logout)));
    // Signing out everywhere is a person's: a guest has one session, and leaves by logging out.
    let everywhere = super::routes::for_suspended(Router::new().route("/api/sessions", delete(logout_everywhere)));
    super::routes::for_guests(everyone.merge(leaving))
        .merge(everywhere)
        .route("/api/dev/login", post(dev_login))
        .route("/api/dev/users", get(dev_users))
        .merge(super::oidc::flow::router())
        .merge(super::devices::router())
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UserProfile {
    pub id: i64,
    pub name: String,
    pub role: Role,
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MeResponse {
    pub user: UserProfile,
    /// Suspended by a moderator: the caller reads, writes nothing (null: not suspended).
    #[serde(default)]
    pub suspended: Option<super::users::Suspension>,
    /// Whether this school lets authors edit their messages (`MESSAGE_EDITING`); deleting is
    /// always allowed.
    pub message_editing: bool,
    /// When the caller's session ends (its token's `exp`): a device that keeps the person's
    /// chats for reading offline opens them no later than this.
    #[serde(with = "time::serde::rfc3339")]
    pub session_expires_at: time::OffsetDateTime,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct DevLoginRequest {
    pub email: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DevUser {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DevUsers {
    pub users: Vec<DevUser>,
}

/// The caller's own profile.
#[utoipa::path(get, path = "/api/me", tag = "session",
    responses((status = 200, body = MeResponse), (status = 401, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = user.id))]
pub async fn me(State(state): State<AuthState>, user: AuthUser) -> Json<MeResponse> {
    Json(MeResponse {
        user: UserProfile { id: user.id, name: user.name, role: user.role },
        suspended: user.suspended,
        message_editing: state.school.message_editing(),
        session_expires_at: super::renewal::at(user.expires_at),
    })
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LogoutResponse {
    /// The school's OpenID Provider's sign-out page: the session came from signing in with
    /// the school's account, and the browser goes there so that the provider's session ends
    /// too (it comes back to the chat afterwards).
    pub end_session_url: String,
}

/// Clears the session cookie (and a guest's), and tells the browser to forget what it kept
/// of the person (`Clear-Site-Data`).
#[utoipa::path(post, path = "/api/logout", tag = "session", security(()),
    responses(
        (status = 200, body = LogoutResponse, description = "the session cookie is cleared; the browser should now go to `end_session_url`",
            headers(("Clear-Site-Data" = String, description = "`\"cache\", \"storage\"`: the browser forgets its cache and what the site stored"))),
        (status = 204, description = "the session cookie is cleared",
            headers(("Clear-Site-Data" = String, description = "`\"cache\", \"storage\"`: the browser forgets its cache and what the site stored"))),
        (status = 403, body = ErrorBody)))]
#[tracing::instrument(skip_all)]
pub async fn logout(State(state): State<AuthState>, headers: HeaderMap, jar: CookieJar) -> Result<Response> {
    let secure = super::origin::request_scheme(&headers) == "https";
    let base = &state.config.auth.cookie_name;
    let (name, guest) = (super::cookie_name(base, secure), super::cookie_name(super::GUEST_COOKIE, secure));
    // A cross-site page must not be able to sign a user (or a guest) out either.
    if jar.get(&name).is_some() || jar.get(&guest).is_some() {
        super::origin::check(&headers, &state.config.auth.allowed_origins)?;
    }
    // The session ends on every replica, not only in this browser: a copy of the cookie is
    // refused from now on, and it renews no more.
    if let Some(claims) = jar.get(&name).and_then(|cookie| state.keys.verify_claims(cookie.value()).ok())
        && let Some(sid) = &claims.sid
    {
        super::revoked::revoke(&state.db, sid, claims.exp).await?;
        state.revoked.insert(sid.clone(), claims.exp); // here at once; the others as they hear it
        super::renewal::end(&state, super::renewal::Ending::Session(sid), "signed_out").await?;
        tracing::info!("signed out: the session is revoked on every replica");
    }
    // A token that ran out leaves the refresh credential to say which session this was.
    let refresh = jar.get(&super::renewal::refresh_cookie_name(secure)).map(|c| c.value().to_owned());
    if let Some(refresh) = refresh
        && let Some(sid) = super::renewal::session_of(&state, &refresh).await?
    {
        super::renewal::end(&state, super::renewal::Ending::Session(&sid), "signed_out").await?;
    }
    let end_session_url = jar.get(&name).and_then(|cookie| end_session_url(&state, cookie.value()));
    let jar = jar
        .add(super::cleared_cookie(base, secure, "/"))
        .add(super::cleared_cookie(super::GUEST_COOKIE, secure, "/"))
        .add(super::renewal::cleared_refresh_cookie(secure));
    // A shared device keeps nothing of the person: what the web app deletes itself, and the
    // HTTP cache it cannot reach.
    let forget = [(CLEAR_SITE_DATA, HeaderValue::from_static(FORGET_THIS_DEVICE))];
    Ok(match end_session_url {
        Some(end_session_url) => (jar, forget, Json(LogoutResponse { end_session_url })).into_response(),
        None => (jar, forget, StatusCode::NO_CONTENT).into_response(),
    })
}

/// Signs every one of the caller's devices out, this one too: each is refused on every replica
/// at once and renews no more; then this browser signs out as with `POST /api/logout`.
#[utoipa::path(delete, path = "/api/sessions", tag = "session",
    responses(
        (status = 200, body = LogoutResponse, description = "signed out everywhere; this session came from signing in with the school's account, and the browser should now go to `end_session_url`",
            headers(("Clear-Site-Data" = String, description = "`\"cache\", \"storage\"`: the browser forgets its cache and what the site stored"))),
        (status = 204, description = "signed out everywhere, and this browser's cookies cleared",
            headers(("Clear-Site-Data" = String, description = "`\"cache\", \"storage\"`: the browser forgets its cache and what the site stored"))),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = user.id))]
pub async fn logout_everywhere(
    State(state): State<AuthState>,
    user: AuthUser,
    headers: HeaderMap,
    jar: CookieJar,
) -> Result<Response> {
    let ended = super::renewal::end(&state, super::renewal::Ending::AllOf(user.id), "ended_by_owner").await?;
    tracing::info!(sessions = ended.len(), "signed out everywhere");
    logout(State(state), headers, jar).await
}

/// The provider's RP-initiated logout for a session that a sign-in with the school's account
/// started, when the provider offers one (`end_session_endpoint`).
fn end_session_url(state: &AuthState, token: &str) -> Option<String> {
    let claims = state.keys.verify_claims(token).ok()?;
    let oidc = state.oidc.as_ref()?;
    let client = oidc.config().client.as_ref()?;
    if claims.via.as_deref() != Some(super::oidc::flow::VIA_OIDC) {
        return None;
    }
    let endpoint = oidc.provider.snapshot()?.metadata.end_session_endpoint.clone()?;
    let mut url = url::Url::parse(&endpoint).ok()?;
    url.query_pairs_mut()
        .append_pair("client_id", &client.id)
        .append_pair("post_logout_redirect_uri", client.public_url.as_str());
    Some(url.into())
}

fn require_dev(state: &AuthState) -> Result<()> {
    if state.config.auth.dev_login {
        Ok(())
    } else {
        Err(AppError::Forbidden("dev login is disabled on this server (it is for demo and development only)".into()))
    }
}

/// Demo/dev mode only: sets the session cookie for the user with this email.
#[utoipa::path(post, path = "/api/dev/login", tag = "session", request_body = DevLoginRequest, security(()),
    responses((status = 200, body = MeResponse), (status = 401, body = ErrorBody, description = "the account is deactivated"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[tracing::instrument(skip_all)]
pub async fn dev_login(
    State(state): State<AuthState>,
    peer: Option<axum::Extension<crate::peer::Peer>>,
    headers: HeaderMap,
    jar: CookieJar,
    JsonBody(body): JsonBody<DevLoginRequest>,
) -> Result<(CookieJar, Json<MeResponse>)> {
    require_dev(&state)?;
    let missing = || AppError::NotFound(format!("no user with email {:?}", body.email));
    if body.email.contains('\0') {
        return Err(missing()); // no email holds it, and PostgreSQL's text cannot
    }
    let client = state.db.get().await?;
    let row = client
        .query_opt(
            "SELECT id, name, role, deactivated_at IS NOT NULL AS deactivated FROM users WHERE lower(email) = lower($1)",
            &[&body.email.trim()],
        )
        .await?
        .ok_or_else(missing)?;
    if row.get("deactivated") {
        return Err(AppError::Unauthorized(format!("the account of {:?} has been deactivated", body.email))
            .with_code(crate::error::Code::AccountDeactivated));
    }
    let user = UserProfile { id: row.get("id"), name: row.get("name"), role: row.try_get("role")? };
    tracing::info!(user_id = user.id, "signed in with dev login");
    let device = super::renewal::Device::of(&headers, peer.map(|p| p.0.0.ip()), &state);
    let issued = super::renewal::start(&state, user.id, None, state.config.auth.jwt.dev_token_ttl, &device).await?;
    // Secure over HTTPS, as nginx reports it.
    let secure = super::origin::request_scheme(&headers) == "https";
    let session_expires_at = super::renewal::at(issued.expires_at);
    let editing = state.school.message_editing();
    let jar = super::renewal::set_cookies(jar, &state, issued, secure);
    Ok((jar, Json(MeResponse { user, suspended: None, message_editing: editing, session_expires_at })))
}

/// Demo/dev mode only: the users one can log in as.
#[utoipa::path(get, path = "/api/dev/users", tag = "session", security(()),
    responses((status = 200, body = DevUsers), (status = 403, body = ErrorBody)))]
#[tracing::instrument(skip_all)]
pub async fn dev_users(State(state): State<AuthState>) -> Result<Json<DevUsers>> {
    require_dev(&state)?;
    let client = state.db.get().await?;
    let rows = client
        .query("SELECT id, email, name, role FROM users WHERE role <> 'guest' ORDER BY role, name, id", &[])
        .await?;
    let users = rows
        .iter()
        .map(|r| Ok(DevUser { id: r.get("id"), email: r.get("email"), name: r.get("name"), role: r.try_get("role")? }))
        .collect::<Result<_, tokio_postgres::Error>>()?;
    Ok(Json(DevUsers { users }))
}
