//! A scheduled message arrives at its time, once, on every replica's streams; not before;
//! edited, as edited; cancelled, never.

use std::time::Duration;

use serde_json::{Value, json};

use super::{NOON, cancel, messages_by, patch, rfc3339, schedule, scheduled, set_clocks};
use crate::governance::audit_is_clean;
use crate::helpers::{TestApp, status_and_json};

#[tokio::test]
async fn a_scheduled_message_arrives_once_on_both_replicas_at_its_time_and_not_before() {
    let a = TestApp::spawn().await;
    let b = a.replica().await;
    let (teacher, student) = (a.user("teacher", "Иван").await, a.user("student", "Маша").await);
    let chat = a.chat(&teacher, &student).await;
    set_clocks(&[&a, &b], NOON);
    let mut on_a = a.stream(&student, None).await;
    let mut on_b = b.stream(&student, None).await;
    let mut teachers = b.stream(&teacher, None).await;

    // Scheduled through one replica for 13:00, edited through the other, then moved to 14:00.
    let (status, body) =
        schedule(&a, &teacher, chat, "Не забудьте тетради", &rfc3339(NOON + time::Duration::hours(1))).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!((body["state"].as_str(), body["chat_id"].as_i64()), (Some("pending"), Some(chat)), "{body}");
    let id = body["id"].as_i64().expect("id");
    let (status, body) = patch(&b, &teacher, id, json!({ "content": "Не забудьте тетради и линейку" })).await;
    assert_eq!((status, body["content"].as_str()), (200, Some("Не забудьте тетради и линейку")), "{body}");
    let two = rfc3339(NOON + time::Duration::hours(2));
    let (status, body) = patch(&b, &teacher, id, json!({ "send_at": two })).await;
    assert_eq!((status, body["send_at"].as_str()), (200, Some("2036-11-25T11:00:00Z")), "{body}");
    assert_eq!(scheduled(&b, &teacher, Some(chat)).await.len(), 1, "its author sees it");

    // 13:30: the first time passed, the second has not: nothing is sent, nobody else sees it.
    set_clocks(&[&a, &b], NOON + time::Duration::minutes(90));
    tokio::time::sleep(Duration::from_millis(1200)).await; // both senders have looked
    assert_eq!(messages_by(&a, &teacher).await, 0, "not sent before its time");
    let (_, history) =
        status_and_json(a.get(&format!("/api/chats/{chat}/messages"), &student).send().await.expect("GET")).await;
    assert_eq!(history["messages"].as_array().map(Vec::len), Some(0), "{history}");
    a.send(&student, chat, "до").await;
    for stream in [&mut on_a, &mut on_b, &mut teachers] {
        assert_eq!(stream.event().await.json()["message"]["content"], "до", "nothing of it before");
    }

    // 14:00: it arrives on both replicas' streams, and on its author's, once.
    set_clocks(&[&a, &b], NOON + time::Duration::hours(2));
    // Its author's stream gets it as `message_sent`.
    for (stream, name) in [(&mut on_a, "new_message"), (&mut on_b, "new_message"), (&mut teachers, "message_sent")] {
        let sent = stream.event_within(Duration::from_secs(5)).await;
        assert_eq!(sent.event, name, "{}", sent.data);
        assert_eq!(sent.json()["message"]["content"], "Не забудьте тетради и линейку");
        assert_eq!(sent.json()["message"]["sender_id"], teacher.id);
    }
    tokio::time::sleep(Duration::from_millis(1200)).await; // both senders have looked again
    a.send(&student, chat, "после").await;
    for stream in [&mut on_a, &mut on_b, &mut teachers] {
        assert_eq!(stream.event().await.json()["message"]["content"], "после", "no second sending");
    }
    assert_eq!(messages_by(&a, &teacher).await, 1);
    assert_eq!(a.unread(&student, chat).await, 1, "an ordinary message, counted unread");

    // Sent: gone from the list, and too late to change.
    assert!(scheduled(&a, &teacher, None).await.is_empty());
    let (status, body) = patch(&a, &teacher, id, json!({ "content": "поздно" })).await;
    assert_eq!((status, body["code"].as_str()), (409, Some("already_sent")), "{body}");
    assert_eq!(cancel(&b, &teacher, id).await, 409);
    audit_is_clean(&a).await;
}

