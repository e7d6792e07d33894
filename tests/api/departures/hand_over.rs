//! A departed teacher's direct chat: read-only for the student (403 `teacher_departed`, the
//! header says so), out of nobody's history; an admin hands it to a successor, who reads the
//! whole history and writes; the student gets it live; the audit timeline shows it.

use serde_json::{Value, json};

use super::{deactivate, hand_over};
use crate::governance::{audit_is_clean, timeline};
use crate::helpers::{TestApp, status_and_json};
use crate::mute_archive::{chats, ids, in_inbox};
use crate::pins::{pin, pinned};
use crate::reactions::react;

#[tokio::test]
async fn a_departed_teachers_chat_handed_to_a_successor_keeps_its_history_and_the_audit_shows_it() {
    let a = TestApp::spawn().await;
    let b = a.replica().await;
    let (old, new, student, admin) = (
        a.user("teacher", "Old Teacher").await,
        a.user("teacher", "New Teacher").await,
        a.user("student", "Student").await,
        a.user("admin", "Admin").await,
    );
    let chat = a.chat(&old, &student).await;
    let first = a.send(&old, chat, "homework: page 12").await;
    a.send(&student, chat, "done").await;

    assert_eq!(deactivate(&a, &admin, &old, true).await.0, 204);
    let (status, body) = status_and_json(b.post_message(&student, chat, "hello?").await).await;
    assert_eq!((status, body["code"].as_str()), (403, Some("teacher_departed")), "{body}");
    assert_eq!(in_inbox(&b, &student, chat).await["teacher_departed"], true);
    // Typing too, on every replica once it has read the deactivation.
    a.settled().await;
    b.settled().await;
    for app in [&a, &b] {
        let typing = app.http.post(app.url(&format!("/api/chats/{chat}/typing"))).bearer_auth(&student.token);
        let (status, body) =
            status_and_json(typing.json(&json!({ "is_typing": true })).send().await.expect("typing")).await;
        assert_eq!((status, body["code"].as_str()), (403, Some("teacher_departed")), "{body}");
    }

    let (status, body) = hand_over(&a, &admin, chat, &student).await;
    assert_eq!(status, 422, "a student is no successor: {body}");
    let mut student_live = b.stream(&student, None).await;
    let mut new_live = b.stream(&new, None).await;
    let before: i64 = a.sql.query_one("SELECT max(position) FROM events", &[]).await.expect("head").get(0);
    let (status, body) = hand_over(&a, &admin, chat, &new).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!((body["from_teacher_id"].as_i64(), body["to_teacher_id"].as_i64()), (Some(old.id), Some(new.id)));
    for stream in [&mut student_live, &mut new_live] {
        let event = stream.event().await;
        assert_eq!(event.event, "chat_handed_over", "{}", event.data);
        let data: Value = event.json();
        assert_eq!((data["chat_id"].as_i64(), data["to_teacher"]["id"].as_i64()), (Some(chat), Some(new.id)));
    }

    // Replayed on resume, to both.
    for who in [&student, &new] {
        let event = a.stream(who, Some(&before.to_string())).await.event().await;
        assert!(event.event == "chat_handed_over" && event.position() > before, "{}: {}", event.event, event.data);
    }

    // The successor reads the whole history and writes; the student writes again.
    let (status, history) =
        status_and_json(b.get(&format!("/api/chats/{chat}/messages"), &new).send().await.expect("history")).await;
    assert_eq!(status, 200, "{history}");
    let seen: Vec<i64> =
        history["messages"].as_array().expect("messages").iter().map(|m| m["id"].as_i64().unwrap_or(0)).collect();
    assert!(seen.contains(&first), "{history}");
    assert_eq!(ids(&b, &new, false).await, vec![chat]);
    assert_eq!(in_inbox(&a, &new, chat).await["unread_count"], 0, "taken over as read");
    assert_eq!(b.post_message(&new, chat, "I am your new teacher").await.status(), 201);
    assert_eq!(a.post_message(&student, chat, "nice to meet you").await.status(), 201);
    assert_eq!(in_inbox(&a, &student, chat).await["teacher_departed"], false);
    assert_eq!(in_inbox(&a, &student, chat).await["participant"]["id"], new.id);

    let said = timeline(&a, chat, "chat_handed_over").await;
    assert_eq!(said.len(), 1, "{said:?}");
    assert!(said[0].contains("Old Teacher") && said[0].contains("New Teacher"), "{said:?}");
    assert_eq!(hand_over(&a, &admin, chat, &new).await.0, 200, "theirs already: a no-op");
    assert_eq!(timeline(&a, chat, "chat_handed_over").await.len(), 1);
    audit_is_clean(&a).await;
}

