//! Delivery: every entitled stream on every replica gets each event once, intact and in order.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::{assert_nothing_before_control, world};
use crate::helpers::{TestApp, kill_listeners, status_and_json};

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
        // The sender's own streams (every tab, either replica) get it as `message_sent`.
        let name = if who.starts_with("student") { "message_sent" } else { "new_message" };
        assert_eq!(event.event, name, "{who}");
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
    for (stream, name) in [(&mut teacher, "new_message"), (&mut student, "message_sent"), (&mut admin, "new_message")] {
        assert_eq!(stream.event().await.event, name);
    }
    assert_eq!(w.b.delete_message(&w.student, id).await.status(), 200);
    for stream in [&mut teacher, &mut student, &mut admin] {
        let event = stream.event().await;
        assert_eq!(
            (event.event.as_str(), event.json()),
            ("message_deleted", json!({ "chat_id": w.chat, "message_id": id }))
        );
    }

    let lesson = w.a.scheduled_lesson(&w.teacher, &newcomer).await;
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
        ("guardians_read", json!(false)),
        ("ward", json!(null)),
        ("muted", json!(false)),
        ("archived", json!(false)),
        ("ward_only", json!(false)),
        ("announcement", json!(false)),
        ("audience", json!(null)),
        ("recipients", json!(null)),
        ("subjects", json!([])),
        ("children", json!([])),
        ("teacher_departed", json!(false)),
        ("participant_departed", json!(false)),
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
