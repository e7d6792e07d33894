//! `GET /api/v1/ws` with Python's `websockets`: delivery from every route on every replica,
//! typing, presence, every malformed frame answered and survived, the handshake's refusals,
//! and a replica killed under open sockets.

use jsonwebtoken::Algorithm;
use serde_json::{Value, json};

use super::{World, answer, stored, world};
use crate::helpers::{SECRET, WsClient, WsCredential, now, sign};

/// Sends a message into the outsider's own chat and asserts it is the next frame the
/// outsider's socket shows: nothing of the pair's chat came before it.
async fn assert_nothing_before_control(w: &World, outsider: &mut WsClient) {
    let control = w.b.send(&w.other_teacher, w.other_chat, "control").await;
    assert_eq!(outsider.frame("message").await["id"], control.to_string());
}

/// A message frame as (id, sender, body), after checking its conversation and epoch time.
fn seen(frame: &Value, chat: i64) -> (String, String, String) {
    assert_eq!(frame["conversation_id"], chat.to_string(), "{frame}");
    let at = frame["created_at"].as_i64().unwrap_or_else(|| panic!("created_at in epoch seconds: {frame}"));
    assert!((at - now() as i64).abs() < 60, "{frame}");
    let text = |field: &str| frame[field].as_str().unwrap_or_else(|| panic!("{field} a string: {frame}")).to_owned();
    (text("id"), text("sender_id"), text("body"))
}

#[tokio::test]
async fn a_message_from_any_route_reaches_both_participants_and_admins_on_every_replica() {
    let w = world().await;
    let mut teacher = w.b.socket(&w.teacher, WsCredential::Header).await;
    let mut student = w.b.socket(&w.student, WsCredential::Query).await;
    let mut admin = w.a.socket(&w.admin, WsCredential::Header).await;
    let mut outsider = w.a.socket(&w.outsider, WsCredential::Query).await;

    // The core's POST on A; the socket's `message` on B; the dialect's direct send on A.
    let by_core = w.a.send(&w.student, w.chat, "через REST ядра").await;
    let mut expected = vec![(by_core.to_string(), w.student.id.to_string(), "через REST ядра".to_owned())];
    let mut teachers = vec![seen(&teacher.frame("message").await, w.chat)];
    teacher.send("message", json!({ "conversation_id": w.chat.to_string(), "body": "через сокет" })).await;
    teachers.push(seen(&teacher.frame("message").await, w.chat)); // both participants get it
    expected.push((teachers[1].0.clone(), w.teacher.id.to_string(), "через сокет".to_owned()));
    let direct = w.a.http.post(w.a.url(&format!("/api/v1/chat/direct/{}/send", w.teacher.id)));
    let direct = direct.bearer_auth(&w.student.token).json(&json!({ "body": "напрямую" }));
    let (status, sent) = answer(direct.send().await.expect("POST")).await;
    assert_eq!(status, 201, "{sent}");
    expected.push((
        sent["message"]["id"].as_str().expect("id").to_owned(),
        w.student.id.to_string(),
        "напрямую".to_owned(),
    ));
    teachers.push(seen(&teacher.frame("message").await, w.chat));
    assert_eq!(teachers, expected, "the teacher's socket");
    for (who, socket) in [("student", &mut student), ("admin", &mut admin)] {
        let mut got = Vec::new();
        for _ in 0..expected.len() {
            got.push(seen(&socket.frame("message").await, w.chat));
        }
        assert_eq!(got, expected, "{who}'s socket");
    }
    assert_nothing_before_control(&w, &mut outsider).await;
    assert_eq!(stored(&w.a).await, 4, "three messages and the control");
}

#[tokio::test]
async fn typing_is_relayed_to_the_others_only() {
    let w = world().await;
    let mut teacher = w.a.socket(&w.teacher, WsCredential::Header).await;
    let mut teachers_stream = w.a.stream(&w.teacher, None).await;
    let mut student = w.b.socket(&w.student, WsCredential::Header).await;
    let mut outsider = w.b.socket(&w.outsider, WsCredential::Header).await;
    student.send("typing", json!({ "conversation_id": w.chat.to_string(), "is_typing": true })).await;
    let typing = teacher.frame("typing").await;
    assert_eq!(
        typing,
        json!({ "conversation_id": w.chat.to_string(), "user_id": w.student.id.to_string(), "is_typing": true })
    );
    let on_stream = teachers_stream.event().await;
    assert_eq!((on_stream.event.as_str(), on_stream.json()["user_id"].as_i64()), ("typing", Some(w.student.id)));
    // Not back to the typist, nor to an outsider: the next frame each gets is a message.
    let next = w.a.send(&w.teacher, w.chat, "после набора").await;
    assert_eq!(student.frame("message").await["id"], next.to_string());
    assert_nothing_before_control(&w, &mut outsider).await;
}

