//! Inquiry chats: a visitor without an account opens a teacher's inquiry link, gives a name and
//! a question, and talks with the teacher as a guest who may use exactly that chat, until it
//! closes.

use serde_json::{Value, json};

use crate::helpers::{TestApp, User, status_and_json};

mod guests;
mod lifecycle;
mod limits;
mod log_lock;

pub(crate) async fn link(app: &TestApp, by: &User, body: Value) -> (u16, Value) {
    let request = app.http.post(app.url("/api/inquiry-links")).bearer_auth(&by.token).json(&body);
    status_and_json(request.send().await.expect("POST inquiry-links")).await
}

/// The question every test visitor asks first.
pub(crate) const QUESTION: &str = "Здравствуйте! Есть места на курсе?";

/// A visitor gives `name` and [`QUESTION`] at link `token`: (status, body, the Set-Cookie header).
pub(crate) async fn visit(app: &TestApp, token: &str, name: &str) -> (u16, Value, Option<String>) {
    visit_with(app, token, json!({ "name": name, "message": QUESTION }), None).await
}

/// A visitor posts `body` at link `token`, from `address` behind the test's trusted proxy if given.
pub(crate) async fn visit_with(
    app: &TestApp,
    token: &str,
    body: Value,
    address: Option<&str>,
) -> (u16, Value, Option<String>) {
    let mut request = app.http.post(app.url(&format!("/api/inquiry/{token}"))).json(&body);
    if let Some(address) = address {
        request = request.header("x-forwarded-for", address);
    }
    let response = request.send().await.expect("POST inquiry");
    let cookie = response.headers().get("set-cookie").map(|v| v.to_str().expect("ascii").to_owned());
    let (status, body) = status_and_json(response).await;
    (status, body, cookie)
}

/// A teacher's link and a guest who opened it: (teacher, link token, guest as a User, chat id).
pub(crate) async fn inquiry(app: &TestApp) -> (User, String, User, i64) {
    let teacher = app.user("teacher", "Иван Петров").await;
    let context = json!({ "type": "course", "id": 12, "title": "ЕГЭ математика" });
    let (status, created) = link(app, &teacher, json!({ "title": "ЕГЭ математика", "context": context })).await;
    assert_eq!(status, 201, "{created}");
    let token = created["token"].as_str().expect("token").to_owned();
    let (status, opened, _) = visit(app, &token, "Мама Пети").await;
    assert_eq!(status, 201, "{opened}");
    let guest =
        User { id: opened["user"]["id"].as_i64().expect("id"), token: opened["token"].as_str().expect("t").into() };
    (teacher, token, guest, opened["chat_id"].as_i64().expect("chat"))
}

/// The status of an event stream opened by `user` (its body is left unread).
async fn open_stream_status(app: &TestApp, user: &User) -> u16 {
    app.get("/api/events/chat", user).send().await.expect("GET stream").status().as_u16()
}
