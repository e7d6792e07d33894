//! The messenger's contract: REST at `/api/messenger` and Socket.IO at `/socket.io/`, on the
//! same core, with two replicas and the official socket.io client (`client.rs`).

use std::time::Duration;

use serde_json::Value;

use crate::helpers::{TestApp, User};

mod client;
mod limits;
pub(crate) mod nginx;
mod quiet;
mod rest;
mod sessions;
mod socket;

pub use client::{Auth, Sio, Transports};

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

/// Status and body of an answer of this dialect: a success is `{"success": true, "data"}`, an
/// error exactly `{"error": "…"}`. Gives the data, or the error's body.
async fn answer(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    let body: Value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("JSON: {text}"));
    let fields: Vec<&String> = body.as_object().map(|o| o.keys().collect()).unwrap_or_default();
    if status >= 400 {
        assert_eq!(fields, ["error"], "status {status}: {body}");
        assert!(body["error"].as_str().is_some_and(|e| !e.is_empty()), "{body}");
        return (status, body);
    }
    assert_eq!(fields, ["data", "success"], "status {status}: {body}");
    assert_eq!(body["success"], true, "{body}");
    (status, body["data"].clone())
}

/// How many messages the database holds.
async fn stored(app: &TestApp) -> i64 {
    app.sql.query_one("SELECT count(*) FROM messages", &[]).await.expect("count").get(0)
}

/// `user`'s socket on `app`, connected.
async fn connect(app: &TestApp, user: &User, transports: Transports) -> Sio {
    app.settled().await;
    let mut socket = Sio::start(&[base(app)], client::Auth::Token(&user.token), transports, false);
    socket.connected().await;
    socket
}

/// `http://…` of a replica, where socket.io's client finds `/socket.io/`.
fn base(app: &TestApp) -> String {
    format!("http://{}", app.addr)
}
