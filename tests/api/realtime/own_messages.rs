//! The primary specification's stream, to the letter: the sender's own streams get their
//! message as `message_sent` (never `new_message`: the sending tab shows it already), the JWT
//! may come in the URL, every stream response says `Connection: keep-alive`, and the heartbeat
//! is a ticker that events never reset.

use std::time::{Duration, Instant};

use jsonwebtoken::Algorithm;
use serde_json::json;

use super::world;
use crate::helpers::{Item, SECRET, Stream, now, sign, stream_from};

/// The next event of `stream`, as (name, message id).
async fn next_message(stream: &mut Stream) -> (String, Option<i64>) {
    let event = stream.event().await;
    let id = event.json()["message"]["id"].as_i64();
    (event.event, id)
}

#[tokio::test]
async fn the_senders_tabs_on_every_replica_get_message_sent_and_everyone_else_new_message() {
    let w = world().await;
    let mut tab_a = w.a.stream(&w.student, None).await;
    let mut tab_b = w.b.stream(&w.student, None).await;
    let mut teacher = w.b.stream(&w.teacher, None).await;
    let mut admin = w.a.stream(&w.admin, None).await;

    let sent = w.a.send(&w.student, w.chat, "из первой вкладки").await;
    let (mut positions, mut data) = (Vec::new(), Vec::new());
    for (who, stream, name) in [
        ("the sender's tab on A", &mut tab_a, "message_sent"),
        ("the sender's tab on B", &mut tab_b, "message_sent"),
        ("the teacher", &mut teacher, "new_message"),
        ("an admin", &mut admin, "new_message"),
    ] {
        let event = stream.event().await;
        assert_eq!((event.event.as_str(), event.json()["message"]["id"].as_i64()), (name, Some(sent)), "{who}");
        positions.push(event.position());
        data.push(event.json());
    }
    assert!(positions.windows(2).all(|p| p[0] == p[1]), "one id for all: {positions:?}");
    assert!(data.windows(2).all(|d| d[0] == d[1]), "the same data for all: {data:#?}");

    // The teacher's answer: `new_message` to the student's tabs, `message_sent` to the teacher.
    let answer = w.b.send(&w.teacher, w.chat, "ответ").await;
    for stream in [&mut tab_a, &mut tab_b] {
        assert_eq!(next_message(stream).await, ("new_message".into(), Some(answer)));
    }
    assert_eq!(next_message(&mut teacher).await, ("message_sent".into(), Some(answer)));

    // On resume after Last-Event-ID, on either replica, the same names.
    let from = (positions[0] - 1).to_string();
    for app in [&w.a, &w.b] {
        let mut student = app.stream(&w.student, Some(&from)).await;
        assert_eq!(next_message(&mut student).await, ("message_sent".into(), Some(sent)));
        assert_eq!(next_message(&mut student).await, ("new_message".into(), Some(answer)));
        let mut teacher = app.stream(&w.teacher, Some(&from)).await;
        assert_eq!(next_message(&mut teacher).await, ("new_message".into(), Some(sent)));
        assert_eq!(next_message(&mut teacher).await, ("message_sent".into(), Some(answer)));
    }
}

#[tokio::test]
async fn a_jwt_in_the_url_opens_the_stream_again_and_again_while_it_is_valid() {
    let w = world().await;
    let open = |app: &crate::helpers::TestApp, token: &str| {
        app.fresh.get(app.url(&format!("/api/events/chat?token={token}"))).send()
    };
    // As EventSource does: the same URL, reconnecting, on either replica.
    for app in [&w.a, &w.b, &w.a] {
        app.settled().await;
        let response = open(app, &w.student.token).await.expect("GET");
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        let mut stream = stream_from(response);
        let sent = w.a.send(&w.teacher, w.chat, "по ссылке").await;
        assert_eq!(next_message(&mut stream).await, ("new_message".into(), Some(sent)));
    }
    let sub = w.student.id.to_string();
    let refused = [
        ("garbage", "not.a.jwt".to_owned()),
        ("expired", sign(&json!({ "sub": sub, "exp": now() - 120 }), SECRET, Algorithm::HS256)),
        ("wrong secret", sign(&json!({ "sub": sub, "exp": now() + 600 }), "another secret", Algorithm::HS256)),
        ("HS512", sign(&json!({ "sub": sub, "exp": now() + 600 }), SECRET, Algorithm::HS512)),
        (
            "alg none",
            format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{}.", base64_url(&json!({ "sub": sub, "exp": now() + 600 }))),
        ),
    ];
    for (what, token) in refused {
        let response = open(&w.a, &token).await.expect("GET");
        assert_eq!(response.status(), 401, "{what}");
    }
    // Only the stream's route: elsewhere a token in the query is no credential.
    let chats = w.a.fresh.get(w.a.url(&format!("/api/chats?token={}", w.student.token))).send().await.expect("GET");
    assert_eq!(chats.status(), 401);
}

#[tokio::test]
async fn every_stream_response_says_keep_alive_on_a_new_or_reused_connection() {
    let w = world().await;
    w.a.settled().await;
    // A connection of its own (answered without hyper), then one kept alive (by hyper).
    for client in [&w.a.fresh, &w.a.http] {
        let health = client.get(w.a.url("/healthz")).send().await.expect("healthz");
        assert_eq!(health.status(), 200);
        let response = client.get(w.a.url("/api/events/chat")).bearer_auth(&w.student.token).send().await.expect("GET");
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["connection"], "keep-alive");
        assert_eq!(response.headers()["cache-control"], "no-store");
    }
}

#[tokio::test]
async fn heartbeats_keep_their_schedule_while_events_flow() {
    let a = crate::helpers::TestApp::spawn_with(|c| c.sse.heartbeat = Duration::from_secs(1)).await;
    let (teacher, student) = (a.user("teacher", "T").await, a.user("student", "S").await);
    let chat = a.chat(&teacher, &student).await;
    let mut stream = a.stream(&student, None).await;
    let started = Instant::now();
    // A message every 300 ms for 3.5 s: a ticker reset by events would never beat.
    let sender = {
        let (http, url, token) = (a.http.clone(), a.url("/api/messages"), teacher.token.clone());
        tokio::spawn(async move {
            for i in 0..12 {
                let body = json!({ "chat_id": chat, "content": format!("#{i}") });
                let _ = http.post(&url).bearer_auth(&token).json(&body).send().await;
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
        })
    };
    let mut beats = Vec::new();
    while started.elapsed() < Duration::from_millis(3500) {
        if let Some(Item::Comment(comment)) = stream.item(Duration::from_secs(5)).await {
            assert_eq!(comment, "heartbeat");
            beats.push(started.elapsed());
        }
    }
    sender.await.expect("the sender");
    assert!(beats.len() >= 2, "heartbeats every second while messages kept coming, got {beats:?}");
}

/// The URL-safe base64 of a JSON value, without padding (a JWT's part).
fn base64_url(value: &serde_json::Value) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value.to_string())
}
