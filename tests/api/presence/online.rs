//! Presence: online while a stream is open anywhere, offline after the grace, seen by contacts only.

use std::time::Instant;

use serde_json::{Value, json};

use super::{GRACE, LEASE, events_until, named, replica, world};
use crate::helpers::{TestApp, User, status_and_json};

async fn presence_of(app: &TestApp, viewer: &User, about: i64) -> (u16, Value) {
    status_and_json(app.get(&format!("/api/presence/{about}"), viewer).send().await.expect("GET presence")).await
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
    // Presence is personal data: someone who shares no chat with the student is refused as
    // for a person who does not exist, in the same words, so the answer tells no ids apart.
    let (status, refused) = presence_of(&w.b, &w.outsider, w.student.id).await;
    assert_eq!((status, refused["code"].as_str()), (403, Some("forbidden")), "{refused}");
    let (status, nobody) = presence_of(&w.b, &w.outsider, 987_654).await;
    assert_eq!(status, 403, "{nobody}");
    let unnamed = |body: &Value, id: i64| body["error"].as_str().map(|e| e.replace(&id.to_string(), "N"));
    assert_eq!(unnamed(&refused, w.student.id), unnamed(&nobody, 987_654), "{refused} / {nobody}");
    assert_eq!(presence_of(&w.b, &w.student, 987_654).await.0, 403);
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

/// Statements read presence through `presence_of()`, a set-returning function PostgreSQL
/// expands into them, and the log's trigger through `presence_online()`: both count a stream
/// on a live lease only, for a stream on a live lease, on an expired one, on both, and for none.
#[tokio::test]
async fn presence_of_and_presence_online_count_only_streams_on_live_leases() {
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
            "SELECT u.id, presence_online(u.id) AS function, p.online
             FROM users u CROSS JOIN LATERAL presence_of(u.id) p WHERE u.id = ANY($1) ORDER BY u.id",
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
