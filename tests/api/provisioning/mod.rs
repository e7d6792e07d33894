//! Provisioning (issue 50's shared base): the school's systems as provisioning clients with
//! bearer tokens and scopes (`clients`), and people as events of the log (`people`).

mod clients;
mod people;

use tutorchat::log::people::By;
pub use tutorchat::provisioning::people::PersonInput;

/// What a directory says of a person.
fn input(external_id: &str, name: &str, role: Option<&str>) -> PersonInput {
    PersonInput {
        external_id: external_id.to_owned(),
        email: format!("{external_id}@school.example"),
        name: name.to_owned(),
        role: role.map(|r| serde_json::from_value(serde_json::json!(r)).expect("a role")),
        active: true,
    }
}

fn directory() -> By {
    By::Client("directory".to_owned())
}

/// How many events of `kind` the log holds.
async fn count(app: &crate::helpers::TestApp, kind: &str) -> i64 {
    app.sql.query_one("SELECT count(*) FROM events WHERE type = $1", &[&kind]).await.expect("count").get(0)
}

/// What audit_replay finds different (nothing, when the read models are the log's).
pub async fn replay_problems(app: &crate::helpers::TestApp) -> Vec<String> {
    let rows =
        app.sql.query("SELECT projection, row_key, problem, replayed::text, live::text FROM audit_replay()", &[]);
    rows.await
        .expect("audit_replay")
        .iter()
        .map(|r| {
            format!(
                "{} {} {} {:?} {:?}",
                r.get::<_, String>(0),
                r.get::<_, String>(1),
                r.get::<_, String>(2),
                r.get::<_, Option<String>>(3),
                r.get::<_, Option<String>>(4)
            )
        })
        .collect()
}