#[tokio::test]
async fn every_bad_frame_gets_an_error_and_the_socket_stays_open() {
    let w = world().await;
    let mut student = w.a.socket(&w.student, WsCredential::Header).await;
    let mut admin = w.b.socket(&w.admin, WsCredential::Query).await;
    let chat = w.chat.to_string();
    let before = stored(&w.a).await;
    let long = "я".repeat(10_001);
    let bad = [
        "not json".to_owned(),
        json!({ "type": "dance", "data": { "conversation_id": chat } }).to_string(),
        json!({ "type": "message" }).to_string(),
        json!({ "type": "message", "data": { "conversation_id": chat } }).to_string(),
        json!({ "type": "message", "data": { "conversation_id": chat, "body": "   " } }).to_string(),
        json!({ "type": "message", "data": { "conversation_id": chat, "body": long } }).to_string(),
        json!({ "type": "message", "data": { "conversation_id": w.other_chat.to_string(), "body": "чужой" } })
            .to_string(),
        json!({ "type": "typing", "data": { "conversation_id": w.other_chat.to_string(), "is_typing": true } })
            .to_string(),
        json!({ "type": "typing", "data": { "conversation_id": chat } }).to_string(),
        json!({ "type": "message", "data": { "conversation_id": "c1", "body": "hi" } }).to_string(),
    ];
    for frame in &bad {
        student.send_text(frame).await;
        let error = student.frame("error").await;
        assert!(error["error"].as_str().is_some_and(|e| !e.is_empty()), "{}: {error}", &frame[..frame.len().min(60)]);
    }
    admin.send("message", json!({ "conversation_id": chat, "body": "я завуч" })).await;
    assert!(admin.frame("error").await["error"].as_str().is_some_and(|e| e.contains("read-only")));
    assert_eq!(stored(&w.a).await, before, "nothing malformed reached the log");
    // Still open: the next valid frame goes through, from both.
    student.send("message", json!({ "conversation_id": chat, "body": "теперь правильно" })).await;
    assert_eq!(student.frame("message").await["body"], "теперь правильно");
    assert_eq!(admin.frame("message").await["body"], "теперь правильно");
    student.send("read", json!({ "conversation_id": chat })).await;
    let read = w.a.send(&w.teacher, w.chat, "прочитано?").await;
    assert_eq!(student.frame("message").await["id"], read.to_string(), "no error for a read");
}

#[tokio::test]
async fn the_handshake_refuses_every_bad_token_with_401() {
    let w = world().await;
    let sub = w.student.id.to_string();
    let none = {
        use base64::Engine;
        let payload = json!({ "sub": sub, "exp": now() + 600 }).to_string();
        format!(
            "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{}.",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(payload)
        )
    };
    let tokens = [
        ("garbage", Some("garbage".to_owned())),
        ("expired", Some(sign(&json!({ "sub": sub, "exp": now() - 120 }), SECRET, Algorithm::HS256))),
        ("wrong secret", Some(sign(&json!({ "sub": sub, "exp": now() + 600 }), "not the secret", Algorithm::HS256))),
        ("HS512", Some(sign(&json!({ "sub": sub, "exp": now() + 600 }), SECRET, Algorithm::HS512))),
        ("alg none", Some(none)),
        ("missing", None),
    ];
    for (what, token) in tokens {
        for credential in [WsCredential::Header, WsCredential::Query] {
            let token = token.as_deref().map(|t| (t, credential));
            let mut client = WsClient::start(&[w.a.ws_url()], token, false);
            let report = client.report(crate::helpers::PATIENCE).await;
            assert_eq!(
                (report["event"].as_str(), report["status"].as_u64()),
                (Some("refused"), Some(401)),
                "{what}: {report}"
            );
            let body: Value = serde_json::from_str(report["body"].as_str().expect("body")).expect("JSON");
            assert!(
                body["error"].as_str().is_some_and(|e| !e.is_empty()) && body.get("code").is_none(),
                "{what}: {body}"
            );
        }
    }
    // A valid token, either way, stays open.
    let mut open = w.a.socket(&w.student, WsCredential::Query).await;
    let sent = w.b.send(&w.teacher, w.chat, "открыто").await;
    assert_eq!(open.frame("message").await["id"], sent.to_string());
}