#[tokio::test]
async fn a_successor_who_has_a_chat_with_the_student_already_is_refused() {
    let a = TestApp::spawn().await;
    let (old, new, student, admin) = (
        a.user("teacher", "Old").await,
        a.user("teacher", "New").await,
        a.user("student", "Student").await,
        a.user("admin", "Admin").await,
    );
    let chat = a.chat(&old, &student).await;
    a.chat(&new, &student).await;
    let (status, body) = hand_over(&a, &admin, chat, &new).await;
    assert_eq!((status, body["code"].as_str()), (409, Some("pair_has_chat")), "{body}");
    let (status, _) = hand_over(&a, &old, chat, &new).await;
    assert_eq!(status, 403, "admins only");
    audit_is_clean(&a).await;
}

#[tokio::test]
async fn a_departed_students_chats_leave_the_teachers_inbox_for_the_archive() {
    let a = TestApp::spawn().await;
    let (teacher, gone, staying, admin) = (
        a.user("teacher", "Teacher").await,
        a.user("student", "Graduate").await,
        a.user("student", "Staying").await,
        a.user("admin", "Admin").await,
    );
    let (gone_chat, staying_chat) = (a.chat(&teacher, &gone).await, a.chat(&teacher, &staying).await);
    a.send(&gone, gone_chat, "thank you for everything").await;
    assert_eq!(deactivate(&a, &admin, &gone, true).await.0, 204);
    assert_eq!(ids(&a, &teacher, false).await, vec![staying_chat]);
    assert_eq!(ids(&a, &teacher, true).await, vec![gone_chat]);
    let archived = chats(&a, &teacher, true).await;
    assert_eq!(
        (archived[0]["participant_departed"].as_bool(), archived[0]["archived"].as_bool()),
        (Some(true), Some(true))
    );
    let (status, history) =
        status_and_json(a.get(&format!("/api/chats/{gone_chat}/messages"), &teacher).send().await.expect("history"))
            .await;
    assert_eq!((status, history["messages"].as_array().map(Vec::len)), (200, Some(1)), "nothing is deleted");
    assert_eq!(deactivate(&a, &admin, &gone, false).await.0, 204);
    assert_eq!(ids(&a, &teacher, false).await.len(), 2, "back in the inbox");
    audit_is_clean(&a).await;
}

#[tokio::test]
async fn in_a_departed_teachers_chat_the_student_neither_reacts_nor_pins_until_it_is_handed_over() {
    let a = TestApp::spawn().await;
    let (old, new, student, admin) = (
        a.user("teacher", "Old Teacher").await,
        a.user("teacher", "New Teacher").await,
        a.user("student", "Student").await,
        a.user("admin", "Admin").await,
    );
    let chat = a.chat(&old, &student).await;
    let message = a.send(&old, chat, "homework: page 12").await;
    assert_eq!(react(&a, &student, message, "👍", true).await, (201, None));
    assert_eq!(pin(&a, &student, chat, message, true).await, (204, None));

    assert_eq!(deactivate(&a, &admin, &old, true).await.0, 204);
    let departed = (403, Some("teacher_departed".to_owned()));
    assert_eq!(react(&a, &student, message, "❤️", true).await, departed, "a new reaction");
    assert_eq!(react(&a, &student, message, "👍", false).await, departed, "taking one back");
    assert_eq!(pin(&a, &student, chat, message, false).await, departed, "unpinning");
    assert_eq!(pin(&a, &student, chat, message, true).await, departed, "pinning");
    assert_eq!(pinned(&a, &student, chat).await, vec![message], "the pin stays as it was");
    // The log's own rules refuse them too (psql obeys them).
    for (kind, payload) in [
        ("reaction_added", json!({ "message_id": message, "emoji": "❤️" })),
        ("message_unpinned", json!({ "message_id": message })),
    ] {
        let refused = a
            .sql
            .execute(
                "INSERT INTO events (chat_id, actor_id, type, payload) VALUES ($1, $2, $3, $4)",
                &[&chat, &student.id, &kind, &payload],
            )
            .await
            .expect_err("read-only while the teacher is gone");
        let refusal = refused.as_db_error().expect("the log's refusal");
        assert_eq!(refusal.hint(), Some("teacher_departed"), "{kind}: {refusal}");
    }

    // Handed over, the chat takes both again.
    assert_eq!(hand_over(&a, &admin, chat, &new).await.0, 200);
    assert_eq!(react(&a, &student, message, "❤️", true).await, (201, None));
    assert_eq!(pin(&a, &student, chat, message, false).await, (204, None));
    audit_is_clean(&a).await;
}
