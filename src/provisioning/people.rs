//! People from the school's systems, through the log: one entry point ([`upsert`]) creates or
//! updates a person by the school's id for them (`external_id`), for SCIM and for
//! `tutorchat import --users` alike. The log's rule (`events_rule_people`) keeps only what
//! differs, so replaying the same input appends nothing and answers [`Outcome::Unchanged`].

use tokio_postgres::GenericClient;
use tokio_postgres::error::SqlState;

use crate::auth::Role;
use crate::error::AppError;
use crate::log::people::{By, PersonChange};
use crate::log::{AppendError, NewEvent, store};

/// A person as the school's system describes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonInput {
    pub external_id: String,
    pub email: String,
    pub name: String,
    /// None: a new person is a student, an existing one keeps theirs.
    pub role: Option<Role>,
    pub active: bool,
}

/// What an upsert did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Created,
    Changed,
    Unchanged,
}

/// A person as `users` has them now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub id: i64,
    pub external_id: Option<String>,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub active: bool,
}

impl Person {
    fn from_row(row: &tokio_postgres::Row) -> Result<Self, tokio_postgres::Error> {
        Ok(Self {
            id: row.try_get("id")?,
            external_id: row.try_get("external_id")?,
            name: row.try_get("name")?,
            email: row.try_get("email")?,
            role: row.try_get("role")?,
            active: row.try_get("active")?,
        })
    }
}

/// The person the school knows as `external_id`; else one who has `email` and no external id
/// yet (a person made before provisioning: adopted, unless an admin or a guest).
pub async fn find(db: &impl GenericClient, external_id: &str, email: &str) -> Result<Option<Person>, AppError> {
    const SQL: &str = "SELECT id, external_id, name::text AS name, email::text AS email, role,
                              deactivated_at IS NULL AS active
                       FROM users
                       WHERE external_id = $1
                          OR (lower(email) = lower($2) AND external_id IS NULL AND role NOT IN ('admin', 'guest'))
                       ORDER BY external_id IS NULL LIMIT 1";
    db.query_opt(SQL, &[&external_id, &email]).await?.as_ref().map(Person::from_row).transpose().map_err(Into::into)
}

/// Person `id`, if any (not a guest).
pub async fn get(db: &impl GenericClient, id: i64) -> Result<Option<Person>, AppError> {
    const SQL: &str = "SELECT id, external_id, name::text AS name, email::text AS email, role,
                              deactivated_at IS NULL AS active
                       FROM users WHERE id = $1 AND role <> 'guest'";
    db.query_opt(SQL, &[&id]).await?.as_ref().map(Person::from_row).transpose().map_err(Into::into)
}

/// Creates the person `input` describes, or brings them up to date (their attributes, then
/// whether they are active), by `by`; returns their id and what it did. The caller owns the
/// transaction: run it in one so that a refusal leaves nothing half done.
pub async fn upsert(db: &impl GenericClient, by: &By, input: &PersonInput) -> Result<(i64, Outcome), AppError> {
    let (id, mut outcome) = match find(db, &input.external_id, &input.email).await? {
        None => {
            let change = PersonChange::Provision {
                external_id: Some(input.external_id.clone()),
                user_name: None,
                name: input.name.clone(),
                email: input.email.clone(),
                role: input.role.unwrap_or(Role::Student).as_str(),
            };
            let stored = append(db, by, change).await?;
            let Some(crate::log::EventData::UserProvisioned(p)) = stored.map(|s| s.data) else {
                return Err(AppError::Internal(anyhow::anyhow!("user_provisioned was not recorded")));
            };
            (p.user_id, Outcome::Created)
        }
        Some(person) => {
            let change = PersonChange::Change {
                user_id: person.id,
                external_id: Some(Some(input.external_id.clone())),
                user_name: None,
                name: Some(input.name.clone()),
                email: Some(input.email.clone()),
                role: input.role.map(Role::as_str),
            };
            let changed = append(db, by, change).await?.is_some();
            (person.id, if changed { Outcome::Changed } else { Outcome::Unchanged })
        }
    };
    if set_active(db, by, id, input.active).await? && outcome == Outcome::Unchanged {
        outcome = Outcome::Changed;
    }
    Ok((id, outcome))
}

/// Deactivates or reactivates person `id`; whether anything changed.
pub async fn set_active(db: &impl GenericClient, by: &By, id: i64, active: bool) -> Result<bool, AppError> {
    let change =
        if active { PersonChange::Reactivate { user_id: id } } else { PersonChange::Deactivate { user_id: id } };
    Ok(append(db, by, change).await?.is_some())
}

/// Records `change` by `by` (None: a no-op, nothing appended), mapping a taken email or
/// external id to 409.
pub async fn append(
    db: &impl GenericClient,
    by: &By,
    change: PersonChange,
) -> Result<Option<crate::log::StoredEvent>, AppError> {
    let event = NewEvent::Person { by: by.clone(), change };
    match store::append(db, &[event]).await {
        Ok(mut stored) => Ok(stored.pop().flatten()),
        Err(AppendError::Database(e)) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => {
            let what = match e.as_db_error().and_then(|d| d.constraint()) {
                Some("users_email_key") => "another person has this email",
                Some("users_external_id") => "another person has this external id",
                Some("users_user_name") => "another person has this userName",
                _ => return Err(e.into()),
            };
            Err(AppError::Conflict(what.to_owned()))
        }
        Err(e) => Err(e.into()),
    }
}
