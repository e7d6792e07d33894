//! Lessons from the school's systems: the lesson's subject on chats, the integration API and
//! `tutorchat import`.

mod api;
mod import;
mod subjects;

use tutorchat::log::people::By;
use tutorchat::provisioning::people::{self, PersonInput};

use crate::helpers::{TestApp, User, token_for};

/// A person the school's systems provisioned (`provisioning::people::upsert`, by client
/// `sis`), known by `external_id`.
pub async fn provisioned(app: &TestApp, external_id: &str, role: &str, name: &str) -> User {
    let input = PersonInput {
        external_id: external_id.to_owned(),
        email: format!("{external_id}@school.example"),
        name: name.to_owned(),
        role: Some(role.parse().expect("a role")),
        active: true,
    };
    let (id, _) = people::upsert(&app.sql, &By::Client("sis".into()), &input).await.expect("provision");
    User { id, token: token_for(id) }
}

pub async fn count(app: &TestApp, query: &str) -> i64 {
    app.sql.query_one(query, &[]).await.expect(query).get(0)
}
