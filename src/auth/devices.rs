//! A person's signed-in devices over HTTP: renewing this device's session
//! (`POST /api/sessions/refresh`), listing them all (`GET /api/sessions`), signing one out
//! (`DELETE /api/sessions/{id}`); every one is `session`'s (`DELETE /api/sessions`, a sign-out
//! everywhere). How sessions renew and end is `renewal`'s.

use axum::extract::{FromRef, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{delete, get, post};
use axum::{Extension, Json, Router};
use axum_extra::extract::CookieJar;
use serde::Serialize;

use super::renewal::{self, Device, Ending};
use super::{AuthState, AuthUser};
use crate::error::ErrorBody;
use crate::peer::Peer;
use crate::{AppError, Result};

/// The routes: open to suspended people too (signing out is not a message), not to guests.
pub fn router<S>() -> Router<S>
where
    AuthState: FromRef<S>,
    S: Clone + Send + Sync + 'static,
{
    super::routes::for_suspended(
        Router::new()
            .route("/api/sessions/refresh", post(refresh_session))
            .route("/api/sessions", get(list_sessions))
            .route("/api/sessions/{id}", delete(end_session)),
    )
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Renewal {
    /// When the new token expires: renew again then (never past the session's `ends_at`).
    #[serde(with = "time::serde::rfc3339")]
    pub session_expires_at: time::OffsetDateTime,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SignedInDevice {
    /// The session's id (for `DELETE /api/sessions/{id}`).
    pub id: String,
    /// Its browser and system, as its `User-Agent` named them when it last renewed
    /// (`Chrome · Android`; `unknown device`).
    pub device: String,
    /// The address it last renewed from (null: not known).
    pub address: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub signed_in_at: time::OffsetDateTime,
    /// When it last renewed its token (at least once per token's lifetime while used).
    #[serde(with = "time::serde::rfc3339")]
    pub last_used_at: time::OffsetDateTime,
    /// When it ends whatever happens (`SESSION_MAX_AGE_SECS` after signing in).
    #[serde(with = "time::serde::rfc3339")]
    pub ends_at: time::OffsetDateTime,
    /// Whether it is the session this request came with.
    pub current: bool,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SignedInDevices {
    /// Most recently used first.
    pub sessions: Vec<SignedInDevice>,
}

fn secure(headers: &HeaderMap) -> bool {
    super::origin::request_scheme(headers) == "https"
}

/// Renews this device's session with its refresh cookie: a new token (its cookie) and a new
/// refresh credential (its cookie, rotated).
#[utoipa::path(post, path = "/api/sessions/refresh", tag = "session", security(()),
    responses(
        (status = 200, body = Renewal, description = "renewed: both cookies are set anew",
            headers(("Set-Cookie" = String, description = "the session's new token, and its new refresh credential (HttpOnly, `SameSite=Strict`)"))),
        (status = 401, body = ErrorBody, description = "no refresh credential, or its session ended (`session_ended`: signed out, reached `SESSION_MAX_AGE_SECS`, or its credential was used twice, which ends it everywhere) or the account was deactivated (`account_deactivated`)"),
        (status = 403, body = ErrorBody, description = "from another site's page (`cross_site_request`)")))]
#[tracing::instrument(skip_all)]
pub async fn refresh_session(
    State(state): State<AuthState>,
    peer: Option<Extension<Peer>>,
    headers: HeaderMap,
    jar: CookieJar,
) -> Result<(CookieJar, Json<Renewal>)> {
    let secure = secure(&headers);
    let Some(presented) = jar.get(&renewal::refresh_cookie_name(secure)).map(|c| c.value().to_owned()) else {
        return Err(AppError::Unauthorized(format!(
            "no refresh credential (the {} cookie): sign in",
            renewal::refresh_cookie_name(secure)
        )));
    };
    // A cookie-authenticated write: from the chat's own pages only.
    super::origin::check(&headers, &state.config.auth.allowed_origins)?;
    let device = Device::of(&headers, peer.map(|p| p.0.0.ip()), &state);
    let issued = renewal::renew(&state, &presented, &device).await?;
    let session_expires_at = renewal::at(issued.expires_at);
    Ok((renewal::set_cookies(jar, &state, issued, secure), Json(Renewal { session_expires_at })))
}

/// The caller's signed-in devices: every session of theirs that has not ended.
#[utoipa::path(get, path = "/api/sessions", tag = "session",
    responses((status = 200, body = SignedInDevices), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = user.id))]
pub async fn list_sessions(State(state): State<AuthState>, user: AuthUser) -> Result<Json<SignedInDevices>> {
    let rows = state
        .db
        .get()
        .await?
        .query(
            "SELECT sid, device, host(address), started_at, last_used_at, ends_at FROM sessions
             WHERE user_id = $1 AND ended_at IS NULL AND ends_at > now()
             ORDER BY last_used_at DESC, started_at DESC",
            &[&user.id],
        )
        .await?;
    let sessions = rows
        .iter()
        .map(|r| SignedInDevice {
            current: user.session.as_deref() == Some(r.get::<_, &str>(0)),
            id: r.get(0),
            device: r.get(1),
            address: r.get(2),
            signed_in_at: r.get(3),
            last_used_at: r.get(4),
            ends_at: r.get(5),
        })
        .collect();
    Ok(Json(SignedInDevices { sessions }))
}

/// Signs one of the caller's devices out: its tokens are refused on every replica at once, its
/// streams end, and it renews no more. The caller's own: its cookies are cleared too.
#[utoipa::path(delete, path = "/api/sessions/{id}", tag = "session",
    params(("id" = String, Path, description = "the session's id, as `GET /api/sessions` lists it")),
    responses((status = 204, description = "signed out"), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "no live session of the caller's has this id")))]
#[tracing::instrument(skip_all, fields(user_id = user.id))]
pub async fn end_session(
    State(state): State<AuthState>,
    user: AuthUser,
    headers: HeaderMap,
    jar: CookieJar,
    Path(id): Path<String>,
) -> Result<(CookieJar, StatusCode)> {
    if renewal::end(&state, Ending::Own { user: user.id, sid: &id }, "ended_by_owner").await?.is_empty() {
        return Err(AppError::NotFound("you have no signed-in device with this id".into()));
    }
    tracing::info!("a device was signed out by its owner");
    let jar = if user.session.as_deref() == Some(id.as_str()) { cleared(&state, &headers, jar) } else { jar };
    Ok((jar, StatusCode::NO_CONTENT))
}

/// `jar` with this browser's session and refresh cookies removed.
fn cleared(state: &AuthState, headers: &HeaderMap, jar: CookieJar) -> CookieJar {
    let secure = secure(headers);
    jar.add(super::cleared_cookie(&state.config.auth.cookie_name, secure, "/"))
        .add(renewal::cleared_refresh_cookie(secure))
}
