//! Real-time delivery across replicas: LISTEN/NOTIFY → hub → SSE, with lossless resume.
//! Every test runs two or three server instances on one database.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::{Event, Item, Stream, TestApp, User, kill_listeners, now, open_stream, sign, status_and_json};

struct World {
    a: TestApp,
    b: TestApp,
    teacher: User,
    student: User,
    admin: User,
    /// A participant of another chat only.
    outsider: User,
    other_teacher: User,
    chat: i64,
    other_chat: i64,
}

async fn world() -> World {
    let a = TestApp::spawn().await;
    let b = a.replica().await;
    let (teacher, student, admin) =
        (a.user("teacher", "Teacher").await, a.user("student", "Student").await, a.user("admin", "Admin").await);
    let (outsider, other_teacher) = (a.user("student", "Outsider").await, a.user("teacher", "Other teacher").await);
    let chat = a.chat(&teacher, &student).await;
    let other_chat = a.chat(&other_teacher, &outsider).await;
    World { a, b, teacher, student, admin, outsider, other_teacher, chat, other_chat }
}

/// The outsider's stream must not have received `forbidden`: a message in the outsider's own
/// chat is sent, and it must be the next thing the stream shows.
async fn assert_nothing_before_control(w: &World, stream: &mut Stream) {
    let control = w.b.send(&w.other_teacher, w.other_chat, "control").await;
    let event = stream.event().await;
    assert_eq!(
        event.json()["message"]["id"].as_i64(),
        Some(control),
        "the outsider saw something else first: {event:?}"
    );
}

#[tokio::test]
async fn a_message_posted_on_one_replica_reaches_every_entitled_stream_on_both() {
    let w = world().await;
    let mut streams = vec![
        ("teacher on B", w.b.stream(&w.teacher, None).await),
        ("student on B", w.b.stream(&w.student, None).await),
        ("student's other tab on A", w.a.stream(&w.student, None).await),
        ("admin on A", w.a.stream(&w.admin, None).await),
        ("admin on B", w.b.stream(&w.admin, None).await),
    ];
    let mut outsider = w.b.stream(&w.outsider, None).await;

    let posted = Instant::now();
    let sent = w.a.send(&w.student, w.chat, "hello across replicas").await;
    let mut positions = HashSet::new();
    for (who, stream) in &mut streams {
        let event = stream.event_within(Duration::from_secs(1)).await;
        assert_eq!(event.event, "new_message", "{who}");
        let data = event.json();
        assert_eq!(data["chat_id"].as_i64(), Some(w.chat), "{who}");
        assert_eq!(data["message"]["id"].as_i64(), Some(sent), "{who}");
        assert_eq!(data["message"]["sender_id"].as_i64(), Some(w.student.id), "{who}");
        assert_eq!(data["message"]["content"], "hello across replicas", "{who}");
        assert!(data["message"]["created_at"].as_str().is_some_and(|t| t.ends_with('Z')), "{who}");
        positions.insert(event.position());
    }
    eprintln!("cross-replica delivery to 5 streams took {:?}", posted.elapsed());
    assert_eq!(positions.len(), 1, "the same id on every replica");
    assert_nothing_before_control(&w, &mut outsider).await;
}

