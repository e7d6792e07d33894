//! `/api/unet-chat`: the REST routes and the per-conversation WebSocket of the React
//! "unet-chat" client, on the same core, with two replicas and a real third-party WebSocket
//! client (`helpers::ws`, Python's `websockets`).

use serde_json::Value;

use crate::helpers::{TestApp, User};

mod lists;
mod rest;
mod socket;

struct World {
    a: TestApp,
    b: TestApp,
    teacher: User,
    student: User,
    admin: User,
    /// A student of another teacher's chat only.
    outsider: User,
    other_teacher: User,
    chat: i64,
    other_chat: i64,
}

/// Two replicas on one database, `customize`d alike.
async fn world_with(customize: fn(&mut tutorchat::Config)) -> World {
    let a = TestApp::spawn_with(customize).await;
    let b = TestApp::spawn_on(a.database.clone(), customize).await;
    let (teacher, student, admin) =
        (a.user("teacher", "Учитель").await, a.user("student", "Ученик").await, a.user("admin", "Завуч").await);
    let (outsider, other_teacher) = (a.user("student", "Чужой").await, a.user("teacher", "Другой").await);
    let chat = a.chat(&teacher, &student).await;
    let other_chat = a.chat(&other_teacher, &outsider).await;
    World { a, b, teacher, student, admin, outsider, other_teacher, chat, other_chat }
}

async fn world() -> World {
    world_with(|_| {}).await
}

/// Status and body of an answer of this dialect; an error's body is exactly `{"error": "…"}`.
async fn answer(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    let body: Value = if text.is_empty() { Value::Null } else { serde_json::from_str(&text).expect("JSON") };
    // An unserved path is the core's fallback's 404, outside every dialect.
    let unserved = status == 404 && body["error"].as_str().is_some_and(|e| e.starts_with("no such endpoint"));
    if status >= 400 && !unserved {
        let fields: Vec<&String> = body.as_object().map(|o| o.keys().collect()).unwrap_or_default();
        assert_eq!(fields, ["error"], "status {status}: {body}");
        assert!(body["error"].as_str().is_some_and(|e| !e.is_empty()), "{body}");
    }
    (status, body)
}

/// `method path` as `user` (none: no credential), with a JSON body.
async fn call(app: &TestApp, method: &str, user: Option<&User>, path: &str, body: Option<Value>) -> (u16, Value) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let mut request = app.http.request(method, app.url(&format!("/api/unet-chat{path}")));
    if let Some(user) = user {
        request = request.bearer_auth(&user.token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    answer(request.send().await.expect("request")).await
}

/// How many messages the database holds.
async fn stored(app: &TestApp) -> i64 {
    app.sql.query_one("SELECT count(*) FROM messages", &[]).await.expect("count").get(0)
}
