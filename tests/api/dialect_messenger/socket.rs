//! `/socket.io/` with the official socket.io client over both transports: delivery from every
//! route on every replica (the sender's own socket included), typing, presence, read receipts,
//! every refusal answered and survived, the handshake's refusals, and a replica shut down under
//! open sockets.

use jsonwebtoken::Algorithm;
use serde_json::{Value, json};

use super::client::{Auth, BOTH};
use super::{Sio, Transports, World, base, connect, stored, world};
use crate::helpers::{SECRET, TestApp, now, sign};

/// Sends a message into the outsider's own chat and asserts it is the next event the
/// outsider's socket shows: nothing of the pair's chat came before it.
async fn assert_nothing_before_control(w: &World, outsider: &mut Sio) {
    let control = w.b.send(&w.other_teacher, w.other_chat, "control").await;
    assert_eq!(outsider.frame("new_message").await["message"]["id"], control);
}

/// A `new_message` as (id, sender, content), after checking its shape.
fn seen(frame: &Value, chat: i64) -> (i64, i64, String) {
    assert_eq!(frame["conversation_id"], chat, "{frame}");
    let message = &frame["message"];
    let fields: Vec<&String> = message.as_object().map(|o| o.keys().collect()).unwrap_or_default();
    assert_eq!(
        fields,
        ["attachments", "content", "conversation_id", "created_at", "id", "sender_id", "type"],
        "{frame}"
    );
    assert_eq!((&message["conversation_id"], &message["type"]), (&json!(chat), &json!("text")), "{frame}");
    let at = message["created_at"].as_str().expect("created_at");
    assert!(time::OffsetDateTime::parse(at, &time::format_description::well_known::Iso8601::DEFAULT).is_ok(), "{at}");
    let content = message["content"].as_str().expect("content").to_owned();
    (message["id"].as_i64().expect("id"), message["sender_id"].as_i64().expect("sender_id"), content)
}

#[tokio::test]
async fn a_message_from_either_route_reaches_every_socket_of_the_room_the_senders_included() {
    let w = world().await;
    for transports in BOTH {
        let mut teacher = connect(&w.a, &w.teacher, transports).await;
        let mut student = connect(&w.a, &w.student, transports).await;
        let mut admin = connect(&w.b, &w.admin, transports).await;
        let mut outsider = connect(&w.b, &w.outsider, transports).await;
        // The core's POST on B; the socket's send_message on A.
        let by_core = w.b.send(&w.student, w.chat, "через REST ядра").await;
        let mut expected = vec![(by_core, w.student.id, "через REST ядра".to_owned())];
        assert_eq!(seen(&student.frame("new_message").await, w.chat), expected[0], "the sender's own socket");
        assert_eq!(seen(&teacher.frame("new_message").await, w.chat), expected[0]);
        teacher.emit("send_message", json!({ "conversationId": w.chat, "content": "через сокет" })).await;
        let echoed = seen(&teacher.frame("new_message").await, w.chat);
        assert_eq!((echoed.1, echoed.2.as_str()), (w.teacher.id, "через сокет"), "{transports:?}");
        expected.push(echoed);
        assert_eq!(seen(&student.frame("new_message").await, w.chat), expected[1]);
        for _ in 0..2 {
            let got = seen(&admin.frame("new_message").await, w.chat);
            assert!(expected.contains(&got), "{got:?}");
        }
        assert_nothing_before_control(&w, &mut outsider).await;
    }
    assert_eq!(stored(&w.a).await, 6, "two messages and a control per transport");
}

