//! Who may provision: a provisioning client presenting its bearer token
//! (`Authorization: Bearer <token>`, compared by its SHA-256, computed here so that the token
//! never reaches the database: `crate::provisioning::clients`), never a person. [`ScimClient`] needs the scope `scim`
//! (`/scim/v2`), [`TimetableClient`] the scope `lessons` (the integration API). Refusals: 401
//! `unauthenticated` without a bearer token, `provisioning_token_invalid` for a token no client
//! has (a rotated one), `provisioning_client_revoked` for a revoked client's; 403
//! `provisioning_scope_missing` for a valid token without the scope.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use crate::error::Code;
pub use crate::provisioning::ProvisioningClient;
use crate::provisioning::Scope;
use crate::provisioning::clients::{Presented, TokenDigest, presented};
use crate::{AppError, AppState};

/// The students each of `guardians` is linked to now (SCIM's guardianOf), by guardian.
pub async fn linked_students(
    db: &impl tokio_postgres::GenericClient,
    guardians: &[i64],
) -> Result<std::collections::HashMap<i64, Vec<i64>>, tokio_postgres::Error> {
    const SQL: &str = "SELECT guardian_id, array_agg(student_id ORDER BY student_id) FROM guardian_links
                       WHERE guardian_id = ANY($1) AND to_position IS NULL GROUP BY guardian_id";
    let rows = db.query(SQL, &[&guardians]).await?;
    rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
}

/// A provisioning client with the scope `scim`.
pub struct ScimClient(pub ProvisioningClient);

/// A provisioning client with the scope `lessons`.
pub struct TimetableClient(pub ProvisioningClient);

/// The client whose token the request carries, if it has `scope`.
async fn client_with(parts: &Parts, state: &AppState, scope: Scope) -> Result<ProvisioningClient, AppError> {
    let token = parts
        .headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| AppError::Unauthorized("a provisioning client's bearer token is required".into()))?;
    let digest = TokenDigest::of(token);
    let db = state.db.get().await?;
    match presented(&**db, &digest).await? {
        Presented::Unknown => Err(AppError::Unauthorized("no provisioning client has this token".into())
            .with_code(Code::ProvisioningTokenInvalid)),
        Presented::Revoked => Err(AppError::Unauthorized("this provisioning client was revoked".into())
            .with_code(Code::ProvisioningClientRevoked)),
        Presented::Valid { client, scopes } if scopes.iter().any(|s| s == scope.as_str()) => Ok(client),
        Presented::Valid { client, .. } => {
            Err(AppError::Forbidden(format!("provisioning client {} lacks the scope {}", client.name, scope.as_str()))
                .with_code(Code::ProvisioningScopeMissing))
        }
    }
}

impl FromRequestParts<AppState> for ScimClient {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        client_with(parts, state, Scope::Scim).await.map(Self)
    }
}

impl FromRequestParts<AppState> for TimetableClient {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        client_with(parts, state, Scope::Lessons).await.map(Self)
    }
}
