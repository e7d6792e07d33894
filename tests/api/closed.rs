//! A closed chat (an inquiry that went idle) is read-only for everything that changes what
//! others see: sending, editing, deleting (refused by the log's trigger itself) and typing;
//! the teacher may still read it and move their own read marker. The guest's session ended
//! with it: every request of theirs is 401.

use std::time::Duration;

use serde_json::json;

use crate::helpers::{TestApp, User, status_and_json};

/// A teacher, a guest of the teacher's inquiry link and their chat, closed after two idle
/// seconds: (teacher, guest, chat, a message of each).
async fn closed_inquiry(app: &TestApp) -> (User, User, i64, i64, i64) {
    let (teacher, _, guest, chat) = crate::inquiries::inquiry(app).await;
    let from_guest = app.send(&guest, chat, "a question").await;
    let from_teacher = app.send(&teacher, chat, "an answer").await;
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        let closed: bool = app
            .sql
            .query_one("SELECT closed_at IS NOT NULL FROM chats WHERE id = $1", &[&chat])
            .await
            .expect("chat")
            .get(0);
        if closed {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the idle inquiry was not closed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    (teacher, guest, chat, from_guest, from_teacher)
}

#[tokio::test]
async fn a_closed_chat_refuses_edits_deletions_and_typing_but_may_be_read() {
    let app = TestApp::spawn_with(|c| {
        c.inquiry.idle = Duration::from_secs(2);
        c.append.editing = true;
    })
    .await;
    let (teacher, guest, chat, from_guest, from_teacher) = closed_inquiry(&app).await;
    let events_before: i64 = app.sql.query_one("SELECT count(*) FROM events", &[]).await.expect("count").get(0);

    let typing = |who: &User| {
        app.http
            .post(app.url(&format!("/api/chats/{chat}/typing")))
            .bearer_auth(&who.token)
            .json(&json!({ "is_typing": true }))
            .send()
    };
    let (status, body) = status_and_json(app.edit(&teacher, from_teacher, "changed after closing").await).await;
    assert_eq!(status, 409, "an edit in a closed chat: {body}");
    assert!(body["error"].as_str().is_some_and(|e| e.contains("closed")), "{body}");
    let (status, body) = status_and_json(app.delete_message(&teacher, from_teacher).await).await;
    assert_eq!(status, 409, "a deletion in a closed chat: {body}");
    let (status, body) = status_and_json(typing(&teacher).await.expect("POST typing")).await;
    assert_eq!(status, 409, "typing in a closed chat: {body}");
    // The guest's session ended with the chat: nothing of theirs is served any more.
    for (what, response) in [
        ("edit", app.edit(&guest, from_guest, "changed after closing").await),
        ("delete", app.delete_message(&guest, from_guest).await),
        ("typing", typing(&guest).await.expect("POST typing")),
        ("read", app.read(&guest, chat, Some(from_teacher)).await),
        ("history", app.get(&format!("/api/chats/{chat}/messages"), &guest).send().await.expect("GET")),
    ] {
        let (status, body) = status_and_json(response).await;
        assert_eq!(status, 401, "the guest's {what}: {body}");
        assert!(body["error"].as_str().is_some_and(|e| e.contains("session has ended")), "{body}");
    }
    let events_after: i64 = app.sql.query_one("SELECT count(*) FROM events", &[]).await.expect("count").get(0);
    assert_eq!(events_after, events_before, "nothing was appended");

    // The log itself refuses it, whoever appends (a person at psql too).
    let refused = app
        .sql
        .execute(
            "INSERT INTO events (chat_id, actor_id, type, payload) VALUES ($1, $2, 'message_deleted', $3)",
            &[&chat, &guest.id, &json!({ "message_id": from_guest })],
        )
        .await
        .expect_err("the trigger refuses a deletion in a closed chat");
    assert_eq!(refused.code(), Some(&tokio_postgres::error::SqlState::OBJECT_NOT_IN_PREREQUISITE_STATE), "{refused}");

    // Reading goes on for the teacher: history, and their own read marker.
    let history = app.get(&format!("/api/chats/{chat}/messages"), &teacher).send().await.expect("GET");
    let (status, page) = status_and_json(history).await;
    assert_eq!((status, page["messages"].as_array().map(Vec::len)), (200, Some(3)), "{page}");
    assert_eq!(app.read(&teacher, chat, Some(from_guest)).await.status(), 204);
}
