//! Who may schedule, what a valid time and text are, what becomes of a message whose author
//! may no longer write it at its time, and erasure.

use std::time::Duration;

use serde_json::json;

use super::{NOON, patch, rfc3339, schedule, schedule_body, scheduled, set_clocks};
use crate::governance::{audit_is_clean, erase};
use crate::helpers::{TestApp, status_and_json};

#[tokio::test]
async fn times_texts_and_callers_that_do_not_fit_are_refused_with_their_codes() {
    let app = TestApp::spawn().await;
    let (teacher, student, admin) =
        (app.user("teacher", "Иван").await, app.user("student", "Маша").await, app.user("admin", "Завуч").await);
    let chat = app.chat(&teacher, &student).await;
    set_clocks(&[&app], NOON);
    let hour = rfc3339(NOON + time::Duration::hours(1));

    let refused = [
        (rfc3339(NOON - time::Duration::seconds(1)), "ok", 422, "send_at_past"),
        (rfc3339(NOON), "ok", 422, "send_at_past"),
        (rfc3339(NOON + time::Duration::days(366)), "ok", 422, "send_at_too_far"),
        ("tomorrow".to_owned(), "ok", 422, "unprocessable"),
        (hour.clone(), "   ", 400, "content_blank"),
    ];
    for (send_at, content, status, code) in refused {
        let (got, body) = schedule(&app, &student, chat, content, &send_at).await;
        assert_eq!((got, body["code"].as_str()), (status, Some(code)), "{send_at} {content:?}: {body}");
    }
    let (status, body) = schedule(&app, &student, chat, "через год", &rfc3339(NOON + time::Duration::days(365))).await;
    assert_eq!(status, 202, "a year ahead is the furthest: {body}");
    let id = body["id"].as_i64().expect("id");
    let (status, body) = schedule_body(
        &app,
        &student,
        json!({ "chat_id": chat, "content": "с файлом", "send_at": hour, "attachment_ids": [1] }),
    )
    .await;
    assert_eq!((status, body["code"].as_str()), (422, Some("unprocessable")), "text only: {body}");

    // The same rules when it changes.
    let (status, body) =
        patch(&app, &student, id, json!({ "send_at": rfc3339(NOON - time::Duration::hours(1)) })).await;
    assert_eq!((status, body["code"].as_str()), (422, Some("send_at_past")), "{body}");
    let (status, body) = patch(&app, &student, id, json!({ "content": "" })).await;
    assert_eq!((status, body["code"].as_str()), (422, Some("unprocessable")), "empty, as an edit: {body}");
    let (status, body) = patch(&app, &student, id, json!({ "content": " \n " })).await;
    assert_eq!((status, body["code"].as_str()), (400, Some("content_blank")), "{body}");
    // Nothing to change (what a retry of a failed one as it is sends): answered as it is.
    let (status, same) = patch(&app, &student, id, json!({})).await;
    assert_eq!((status, same["id"].as_i64(), same["state"].as_str()), (200, Some(id), Some("pending")), "{same}");

    // Admins never write; a chat not theirs is refused as when sending now.
    let (status, body) = schedule(&app, &admin, chat, "от завуча", &hour).await;
    assert_eq!((status, body["code"].as_str()), (403, Some("admin_read_only")), "{body}");
    let (status, body) = status_and_json(app.get("/api/scheduled-messages", &admin).send().await.expect("GET")).await;
    assert_eq!((status, body["code"].as_str()), (403, Some("admin_read_only")), "{body}");
    let outsider = app.user("student", "Петя").await;
    assert_eq!(schedule(&app, &outsider, chat, "чужой чат", &hour).await.0, 403);

    // A guest sends now, never later.
    let (_, _, guest, inquiry) = crate::inquiries::inquiry(&app).await;
    let (status, body) = schedule(&app, &guest, inquiry, "потом", &hour).await;
    assert_eq!((status, body["code"].as_str()), (403, Some("guest_confined")), "{body}");
    let (status, _) = status_and_json(app.get("/api/scheduled-messages", &guest).send().await.expect("GET")).await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn a_message_its_author_may_no_longer_write_fails_visibly_and_can_be_scheduled_again() {
    let a = TestApp::spawn().await;
    let b = a.replica().await;
    let (teacher, student, admin) =
        (a.user("teacher", "Иван").await, a.user("student", "Маша").await, a.user("admin", "Завуч").await);
    let chat = a.chat(&teacher, &student).await;
    set_clocks(&[&a, &b], NOON);
    let (_, body) = schedule(&a, &student, chat, "завтра не приду", &rfc3339(NOON + time::Duration::minutes(5))).await;
    let id = body["id"].as_i64().expect("id");

    let admin_post = |path: String, body: serde_json::Value| {
        let request = a.http.post(a.url(&path)).bearer_auth(&admin.token).json(&body);
        async move { request.send().await.expect("POST").status().as_u16() }
    };
    let until = rfc3339(time::OffsetDateTime::now_utc() + time::Duration::days(7));
    let suspend = format!("/api/admin/users/{}/suspend", student.id);
    assert_eq!(admin_post(suspend, json!({ "reason": "spam", "until": until })).await, 204);
    set_clocks(&[&a, &b], NOON + time::Duration::minutes(6));
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let failed = loop {
        let list = scheduled(&b, &student, None).await;
        if list[0]["state"] == "failed" {
            break list[0].clone();
        }
        assert!(std::time::Instant::now() < deadline, "not marked failed: {list:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(failed["failure"]["code"], "account_suspended", "{failed}");
    assert_eq!(super::messages_by(&a, &student).await, 0, "not sent");

    // Unsuspended, the student schedules it again by editing it: it is sent.
    assert_eq!(admin_post(format!("/api/admin/users/{}/unsuspend", student.id), json!({})).await, 204);
    let mut on_a = a.stream(&teacher, None).await;
    let again = json!({ "send_at": rfc3339(NOON + time::Duration::minutes(7)) });
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let body = loop {
        // Each replica learns of the lifted suspension from the log, within moments.
        let (status, body) = patch(&b, &student, id, again.clone()).await;
        if status != 403 {
            assert_eq!(status, 200, "{body}");
            break body;
        }
        assert!(std::time::Instant::now() < deadline, "still refused: {body}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(body["state"], "pending", "{body}");
    set_clocks(&[&a, &b], NOON + time::Duration::minutes(8));
    let sent = on_a.event_within(Duration::from_secs(5)).await;
    assert_eq!(sent.json()["message"]["content"], "завтра не приду", "{}", sent.data);
    audit_is_clean(&a).await;
}

#[tokio::test]
async fn erasing_a_person_deletes_the_messages_they_scheduled() {
    let app = TestApp::spawn().await;
    let (teacher, student, admin) =
        (app.user("teacher", "Иван").await, app.user("student", "Маша").await, app.user("admin", "Завуч").await);
    let chat = app.chat(&teacher, &student).await;
    set_clocks(&[&app], NOON);
    for (who, text) in [(&student, "секрет ученицы"), (&teacher, "слово учителя")] {
        let (status, body) = schedule(&app, who, chat, text, &rfc3339(NOON + time::Duration::days(2))).await;
        assert_eq!(status, 202, "{body}");
    }
    erase(&app, &admin, &student).await;
    let left: Vec<String> = app
        .sql
        .query("SELECT content FROM scheduled_messages ORDER BY id", &[])
        .await
        .expect("rows")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(left, ["слово учителя"], "the erased person's words are gone; others' stay");
    assert_eq!(scheduled(&app, &teacher, None).await.len(), 1);
    audit_is_clean(&app).await;
}

#[tokio::test]
async fn a_person_has_at_most_scheduled_per_person_messages_waiting_and_a_cancelled_one_frees_its_place() {
    let cap = tutorchat::config::RateConfig::default().scheduled_per_person;
    assert_eq!(cap, 100, "SCHEDULED_PER_PERSON's default");
    let a = TestApp::spawn_with(|c| c.rate.scheduled_per_person = cap).await;
    let (teacher, student) = (a.user("teacher", "Иван").await, a.user("student", "Маша").await);
    let chat = a.chat(&teacher, &student).await;
    set_clocks(&[&a], NOON);
    let later = rfc3339(NOON + time::Duration::hours(1));
    let mut first = None;
    for n in 0..cap {
        let (status, body) = schedule(&a, &student, chat, &format!("напоминание {n}"), &later).await;
        assert_eq!(status, 202, "{body}");
        first = first.or(body["id"].as_i64());
    }
    let (status, body) = schedule(&a, &student, chat, "ещё одно", &later).await;
    assert_eq!((status, body["code"].as_str()), (409, Some("too_many_scheduled")), "{body}");
    assert!(body["error"].as_str().unwrap_or_default().contains("SCHEDULED_PER_PERSON"), "{body}");
    assert_eq!(scheduled(&a, &student, None).await.len(), cap as usize, "the refused one is not kept");

    // Someone else is not counted with her; a cancelled one frees a place.
    assert_eq!(schedule(&a, &teacher, chat, "учителю можно", &later).await.0, 202);
    assert_eq!(super::cancel(&a, &student, first.expect("an id")).await, 204);
    assert_eq!(schedule(&a, &student, chat, "ещё одно", &later).await.0, 202);
    assert_eq!(schedule(&a, &student, chat, "и ещё", &later).await.0, 409);
}
