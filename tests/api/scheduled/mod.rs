//! Scheduled send (`POST /api/messages` with `send_at`), on two replicas and their test
//! clocks: only its author sees a scheduled message until its time; at its time it arrives
//! once on every replica's streams, not before; cancelled, never; edited, as edited; a failed
//! one says why; quiet hours hold it as they hold a live send; erasure deletes it.

mod compose;
mod delivery;
mod rules;

use serde_json::{Value, json};
use time::macros::datetime;

use crate::helpers::{TestApp, User, status_and_json};

/// Noon in Moscow, where every test's clocks start.
const NOON: time::OffsetDateTime = datetime!(2036-11-25 09:00 UTC);

fn rfc3339(at: time::OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339).expect("format")
}

/// Sets every replica's clock to `at`.
fn set_clocks(apps: &[&TestApp], at: time::OffsetDateTime) {
    for app in apps {
        app.state.clock.set(at);
    }
}

/// `POST /api/messages` with `send_at`.
async fn schedule(app: &TestApp, user: &User, chat: i64, content: &str, send_at: &str) -> (u16, Value) {
    schedule_body(app, user, json!({ "chat_id": chat, "content": content, "send_at": send_at })).await
}

async fn schedule_body(app: &TestApp, user: &User, body: Value) -> (u16, Value) {
    let request = app.http.post(app.url("/api/messages")).bearer_auth(&user.token).json(&body);
    status_and_json(request.send().await.expect("POST /api/messages")).await
}

/// `user`'s scheduled messages (of `chat`, or all), asserting 200.
async fn scheduled(app: &TestApp, user: &User, chat: Option<i64>) -> Vec<Value> {
    let path = match chat {
        Some(chat) => format!("/api/scheduled-messages?chat_id={chat}"),
        None => "/api/scheduled-messages".to_owned(),
    };
    let (status, body) = status_and_json(app.get(&path, user).send().await.expect("GET")).await;
    assert_eq!(status, 200, "{body}");
    body["messages"].as_array().expect("messages").clone()
}

async fn patch(app: &TestApp, user: &User, id: i64, body: Value) -> (u16, Value) {
    let request =
        app.http.patch(app.url(&format!("/api/scheduled-messages/{id}"))).bearer_auth(&user.token).json(&body);
    status_and_json(request.send().await.expect("PATCH")).await
}

async fn cancel(app: &TestApp, user: &User, id: i64) -> u16 {
    let request = app.http.delete(app.url(&format!("/api/scheduled-messages/{id}"))).bearer_auth(&user.token);
    request.send().await.expect("DELETE").status().as_u16()
}

/// How many messages `sender` has in the log.
async fn messages_by(app: &TestApp, sender: &User) -> i64 {
    app.sql
        .query_one("SELECT count(*) FROM events WHERE type = 'message_created' AND actor_id = $1", &[&sender.id])
        .await
        .expect("count")
        .get(0)
}
