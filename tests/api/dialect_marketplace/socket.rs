//! `GET /api/chat/ws/{chat_id}`: a visitor and a teacher talk across replicas, typing and the
//! read marker, malformed frames survived, the handshake's refusals, a replica killed.

use std::time::Duration;

use serde_json::json;
use uuid::Uuid;

use super::{World, next, socket, visitor_chat, world};
use crate::helpers::WsClient;

fn frame(kind: &str, fields: serde_json::Value) -> String {
    let mut frame = json!({ "type": kind });
    frame.as_object_mut().expect("object").extend(fields.as_object().expect("object").clone());
    frame.to_string()
}

#[tokio::test]
async fn a_visitor_and_the_teacher_talk_across_replicas_whatever_route_sends() {
    let w: World = world().await;
    let (chat, uuid) = visitor_chat(&w, &w.a).await;
    let mut visitor = socket(&w.a, chat, &uuid.to_string(), None).await;
    let mut teacher = socket(&w.b, chat, &w.teacher.id.to_string(), Some(&w.teacher)).await;
    let mut admin = socket(&w.a, chat, &w.admin.id.to_string(), Some(&w.admin)).await;

    visitor
        .send_text(&frame("message", json!({ "message_text": "Есть <места>?", "sender_is_registered": true })))
        .await;
    let seen = next(&mut teacher).await;
    assert_eq!(seen["type"], "message", "{seen}");
    let message = &seen["message"];
    let public: String =
        w.a.sql.query_one("SELECT buyer_public::text FROM marketplace_chats", &[]).await.expect("row").get(0);
    assert_eq!(
        (&message["sender_id"], &message["message_text"]),
        (&json!(public), &json!("Есть &lt;места&gt;?")),
        "the seller knows the visitor by their public UUID: {seen}"
    );
    assert!(message["id"].is_i64() && message["created_at"].is_string(), "{seen}");
    assert_eq!(next(&mut admin).await, seen, "admins read every chat");
    let mut own = seen.clone();
    own["message"]["sender_id"] = json!(uuid.to_string());
    assert_eq!(next(&mut visitor).await, own, "the sender's socket gets it too, with its id, named as they came");

    // The core's POST reaches the visitor's socket on the other replica.
    let id = w.b.send(&w.teacher, chat, "Да").await;
    let answer = next(&mut visitor).await;
    assert_eq!(
        (answer["message"]["id"].as_i64(), &answer["message"]["sender_id"]),
        (Some(id), &json!(w.teacher.id.to_string()))
    );
    assert_eq!(next(&mut teacher).await["message"]["id"].as_i64(), Some(id));
    assert_eq!(next(&mut admin).await["message"]["id"].as_i64(), Some(id));

    // Typing to the other side only.
    teacher.send_text(&frame("typing", json!({ "is_typing": true }))).await;
    assert_eq!(next(&mut visitor).await, json!({ "type": "typing", "is_typing": true }));
    // Read: the visitor's unread count for the chat becomes 0.
    visitor.send_text(&frame("read", json!({}))).await;
    let unread = || async {
        let sql = "SELECT n.unread FROM chat_participants p
                   CROSS JOIN LATERAL chat_unread(p.chat_id, p.user_id, p.last_read_message_id) n
                   JOIN marketplace_chats m ON m.buyer_id = p.user_id AND m.chat_id = p.chat_id WHERE m.chat_id = $1";
        w.a.sql.query_one(sql, &[&chat]).await.expect("unread").get::<_, i64>(0)
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while unread().await != 0 {
        assert!(std::time::Instant::now() < deadline, "the visitor's unread count stays above 0");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Malformed frames: an error each, the socket stays open and the next valid one goes through.
    for bad in
        ["not json", r#"{"type":"message"}"#, r#"{"type":"message","message_text":"   "}"#, r#"{"type":"dance"}"#]
    {
        visitor.send_text(bad).await;
        let error = next(&mut visitor).await;
        assert!(error["type"] == "error" && error["error"].as_str().is_some_and(|e| !e.is_empty()), "{bad}: {error}");
    }
    admin.send_text(&frame("message", json!({ "message_text": "от завуча" }))).await;
    assert_eq!(next(&mut admin).await["type"], "error", "admins never write");
    visitor.send_text(&frame("message", json!({ "message_text": "ещё вопрос" }))).await;
    assert_eq!(next(&mut teacher).await["message"]["message_text"], "ещё вопрос");
    let stored: i64 =
        w.a.sql.query_one("SELECT count(*) FROM messages WHERE chat_id = $1", &[&chat]).await.expect("count").get(0);
    assert_eq!(stored, 3, "nothing malformed or an admin's stored");
}

#[tokio::test]
async fn the_handshake_refuses_unknown_visitors_strangers_and_unknown_chats() {
    let w = world().await;
    let (chat, uuid) = visitor_chat(&w, &w.a).await;
    let (other_chat, _) = visitor_chat(&w, &w.a).await;
    w.a.settled().await;
    let refused = |path: String, cookie: Option<&crate::helpers::User>| {
        let url = format!("ws://{}{path}", w.a.addr);
        let headers: Vec<String> = cookie.map(|u| format!("Cookie: access_token={}", u.token)).into_iter().collect();
        async move {
            let mut client = WsClient::start_with_headers(&[url], &headers, false);
            let report = client.report(crate::helpers::PATIENCE).await;
            assert_eq!(report["event"], "refused", "{report}");
            report["status"].as_u64().expect("status")
        }
    };
    assert_eq!(refused(format!("/api/chat/ws/{chat}?user_id={}", Uuid::new_v4()), None).await, 401, "an unknown UUID");
    assert_eq!(refused(format!("/api/chat/ws/{other_chat}?user_id={uuid}"), None).await, 403, "another visitor's chat");
    assert_eq!(
        refused(format!("/api/chat/ws/{chat}?user_id={}", w.teacher.id), None).await,
        401,
        "a teacher's id without the cookie"
    );
    let other = &w.other_teacher;
    assert_eq!(refused(format!("/api/chat/ws/{chat}?user_id={}", other.id), Some(other)).await, 403, "another teacher");
    assert_eq!(
        refused(format!("/api/chat/ws/{chat}?user_id={}", w.teacher.id), Some(other)).await,
        403,
        "somebody else's id"
    );
    assert_eq!(
        refused(format!("/api/chat/ws/999999?user_id={}", w.teacher.id), Some(&w.teacher)).await,
        403,
        "an unknown chat"
    );
}

#[tokio::test]
async fn a_killed_replicas_visitor_socket_reconnects_to_another_and_goes_on() {
    let w = world().await;
    let (chat, uuid) = visitor_chat(&w, &w.a).await;
    let c = crate::helpers::TestApp::spawn_on(w.a.database.clone(), |_| {}).await; // to kill
    c.settled().await;
    let url = |app: &crate::helpers::TestApp| format!("ws://{}/api/chat/ws/{chat}?user_id={uuid}", app.addr);
    let mut visitor = WsClient::start_with_headers(&[url(&c), url(&w.b)], &[], true);
    visitor.opened().await;
    let before = w.a.send(&w.teacher, chat, "до").await;
    assert_eq!(next(&mut visitor).await["message"]["id"].as_i64(), Some(before));
    drop(c); // the replica stops with the socket open
    let closed = visitor.report(crate::helpers::PATIENCE).await;
    assert_eq!((closed["event"].as_str(), closed["code"].as_u64()), (Some("closed"), Some(1001)), "{closed}");
    let reopened = visitor.report(crate::helpers::PATIENCE).await;
    assert_eq!(reopened["event"], "open", "{reopened}");
    w.b.settled().await;
    let after = w.a.send(&w.teacher, chat, "после").await;
    assert_eq!(next(&mut visitor).await["message"]["id"].as_i64(), Some(after));
}

#[tokio::test]
async fn a_message_quiet_hours_hold_is_told_to_its_sender() {
    let w = super::world_with(crate::quiet_hours::quiet).await;
    w.a.state.clock.set(crate::quiet_hours::EVENING);
    let teacher = w.teacher.id.to_string();
    let mut socket = socket(&w.a, w.lesson_chat, &teacher, Some(&w.teacher)).await;
    socket.send_text(&frame("message", json!({ "message_text": "Задание на завтра" }))).await;
    let told = next(&mut socket).await;
    let text = told["error"].as_str().unwrap_or_default();
    assert!(told["type"] == "error" && text.contains("2036-11-26T05:00:00Z"), "{told}");
    let held: i64 = w.a.sql.query_one("SELECT count(*) FROM held_messages", &[]).await.expect("count").get(0);
    assert_eq!(held, 1, "held, not refused");
}
