//! Read markers and unread counts: `POST /api/chats/{id}/read`, `GET /api/unread-count`,
//! `messages_read` on every entitled stream, and counts kept by the log's trigger that agree
//! with the log.

use serde_json::Value;

use crate::helpers::{TestApp, User, status_and_json};

mod concurrency;
mod markers;
mod property;
mod seen;
mod streams;

async fn unread_total(app: &TestApp, user: &User) -> (u16, Value) {
    status_and_json(app.get("/api/unread-count", user).send().await.expect("GET unread-count")).await
}

async fn marker(app: &TestApp, chat: i64, user: &User) -> i64 {
    app.sql
        .query_one(
            "SELECT last_read_message_id FROM chat_participants WHERE chat_id = $1 AND user_id = $2",
            &[&chat, &user.id],
        )
        .await
        .expect("marker")
        .get(0)
}

async fn read_events(app: &TestApp, chat: i64) -> Vec<i64> {
    app.sql
        .query(
            "SELECT (payload ->> 'up_to_message_id')::bigint FROM events WHERE chat_id = $1 AND type = 'chat_read'
             ORDER BY position",
            &[&chat],
        )
        .await
        .expect("chat_read events")
        .iter()
        .map(|r| r.get(0))
        .collect()
}

async fn assert_replay_clean(app: &TestApp) {
    let rows = app.sql.query("SELECT projection, row_key, problem, replayed, live FROM audit_replay()", &[]).await;
    let rows = rows.expect("audit_replay");
    let problems: Vec<String> = rows
        .iter()
        .map(|r| {
            let (p, k, what): (String, String, String) = (r.get(0), r.get(1), r.get(2));
            let (replayed, live): (Option<Value>, Option<Value>) = (r.get(3), r.get(4));
            format!("{p} {k}: {what}: replayed {replayed:?} live {live:?}")
        })
        .collect();
    assert!(problems.is_empty(), "audit_replay found differences: {problems:#?}");
}
