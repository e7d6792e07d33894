//! Mentions: "@Full Name" in a group's message, resolved before the log appends it (or
//! edited) into the ids of the members it names, kept as ids and shown with their names as
//! they are now, in the `POST` answer, history, the live stream on every replica and a resumed
//! stream's replay (as it is now: none on a deleted or hidden message); taken away by retention
//! and by erasing the person mentioned; and a mention notifies even a muted chat.

use serde_json::{Value, json};

use crate::helpers::{TestApp, User, status_and_json};

mod bounds;
mod governance;
mod live;
mod notify;

/// Message `message` as `user`'s history of chat `chat` shows it on `app` (`None`: not in it).
pub(crate) async fn in_history(app: &TestApp, user: &User, chat: i64, message: i64) -> Option<Value> {
    let (status, page) =
        status_and_json(app.get(&format!("/api/chats/{chat}/messages"), user).send().await.expect("history")).await;
    assert_eq!(status, 200, "{page}");
    page["messages"].as_array().expect("messages").iter().find(|m| m["id"] == message).cloned()
}

/// Message `message`'s mentions as `user`'s history shows them.
pub(crate) async fn shown(app: &TestApp, user: &User, chat: i64, message: i64) -> Value {
    in_history(app, user, chat, message).await.unwrap_or_else(|| panic!("message {message} in history"))["mentions"]
        .clone()
}

/// The wire's list of `people` mentioned, by id.
pub(crate) fn named(people: &[&User], names: &[&str]) -> Value {
    let mut list: Vec<(i64, &str)> = people.iter().map(|p| p.id).zip(names.iter().copied()).collect();
    list.sort();
    Value::Array(list.into_iter().map(|(id, name)| json!({ "id": id, "name": name })).collect())
}

/// What the log recorded of message `message`'s event of `kind` (`message_created` or the
/// newest `message_edited`): its payload's `mentions` (null: none).
pub(crate) async fn logged(app: &TestApp, kind: &str, message: i64) -> Value {
    let row = app
        .sql
        .query_one(
            "SELECT payload -> 'mentions' FROM events WHERE type = $1 AND (payload ->> 'message_id')::bigint = $2
             ORDER BY position DESC LIMIT 1",
            &[&kind, &message],
        )
        .await
        .expect("the event");
    row.get::<_, Option<Value>>(0).unwrap_or(Value::Null)
}

/// Sends `content` to `chat` as `user` on `app`: the answer (201).
pub(crate) async fn sent(app: &TestApp, user: &User, chat: i64, content: &str) -> Value {
    let (status, body) = status_and_json(app.post_message(user, chat, content).await).await;
    assert_eq!(status, 201, "{body}");
    body
}
