//! One error type for every handler: 4xx carry a message for the client, everything else is
//! logged with its cause and answered with an opaque 500 (or 503 when the database is away).

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::log::{AppendError, Refusal};

pub type Result<T, E = AppError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// A per-user limit was reached: 429 with `Retry-After`.
    #[error("{message}")]
    TooManyRequests { message: String, retry_after: std::time::Duration },
    /// A client error whose status comes from elsewhere (an extractor's rejection).
    #[error("{1}")]
    Client(StatusCode, String),
    /// The database cannot be reached right now: retrying later may work.
    #[error("the database is unavailable, try again shortly")]
    Unavailable(#[source] anyhow::Error),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// The body of every error response.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// What is wrong, in words meant for the person reading the client's log.
    pub error: String,
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Client(status, _) => *status,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        let message = match &self {
            Self::Internal(cause) => {
                tracing::error!(error = format!("{cause:#}"), "internal error");
                "internal server error".to_owned()
            }
            Self::Unavailable(cause) => {
                tracing::warn!(error = format!("{cause:#}"), "database unavailable");
                self.to_string()
            }
            other => other.to_string(),
        };
        let mut response = (status, axum::Json(ErrorBody { error: message })).into_response();
        if let Self::TooManyRequests { retry_after, .. } = &self {
            let seconds = retry_after.as_secs().max(1).to_string();
            if let Ok(value) = axum::http::HeaderValue::from_str(&seconds) {
                response.headers_mut().insert(axum::http::header::RETRY_AFTER, value);
            }
        }
        response
    }
}

impl From<tokio_postgres::Error> for AppError {
    fn from(e: tokio_postgres::Error) -> Self {
        if crate::db::is_connectivity(&e) { Self::Unavailable(e.into()) } else { Self::Internal(e.into()) }
    }
}

impl From<deadpool_postgres::PoolError> for AppError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        match e {
            deadpool_postgres::PoolError::Backend(e) => e.into(),
            other => Self::Unavailable(other.into()),
        }
    }
}

impl From<JsonRejection> for AppError {
    fn from(rejection: JsonRejection) -> Self {
        let status = match rejection.status() {
            StatusCode::UNPROCESSABLE_ENTITY => StatusCode::BAD_REQUEST, // wrong types: 400, as the contract says
            other => other,
        };
        // A body that stopped arriving (HTTP_BODY_TIMEOUT_SECS) surfaces as a body error.
        let timed_out = std::iter::successors(std::error::Error::source(&rejection), |e| e.source())
            .any(|e| e.is::<tower_http::timeout::TimeoutError>());
        if timed_out {
            return Self::Client(
                StatusCode::REQUEST_TIMEOUT,
                "the request body did not arrive in time (HTTP_BODY_TIMEOUT_SECS)".to_owned(),
            );
        }
        let message = if status == StatusCode::PAYLOAD_TOO_LARGE {
            "request body is larger than the server's limit (MAX_BODY_BYTES)".to_owned()
        } else {
            match &rejection {
                JsonRejection::JsonDataError(e) => {
                    format!("invalid request body: {}", e.body_text())
                }
                JsonRejection::JsonSyntaxError(e) => {
                    format!("request body is not valid JSON: {}", e.body_text())
                }
                JsonRejection::MissingJsonContentType(_) => {
                    "request body must be JSON with Content-Type: application/json".to_owned()
                }
                other => other.body_text(),
            }
        };
        Self::Client(status, message)
    }
}

impl From<PathRejection> for AppError {
    fn from(rejection: PathRejection) -> Self {
        Self::Client(StatusCode::BAD_REQUEST, format!("invalid path: {}", rejection.body_text()))
    }
}

impl From<QueryRejection> for AppError {
    fn from(rejection: QueryRejection) -> Self {
        Self::Client(StatusCode::BAD_REQUEST, format!("invalid query string: {}", rejection.body_text()))
    }
}

/// The write path's answer, in HTTP terms.
impl From<AppendError> for AppError {
    fn from(e: AppendError) -> Self {
        match e {
            AppendError::Refused(message, Refusal::InvalidContent) => Self::BadRequest(message),
            AppendError::Refused(message, Refusal::NotAllowed) => Self::Forbidden(message),
            AppendError::Refused(message, Refusal::NotFound) => Self::NotFound(message),
            AppendError::Refused(message, Refusal::Conflict) => Self::Conflict(message),
            AppendError::Duplicate => Self::Conflict("the idempotency key was used before".into()),
            AppendError::Unavailable(cause) => Self::Unavailable(cause),
            AppendError::Database(e) => e.into(),
            AppendError::Other(e) => Self::Internal(e),
        }
    }
}
