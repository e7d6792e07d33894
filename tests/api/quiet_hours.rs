//! Quiet hours (`QUIET_HOURS=21:00-08:00` in `Europe/Moscow`, on the replicas' test clocks): a
//! teacher's message to a student at 22:00 is accepted and held, not delivered nor counted;
//! when the window ends it is delivered once to every replica's streams, whichever replica
//! accepted it and even if that one stopped meanwhile; students still write; admins see held
//! messages at once and may deliver one early.

use std::time::Duration;

use serde_json::{Value, json};
use time::macros::datetime;
use tutorchat::config::QuietHours;

use crate::governance::audit_is_clean;
use crate::helpers::{TestApp, User, status_and_json};

fn quiet(config: &mut tutorchat::Config) {
    config.safeguarding.quiet_hours = QuietHours::parse("21:00-08:00");
    config.safeguarding.school_timezone = "Europe/Moscow".into();
    config.safeguarding.release_every = Duration::from_millis(100);
}

/// 22:00 in Moscow (UTC+3), and 08:00:01 the next morning.
const EVENING: time::OffsetDateTime = datetime!(2036-11-25 19:00 UTC);
const MORNING: time::OffsetDateTime = datetime!(2036-11-26 05:00:01 UTC);

async fn post(app: &TestApp, user: &User, chat: i64, content: &str) -> (u16, Value) {
    status_and_json(app.post_message(user, chat, content).await).await
}

async fn held(app: &TestApp, user: &User) -> Vec<Value> {
    let (status, body) = status_and_json(app.get("/api/held-messages", user).send().await.expect("GET")).await;
    assert_eq!(status, 200, "{body}");
    body["messages"].as_array().expect("messages").clone()
}

#[tokio::test]
async fn a_teachers_message_at_22_is_delivered_once_at_8_on_every_replica_across_a_restart() {
    let a = TestApp::spawn_with(quiet).await;
    let b = TestApp::spawn_on(a.database.clone(), quiet).await;
    let (teacher, student, admin) =
        (a.user("teacher", "Иван").await, a.user("student", "Маша").await, a.user("admin", "Завуч").await);
    let chat = a.chat(&teacher, &student).await;
    a.state.clock.set(EVENING);
    b.state.clock.set(EVENING);
    let mut on_a = a.stream(&student, None).await;
    let mut on_b = b.stream(&student, None).await;

    // Accepted and held until 08:00 Moscow time.
    let (status, body) = post(&a, &teacher, chat, "Домашнее задание на завтра").await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["deliver_at"], "2036-11-26T05:00:00Z");
    // The student still writes, and that is what the streams get first.
    let (status, own) = post(&a, &student, chat, "Спокойной ночи").await;
    assert_eq!(status, 201, "{own}");
    for stream in [&mut on_a, &mut on_b] {
        let first = stream.event().await;
        assert_eq!(first.json()["message"]["content"], "Спокойной ночи", "{}", first.data);
    }
    assert_eq!(a.unread(&student, chat).await, 0, "nothing of the teacher's counts yet");
    let (_, history) =
        status_and_json(a.get(&format!("/api/chats/{chat}/messages"), &student).send().await.expect("GET")).await;
    assert_eq!(history["messages"].as_array().map(Vec::len), Some(1), "{history}");
    // Its sender and admins see it at once; the student does not.
    assert_eq!(held(&a, &teacher).await.len(), 1);
    assert_eq!(held(&b, &admin).await[0]["content"], "Домашнее задание на завтра");
    assert!(held(&a, &student).await.is_empty());

    // The replica that accepted it stops; another starts; it is still 22:30.
    drop(on_a);
    drop(a);
    let c = TestApp::spawn_on(b.database.clone(), quiet).await;
    c.state.clock.set(EVENING + time::Duration::minutes(30));
    let mut on_c = c.stream(&student, None).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(held(&c, &admin).await.len(), 1, "not delivered before 08:00");

    // 08:00 on both: delivered once to each replica's streams, then nothing more of it.
    b.state.clock.set(MORNING);
    c.state.clock.set(MORNING);
    for stream in [&mut on_b, &mut on_c] {
        let delivered = stream.event_within(Duration::from_secs(15)).await;
        assert_eq!(delivered.event, "new_message", "{}", delivered.data);
        assert_eq!(delivered.json()["message"]["content"], "Домашнее задание на завтра");
    }
    tokio::time::sleep(Duration::from_millis(500)).await; // both replicas' jobs have run again
    let (status, _) = post(&b, &student, chat, "Доброе утро").await;
    assert_eq!(status, 201);
    for stream in [&mut on_b, &mut on_c] {
        assert_eq!(stream.event().await.json()["message"]["content"], "Доброе утро", "no second delivery");
    }
    assert!(held(&c, &admin).await.is_empty());
    assert_eq!(c.unread(&student, chat).await, 1, "counted as it is delivered");
    let says: bool = b
        .sql
        .query_one(
            "SELECT payload ? 'held_since' FROM events WHERE type = 'message_created' AND actor_id = $1",
            &[&teacher.id],
        )
        .await
        .expect("the teacher's message")
        .get(0);
    assert!(says, "the log says it was held");
    audit_is_clean(&b).await;
}

#[tokio::test]
async fn outside_the_window_and_for_students_nothing_is_held_and_an_admin_may_deliver_early() {
    let a = TestApp::spawn_with(quiet).await;
    let (teacher, student, admin) =
        (a.user("teacher", "Иван").await, a.user("student", "Маша").await, a.user("admin", "Завуч").await);
    let chat = a.chat(&teacher, &student).await;
    a.state.clock.set(datetime!(2036-11-25 09:00 UTC)); // noon in Moscow
    assert_eq!(post(&a, &teacher, chat, "днём").await.0, 201);

    a.state.clock.set(EVENING);
    assert_eq!(post(&a, &student, chat, "вечером от ученицы").await.0, 201);
    let (status, body) = post(&a, &teacher, chat, "вечером от учителя").await;
    assert_eq!(status, 202, "{body}");
    let id = body["id"].as_i64().expect("held id");

    // A retry with the same key answers the same held message.
    let keyed = |content: &'static str| {
        a.http
            .post(a.url("/api/messages"))
            .bearer_auth(&teacher.token)
            .header("Idempotency-Key", "k-1")
            .json(&json!({ "chat_id": chat, "content": content }))
    };
    let (first, again) = (
        status_and_json(keyed("с ключом").send().await.expect("POST")).await,
        status_and_json(keyed("с ключом").send().await.expect("POST")).await,
    );
    assert_eq!((first.0, again.0, &first.1["id"]), (202, 202, &again.1["id"]), "{first:?} {again:?}");

    // An admin delivers one early; the teacher may not; twice is 404.
    let deliver =
        |by: &User| a.http.post(a.url(&format!("/api/admin/held-messages/{id}/deliver"))).bearer_auth(&by.token);
    assert_eq!(deliver(&teacher).send().await.expect("POST").status(), 403);
    let (status, delivered) = status_and_json(deliver(&admin).send().await.expect("POST")).await;
    assert_eq!(status, 200, "{delivered}");
    assert_eq!(deliver(&admin).send().await.expect("POST").status(), 404);
    let (_, history) =
        status_and_json(a.get(&format!("/api/chats/{chat}/messages"), &student).send().await.expect("GET")).await;
    let texts: Vec<&str> = history["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| m["content"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(texts, ["днём", "вечером от ученицы", "вечером от учителя"]);
    assert_eq!(held(&a, &teacher).await.len(), 1, "the keyed one still waits");
    audit_is_clean(&a).await;
}
