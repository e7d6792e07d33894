//! Every error answers `{"error", "code"}`: the English sentence for people, the stable code for
//! programs (the helper `status_and_json` checks every error any test sees against the table of
//! codes and statuses). Here, each precise code where it is due.

use std::time::Duration;

use jsonwebtoken::Algorithm;
use serde_json::{Value, json};

use crate::helpers::{SECRET, TestApp, User, now, sign, status_and_json};

/// (status, code) of an answer.
async fn coded(response: reqwest::Response) -> (u16, String) {
    let (status, body) = status_and_json(response).await;
    (status, body["code"].as_str().unwrap_or_else(|| panic!("no code in {body}")).to_owned())
}

fn expect(got: (u16, String), status: u16, code: &str) {
    assert_eq!((got.0, got.1.as_str()), (status, code));
}

#[tokio::test]
async fn each_refusal_names_its_precise_code() {
    let app = TestApp::spawn_with(|config| config.append.editing = true).await;
    let (teacher, student) = (app.user("teacher", "T").await, app.user("student", "S").await);
    let (admin, outsider) = (app.user("admin", "A").await, app.user("student", "O").await);
    let chat = app.chat(&teacher, &student).await;
    let first = app.send(&student, chat, "hi").await;

    expect(coded(app.post_message(&student, chat, " \u{200B} ").await).await, 400, "content_blank");
    expect(coded(app.post_message(&student, chat, &"я".repeat(10_001)).await).await, 400, "content_too_long");
    expect(coded(app.post_message(&admin, chat, "x").await).await, 403, "admin_read_only");
    // Every place a message's text is written follows the same rules, with the same codes.
    let direct = |content: &str| {
        let url = app.url(&format!("/api/direct/{}/send", teacher.id));
        app.http.post(url).bearer_auth(&student.token).json(&json!({ "content": content })).send()
    };
    expect(coded(direct("").await.expect("POST")).await, 400, "content_blank");
    expect(coded(direct(&"я".repeat(10_001)).await.expect("POST")).await, 400, "content_too_long");
    expect(coded(app.post_message(&student, chat, "").await).await, 422, "unprocessable");
    let (_, link) = crate::inquiries::link(&app, &teacher, json!({ "title": "Курсы" })).await;
    let token = link["token"].as_str().expect("token");
    let question = |message: &str| json!({ "name": "Гость", "message": message });
    let (status, body, _) = crate::inquiries::visit_with(&app, token, question(" \u{200B} "), None).await;
    assert_eq!((status, body["code"].as_str()), (400, Some("content_blank")), "{body}");
    let (status, body, _) = crate::inquiries::visit_with(&app, token, question(&"я".repeat(10_001)), None).await;
    assert_eq!((status, body["code"].as_str()), (400, Some("content_too_long")), "{body}");
    expect(coded(app.edit(&teacher, first, "x").await).await, 403, "not_author");
    expect(coded(app.edit(&outsider, first, "x").await).await, 403, "forbidden");
    expect(coded(app.post_message(&outsider, chat, "x").await).await, 403, "forbidden");
    expect(coded(app.http.get(app.url("/api/chats")).send().await.expect("GET")).await, 401, "unauthenticated");
    let expired = User {
        id: student.id,
        token: sign(&json!({ "sub": student.id.to_string(), "exp": now() - 3600 }), SECRET, Algorithm::HS256),
    };
    expect(coded(app.get("/api/chats", &expired).send().await.expect("GET")).await, 401, "token_expired");
    expect(coded(app.http.put(app.url("/api/chats")).send().await.expect("PUT")).await, 405, "method_not_allowed");
    let malformed = app
        .http
        .post(app.url("/api/messages"))
        .bearer_auth(&student.token)
        .body("{")
        .header("content-type", "application/json");
    expect(coded(malformed.send().await.expect("POST")).await, 400, "invalid_request");

    // A cookie-authenticated write from another site.
    let cookie = format!("{}={}", app.state.config.auth.cookie_name, student.token);
    let cross = app
        .http
        .post(app.url("/api/messages"))
        .header("cookie", cookie)
        .header("origin", "https://evil.example")
        .json(&json!({ "chat_id": chat, "content": "x" }));
    expect(coded(cross.send().await.expect("POST")).await, 403, "cross_site_request");

    // An Idempotency-Key reused for another message.
    let keyed = |content: &str| {
        app.http
            .post(app.url("/api/messages"))
            .bearer_auth(&student.token)
            .header("idempotency-key", "k-1")
            .json(&json!({ "chat_id": chat, "content": content }))
            .send()
    };
    assert_eq!(keyed("one").await.expect("POST").status(), 201);
    expect(coded(keyed("another").await.expect("POST")).await, 422, "idempotency_key_reused");

    // A deleted message cannot be edited.
    assert_eq!(app.delete_message(&student, first).await.status(), 200);
    expect(coded(app.edit(&student, first, "x").await).await, 409, "message_deleted");
}

