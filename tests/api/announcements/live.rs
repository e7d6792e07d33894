//! An announcement reaches exactly its members (and admins), live on every replica; a member
//! who joins later by a lesson reads from their joining on, live and on resume, as it is now.

use serde_json::json;

use super::{all_my_students, members};
use crate::governance::{audit_is_clean, timeline};
use crate::helpers::TestApp;

#[tokio::test]
async fn a_teachers_announcement_reaches_all_their_students_on_the_other_replica_and_nobody_else() {
    let a = TestApp::spawn().await;
    let b = a.replica().await;
    let teacher = a.user("teacher", "Иван Петрович").await;
    let (maria, petya) = (a.user("student", "Мария").await, a.user("student", "Петя").await);
    let (colleague, outsider) = (a.user("teacher", "Ольга Сергеевна").await, a.user("student", "Вова").await);
    let admin = a.user("admin", "Завуч").await;
    a.chat(&teacher, &maria).await;
    a.chat(&teacher, &petya).await;
    let elsewhere = a.chat(&colleague, &outsider).await;
    // A lesson only scheduled makes nobody a student of the announcement.
    let later = a.user("student", "Соня").await;
    a.scheduled_lesson(&teacher, &later).await;

    let chat = all_my_students(&a, &teacher, "Всем моим ученикам").await;
    // Each student sees its owner and themself (listeners never learn of each other); he, all.
    assert_eq!(members(&b, &maria, chat).await, [teacher.id, maria.id]);
    assert_eq!(members(&b, &teacher, chat).await, [teacher.id, maria.id, petya.id]);

    let (mut marias, mut petyas, mut admins, mut outsiders) = (
        b.stream(&maria, None).await,
        b.stream(&petya, None).await,
        b.stream(&admin, None).await,
        b.stream(&outsider, None).await,
    );
    let mut laters = b.stream(&later, None).await;
    let news = a.send(&teacher, chat, "Завтра занятий не будет").await;
    for (who, stream) in [("Мария", &mut marias), ("Петя", &mut petyas), ("admin", &mut admins)] {
        let event = stream.event().await;
        assert_eq!(event.event, "new_message", "{who}: {}", event.data);
        let data = event.json();
        assert_eq!(
            (&data["message"]["id"], &data["chat_id"], &data["message"]["content"]),
            (&json!(news), &json!(chat), &json!("Завтра занятий не будет")),
            "{who}"
        );
    }
    // The outsider's and the not-yet student's next events are not the announcement.
    let marker = a.send(&colleague, elsewhere, "Вова, до завтра").await;
    let next = outsiders.event().await;
    assert_eq!((next.event.as_str(), next.json()["message"]["id"].as_i64()), ("new_message", Some(marker)));
    let (status, chats) = crate::helpers::status_and_json(b.get("/api/chats", &later).send().await.expect("GET")).await;
    assert_eq!((status, chats["chats"].as_array().map(Vec::len)), (200, Some(0)), "{chats}");
    assert_eq!(a.get(&format!("/api/chats/{chat}/messages"), &later).send().await.expect("GET").status(), 403);

    // Completing the scheduled lesson makes Соня a member, live: her direct chat opens, then
    // she joins the announcement; from then on she gets its messages.
    a.sql
        .execute(
            "UPDATE lessons SET status = 'completed' WHERE teacher_id = $1 AND student_id = $2",
            &[&teacher.id, &later.id],
        )
        .await
        .expect("complete");
    let opened = laters.event().await;
    assert_eq!(opened.event, "chat_created", "{}", opened.data);
    let joined = laters.event().await;
    assert_eq!(joined.event, "participant_added", "{}", joined.data);
    assert_eq!((&joined.json()["chat_id"], &joined.json()["user"]["id"]), (&json!(chat), &json!(later.id)));
    let second = a.send(&teacher, chat, "Контрольная в пятницу").await;
    let event = laters.event().await;
    assert_eq!((event.event.as_str(), event.json()["message"]["id"].as_i64()), ("new_message", Some(second)));
    assert_eq!(members(&a, &teacher, chat).await, [teacher.id, maria.id, petya.id, later.id]);
    let added = timeline(&a, chat, "participant_added").await;
    assert!(added.last().is_some_and(|l| l.contains("Соня")), "{added:?}");
    let created = timeline(&a, chat, "chat_created").await;
    assert!(created[0].contains("announcement"), "{created:?}");
    audit_is_clean(&a).await;
}

#[tokio::test]
async fn a_resume_replays_an_announcement_from_the_members_joining_as_it_is_now() {
    let a = TestApp::spawn().await;
    let b = a.replica().await;
    let (teacher, maria) = (a.user("teacher", "Иван Петрович").await, a.user("student", "Мария").await);
    a.chat(&teacher, &maria).await;
    let chat = all_my_students(&a, &teacher, "Объявления").await;
    let old = a.send(&teacher, chat, "до Сони").await;
    let sonya = a.user("student", "Соня").await;
    let before = crate::helpers::last_position(&a.sql).await;
    a.chat(&teacher, &sonya).await;
    let kept = a.send(&teacher, chat, "расписание на неделю").await;
    let withdrawn = a.send(&teacher, chat, "ошибка").await;
    assert_eq!(a.delete_message(&teacher, withdrawn).await.status(), 200);
    let last = a.send(&teacher, chat, "итог").await;

    let mut resumed = b.stream(&sonya, Some(&before.to_string())).await;
    let mut seen = Vec::new();
    loop {
        let event = resumed.event().await;
        let data = event.json();
        let id = data["message"]["id"].as_i64().or(data["message_id"].as_i64());
        if id == Some(withdrawn) && event.event == "new_message" {
            assert_eq!(data["message"]["content"], "", "a deleted message is replayed without its text");
        }
        seen.push((event.event.clone(), data["chat_id"].as_i64().or(data["message"]["chat_id"].as_i64()), id));
        if id == Some(last) {
            break;
        }
    }
    let in_chat: Vec<(String, Option<i64>)> =
        seen.iter().filter(|(_, c, _)| *c == Some(chat)).map(|(e, _, id)| (e.clone(), *id)).collect();
    assert!(in_chat.iter().all(|(_, id)| *id != Some(old)), "nothing from before she joined: {seen:?}");
    assert!(in_chat.contains(&("new_message".to_owned(), Some(kept))), "{seen:?}");
    assert!(in_chat.contains(&("message_deleted".to_owned(), Some(withdrawn))), "{seen:?}");
    assert!(in_chat.iter().any(|(e, _)| e == "participant_added"), "{seen:?}");
    audit_is_clean(&a).await;
}
