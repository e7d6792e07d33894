//! Live delivery on two replicas, and the replay of a resumed stream as it is now.

use serde_json::json;

use super::{logged, react, shown};
use crate::governance::audit_is_clean;
use crate::helpers::TestApp;

#[tokio::test]
async fn a_reaction_on_one_replica_reaches_whoever_sees_the_message_on_the_other_and_nobody_else() {
    let a = TestApp::spawn().await;
    let b = a.replica().await;
    let (teacher, student) = (a.user("teacher", "Иван Петрович").await, a.user("student", "Мария").await);
    let (admin, mother, outsider) =
        (a.user("admin", "Завуч").await, a.user("guardian", "Мама Марии").await, a.user("student", "Петя").await);
    let chat = a.chat(&teacher, &student).await;
    let elsewhere = a.chat(&teacher, &outsider).await;
    let link = a.url(&format!("/api/admin/guardians/{}/students/{}", mother.id, student.id));
    assert_eq!(a.http.put(link).bearer_auth(&admin.token).send().await.expect("link").status(), 201);
    let message = a.send(&teacher, chat, "Домашнее задание на завтра").await;

    let (mut teachers, mut admins, mut outsiders) =
        (b.stream(&teacher, None).await, b.stream(&admin, None).await, b.stream(&outsider, None).await);
    let mut mothers = b.stream(&mother, None).await;
    let mut students = a.stream(&student, None).await;

    // Reacted on replica A: everyone who sees the message hears of it, on B too.
    assert_eq!(react(&a, &student, message, "👍", true).await, (201, None));
    let expected = json!({ "chat_id": chat, "message_id": message, "emoji": "👍", "user_id": student.id });
    for (who, stream) in
        [("teacher", &mut teachers), ("admin", &mut admins), ("guardian", &mut mothers), ("student", &mut students)]
    {
        let event = stream.event().await;
        assert_eq!((event.event.as_str(), event.json()), ("reaction_added", expected.clone()), "{who}");
    }
    // Again, on either replica: the same reaction, counted once, no second event.
    assert_eq!(react(&b, &student, message, "👍", true).await, (200, None));
    assert_eq!(react(&a, &student, message, "👍", true).await, (200, None));
    assert_eq!(logged(&a).await, 1);
    assert_eq!(
        shown(&b, &teacher, chat, message).await,
        Some(json!([{ "emoji": "👍", "count": 1, "user_ids": [student.id] }]))
    );

    // The teacher's own, a heart typed without its U+FE0F: the same heart, in the order given.
    assert_eq!(react(&b, &teacher, message, "\u{2764}", true).await, (201, None));
    assert_eq!(react(&b, &student, message, "❤️", true).await, (201, None));
    for _ in 0..2 {
        assert_eq!(students.event().await.event, "reaction_added");
    }
    assert_eq!(
        shown(&a, &student, chat, message).await,
        Some(json!([
            { "emoji": "👍", "count": 1, "user_ids": [student.id] },
            { "emoji": "❤️", "count": 2, "user_ids": [teacher.id, student.id] },
        ]))
    );

    // Taken back on B: removed live on A; taking back what is not there changes nothing.
    assert_eq!(react(&b, &student, message, "👍", false).await, (204, None));
    let removed = students.event().await;
    assert_eq!((removed.event.as_str(), &removed.json()["emoji"]), ("reaction_removed", &json!("👍")));
    assert_eq!(react(&a, &student, message, "👍", false).await, (204, None));
    assert_eq!(logged(&a).await, 4);
    assert_eq!(shown(&a, &teacher, chat, message).await.expect("listed")[0]["emoji"], "❤️");

    // The outsider's next event is their own chat's: none of the reactions reached them.
    let theirs = a.send(&teacher, elsewhere, "Петя, урок в пятницу").await;
    let next = outsiders.event().await;
    assert_eq!((next.event.as_str(), next.json()["message"]["id"].as_i64()), ("new_message", Some(theirs)));
    audit_is_clean(&a).await;
}

