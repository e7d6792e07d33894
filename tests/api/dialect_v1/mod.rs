//! `/api/v1`: the REST routes and the WebSocket of the REST + WebSocket contract, on the same
//! core, with two replicas and a real third-party WebSocket client (`helpers::ws`).

use std::time::Duration;

use serde_json::Value;

use crate::helpers::{TestApp, User};

mod quiet;
mod rest;
mod socket;

/// Presence quick enough for a test, as `presence/` has it.
fn quick_presence(config: &mut tutorchat::Config) {
    config.presence.grace = Duration::from_millis(400);
    config.presence.lease = Duration::from_secs(2);
}

struct World {
    a: TestApp,
    b: TestApp,
    teacher: User,
    student: User,
    admin: User,
    /// A student of another chat only.
    outsider: User,
    other_teacher: User,
    chat: i64,
    other_chat: i64,
}

async fn world() -> World {
    let a = TestApp::spawn_with(quick_presence).await;
    let b = TestApp::spawn_on(a.database.clone(), quick_presence).await;
    let (teacher, student, admin) =
        (a.user("teacher", "Учитель").await, a.user("student", "Ученик").await, a.user("admin", "Завуч").await);
    let (outsider, other_teacher) = (a.user("student", "Чужой").await, a.user("teacher", "Другой").await);
    let chat = a.chat(&teacher, &student).await;
    let other_chat = a.chat(&other_teacher, &outsider).await;
    World { a, b, teacher, student, admin, outsider, other_teacher, chat, other_chat }
}

/// Status and body of an answer of this dialect; an error's body is exactly `{"error": "…"}`.
async fn answer(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    let body: Value = if text.is_empty() { Value::Null } else { serde_json::from_str(&text).expect("JSON") };
    if status >= 400 {
        let fields: Vec<&String> = body.as_object().map(|o| o.keys().collect()).unwrap_or_default();
        assert_eq!(fields, ["error"], "status {status}: {body}");
        assert!(body["error"].as_str().is_some_and(|e| !e.is_empty()), "{body}");
    }
    (status, body)
}

/// How many messages the database holds.
async fn stored(app: &TestApp) -> i64 {
    app.sql.query_one("SELECT count(*) FROM messages", &[]).await.expect("count").get(0)
}

/// Waits, polling, until `done` says so (at most 10 s).
async fn eventually<F: Future<Output = bool>>(what: &str, mut done: impl FnMut() -> F) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !done().await {
        assert!(std::time::Instant::now() < deadline, "not {what} within 10 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