#[tokio::test]
async fn typing_reaches_the_others_in_the_room_only() {
    let w = world().await;
    for transports in BOTH {
        let mut teacher = connect(&w.a, &w.teacher, transports).await;
        let mut student = connect(&w.b, &w.student, transports).await;
        let mut outsider = connect(&w.b, &w.outsider, transports).await;
        student.emit("typing", json!({ "conversationId": w.chat, "isTyping": true })).await;
        let typing = teacher.frame("user_typing").await;
        assert_eq!(typing, json!({ "conversation_id": w.chat, "user_id": w.student.id, "is_typing": true }));
        student.emit("typing", json!({ "conversationId": w.chat, "isTyping": false })).await;
        assert_eq!(teacher.frame("user_typing").await["is_typing"], false);
        // Not back to the typist, nor to an outsider: the next event each gets is a message.
        let next = w.a.send(&w.teacher, w.chat, "после набора").await;
        assert_eq!(student.frame("new_message").await["message"]["id"], next);
        assert_nothing_before_control(&w, &mut outsider).await;
    }
}

#[tokio::test]
async fn every_refusal_is_an_error_event_nothing_is_stored_and_the_socket_stays() {
    let w = world().await;
    for transports in BOTH {
        let mut student = connect(&w.a, &w.student, transports).await;
        let mut admin = connect(&w.b, &w.admin, transports).await;
        let before = stored(&w.a).await;
        student.emit("send_message", json!({ "conversationId": w.other_chat, "content": "чужой" })).await;
        assert_eq!(student.frame("error").await, json!({ "message": "Access denied" }));
        for content in ["   ".to_owned(), "я".repeat(10_001)] {
            student.emit("send_message", json!({ "conversationId": w.chat, "content": content })).await;
            let error = student.frame("error").await;
            assert!(error["message"].as_str().is_some_and(|m| !m.is_empty() && m != "Access denied"), "{error}");
        }
        student.emit("send_message", json!({ "conversationId": w.chat })).await;
        assert!(student.frame("error").await["message"].is_string());
        admin.emit("send_message", json!({ "conversationId": w.chat, "content": "я завуч" })).await;
        let refused = admin.frame("error").await;
        assert!(refused["message"].as_str().is_some_and(|m| m.contains("read-only")), "{refused}");
        assert_eq!(stored(&w.a).await, before, "nothing refused reached the log");
        // Still connected: the next valid event goes through, to both.
        student.emit("send_message", json!({ "conversationId": w.chat, "content": "теперь правильно" })).await;
        assert_eq!(student.frame("new_message").await["message"]["content"], "теперь правильно");
        assert_eq!(admin.frame("new_message").await["message"]["content"], "теперь правильно");
    }
}

#[tokio::test]
async fn every_bad_token_gets_connect_error_authentication_error() {
    let w = world().await;
    let sub = w.student.id.to_string();
    let none = {
        use base64::Engine;
        let payload = json!({ "sub": sub, "exp": now() + 600 }).to_string();
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(payload);
        format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{payload}.")
    };
    let refused = [
        ("no auth", Value::Null),
        ("no token", json!({ "id": sub })),
        ("garbage", json!({ "token": "garbage" })),
        ("expired", json!({ "token": sign(&json!({ "sub": sub, "exp": now() - 120 }), SECRET, Algorithm::HS256) })),
        (
            "wrong secret",
            json!({ "token": sign(&json!({ "sub": sub, "exp": now() + 600 }), "not the secret", Algorithm::HS256) }),
        ),
        ("alg none", json!({ "token": none })),
    ];
    for transports in BOTH {
        for (what, auth) in &refused {
            let mut client = Sio::start(&[base(&w.a)], Auth::Raw(auth.clone()), transports, false);
            let report = client.refusal().await;
            assert_eq!(
                report,
                json!({ "event": "connect_error", "data": { "message": "Authentication error" } }),
                "{what}, {transports:?}"
            );
        }
    }
    // A valid token connects, either way.
    for transports in BOTH {
        let mut open = connect(&w.b, &w.student, transports).await;
        let sent = w.a.send(&w.teacher, w.chat, "открыто").await;
        assert_eq!(open.frame("new_message").await["message"]["id"], sent);
    }
}

