//! `messages_read` on the event streams: live on every entitled stream, and replayed in log order.

use serde_json::json;

use super::assert_replay_clean;
use crate::helpers::{Pair, Stream, pair, pair_with};

/// The reader's other tabs (on either replica), the partner and admins get `messages_read`;
/// someone outside the chat does not.
#[tokio::test]
async fn messages_read_reaches_every_participant_stream_and_admins_on_both_replicas() {
    let Pair { a, teacher, student, admin, chat } = pair().await;
    let b = a.replica().await;
    let (other_teacher, outsider) = (a.user("teacher", "Other").await, a.user("student", "Outsider").await);
    let other_chat = a.chat(&other_teacher, &outsider).await;
    let m1 = a.send(&teacher, chat, "read me").await;

    let mut streams: Vec<(&str, Stream)> = vec![
        ("student's tab on A", a.stream(&student, None).await),
        ("student's tab on B", b.stream(&student, None).await),
        ("teacher on B", b.stream(&teacher, None).await),
        ("admin on A", a.stream(&admin, None).await),
        ("admin on B", b.stream(&admin, None).await),
    ];
    let mut outsider_stream = b.stream(&outsider, None).await;
    assert_eq!(a.read(&student, chat, Some(m1)).await.status(), 204);
    let read_at: time::OffsetDateTime = a
        .sql
        .query_one("SELECT created_at FROM events WHERE type = 'chat_read' AND chat_id = $1", &[&chat])
        .await
        .expect("the query or request succeeds")
        .get(0);
    for (who, stream) in &mut streams {
        let event = stream.event().await;
        assert_eq!(event.event, "messages_read", "{who}: {event:?}");
        assert!(event.id.is_some(), "{who}: a log event carries its position");
        let data = event.json();
        assert_eq!(data["chat_id"], json!(chat), "{who}");
        assert_eq!(data["user_id"], json!(student.id), "{who}");
        assert_eq!(data["up_to_message_id"], json!(m1), "{who}");
        let at = time::OffsetDateTime::parse(
            data["read_at"].as_str().expect("a string"),
            &time::format_description::well_known::Rfc3339,
        )
        .expect("read_at is RFC 3339");
        assert_eq!(at, read_at, "{who}");
    }
    let control = b.send(&other_teacher, other_chat, "control").await;
    let event = outsider_stream.event().await;
    assert_eq!(event.json()["message"]["id"], json!(control), "the outsider saw something else first: {event:?}");
}

/// A stream that resumes replays reads and edits with everything else, in log order.
#[tokio::test]
async fn resume_replays_reads_and_edits_in_order() {
    let Pair { a, teacher, student, chat, .. } = pair_with(|c| c.append.editing = true).await;
    let b = a.replica().await;
    let first = a.send(&teacher, chat, "first").await;
    let mut stream = a.stream(&student, None).await;
    let reply = a.post_reply(&teacher, chat, "second", first).await;
    assert_eq!(reply.status(), 201);
    let seen = stream.event().await;
    assert_eq!(seen.event, "new_message");
    drop(stream); // disconnected

    let second = seen.json()["message"]["id"].as_i64().expect("a number");
    assert_eq!(a.edit(&teacher, first, "first, edited").await.status(), 200);
    assert_eq!(a.read(&student, chat, Some(second)).await.status(), 204);
    assert_eq!(a.delete_message(&teacher, second).await.status(), 200);
    assert_eq!(a.edit(&teacher, first, "first, edited twice").await.status(), 200);

    let mut resumed = b.stream(&student, Some(&seen.position().to_string())).await;
    let events = resumed.events(4).await;
    let kinds: Vec<&str> = events.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(kinds, ["message_edited", "messages_read", "message_deleted", "message_edited"]);
    assert!(events.windows(2).all(|w| w[0].position() < w[1].position()));
    // A replay shows the message as it is now: each of its edits carries the current text.
    assert_eq!(events[0].json()["message"]["content"], "first, edited twice");
    assert_eq!(events[1].json()["up_to_message_id"], json!(second));
    assert_eq!(events[3].json()["message"]["content"], "first, edited twice");
    // Then live, with nothing replayed twice.
    let after = a.send(&teacher, chat, "after").await;
    let next = resumed.event().await;
    assert_eq!((next.event.as_str(), next.json()["message"]["id"].as_i64()), ("new_message", Some(after)));
    assert_replay_clean(&a).await;
}
