//! Typing signals: to the partner only, never replayed, throttled, paced into few notifications.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::{events_until, named, world};
use crate::helpers::{TestApp, User, status_and_json};

async fn typing(app: &TestApp, user: &User, chat: i64, is_typing: bool) -> reqwest::Response {
    app.http
        .post(app.url(&format!("/api/chats/{chat}/typing")))
        .bearer_auth(&user.token)
        .json(&json!({ "is_typing": is_typing }))
        .send()
        .await
        .expect("POST typing")
}

#[tokio::test]
async fn typing_reaches_the_partner_on_the_other_replica_and_nobody_else() {
    let w = world().await;
    let mut teacher = w.b.stream(&w.teacher, None).await;
    let mut own_tab = w.b.stream(&w.student, None).await;
    let mut admin = w.a.stream(&w.admin, None).await;
    let mut outsider = w.b.stream(&w.outsider, None).await;
    // Their streams' own presence announcements come first; start from a quiet point.
    let quiet = w.a.send(&w.teacher, w.chat, "quiet").await;
    for stream in [&mut teacher, &mut own_tab, &mut admin] {
        events_until(stream, quiet).await;
    }

    assert_eq!(typing(&w.a, &w.student, w.chat, true).await.status(), 204);
    let event = teacher.event().await;
    assert_eq!(event.event, "typing");
    assert_eq!(event.id, None, "a signal has no id: it must not move Last-Event-ID");
    assert_eq!(event.json(), json!({ "chat_id": w.chat, "user_id": w.student.id, "is_typing": true }));
    assert_eq!(typing(&w.a, &w.student, w.chat, false).await.status(), 204);
    let event = teacher.event().await;
    assert_eq!(event.json(), json!({ "chat_id": w.chat, "user_id": w.student.id, "is_typing": false }));

    // The sender's own tab and the admin got neither; the outsider nothing at all.
    let control = w.a.send(&w.teacher, w.chat, "control").await;
    for (who, stream) in [("the student's own tab", &mut own_tab), ("the admin", &mut admin)] {
        let seen = events_until(stream, control).await;
        assert!(named(&seen, "typing").is_empty(), "{who} saw typing: {seen:?}");
    }
    let other = w.b.send(&w.other_teacher, w.other_chat, "for the outsider").await;
    let seen = events_until(&mut outsider, other).await;
    assert!(named(&seen, "typing").is_empty() && named(&seen, "new_message").len() == 1, "{seen:?}");
    assert_eq!(
        w.a.sql
            .query_one("SELECT count(*) FROM events WHERE chat_id = $1", &[&w.chat])
            .await
            .expect("count")
            .get::<_, i64>(0),
        3,
        "typing wrote nothing to the log (chat_created and two messages)"
    );
}

/// A replica sends typing paced (one notification per `PACE` while busy, several signals in
/// each), not one notification per request: a burst of forwarded signals takes a few
/// notifications, and every signal still reaches the partner, in order.
#[tokio::test]
async fn a_burst_of_typing_leaves_in_few_notifications_and_arrives_in_order() {
    use futures::StreamExt;
    let w = world().await;
    let mut teacher = w.b.stream(&w.teacher, None).await;
    let (listener, mut connection) = w.a.database.connect(tokio_postgres::NoTls).await.expect("connect");
    let (notified, mut notifications) = tokio::sync::mpsc::unbounded_channel::<String>();
    tokio::spawn(async move {
        let mut messages = futures::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(Ok(message)) = messages.next().await {
            if let tokio_postgres::AsyncMessage::Notification(n) = message {
                let _ = notified.send(n.payload().to_owned());
            }
        }
    });
    listener.batch_execute("LISTEN tutorchat_signals").await.expect("LISTEN");

    // A true and a false from each of twenty people, in twenty chats with the teacher: the
    // throttle forwards every one of them (one of each per person, chat and period).
    const BURST: usize = 40;
    let mut pairs = Vec::new();
    for i in 0..BURST / 2 {
        let student = w.a.user("student", &format!("S{i}")).await;
        let chat = w.a.chat(&w.teacher, &student).await;
        pairs.push((student, chat));
    }
    // Typing is only for those replica B knows share the chats: once its listener has read them.
    w.b.settled().await;
    let started = Instant::now();
    for i in 0..BURST {
        let (student, chat) = &pairs[i / 2];
        assert_eq!(typing(&w.a, student, *chat, i % 2 == 0).await.status(), 204);
    }
    let elapsed = started.elapsed();
    let mut received = Vec::new();
    while received.len() < BURST {
        let event = teacher.any_event().await;
        if event.event == "typing" {
            received.push((event.json()["user_id"].as_i64(), event.json()["is_typing"].as_bool()));
        }
    }
    let sent: Vec<_> = (0..BURST).map(|i| (Some(pairs[i / 2].0.id), Some(i % 2 == 0))).collect();
    assert_eq!(received, sent, "every signal, in order");

    let (mut carrying, mut signals) = (0, 0);
    while signals < BURST {
        let payload = tokio::time::timeout(Duration::from_secs(5), notifications.recv())
            .await
            .expect("a notification within 5 s")
            .expect("listening");
        let value: Value = serde_json::from_str(&payload).expect("JSON payload");
        let typing = match value {
            Value::Array(many) => many.iter().filter(|s| s.get("typing").is_some()).count(),
            one => usize::from(one.get("typing").is_some()),
        };
        carrying += usize::from(typing > 0);
        signals += typing;
    }
    // At most one notification per PACE (and two more, at the ends). When the requests came
    // faster than that, some must have shared one; on a machine so loaded that each request took
    // longer than PACE, one each is what pacing allows.
    let pace = tutorchat::realtime::signals::PACE;
    let allowed = (elapsed.as_millis() / pace.as_millis()) as usize + 2;
    let burst = elapsed < pace * BURST as u32;
    assert!(
        carrying <= allowed && (carrying < BURST || !burst),
        "{BURST} signals in {carrying} notifications over {elapsed:?}"
    );
}

