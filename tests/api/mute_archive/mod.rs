//! Archive and mute, per person: a participant's own settings of a chat, each an event of the
//! log by them (`chat_muted`, `chat_unmuted`, `chat_archived`, `chat_unarchived`) that only their
//! own streams get, on every replica, and that a resumed stream replays. Muted: no Web Push and
//! no webhook notice for them about the chat, unread still counts. Archived: out of their inbox
//! (`GET /api/chats`), in `?archived=true`, until the chat's next message; a closed chat stays.

use serde_json::Value;

use crate::helpers::{TestApp, User, status_and_json};

mod archive;
pub(crate) mod mute;

/// `PUT` (`on`) or `DELETE` `/api/chats/{chat}/{setting}` (`mute` or `archive`) as `user`: the
/// status, and the error's code if any.
pub(crate) async fn set(app: &TestApp, user: &User, chat: i64, setting: &str, on: bool) -> (u16, Option<String>) {
    let url = app.url(&format!("/api/chats/{chat}/{setting}"));
    let request = if on { app.http.put(url) } else { app.http.delete(url) };
    let response = request.bearer_auth(&user.token).send().await.expect("PUT or DELETE a setting");
    match response.status().as_u16() {
        status @ (200 | 201 | 204) => (status, None),
        _ => {
            let (status, body) = status_and_json(response).await;
            (status, body["code"].as_str().map(str::to_owned))
        }
    }
}

/// `user`'s chat list (`archived`: the archived ones) on `app`: the chats as JSON.
pub(crate) async fn chats(app: &TestApp, user: &User, archived: bool) -> Vec<Value> {
    let path = if archived { "/api/chats?archived=true" } else { "/api/chats" };
    let (status, list) = status_and_json(app.get(path, user).send().await.expect("GET chats")).await;
    assert_eq!(status, 200, "{list}");
    list["chats"].as_array().expect("chats").clone()
}

/// The ids of `user`'s chat list.
pub(crate) async fn ids(app: &TestApp, user: &User, archived: bool) -> Vec<i64> {
    chats(app, user, archived).await.iter().map(|c| c["id"].as_i64().expect("id")).collect()
}

/// Chat `chat` of `user`'s inbox, as the list shows it.
pub(crate) async fn in_inbox(app: &TestApp, user: &User, chat: i64) -> Value {
    let list = chats(app, user, false).await;
    list.into_iter().find(|c| c["id"] == chat).unwrap_or_else(|| panic!("chat {chat} is in the inbox"))
}
