//! A deactivated person: streams end on every replica within a second, every request of
//! their session is 401 `account_deactivated`, sign-in is refused; reactivated, they are back.

use std::time::Duration;

use serde_json::json;

use super::deactivate;
use crate::governance::audit_is_clean;
use crate::helpers::{TestApp, status_and_json};
use crate::mute_archive::ids;

#[tokio::test]
async fn deactivation_ends_a_streaming_session_within_a_second_on_the_other_replica() {
    let a = TestApp::spawn().await;
    let b = a.replica().await;
    let (teacher, student, admin) =
        (a.user("teacher", "Teacher").await, a.user("student", "Student").await, a.user("admin", "Admin").await);
    let chat = a.chat(&teacher, &student).await;
    let mut on_b = b.stream(&student, None).await;
    a.send(&teacher, chat, "hello").await;
    assert_eq!(on_b.event().await.event, "new_message");

    let (status, body) = deactivate(&a, &admin, &student, true).await;
    assert_eq!(status, 204, "{body}");
    // Within a second of replica B reading the deactivation from the log. The log is read up to
    // the cluster's oldest open transaction, and in this suite other tests' databases share the
    // cluster (their migrations hold one open for a second or more), so the second is counted
    // from B's listener having the event, not from the commit.
    b.settled().await;
    let rest = on_b.until_closed(Duration::from_secs(1)).await;
    assert!(rest.iter().any(|e| e.event == "user_deactivated"), "{rest:#?}");

    for app in [&a, &b] {
        let (status, body) = status_and_json(app.get("/api/chats", &student).send().await.expect("GET")).await;
        assert_eq!((status, body["code"].as_str()), (401, Some("account_deactivated")), "{body}");
        let (status, body) = status_and_json(app.post_message(&student, chat, "still here?").await).await;
        assert_eq!((status, body["code"].as_str()), (401, Some("account_deactivated")), "{body}");
    }
    assert_eq!(deactivate(&b, &admin, &student, true).await.0, 204, "deactivated already: a no-op");
    assert_eq!(deactivate(&b, &admin, &admin, true).await.0, 422, "an admin is never deactivated");

    // Nothing is deleted; reactivated, they read and write again on every replica.
    assert_eq!(deactivate(&b, &admin, &student, false).await.0, 204);
    a.settled().await;
    b.settled().await;
    assert_eq!(b.post_message(&student, chat, "back").await.status(), 201);
    assert_eq!(ids(&a, &student, false).await, vec![chat]);
    audit_is_clean(&a).await;
}

#[tokio::test]
async fn a_deactivated_person_cannot_sign_in() {
    let a = TestApp::spawn_with(|c| c.auth.dev_login = true).await;
    let (student, admin) = (a.user("student", "Student").await, a.user("admin", "Admin").await);
    let email = a.email_of(&student).await;
    let login = |email: String| {
        let a = &a;
        async move {
            let response = a.http.post(a.url("/api/dev/login")).json(&json!({ "email": email })).send().await;
            status_and_json(response.expect("login")).await
        }
    };
    assert_eq!(login(email.clone()).await.0, 200);
    assert_eq!(deactivate(&a, &admin, &student, true).await.0, 204);
    let (status, body) = login(email).await;
    assert_eq!((status, body["code"].as_str()), (401, Some("account_deactivated")), "{body}");

    let (_, users) = status_and_json(a.get("/api/admin/users", &admin).send().await.expect("users")).await;
    let listed = users["users"].as_array().expect("users").iter().find(|u| u["id"] == student.id).cloned();
    assert!(listed.expect("listed")["deactivated_at"].is_string(), "{users}");
}

#[tokio::test]
async fn someone_being_erased_is_neither_deactivated_nor_reactivated() {
    let a = TestApp::spawn().await;
    let (student, admin) = (a.user("student", "Student").await, a.user("admin", "Admin").await);
    let path = format!("/api/admin/users/{}/erase", student.id);
    let (status, body) = super::post(&a, &admin, &path, json!({ "reason": "asked" })).await;
    assert_eq!(status, 202, "{body}");
    for on in [true, false] {
        let (status, body) = deactivate(&a, &admin, &student, on).await;
        assert_eq!((status, body["code"].as_str()), (409, Some("conflict")), "{body}");
    }
    audit_is_clean(&a).await;
}
