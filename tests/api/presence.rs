//! Typing and presence: ephemeral signals that cross replicas through PostgreSQL without
//! touching the log. Replicas here use a short presence lease and grace (see `spawn`).

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::{Event, Stream, TestApp, TestDatabase, User, status_and_json};

const GRACE: Duration = Duration::from_millis(400);
const LEASE: Duration = Duration::from_secs(2);

fn quick_presence(config: &mut tutorchat::Config) {
    config.presence.grace = GRACE;
    config.presence.lease = LEASE;
}

struct World {
    a: TestApp,
    b: TestApp,
    teacher: User,
    student: User,
    admin: User,
    outsider: User,
    other_teacher: User,
    chat: i64,
    other_chat: i64,
}

async fn world() -> World {
    let a = TestApp::spawn_with(quick_presence).await;
    let b = replica(&a.database).await;
    let (teacher, student, admin) =
        (a.user("teacher", "Teacher").await, a.user("student", "Student").await, a.user("admin", "Admin").await);
    let (outsider, other_teacher) = (a.user("student", "Outsider").await, a.user("teacher", "Other").await);
    let chat = a.chat(&teacher, &student).await;
    let other_chat = a.chat(&other_teacher, &outsider).await;
    World { a, b, teacher, student, admin, outsider, other_teacher, chat, other_chat }
}

async fn replica(database: &std::sync::Arc<TestDatabase>) -> TestApp {
    TestApp::spawn_on(database.clone(), quick_presence).await
}

async fn typing(app: &TestApp, user: &User, chat: i64, is_typing: bool) -> reqwest::Response {
    app.http
        .post(app.url(&format!("/api/chats/{chat}/typing")))
        .bearer_auth(&user.token)
        .json(&json!({ "is_typing": is_typing }))
        .send()
        .await
        .expect("POST typing")
}

async fn presence_of(app: &TestApp, viewer: &User, about: i64) -> (u16, Value) {
    status_and_json(app.get(&format!("/api/presence/{about}"), viewer).send().await.expect("GET presence")).await
}

/// Every event up to and including the `new_message` with id `control`.
async fn events_until(stream: &mut Stream, control: i64) -> Vec<Event> {
    let mut seen = Vec::new();
    loop {
        let event = stream.any_event().await;
        let done = event.event == "new_message" && event.json()["message"]["id"].as_i64() == Some(control);
        seen.push(event);
        if done {
            return seen;
        }
    }
}

fn named<'a>(events: &'a [Event], name: &str) -> Vec<&'a Event> {
    events.iter().filter(|e| e.event == name).collect()
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
    let allowed = (elapsed.as_millis() / tutorchat::realtime::signals::PACE.as_millis()) as usize + 2;
    assert!(carrying <= allowed && carrying < BURST, "{BURST} signals in {carrying} notifications over {elapsed:?}");
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
        [(&w.admin, w.chat, 403), (&w.outsider, w.chat, 404), (&w.student, 987_654, 404), (&w.student, w.chat, 204)]
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