#[tokio::test]
async fn presence_comes_to_contacts_as_user_status() {
    let w = world().await;
    let mut teacher = connect(&w.a, &w.teacher, Transports::WebsocketOnly).await;
    let mut outsider = connect(&w.a, &w.outsider, Transports::WebsocketOnly).await;
    let student = connect(&w.b, &w.student, Transports::PollingThenUpgrade).await;
    let online = teacher.frame("user_status").await;
    assert_eq!((&online["user_id"], &online["is_online"]), (&json!(w.student.id), &json!(true)), "{online}");
    drop(student);
    let offline = teacher.frame("user_status").await;
    assert_eq!((&offline["user_id"], &offline["is_online"]), (&json!(w.student.id), &json!(false)), "{offline}");
    let last_seen = offline["last_seen"].as_str().expect("ISO 8601");
    let last_seen = time::OffsetDateTime::parse(last_seen, &time::format_description::well_known::Rfc3339)
        .expect("last_seen parses");
    assert!((last_seen.unix_timestamp() - now() as i64).abs() < 10, "{offline}");
    // The outsider shares no chat with the student: the next event it gets is its control.
    let control = w.b.send(&w.other_teacher, w.other_chat, "control").await;
    let next = outsider.report(crate::helpers::PATIENCE).await;
    let next = if next["event"] == "frame" && next["data"]["user_id"] == w.other_teacher.id {
        outsider.report(crate::helpers::PATIENCE).await // its own teacher's status
    } else {
        next
    };
    assert_eq!((&next["name"], &next["data"]["message"]["id"]), (&json!("new_message"), &json!(control)), "{next}");
}

#[tokio::test]
async fn read_messages_moves_the_marker_and_tells_the_others_which_listed_ids_are_its_messages() {
    let w = world().await;
    let elsewhere = w.a.send(&w.other_teacher, w.other_chat, "чужое").await;
    let first = w.a.send(&w.teacher, w.chat, "раз").await;
    let second = w.a.send(&w.teacher, w.chat, "два").await;
    let mut teacher = connect(&w.a, &w.teacher, Transports::WebsocketOnly).await;
    let mut student = connect(&w.b, &w.student, Transports::PollingThenUpgrade).await;
    assert_eq!(w.a.unread(&w.student, w.chat).await, 2);
    let listed = json!([-5, elsewhere, first, second]); // the first two no messages of the chat
    student.emit("read_messages", json!({ "conversationId": w.chat, "messageIds": listed })).await;
    let read = teacher.frame("messages_read").await;
    assert_eq!(read, json!({ "conversation_id": w.chat, "user_id": w.student.id, "message_ids": [first, second] }));
    assert_eq!(w.a.unread(&w.student, w.chat).await, 0, "the marker moved to the newest listed");
    // Not back to the reader: its next event is a message.
    let next = w.a.send(&w.teacher, w.chat, "три").await;
    assert_eq!(student.frame("new_message").await["message"]["id"], next);
}

#[tokio::test]
async fn a_replica_shut_down_under_open_sockets_its_clients_reconnect_and_go_on() {
    let w = world().await;
    for transports in BOTH {
        let c = TestApp::spawn_on(w.a.database.clone(), super::quick_presence).await; // to shut down
        c.settled().await;
        let urls = [base(&c), base(&w.b)];
        let mut student = Sio::start(&urls, Auth::Token(&w.student.token), transports, true);
        student.connected().await;
        let before = w.a.send(&w.teacher, w.chat, "до").await;
        assert_eq!(student.frame("new_message").await["message"]["id"], before);
        drop(c); // the replica shuts down with the socket open
        let gone = student.report(crate::helpers::PATIENCE).await;
        assert_eq!(gone["event"], "disconnect", "{gone}");
        assert_ne!(gone["reason"], "io server disconnect", "a reason the client reconnects after: {gone}");
        let again = student.connected().await;
        assert!(again["url"].as_str().is_some_and(|u| u == base(&w.b)), "{again}");
        w.b.settled().await;
        let after = w.a.send(&w.teacher, w.chat, "после").await;
        assert_eq!(student.frame("new_message").await["message"]["id"], after, "{transports:?}");
    }
}
