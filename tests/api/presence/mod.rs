//! Typing and presence: ephemeral signals that cross replicas through PostgreSQL without
//! touching the log. Replicas here use a short presence lease and grace (see `spawn`).

use std::time::Duration;

use serde_json::Value;

use crate::helpers::{Event, Stream, TestApp, TestDatabase, User};

mod online;
mod typing;

const GRACE: Duration = Duration::from_millis(400);

const LEASE: Duration = Duration::from_secs(2);

fn quick_presence(config: &mut tutorchat::Config) {
    config.presence.grace = GRACE;
    config.presence.lease = LEASE;
}

struct World {
    a: TestApp,
    b: TestApp,
    teacher: User,
    student: User,
    admin: User,
    outsider: User,
    other_teacher: User,
    chat: i64,
    other_chat: i64,
}

async fn world() -> World {
    let a = TestApp::spawn_with(quick_presence).await;
    let b = replica(&a.database).await;
    let (teacher, student, admin) =
        (a.user("teacher", "Teacher").await, a.user("student", "Student").await, a.user("admin", "Admin").await);
    let (outsider, other_teacher) = (a.user("student", "Outsider").await, a.user("teacher", "Other").await);
    let chat = a.chat(&teacher, &student).await;
    let other_chat = a.chat(&other_teacher, &outsider).await;
    World { a, b, teacher, student, admin, outsider, other_teacher, chat, other_chat }
}

async fn replica(database: &std::sync::Arc<TestDatabase>) -> TestApp {
    TestApp::spawn_on(database.clone(), quick_presence).await
}

/// Every event up to and including the message with id `control` (`new_message`, or
/// `message_sent` on its sender's own stream).
async fn events_until(stream: &mut Stream, control: i64) -> Vec<Event> {
    let mut seen = Vec::new();
    loop {
        let event = stream.any_event().await;
        let message = ["new_message", "message_sent"].contains(&event.event.as_str());
        let done = message && event.json()["message"]["id"].as_i64() == Some(control);
        seen.push(event);
        if done {
            return seen;
        }
    }
}

fn named<'a>(events: &'a [Event], name: &str) -> Vec<&'a Event> {
    events.iter().filter(|e| e.event == name).collect()
}

#[tokio::test]
async fn openapi_describes_typing_presence_and_their_events() {
    let a = TestApp::spawn().await;
    let doc: Value = a.http.get(a.url("/api/openapi.json")).send().await.expect("GET").json().await.expect("json");
    assert!(doc["paths"]["/api/chats/{chat_id}/typing"]["post"].is_object());
    assert!(doc["paths"]["/api/presence/{user_id}"]["get"].is_object());
    let schemas = &doc["components"]["schemas"];
    assert!(schemas["TypingEvent"]["properties"]["is_typing"].is_object());
    assert!(schemas["PresenceEvent"]["properties"]["last_seen"].is_object());
    let description = doc["paths"]["/api/events/chat"]["get"]["description"].as_str().unwrap_or_default();
    for name in ["typing", "presence", "without an id"] {
        assert!(description.contains(name), "the stream's description names {name}: {description}");
    }
}

/// Waits (at most 10 s) until `viewer` sees `about` online through `GET /api/presence/{about}`:
/// a stream's opening is recorded off its request.
pub(crate) async fn until_online(app: &TestApp, viewer: &User, about: i64) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let (status, body) = crate::helpers::status_and_json(
            app.get(&format!("/api/presence/{about}"), viewer).send().await.expect("GET presence"),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        if body["online"] == true {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "user {about} not online within 10 s: {body}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Every participant of `GET /api/chats/{chat}` as `viewer` shows, as `(id, online, last_seen)`.
pub(crate) async fn details_presence(app: &TestApp, viewer: &User, chat: i64) -> Vec<(i64, Value, Value)> {
    let (status, body) =
        crate::helpers::status_and_json(app.get(&format!("/api/chats/{chat}"), viewer).send().await.expect("GET chat"))
            .await;
    assert_eq!(status, 200, "{body}");
    body["participants"]
        .as_array()
        .expect("participants")
        .iter()
        .map(|p| (p["id"].as_i64().expect("id"), p["online"].clone(), p["last_seen"].clone()))
        .collect()
}