#[tokio::test]
async fn typing_is_not_replayed_on_resume_and_does_not_move_the_resume_point() {
    let w = world().await;
    let mut teacher = w.b.stream(&w.teacher, None).await;
    let first = w.a.send(&w.student, w.chat, "first").await;
    let seen = events_until(&mut teacher, first).await;
    let resume_from = seen.last().expect("the message").position();
    assert_eq!(typing(&w.a, &w.student, w.chat, true).await.status(), 204);
    assert_eq!(teacher.event().await.event, "typing");
    drop(teacher);

    let second = w.a.send(&w.student, w.chat, "second").await;
    let mut resumed = w.a.stream(&w.teacher, Some(&resume_from.to_string())).await;
    let replayed = resumed.event().await;
    assert_eq!((replayed.event.as_str(), replayed.json()["message"]["id"].as_i64()), ("new_message", Some(second)));
}

#[tokio::test]
async fn typing_requests_get_clear_answers_and_only_participants_may_type() {
    let w = world().await;
    for (user, chat, expected) in
        [(&w.admin, w.chat, 403), (&w.outsider, w.chat, 403), (&w.student, 987_654, 403), (&w.student, w.chat, 204)]
    {
        let response = typing(&w.a, user, chat, true).await;
        assert_eq!(response.status().as_u16(), expected, "user {} in chat {chat}", user.id);
        if expected != 204 {
            status_and_json(response).await;
        }
    }
    let url = w.a.url(&format!("/api/chats/{}/typing", w.chat));
    for body in [json!({}), json!({ "is_typing": "yes" }), json!("true"), json!(null)] {
        let response = w.a.http.post(&url).bearer_auth(&w.student.token).json(&body).send().await.expect("POST");
        assert_eq!(status_and_json(response).await.0, 400, "{body}");
    }
    let response = w.a.http.post(&url).json(&json!({ "is_typing": true })).send().await.expect("POST");
    assert_eq!(status_and_json(response).await.0, 401);
}

/// A thousand requests in a burst forward no more than the throttle allows (one `true` per
/// 2 s); a message ends typing, so the next `true` goes out at once.
#[tokio::test]
async fn a_flood_of_typing_forwards_at_most_the_throttles_worth() {
    let w = world().await;
    let mut teacher = w.b.stream(&w.teacher, None).await;
    let quiet = w.a.send(&w.teacher, w.chat, "quiet").await;
    events_until(&mut teacher, quiet).await;

    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let (http, url, token) =
            (w.a.http.clone(), w.a.url(&format!("/api/chats/{}/typing", w.chat)), w.student.token.clone());
        tasks.push(tokio::spawn(async move {
            for _ in 0..100 {
                let response =
                    http.post(&url).bearer_auth(&token).json(&json!({ "is_typing": true })).send().await.expect("POST");
                assert_eq!(response.status(), 204);
            }
        }));
    }
    for task in tasks {
        task.await.expect("flood");
    }
    let elapsed = started.elapsed();
    let control = w.a.send(&w.teacher, w.chat, "control").await;
    let seen = events_until(&mut teacher, control).await;
    let forwarded = named(&seen, "typing").len();
    let allowed = (elapsed.as_secs_f64() / 2.0).floor() as usize + 1;
    assert!(forwarded >= 1 && forwarded <= allowed, "{forwarded} forwarded in {elapsed:?} (at most {allowed})");

    // A message ends typing: the next `true` is forwarded at once, not after the throttle.
    // (Signals leave a replica up to `PACE` after the request, paced, so each is awaited before
    // the next step.)
    tokio::time::sleep(Duration::from_millis(2100)).await; // past the flood's last forwarded true
    events_until(&mut teacher, w.a.send(&w.teacher, w.chat, "quiet again").await).await;
    assert_eq!(typing(&w.a, &w.student, w.chat, true).await.status(), 204);
    assert_eq!(teacher.event().await.json()["is_typing"], true);
    assert_eq!(typing(&w.a, &w.student, w.chat, true).await.status(), 204); // throttled: dropped
    let sent = w.a.send(&w.student, w.chat, "sent").await;
    assert_eq!(teacher.event().await.json()["message"]["id"], json!(sent));
    assert_eq!(typing(&w.a, &w.student, w.chat, true).await.status(), 204); // forwarded again
    let again = teacher.event().await;
    assert_eq!((again.event.as_str(), again.json()["is_typing"].as_bool()), ("typing", Some(true)));
    let seen = events_until(&mut teacher, w.a.send(&w.teacher, w.chat, "control 2").await).await;
    assert!(named(&seen, "typing").is_empty(), "the throttled true was never sent: {seen:?}");
}

