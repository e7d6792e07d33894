//! A resumed stream shows each message as it is now: the log's events, in their positions and
//! order, but a deleted message without its text or files and an edited one with its current
//! text. What its author took away never comes back through `Last-Event-ID`.

use serde_json::Value;

use crate::helpers::{Event, TestApp, pair_with};

/// The log's positions and event names of a chat, as the stream names them.
/// Whose stream it is (`reader`) decides one name: their own messages are `message_sent`.
async fn log_of(app: &TestApp, chat: i64, reader: i64) -> Vec<(i64, String)> {
    let rows = app
        .sql
        .query("SELECT position, type, actor_id FROM events WHERE chat_id = $1 ORDER BY position", &[&chat])
        .await
        .expect("events");
    rows.iter()
        .map(|r| {
            let name = match r.get::<_, String>("type").as_str() {
                "message_created" if r.get::<_, Option<i64>>("actor_id") == Some(reader) => "message_sent".to_owned(),
                "message_created" => "new_message".to_owned(),
                "chat_read" => "messages_read".to_owned(),
                other => other.to_owned(),
            };
            (r.get("position"), name)
        })
        .collect()
}

#[tokio::test]
async fn a_replay_shows_deleted_and_edited_messages_as_they_are_now_in_the_logs_order() {
    let p = pair_with(|c| c.append.editing = true).await;
    let kept = p.a.send(&p.student, p.chat, "first draft, kept").await;
    assert_eq!(p.a.edit(&p.student, kept, "the final text").await.status(), 200);
    let gone = p.a.send(&p.student, p.chat, "a secret sent by mistake").await;
    assert_eq!(p.a.delete_message(&p.student, gone).await.status(), 200);
    let later = p.a.send(&p.teacher, p.chat, "after").await;

    for (who, user) in [("teacher", &p.teacher), ("admin", &p.admin)] {
        let mut stream = p.a.stream(user, Some("0")).await;
        let log = log_of(&p.a, p.chat, user.id).await;
        let replayed: Vec<Event> = stream.events(log.len()).await;
        let seen: Vec<(i64, String)> = replayed.iter().map(|e| (e.position(), e.event.clone())).collect();
        assert_eq!(seen, log, "{who}: the replay has the log's events, positions and order");

        let texts: Vec<String> = replayed.iter().map(|e| e.data.clone()).collect();
        for gone_text in ["first draft", "a secret sent by mistake"] {
            assert!(!texts.iter().any(|t| t.contains(gone_text)), "{who}: {gone_text:?} came back: {texts:#?}");
        }
        let message = |e: &Event| -> Value { e.json()["message"].clone() };
        let of = |id: i64, name: &str| -> Vec<Value> {
            replayed.iter().filter(|e| e.event == name && message(e)["id"] == id).map(message).collect()
        };
        let created = &of(kept, "new_message")[0];
        assert_eq!((created["content"].as_str(), created["is_edited"].as_bool()), (Some("the final text"), Some(true)));
        assert_eq!(of(kept, "message_edited")[0]["content"], "the final text");
        let deleted = &of(gone, "new_message")[0];
        assert_eq!(deleted["content"], "", "{who}: a deleted message is replayed without its text");
        assert_eq!(deleted["attachments"], serde_json::json!([]));
        // The teacher's own message, on the teacher's own stream: `message_sent`.
        let later_name = if who == "teacher" { "message_sent" } else { "new_message" };
        assert_eq!(of(later, later_name)[0]["content"], "after");
    }
}

/// Live, an event is shown as it was appended (the edit's frame carries the text it set), and
/// the replay of the same events afterwards shows the message as it is now.
#[tokio::test]
async fn live_frames_carry_each_edit_and_a_later_replay_only_the_current_text() {
    let p = pair_with(|c| c.append.editing = true).await;
    let mut live = p.a.stream(&p.teacher, None).await;
    let id = p.a.send(&p.student, p.chat, "one").await;
    assert_eq!(p.a.edit(&p.student, id, "two").await.status(), 200);
    assert_eq!(p.a.edit(&p.student, id, "three").await.status(), 200);
    let frames: Vec<Value> = live.events(3).await.iter().map(|e| e.json()["message"]["content"].clone()).collect();
    assert_eq!(frames, ["one", "two", "three"]);

    let mut resumed = p.a.stream(&p.teacher, Some("0")).await;
    let replayed = resumed.events(log_of(&p.a, p.chat, p.teacher.id).await.len()).await;
    let shown: Vec<&Event> = replayed.iter().filter(|e| e.event != "chat_created").collect();
    assert_eq!(shown.len(), 3, "the message and its two edits: {replayed:?}");
    for event in shown {
        assert_eq!(event.json()["message"]["content"], "three", "{event:?}");
    }
}
