//! Pins: a group's owner, or either participant of a direct chat, pins up to `PINS_PER_CHAT`
//! of its messages at its top (`message_pinned`, `message_unpinned`, events of the log by that
//! person). Everyone who reads the chat reads its pins, live on every replica and on resume
//! as they are now; a message hidden, deleted or purged is unpinned with it.

use serde_json::Value;

use crate::helpers::{TestApp, User, status_and_json};

mod export;
mod live;
mod rules;

/// `PUT` (`on`) or `DELETE` `/api/chats/{chat}/pins/{message}` as `user`: the status, and the
/// error's code if any.
pub(crate) async fn pin(app: &TestApp, user: &User, chat: i64, message: i64, on: bool) -> (u16, Option<String>) {
    let url = app.url(&format!("/api/chats/{chat}/pins/{message}"));
    let request = if on { app.http.put(url) } else { app.http.delete(url) };
    let response = request.bearer_auth(&user.token).send().await.expect("PUT or DELETE a pin");
    match response.status().as_u16() {
        204 => (204, None),
        _ => {
            let (status, body) = status_and_json(response).await;
            (status, body["code"].as_str().map(str::to_owned))
        }
    }
}

/// `GET /api/chats/{chat}/pins` as `user`: the status and the pins.
pub(crate) async fn pins(app: &TestApp, user: &User, chat: i64) -> (u16, Vec<Value>) {
    let response = app.get(&format!("/api/chats/{chat}/pins"), user).send().await.expect("GET pins");
    let (status, body) = status_and_json(response).await;
    (status, body["pins"].as_array().cloned().unwrap_or_default())
}

/// The ids of the messages pinned in `chat`, as `user` reads them, newest pin first.
pub(crate) async fn pinned(app: &TestApp, user: &User, chat: i64) -> Vec<i64> {
    let (status, pins) = pins(app, user, chat).await;
    assert_eq!(status, 200, "{pins:?}");
    pins.iter().map(|p| p["message_id"].as_i64().expect("message_id")).collect()
}
