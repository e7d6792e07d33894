//! The binary's logs as JSON: one object per line, each line of a request with its route and id.

use serde_json::json;

use super::{config_url, start, tutorchat};
use crate::dialect_messenger::{Auth, Sio, Transports};
use crate::helpers::{SECRET, TestApp};

#[tokio::test]
async fn json_logs_are_one_object_per_line() {
    let app = TestApp::spawn().await;
    let mut running = start(
        tutorchat()
            .arg("serve")
            .env("JWT_SECRET", SECRET)
            .env("LOG_FORMAT", "json")
            .env("DATABASE_URL", config_url(&app.database)),
    );
    let health = reqwest::get(format!("http://{}/healthz", running.addr)).await.expect("healthz");
    assert_eq!(health.status(), 200);
    let (status, lines) = running.stop();
    assert!(status.success());
    let request = lines
        .iter()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|v| v["fields"]["message"] == "request")
        .unwrap_or_else(|| panic!("no JSON request line in {lines:#?}"));
    assert_eq!(request["fields"]["path"], "/healthz");
    assert_eq!(request["fields"]["status"], 200);
    assert!(request["fields"]["latency_ms"].is_number() && request["level"] == "INFO");
}

#[tokio::test]
async fn every_log_line_of_a_request_carries_its_route_and_request_id() {
    let app = TestApp::spawn().await;
    let user = app.user("student", "S").await;
    let email: String =
        app.sql.query_one("SELECT email FROM users WHERE id = $1", &[&user.id]).await.expect("email").get(0);
    let mut running = start(
        tutorchat()
            .arg("serve")
            .env("JWT_SECRET", SECRET)
            .env("DEV_LOGIN", "true")
            .env("LOG_FORMAT", "json")
            .env("DATABASE_URL", config_url(&app.database)),
    );
    let http = reqwest::Client::new();
    let login = http
        .post(format!("http://{}/api/dev/login", running.addr))
        .header("x-request-id", "req-42.a")
        .json(&json!({ "email": email }))
        .send()
        .await
        .expect("login");
    assert_eq!(login.status(), 200);
    assert_eq!(login.headers()["x-request-id"], "req-42.a", "the request id is echoed");
    let health = http.get(format!("http://{}/healthz", running.addr)).send().await.expect("healthz");
    let generated = health.headers()["x-request-id"].to_str().expect("text").to_owned();
    assert!(generated.len() >= 16, "a request without an id gets one: {generated:?}");

    let (status, lines) = running.stop();
    assert!(status.success());
    let lines: Vec<serde_json::Value> = lines.iter().filter_map(|l| serde_json::from_str(l).ok()).collect();
    assert!(
        lines.iter().any(|l| l["level"] == "WARN"
            && l["fields"]["message"].as_str().is_some_and(|m| m.contains("DEV_LOGIN is on without --demo"))),
        "dev login outside demo mode is announced loudly: {lines:#?}"
    );
    // The request's span, wherever it is in the line's stack of spans (a handler's own span
    // sits inside it).
    let request_span = |line: &serde_json::Value| -> Option<serde_json::Value> {
        line["spans"].as_array()?.iter().find(|s| s["name"] == "request").cloned()
    };
    let of_login: Vec<&serde_json::Value> =
        lines.iter().filter(|l| request_span(l).is_some_and(|s| s["request_id"] == "req-42.a")).collect();
    let messages: Vec<&str> = of_login.iter().filter_map(|l| l["fields"]["message"].as_str()).collect();
    assert!(
        messages.contains(&"signed in with dev login") && messages.contains(&"request"),
        "the handler's line and the request line both carry the request id: {of_login:#?}"
    );
    for line in of_login {
        let span = request_span(line).expect("the request span");
        assert_eq!(span["route"], "/api/dev/login", "{line}");
        assert_eq!(span["method"], "POST", "{line}");
    }
    assert!(
        lines
            .iter()
            .filter_map(request_span)
            .any(|s| s["request_id"] == generated.as_str() && s["route"] == "/healthz"),
        "the generated id is the one logged: {lines:#?}"
    );
}

