//! Limits on what one client can take from a replica: connections that never finish their
//! headers, bodies that never arrive, made-up methods that would grow the metrics.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{TestApp, status_and_json};

/// Reads until the server closes the connection (or `within` passes); returns what it sent
/// and how long that took.
async fn until_closed(stream: &mut TcpStream, within: Duration) -> (String, Duration) {
    let started = Instant::now();
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        match tokio::time::timeout(within.saturating_sub(started.elapsed()), stream.read(&mut buffer)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return (String::from_utf8_lossy(&received).into_owned(), started.elapsed()),
            Ok(Ok(n)) => received.extend_from_slice(&buffer[..n]),
            Err(_) => panic!("the server kept the connection open for {within:?}"),
        }
    }
}

#[tokio::test]
async fn a_client_that_never_finishes_its_headers_is_dropped_after_the_timeout() {
    let app = TestApp::spawn_with(|c| c.http.header_timeout = Duration::from_secs(1)).await;
    let mut slow = Vec::new();
    for _ in 0..20 {
        let mut stream = TcpStream::connect(app.addr).await.expect("connect");
        stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ").await.expect("write");
        slow.push(stream);
    }
    let mut idle = TcpStream::connect(app.addr).await.expect("connect"); // sends nothing at all
    // Meanwhile the replica serves everyone else.
    assert_eq!(app.http.get(app.url("/healthz")).send().await.expect("healthz").status(), 200);
    for stream in slow.iter_mut().chain([&mut idle]) {
        let (_, after) = until_closed(stream, Duration::from_secs(10)).await;
        assert!(after < Duration::from_secs(5), "closed {after:?} after the test started waiting");
    }
}

#[tokio::test]
async fn a_body_that_stops_arriving_is_answered_and_the_connection_freed() {
    let app = TestApp::spawn_with(|c| c.http.body_timeout = Duration::from_secs(1)).await;
    let student = app.user("student", "S").await;
    let mut stream = TcpStream::connect(app.addr).await.expect("connect");
    let head = format!(
        "POST /api/messages HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"chat_id\":",
        student.token
    );
    stream.write_all(head.as_bytes()).await.expect("write");
    let (answer, _) = until_closed(&mut stream, Duration::from_secs(10)).await;
    let status_line = answer.lines().next().unwrap_or_default().to_owned();
    assert!(status_line.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("\"error\":"), "a JSON error: {answer}");
}

#[tokio::test]
async fn made_up_methods_add_no_metric_series() {
    let app = TestApp::spawn().await;
    for i in 0..2000 {
        let method = reqwest::Method::from_bytes(format!("MADEUP{i}X").as_bytes()).expect("a method token");
        let response = app.http.request(method, app.url("/healthz")).send().await.expect("send");
        assert_eq!(status_and_json(response).await.0, 405);
    }
    let metrics = app.metrics().await;
    assert!(!metrics.contains("MADEUP"), "a made-up method became a label");
    assert!(metrics.contains("method=\"other\""), "they are counted as other");
}

#[tokio::test]
async fn a_user_past_their_write_rate_gets_429_and_others_do_not() {
    let app = TestApp::spawn_with(|c| {
        c.rate.writes_per_sec = 1;
        c.rate.writes_burst = 3;
    })
    .await;
    let (teacher, student) = (app.user("teacher", "T").await, app.user("student", "S").await);
    let chat = app.chat(&teacher, &student).await;
    for i in 0..3 {
        app.send(&student, chat, &format!("within the burst {i}")).await;
    }
    let response = app.post_message(&student, chat, "one too many").await;
    let retry_after = response.headers().get("retry-after").map(|v| v.to_str().expect("text").to_owned());
    let (status, body) = status_and_json(response).await;
    assert_eq!(status, 429, "{body}");
    assert!(body["error"].as_str().is_some_and(|e| e.contains("RATE_WRITES_PER_SEC")), "{body}");
    assert_eq!(retry_after.as_deref(), Some("1"));
    app.send(&teacher, chat, "another user writes on").await;
    let messages: i64 = app.sql.query_one("SELECT count(*) FROM messages", &[]).await.expect("count").get(0);
    assert_eq!(messages, 4, "the refused message was not stored");

    // Deletions are writes too: one right after a 429 is refused. A token comes back a second
    // after the last write took one, so on a loaded machine the deletion may come later and
    // pass: such a round proves nothing, and is tried again from an emptied bucket. (A pass
    // sooner than that fails the test.)
    let mut refused = false;
    for round in 0..5 {
        let mut last_taken = None;
        loop {
            let sent = std::time::Instant::now();
            if app.post_message(&student, chat, &format!("filler {round}")).await.status() == 429 {
                break;
            }
            last_taken = Some(sent);
        }
        let status = app.delete_message(&student, 1).await.status();
        if status == 429 {
            refused = true;
            break;
        }
        if let Some(sent) = last_taken {
            assert!(sent.elapsed() >= Duration::from_secs(1), "a deletion within the second got {status}");
        }
    }
    assert!(refused, "no deletion came within the second of an emptied bucket in 5 rounds");

    tokio::time::sleep(Duration::from_millis(1100)).await;
    app.send(&student, chat, "after a second, one more").await;
}

#[tokio::test]
async fn a_user_opening_streams_too_fast_gets_429() {
    let app = TestApp::spawn_with(|c| {
        c.rate.stream_opens_per_sec = 1;
        c.rate.stream_opens_burst = 2;
    })
    .await;
    let (student, other) = (app.user("student", "S").await, app.user("student", "O").await);
    let _first = app.stream(&student, None).await;
    let _second = app.stream(&student, None).await;
    let third = app.http.get(app.url("/api/events/chat")).bearer_auth(&student.token).send().await.expect("send");
    let (status, body) = status_and_json(third).await;
    assert_eq!(status, 429, "{body}");
    assert!(body["error"].as_str().is_some_and(|e| e.contains("RATE_STREAM_OPENS_PER_SEC")), "{body}");
    let _theirs = app.stream(&other, None).await;
}

/// Reads of history and chat lists count per user (each may hold a standby connection while it
/// waits for a position): past the burst they are answered 429 with `Retry-After`, naming the
/// variable, while another user reads on.
#[tokio::test]
async fn reads_past_the_per_user_rate_are_answered_429() {
    let app = TestApp::spawn_with(|c| {
        c.rate.reads_per_sec = 1;
        c.rate.reads_burst = 5;
    })
    .await;
    let (teacher, student) = (app.user("teacher", "T").await, app.user("student", "S").await);
    let chat = app.chat(&teacher, &student).await;
    let mut statuses = Vec::new();
    for i in 0..20 {
        let path = if i % 2 == 0 { format!("/api/chats/{chat}/messages") } else { "/api/chats".to_owned() };
        statuses.push(app.get(&path, &student).send().await.expect("GET").status().as_u16());
    }
    let limited = statuses.iter().filter(|s| **s == 429).count();
    assert!(limited >= 10, "20 reads against a burst of 5: {statuses:?}");
    let response = app.get("/api/chats", &student).send().await.expect("GET");
    assert!(response.headers().contains_key("retry-after"));
    let (status, body) = status_and_json(response).await;
    assert_eq!(status, 429);
    assert!(body["error"].as_str().is_some_and(|e| e.contains("RATE_READS_PER_SEC")), "{body}");
    assert_eq!(app.get("/api/chats", &teacher).send().await.expect("GET").status(), 200, "per user");
}