#[tokio::test]
async fn deletions_and_new_chats_fan_out_the_same_way() {
    let w = world().await;
    let newcomer = w.a.user("student", "Newcomer").await;
    let mut teacher = w.b.stream(&w.teacher, None).await;
    let mut student = w.a.stream(&w.student, None).await;
    let mut admin = w.b.stream(&w.admin, None).await;
    let mut newcomer_stream = w.b.stream(&newcomer, None).await;
    let mut outsider = w.a.stream(&w.outsider, None).await;

    let id = w.a.send(&w.student, w.chat, "to be deleted").await;
    for stream in [&mut teacher, &mut student, &mut admin] {
        assert_eq!(stream.event().await.event, "new_message");
    }
    assert_eq!(w.b.delete_message(&w.student, id).await.status(), 200);
    for stream in [&mut teacher, &mut student, &mut admin] {
        let event = stream.event().await;
        assert_eq!(
            (event.event.as_str(), event.json()),
            ("message_deleted", json!({ "chat_id": w.chat, "message_id": id }))
        );
    }

    let lesson: i64 = w
        .a
        .sql
        .query_one(
            "INSERT INTO lessons (teacher_id, student_id, scheduled_at, status) VALUES ($1, $2, now(), 'scheduled') RETURNING id",
            &[&w.teacher.id, &newcomer.id],
        )
        .await
        .expect("lesson")
        .get(0);
    let done = w.a.http.post(w.a.url(&format!("/api/lessons/{lesson}/complete"))).bearer_auth(&w.teacher.token).send();
    let (status, body) = status_and_json(done.await.expect("complete")).await;
    assert_eq!(status, 200, "{body}");
    let new_chat = body["chat_id"].as_i64().expect("chat id");

    let seen_by_newcomer = newcomer_stream.event().await;
    assert_eq!(seen_by_newcomer.event, "chat_created");
    // The primary specification's fields, unchanged, and what groups added to every chat.
    let mut seen = seen_by_newcomer.json();
    let chat = seen["chat"].as_object_mut().expect("chat");
    for (field, value) in [
        ("kind", json!("direct")),
        ("title", json!(null)),
        ("context", json!(null)),
        ("created_by", json!(null)),
        ("participants_count", json!(2)),
        ("closed_at", json!(null)),
    ] {
        assert_eq!(chat.remove(field), Some(value), "{field}");
    }
    assert!(chat.remove("updated_at").is_some_and(|t| t.is_string()));
    assert_eq!(
        seen,
        json!({ "chat": { "id": new_chat, "participant": { "id": w.teacher.id, "name": "Teacher", "role": "teacher",
                                                            "online": true, "last_seen": null },
                          "last_message": null, "unread_count": 0, "last_read_message_id": 0 } })
    );
    let seen_by_teacher = teacher.event().await.json();
    assert_eq!(seen_by_teacher["chat"]["participant"]["id"].as_i64(), Some(newcomer.id));
    let seen_by_admin = admin.event().await;
    assert_eq!(seen_by_admin.event, "chat_created");
    assert_eq!(seen_by_admin.json()["chat"]["participants"].as_array().map(Vec::len), Some(2));

    // The new chat is routed from now on, on both replicas, without a restart.
    w.b.send(&newcomer, new_chat, "hi teacher").await;
    assert_eq!(teacher.event().await.json()["message"]["content"], "hi teacher");
    assert_eq!(newcomer_stream.event().await.json()["message"]["content"], "hi teacher");
    let control = w.a.send(&w.teacher, w.chat, "control for the student").await;
    let next = student.event().await.json();
    assert_eq!(next["message"]["id"].as_i64(), Some(control), "the student saw nothing of the new chat: {next}");
    assert_nothing_before_control(&w, &mut outsider).await;
}