#[tokio::test]
async fn a_cancelled_message_never_arrives_and_others_see_nothing_of_it() {
    let a = TestApp::spawn().await;
    let b = a.replica().await;
    let (teacher, student, other) =
        (a.user("teacher", "Иван").await, a.user("student", "Маша").await, a.user("student", "Петя").await);
    let chat = a.chat(&teacher, &student).await;
    set_clocks(&[&a, &b], NOON);
    let mut on_b = b.stream(&student, None).await;
    let at = rfc3339(NOON + time::Duration::minutes(10));
    let (_, cancelled) = schedule(&a, &teacher, chat, "отменено", &at).await;
    let (_, kept) = schedule(&a, &teacher, chat, "оставлено", &at).await;
    let (cancelled, kept) = (cancelled["id"].as_i64().expect("id"), kept["id"].as_i64().expect("id"));

    // Nobody else sees, changes or cancels it: 403, in the words one that does not exist gets.
    let unnamed = |body: &Value, id: i64| body["error"].as_str().map(|e| e.replace(&id.to_string(), "N"));
    let (_, none) = patch(&b, &other, 987_654, json!({ "content": "чужое" })).await;
    for user in [&student, &other] {
        assert!(scheduled(&b, user, None).await.is_empty());
        let (status, refused) = patch(&b, user, kept, json!({ "content": "чужое" })).await;
        assert_eq!((status, refused["code"].as_str()), (403, Some("forbidden")), "{refused}");
        assert_eq!(unnamed(&refused, kept), unnamed(&none, 987_654), "{refused} / {none}");
        assert_eq!(cancel(&b, user, kept).await, 403);
    }
    assert_eq!(cancel(&b, &teacher, cancelled).await, 204);
    assert_eq!(cancel(&b, &teacher, cancelled).await, 403, "gone");
    let left = scheduled(&a, &teacher, Some(chat)).await;
    assert_eq!(left.iter().map(|m| m["content"].as_str()).collect::<Vec<_>>(), [Some("оставлено")]);

    set_clocks(&[&a, &b], NOON + time::Duration::minutes(11));
    let sent = on_b.event_within(Duration::from_secs(5)).await;
    assert_eq!(sent.json()["message"]["content"], "оставлено", "{}", sent.data);
    tokio::time::sleep(Duration::from_millis(1200)).await;
    a.send(&student, chat, "и всё").await;
    assert_eq!(on_b.event().await.json()["message"]["content"], "и всё", "the cancelled one never comes");
    assert_eq!(super::messages_by(&a, &teacher).await, 1);
    audit_is_clean(&a).await;
}

#[tokio::test]
async fn due_messages_are_released_within_their_authors_write_rate_and_each_arrives_once() {
    const BURST: u32 = 5;
    const PER_SEC: u32 = 10;
    const DUE: i64 = 60;
    let a = TestApp::spawn_with(|c| {
        c.rate.writes_burst = BURST;
        c.rate.writes_per_sec = PER_SEC;
    })
    .await;
    let (teacher, student) = (a.user("teacher", "Иван").await, a.user("student", "Маша").await);
    let chat = a.chat(&teacher, &student).await;
    set_clocks(&[&a], NOON);
    // Written into the table directly: scheduling them through the API at this rate would take
    // seconds of its own, and what is tested is their release, all due at one instant.
    let at = NOON + time::Duration::minutes(5);
    a.sql
        .execute(
            "INSERT INTO scheduled_messages (chat_id, author_id, content, send_at)
             SELECT $1, $2, 'в срок ' || n, $3 FROM generate_series(1, $4::int) n",
            &[&chat, &student.id, &at, &(DUE as i32)],
        )
        .await
        .expect("schedule");

    // Her bucket holds at most BURST writes when they come due, and fills at PER_SEC: however
    // fast or slow this machine is, no more than that can have been appended when sampled, and
    // the last cannot have been appended before (DUE - BURST) / PER_SEC had passed.
    let due = tokio::time::Instant::now();
    let due_in_db: time::OffsetDateTime =
        a.sql.query_one("SELECT clock_timestamp()", &[]).await.expect("the database's clock").get(0);
    set_clocks(&[&a], at);
    let deadline = due + Duration::from_secs(30);
    let sent = loop {
        let sent = messages_by(&a, &student).await;
        if sent > 0 {
            break sent;
        }
        assert!(tokio::time::Instant::now() < deadline, "nothing was sent within 30 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let allowed = i64::from(BURST) + (f64::from(PER_SEC) * due.elapsed().as_secs_f64()).ceil() as i64;
    assert!(sent <= allowed, "{sent} appended at once; her write rate allows at most {allowed} by now");

    // All of them arrive, each once, in order.
    while messages_by(&a, &student).await < DUE {
        assert!(tokio::time::Instant::now() < deadline, "not all sent within 30 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let texts: Vec<String> = a
        .sql
        .query(
            "SELECT payload ->> 'content' FROM events WHERE type = 'message_created' AND actor_id = $1 ORDER BY position",
            &[&student.id],
        )
        .await
        .expect("messages")
        .iter()
        .map(|r| r.get(0))
        .collect();
    let expected: Vec<String> = (1..=DUE).map(|n| format!("в срок {n}")).collect();
    assert_eq!(texts, expected, "each once, in the order they were due");
    // The spread, as the log's own times count it (an event's time is its transaction's start,
    // a moment before its write is charged: a tenth of a second of slack covers that).
    let last: time::OffsetDateTime = a
        .sql
        .query_one(
            "SELECT max(created_at) FROM events WHERE type = 'message_created' AND actor_id = $1",
            &[&student.id],
        )
        .await
        .expect("the last one's time")
        .get(0);
    let least = (DUE - i64::from(BURST)) as f64 / f64::from(PER_SEC) - 0.1;
    let spread = (last - due_in_db).as_seconds_f64();
    assert!(spread >= least, "all {DUE} appended within {spread:.2} s; her write rate needs at least {least:.2} s");
    audit_is_clean(&a).await;
}
