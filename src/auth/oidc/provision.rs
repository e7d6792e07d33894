//! Just-in-time accounts (`OIDC_PROVISION`, opt-in): the first sign-in of a person the chat
//! does not know, whose email the provider verified and whose domain the school allows
//! (`OIDC_PROVISION_DOMAINS`), creates them with the role the setting gives, through the log
//! (`user_provisioned`, client `oidc`, no actor) as the school's systems do (the people's
//! provisioning, whose event it appends here: `auth` does not reach into `provisioning`). No external id is set: the school's directory (SCIM)
//! adopts the person by their email later. Anyone else is refused as before (`unknown_user`).

use deadpool_postgres::Pool;
use serde_json::{Map, Value};

use crate::config::{ProvisionedRole, Provisioning};
use crate::log::people::{By, PersonChange};
use crate::log::{AppendError, NewEvent, store};
use crate::{AppError, Result};

/// The name the log records as the provisioning client of just-in-time accounts.
pub const CLIENT: &str = "oidc";

/// The person created for `email` (verified by the caller), or `None` when the setting creates
/// nobody for it (another domain, no role for the claims, or off).
pub async fn provision(
    db: &Pool,
    settings: &Provisioning,
    email: &str,
    claims: &Map<String, Value>,
) -> Result<Option<i64>> {
    let Some(role) = settings.role_for(email, claims) else {
        return Ok(None);
    };
    let role = match role {
        ProvisionedRole::Student => "student",
        ProvisionedRole::Teacher => "teacher",
        ProvisionedRole::Guardian => "guardian",
    };
    let change = PersonChange::Provision {
        external_id: None,
        user_name: None,
        name: name_of(email, claims),
        email: email.to_owned(),
        role,
    };
    let client = db.get().await?;
    let event = NewEvent::Person { by: By::Client(CLIENT.into()), change };
    match store::append(&**client, &[event]).await.map(|mut stored| stored.pop().flatten()) {
        Ok(Some(stored)) => match stored.data {
            crate::log::EventData::UserProvisioned(p) => {
                tracing::info!(user_id = p.user_id, "a first sign-in created an account (OIDC_PROVISION)");
                Ok(Some(p.user_id))
            }
            _ => Err(AppError::Internal(anyhow::anyhow!("user_provisioned was not recorded"))),
        },
        Ok(None) => Err(AppError::Internal(anyhow::anyhow!("user_provisioned was not recorded"))),
        // A concurrent first sign-in of the same person created them first.
        Err(AppendError::Database(e)) if e.code() == Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION) => {
            let row = client
                .query_opt("SELECT id FROM users WHERE lower(email) = lower($1) AND role <> 'guest'", &[&email])
                .await?;
            Ok(row.map(|r| r.get("id")))
        }
        Err(e) => Err(e.into()),
    }
}

/// The person's name as the provider gives it (`name`, else `given_name` and `family_name`),
/// else their email's local part; at most 200 characters.
fn name_of(email: &str, claims: &Map<String, Value>) -> String {
    let claim = |c: &str| claims.get(c).and_then(Value::as_str).map(str::trim).filter(|v| !v.is_empty());
    let name = match (claim("name"), claim("given_name"), claim("family_name")) {
        (Some(name), _, _) => name.to_owned(),
        (None, Some(given), Some(family)) => format!("{given} {family}"),
        (None, Some(one), None) | (None, None, Some(one)) => one.to_owned(),
        (None, None, None) => email.split('@').next().unwrap_or(email).to_owned(),
    };
    name.chars().filter(|c| !c.is_control()).take(200).collect()
}
