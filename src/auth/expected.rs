//! `X-Expected-User`: the person a request was written by, as the client that sends it knows
//! them. A browser has one cookie for all its tabs: a message kept in one tab's outbox while
//! someone else signed in in another would otherwise go out under the new person's name. The
//! header binds the request to its author; a credential naming anyone else is refused (409
//! `expected_user_mismatch`) before the handler runs, so nothing is done, and no idempotency
//! record is made under the wrong person. Without the header, requests go as before.

use axum::http::HeaderMap;

use crate::AppError;
use crate::error::Code;

/// The header's name.
pub const EXPECTED_USER_HEADER: &str = "x-expected-user";

/// Refuses the request when its `X-Expected-User` names someone other than `user`.
pub fn check(headers: &HeaderMap, user: i64) -> Result<(), AppError> {
    let Some(value) = headers.get(EXPECTED_USER_HEADER) else { return Ok(()) };
    let expected: i64 = value
        .to_str()
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| AppError::BadRequest(format!("{EXPECTED_USER_HEADER} must be a user id")))?;
    if expected != user {
        return Err(AppError::Conflict(format!(
            "this request was written by user {expected}, but the credential is another person's: it was not done"
        ))
        .with_code(Code::ExpectedUserMismatch));
    }
    Ok(())
}
