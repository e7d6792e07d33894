//! Archiving: the chat leaves the person's inbox for `?archived=true` until its next message
//! (a closed chat gets none: it stays archived); repeats are no-ops; the events reach the
//! person's streams on every replica, are replayed as they are, rebuilt by `audit_replay()` and
//! shown in the audit's timeline.

use std::time::Duration;

use super::{chats, ids, set};
use crate::governance::audit_is_clean;
use crate::helpers::TestApp;

#[tokio::test]
async fn an_archived_chat_leaves_the_inbox_and_comes_back_with_its_next_message() {
    let a = TestApp::spawn().await;
    let b = a.replica().await;
    let (teacher, student) = (a.user("teacher", "Иван Петрович").await, a.user("student", "Мария").await);
    let other_teacher = a.user("teacher", "Ольга Сергеевна").await;
    let (chat, other) = (a.chat(&teacher, &student).await, a.chat(&other_teacher, &student).await);
    let first = a.send(&teacher, chat, "Итоги урока").await;
    let before: i64 = a.sql.query_one("SELECT max(position) FROM events", &[]).await.expect("head").get(0);
    let mut tab = b.stream(&student, None).await;

    assert_eq!(set(&a, &student, chat, "archive", true).await, (201, None));
    let archived = tab.event().await;
    assert_eq!((archived.event.as_str(), &archived.json()["chat_id"]), ("chat_archived", &chat.into()));
    assert_eq!(set(&b, &student, chat, "archive", true).await, (200, None), "archived already");
    assert_eq!(ids(&b, &student, false).await, [other], "out of the inbox");
    let listed = chats(&b, &student, true).await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!((&listed[0]["id"], &listed[0]["archived"]), (&chat.into(), &true.into()));
    assert_eq!(listed[0]["last_message"]["id"], first, "shown whole: nothing was deleted");
    assert_eq!(ids(&a, &teacher, false).await, [chat], "the teacher's inbox keeps it");
    let (status, history) = crate::helpers::status_and_json(
        b.get(&format!("/api/chats/{chat}/messages"), &student).send().await.expect("GET"),
    )
    .await;
    assert_eq!((status, history["messages"].as_array().map(Vec::len)), (200, Some(1)), "the history is whole");

    // The next message brings it back, with no write of its own.
    let next = a.send(&teacher, chat, "Вопрос по задаче 3").await;
    let arrived = tab.event().await;
    assert_eq!(arrived.json()["message"]["id"].as_i64(), Some(next), "{}", arrived.data);
    assert_eq!(ids(&b, &student, false).await, [chat, other], "back in the inbox, first");
    assert!(ids(&b, &student, true).await.is_empty());
    assert_eq!(chats(&a, &student, false).await[0]["archived"], false);
    assert_eq!(set(&b, &student, chat, "archive", false).await, (204, None), "not archived now: no event");

    // Archived again (a new position), then unarchived: back at once.
    assert_eq!(set(&b, &student, chat, "archive", true).await, (201, None));
    assert_eq!(tab.event().await.event, "chat_archived");
    assert_eq!(ids(&a, &student, true).await, [chat]);
    assert_eq!(set(&a, &student, chat, "archive", false).await, (204, None));
    assert_eq!(tab.event().await.event, "chat_unarchived");
    assert_eq!(ids(&b, &student, false).await, [chat, other]);

    // Only a participant: another student, an admin get 403.
    let (stranger, admin) = (a.user("student", "Петя").await, a.user("admin", "Завуч").await);
    assert_eq!(set(&a, &stranger, chat, "archive", true).await.0, 403);
    assert_eq!(set(&a, &admin, chat, "archive", true).await, (403, Some("admin_read_only".into())));
    assert_eq!(chats(&a, &admin, true).await.len(), 0, "admins archive nothing");

    // A stream resuming from before replays the settings in log order, as they are.
    let mut resumed = a.stream(&student, Some(&before.to_string())).await;
    let replayed: Vec<String> = resumed.events(4).await.into_iter().map(|e| e.event).collect();
    assert_eq!(replayed, ["chat_archived", "new_message", "chat_archived", "chat_unarchived"]);
    let mut teachers = a.stream(&teacher, Some(&before.to_string())).await;
    // The teacher's own message, on their own stream: `message_sent`.
    assert_eq!(teachers.event().await.event, "message_sent", "nobody else's replay has them");

    let timeline: Vec<(String, String)> = a
        .sql
        .query(
            "SELECT event_type, content FROM audit_chat_timeline($1) WHERE event_type LIKE 'chat_%archived'",
            &[&chat],
        )
        .await
        .expect("timeline")
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let kinds: Vec<&str> = timeline.iter().map(|(kind, _)| kind.as_str()).collect();
    assert_eq!(kinds, ["chat_archived", "chat_archived", "chat_unarchived"]);
    assert!(timeline[0].1.contains("Мария archived the chat"), "{timeline:?}");
    audit_is_clean(&a).await;
}

#[tokio::test]
async fn a_closed_inquiry_stays_archived_and_its_guest_cannot_archive() {
    let app = TestApp::spawn_with(|c| c.inquiry.idle = Duration::from_secs(2)).await;
    let (teacher, _, guest, chat) = crate::inquiries::inquiry(&app).await;
    assert_eq!(set(&app, &guest, chat, "archive", true).await.0, 403, "a guest's inquiry is their only chat");
    assert_eq!(set(&app, &teacher, chat, "archive", true).await, (201, None));
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while app.sql.query_one("SELECT closed_at IS NULL FROM chats WHERE id = $1", &[&chat]).await.expect("chat").get(0) {
        assert!(std::time::Instant::now() < deadline, "the idle inquiry was not closed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Nothing can bring it back: it takes no message any more.
    assert_eq!(app.post_message(&teacher, chat, "ещё вопрос?").await.status(), 409);
    let listed = chats(&app, &teacher, true).await;
    assert_eq!((listed.len(), &listed[0]["id"], &listed[0]["archived"]), (1, &chat.into(), &true.into()));
    assert!(listed[0]["closed_at"].is_string(), "{listed:?}");
    assert!(ids(&app, &teacher, false).await.is_empty());
    // Unarchiving it is the person's choice still.
    assert_eq!(set(&app, &teacher, chat, "archive", false).await, (204, None));
    assert_eq!(ids(&app, &teacher, false).await, [chat]);
    audit_is_clean(&app).await;
}

#[tokio::test]
async fn archiving_after_a_message_of_the_same_append_archives_it_again() {
    let app = TestApp::spawn().await;
    let (teacher, student) = (app.user("teacher", "Иван Петрович").await, app.user("student", "Мария").await);
    let chat = app.chat(&teacher, &student).await;
    assert_eq!(set(&app, &student, chat, "archive", true).await, (201, None));
    // One statement, as the appender batches requests: a message, which brings the chat back,
    // then her archiving it again. The rule sees the message before it (the chat's activity
    // moves only once the statement is done), so this archives it anew: not "archived already".
    app.sql
        .execute(
            "INSERT INTO events (chat_id, actor_id, type, payload)
             VALUES ($1, $2, 'message_created', '{\"content\": \"ещё вопрос\"}'), ($1, $3, 'chat_archived', '{}')",
            &[&chat, &teacher.id, &student.id],
        )
        .await
        .expect("one append of both");
    assert_eq!(ids(&app, &student, true).await, [chat], "archived after the message");
    assert!(ids(&app, &student, false).await.is_empty());
    audit_is_clean(&app).await;
}