/// Alternating true and false does not get around the throttle: every forwarded signal takes a
/// token of a small bucket (`TYPING_BURST`, refilled at `TYPING_PER_SEC`), so 400 such requests
/// forward no more than the bucket allows, counted at the partner.
#[tokio::test]
async fn alternating_true_and_false_forwards_no_more_than_the_bucket_allows() {
    use tutorchat::realtime::signals::{TYPING_BURST, TYPING_PER_SEC};
    let w = world().await;
    let mut teacher = w.b.stream(&w.teacher, None).await;
    events_until(&mut teacher, w.a.send(&w.teacher, w.chat, "quiet").await).await;

    let started = Instant::now();
    for i in 0..400 {
        assert_eq!(typing(&w.a, &w.student, w.chat, i % 2 == 0).await.status(), 204);
    }
    let allowed = (TYPING_BURST + TYPING_PER_SEC * started.elapsed().as_secs_f64()).floor() as usize;
    let seen = events_until(&mut teacher, w.a.send(&w.teacher, w.chat, "control").await).await;
    let forwarded = named(&seen, "typing").len();
    assert!(
        (2..=allowed).contains(&forwarded),
        "400 alternating requests forwarded {forwarded} signals (the bucket allows {allowed})"
    );
}

/// Typing counts as a write: past the write rate, requests are answered 429 and forward
/// nothing, for users and guests alike.
#[tokio::test]
async fn typing_is_under_the_write_rate_limit() {
    let app = TestApp::spawn_with(|config| {
        config.rate.writes_per_sec = 1;
        config.rate.writes_burst = 5;
    })
    .await;
    let (teacher, student) = (app.user("teacher", "T").await, app.user("student", "S").await);
    let chat = app.chat(&teacher, &student).await;
    let mut statuses = Vec::new();
    for i in 0..20 {
        statuses.push(typing(&app, &student, chat, i % 2 == 0).await.status().as_u16());
    }
    let limited = statuses.iter().filter(|s| **s == 429).count();
    assert!(limited >= 10, "20 typing requests against a burst of 5: {statuses:?}");
    let response = typing(&app, &student, chat, true).await;
    assert!(response.headers().contains_key("retry-after"));
    let (status, body) = status_and_json(response).await;
    assert_eq!(status, 429);
    assert!(body["error"].as_str().is_some_and(|e| e.contains("RATE_WRITES_PER_SEC")), "{body}");
}

/// A replica sends the typing signals waiting together in one notification; a listener routes
/// each, and an unreadable payload is dropped without disturbing the stream.
#[tokio::test]
async fn a_notification_may_carry_several_signals_and_garbage_is_dropped() {
    let w = world().await;
    let mut teacher = w.b.stream(&w.teacher, None).await;
    let signal =
        |is_typing: bool| json!({ "typing": { "chat_id": w.chat, "user_id": w.student.id, "is_typing": is_typing } });
    for payload in
        ["not json".to_owned(), json!({ "typing": 1 }).to_string(), json!([signal(true), signal(false)]).to_string()]
    {
        w.a.sql.execute("SELECT pg_notify('tutorchat_signals', $1)", &[&payload]).await.expect("NOTIFY");
    }
    let events = [teacher.event().await, teacher.event().await];
    let shown: Vec<(String, Value)> = events.iter().map(|e| (e.event.clone(), e.json()["is_typing"].clone())).collect();
    assert_eq!(shown, [("typing".to_owned(), json!(true)), ("typing".to_owned(), json!(false))]);
    let control = w.a.send(&w.teacher, w.chat, "control").await;
    let seen = events_until(&mut teacher, control).await;
    assert!(named(&seen, "typing").is_empty(), "{seen:?}");
    assert!(w.b.state.hub.is_listening());
}
