//! `GET /api/unet-chat/ws/conversations/{id}/` with Python's `websockets`: every new message
//! of the conversation, from any route on any replica, to every socket of it (the sender's
//! included); the handshake's refusals; a replica shut down under open sockets.

use std::time::Duration;

use jsonwebtoken::Algorithm;
use serde_json::{Value, json};

use super::{World, call, world};
use crate::helpers::{SECRET, TestApp, User, WsClient, now, sign};

/// The socket's URL on `app`, the token as the client sends it (none: no parameter).
fn url(app: &TestApp, chat: i64, token: Option<&str>) -> String {
    let base = format!("ws://{}/api/unet-chat/ws/conversations/{chat}/", app.addr);
    match token {
        Some(token) => format!("{base}?WWW-Authenticate=Bearer%20{token}"),
        None => base,
    }
}

/// `user`'s socket on `chat` at `app`, open.
async fn open(app: &TestApp, user: &User, chat: i64) -> WsClient {
    app.settled().await;
    let mut client = WsClient::start(&[url(app, chat, Some(&user.token))], None, false);
    client.opened().await;
    client
}

/// The next frame's payload, which must be a `message:new`.
async fn next_message(client: &mut WsClient) -> Value {
    let report = client.report(crate::helpers::PATIENCE).await;
    assert_eq!(report["event"], "frame", "waiting for message:new: {report}");
    let frame = &report["data"];
    let fields: Vec<&str> = frame.as_object().map(|o| o.keys().map(String::as_str).collect()).unwrap_or_default();
    assert_eq!((fields, &frame["type"]), (vec!["payload", "type"], &json!("message:new")), "{frame}");
    frame["payload"].clone()
}

/// Sends a message into the other pair's chat and asserts it is the next frame their socket
/// shows: nothing of the first pair's chat came before it.
async fn assert_nothing_before_control(w: &World, other: &mut WsClient) {
    let control = w.b.send(&w.other_teacher, w.other_chat, "control").await;
    assert_eq!(next_message(other).await["id"], control.to_string());
}

#[tokio::test]
async fn a_message_from_any_route_reaches_every_socket_of_the_conversation_on_every_replica() {
    let w = world().await;
    let mut sockets = vec![
        ("teacher", open(&w.a, &w.teacher, w.chat).await),
        ("student", open(&w.a, &w.student, w.chat).await),
        ("admin", open(&w.a, &w.admin, w.chat).await),
    ];
    let mut other = open(&w.a, &w.other_teacher, w.other_chat).await;

    let by_core = w.b.send(&w.student, w.chat, "через REST ядра").await;
    let body = json!({ "conversation_id": w.chat.to_string(), "sender_id": w.student.id, "text": "через unet", "reply_to": by_core.to_string() });
    let (status, sent) = call(&w.b, "POST", Some(&w.student), "/messages/", Some(body)).await;
    assert_eq!(status, 201, "{sent}");
    for (who, socket) in &mut sockets {
        let first = next_message(socket).await;
        assert_eq!(
            (
                &first["id"],
                &first["conversation_id"],
                &first["sender_id"],
                &first["text"],
                &first["reply_to"],
                &first["is_edited"]
            ),
            (
                &json!(by_core.to_string()),
                &json!(w.chat.to_string()),
                &json!(w.student.id),
                &json!("через REST ядра"),
                &Value::Null,
                &json!(false)
            ),
            "{who}: {first}"
        );
        assert!(first["created_at"].as_str().is_some_and(|t| t.contains('T')), "{first}");
        assert_eq!(next_message(socket).await, sent, "{who}: the POST's answer, the sender's own socket included");
    }
    assert_nothing_before_control(&w, &mut other).await;
}