#[tokio::test]
async fn resuming_on_the_other_replica_replays_exactly_what_was_missed_then_goes_live() {
    let w = world().await;
    let mut first = w.a.stream(&w.student, None).await;
    w.a.send(&w.teacher, w.chat, "before").await;
    let last = first.event().await;
    drop(first);

    let mut missed = Vec::new();
    for i in 0..20 {
        missed.push(w.b.send(&w.teacher, w.chat, &format!("missed {i}")).await);
        w.a.send(&w.other_teacher, w.other_chat, "not yours").await;
    }
    let mut resumed = w.b.stream(&w.student, last.id.as_deref()).await;
    let replayed = resumed.events(20).await;
    let ids: Vec<i64> = replayed.iter().map(|e| e.json()["message"]["id"].as_i64().expect("id")).collect();
    assert_eq!(ids, missed, "exactly the 20 missed messages, in order, nothing from other chats");
    let positions: Vec<i64> = replayed.iter().map(Event::position).collect();
    assert!(positions.windows(2).all(|p| p[0] < p[1]) && positions[0] > last.position());

    let live = w.a.send(&w.student, w.chat, "live again").await;
    let next = resumed.event().await;
    assert_eq!(next.json()["message"]["id"].as_i64(), Some(live), "live after the replay, no duplicate at the seam");

    // The same through the query parameter, for clients that cannot set headers.
    let url = format!("{}?last_event_id={}", w.a.url("/api/events/chat"), last.position());
    let mut by_query = open_stream(&w.a.http, &url, &w.student.token, None).await;
    let again: Vec<i64> =
        by_query.events(21).await.iter().map(|e| e.json()["message"]["id"].as_i64().expect("id")).collect();
    assert_eq!(again[..20], missed[..]);
    assert_eq!(again[20], live);
}

#[tokio::test]
async fn an_admin_resuming_gets_every_chat() {
    let w = world().await;
    let mut admin = w.a.stream(&w.admin, None).await;
    let first = w.a.send(&w.student, w.chat, "one").await;
    let last = admin.event().await;
    assert_eq!(last.json()["message"]["id"].as_i64(), Some(first));
    drop(admin);
    let two = w.b.send(&w.outsider, w.other_chat, "two").await;
    let three = w.b.send(&w.teacher, w.chat, "three").await;
    let mut resumed = w.b.stream(&w.admin, last.id.as_deref()).await;
    let ids: Vec<i64> =
        resumed.events(2).await.iter().map(|e| e.json()["message"]["id"].as_i64().expect("id")).collect();
    assert_eq!(ids, vec![two, three]);
}

#[tokio::test]
async fn the_subscribe_time_gap_is_closed_by_the_snapshot_position() {
    let w = world().await;
    w.a.send(&w.teacher, w.chat, "already in the snapshot").await;
    let snapshot = w.a.get("/api/chats", &w.student).send().await.expect("snapshot");
    let position = snapshot.headers()["x-event-position"].to_str().expect("header").to_owned();
    let history = w.a.get(&format!("/api/chats/{}/messages", w.chat), &w.student).send().await.expect("history");
    assert!(history.headers().contains_key("x-event-position"));

    let between = w.b.send(&w.teacher, w.chat, "committed between snapshot and stream").await;
    let mut stream = w.b.stream(&w.student, Some(&position)).await;
    assert_eq!(stream.event().await.json()["message"]["id"].as_i64(), Some(between));
}

#[tokio::test]
async fn message_text_cannot_forge_fields_or_ids() {
    let w = world().await;
    let mut stream = w.b.stream(&w.teacher, None).await;
    let forged = "line one\r\n\r\nid: 999999\ndata: {}\n\nevent: reset\r: comment";
    let id = w.a.send(&w.student, w.chat, forged).await;
    let event = stream.event().await;
    assert_eq!(event.event, "new_message");
    assert_eq!(event.json()["message"]["content"], forged, "one intact event");
    assert_eq!(event.json()["message"]["id"].as_i64(), Some(id));
    assert_ne!(event.position(), 999_999);
    drop(stream);
    let next = w.a.send(&w.student, w.chat, "after").await;
    let mut resumed = w.b.stream(&w.teacher, event.id.as_deref()).await;
    assert_eq!(resumed.event().await.json()["message"]["id"].as_i64(), Some(next), "the real id is the resume point");
}

