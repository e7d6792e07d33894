//! The event stream answered without hyper (`tutorchat::serve`), spoken to byte by byte: what
//! a connection that starts with `GET /api/events/chat` gets, and that every other connection
//! (a stream asked for on a kept-alive one included) is still hyper's.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{TestApp, User};

/// One HTTP/1.1 connection, read by hand.
struct Raw {
    socket: TcpStream,
    buffer: Vec<u8>,
}

struct Head {
    status: u16,
    headers: HashMap<String, String>,
}

impl Raw {
    async fn open(app: &TestApp) -> Self {
        Self { socket: TcpStream::connect(app.addr).await.expect("connect"), buffer: Vec::new() }
    }

    async fn send(&mut self, bytes: &[u8]) {
        self.socket.write_all(bytes).await.expect("write");
    }

    /// A GET with a bearer token (when given) and nothing else a browser would not send.
    async fn get(&mut self, path: &str, token: Option<&str>) {
        let auth = token.map(|t| format!("authorization: Bearer {t}\r\n")).unwrap_or_default();
        self.send(format!("GET {path} HTTP/1.1\r\nhost: localhost\r\n{auth}\r\n").as_bytes()).await;
    }

    /// Reads more; false at the end of the connection.
    async fn fill(&mut self) -> bool {
        let mut chunk = [0u8; 4096];
        let n = tokio::time::timeout(Duration::from_secs(10), self.socket.read(&mut chunk))
            .await
            .expect("the server answered within 10 s")
            .unwrap_or(0);
        self.buffer.extend_from_slice(&chunk[..n]);
        n > 0
    }

    async fn head(&mut self) -> Head {
        loop {
            if let Some(end) = self.buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                let text = String::from_utf8(self.buffer.drain(..end + 4).collect()).expect("utf-8 head");
                let mut lines = text.split("\r\n");
                let status = lines.next().and_then(|l| l.split(' ').nth(1)).and_then(|s| s.parse().ok());
                let headers = lines
                    .filter_map(|l| l.split_once(": "))
                    .map(|(name, value)| (name.to_ascii_lowercase(), value.to_owned()))
                    .collect();
                return Head { status: status.expect("a status line"), headers };
            }
            assert!(self.fill().await, "the connection closed before a response head");
        }
    }

    /// The next chunk of a chunked body (empty: the last one).
    async fn chunk(&mut self) -> String {
        loop {
            if let Some(line_end) = self.buffer.windows(2).position(|w| w == b"\r\n") {
                let size = std::str::from_utf8(&self.buffer[..line_end]).expect("chunk size");
                let size = usize::from_str_radix(size, 16).expect("hex chunk size");
                if self.buffer.len() >= line_end + 2 + size + 2 {
                    let data = self.buffer[line_end + 2..line_end + 2 + size].to_vec();
                    assert_eq!(&self.buffer[line_end + 2 + size..line_end + 4 + size], b"\r\n");
                    self.buffer.drain(..line_end + 4 + size);
                    return String::from_utf8(data).expect("utf-8 chunk");
                }
            }
            assert!(self.fill().await, "the connection closed inside a chunked body");
        }
    }

    /// A body of `length` bytes.
    async fn body(&mut self, length: usize) -> Value {
        while self.buffer.len() < length {
            assert!(self.fill().await, "the connection closed inside a body");
        }
        let body: Vec<u8> = self.buffer.drain(..length).collect();
        serde_json::from_slice(&body).expect("a JSON body")
    }

    /// A refusal with `status`: its JSON body's `error` message.
    async fn refusal(&mut self, status: u16) -> String {
        let head = self.head().await;
        assert_eq!(head.status, status);
        let body = self.body(head.headers["content-length"].parse().expect("length")).await;
        body["error"].as_str().unwrap_or_else(|| panic!("no error message in {body}")).to_owned()
    }

    /// Reads until the server closes the connection; what it sent meanwhile.
    async fn until_closed(&mut self) -> Vec<u8> {
        while self.fill().await {}
        std::mem::take(&mut self.buffer)
    }
}

async fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(Instant::now() < deadline, "{what}: not within 10 s");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// A replica with one chat of a teacher and a student, its listener caught up.
async fn one_chat() -> (TestApp, User, User, i64) {
    let app = TestApp::spawn().await;
    let (teacher, student) = (app.user("teacher", "T").await, app.user("student", "S").await);
    let chat = app.chat(&teacher, &student).await;
    app.settled().await;
    (app, teacher, student, chat)
}

#[tokio::test]
async fn a_stream_that_opens_its_connection_is_answered_directly_and_ends_when_the_client_goes() {
    let (app, teacher, student, chat) = one_chat().await;

    let mut raw = Raw::open(&app).await;
    raw.get("/api/events/chat", Some(&student.token)).await;
    let head = raw.head().await;
    assert_eq!(head.status, 200);
    assert_eq!(head.headers["content-type"], "text/event-stream");
    assert_eq!(head.headers["transfer-encoding"], "chunked");
    assert_eq!(head.headers["connection"], "keep-alive", "the specification's header, answered without hyper");
    assert_eq!(head.headers["x-content-type-options"], "nosniff", "through the router's layers");
    assert!(head.headers.contains_key("date"));
    assert!(raw.chunk().await.starts_with("retry: "));

    let sent = app.send(&teacher, chat, "over the direct path").await;
    let frame = raw.chunk().await;
    assert!(frame.starts_with("id: ") && frame.contains("event: new_message"), "{frame}");
    assert!(frame.contains(&format!("\"id\":{sent}")), "{frame}");
    assert_eq!(app.state.hub.connections(), 1);

    drop(raw); // the browser tab closes
    wait_for("the stream was dropped when its client went away", || app.state.hub.connections() == 0).await;
}

#[tokio::test]
async fn a_stream_on_a_kept_alive_connection_is_served_by_hyper_the_same_way() {
    let (app, teacher, student, chat) = one_chat().await;

    let mut raw = Raw::open(&app).await;
    raw.get("/healthz", None).await;
    let health = raw.head().await;
    assert_eq!(health.status, 200);
    let length = health.headers["content-length"].parse().expect("length");
    raw.body(length).await;

    raw.get("/api/events/chat", Some(&student.token)).await;
    let head = raw.head().await;
    assert_eq!(head.status, 200);
    assert_eq!(head.headers["content-type"], "text/event-stream");
    // Kept alive, and says so: the specification's header, which hyper would leave out.
    assert_eq!(head.headers["connection"], "keep-alive");
    assert!(raw.chunk().await.starts_with("retry: "));
    let sent = app.send(&teacher, chat, "over hyper").await;
    assert!(raw.chunk().await.contains(&format!("\"id\":{sent}")));
}

#[tokio::test]
async fn shutdown_ends_a_direct_stream_with_its_last_chunk() {
    let app = TestApp::spawn().await;
    let student = app.user("student", "S").await;
    app.settled().await;
    let mut raw = Raw::open(&app).await;
    raw.get("/api/events/chat", Some(&student.token)).await;
    assert_eq!(raw.head().await.status, 200);
    assert!(raw.chunk().await.starts_with("retry: "));
    app.shutdown.cancel();
    assert_eq!(raw.chunk().await, "", "the stream ends cleanly");
    assert!(raw.until_closed().await.is_empty(), "then the connection closes");
}