/// The server's log keeps paths, never their queries (search words, stream tickets), nor the
/// address of a refused sign-in (security review L5).
#[tokio::test]
async fn the_log_keeps_no_query_and_no_refused_email() {
    let app = TestApp::spawn().await;
    let user = app.user("student", "S").await;
    let mut running = start(
        tutorchat()
            .arg("serve")
            .env("JWT_SECRET", SECRET)
            .env("DEV_LOGIN", "true")
            .env("DATABASE_URL", config_url(&app.database)),
    );
    let http = reqwest::Client::new();
    let url = |path: &str| format!("http://{}{path}", running.addr);
    let search = http.get(url("/api/search?q=secretword")).bearer_auth(&user.token).send().await.expect("search");
    assert_eq!(search.status(), 200);
    let stream = http.get(url("/api/events/chat?token=secretticket")).send().await.expect("stream");
    assert_eq!(stream.status(), 401);
    let login = http.post(url("/api/dev/login")).json(&json!({ "email": "nobody@secret.example" })).send().await;
    assert_eq!(login.expect("login").status(), 404);

    let (status, lines) = running.stop();
    assert!(status.success());
    let all = lines.join("\n");
    assert!(all.contains("/api/search") && all.contains("/api/events/chat"), "the requests are logged: {all}");
    for secret in ["secretword", "secretticket", "nobody@secret.example"] {
        assert!(!all.contains(secret), "{secret:?} is in the log: {all}");
    }
}

/// A JWT in the URL (the stream's `?token=`, the `/api/v1` socket's, the unet-chat socket's
/// `?WWW-Authenticate=`) or in a Socket.IO connect packet is logged nowhere, not
/// even at debug level, whether it is accepted or refused.
#[tokio::test]
async fn a_token_in_the_url_is_written_to_no_log() {
    let app = TestApp::spawn().await;
    let user = app.user("student", "S").await;
    let expired = crate::helpers::sign(
        &json!({ "sub": user.id.to_string(), "exp": crate::helpers::now() - 60 }),
        SECRET,
        jsonwebtoken::Algorithm::HS256,
    );
    let mut running = start(
        tutorchat()
            .arg("serve")
            .env("JWT_SECRET", SECRET)
            .env("LOG_FORMAT", "json")
            .env("RUST_LOG", "debug")
            .env("DATABASE_URL", config_url(&app.database)),
    );
    let http = reqwest::Client::new();
    let url = |path: &str, token: &str| format!("http://{}{path}?token={token}", running.addr);
    let mut stream = http.get(url("/api/events/chat", &user.token)).send().await.expect("stream");
    assert_eq!(stream.status(), 200);
    assert!(stream.chunk().await.expect("a chunk").is_some());
    drop(stream);
    for (path, token, status) in
        [("/api/events/chat", &expired, 401), ("/api/v1/ws", &user.token, 426), ("/api/v1/ws", &expired, 401)]
    {
        let response = http.get(url(path, token)).send().await.expect("GET");
        assert_eq!(response.status(), status, "{path}");
    }
    // The unet-chat socket's `?WWW-Authenticate=Bearer%20<JWT>`: a valid token (a plain
    // request, not a handshake: 426) and an expired one.
    let unet = |token: &str| {
        format!("http://{}/api/unet-chat/ws/conversations/1/?WWW-Authenticate=Bearer%20{token}", running.addr)
    };
    for (token, status) in [(&user.token, 426), (&expired, 401)] {
        assert_eq!(http.get(unet(token)).send().await.expect("GET").status(), status, "unet-chat");
    }
    // Socket.IO's connect packet carries the token (its library logs packets at debug).
    let base = format!("http://{}", running.addr);
    let mut socket = Sio::start(&[base], Auth::Token(&user.token), Transports::PollingOnly, false);
    socket.connected().await;
    drop(socket);
    let (status, lines) = running.stop();
    assert!(status.success());
    assert!(lines.iter().any(|l| l.contains("/api/v1/ws")), "the requests were logged, by path");
    assert!(lines.iter().any(|l| l.contains("/api/unet-chat/ws/")), "the requests were logged, by path");
    for token in [&user.token, &expired] {
        let signature = token.rsplit('.').next().expect("a signature");
        let leaked: Vec<&String> = lines.iter().filter(|l| l.contains(signature)).collect();
        assert!(leaked.is_empty(), "a token in the logs: {leaked:#?}");
    }
}
