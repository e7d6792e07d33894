//! SCIM 2.0 (RFC 7643, RFC 7644) at `/scim/v2`: the school's identity provider (Entra ID,
//! Keycloak, Okta…) creates, updates and deactivates people here, links guardians to students,
//! and pushes groups, some of which carry a role (`SCIM_ROLE_GROUPS`). Every change to a person
//! is an event of the log by the provisioning client (`crate::provisioning::people`), so the
//! audit says who was provisioned when and by which client. Only a provisioning client with the
//! scope `scim` calls it ([`crate::access::ScimClient`]).
//!
//! SCIM has its own error shape (RFC 7644 §3.12: `schemas`, `status`, `scimType`, `detail`, as
//! `application/scim+json`), not the rest of the API's `{error, code}`: every error under
//! `/scim/v2`, an extractor's rejection included, is rewritten into it ([`scim_errors`]), with
//! the API's stable code kept beside it (`code`). What is supported is what the discovery
//! endpoints advertise (`discovery.rs`); docs/scim.md maps the attributes.

mod discovery;
mod filter;
mod groups;
mod patch;
mod query;
mod resource;
mod roles;
mod users;

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use serde_json::{Value, json};

use crate::AppState;
use crate::error::AppError;

pub use filter::{MAX_FILTER_BYTES, MAX_FILTER_DEPTH};

/// The media type of every SCIM answer.
pub const SCIM_JSON: &str = "application/scim+json";

/// The SCIM routes (the discovery endpoints, Users, Groups), their errors in SCIM's shape.
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(discovery::router())
        .merge(users::router())
        .merge(groups::router())
        .route("/scim/v2/{*rest}", any(not_found))
        .layer(axum::middleware::map_response(scim_errors))
}

async fn not_found() -> ScimError {
    ScimError::new(StatusCode::NOT_FOUND, None, "no such SCIM endpoint".to_owned())
}

/// A SCIM error (RFC 7644 §3.12).
#[derive(Debug)]
pub struct ScimError {
    status: StatusCode,
    scim_type: Option<&'static str>,
    detail: String,
    code: Option<crate::error::Code>,
}

impl ScimError {
    pub fn new(status: StatusCode, scim_type: Option<&'static str>, detail: String) -> Self {
        Self { status, scim_type, detail, code: None }
    }

    /// 400 with `scimType`.
    pub fn bad(scim_type: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, Some(scim_type), detail.into())
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, None, format!("{what} not found"))
    }
}

impl From<AppError> for ScimError {
    fn from(e: AppError) -> Self {
        let (status, code) = (e.status(), e.code());
        let scim_type = match (status, code) {
            (_, crate::error::Code::RoleInUse) => Some("mutability"),
            (StatusCode::CONFLICT, _) => Some("uniqueness"),
            (StatusCode::BAD_REQUEST, _) => Some("invalidValue"),
            _ => None,
        };
        let detail = match &e {
            AppError::Internal(_) | AppError::Unavailable(_) => {
                // Logged (and answered opaquely) by AppError's own response.
                let _ = e.into_response();
                "the server could not do it".to_owned()
            }
            other => other.to_string(),
        };
        Self { status, scim_type, detail, code: Some(code) }
    }
}

impl From<tokio_postgres::Error> for ScimError {
    fn from(e: tokio_postgres::Error) -> Self {
        AppError::from(e).into()
    }
}

impl From<deadpool_postgres::PoolError> for ScimError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        AppError::from(e).into()
    }
}

impl IntoResponse for ScimError {
    fn into_response(self) -> Response {
        let mut body = json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
            "status": self.status.as_u16().to_string(),
            "detail": self.detail,
        });
        if let Some(scim_type) = self.scim_type {
            body["scimType"] = scim_type.into();
        }
        if let Some(code) = self.code {
            body["code"] = json!(code);
        }
        scim_json(self.status, &body)
    }
}

/// `body` as `application/scim+json` with `status`.
pub fn scim_json(status: StatusCode, body: &Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(SCIM_JSON));
    response
}

/// Rewrites the API's `{error, code}` answers (an extractor's rejection: a bad token, a body
/// that is not JSON) into SCIM's error shape.
async fn scim_errors(response: Response) -> Response {
    let is_api_error = (response.status().is_client_error() || response.status().is_server_error())
        && response.headers().get(header::CONTENT_TYPE).is_some_and(|t| t.as_bytes().starts_with(b"application/json"));
    if !is_api_error {
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return ScimError::new(parts.status, None, "error".to_owned()).into_response();
    };
    let api: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    let detail = api["error"].as_str().unwrap_or("error").to_owned();
    let scim_type = (parts.status == StatusCode::BAD_REQUEST).then_some("invalidSyntax");
    let mut error = ScimError::new(parts.status, scim_type, detail);
    error.code = serde_json::from_value(api["code"].clone()).ok();
    let mut rewritten = error.into_response();
    for (name, value) in
        parts.headers.iter().filter(|(n, _)| *n != header::CONTENT_TYPE && *n != header::CONTENT_LENGTH)
    {
        rewritten.headers_mut().insert(name, value.clone());
    }
    rewritten
}

/// Whether `resource` (a User or a Group as answered) matches `filter`, as the filter reads in
/// memory (`filter::matches`, the meaning PATCH value filters have): the reference a list's SQL
/// translation (`query.rs`) is tested against.
pub fn filter_matches(filter: &str, resource: &Value) -> Result<bool, String> {
    filter::parse(filter).map(|f| filter::matches(&f, resource))
}

/// The statement listing one page of Users (`startIndex` `start`, `count`) for `filter`, with
/// its parameters: the one a list runs, so that a test can read its plan.
pub fn users_page_statement(
    filter: Option<&str>,
    base: &str,
    start: i64,
    count: i64,
) -> Result<query::Statement, String> {
    let filter = filter.map(filter::parse).transpose()?;
    Ok(query::page_ids(query::Kind::Users, filter.as_ref(), base, start - 1, count))
}