#[tokio::test]
async fn presence_follows_the_last_stream_and_is_visible_only_to_contacts_and_admins() {
    let w = world().await;
    let (status, before) = presence_of(&w.a, &w.teacher, w.student.id).await;
    assert_eq!((status, before), (200, json!({ "user_id": w.student.id, "online": false, "last_seen": null })));
    let mut teacher = w.b.stream(&w.teacher, None).await;

    let student = w.a.stream(&w.student, None).await;
    let event = teacher.any_event().await;
    assert_eq!(event.event, "presence");
    assert_eq!(event.id, None);
    assert_eq!(event.json(), json!({ "user_id": w.student.id, "online": true, "last_seen": null }));
    for viewer in [&w.teacher, &w.admin, &w.student] {
        let (status, body) = presence_of(&w.b, viewer, w.student.id).await;
        assert_eq!((status, body["online"].as_bool()), (200, Some(true)), "viewer {}", viewer.id);
    }
    let (status, _) = presence_of(&w.b, &w.outsider, w.student.id).await;
    assert_eq!(status, 404, "presence is personal data");
    assert_eq!(presence_of(&w.b, &w.student, 987_654).await.0, 404);
    let (_, list) = status_and_json(w.b.get("/api/chats", &w.teacher).send().await.expect("chats")).await;
    assert_eq!(list["chats"][0]["participant"]["online"], true);
    assert_eq!(list["chats"][0]["participant"]["last_seen"], Value::Null);

    let closed = time::OffsetDateTime::now_utc();
    drop(student);
    let event = teacher.any_event().await;
    assert_eq!((event.event.as_str(), event.json()["online"].as_bool()), ("presence", Some(false)));
    let last_seen = time::OffsetDateTime::parse(
        event.json()["last_seen"].as_str().expect("last_seen"),
        &time::format_description::well_known::Rfc3339,
    )
    .expect("RFC 3339");
    assert!((last_seen - closed).abs() < time::Duration::seconds(1), "last seen when the stream closed: {last_seen}");
    let (_, now) = presence_of(&w.a, &w.teacher, w.student.id).await;
    assert_eq!((now["online"].as_bool(), now["last_seen"].clone()), (Some(false), event.json()["last_seen"].clone()));
    let (_, list) = status_and_json(w.a.get("/api/chats", &w.teacher).send().await.expect("chats")).await;
    assert_eq!(list["chats"][0]["participant"]["online"], false);
    assert_eq!(list["chats"][0]["participant"]["last_seen"], event.json()["last_seen"]);

    // Only the durable part is written to disk: last_seen; the streams and leases are UNLOGGED.
    let persistence: Vec<(String, String)> =
        w.a.sql
            .query(
                "SELECT relname::text, relpersistence::text FROM pg_class
             WHERE relname IN ('presence_replicas', 'presence_streams', 'user_presence') ORDER BY relname",
                &[],
            )
            .await
            .expect("pg_class")
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
    let expected = [("presence_replicas", "u"), ("presence_streams", "u"), ("user_presence", "p")];
    assert_eq!(persistence, expected.map(|(t, p)| (t.to_owned(), p.to_owned())));
}

/// A stream that moves to the other replica within the grace, and a second tab that closes
/// while another stays open: no offline (nor a second online) is ever announced.
#[tokio::test]
async fn moving_between_replicas_and_closing_one_of_two_tabs_never_flaps() {
    let w = world().await;
    let mut teacher = w.b.stream(&w.teacher, None).await;
    let on_a = w.a.stream(&w.student, None).await;
    assert_eq!(teacher.any_event().await.json()["online"], true);

    drop(on_a);
    let on_b = w.b.stream(&w.student, None).await; // a reconnect, well within the grace
    let second_tab = w.a.stream(&w.student, None).await;
    drop(second_tab);
    tokio::time::sleep(GRACE * 4).await;
    let control = w.a.send(&w.student, w.chat, "still here").await;
    let seen = events_until(&mut teacher, control).await;
    assert!(named(&seen, "presence").is_empty(), "a flap was announced: {seen:?}");
    assert_eq!(presence_of(&w.a, &w.teacher, w.student.id).await.1["online"], true);
    drop(on_b);
    assert_eq!(teacher.any_event().await.json()["online"], false);
}

