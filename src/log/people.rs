//! Events about a person that the school's systems make (SCIM, `tutorchat import`) or an admin:
//! `user_provisioned`, `user_changed`, `user_deactivated`, `user_reactivated` (no chat, like
//! `user_suspended`). A provisioning client appends them with no actor and its name in the
//! payload's `client`, so the audit says which system did what and when;
//! `sql/functions/events_rule_people.sql` holds their rules (a change keeps only what differs,
//! so replaying the same input appends nothing).

use serde::{Deserialize, Deserializer};

/// Who provisions: a provisioning client (by name; the event has no actor) or an admin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum By {
    Client(String),
    Admin(i64),
}

impl By {
    fn actor(&self) -> Option<i64> {
        match self {
            Self::Client(_) => None,
            Self::Admin(id) => Some(*id),
        }
    }

    fn client(&self) -> Option<&str> {
        match self {
            Self::Client(name) => Some(name),
            Self::Admin(_) => None,
        }
    }
}

/// What to record about a person ([`super::NewEvent::Person`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PersonChange {
    /// A new person (the log draws their id); `role` as `users.role` says it (student,
    /// teacher, guardian, admin).
    Provision {
        external_id: Option<String>,
        /// SCIM's userName (none: not provisioned through SCIM).
        user_name: Option<String>,
        name: String,
        email: String,
        role: &'static str,
    },
    /// New values for some attributes (`None`: unchanged; `external_id: Some(None)` forgets
    /// it). The log keeps only those that differ, and records nothing if none does.
    Change {
        user_id: i64,
        external_id: Option<Option<String>>,
        user_name: Option<Option<String>>,
        name: Option<String>,
        email: Option<String>,
        role: Option<&'static str>,
    },
    Deactivate {
        user_id: i64,
    },
    Reactivate {
        user_id: i64,
    },
    /// A guardian linked to a student (`linked`), or the link ended (`guardian_linked`,
    /// `guardian_unlinked`).
    Guardian {
        guardian_id: i64,
        student_id: i64,
        linked: bool,
    },
}

impl PersonChange {
    /// The row's actor, type and payload.
    pub(super) fn columns(&self, by: &By) -> (Option<i64>, super::EventType, serde_json::Value) {
        use super::EventType;
        let (kind, mut payload) = match self {
            Self::Provision { external_id, user_name, name, email, role } => (
                EventType::UserProvisioned,
                serde_json::json!({ "external_id": external_id, "user_name": user_name, "name": name,
                                    "email": email, "role": role }),
            ),
            Self::Change { user_id, external_id, user_name, name, email, role } => {
                let mut payload = serde_json::json!({ "user_id": user_id });
                if let Some(external_id) = external_id {
                    payload["external_id"] = external_id.as_deref().into();
                }
                if let Some(user_name) = user_name {
                    payload["user_name"] = user_name.as_deref().into();
                }
                if let Some(name) = name {
                    payload["name"] = name.as_str().into();
                }
                if let Some(email) = email {
                    payload["email"] = email.as_str().into();
                }
                if let Some(role) = role {
                    payload["role"] = (*role).into();
                }
                (EventType::UserChanged, payload)
            }
            Self::Deactivate { user_id } => (EventType::UserDeactivated, serde_json::json!({ "user_id": user_id })),
            Self::Reactivate { user_id } => (EventType::UserReactivated, serde_json::json!({ "user_id": user_id })),
            Self::Guardian { guardian_id, student_id, linked } => (
                if *linked { EventType::GuardianLinked } else { EventType::GuardianUnlinked },
                serde_json::json!({ "guardian_id": guardian_id, "student_id": student_id }),
            ),
        };
        payload["client"] = by.client().into();
        (by.actor(), kind, payload)
    }

    /// Whether `data` is the event this change asked for.
    pub(super) fn is_answered_by(&self, data: &super::EventData) -> bool {
        use super::EventData;
        match (self, data) {
            (Self::Provision { email, .. }, EventData::UserProvisioned(p)) => *email == p.email,
            (Self::Change { user_id, .. }, EventData::UserChanged(c)) => *user_id == c.user_id,
            (Self::Deactivate { user_id }, EventData::UserDeactivated(a))
            | (Self::Reactivate { user_id }, EventData::UserReactivated(a)) => *user_id == a.user_id,
            (
                Self::Guardian { guardian_id, student_id, linked: true },
                EventData::GuardianLinked { guardian_id: g, student_id: s },
            )
            | (
                Self::Guardian { guardian_id, student_id, linked: false },
                EventData::GuardianUnlinked { guardian_id: g, student_id: s },
            ) => guardian_id == g && student_id == s,
            _ => false,
        }
    }
}

/// The payload of `user_provisioned`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Provisioned {
    pub user_id: i64,
    #[serde(default)]
    pub external_id: Option<String>,
    #[serde(default)]
    pub user_name: Option<String>,
    pub name: String,
    pub email: String,
    pub role: String,
    /// The provisioning client's name (none: an admin, the event's actor).
    #[serde(default)]
    pub client: Option<String>,
}

/// The payload of `user_changed`: the attributes that changed, each absent when it did not.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Changed {
    pub user_id: i64,
    /// `Some(None)`: the external id was forgotten.
    #[serde(default, deserialize_with = "present")]
    pub external_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub user_name: Option<Option<String>>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub role: Option<String>,
    #[serde(default)]
    pub client: Option<String>,
}

/// The payload of `user_deactivated` and `user_reactivated`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Activity {
    pub user_id: i64,
    #[serde(default)]
    pub client: Option<String>,
}

/// A field that is present (even as null) is `Some`.
fn present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(deserializer).map(Some)
}
