//! Direct send: `POST /api/direct/{user_id}/send` finds the chat a completed lesson opened
//! between the caller and that user and sends into it; it never creates one.

use serde_json::{Value, json};

use crate::helpers::{TestApp, User, status_and_json};

async fn direct(app: &TestApp, from: &User, to: i64, body: Value, key: Option<&str>) -> (u16, Value) {
    let mut request = app.http.post(app.url(&format!("/api/direct/{to}/send"))).bearer_auth(&from.token).json(&body);
    if let Some(key) = key {
        request = request.header("idempotency-key", key);
    }
    status_and_json(request.send().await.expect("POST direct")).await
}

#[tokio::test]
async fn a_direct_message_lands_in_the_pairs_chat_both_ways_and_reaches_the_partner() {
    let app = TestApp::spawn().await;
    let (teacher, student) = (app.user("teacher", "T").await, app.user("student", "S").await);
    let chat = app.chat(&teacher, &student).await;
    let mut partner = app.stream(&teacher, None).await;

    let (status, body) = direct(&app, &student, teacher.id, json!({ "content": "Здравствуйте!" }), None).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!((body["chat_id"].as_i64(), body["sender_id"].as_i64()), (Some(chat), Some(student.id)));
    assert_eq!(body["content"], "Здравствуйте!");
    let event = partner.event().await;
    assert_eq!((event.event.as_str(), event.json()["message"]["id"].as_i64()), ("new_message", body["id"].as_i64()));

    let (status, answer) = direct(&app, &teacher, student.id, json!({ "content": "Добрый день" }), None).await;
    assert_eq!((status, answer["chat_id"].as_i64()), (201, Some(chat)));
    let (_, history) =
        status_and_json(app.get(&format!("/api/chats/{chat}/messages"), &student).send().await.expect("GET")).await;
    let ids: Vec<_> = history["messages"].as_array().expect("messages").iter().map(|m| m["id"].as_i64()).collect();
    assert_eq!(ids, vec![body["id"].as_i64(), answer["id"].as_i64()]);
}

#[tokio::test]
async fn without_a_completed_lesson_there_is_no_one_to_send_to_and_admins_never_send() {
    let app = TestApp::spawn().await;
    let (teacher, student, stranger) =
        (app.user("teacher", "T").await, app.user("student", "S").await, app.user("student", "X").await);
    let admin = app.user("admin", "A").await;
    app.chat(&teacher, &student).await;
    let chats_before: i64 = app.sql.query_one("SELECT count(*) FROM chats", &[]).await.expect("count").get(0);

    for (from, to, expected) in [
        (&stranger, teacher.id, 404), // no lesson together
        (&student, stranger.id, 404), // two students
        (&student, student.id, 404),  // oneself
        (&student, 999_999, 404),     // nobody
        (&admin, student.id, 403),    // read-only
    ] {
        let (status, body) = direct(&app, from, to, json!({ "content": "hi" }), None).await;
        assert_eq!(status, expected, "{} → {to}: {body}", from.id);
        assert!(body["error"].as_str().is_some_and(|e| !e.is_empty()), "{body}");
    }
    let chats_after: i64 = app.sql.query_one("SELECT count(*) FROM chats", &[]).await.expect("count").get(0);
    assert_eq!(chats_after, chats_before, "direct send never opens a chat");

    for bad in [json!({ "content": "   " }), json!({}), json!({ "content": 5 })] {
        let (status, body) = direct(&app, &student, teacher.id, bad.clone(), None).await;
        assert!(status == 400 || status == 422, "{bad} → {status} {body}");
    }
    let (status, _) = status_and_json(
        app.http
            .post(app.url(&format!("/api/direct/{}/send", teacher.id)))
            .json(&json!({"content": "x"}))
            .send()
            .await
            .expect("POST"),
    )
    .await;
    assert_eq!(status, 401);
    let (status, _) = direct(&app, &student, -1, json!({ "content": "x" }), None).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_direct_send_retried_with_its_key_lands_once() {
    let app = TestApp::spawn().await;
    let (teacher, student) = (app.user("teacher", "T").await, app.user("student", "S").await);
    app.chat(&teacher, &student).await;
    let (first, body) = direct(&app, &student, teacher.id, json!({ "content": "once" }), Some("direct-1")).await;
    let (again, retry) = direct(&app, &student, teacher.id, json!({ "content": "once" }), Some("direct-1")).await;
    assert_eq!((first, again), (201, 200));
    assert_eq!(body["id"], retry["id"]);
    let (other, _) = direct(&app, &student, teacher.id, json!({ "content": "another" }), Some("direct-1")).await;
    assert_eq!(other, 422, "a key names one message");
    let count: i64 = app.sql.query_one("SELECT count(*) FROM messages", &[]).await.expect("count").get(0);
    assert_eq!(count, 1);
}
