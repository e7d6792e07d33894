//! Web Push subscriptions: the school's public VAPID key, and a person's browsers subscribing
//! and unsubscribing (several per person; guests none: the extractor confines them to their
//! inquiry). What is pushed, and when, is `crate::outbox::push`'s.

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use serde::{Deserialize, Serialize};

use crate::auth::AuthUser;
use crate::error::{Code, ErrorBody};
use crate::extract::JsonBody;
use crate::limits::Limited;
use crate::outbox::push::wire::keys_valid;
use crate::{AppError, AppState, Result};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/push/vapid-public-key", get(vapid_public_key)).merge(crate::access::for_suspended(
        Router::new().route("/api/push/subscriptions", axum::routing::post(subscribe).delete(unsubscribe)),
    ))
}

/// The longest endpoint URL accepted (push services' are a few hundred characters).
const MAX_ENDPOINT_CHARS: usize = 2048;

/// Browsers a person may have subscribed at once; a newer one replaces the oldest.
const MAX_SUBSCRIPTIONS: i64 = 10;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct VapidPublicKey {
    /// The school's VAPID public key: an uncompressed P-256 point (65 bytes) in unpadded
    /// base64url, for `pushManager.subscribe({applicationServerKey})`.
    pub public_key: String,
}

/// A browser's subscription, as `PushSubscription.toJSON()` gives it.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct PushSubscription {
    /// The push service's URL for this browser.
    pub endpoint: String,
    /// When the browser will drop it (milliseconds since 1970), if it says.
    #[serde(default, rename = "expirationTime")]
    #[allow(dead_code)] // accepted, not kept: a push service answers 410 once it has passed
    pub expiration_time: Option<f64>,
    pub keys: PushKeys,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct PushKeys {
    /// The browser's P-256 public key (65 bytes, base64url).
    pub p256dh: String,
    /// Its authentication secret (16 bytes, base64url).
    pub auth: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Subscribed {
    pub id: i64,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct Unsubscribe {
    /// The subscription's endpoint.
    pub endpoint: String,
}

/// The key browsers subscribe with; 404 `push_disabled` when the school has not set one up.
#[utoipa::path(get, path = "/api/push/vapid-public-key", tag = "push",
    responses((status = 200, body = VapidPublicKey), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody, description = "Web Push is not configured (push_disabled)")))]
pub async fn vapid_public_key(State(state): State<AppState>, _user: AuthUser) -> Result<Json<VapidPublicKey>> {
    let vapid = enabled(&state)?;
    Ok(Json(VapidPublicKey { public_key: vapid.public_key.clone() }))
}

/// Subscribes a browser of the caller's (again: the same endpoint becomes the caller's if it was
/// someone else's, as when two people share a computer, provided it comes with the keys it was
/// subscribed with; with others, 409).
#[utoipa::path(post, path = "/api/push/subscriptions", tag = "push", request_body = PushSubscription,
    responses((status = 201, body = Subscribed), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody, description = "Web Push is not configured (push_disabled)"),
              (status = 409, body = ErrorBody, description = "the endpoint is already subscribed with other keys"),
              (status = 415, body = ErrorBody),
              (status = 422, body = ErrorBody, description = "the endpoint is not at a push service this school trusts, or the keys are not P-256 and 16 bytes"),
              (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = user.id))]
