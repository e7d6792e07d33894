//! Quiet hours and scheduled send compose: a teacher's message scheduled for 22:00 to a
//! student is held by quiet hours at 22:00, as a live send would be, and delivered once at
//! 08:00 on every replica.

use std::time::Duration;

use time::macros::datetime;
use tutorchat::config::QuietHours;

use super::{rfc3339, schedule, scheduled, set_clocks};
use crate::governance::audit_is_clean;
use crate::helpers::{TestApp, status_and_json};

fn quiet(config: &mut tutorchat::Config) {
    config.safeguarding.quiet_hours = QuietHours::parse("21:00-08:00");
    config.safeguarding.school_timezone = "Europe/Moscow".into();
    config.safeguarding.release_every = Duration::from_millis(100);
}

#[tokio::test]
async fn a_message_scheduled_for_22_to_a_student_is_held_then_delivered_once_at_8() {
    let a = TestApp::spawn_with(quiet).await;
    let b = TestApp::spawn_on(a.database.clone(), quiet).await;
    let (teacher, student) = (a.user("teacher", "Иван").await, a.user("student", "Маша").await);
    let chat = a.chat(&teacher, &student).await;
    // 20:00 in Moscow: scheduled for 22:00, inside quiet hours.
    set_clocks(&[&a, &b], datetime!(2036-11-25 17:00 UTC));
    let (status, body) =
        schedule(&a, &teacher, chat, "Вопросы к контрольной", &rfc3339(datetime!(2036-11-25 19:00 UTC))).await;
    assert_eq!(status, 202, "{body}");
    assert!(body["send_at"].is_string() && body["deliver_at"].is_null(), "scheduled, not held yet: {body}");
    let mut on_a = a.stream(&student, None).await;
    let mut on_b = b.stream(&student, None).await;

    // 22:00: quiet hours take it, as they take a live send then.
    set_clocks(&[&a, &b], datetime!(2036-11-25 19:00:01 UTC));
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let held = loop {
        let (_, body) = status_and_json(a.get("/api/held-messages", &teacher).send().await.expect("GET")).await;
        if let Some(held) = body["messages"].as_array().and_then(|m| m.first()).cloned() {
            break held;
        }
        assert!(std::time::Instant::now() < deadline, "never held: {body}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(held["content"], "Вопросы к контрольной");
    assert_eq!(held["deliver_at"], "2036-11-26T05:00:00Z");
    assert!(scheduled(&b, &teacher, None).await.is_empty(), "no longer scheduled: held");
    assert_eq!(super::messages_by(&a, &teacher).await, 0, "not in the log yet");

    // 08:00: delivered once, on both replicas.
    set_clocks(&[&a, &b], datetime!(2036-11-26 05:00:01 UTC));
    for stream in [&mut on_a, &mut on_b] {
        let delivered = stream.event_within(Duration::from_secs(10)).await;
        assert_eq!(delivered.json()["message"]["content"], "Вопросы к контрольной", "{}", delivered.data);
    }
    tokio::time::sleep(Duration::from_millis(1200)).await;
    a.send(&student, chat, "Доброе утро").await;
    for stream in [&mut on_a, &mut on_b] {
        assert_eq!(stream.event().await.json()["message"]["content"], "Доброе утро", "no second delivery");
    }
    assert_eq!(super::messages_by(&a, &teacher).await, 1);
    audit_is_clean(&a).await;
}
