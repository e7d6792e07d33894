//! Group chats: created by a teacher or an admin, members added and removed by events of the
//! log, and membership exact in log order on every path (live, resume, history, sending).

use serde_json::{Value, json};

use crate::helpers::{TestApp, User, status_and_json};

mod log_order;
mod management;
mod visibility;

/// Creates a group as `by`. A teacher's own students only: this schedules a lesson of `by` with
/// each student named first (see
/// [`management::a_teacher_adds_only_their_own_students_and_teachers`]).
async fn create(app: &TestApp, by: &User, body: Value) -> (u16, Value) {
    let ids: Vec<i64> = body["participant_ids"].as_array().into_iter().flatten().filter_map(Value::as_i64).collect();
    app.teaches(by, &ids).await;
    create_as_is(app, by, body).await
}

async fn create_as_is(app: &TestApp, by: &User, body: Value) -> (u16, Value) {
    let request = app.http.post(app.url("/api/chats")).bearer_auth(&by.token).json(&body);
    status_and_json(request.send().await.expect("POST /api/chats")).await
}

/// Creates a group of `by` and `members`; returns its id.
pub(crate) async fn group(app: &TestApp, by: &User, title: &str, members: &[&User]) -> i64 {
    let ids: Vec<i64> = members.iter().map(|m| m.id).collect();
    let (status, body) = create(app, by, json!({ "kind": "group", "title": title, "participant_ids": ids })).await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_i64().expect("chat id")
}

/// Adds `user` as `by`, who teaches them if `by` is a teacher and they a student (as [`create`]).
pub(crate) async fn add(app: &TestApp, by: &User, chat: i64, user: i64) -> (u16, Value) {
    app.teaches(by, &[user]).await;
    add_as_is(app, by, chat, user).await
}

async fn add_as_is(app: &TestApp, by: &User, chat: i64, user: i64) -> (u16, Value) {
    let request = app
        .http
        .post(app.url(&format!("/api/chats/{chat}/participants")))
        .bearer_auth(&by.token)
        .json(&json!({ "user_id": user }));
    status_and_json(request.send().await.expect("POST participants")).await
}

pub(crate) async fn remove(app: &TestApp, by: &User, chat: i64, user: i64) -> u16 {
    let request = app.http.delete(app.url(&format!("/api/chats/{chat}/participants/{user}"))).bearer_auth(&by.token);
    let response = request.send().await.expect("DELETE participant");
    let status = response.status().as_u16();
    if status != 204 {
        status_and_json(response).await; // an error must have the JSON shape
    }
    status
}

async fn rename(app: &TestApp, by: &User, chat: i64, title: Value) -> (u16, Value) {
    let request =
        app.http.patch(app.url(&format!("/api/chats/{chat}"))).bearer_auth(&by.token).json(&json!({ "title": title }));
    status_and_json(request.send().await.expect("PATCH chat")).await
}

async fn get(app: &TestApp, by: &User, path: &str) -> (u16, Value) {
    status_and_json(app.get(path, by).send().await.expect("GET")).await
}

fn member_ids(details: &Value) -> Vec<i64> {
    details["participants"].as_array().expect("participants").iter().map(|p| p["id"].as_i64().expect("id")).collect()
}

/// The ids of the messages a history page shows.
async fn history(app: &TestApp, by: &User, chat: i64) -> (u16, Vec<i64>) {
    let (status, body) = get(app, by, &format!("/api/chats/{chat}/messages?limit=100")).await;
    let ids = body["messages"].as_array().map(|m| m.iter().map(|m| m["id"].as_i64().expect("id")).collect());
    (status, ids.unwrap_or_default())
}