#[tokio::test]
async fn a_closed_inquiry_a_spent_guest_and_a_rate_limit_have_codes_of_their_own() {
    let app = TestApp::spawn_with(|c| {
        c.rate.writes_per_sec = 1;
        c.rate.writes_burst = 3;
    })
    .await;
    let (teacher, _, guest, chat) = crate::inquiries::inquiry(&app).await;
    let closed = tutorchat::governance::close_idle(&app.state, Duration::ZERO).await.expect("close");
    assert_eq!(closed, 1);
    expect(coded(app.post_message(&teacher, chat, "late").await).await, 409, "chat_closed");
    expect(coded(app.post_message(&guest, chat, "late").await).await, 401, "guest_session_ended");
    let mut codes = Vec::new();
    for _ in 0..5 {
        let typing = app
            .http
            .post(app.url(&format!("/api/chats/{chat}/typing")))
            .bearer_auth(&teacher.token)
            .json(&json!({ "is_typing": true }));
        codes.push(coded(typing.send().await.expect("POST")).await);
    }
    assert!(codes.contains(&(429, "rate_limited".to_owned())), "{codes:?}");
}

/// The codes the document lists are exactly the codes the server has.
#[tokio::test]
async fn the_document_lists_every_code() {
    let app = TestApp::spawn().await;
    let (status, document): (u16, Value) =
        status_and_json(app.http.get(app.url("/api/openapi.json")).send().await.expect("GET")).await;
    assert_eq!(status, 200);
    let listed: Vec<&str> = document["components"]["schemas"]["Code"]["enum"]
        .as_array()
        .unwrap_or_else(|| panic!("no Code enum in {}", document["components"]["schemas"]["Code"]))
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(!listed.is_empty());
    for code in &listed {
        assert!(crate::helpers::status_of_code(code).is_some(), "{code} has no status in the table");
    }
    assert!(
        document["components"]["schemas"]["ErrorBody"]["required"]
            .as_array()
            .is_some_and(|r| r.contains(&json!("code")))
    );
}

/// The primary specification answers a request about a chat the caller is no participant of
/// with 403. Every chat, message and file the caller may not use answers 403 `forbidden`, in
/// the same words as one that does not exist: ids are sequential, and the answer tells nobody
/// which exist.
#[tokio::test]
async fn a_chat_the_caller_may_not_use_is_403_forbidden_as_one_that_does_not_exist() {
    // Editing on, so that an edit is refused for the message, not for the school's setting.
    let app = TestApp::spawn_with(|config| config.append.editing = true).await;
    let (teacher, student) = (app.user("teacher", "T").await, app.user("student", "S").await);
    let outsider = app.user("student", "O").await;
    let chat = app.chat(&teacher, &student).await;
    let message = app.send(&student, chat, "hi").await;
    let (missing_chat, missing_message) = (chat + 1_000, message + 1_000);
    let requests = |chat: i64, message: i64| {
        let as_outsider = |method: reqwest::Method, path: String| {
            app.http.request(method, app.url(&path)).bearer_auth(&outsider.token)
        };
        [
            as_outsider(reqwest::Method::GET, format!("/api/chats/{chat}/messages")),
            as_outsider(reqwest::Method::GET, format!("/api/chats/{chat}")),
            as_outsider(reqwest::Method::POST, "/api/messages".into())
                .json(&json!({ "chat_id": chat, "content": "x" })),
            as_outsider(reqwest::Method::PUT, format!("/api/messages/{message}")).json(&json!({ "content": "x" })),
            as_outsider(reqwest::Method::DELETE, format!("/api/messages/{message}")),
            as_outsider(reqwest::Method::POST, format!("/api/chats/{chat}/read")),
            as_outsider(reqwest::Method::POST, format!("/api/chats/{chat}/typing")).json(&json!({ "is_typing": true })),
            as_outsider(reqwest::Method::GET, format!("/api/chats/{chat}/export?format=json")),
            as_outsider(reqwest::Method::GET, format!("/api/search?q=hi&chat_id={chat}")),
            as_outsider(reqwest::Method::POST, format!("/api/messages/{message}/report"))
                .json(&json!({ "reason": "x" })),
        ]
    };
    let words = |body: &Value, chat: i64, message: i64| {
        let error = body["error"].as_str().expect("error").to_owned();
        error.replace(&chat.to_string(), "{chat}").replace(&message.to_string(), "{message}")
    };
    for (seen, missing) in requests(chat, message).into_iter().zip(requests(missing_chat, missing_message)) {
        let (status, body) = status_and_json(seen.send().await.expect("request")).await;
        let (missing_status, missing_body) = status_and_json(missing.send().await.expect("request")).await;
        assert_eq!((status, body["code"].as_str()), (403, Some("forbidden")), "{body}");
        assert_eq!((missing_status, missing_body["code"].as_str()), (403, Some("forbidden")), "{missing_body}");
        assert_eq!(words(&body, chat, message), words(&missing_body, missing_chat, missing_message));
    }
}
