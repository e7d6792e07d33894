//! Who left the school joins nothing: nobody adds them to a group, and an "all my students"
//! announcement leaves them out.

use serde_json::json;

use super::deactivate;
use crate::governance::audit_is_clean;
use crate::groups::{add, group};
use crate::helpers::{TestApp, status_and_json};

#[tokio::test]
async fn nobody_adds_someone_who_left_to_a_group() {
    let a = TestApp::spawn().await;
    let (teacher, maria, alex) =
        (a.user("teacher", "Иван").await, a.user("student", "Мария").await, a.user("student", "Alex").await);
    let admin = a.user("admin", "Завуч").await;
    let class = group(&a, &teacher, "7Б", &[&maria]).await;
    a.teaches(&teacher, &[alex.id]).await;
    assert_eq!(deactivate(&a, &admin, &alex, true).await.0, 204);

    for by in [&teacher, &admin] {
        let (status, body) = add(&a, by, class, alex.id).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("person_deactivated")), "{body}");
    }
    let request = a.http.post(a.url("/api/chats")).bearer_auth(&teacher.token).json(&json!({
        "kind": "group", "title": "8А", "participant_ids": [maria.id, alex.id]
    }));
    let (status, body) = status_and_json(request.send().await.expect("POST /api/chats")).await;
    assert_eq!((status, body["code"].as_str()), (422, Some("person_deactivated")), "{body}");
    audit_is_clean(&a).await;
}

#[tokio::test]
async fn an_announcement_to_all_my_students_leaves_out_those_who_left() {
    let a = TestApp::spawn().await;
    let (teacher, maria, alex) =
        (a.user("teacher", "Иван").await, a.user("student", "Мария").await, a.user("student", "Alex").await);
    let admin = a.user("admin", "Завуч").await;
    a.chat(&teacher, &maria).await; // a completed lesson each
    a.chat(&teacher, &alex).await;
    assert_eq!(deactivate(&a, &admin, &alex, true).await.0, 204);

    let request = a.http.post(a.url("/api/chats")).bearer_auth(&teacher.token).json(&json!({
        "kind": "group", "title": "Новости", "audience": "my_students"
    }));
    let (status, body) = status_and_json(request.send().await.expect("POST /api/chats")).await;
    assert_eq!(status, 201, "{body}");
    let mut members: Vec<i64> =
        body["participants"].as_array().expect("participants").iter().filter_map(|p| p["id"].as_i64()).collect();
    members.sort_unstable();
    assert_eq!(members, [teacher.id, maria.id], "{body}");
}
