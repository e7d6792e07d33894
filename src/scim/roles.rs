//! Roles from the directory's groups (`SCIM_ROLE_GROUPS`): a person in a group that the
//! setting maps to a role has that role (the most privileged one when several: admin, teacher,
//! guardian, student). A person in no such group keeps the role they have; a new one is a
//! student, or a guardian when their User names students (guardianOf). A change is a
//! `user_changed` of the log by the client; the log refuses it for someone with chats, lessons
//! or guardian links (409, `scimType` mutability).

use tokio_postgres::GenericClient;

use super::ScimError;
use crate::auth::Role;
use crate::config::ScimConfig;
use crate::log::people::{By, PersonChange};
use crate::provisioning::people;

fn rank(role: Role) -> u8 {
    match role {
        Role::Admin => 4,
        Role::Teacher => 3,
        Role::Guardian => 2,
        Role::Student => 1,
        Role::Guest => 0,
    }
}

/// The role the groups of `user_id` give them, if any of them carries one.
pub async fn mapped_role(
    db: &impl GenericClient,
    config: &ScimConfig,
    user_id: i64,
) -> Result<Option<Role>, ScimError> {
    const SQL: &str = "SELECT g.display_name FROM scim_group_members m JOIN scim_groups g ON g.id = m.group_id
                       WHERE m.user_id = $1";
    let rows = db.query(SQL, &[&user_id]).await?;
    let roles = rows.iter().filter_map(|r| config.role_of(r.get::<_, &str>(0))?.parse::<Role>().ok());
    Ok(roles.max_by_key(|r| rank(*r)))
}

/// Gives each of `users` the role their groups say, where one does and it differs.
pub async fn apply(db: &impl GenericClient, config: &ScimConfig, by: &By, users: &[i64]) -> Result<(), ScimError> {
    for &user_id in users {
        let Some(role) = mapped_role(db, config, user_id).await? else { continue };
        let change = PersonChange::Change {
            user_id,
            external_id: None,
            user_name: None,
            name: None,
            email: None,
            role: Some(role.as_str()),
        };
        people::append(db, by, change).await?;
    }
    Ok(())
}
