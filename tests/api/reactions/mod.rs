//! Reactions: a participant's emoji on a message they can see, one of eight, one per person
//! per emoji, each an event of the log by them (`reaction_added`, `reaction_removed`) that
//! reaches whoever sees the message live on every replica, that a resumed stream replays as it
//! is now, that history and exports show, and that retention and erasure take away.

use serde_json::Value;

use crate::helpers::{TestApp, User, status_and_json};

mod governance;
mod live;
mod rules;

/// `PUT` (`on`) or `DELETE` `/api/messages/{message}/reactions/{emoji}` as `user`, the emoji
/// percent-encoded: the status, and the error's code if any.
pub(crate) async fn react(app: &TestApp, user: &User, message: i64, emoji: &str, on: bool) -> (u16, Option<String>) {
    let encoded: String = emoji.bytes().map(|b| format!("%{b:02X}")).collect();
    let url = app.url(&format!("/api/messages/{message}/reactions/{encoded}"));
    let request = if on { app.http.put(url) } else { app.http.delete(url) };
    let response = request.bearer_auth(&user.token).send().await.expect("PUT or DELETE a reaction");
    match response.status().as_u16() {
        status @ (200 | 201 | 204) => (status, None),
        _ => {
            let (status, body) = status_and_json(response).await;
            (status, body["code"].as_str().map(str::to_owned))
        }
    }
}

/// Message `message`'s reactions as `user`'s history of chat `chat` shows them on `app`
/// (`None`: the message is not in it).
pub(crate) async fn shown(app: &TestApp, user: &User, chat: i64, message: i64) -> Option<Value> {
    let (status, page) =
        status_and_json(app.get(&format!("/api/chats/{chat}/messages"), user).send().await.expect("history")).await;
    assert_eq!(status, 200, "{page}");
    page["messages"].as_array().expect("messages").iter().find(|m| m["id"] == message).map(|m| m["reactions"].clone())
}

/// How many reaction events the log holds.
pub(crate) async fn logged(app: &TestApp) -> i64 {
    app.sql
        .query_one("SELECT count(*) FROM events WHERE type IN ('reaction_added', 'reaction_removed')", &[])
        .await
        .expect("count")
        .get(0)
}