#[tokio::test]
async fn presence_frames_come_to_contacts_in_epoch_seconds() {
    let w = world().await;
    let mut teacher = w.a.socket(&w.teacher, WsCredential::Header).await;
    let student = w.b.socket(&w.student, WsCredential::Header).await;
    let online = teacher.frame("presence").await;
    assert_eq!(online, json!({ "user_id": w.student.id.to_string(), "online": true, "last_seen": null }));
    drop(student);
    let offline = teacher.frame("presence").await;
    assert_eq!((&offline["user_id"], &offline["online"]), (&json!(w.student.id.to_string()), &json!(false)));
    let last_seen = offline["last_seen"].as_i64().expect("epoch seconds");
    assert!((last_seen - now() as i64).abs() < 10, "{offline}");
    let rest = w.a.get(&format!("/api/v1/chat/presence/{}", w.student.id), &w.teacher).send().await.expect("GET");
    assert_eq!(answer(rest).await.1["last_seen"], last_seen, "the REST presence says the same");
}

#[tokio::test]
async fn a_killed_replicas_sockets_reconnect_to_another_and_go_on() {
    let w = world().await;
    let c = crate::helpers::TestApp::spawn_on(w.a.database.clone(), super::quick_presence).await; // to kill
    c.settled().await;
    let mut student = WsClient::start(&[c.ws_url(), w.b.ws_url()], Some((&w.student.token, WsCredential::Query)), true);
    student.opened().await;
    let before = w.a.send(&w.teacher, w.chat, "до").await;
    assert_eq!(student.frame("message").await["id"], before.to_string());
    drop(c); // the replica stops with the socket open
    let closed = student.report(crate::helpers::PATIENCE).await;
    assert_eq!(
        (closed["event"].as_str(), closed["code"].as_u64()),
        (Some("closed"), Some(1001)),
        "going away: {closed}"
    );
    let reopened = student.report(crate::helpers::PATIENCE).await;
    assert_eq!(reopened["event"], "open", "{reopened}");
    assert!(reopened["url"].as_str().is_some_and(|u| u.starts_with(&w.b.ws_url())), "{reopened}");
    w.b.settled().await;
    let after = w.a.send(&w.teacher, w.chat, "после").await;
    assert_eq!(student.frame("message").await["id"], after.to_string());
}

#[tokio::test]
async fn a_socket_frame_is_admitted_as_rest_would_admit_it_now() {
    let w = world().await;
    // A suspended person's socket opens (they read) but relays no typing (they write nothing).
    let suspend = w.a.http.post(w.a.url(&format!("/api/admin/users/{}/suspend", w.student.id)));
    let until = (time::OffsetDateTime::now_utc() + time::Duration::days(7))
        .format(&time::format_description::well_known::Rfc3339)
        .expect("format");
    let body = json!({ "reason": "spam", "until": until });
    let response = suspend.bearer_auth(&w.admin.token).json(&body).send().await.expect("POST");
    assert_eq!(response.status(), 204);
    let mut teacher = w.b.socket(&w.teacher, WsCredential::Header).await;
    let mut student = w.a.socket(&w.student, WsCredential::Header).await;
    student.send("typing", json!({ "conversation_id": w.chat.to_string(), "is_typing": true })).await;
    let error = student.frame("error").await;
    assert!(error["error"].as_str().is_some_and(|e| e.contains("suspended")), "{error}");
    let next = w.a.send(&w.teacher, w.chat, "после").await;
    assert_eq!(teacher.frame("message").await["id"], next.to_string(), "the typing went through");

    // A guardian writes in their own family chat here as over REST (never in their child's).
    let guardian = w.a.user("guardian", "Елена").await;
    assert_eq!(crate::guardians::set_link(&w.a, &w.admin, guardian.id, w.outsider.id, true).await.0, 201);
    let family = crate::families::family_chats(&w.a, &guardian).await;
    let family = family.first().and_then(|c| c["id"].as_i64()).expect("the link opened the family chat");
    let mut guardians = w.b.socket(&guardian, WsCredential::Header).await;
    guardians.send("message", json!({ "conversation_id": family.to_string(), "body": "здравствуйте" })).await;
    let seen = guardians.frame("message").await;
    assert_eq!((&seen["body"], &seen["sender_id"]), (&json!("здравствуйте"), &json!(guardian.id.to_string())));
    guardians.send("message", json!({ "conversation_id": w.other_chat.to_string(), "body": "ребёнку" })).await;
    let refused = guardians.frame("error").await;
    assert!(refused["error"].as_str().is_some_and(|e| e.contains("read-only")), "{refused}");
}