pub async fn subscribe(
    State(state): State<AppState>,
    user: AuthUser,
    JsonBody(body): JsonBody<PushSubscription>,
) -> Result<(StatusCode, Json<Subscribed>)> {
    enabled(&state)?;
    state.limits.check(Limited::write_by(user.role), user.id)?;
    let endpoint = endpoint(&state, &body.endpoint)?;
    if !keys_valid(&body.keys.p256dh, &body.keys.auth) {
        return Err(AppError::Unprocessable(
            "keys must be the browser's: p256dh a P-256 public key (65 bytes), auth 16 bytes, both base64url".into(),
        ));
    }
    // An endpoint already known changes hands only with its keys: the browser that holds the
    // subscription sends the same ones (its auth secret is known to nobody else), while whoever
    // merely learned the endpoint URL cannot take its notifications over.
    let row = state
        .db
        .get()
        .await?
        .query_opt(
            "INSERT INTO push_subscriptions (user_id, endpoint, p256dh, auth) VALUES ($1, $2, $3, $4)
             ON CONFLICT (school_id, endpoint) DO UPDATE SET user_id = excluded.user_id
             WHERE push_subscriptions.p256dh = excluded.p256dh AND push_subscriptions.auth = excluded.auth
             RETURNING id",
            &[&user.id, &endpoint, &body.keys.p256dh, &body.keys.auth],
        )
        .await?
        .ok_or_else(|| {
            AppError::Conflict(
                "this endpoint is already subscribed with other keys: a browser subscribes anew (a new endpoint) to change them"
                    .into(),
            )
        })?;
    // At most MAX_SUBSCRIPTIONS browsers a person: the oldest go.
    state
        .db
        .get()
        .await?
        .execute(
            "DELETE FROM push_subscriptions WHERE user_id = $1 AND id NOT IN (
                 SELECT id FROM push_subscriptions WHERE user_id = $1 ORDER BY id DESC LIMIT $2)",
            &[&user.id, &MAX_SUBSCRIPTIONS],
        )
        .await?;
    Ok((StatusCode::CREATED, Json(Subscribed { id: row.get(0) })))
}

/// Unsubscribes one of the caller's browsers.
#[utoipa::path(delete, path = "/api/push/subscriptions", tag = "push", request_body = Unsubscribe,
    responses((status = 204, description = "unsubscribed"), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody, description = "no such subscription of the caller's"),
              (status = 415, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = user.id))]
pub async fn unsubscribe(
    State(state): State<AppState>,
    user: AuthUser,
    JsonBody(body): JsonBody<Unsubscribe>,
) -> Result<StatusCode> {
    if body.endpoint.contains('\0') {
        return Err(AppError::NotFound("no push subscription of yours has that endpoint".into()));
    }
    let deleted = state
        .db
        .get()
        .await?
        .execute("DELETE FROM push_subscriptions WHERE endpoint = $1 AND user_id = $2", &[&body.endpoint, &user.id])
        .await?;
    if deleted == 0 {
        return Err(AppError::NotFound("no push subscription of yours has that endpoint".into()));
    }
    Ok(StatusCode::NO_CONTENT)
}

fn enabled(state: &AppState) -> Result<&crate::config::Vapid> {
    state.config.notify.push.vapid.as_ref().ok_or_else(|| {
        AppError::NotFound("Web Push is not configured on this server (PUSH_VAPID_PRIVATE_KEY)".into())
            .with_code(Code::PushDisabled)
    })
}

/// The endpoint, checked: an https URL (or a configured origin) of a push service the school
/// trusts, so that the server never posts to an address a browser merely claims.
fn endpoint(state: &AppState, text: &str) -> Result<String> {
    if text.contains('\0') {
        return Err(AppError::Unprocessable("endpoint must be the push service's URL, not a text with NUL".into()));
    }
    if text.chars().count() > MAX_ENDPOINT_CHARS {
        return Err(AppError::Unprocessable(format!("endpoint is longer than {MAX_ENDPOINT_CHARS} characters")));
    }
    let url = url::Url::parse(text)
        .map_err(|e| AppError::Unprocessable(format!("endpoint must be the push service's URL ({e})")))?;
    if !state.config.notify.push.services.iter().any(|service| service.admits(&url)) {
        return Err(AppError::Unprocessable(format!(
            "endpoint {} is not at a push service this server sends to (PUSH_SERVICES)",
            url.origin().ascii_serialization()
        ))
        .with_code(Code::PushEndpointNotAllowed));
    }
    Ok(text.to_owned())
}
