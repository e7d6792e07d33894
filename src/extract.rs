//! Extractors whose rejections come back in the API's error shape (`{"error": …}`), so that a
//! malformed body, path or query string is a clear 400 rather than axum's plain-text answer.

use axum::extract::{FromRequest, FromRequestParts};

use crate::AppError;

/// `axum::Json` whose rejections come back as `{"error": …}`.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(AppError))]
pub struct JsonBody<T>(pub T);

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
/// nothing; see `sql/V5__idempotency.sql`.
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

/// A JSON body that may be left out: no body (or only whitespace) is `None`; anything else
/// must be JSON, as for [`JsonBody`].
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
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self(None));
        }
        let request = axum::extract::Request::from_parts(parts, axum::body::Body::from(bytes));
        let JsonBody(value) = JsonBody::<T>::from_request(request, state).await?;
        Ok(Self(Some(value)))
    }
}
