//! One error type for every handler: 4xx carry a message for the client, everything else is
//! logged with its cause and answered with an opaque 500 (or 503 when the database is away).

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

mod append;

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
    /// 422: well-formed, as the document describes it, but naming something that does not fit
    /// (another chat's message, a user who may not be added): a rule no schema can state.
    #[error("{0}")]
    Unprocessable(String),
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
    /// Any of the above with a code more precise than its status's ([`AppError::with_code`]).
    #[error("{1}")]
    Coded(Code, Box<AppError>),
}

/// What went wrong, for programs: stable, listed in the OpenAPI document. Clients switch on it
/// (and show it in the user's language), never on the English sentence beside it. Each status
/// has a general code; the precise ones below it name what a client may want to act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Code {
    /// 400: the request is malformed or breaks a rule; `error` names the field.
    InvalidRequest,
    /// 400: a message's content is empty, only whitespace or invisible characters.
    ContentBlank,
    /// 400: a message's content is over 10,000 characters.
    ContentTooLong,
    /// 401: no credential, or one that is not valid.
    Unauthenticated,
    /// 401: the token has expired: renew the session (`POST /api/sessions/refresh`, a browser
    /// with its refresh cookie), or sign in again.
    TokenExpired,
    /// 401: the session was signed out (on this device or another copy of it): sign in again.
    SessionEnded,
    /// 401: a guest's inquiry chat was closed, and their session with it.
    GuestSessionEnded,
    /// 401: no provisioning client has this bearer token (a rotated one stopped working).
    ProvisioningTokenInvalid,
    /// 401: the provisioning client was revoked: its token works no more.
    ProvisioningClientRevoked,
    /// 401: the account was deactivated (the person left the school): its sessions ended, and
    /// it can no longer sign in.
    AccountDeactivated,
    /// 403: the caller's role may not do this, or a chat, message, file or inquiry link that
    /// does not exist or is not theirs to use (one answer for both, so ids reveal nothing).
    Forbidden,
    /// 403: admins read every chat and write nothing.
    AdminReadOnly,
    /// 403: guardians read their children's chats and write nothing.
    GuardianReadOnly,
    /// 403: only a message's author may change it.
    NotAuthor,
    /// 403: this school turned editing off (`MESSAGE_EDITING=off`): a message can be deleted,
    /// not edited.
    EditingOff,
    /// 403: only a group's owner or an admin may manage it.
    NotGroupOwner,
    /// 403: the chat is an announcement: only its owner posts, members read.
    AnnouncementReadOnly,
    /// 403: a guest may use their own inquiry chat only.
    GuestConfined,
    /// 403: a cookie-authenticated write from another site (its `Origin`).
    CrossSiteRequest,
    /// 403: a valid token from the school's OpenID Provider, for a person this chat does not
    /// know (no user has that email, or the provider has not verified it).
    UnknownUser,
    /// 403: the caller is suspended by a moderator: they may read, not write.
    AccountSuspended,
    /// 403: the chat's teacher has left the school (deactivated): the chat is read-only until an
    /// admin hands it to a successor.
    TeacherDeparted,
    /// 403: the inquiry link's teacher blocked this visitor: the link opens no chat for them.
    VisitorBlocked,
    /// 403: the provisioning client's token lacks the scope this API needs (`scim`, `lessons`).
    ProvisioningScopeMissing,
    /// 404: it does not exist (a lesson, a person, a route). A chat, message, file or inquiry
    /// link that does not exist or is not the caller's answers 403 `forbidden` instead, the
    /// same answer for both.
    NotFound,
    /// 404: Web Push is not configured on this server (no VAPID key).
    PushDisabled,
    /// 405: the path exists, the method does not.
    MethodNotAllowed,
    /// 408: the request body stopped arriving.
    RequestTimeout,
    /// 426: a WebSocket's address asked without the handshake (`Upgrade: websocket`).
    UpgradeRequired,
    /// 409: the request conflicts with the current state.
    Conflict,
    /// 409: the chat is closed (an idle, revoked or blocked inquiry; a direct chat closed on a
    /// guardian's request): read-only.
    ChatClosed,
    /// 409: the message is deleted.
    MessageDeleted,
    /// 409: the message is hidden by a moderator.
    MessageHidden,
    /// 409: the message was purged (retention, erasure): its content is gone for good.
    MessagePurged,
    /// 409: the caller has reported this message before.
    AlreadyReported,
    /// 409: the successor teacher has a chat with this student already (one chat per pair).
    PairHasChat,
    /// 409: the group has its maximum of members.
    GroupFull,
    /// 409: the lesson was completed: it never goes back to scheduled, nor changes its pair.
    LessonCompleted,
    /// 409: the chat has as many pinned messages as it may (`PINS_PER_CHAT`): unpin one first.
    TooManyPins,
    /// 409: the scheduled message was sent already (or is being sent): change the message itself.
    AlreadySent,
    /// 409: a person's role cannot change once they have chats, lessons or guardian links.
    RoleInUse,
    /// 409: quiet hours (`QUIET_HOURS`) are on: a teacher's change that would reach a student
    /// at once and cannot be held (an edit, a group's title, a student joining a group) waits
    /// until they end; `error` says when.
    QuietHours,
    /// 409: the caller has as many messages waiting as one person may
    /// (`SCHEDULED_PER_PERSON`): scheduled and not sent, or held by quiet hours.
    TooManyScheduled,
    /// 409: the request's `X-Expected-User` names someone other than the person its credential
    /// is (another person signed in on this browser since it was written): nothing was done.
    ExpectedUserMismatch,
    /// 413: the body or the file is larger than the server's limit.
    PayloadTooLarge,
    /// 415: the body is not of the expected content type.
    UnsupportedMediaType,
    /// 416: the requested range is outside the file.
    RangeNotSatisfiable,
    /// 422: well-formed, but naming something that does not fit: another chat's message, a
    /// user who may not be added, a cursor this API did not give out, an empty file.
    Unprocessable,
    /// 422: an `Idempotency-Key` reused for a different request.
    IdempotencyKeyReused,
    /// 422: a push subscription's endpoint is not at a push service this server sends to.
    PushEndpointNotAllowed,
    /// 422: a reaction that is not one of the eight a message may get.
    UnknownReaction,
    /// 422: a scheduled message's `send_at` is not in the future.
    SendAtPast,
    /// 422: a scheduled message's `send_at` is more than a year (365 days) ahead.
    SendAtTooFar,
    /// 422: an external id (a lesson's teacher's or student's) names nobody; `error` says which.
    UnknownPerson,
    /// 422: a lesson's teacher is not a teacher, or its student not a student.
    PersonRoleMismatch,
    /// 422: a lesson's teacher or student, or someone added to a group, is deactivated (left
    /// the school).
    PersonDeactivated,
    /// 429: a rate limit: retry after `Retry-After` seconds.
    RateLimited,
    /// 429: an upload allowance is used up for now.
    UploadAllowanceUsedUp,
    /// 431: the request's headers are too large.
    HeadersTooLarge,
    /// 500: a bug of ours; the replica's log has the cause (by `X-Request-ID`).
    Internal,
    /// 503: the database cannot be reached, or the replica is full: retry shortly.
    Unavailable,
}

