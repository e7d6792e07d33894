//! A stream's connection: its hints and heartbeats, its end, its limits, and what it costs a replica.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use serde_json::json;

use super::world;
use crate::helpers::{Item, TestApp, now, open_stream, sign, status_and_json};

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
