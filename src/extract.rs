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