/// A replica that stops takes its users offline once the grace has passed (swept by another
/// replica's renewal), unless they reconnected elsewhere; a restarted replica has a new
/// lease and leaves no ghost. (`kill -9` is in tests/faults.)
#[tokio::test]
async fn a_stopped_replicas_users_go_offline_unless_they_reconnected_elsewhere() {
    let w = world().await;
    let c = replica(&w.a.database).await;
    let mut teacher = w.b.stream(&w.teacher, None).await;
    let _student = c.stream(&w.student, None).await;
    let _outsider = c.stream(&w.outsider, None).await;
    assert_eq!(teacher.any_event().await.json()["user_id"], json!(w.student.id));
    let mut other_teacher = w.b.stream(&w.other_teacher, None).await;

    drop(c); // shut down gracefully, with both streams open
    let outsider_back = w.a.stream(&w.outsider, None).await; // reconnects elsewhere
    let started = Instant::now();
    let event = teacher.any_event_within(LEASE * 3).await;
    assert_eq!((event.json()["user_id"].as_i64(), event.json()["online"].as_bool()), (Some(w.student.id), Some(false)));
    eprintln!("offline {:?} after the replica stopped", started.elapsed());
    let control = w.b.send(&w.other_teacher, w.other_chat, "control").await;
    let seen = events_until(&mut other_teacher, control).await;
    assert!(named(&seen, "presence").iter().all(|e| e.json()["online"] == true), "the outsider flapped: {seen:?}");
    assert_eq!(presence_of(&w.a, &w.other_teacher, w.outsider.id).await.1["online"], true);
    drop(outsider_back);
}

#[tokio::test]
async fn openapi_describes_typing_presence_and_their_events() {
    let a = TestApp::spawn().await;
    let doc: Value = a.http.get(a.url("/api/openapi.json")).send().await.expect("GET").json().await.expect("json");
    assert!(doc["paths"]["/api/chats/{chat_id}/typing"]["post"].is_object());
    assert!(doc["paths"]["/api/presence/{user_id}"]["get"].is_object());
    let schemas = &doc["components"]["schemas"];
    assert!(schemas["TypingEvent"]["properties"]["is_typing"].is_object());
    assert!(schemas["PresenceEvent"]["properties"]["last_seen"].is_object());
    let description = doc["paths"]["/api/events/chat"]["get"]["description"].as_str().unwrap_or_default();
    for name in ["typing", "presence", "without an id"] {
        assert!(description.contains(name), "the stream's description names {name}: {description}");
    }
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

/// Statements select `online` through `views::Contact::columns`, which writes out
/// `presence_online()` (a function with a sublink is not inlined, and a call per row cost a
/// fifth of a 500-chat list): the two agree for a stream on a live lease, on an expired one,
/// on both, and for none.
#[tokio::test]
async fn the_written_out_presence_agrees_with_presence_online() {
    let app = TestApp::spawn().await;
    let users = [app.user("student", "Live").await, app.user("student", "Expired").await];
    let (both, none) = (app.user("student", "Both").await, app.user("student", "None").await);
    let (live, expired) = ("00000000-0000-0000-0000-0000000000a1", "00000000-0000-0000-0000-0000000000a2");
    app.sql
        .batch_execute(&format!(
            "INSERT INTO presence_replicas VALUES ('{live}', now(), now() + interval '1 hour'),
                                                  ('{expired}', now(), now() - interval '1 second');
             INSERT INTO presence_streams (user_id, replica_id) VALUES
                 ({}, '{live}'), ({}, '{expired}'), ({}, '{live}'), ({}, '{expired}');",
            users[0].id, users[1].id, both.id, both.id
        ))
        .await
        .expect("presence rows");
    let ids = [users[0].id, users[1].id, both.id, none.id];
    let rows = app
        .sql
        .query(
            &format!(
                "SELECT u.id, presence_online(u.id) AS function, {} FROM users u WHERE u.id = ANY($1) ORDER BY u.id",
                tutorchat::views::Contact::columns("u.id")
            ),
            &[&ids.to_vec()],
        )
        .await
        .expect("presence");
    let online: Vec<(i64, bool, bool)> =
        rows.iter().map(|r| (r.get("id"), r.get("function"), r.get("online"))).collect();
    assert_eq!(
        online,
        vec![(ids[0], true, true), (ids[1], false, false), (ids[2], true, true), (ids[3], false, false)]
    );
}
