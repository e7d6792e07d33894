//! Retention and erasure take reactions with what they take; exports show them.

use std::time::Duration;

use serde_json::json;

use super::{react, shown};
use crate::governance::{audit_is_clean, erase, one_retention_at_a_time, timeline};
use crate::helpers::{TestApp, status_and_json};

#[tokio::test]
async fn erasing_a_person_takes_their_reactions_and_those_to_their_messages() {
    let a = TestApp::spawn().await;
    let (teacher, student, admin) =
        (a.user("teacher", "Иван Петрович").await, a.user("student", "Зинаида").await, a.user("admin", "Завуч").await);
    let chat = a.chat(&teacher, &student).await;
    let teachers = a.send(&teacher, chat, "Молодец!").await;
    let students = a.send(&student, chat, "Спасибо!").await;
    assert_eq!(react(&a, &student, teachers, "❤️", true).await, (201, None));
    assert_eq!(react(&a, &teacher, teachers, "👍", true).await, (201, None));
    assert_eq!(react(&a, &teacher, students, "🙏", true).await, (201, None));

    erase(&a, &admin, &student).await;

    // Her reaction is gone from the teacher's message, his from her purged one; his own stays.
    assert_eq!(
        shown(&a, &teacher, chat, teachers).await,
        Some(json!([{ "emoji": "👍", "count": 1, "user_ids": [teacher.id] }]))
    );
    assert_eq!(shown(&a, &teacher, chat, students).await, Some(json!([])));
    let left: Vec<(i64, i64)> = a
        .sql
        .query("SELECT message_id, user_id FROM message_reactions", &[])
        .await
        .expect("reactions")
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(left, [(teachers, teacher.id)]);
    // The log keeps that she reacted, under her erased name.
    let reacted = timeline(&a, chat, "reaction_added").await;
    assert_eq!(reacted[0], format!("erased user {} reacted ❤️ to message {teachers}", student.id));
    audit_is_clean(&a).await;
}

#[tokio::test]
async fn retention_purges_a_messages_reactions_with_its_text() {
    let _turn = one_retention_at_a_time().await;
    let a = TestApp::spawn_with(|c| c.governance.retention = Some(time::Duration::days(30))).await;
    let (teacher, student) = (a.user("teacher", "Иван Петрович").await, a.user("student", "Мария").await);
    let chat = a.chat(&teacher, &student).await;
    let old = a.send(&teacher, chat, "старое объявление").await;
    assert_eq!(react(&a, &student, old, "👍", true).await, (201, None));
    assert_eq!(react(&a, &teacher, old, "✅", true).await, (201, None));
    tokio::time::sleep(Duration::from_millis(20)).await;
    let horizon = time::OffsetDateTime::now_utc();
    tokio::time::sleep(Duration::from_millis(20)).await;
    let fresh = a.send(&teacher, chat, "новое объявление").await;
    assert_eq!(react(&a, &student, fresh, "👍", true).await, (201, None));

    assert_eq!(tutorchat::governance::retention::purge(&a.state, horizon).await.expect("purge"), 1);

    assert_eq!(shown(&a, &student, chat, old).await, Some(json!([])));
    assert_eq!(shown(&a, &student, chat, fresh).await.expect("listed")[0]["count"], 1);
    let left: i64 = a.sql.query_one("SELECT count(*) FROM message_reactions", &[]).await.expect("count").get(0);
    assert_eq!(left, 1, "only the recent message's reaction is left");
    // Nobody reacts to it any more.
    assert_eq!(react(&a, &student, old, "😢", true).await, (409, Some("message_purged".into())));
    audit_is_clean(&a).await;
}

#[tokio::test]
async fn an_export_shows_each_messages_reactions_and_who_gave_them() {
    let a = TestApp::spawn().await;
    let (teacher, student, admin) =
        (a.user("teacher", "Иван Петрович").await, a.user("student", "Мария").await, a.user("admin", "Завуч").await);
    let chat = a.chat(&teacher, &student).await;
    let message = a.send(&teacher, chat, "Итоги четверти").await;
    let plain = a.send(&teacher, chat, "Без реакций").await;
    assert_eq!(react(&a, &student, message, "👏", true).await, (201, None));
    assert_eq!(react(&a, &teacher, message, "👏", true).await, (201, None));
    assert_eq!(react(&a, &student, message, "✅", true).await, (201, None));

    let expected = json!([
        { "emoji": "👏", "count": 2, "people": [
            { "user_id": student.id, "name": "Мария" }, { "user_id": teacher.id, "name": "Иван Петрович" } ] },
        { "emoji": "✅", "count": 1, "people": [{ "user_id": student.id, "name": "Мария" }] },
    ]);
    for user in [&student, &admin] {
        let response = a.get(&format!("/api/chats/{chat}/export?format=json"), user).send().await.expect("export");
        let (status, export) = status_and_json(response).await;
        assert_eq!(status, 200, "{export}");
        let messages = export["messages"].as_array().expect("messages");
        let of = |id: i64| messages.iter().find(|m| m["message_id"] == id).expect("exported")["reactions"].clone();
        assert_eq!((of(message), of(plain)), (expected.clone(), json!([])));
    }
    let html = a.get(&format!("/api/chats/{chat}/export?format=html&lang=ru"), &student).send().await.expect("html");
    let html = html.text().await.expect("body");
    assert!(html.contains("Реакции: 👏 2 (Мария, Иван Петрович) · ✅ 1 (Мария)"), "{html}");
    audit_is_clean(&a).await;
}
