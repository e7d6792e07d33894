//! People as events of the log: `provisioning::people::upsert` creates or updates a person by
//! the school's id for them, records only what changed, and the read models are the log's.

use tutorchat::log::people::By;
use tutorchat::provisioning::people::{Outcome, upsert};

use super::{count, directory, input, replay_problems};
use crate::helpers::{TestApp, User, token_for};

#[tokio::test]
async fn the_same_upsert_twice_appends_one_event_and_changes_append_only_what_differs() {
    let app = TestApp::spawn().await;
    let ada = input("S-1001", "Ada Lovelace", None);
    let (id, outcome) = upsert(&app.sql, &directory(), &ada).await.expect("create");
    assert_eq!(outcome, Outcome::Created);
    assert_eq!(upsert(&app.sql, &directory(), &ada).await.expect("again"), (id, Outcome::Unchanged));
    assert_eq!(count(&app, "user_provisioned").await, 1);
    assert_eq!(count(&app, "user_changed").await, 0);

    let row = app
        .sql
        .query_one("SELECT external_id, name, email, role, deactivated_at IS NULL FROM users WHERE id = $1", &[&id])
        .await
        .expect("user");
    assert_eq!(row.get::<_, Option<String>>(0).as_deref(), Some("S-1001"));
    assert_eq!(row.get::<_, String>(1), "Ada Lovelace");
    assert_eq!(row.get::<_, String>(3), "student", "a person in no role is a student");
    assert!(row.get::<_, bool>(4));
    let payload: serde_json::Value = app
        .sql
        .query_one(
            "SELECT payload || jsonb_build_object('actor', actor_id) FROM events WHERE type = 'user_provisioned'",
            &[],
        )
        .await
        .expect("event")
        .get(0);
    assert_eq!(payload["client"], "directory");
    assert_eq!(payload["actor"], serde_json::Value::Null, "a provisioning client is no actor");

    // A new name: one user_changed with the name only.
    let renamed = super::PersonInput { name: "Ada King".into(), ..ada.clone() };
    assert_eq!(upsert(&app.sql, &directory(), &renamed).await.expect("rename"), (id, Outcome::Changed));
    let changed: serde_json::Value =
        app.sql.query_one("SELECT payload FROM events WHERE type = 'user_changed'", &[]).await.expect("ev").get(0);
    assert_eq!(changed, serde_json::json!({ "user_id": id, "name": "Ada King", "client": "directory" }));

    // Leaving and coming back: once each.
    let gone = super::PersonInput { active: false, ..renamed.clone() };
    assert_eq!(upsert(&app.sql, &directory(), &gone).await.expect("leave"), (id, Outcome::Changed));
    assert_eq!(upsert(&app.sql, &directory(), &gone).await.expect("again"), (id, Outcome::Unchanged));
    assert_eq!(count(&app, "user_deactivated").await, 1);
    let deactivated: bool = app
        .sql
        .query_one("SELECT deactivated_at IS NOT NULL FROM users WHERE id = $1", &[&id])
        .await
        .expect("u")
        .get(0);
    assert!(deactivated);
    assert_eq!(upsert(&app.sql, &directory(), &renamed).await.expect("back"), (id, Outcome::Changed));
    assert_eq!(count(&app, "user_reactivated").await, 1);

    assert_eq!(replay_problems(&app).await, Vec::<String>::new());
}

#[tokio::test]
async fn a_person_made_before_provisioning_is_adopted_by_email_and_an_email_is_one_persons() {
    let app = TestApp::spawn().await;
    let existing = app.user("teacher", "Mr Old").await;
    let email: String =
        app.sql.query_one("SELECT email FROM users WHERE id = $1", &[&existing.id]).await.expect("email").get(0);
    let adopted = super::PersonInput { email: email.to_uppercase(), ..input("T-7", "Mr New", None) };
    let (id, outcome) = upsert(&app.sql, &directory(), &adopted).await.expect("adopt");
    assert_eq!((id, outcome), (existing.id, Outcome::Changed));
    let role: String = app.sql.query_one("SELECT role FROM users WHERE id = $1", &[&id]).await.expect("r").get(0);
    assert_eq!(role, "teacher", "no role given: the person keeps theirs");

    // Someone else with that email: 409, and nothing recorded.
    let before = count(&app, "user_provisioned").await;
    let clash = super::PersonInput { email: email.clone(), ..input("T-8", "Another", None) };
    let refused = upsert(&app.sql, &directory(), &clash).await.expect_err("the email is taken");
    assert_eq!(refused.status().as_u16(), 409, "{refused}");
    assert_eq!(count(&app, "user_provisioned").await, before);
    assert_eq!(replay_problems(&app).await, Vec::<String>::new());
}

