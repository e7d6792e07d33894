//! Who may react, to what, with what: the API's answers, and the log's own rule under them.

use serde_json::json;

use super::{logged, react};
use crate::governance::audit_is_clean;
use crate::helpers::{TestApp, status_and_json};
use crate::mentions::named;

#[tokio::test]
async fn only_a_participant_who_sees_a_shown_message_reacts_and_only_with_one_of_the_eight() {
    let a = TestApp::spawn().await;
    let (teacher, student, stranger) =
        (a.user("teacher", "Иван Петрович").await, a.user("student", "Мария").await, a.user("student", "Петя").await);
    let (admin, mother) = (a.user("admin", "Завуч").await, a.user("guardian", "Мама Марии").await);
    let chat = a.chat(&teacher, &student).await;
    let link = a.url(&format!("/api/admin/guardians/{}/students/{}", mother.id, student.id));
    assert_eq!(a.http.put(link).bearer_auth(&admin.token).send().await.expect("link").status(), 201);
    let message = a.send(&teacher, chat, "Контрольная в четверг").await;

    // Readers who take no part write nothing; a stranger is told nothing of the message.
    assert_eq!(react(&a, &admin, message, "👍", true).await, (403, Some("admin_read_only".into())));
    assert_eq!(react(&a, &mother, message, "👍", true).await, (403, Some("guardian_read_only".into())));
    assert_eq!(react(&a, &stranger, message, "👍", true).await, (403, Some("forbidden".into())));
    assert_eq!(react(&a, &student, message + 1000, "👍", true).await, (403, Some("forbidden".into())));
    // Eight reactions, nothing else.
    for other in ["👎", "🦄", "like", "👍👍"] {
        assert_eq!(react(&a, &student, message, other, true).await, (422, Some("unknown_reaction".into())), "{other}");
    }
    assert_eq!(react(&a, &student, message, "👎", false).await, (422, Some("unknown_reaction".into())));

    // A hidden, a deleted message: none (the log refuses, its HINT names why).
    let rude = a.send(&teacher, chat, "грубость").await;
    let hide = a.http.post(a.url(&format!("/api/admin/messages/{rude}/hide"))).bearer_auth(&admin.token);
    assert_eq!(hide.json(&json!({ "reason": "rude" })).send().await.expect("hide").status(), 204);
    assert_eq!(react(&a, &student, rude, "😢", true).await, (409, Some("message_hidden".into())));
    let gone = a.send(&teacher, chat, "опечатка").await;
    assert_eq!(a.delete_message(&teacher, gone).await.status(), 200);
    assert_eq!(react(&a, &student, gone, "😢", true).await, (409, Some("message_deleted".into())));

    // A suspended person reads, and does not react.
    let suspend = a.http.post(a.url(&format!("/api/admin/users/{}/suspend", student.id))).bearer_auth(&admin.token);
    assert_eq!(suspend.json(&json!({ "reason": "spam" })).send().await.expect("suspend").status(), 204);
    assert_eq!(react(&a, &student, message, "👍", true).await, (403, Some("account_suspended".into())));
    assert_eq!(logged(&a).await, 0, "nothing refused reached the log");

    // psql obeys the same set: the log's list is the server's, and it refuses any other.
    let listed: Vec<String> = a.sql.query_one("SELECT reaction_emojis()", &[]).await.expect("list").get(0);
    assert_eq!(listed, tutorchat::api::reactions::REACTIONS);
    let appended = a
        .sql
        .execute(
            "INSERT INTO events (chat_id, actor_id, type, payload) VALUES ($1, $2, 'reaction_added', $3)",
            &[&chat, &teacher.id, &json!({ "message_id": message, "emoji": "👎" })],
        )
        .await
        .expect_err("not one of the eight");
    let refusal = appended.as_db_error().expect("the log's refusal");
    assert_eq!(refusal.hint(), Some("unknown_reaction"), "{refusal}");
    audit_is_clean(&a).await;
}

#[tokio::test]
async fn a_guest_reacts_to_nothing_and_a_closed_chat_takes_no_reaction() {
    let a = TestApp::spawn().await;
    let (teacher, _, guest, chat) = crate::inquiries::inquiry(&a).await;
    let question = a.send(&guest, chat, "Сколько стоит занятие?").await;
    assert_eq!(react(&a, &guest, question, "🙏", true).await, (403, Some("guest_confined".into())));
    assert_eq!(react(&a, &teacher, question, "🙏", true).await, (201, None));
    // Blocked: the inquiry is closed, read-only for its reactions too, either way.
    assert_eq!(crate::blocking::block(&a, &teacher, chat).await.0, 204);
    assert_eq!(react(&a, &teacher, question, "✅", true).await, (409, Some("chat_closed".into())));
    assert_eq!(react(&a, &teacher, question, "🙏", false).await, (409, Some("chat_closed".into())));
    let refused = a
        .sql
        .execute(
            "INSERT INTO events (chat_id, actor_id, type, payload) VALUES ($1, $2, 'reaction_added', $3)",
            &[&chat, &guest.id, &json!({ "message_id": question, "emoji": "👍" })],
        )
        .await
        .expect_err("a guest's reaction");
    assert!(refused.as_db_error().is_some(), "{refused}");
    audit_is_clean(&a).await;
}

#[tokio::test]
async fn a_history_page_shows_each_message_its_own_reactions_and_mentions() {
    let a = TestApp::spawn().await;
    let teacher = a.user("teacher", "Иван Петров").await;
    let (maria, boris) = (a.user("student", "Мария").await, a.user("student", "Борис").await);
    let chat = crate::groups::group(&a, &teacher, "9Б", &[&maria, &boris]).await;
    let first = a.send(&teacher, chat, "Начнём").await;
    let second = a.send(&maria, chat, "@Борис, посмотри").await;
    let third = a.send(&teacher, chat, "@Мария и @Борис: итог").await;
    let plain = a.send(&boris, chat, "Понял").await;
    for (who, message, emoji) in
        [(&maria, first, "👍"), (&boris, third, "❤️"), (&teacher, third, "❤️"), (&maria, third, "👍")]
    {
        assert_eq!(react(&a, who, message, emoji, true).await, (201, None));
    }

    // One page: each message's reactions and mentions are its own, none for the plain one.
    let (status, page) =
        status_and_json(a.get(&format!("/api/chats/{chat}/messages"), &boris).send().await.expect("history")).await;
    assert_eq!(status, 200, "{page}");
    let of = |id: i64| {
        let shown = page["messages"].as_array().expect("messages").iter().find(|m| m["id"] == id).expect("in the page");
        (shown["reactions"].clone(), shown["mentions"].clone())
    };
    assert_eq!(of(first), (json!([{ "emoji": "👍", "count": 1, "user_ids": [maria.id] }]), json!([])));
    assert_eq!(of(second), (json!([]), named(&[&boris], &["Борис"])));
    assert_eq!(
        of(third),
        (
            json!([
                { "emoji": "❤️", "count": 2, "user_ids": [boris.id, teacher.id] },
                { "emoji": "👍", "count": 1, "user_ids": [maria.id] },
            ]),
            named(&[&maria, &boris], &["Мария", "Борис"]),
        )
    );
    assert_eq!(of(plain), (json!([]), json!([])));
}
