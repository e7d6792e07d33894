//! Retry-safe sends: a POST whose answer was lost can be sent again with the same
//! `Idempotency-Key` and gets the first answer, whichever replica it reaches; nothing is
//! appended twice.

use serde_json::{Value, json};

use crate::helpers::{TestApp, User, status_and_json};

async fn post_with_key(app: &TestApp, user: &User, chat: i64, content: &str, key: &str) -> (u16, Value) {
    let response = app
        .http
        .post(app.url("/api/messages"))
        .bearer_auth(&user.token)
        .header("idempotency-key", key)
        .json(&json!({ "chat_id": chat, "content": content }))
        .send()
        .await
        .expect("POST /api/messages");
    status_and_json(response).await
}

async fn events_with_key(app: &TestApp, key: &str) -> i64 {
    app.sql.query_one("SELECT count(*) FROM events WHERE idempotency_key = $1", &[&key]).await.expect("count").get(0)
}

#[tokio::test]
async fn a_retried_send_returns_the_first_message_and_appends_once_on_any_replica() {
    let app = TestApp::spawn().await;
    let other_replica = app.replica().await;
    let (teacher, student) = (app.user("teacher", "T").await, app.user("student", "S").await);
    let chat = app.chat(&teacher, &student).await;
    let key = "0b6f2c1e-9d8a-4c55-b0a7-5e3f7d2a9c10";

    let (status, first) = post_with_key(&app, &student, chat, "only once, please", key).await;
    assert_eq!(status, 201, "{first}");
    let (status, again) = post_with_key(&app, &student, chat, "only once, please", key).await;
    assert_eq!((status, &again), (200, &first), "a retry gets the first answer");
    let (status, elsewhere) = post_with_key(&other_replica, &student, chat, "only once, please", key).await;
    assert_eq!((status, &elsewhere), (200, &first), "on the other replica too");
    assert_eq!(events_with_key(&app, key).await, 1);
    let messages: i64 = app.sql.query_one("SELECT count(*) FROM messages", &[]).await.expect("count").get(0);
    assert_eq!(messages, 1);

    // Keys are the sender's own: another user's identical key is another request.
    let (status, theirs) = post_with_key(&app, &teacher, chat, "only once, please", key).await;
    assert_eq!(status, 201, "{theirs}");
    assert_ne!(theirs["id"], first["id"]);
}

#[tokio::test]
async fn concurrent_sends_with_one_key_create_one_message() {
    let app = TestApp::spawn().await;
    let other_replica = app.replica().await;
    let (teacher, student) = (app.user("teacher", "T").await, app.user("student", "S").await);
    let chat = app.chat(&teacher, &student).await;
    let sends = (0..20).map(|i| {
        let replica = if i % 2 == 0 { &app } else { &other_replica };
        post_with_key(replica, &student, chat, "raced", "the-same-key")
    });
    let answers = futures::future::join_all(sends).await;
    let created = answers.iter().filter(|(status, _)| *status == 201).count();
    assert_eq!(created, 1, "one request created it: {answers:?}");
    assert!(answers.iter().all(|(status, body)| [200, 201].contains(status) && body["id"] == answers[0].1["id"]));
    assert_eq!(events_with_key(&app, "the-same-key").await, 1);
}

#[tokio::test]
async fn a_key_reused_for_another_message_or_malformed_is_refused() {
    let app = TestApp::spawn().await;
    let (teacher, student) = (app.user("teacher", "T").await, app.user("student", "S").await);
    let chat = app.chat(&teacher, &student).await;
    assert_eq!(post_with_key(&app, &student, chat, "first", "k-1").await.0, 201);
    let (status, body) = post_with_key(&app, &student, chat, "something else", "k-1").await;
    assert_eq!(status, 422, "{body}");
    assert!(body["error"].as_str().is_some_and(|e| e.contains("Idempotency-Key")), "{body}");
    for bad in ["x".repeat(65), "with space".to_owned(), "кириллица".to_owned()] {
        let response = app
            .http
            .post(app.url("/api/messages"))
            .bearer_auth(&student.token)
            .header("idempotency-key", reqwest::header::HeaderValue::from_bytes(bad.as_bytes()).expect("header"))
            .json(&json!({ "chat_id": chat, "content": "hi" }))
            .send()
            .await
            .expect("send");
        let (status, body) = status_and_json(response).await;
        assert_eq!(status, 400, "{bad:?}: {body}");
    }
    assert_eq!(events_with_key(&app, "k-1").await, 1);
}
