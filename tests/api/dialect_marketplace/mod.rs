//! `/api/chat` and `/health`: the marketplace chat read as a school. A listing is a teacher's
//! inquiry link, an anonymous buyer a visitor known by a UUID, a registered buyer a student in
//! the pair's lesson chat; two replicas, and the WebSocket driven by Python's `websockets`.

use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{TestApp, User, WsClient};

mod listings;
mod rest;
mod socket;

struct World {
    a: TestApp,
    b: TestApp,
    teacher: User,
    other_teacher: User,
    /// Has a completed lesson with `teacher`.
    student: User,
    /// Has none.
    lone_student: User,
    admin: User,
    lesson_chat: i64,
    /// The teacher's listing.
    listing: i64,
}

async fn world() -> World {
    world_with(|_| {}).await
}

async fn world_with(customize: impl FnOnce(&mut tutorchat::config::Config)) -> World {
    let a = TestApp::spawn_with(customize).await;
    let b = TestApp::spawn_on(a.database.clone(), |_| {}).await;
    let (teacher, other_teacher) = (a.user("teacher", "Продавец").await, a.user("teacher", "Другой").await);
    let (student, lone_student) = (a.user("student", "Ученик").await, a.user("student", "Одинокий").await);
    let admin = a.user("admin", "Завуч").await;
    let lesson_chat = a.chat(&teacher, &student).await;
    let request = a.http.post(a.url("/api/inquiry-links")).bearer_auth(&teacher.token);
    let (status, link) =
        answer(request.json(&json!({ "title": "Курс гитары", "listed": true })).send().await.expect("POST")).await;
    assert_eq!((status, &link["listed"]), (201, &json!(true)), "{link}");
    let listing = link["id"].as_i64().expect("the link's id");
    World { a, b, teacher, other_teacher, student, lone_student, admin, lesson_chat, listing }
}

/// Status and body; every refusal has a non-empty string `error`.
async fn answer(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    let body: Value = if text.is_empty() { Value::Null } else { serde_json::from_str(&text).expect("JSON") };
    if status >= 400 {
        assert!(body["error"].as_str().is_some_and(|e| !e.is_empty()), "status {status}: {body}");
    }
    (status, body)
}

/// The school's sign-in cookie of `user`, as a browser sends it.
fn cookie(user: &User) -> String {
    format!("access_token={}", user.token)
}

/// A request to `path` on `app` with `user`'s cookie (and the page's `Origin`, as a browser
/// sends with a write), or with none.
fn request(app: &TestApp, method: reqwest::Method, path: &str, user: Option<&User>) -> reqwest::RequestBuilder {
    let request = app.http.request(method, app.url(path)).header("Origin", app.url("").trim_end_matches('/'));
    match user {
        Some(user) => request.header("Cookie", cookie(user)),
        None => request,
    }
}

/// An anonymous buyer's chat about the listing: (its id, the buyer's UUID).
async fn visitor_chat(w: &World, app: &TestApp) -> (i64, Uuid) {
    let uuid = Uuid::new_v4();
    let body = json!({ "iphone_id": w.listing, "seller_id": w.teacher.id, "buyer_id": uuid.to_string(), "buyer_is_registered": false });
    let (status, chat) =
        answer(request(app, reqwest::Method::POST, "/api/chat/chats", None).json(&body).send().await.expect("POST"))
            .await;
    assert_eq!(status, 201, "{chat}");
    (chat["id"].as_i64().expect("id"), uuid)
}

/// A socket on `app`'s chat `chat` for `user_id`, with `user`'s cookie if given; waits until open.
async fn socket(app: &TestApp, chat: i64, user_id: &str, user: Option<&User>) -> WsClient {
    app.settled().await;
    let url = format!("ws://{}/api/chat/ws/{chat}?user_id={user_id}", app.addr);
    let headers: Vec<String> = user.map(|u| format!("Cookie: {}", cookie(u))).into_iter().collect();
    let mut client = WsClient::start_with_headers(&[url], &headers, false);
    client.opened().await;
    client
}

/// The socket's next frame (whole: this contract's frames are not `{"type", "data"}`).
async fn next(client: &mut WsClient) -> Value {
    let report = client.report(crate::helpers::PATIENCE).await;
    assert_eq!(report["event"], "frame", "{report}");
    report["data"].clone()
}