/// The retry hint comes first, between `SSE_RETRY_MS` and 1.5 times it at random per stream
/// (streams a replica drops together must not all reconnect in the same instant).
#[tokio::test]
async fn a_retry_hint_comes_first_spread_per_stream_and_heartbeats_follow_on_schedule() {
    let app = TestApp::spawn_with(|c| c.sse.heartbeat = Duration::from_secs(1)).await;
    let user = app.user("student", "S").await;
    let mut hints = HashSet::new();
    for _ in 0..12 {
        let mut stream = app.stream(&user, None).await;
        match stream.item(Duration::from_secs(5)).await {
            Some(Item::Retry(ms)) if (3000..=4500).contains(&ms) => hints.insert(ms),
            other => panic!("a retry hint between 3000 and 4500 ms first, not {other:?}"),
        };
    }
    assert!(hints.len() >= 6, "twelve streams, {} distinct hints: {hints:?}", hints.len());
    let mut stream = app.stream(&user, None).await;
    assert!(matches!(stream.item(Duration::from_secs(5)).await, Some(Item::Retry(_))));
    for _ in 0..2 {
        assert_eq!(stream.item(Duration::from_secs(5)).await, Some(Item::Comment("heartbeat".into())));
    }
}

#[tokio::test]
async fn unusable_resume_points_get_a_reset_event_and_the_stream_goes_on() {
    let w = world().await;
    for bad in ["abc", "-5", "99999999", "1.5"] {
        let mut stream = w.a.stream(&w.student, Some(bad)).await;
        let reset = stream.event().await;
        assert_eq!(reset.event, "reset", "{bad}");
        assert!(reset.json()["reason"].as_str().is_some_and(|r| r.contains(bad)), "{bad}: {reset:?}");
        let live = w.b.send(&w.teacher, w.chat, "after reset").await;
        assert_eq!(stream.event().await.json()["message"]["id"].as_i64(), Some(live), "{bad}");
    }
    let anonymous = w.a.http.get(w.a.url("/api/events/chat")).send().await.expect("send");
    assert_eq!(status_and_json(anonymous).await.0, 401);
}