#[tokio::test]
async fn bad_stream_requests_get_json_errors_and_close() {
    let app = TestApp::spawn_with(|c| c.http.header_timeout = Duration::from_secs(1)).await;
    let student = app.user("student", "S").await;

    // No token: the handler's own 401, with a length, then the connection closes.
    let mut raw = Raw::open(&app).await;
    raw.get("/api/events/chat", None).await;
    let head = raw.head().await;
    assert_eq!(head.status, 401);
    assert_eq!(head.headers["connection"], "close");
    let body = raw.body(head.headers["content-length"].parse().expect("length")).await;
    assert!(body["error"].as_str().is_some_and(|e| !e.is_empty()), "{body}");
    assert!(raw.until_closed().await.is_empty());

    // A head longer than 16 KiB.
    let mut raw = Raw::open(&app).await;
    let cookie = "x".repeat(20_000);
    raw.send(format!("GET /api/events/chat HTTP/1.1\r\nhost: localhost\r\ncookie: {cookie}\r\n\r\n").as_bytes()).await;
    let error = raw.refusal(431).await;
    assert!(error.contains("16384"), "{error}");

    // A header line that is not one.
    let mut raw = Raw::open(&app).await;
    raw.send(b"GET /api/events/chat HTTP/1.1\r\nhost: localhost\r\nno colon here\r\n\r\n").await;
    let error = raw.refusal(400).await;
    assert!(error.contains("malformed"), "{error}");

    // A head that never ends: closed after HTTP_HEADER_TIMEOUT_SECS, as hyper closes it.
    let mut raw = Raw::open(&app).await;
    raw.send(b"GET /api/events/chat HTTP/1.1\r\nhost: local").await;
    let started = Instant::now();
    assert!(raw.until_closed().await.is_empty());
    assert!(started.elapsed() >= Duration::from_millis(900), "closed before its timeout");

    // A request line sent a few bytes at a time still gets its stream.
    let mut raw = Raw::open(&app).await;
    for part in [&b"GET /api/e"[..], b"vents/ch", b"at?last_event_id= HTTP/1.1\r\n"] {
        raw.send(part).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    raw.send(format!("authorization: Bearer {}\r\n\r\n", student.token).as_bytes()).await;
    let head = raw.head().await;
    assert_eq!((head.status, head.headers["connection"].as_str()), (200, "keep-alive"));
    assert!(raw.chunk().await.starts_with("retry: "));

    // Only the stream's own path: `/api/events/chatty` is hyper's (and not found).
    let mut raw = Raw::open(&app).await;
    raw.get("/api/events/chatty", Some(&student.token)).await;
    let head = raw.head().await;
    assert_eq!(head.status, 404);
    assert!(!head.headers.contains_key("connection"));
}

#[tokio::test]
async fn an_http_1_0_stream_ends_with_its_connection() {
    let (app, teacher, student, chat) = one_chat().await;
    let mut raw = Raw::open(&app).await;
    raw.send(format!("GET /api/events/chat HTTP/1.0\r\nauthorization: Bearer {}\r\n\r\n", student.token).as_bytes())
        .await;
    let head = raw.head().await;
    assert_eq!(head.status, 200);
    assert!(!head.headers.contains_key("transfer-encoding"), "HTTP/1.0 has no chunks");
    let sent = app.send(&teacher, chat, "to an old client").await;
    while !String::from_utf8_lossy(&raw.buffer).contains(&format!("\"id\":{sent}")) {
        assert!(raw.fill().await, "closed before the message");
    }
    assert!(String::from_utf8_lossy(&raw.buffer).starts_with("retry: "));
}

/// The complete chunks at the start of a chunked body that may have been cut anywhere.
fn complete_chunks(mut body: &[u8]) -> Vec<String> {
    let mut chunks = Vec::new();
    while let Some(line_end) = body.windows(2).position(|w| w == b"\r\n") {
        let Some(size) = std::str::from_utf8(&body[..line_end]).ok().and_then(|s| usize::from_str_radix(s, 16).ok())
        else {
            break;
        };
        let end = line_end + 2 + size + 2;
        if size == 0 || body.len() < end {
            break;
        }
        chunks.push(String::from_utf8_lossy(&body[line_end + 2..end - 2]).into_owned());
        body = &body[end..];
    }
    chunks
}

#[tokio::test]
async fn a_client_that_stops_reading_is_closed_after_the_send_timeout_and_loses_nothing() {
    stops_reading(false).await;
}

/// The same for a stream asked for on a kept-alive connection, which hyper serves.
#[tokio::test]
async fn a_client_that_stops_reading_a_stream_hyper_serves_is_closed_too() {
    stops_reading(true).await;
}

/// A client that stops reading its stream (asked for as its connection's second request when
/// `kept_alive`) is closed after the send timeout, counted, and resumes without a loss.
async fn stops_reading(kept_alive: bool) {
    let app = TestApp::spawn_with(|c| {
        c.sse.send_timeout = Duration::from_secs(1);
        c.rate.writes_per_sec = 100_000;
        c.rate.writes_burst = 100_000;
    })
    .await;
    let (teacher, student) = (app.user("teacher", "T").await, app.user("student", "S").await);
    let chat = app.chat(&teacher, &student).await;
    app.settled().await;

    // A client with a small receive window that reads the answer's head, then nothing more, and
    // never closes: the replica's writes to it wait once the socket buffers on the way are full.
    let socket = tokio::net::TcpSocket::new_v4().expect("a socket");
    socket.set_recv_buffer_size(4096).expect("a small receive buffer");
    let mut raw = Raw { socket: socket.connect(app.addr).await.expect("connect"), buffer: Vec::new() };
    if kept_alive {
        raw.get("/api/chats", Some(&student.token)).await;
        let head = raw.head().await;
        assert_eq!(head.status, 200);
        let length = head.headers["content-length"].parse().expect("a length");
        raw.body(length).await;
    }
    raw.get("/api/events/chat", Some(&student.token)).await;
    assert_eq!(raw.head().await.status, 200);
    assert!(raw.chunk().await.starts_with("retry: "));

    // Messages of 10 kB until the replica has closed the stream (far fewer than its queue of
    // 1,024 frames: nothing but the send timeout can end it).
    let text = "x".repeat(10_000);
    let mut sent = Vec::new();
    while app.state.hub.streams_of(student.id) > 0 {
        assert!(sent.len() < 800, "the stream is still open with {} messages of 10 kB unread", sent.len());
        for _ in 0..20 {
            sent.push(app.send(&teacher, chat, &text).await);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!("the stream closed after {} messages ({} kB) were sent to it", sent.len(), sent.len() * 10);
    let stalled = app.metric("tutorchat_stalled_stream_disconnects_total").await;
    assert!(stalled.is_some_and(|n| n >= 1.0), "the close is counted: {stalled:?}");

    // The client reads again: what the connection held, then its end.
    let body = raw.until_closed().await;
    let frames: Vec<String> = complete_chunks(&body).into_iter().filter(|f| f.contains("event: new_message")).collect();
    assert!(frames.len() < sent.len(), "{} of {} frames before the close", frames.len(), sent.len());
    let message_id = |data: &str| -> i64 {
        let json = data.lines().find_map(|l| l.strip_prefix("data: ")).expect("a data line");
        serde_json::from_str::<Value>(json).expect("JSON data")["message"]["id"].as_i64().expect("a message id")
    };
    let mut received: Vec<i64> = frames.iter().map(|f| message_id(f.as_str())).collect();

    // It reconnects with the last id it has, and gets the rest: every message once, in order.
    let last_position = frames.last().and_then(|f| f.lines().find_map(|l| l.strip_prefix("id: "))).map(str::to_owned);
    let mut resumed = app.stream(&student, last_position.as_deref()).await;
    while received.len() < sent.len() {
        let event = resumed.event_within(Duration::from_secs(10)).await;
        if event.event == "new_message" {
            received.push(event.json()["message"]["id"].as_i64().expect("a message id"));
        }
    }
    assert_eq!(received, sent, "every message once, in order, across the close and the resume");
}