#[tokio::test]
async fn the_handshake_is_refused_before_the_upgrade() {
    let w = world().await;
    let sub = w.student.id.to_string();
    let expired = sign(&json!({ "sub": sub, "exp": now() - 120 }), SECRET, Algorithm::HS256);
    let wrong = sign(&json!({ "sub": sub, "exp": now() + 600 }), "not the secret", Algorithm::HS256);
    let cases = [
        ("no parameter", url(&w.a, w.chat, None), 401),
        ("garbage", url(&w.a, w.chat, Some("garbage")), 401),
        ("not Bearer", format!("{}?WWW-Authenticate={}", url(&w.a, w.chat, None), w.student.token), 401),
        ("expired", url(&w.a, w.chat, Some(&expired)), 401),
        ("wrong secret", url(&w.a, w.chat, Some(&wrong)), 401),
        ("not a member", url(&w.a, w.chat, Some(&w.outsider.token)), 403),
        ("no such conversation", url(&w.a, 999_999, Some(&w.student.token)), 403),
    ];
    for (what, url, status) in cases {
        let mut client = WsClient::start(&[url], None, false);
        let report = client.report(crate::helpers::PATIENCE).await;
        assert_eq!(
            (report["event"].as_str(), report["status"].as_u64()),
            (Some("refused"), Some(status)),
            "{what}: {report}"
        );
        let body: Value = serde_json::from_str(report["body"].as_str().expect("body")).expect("JSON");
        let fields: Vec<&String> = body.as_object().map(|o| o.keys().collect()).unwrap_or_default();
        assert_eq!(fields, ["error"], "{what}: {body}");
    }
    let slash = format!(
        "ws://{}/api/unet-chat/ws/conversations/{}?WWW-Authenticate=Bearer%20{}",
        w.a.addr, w.chat, w.student.token
    );
    let mut client = WsClient::start(&[slash], None, false);
    let report = client.report(crate::helpers::PATIENCE).await;
    assert_eq!(report["status"].as_u64(), Some(404), "the other spelling is not served: {report}");
    // An admin's socket opens, and a header does as well as the parameter.
    let mut admin = open(&w.b, &w.admin, w.chat).await;
    let mut header = WsClient::start(
        &[url(&w.a, w.chat, None)],
        Some((&w.student.token, crate::helpers::WsCredential::Header)),
        false,
    );
    header.opened().await;
    let sent = w.a.send(&w.teacher, w.chat, "открыто").await;
    assert_eq!(next_message(&mut admin).await["id"], sent.to_string());
    assert_eq!(next_message(&mut header).await["id"], sent.to_string());
}

#[tokio::test]
async fn a_replica_shut_down_under_a_socket_sends_its_client_to_another() {
    let w = world().await;
    let c = TestApp::spawn_on(w.a.database.clone(), |_| {}).await; // to shut down
    c.settled().await;
    let urls = [url(&c, w.chat, Some(&w.student.token)), url(&w.b, w.chat, Some(&w.student.token))];
    let mut student = WsClient::start(&urls, None, true);
    student.opened().await;
    let before = w.a.send(&w.teacher, w.chat, "до").await;
    assert_eq!(next_message(&mut student).await["id"], before.to_string());
    drop(c); // the replica shuts down with the socket open
    let closed = student.report(crate::helpers::PATIENCE).await;
    assert_eq!(
        (closed["event"].as_str(), closed["code"].as_u64()),
        (Some("closed"), Some(1001)),
        "going away: {closed}"
    );
    let reopened = student.report(crate::helpers::PATIENCE).await;
    assert_eq!(reopened["event"], "open", "{reopened}");
    assert!(reopened["url"].as_str().is_some_and(|u| u.starts_with(&format!("ws://{}/", w.b.addr))), "{reopened}");
    w.b.settled().await;
    // No resume in this contract: the client reads the history for what it missed meanwhile.
    let after = w.a.send(&w.teacher, w.chat, "после").await;
    assert_eq!(next_message(&mut student).await["id"], after.to_string());
    let (_, history) = call(&w.b, "GET", Some(&w.student), &format!("/messages/{}", w.chat), None).await;
    assert_eq!(history.as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn a_plain_request_of_a_socket_learns_nothing_and_is_told_to_upgrade() {
    let w = world().await;
    let plain = |chat: i64| {
        let url = format!("{}?WWW-Authenticate=Bearer%20{}", url(&w.a, chat, None), w.student.token);
        w.a.http.get(url.replace("ws://", "http://")).send()
    };
    let v1 = w.a.http.get(w.a.url("/api/v1/ws")).bearer_auth(&w.student.token).send();
    for (what, response) in [
        ("the caller's", plain(w.chat).await),
        ("another's", plain(w.other_chat).await),
        ("none", plain(999_999).await),
        ("v1's socket", v1.await),
    ] {
        let response = response.expect("GET");
        assert_eq!(response.status(), 426, "{what}");
        assert_eq!(response.headers().get("upgrade").map(|v| v.as_bytes()), Some(&b"websocket"[..]), "{what}");
        let body: Value = response.json().await.expect("JSON");
        assert!(body["error"].as_str().is_some_and(|e| e.contains("WebSocket")), "{what}: {body}");
    }
}

#[tokio::test]
async fn an_admins_socket_on_one_conversation_is_a_read_of_that_conversation_only() {
    let w = world().await;
    let mut admin = open(&w.b, &w.admin, w.chat).await;
    let records = |chat: i64| {
        let sql = &w.a.sql;
        async move {
            let row = sql
                .query_one("SELECT count(*) FROM access_records WHERE chat_id = $1 AND via = 'stream'", &[&chat])
                .await
                .expect("count");
            row.get::<_, i64>(0)
        }
    };
    // Another chat's message first, then this one's: the records are written in that order.
    w.a.send(&w.other_teacher, w.other_chat, "не здесь").await;
    let here = w.a.send(&w.student, w.chat, "здесь").await;
    assert_eq!(next_message(&mut admin).await["id"], here.to_string(), "the socket shows only its conversation");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while records(w.chat).await == 0 {
        assert!(std::time::Instant::now() < deadline, "the conversation's read was never recorded");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(records(w.other_chat).await, 0, "a chat the admin never saw is recorded as read by them");
}