#[tokio::test]
async fn in_a_group_a_reaction_reaches_only_the_members_who_can_see_its_message() {
    let a = TestApp::spawn().await;
    let b = a.replica().await;
    let teacher = a.user("teacher", "Иван Петрович").await;
    let (first, second, late) =
        (a.user("student", "Аня").await, a.user("student", "Борис").await, a.user("student", "Вера").await);
    let chat = crate::groups::group(&a, &teacher, "9Б", &[&first, &second]).await;
    let before = a.send(&teacher, chat, "До того как Вера пришла").await;
    assert_eq!(crate::groups::add(&a, &teacher, chat, late.id).await.0, 201);

    let (mut seconds, mut lates) = (b.stream(&second, None).await, b.stream(&late, None).await);
    assert_eq!(react(&a, &first, before, "👏", true).await, (201, None));
    let event = seconds.event().await;
    assert_eq!((event.event.as_str(), event.json()["user_id"].as_i64()), ("reaction_added", Some(first.id)));
    // Vera joined after the message: she never saw it, its reactions neither, nor may she react.
    assert_eq!(react(&b, &late, before, "👏", true).await, (403, Some("forbidden".into())));
    let after = a.send(&teacher, chat, "Теперь все в сборе").await;
    let next = lates.event().await;
    assert_eq!((next.event.as_str(), next.json()["message"]["id"].as_i64()), ("new_message", Some(after)));
    assert_eq!(react(&b, &late, after, "✅", true).await, (201, None));
    audit_is_clean(&a).await;
}

#[tokio::test]
async fn a_resumed_stream_replays_reactions_as_they_are_now() {
    let a = TestApp::spawn().await;
    let b = a.replica().await;
    let (teacher, student, admin) =
        (a.user("teacher", "Иван Петрович").await, a.user("student", "Мария").await, a.user("admin", "Завуч").await);
    let chat = a.chat(&teacher, &student).await;
    let (hidden, kept, deleted) = (
        a.send(&student, chat, "грубость").await,
        a.send(&student, chat, "вопрос по задаче").await,
        a.send(&student, chat, "передумала").await,
    );
    let mut live = b.stream(&teacher, None).await;
    let start = live_position(&a).await;

    for message in [hidden, kept, deleted] {
        assert_eq!(react(&a, &teacher, message, "😮", true).await, (201, None));
    }
    assert_eq!(react(&b, &teacher, kept, "✅", true).await, (201, None));
    assert_eq!(react(&b, &teacher, kept, "😮", false).await, (204, None));
    for _ in 0..5 {
        assert!(live.event().await.event.starts_with("reaction_"), "live, every reaction as it happened");
    }
    let hide = a.http.post(a.url(&format!("/api/admin/messages/{hidden}/hide"))).bearer_auth(&admin.token);
    assert_eq!(hide.json(&json!({ "reason": "rude" })).send().await.expect("hide").status(), 204);
    assert_eq!(a.delete_message(&student, deleted).await.status(), 200);
    assert_eq!(live.event().await.event, "message_hidden");
    assert_eq!(live.event().await.event, "message_deleted");

    // Resumed from before the reactions, on either replica, by a participant and an admin: the
    // hidden and the deleted message's reactions are gone from the replay; the kept one's stay,
    // in order.
    for (app, user) in [(&a, &teacher), (&b, &teacher), (&b, &admin)] {
        let mut resumed = app.stream(user, Some(&start.to_string())).await;
        let mut reactions = Vec::new();
        loop {
            let event = resumed.event().await;
            match event.event.as_str() {
                "message_deleted" => break,
                "reaction_added" | "reaction_removed" => {
                    let data = event.json();
                    reactions.push((event.event.clone(), data["message_id"].as_i64(), data["emoji"].clone()))
                }
                _ => {}
            }
        }
        assert_eq!(
            reactions,
            [
                ("reaction_added".to_owned(), Some(kept), json!("😮")),
                ("reaction_added".to_owned(), Some(kept), json!("✅")),
                ("reaction_removed".to_owned(), Some(kept), json!("😮")),
            ]
        );
    }
    // History as well: the hidden message shows none (to its participants and to admins).
    assert_eq!(shown(&a, &student, chat, hidden).await, Some(json!([])));
    assert_eq!(shown(&b, &admin, chat, hidden).await, Some(json!([])));
    assert_eq!(shown(&a, &student, chat, kept).await.expect("listed")[0]["emoji"], "✅");
    audit_is_clean(&a).await;
}

/// The log's head now.
async fn live_position(app: &TestApp) -> i64 {
    crate::helpers::last_position(&app.sql).await
}