#[tokio::test]
async fn a_stream_closes_when_its_token_expires() {
    let app = TestApp::spawn().await;
    let user = app.user("student", "S").await;
    let token = sign(
        &json!({ "sub": user.id.to_string(), "exp": now() + 2 }),
        crate::helpers::SECRET,
        jsonwebtoken::Algorithm::HS256,
    );
    let mut stream = open_stream(&app.http, &app.url("/api/events/chat"), &token, None).await;
    let started = Instant::now();
    stream.until_closed(Duration::from_secs(10)).await;
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[tokio::test]
async fn shutdown_ends_open_streams() {
    let app = TestApp::spawn().await;
    let user = app.user("student", "S").await;
    let mut stream = app.stream(&user, None).await;
    app.shutdown.cancel();
    stream.until_closed(Duration::from_secs(5)).await;
}

/// Kills the listeners' connections while messages are being posted: afterwards every
/// subscriber has every message exactly once, in log order.
#[tokio::test]
async fn listener_connections_killed_mid_stream_lose_nothing() {
    let w = world().await;
    let mut on_a = w.a.stream(&w.student, None).await;
    let mut on_b = w.b.stream(&w.teacher, None).await;
    let total = 200;
    let (a_url, b_url) = (w.a.url("/api/messages"), w.b.url("/api/messages"));
    let (student, teacher, chat) = (w.student.clone(), w.teacher.clone(), w.chat);
    let http = w.a.http.clone();
    let poster = tokio::spawn(async move {
        let mut ids = Vec::new();
        for i in 0..total {
            let (url, user) = if i % 2 == 0 { (&a_url, &student) } else { (&b_url, &teacher) };
            let response = http
                .post(url)
                .bearer_auth(&user.token)
                .json(&json!({ "chat_id": chat, "content": format!("m{i}") }))
                .send();
            let body: Value = response.await.expect("post").json().await.expect("json");
            ids.push(body["id"].as_i64().expect("id"));
        }
        ids
    });
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(150)).await;
        // Both listeners may be between a kill and their reconnect: wait until one can be killed.
        let deadline = Instant::now() + Duration::from_secs(10);
        while kill_listeners(&w.a.sql).await == 0 {
            assert!(Instant::now() < deadline, "no listener connection to kill within 10 s");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    let sent = poster.await.expect("poster");
    for (who, stream) in [("A", &mut on_a), ("B", &mut on_b)] {
        let received = stream.events(total).await;
        let ids: Vec<i64> = received.iter().map(|e| e.json()["message"]["id"].as_i64().expect("id")).collect();
        assert_eq!(ids, sent, "replica {who}: every message once, in order");
        assert!(received.windows(2).all(|e| e[0].position() < e[1].position()), "replica {who}: positions increase");
    }
    // The last kill may have come after the last message: its listener may still be backing off.
    for app in [&w.a, &w.b] {
        let deadline = Instant::now() + Duration::from_secs(15);
        while app.http.get(app.url("/readyz")).send().await.expect("readyz").status() != 200 {
            assert!(Instant::now() < deadline, "the listener did not reconnect within 15 s");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// 1,000 messages posted concurrently from 8 tasks across two replicas: every participant's
/// stream receives all of its chat's messages, none twice, in position order.
#[tokio::test]
async fn a_thousand_concurrent_messages_arrive_complete_and_in_order() {
    let a = TestApp::spawn().await;
    let b = a.replica().await;
    let mut pairs = Vec::new();
    for i in 0..4 {
        let (teacher, student) = (a.user("teacher", &format!("T{i}")).await, a.user("student", &format!("S{i}")).await);
        let chat = a.chat(&teacher, &student).await;
        pairs.push((chat, teacher, student));
    }
    let mut streams = Vec::new();
    for (i, (chat, teacher, student)) in pairs.iter().enumerate() {
        let (x, y) = if i % 2 == 0 { (&a, &b) } else { (&b, &a) };
        streams.push((*chat, x.stream(teacher, None).await));
        streams.push((*chat, y.stream(student, None).await));
    }
    let tasks: Vec<_> = (0..8)
        .map(|task| {
            let (chat, teacher, student) = pairs[task % 4].clone();
            let url = if task % 2 == 0 { a.url("/api/messages") } else { b.url("/api/messages") };
            let http = a.http.clone();
            tokio::spawn(async move {
                let mut ids = Vec::new();
                for i in 0..125 {
                    let user = if i % 2 == 0 { &teacher } else { &student };
                    let body = json!({ "chat_id": chat, "content": format!("task {task} message {i}") });
                    let response = http.post(&url).bearer_auth(&user.token).json(&body).send().await.expect("post");
                    assert_eq!(response.status(), 201);
                    ids.push(response.json::<Value>().await.expect("json")["id"].as_i64().expect("id"));
                }
                (chat, ids)
            })
        })
        .collect();
    let mut expected: std::collections::HashMap<i64, HashSet<i64>> = Default::default();
    for task in tasks {
        let (chat, ids) = task.await.expect("task");
        expected.entry(chat).or_default().extend(ids);
    }
    for (chat, stream) in &mut streams {
        let received = stream.events(250).await;
        assert!(received.iter().all(|e| e.json()["chat_id"].as_i64() == Some(*chat)), "only its own chat");
        assert!(received.windows(2).all(|e| e[0].position() < e[1].position()), "in position order");
        let ids: HashSet<i64> = received.iter().map(|e| e.json()["message"]["id"].as_i64().expect("id")).collect();
        assert_eq!(ids.len(), 250, "none twice");
        assert_eq!(&ids, &expected[chat], "all of its chat's messages");
    }
}

/// A reader that stops reading is cut off when its queue is full; the others are unaffected,
/// and it resumes from its last id to receive everything.
#[tokio::test]
async fn a_stalled_reader_is_disconnected_at_its_limit_and_resumes_fully() {
    let a = TestApp::spawn_with(|c| c.sse.queue = 8).await;
    let (teacher, student) = (a.user("teacher", "T").await, a.user("student", "S").await);
    let chat = a.chat(&teacher, &student).await;
    let mut healthy = a.stream(&teacher, None).await;
    let stalled = a.http.get(a.url("/api/events/chat")).bearer_auth(&student.token).send().await.expect("open");
    assert_eq!(a.state.hub.connections(), 2);

    let big = "я".repeat(10_000); // 20 kB per event, so socket buffers fill quickly
    let mut sent = Vec::new();
    while a.state.hub.connections() == 2 {
        assert!(sent.len() < 2000, "the stalled reader was never disconnected");
        sent.push(a.send(&teacher, chat, &big).await);
        let event = healthy.event().await; // the healthy reader keeps up, unaffected
        assert_eq!(event.json()["message"]["id"].as_i64(), sent.last().copied());
    }
    assert_eq!(a.state.hub.connections(), 1, "only the stalled reader was cut off");
    let cut_at = sent.len();
    for _ in 0..5 {
        sent.push(a.send(&teacher, chat, "after the cut").await);
    }

    // Reading now: the stalled stream gives what was queued, then ends; resuming gives the rest.
    use futures::StreamExt;
    let mut body = stalled.bytes_stream();
    let mut text = String::new();
    while let Some(chunk) =
        tokio::time::timeout(Duration::from_secs(10), body.next()).await.expect("the cut stream ends")
    {
        text.push_str(&String::from_utf8_lossy(&chunk.expect("chunk")));
    }
    let last_id = text.lines().filter_map(|l| l.strip_prefix("id: ")).next_back().map(str::to_owned);
    let got_before = text.matches("event: new_message").count();
    assert!(got_before < cut_at, "the stalled reader did not get everything before the cut ({got_before} of {cut_at})");
    let mut resumed = a.stream(&student, last_id.as_deref()).await;
    let rest: Vec<i64> = resumed
        .events(sent.len() - got_before)
        .await
        .iter()
        .map(|e| e.json()["message"]["id"].as_i64().expect("id"))
        .collect();
    assert_eq!(rest, sent[got_before..], "it resumes exactly where it was cut");
}

#[tokio::test]
async fn metrics_are_served_in_prometheus_format() {
    let w = world().await;
    let _stream = w.a.stream(&w.student, None).await;
    w.a.send(&w.student, w.chat, "counted").await;
    let text = w.a.metrics().await;
    for metric in [
        "tutorchat_http_requests_total{method=\"POST\",route=\"/api/messages\",status=\"201\"}",
        "tutorchat_http_request_duration_seconds_bucket",
        "tutorchat_sse_connections",
        "tutorchat_events_delivered_total",
        "tutorchat_listener_connected",
        "tutorchat_listener_lag_positions",
        "tutorchat_append_batch_size_bucket",
    ] {
        assert!(text.contains(metric), "{metric} missing from /metrics:\n{text}");
    }
}

#[tokio::test]
async fn beyond_its_stream_limit_a_replica_refuses_politely_and_keeps_serving() {
    let app = TestApp::spawn_with(|c| c.sse.max_streams = 2).await;
    let (teacher, student) = (app.user("teacher", "T").await, app.user("student", "S").await);
    let chat = app.chat(&teacher, &student).await;
    let mut first = app.stream(&teacher, None).await;
    let mut second = app.stream(&student, None).await;
    let refused = app.http.get(app.url("/api/events/chat")).bearer_auth(&student.token).send().await.expect("send");
    let (status, body) = status_and_json(refused).await;
    assert_eq!(status, 503, "{body}");
    let sent = app.send(&student, chat, "still served").await;
    for stream in [&mut first, &mut second] {
        assert_eq!(stream.event().await.json()["message"]["id"].as_i64(), Some(sent));
    }
    drop(first);
    let deadline = Instant::now() + Duration::from_secs(5);
    while app.state.hub.connections() > 1 {
        assert!(Instant::now() < deadline, "the closed stream was not released");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let _third = app.stream(&teacher, None).await; // room again
}

#[tokio::test]
async fn one_user_cannot_take_a_replicas_streams_beyond_their_own_limit() {
    let app = TestApp::spawn_with(|c| c.sse.max_streams_per_user = 2).await;
    let (teacher, student, admin) =
        (app.user("teacher", "T").await, app.user("student", "S").await, app.user("admin", "A").await);
    let chat = app.chat(&teacher, &student).await;
    let mut tabs = vec![app.stream(&student, None).await, app.stream(&student, None).await];
    let refused = app.http.get(app.url("/api/events/chat")).bearer_auth(&student.token).send().await.expect("send");
    let retry_after = refused.headers().get("retry-after").map(|v| v.to_str().expect("text").to_owned());
    let (status, body) = status_and_json(refused).await;
    assert_eq!(status, 429, "{body}");
    assert!(body["error"].as_str().is_some_and(|e| e.contains("SSE_MAX_STREAMS_PER_USER")), "{body}");
    assert!(retry_after.is_some_and(|s| s.parse::<u64>().is_ok_and(|n| n >= 1)), "a Retry-After in seconds");

    // Everyone else still gets streams, admins are held to the same limit, and the capped
    // user's open streams keep working.
    let mut other = app.stream(&teacher, None).await;
    let _admin_tabs = [app.stream(&admin, None).await, app.stream(&admin, None).await];
    let third = app.http.get(app.url("/api/events/chat")).bearer_auth(&admin.token).send().await.expect("send");
    assert_eq!(third.status(), 429, "an admin's third stream");
    let sent = app.send(&teacher, chat, "still delivered").await;
    for stream in tabs.iter_mut().chain([&mut other]) {
        assert_eq!(stream.event().await.json()["message"]["id"].as_i64(), Some(sent));
    }
    let metrics = app.metrics().await;
    assert!(metrics.contains("tutorchat_limited_requests_total{limit=\"streams_per_user\"}"), "{metrics}");

    // Closing a tab makes room again.
    tabs.pop();
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let again = app.http.get(app.url("/api/events/chat")).bearer_auth(&student.token).send().await.expect("send");
        if again.status() == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "the closed tab was not released");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn a_demoted_admins_stream_closes_and_reopens_with_the_new_role() {
    let app = TestApp::spawn_with(|c| c.auth.user_cache = Duration::from_secs(1)).await;
    let (teacher, student, admin) =
        (app.user("teacher", "T").await, app.user("student", "S").await, app.user("admin", "A").await);
    let chat = app.chat(&teacher, &student).await;
    let mut stream = app.stream(&admin, None).await;
    let seen = app.send(&teacher, chat, "an admin reads this").await;
    let event = stream.event().await;
    assert_eq!(event.json()["message"]["id"].as_i64(), Some(seen));
    let last_id = event.position().to_string();

    app.sql.execute("UPDATE users SET role = 'student' WHERE id = $1", &[&admin.id]).await.expect("demote");
    let mut before_close = stream.until_closed(Duration::from_secs(10)).await;
    // Their own stream's "online" may still be on its way (it is announced asynchronously, and
    // to admins): it says nothing about anyone else. Anything else would be a leak.
    before_close.retain(|e| !(e.event == "presence" && e.json()["user_id"].as_i64() == Some(admin.id)));
    assert!(before_close.is_empty(), "nothing more reached the demoted admin: {before_close:?}");
    let hidden = app.send(&teacher, chat, "no longer for the former admin").await;

    // Reconnecting as a browser would, with the last id: now a participant of nothing.
    let mut again = app.stream(&admin, Some(&last_id)).await;
    let control = app.chat(&app.user("teacher", "T2").await, &admin).await;
    let event = again.event().await;
    assert_eq!(event.event, "chat_created", "the first thing it may see is its own new chat: {event:?}");
    assert_eq!(event.json()["chat"]["id"].as_i64(), Some(control));
    assert_ne!(event.json()["message"]["id"].as_i64(), Some(hidden));
}