/// What a browser is told to forget when a person's session ends (signed out, or a 401
/// `session_ended` or `account_deactivated`): its HTTP cache and everything the site stored
/// (IndexedDB, localStorage, the service worker and its push subscription), so that a shared
/// device keeps nothing of theirs even where the web app cannot run its own wipe. Cookies are
/// the server's to clear (the session's cookie is cleared by signing out).
pub const FORGET_THIS_DEVICE: &str = "\"cache\", \"storage\"";

/// `Clear-Site-Data` (W3C), which the `http` crate does not name.
pub const CLEAR_SITE_DATA: axum::http::HeaderName = axum::http::HeaderName::from_static("clear-site-data");

/// The body of every error response.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// What is wrong, in English words meant for the person reading the client's log.
    pub error: String,
    /// What is wrong, for programs: stable.
    pub code: Code,
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Client(status, _) => *status,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Coded(_, inner) => inner.status(),
        }
    }

    /// The same error with a more precise code.
    pub fn with_code(self, code: Code) -> Self {
        match self {
            Self::Coded(_, inner) => Self::Coded(code, inner),
            other => Self::Coded(code, Box::new(other)),
        }
    }

    /// Its code: the one it was given, else its status's.
    pub fn code(&self) -> Code {
        match self {
            Self::Coded(code, _) => *code,
            Self::BadRequest(_) => Code::InvalidRequest,
            Self::Unauthorized(_) => Code::Unauthenticated,
            Self::Forbidden(_) => Code::Forbidden,
            Self::NotFound(_) => Code::NotFound,
            Self::Conflict(_) => Code::Conflict,
            Self::Unprocessable(_) => Code::Unprocessable,
            Self::TooManyRequests { .. } => Code::RateLimited,
            Self::Unavailable(_) => Code::Unavailable,
            Self::Internal(_) => Code::Internal,
            Self::Client(status, _) => match *status {
                StatusCode::METHOD_NOT_ALLOWED => Code::MethodNotAllowed,
                StatusCode::REQUEST_TIMEOUT => Code::RequestTimeout,
                StatusCode::UPGRADE_REQUIRED => Code::UpgradeRequired,
                StatusCode::PAYLOAD_TOO_LARGE => Code::PayloadTooLarge,
                StatusCode::UNSUPPORTED_MEDIA_TYPE => Code::UnsupportedMediaType,
                StatusCode::RANGE_NOT_SATISFIABLE => Code::RangeNotSatisfiable,
                StatusCode::UNPROCESSABLE_ENTITY => Code::Unprocessable,
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => Code::HeadersTooLarge,
                StatusCode::SERVICE_UNAVAILABLE => Code::Unavailable,
                StatusCode::UNAUTHORIZED => Code::Unauthenticated,
                StatusCode::FORBIDDEN => Code::Forbidden,
                StatusCode::NOT_FOUND => Code::NotFound,
                StatusCode::CONFLICT => Code::Conflict,
                StatusCode::TOO_MANY_REQUESTS => Code::RateLimited,
                s if s.is_server_error() => Code::Internal,
                _ => Code::InvalidRequest,
            },
        }
    }

    /// The `Retry-After` of a rate limit, wherever it is wrapped; a second for an unreachable
    /// database (a restart, a failover: the client retries with its idempotency key).
    fn retry_after(&self) -> Option<std::time::Duration> {
        match self {
            Self::TooManyRequests { retry_after, .. } => Some(*retry_after),
            Self::Unavailable(_) => Some(std::time::Duration::from_secs(1)),
            Self::Coded(_, inner) => inner.retry_after(),
            _ => None,
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code) = (self.status(), self.code());
        let inner = match &self {
            Self::Coded(_, inner) => inner.as_ref(),
            other => other,
        };
        let message = match inner {
            Self::Internal(cause) => {
                tracing::error!(error = format!("{cause:#}"), "internal error");
                "internal server error".to_owned()
            }
            Self::Unavailable(cause) => {
                tracing::warn!(error = format!("{cause:#}"), "database unavailable");
                inner.to_string()
            }
            other => other.to_string(),
        };
        let mut response = (status, axum::Json(ErrorBody { error: message, code })).into_response();
        if matches!(code, Code::SessionEnded | Code::AccountDeactivated) {
            response.headers_mut().insert(CLEAR_SITE_DATA, axum::http::HeaderValue::from_static(FORGET_THIS_DEVICE));
        }
        if status == StatusCode::UPGRADE_REQUIRED {
            let headers = response.headers_mut();
            headers.insert(axum::http::header::UPGRADE, axum::http::HeaderValue::from_static("websocket"));
            headers.insert(axum::http::header::CONNECTION, axum::http::HeaderValue::from_static("Upgrade"));
        }
        if let Some(retry_after) = self.retry_after() {
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
