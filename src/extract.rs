//! Extractors whose rejections come back in the API's error shape (`{"error", "code"}`), so that a
//! malformed body, path or query string is a clear 400 rather than axum's plain-text answer.

use axum::extract::{FromRequest, FromRequestParts};

use crate::AppError;

/// A JSON body (`Content-Type: application/json`), an object, whose rejections come back as
/// `{"error": …}`.
/// A number with no fraction (`7.0`) is an integer, as JSON Schema (and so the OpenAPI
/// document) counts it: a generated client may send one for an id.
pub struct JsonBody<T>(pub T);

impl<S, T> FromRequest<S> for JsonBody<T>
where
    S: Send + Sync,
    T: serde::de::DeserializeOwned,
{
    type Rejection = AppError;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        let axum::Json(mut value) = axum::Json::<serde_json::Value>::from_request(request, state).await?;
        // Every body of the API is an object; serde would read a struct from an array of its
        // fields in order (`[null, null]` for a change of two settings to their defaults).
        if value.is_array() {
            return Err(AppError::BadRequest("invalid request body: expected an object, not an array".into()));
        }
        whole_numbers_as_integers(&mut value);
        // The path to what is wrong (`attachment_ids[2]`) leads the message, as axum's would.
        serde_path_to_error::deserialize(value).map(Self).map_err(|e| {
            let path = e.path().to_string();
            let e = e.into_inner();
            AppError::BadRequest(match path.as_str() {
                "." => format!("invalid request body: {e}"),
                path => format!("invalid request body: {path}: {e}"),
            })
        })
    }
}

/// Turns every number with no fraction that fits an `i64` into an integer, in place.
fn whole_numbers_as_integers(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Number(n) if n.is_f64() => {
            if let Some(f) = n.as_f64()
                && f.fract() == 0.0
                && (i64::MIN as f64..i64::MAX as f64).contains(&f)
            {
                *value = Value::from(f as i64);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(whole_numbers_as_integers),
        Value::Object(fields) => fields.values_mut().for_each(whole_numbers_as_integers),
        _ => {}
    }
}

/// `axum::extract::Path` whose rejections come back as `{"error": …}` with 400.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(AppError))]
pub struct PathParam<T>(pub T);

/// `axum::extract::Query` whose rejections come back as `{"error": …}` with 400.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(AppError))]
pub struct QueryParams<T>(pub T);

/// The `Idempotency-Key` header of a write, when it has one: 1–64 visible ASCII characters
/// (a UUID fits). A retried request with the same key gets the first answer and appends
/// nothing; see the `events_idempotency` index in `sql/schema.sql`.
#[derive(Debug, Clone, Default)]
pub struct IdempotencyKey(pub Option<String>);

pub const IDEMPOTENCY_KEY_HEADER: &str = "idempotency-key";

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKey {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, _: &S) -> Result<Self, Self::Rejection> {
        let Some(value) = parts.headers.get(IDEMPOTENCY_KEY_HEADER) else {
            return Ok(Self(None));
        };
        let key =
            value.to_str().ok().filter(|k| (1..=64).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_graphic()));
        match key {
            Some(key) => Ok(Self(Some(key.to_owned()))),
            None => Err(AppError::BadRequest(
                "Idempotency-Key must be 1 to 64 visible ASCII characters (a UUID, for example)".into(),
            )),
        }
    }
}

/// `X-Min-Event-Position`: the answer must reflect at least this log position (the newest one
/// the client has seen, from its stream or a snapshot, or the one its own write was given).
/// Served by a standby, the read waits for it to get there (`crate::standby`); absent, 0.
#[derive(Debug, Clone, Copy, Default)]
pub struct MinPosition(pub i64);

pub const MIN_POSITION_HEADER: &str = "x-min-event-position";

impl<S: Send + Sync> FromRequestParts<S> for MinPosition {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, _: &S) -> Result<Self, Self::Rejection> {
        let Some(value) = parts.headers.get(MIN_POSITION_HEADER) else {
            return Ok(Self(0));
        };
        let text = value.to_str().unwrap_or("(not text)").trim();
        match text.parse::<i64>() {
            Ok(position) if position >= 0 => Ok(Self(position)),
            _ => Err(AppError::BadRequest(format!(
                "X-Min-Event-Position must be a log position (a whole number, 0 or more), not {text:?}"
            ))),
        }
    }
}

/// A JSON body that may be left out: no body at all (or `null`) is `None`; anything else must
/// be JSON, as for [`JsonBody`], so a body of only whitespace is refused as not JSON.
pub struct OptionalJsonBody<T>(pub Option<T>);

impl<S, T> FromRequest<S> for OptionalJsonBody<T>
where
    S: Send + Sync,
    T: serde::de::DeserializeOwned,
{
    type Rejection = AppError;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        let (parts, body) = request.into_parts();
        let request = axum::extract::Request::from_parts(parts.clone(), body);
        let bytes = axum::body::Bytes::from_request(request, state)
            .await
            .map_err(|e| AppError::from(axum::extract::rejection::JsonRejection::from(e)))?;
        if bytes.is_empty() {
            return Ok(Self(None));
        }
        let request = axum::extract::Request::from_parts(parts, axum::body::Body::from(bytes));
        // `null` is no body too.
        let JsonBody(value) = JsonBody::<Option<T>>::from_request(request, state).await?;
        Ok(Self(value))
    }
}
