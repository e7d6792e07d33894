//! Socket.IO's one size limit, on both transports: a WebSocket message past it ends the
//! connection before anything of it is parsed or authenticated (socketioxide's WebSocket takes
//! 64 MiB by default, whatever `maxPayload` advertises), and the handshake advertises the limit
//! the server holds. Tried with a real WebSocket client (Python's `websockets`), speaking
//! Engine.IO's packets by hand as an attacker would.

use std::time::Duration;

use crate::helpers::{TestApp, WsClient};

/// The sockets' limit (`api::dialects::socket::MAX_MESSAGE`).
const LIMIT: usize = 256 * 1024;

/// The next report that is not Engine.IO's ping (`2`, which the client shows as JSON).
async fn next(client: &mut WsClient) -> serde_json::Value {
    loop {
        let report = client.report(crate::helpers::PATIENCE).await;
        if report["event"] != "frame" || (report["data"] != 2 && report["data"] != "2") {
            return report;
        }
    }
}

#[tokio::test]
async fn a_connect_packet_past_the_limit_ends_the_socket_before_any_credential_is_read() {
    let a = TestApp::spawn().await;
    let student = a.user("student", "Мария").await;
    a.settled().await;
    let url = format!("ws://{}/socket.io/?EIO=4&transport=websocket", a.addr);

    // The handshake's open packet advertises the limit the server holds.
    let mut client = WsClient::start_with_headers(std::slice::from_ref(&url), &[], false);
    client.opened().await;
    let open = next(&mut client).await;
    let text = open["data"].as_str().map(str::to_owned).unwrap_or_else(|| open["data"].to_string());
    assert!(text.contains(&format!("\"maxPayload\":{LIMIT}")), "{open}");

    // A connect packet of a valid token padded past the limit: the connection ends, no
    // `connect` answered, whatever the token.
    let pad = "A".repeat(LIMIT + 1024);
    client.send_text(&format!("40{{\"token\":\"{}\",\"pad\":\"{pad}\"}}", student.token)).await;
    let report = next(&mut client).await;
    assert_eq!(report["event"], "closed", "the socket survived a message past the limit: {report}");

    // Within the limit, the same token connects.
    let mut client = WsClient::start_with_headers(&[url], &[], false);
    client.opened().await;
    next(&mut client).await; // the open packet
    client.send_text(&format!("40{{\"token\":\"{}\"}}", student.token)).await;
    let connected = next(&mut client).await;
    let text = connected["data"].as_str().map(str::to_owned).unwrap_or_else(|| connected["data"].to_string());
    assert!(text.starts_with("40"), "{connected}");
}

#[tokio::test]
async fn a_read_receipt_lists_at_most_a_hundred_messages_whatever_path_it_takes() {
    let w = super::world().await;
    let mut student = super::connect(&w.a, &w.student, super::client::Transports::WebsocketOnly).await;
    let sent = w.a.send(&w.teacher, w.chat, "прочитай").await;
    assert_eq!(student.frame("new_message").await["message"]["id"], sent);
    let sql = &w.a.sql;
    let reads = || async {
        let counted = "SELECT count(*) FROM events WHERE type = 'chat_read'";
        sql.query_one(counted, &[]).await.expect("count").get::<_, i64>(0)
    };
    let before = reads().await;
    // 101 ids (the newest a real one): an `error` event, nothing in the log.
    let ids: Vec<i64> = (0..100).map(|n| -n).chain([sent]).collect();
    student.emit("read_messages", serde_json::json!({ "conversationId": w.chat, "messageIds": ids })).await;
    let error = student.frame("error").await;
    assert!(error["message"].as_str().is_some_and(|m| m.contains("at most 100")), "{error}");
    assert_eq!(reads().await, before, "a receipt past the bound reached the log");
    // The log's own rule, whatever path appends: psql's INSERT is refused alike.
    let listed: Vec<i64> = (0..101).collect();
    let payload = serde_json::json!({ "up_to_message_id": sent, "message_ids": listed });
    let refused =
        w.a.sql
            .execute(
                "INSERT INTO events (chat_id, actor_id, type, payload) VALUES ($1, $2, 'chat_read', $3)",
                &[&w.chat, &w.student.id, &payload],
            )
            .await;
    let message = refused.expect_err("101 ids").as_db_error().map(|e| e.message().to_owned());
    assert!(message.as_ref().is_some_and(|m| m.contains("at most 100")), "{message:?}");
    // A hundred go through.
    let ids: Vec<i64> = (0..99).map(|n| -n).chain([sent]).collect();
    student.emit("read_messages", serde_json::json!({ "conversationId": w.chat, "messageIds": ids })).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while reads().await == before {
        assert!(std::time::Instant::now() < deadline, "a receipt of 100 ids was not stored");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
