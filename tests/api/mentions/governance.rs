//! Erasure takes the mentions of the person erased (and of their purged messages); retention
//! takes a purged message's.

use std::time::Duration;

use serde_json::json;

use super::{named, sent, shown};
use crate::governance::{audit_is_clean, erase, one_retention_at_a_time};
use crate::helpers::TestApp;

/// The rows of `message_mentions`, by message and person.
async fn rows(app: &TestApp) -> Vec<(i64, i64)> {
    let rows = app.sql.query("SELECT message_id, user_id FROM message_mentions ORDER BY 1, 2", &[]).await;
    rows.expect("mentions").iter().map(|r| (r.get(0), r.get(1))).collect()
}

#[tokio::test]
async fn erasing_a_person_takes_every_mention_of_them_and_those_their_messages_made() {
    let a = TestApp::spawn().await;
    let b = a.replica().await;
    let (teacher, admin) = (a.user("teacher", "Иван Петров").await, a.user("admin", "Завуч").await);
    let (zina, boris) = (a.user("student", "Зинаида").await, a.user("student", "Борис").await);
    let chat = crate::groups::group(&a, &teacher, "9Б", &[&zina, &boris]).await;
    let teachers = sent(&a, &teacher, chat, "@Зинаида и @Борис, к доске").await["id"].as_i64().expect("id");
    let boriss = sent(&b, &boris, chat, "@Зинаида, удачи").await["id"].as_i64().expect("id");
    let zinas = sent(&a, &zina, chat, "@Борис, спасибо").await["id"].as_i64().expect("id");
    assert_eq!(rows(&a).await.len(), 4);

    erase(&a, &admin, &zina).await;

    // Nobody's message names her any more; her own (purged) names nobody.
    assert_eq!(shown(&b, &boris, chat, teachers).await, named(&[&boris], &["Борис"]));
    assert_eq!(shown(&b, &teacher, chat, boriss).await, json!([]));
    assert_eq!(shown(&a, &boris, chat, zinas).await, json!([]));
    assert_eq!(rows(&a).await, [(teachers, boris.id)]);
    // A later "@erased user …" names nobody: an erased person is mentioned no more.
    let later = sent(&a, &teacher, chat, &format!("@erased user {}", zina.id)).await;
    assert_eq!(later["mentions"], json!([]));
    // A resumed stream shows the teacher's message as it is now: Борис alone.
    let mut resumed = b.stream(&boris, Some("0")).await;
    loop {
        let event = resumed.event().await;
        if event.event == "new_message" && event.json()["message"]["id"] == teachers {
            assert_eq!(event.json()["message"]["mentions"], named(&[&boris], &["Борис"]));
            break;
        }
    }
    audit_is_clean(&a).await;
}

#[tokio::test]
async fn retention_purges_a_messages_mentions_with_its_text() {
    let _turn = one_retention_at_a_time().await;
    let a = TestApp::spawn_with(|c| c.governance.retention = Some(time::Duration::days(30))).await;
    let teacher = a.user("teacher", "Иван Петров").await;
    let (anya, boris) = (a.user("student", "Аня").await, a.user("student", "Борис").await);
    let chat = crate::groups::group(&a, &teacher, "9Б", &[&anya, &boris]).await;
    let old = sent(&a, &teacher, chat, "@Аня, старое задание").await["id"].as_i64().expect("id");
    tokio::time::sleep(Duration::from_millis(20)).await;
    let horizon = time::OffsetDateTime::now_utc();
    tokio::time::sleep(Duration::from_millis(20)).await;
    let fresh = sent(&a, &teacher, chat, "@Борис, новое задание").await["id"].as_i64().expect("id");

    assert!(tutorchat::governance::retention::purge(&a.state, horizon).await.expect("purge") >= 1);

    assert_eq!(shown(&a, &anya, chat, old).await, json!([]));
    assert_eq!(shown(&a, &anya, chat, fresh).await, named(&[&boris], &["Борис"]));
    assert_eq!(rows(&a).await, [(fresh, boris.id)], "only the recent message's mention is left");
    audit_is_clean(&a).await;
}

#[tokio::test]
async fn a_json_export_names_whom_each_message_mentions_as_they_are_now() {
    let a = TestApp::spawn().await;
    let (teacher, admin) = (a.user("teacher", "Иван Петров").await, a.user("admin", "Завуч").await);
    let (anya, boris) = (a.user("student", "Аня").await, a.user("student", "Борис").await);
    let chat = crate::groups::group(&a, &teacher, "9Б", &[&anya, &boris]).await;
    let message = sent(&a, &teacher, chat, "@Аня и @Борис, итоги четверти").await["id"].as_i64().expect("id");
    let plain = sent(&a, &teacher, chat, "Без упоминаний").await["id"].as_i64().expect("id");
    a.sql.execute("UPDATE users SET name = 'Анна' WHERE id = $1", &[&anya.id]).await.expect("rename");

    for user in [&boris, &admin] {
        let response = a.get(&format!("/api/chats/{chat}/export?format=json"), user).send().await.expect("export");
        let (status, export) = crate::helpers::status_and_json(response).await;
        assert_eq!(status, 200, "{export}");
        let messages = export["messages"].as_array().expect("messages");
        let of = |id: i64| messages.iter().find(|m| m["message_id"] == id).expect("exported")["mentions"].clone();
        assert_eq!((of(message), of(plain)), (named(&[&anya, &boris], &["Анна", "Борис"]), json!([])));
    }
    audit_is_clean(&a).await;
}
