//! SCIM provisioning: which of the directory's groups give their members which role.

use super::env::{ConfigError, Env, Fallback, Var, defaults};

const SCIM_ROLE_GROUPS: Var = Var {
    name: "SCIM_ROLE_GROUPS",
    default: Fallback::Value("students=student,teachers=teacher,guardians=guardian"),
    meaning: "which SCIM Groups (by displayName, in any case) give their members which role, as `group=role` pairs separated by commas (roles: student, teacher, guardian, admin; admin only if the school adds it). A person in no such group is a student, or a guardian when their User names the students they are a guardian of. Other groups are kept for the directory and mean nothing here",
};

pub(super) const VARS: &[Var] = &[SCIM_ROLE_GROUPS];

/// The SCIM groups that carry a role.
#[derive(Debug, Clone)]
pub struct ScimConfig {
    /// (the group's display name in lower case, its role: student, teacher, guardian or
    /// admin), in the order given.
    pub role_groups: Vec<(String, &'static str)>,
}

impl ScimConfig {
    pub(super) fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let text = env.text(&SCIM_ROLE_GROUPS).unwrap_or_default();
        let mut role_groups = Vec::new();
        for pair in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let problem = || ConfigError::new(SCIM_ROLE_GROUPS.name, format!("{pair:?} is not group=role"));
            let (group, role) = pair.split_once('=').ok_or_else(problem)?;
            let role = match role.trim() {
                "student" => "student",
                "teacher" => "teacher",
                "guardian" => "guardian",
                "admin" => "admin",
                other => {
                    let problem = format!("{other:?} is no role (student, teacher, guardian, admin)");
                    return Err(ConfigError::new(SCIM_ROLE_GROUPS.name, problem));
                }
            };
            let group = group.trim().to_lowercase();
            if group.is_empty() {
                return Err(problem());
            }
            role_groups.push((group, role));
        }
        Ok(Self { role_groups })
    }

    /// The role group `display_name` gives its members, if any.
    pub fn role_of(&self, display_name: &str) -> Option<&'static str> {
        let name = display_name.to_lowercase();
        self.role_groups.iter().find(|(group, _)| *group == name).map(|(_, role)| *role)
    }
}

impl Default for ScimConfig {
    fn default() -> Self {
        defaults(Self::from_env)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_groups_are_pairs_of_a_group_and_a_role() {
        let config = ScimConfig::default();
        assert_eq!(config.role_of("Teachers"), Some("teacher"));
        assert_eq!(config.role_of("admins"), None, "admins only if the school adds them");
        let env = Env::of(&[("SCIM_ROLE_GROUPS", "Staff=teacher, IT=admin")]);
        let config = ScimConfig::from_env(&env).expect("valid");
        assert_eq!((config.role_of("staff"), config.role_of("it")), (Some("teacher"), Some("admin")));
        for bad in ["staff", "staff=janitor", "=teacher"] {
            let error = ScimConfig::from_env(&Env::of(&[("SCIM_ROLE_GROUPS", bad)])).err();
            assert_eq!(error.map(|e| e.var), Some("SCIM_ROLE_GROUPS"), "{bad}");
        }
    }
}
