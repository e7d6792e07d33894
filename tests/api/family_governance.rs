//! Family chats under the school's governance, as a student's chat is: retention purges their
//! old messages by the clock, a guardian's erasure blanks what they wrote there from every
//! table, and the guardian exports their own family chat.

use serde_json::{Value, json};

use crate::governance::{audit_is_clean, created_at, erase, full_dump, one_retention_at_a_time};
use crate::guardians::set_link;
use crate::helpers::{TestApp, User, status_and_json};

/// The guardian's family chat with the teacher, opened by linking them to a child the teacher
/// has had a lesson with.
async fn family_chat(app: &TestApp, teacher: &User, child: &User, guardian: &User, admin: &User) -> i64 {
    app.chat(teacher, child).await;
    assert_eq!(set_link(app, admin, guardian.id, child.id, true).await.0, 201);
    let (_, list) = status_and_json(app.get("/api/chats", guardian).send().await.expect("GET")).await;
    let chats = list["chats"].as_array().expect("chats");
    chats.iter().find(|c| c["kind"] == "family").and_then(|c| c["id"].as_i64()).expect("a family chat")
}

#[tokio::test]
async fn retention_purges_a_family_chats_old_messages_and_the_guardian_exports_it() {
    let _turn = one_retention_at_a_time().await;
    let a = TestApp::spawn_with(|c| c.governance.retention = Some(time::Duration::days(30))).await;
    let (teacher, masha) = (a.user("teacher", "Иван").await, a.user("student", "Маша").await);
    let (guardian, admin) = (a.user("guardian", "Елена").await, a.user("admin", "Завуч").await);
    let chat = family_chat(&a, &teacher, &masha, &guardian, &admin).await;
    let old = a.send(&guardian, chat, "старый вопрос о Маше").await;
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let fresh = a.send(&teacher, chat, "свежий ответ").await;
    let between = created_at(&a, old).await + (created_at(&a, fresh).await - created_at(&a, old).await) / 2;
    let purged =
        tutorchat::governance::retention::run_at(&a.state, between + time::Duration::days(30)).await.expect("run");
    assert_eq!(purged, 1);

    let response = a.get(&format!("/api/chats/{chat}/export?format=json"), &guardian).send().await.expect("export");
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("JSON");
    let text = body.to_string();
    assert!(text.contains("свежий ответ") && !text.contains("старый вопрос"), "{body}");
    assert!(!full_dump(&a).await.contains("старый вопрос о Маше"));
    audit_is_clean(&a).await;
}

#[tokio::test]
async fn a_guardians_erasure_blanks_what_they_wrote_in_their_family_chat() {
    let a = TestApp::spawn().await;
    let (teacher, masha) = (a.user("teacher", "Иван").await, a.user("student", "Маша").await);
    let (guardian, admin) = (a.user("guardian", "Елена").await, a.user("admin", "Завуч").await);
    let chat = family_chat(&a, &teacher, &masha, &guardian, &admin).await;
    let theirs = a.send(&guardian, chat, "Мой телефон 8-900-000-00-00").await;
    let answer = a.send(&teacher, chat, "Спасибо, записал").await;

    erase(&a, &admin, &guardian).await;
    let (status, page) =
        status_and_json(a.get(&format!("/api/chats/{chat}/messages"), &teacher).send().await.expect("GET")).await;
    let shown = |id: i64| page["messages"].as_array().expect("messages").iter().find(|m| m["id"] == id).cloned();
    assert_eq!(status, 200, "{page}");
    assert_eq!(
        shown(theirs).map(|m| (m["content"].clone(), m["purged"]["cause"].clone())),
        Some((json!(""), json!("erasure")))
    );
    assert_eq!(shown(answer).map(|m| m["content"].clone()), Some(json!("Спасибо, записал")));
    assert!(!full_dump(&a).await.contains("8-900-000-00-00"), "the guardian's words are gone from every table");
    audit_is_clean(&a).await;
}