#[tokio::test]
async fn a_role_changes_only_for_someone_without_chats() {
    let app = TestApp::spawn().await;
    let (teacher, _) = upsert(&app.sql, &directory(), &input("T-1", "Teacher", Some("teacher"))).await.expect("t");
    let (student, _) = upsert(&app.sql, &directory(), &input("S-1", "Student", Some("student"))).await.expect("s");
    let (newcomer, _) = upsert(&app.sql, &directory(), &input("S-2", "Newcomer", Some("student"))).await.expect("n");
    app.chat(&User { id: teacher, token: token_for(teacher) }, &User { id: student, token: token_for(student) }).await;

    let refused = upsert(&app.sql, &directory(), &input("T-1", "Teacher", Some("student"))).await.expect_err("chats");
    assert_eq!((refused.status().as_u16(), refused.code()), (409, tutorchat::error::Code::RoleInUse), "{refused}");
    let outcome = upsert(&app.sql, &directory(), &input("S-2", "Newcomer", Some("guardian"))).await.expect("no chats");
    assert_eq!(outcome, (newcomer, Outcome::Changed));
    assert_eq!(replay_problems(&app).await, Vec::<String>::new());
}

#[tokio::test]
async fn admins_see_people_provisioned_live_on_every_replica_and_the_person_their_deactivation() {
    let a = TestApp::spawn().await;
    let b = a.replica().await;
    let admin = a.user("admin", "Admin").await;
    let (id, _) = upsert(&a.sql, &By::Admin(admin.id), &input("S-5", "Early", None)).await.expect("by an admin");
    let person = User { id, token: token_for(id) };
    let mut admin_a = a.stream(&admin, None).await;
    let mut admin_b = b.stream(&admin, None).await;
    let mut own = b.stream(&person, None).await;

    upsert(&a.sql, &directory(), &input("S-6", "Grace", Some("teacher"))).await.expect("create");
    for stream in [&mut admin_a, &mut admin_b] {
        let event = stream.event().await;
        assert_eq!(event.event, "user_provisioned");
        let data = event.json();
        assert_eq!((data["name"].as_str(), data["role"].as_str()), (Some("Grace"), Some("teacher")), "{data}");
        assert_eq!(data["client"], "directory");
    }
    let gone = super::PersonInput { active: false, ..input("S-5", "Early", None) };
    upsert(&a.sql, &directory(), &gone).await.expect("deactivate");
    for stream in [&mut admin_a, &mut admin_b, &mut own] {
        let event = stream.event().await;
        assert_eq!((event.event.as_str(), event.json()["user_id"].as_i64()), ("user_deactivated", Some(id)));
    }
}

#[tokio::test]
async fn an_erased_persons_name_and_email_leave_their_provisioning_events_too() {
    let app = TestApp::spawn().await;
    let admin = app.user("admin", "Admin").await;
    let (id, _) = upsert(&app.sql, &directory(), &input("S-9", "Erin Erased", None)).await.expect("create");
    let renamed = super::PersonInput { name: "Erin Renamed".into(), ..input("S-9", "Erin Erased", None) };
    upsert(&app.sql, &directory(), &renamed).await.expect("rename");

    crate::governance::erase(&app, &admin, &User { id, token: token_for(id) }).await;
    let left: i64 = app
        .sql
        .query_one(
            "SELECT count(*) FROM events WHERE type IN ('user_provisioned', 'user_changed')
               AND (payload::text LIKE '%Erin%' OR payload::text LIKE '%S-9@school%')",
            &[],
        )
        .await
        .expect("count")
        .get(0);
    assert_eq!(left, 0, "the log keeps neither their name nor their email");
    let external_id: Option<String> =
        app.sql.query_one("SELECT external_id FROM users WHERE id = $1", &[&id]).await.expect("u").get(0);
    assert_eq!(external_id.as_deref(), Some("S-9"), "the school's id stays: the school knows whom it erased");
    assert_eq!(replay_problems(&app).await, Vec::<String>::new());
}
