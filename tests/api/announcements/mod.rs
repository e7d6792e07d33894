//! Announcements: a group in which only its owner (a teacher) posts and members read, and "all
//! my students", whose members follow the teacher's completed lessons by events of the log.
//! Members get its messages live on every replica and on resume as they are now; nothing they
//! do writes to it; its unread counts are derived from read markers, with no counter row
//! written per member and message.

use serde_json::{Value, json};

use crate::helpers::{TestApp, User, status_and_json};

pub(crate) mod audience;
mod families;
mod live;
mod privacy;
mod rules;

/// `POST /api/chats` as `by`: the status and the body.
pub(crate) async fn create(app: &TestApp, by: &User, body: Value) -> (u16, Value) {
    let request = app.http.post(app.url("/api/chats")).bearer_auth(&by.token).json(&body);
    status_and_json(request.send().await.expect("POST /api/chats")).await
}

/// "All my students" of `teacher`, titled `title`; returns its id.
pub(crate) async fn all_my_students(app: &TestApp, teacher: &User, title: &str) -> i64 {
    let body = json!({ "kind": "group", "title": title, "audience": "my_students" });
    let (status, chat) = create(app, teacher, body).await;
    assert_eq!(status, 201, "{chat}");
    assert_eq!((&chat["announcement"], &chat["audience"]), (&json!(true), &json!("my_students")), "{chat}");
    chat["id"].as_i64().expect("chat id")
}

/// The ids of `chat`'s members, as `by` reads them, in the order they joined.
pub(crate) async fn members(app: &TestApp, by: &User, chat: i64) -> Vec<i64> {
    let (status, details) =
        status_and_json(app.get(&format!("/api/chats/{chat}"), by).send().await.expect("GET")).await;
    assert_eq!(status, 200, "{details}");
    details["participants"].as_array().expect("participants").iter().map(|p| p["id"].as_i64().expect("id")).collect()
}

/// `POST /api/messages` as `user` with `body`: the status and the error's code, if any.
pub(crate) async fn post(app: &TestApp, user: &User, body: Value) -> (u16, Option<String>) {
    let request = app.http.post(app.url("/api/messages")).bearer_auth(&user.token).json(&body);
    let (status, body) = status_and_json(request.send().await.expect("POST /api/messages")).await;
    (status, body["code"].as_str().map(str::to_owned))
}
