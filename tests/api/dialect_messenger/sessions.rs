//! An Engine.IO long-polling session answers only to the client address that opened it: its
//! `sid`, which every request of the session carries in its query, is no credential alone.
//! Spoken as Engine.IO 4 itself over plain HTTP, each address as nginx would forward it.

use serde_json::json;

use super::{stored, world};
use crate::helpers::TestApp;

/// A polling request of session `sid` (none: a handshake) from `address`, with `body` to POST.
async fn poll(app: &TestApp, sid: Option<&str>, address: &str, body: Option<String>) -> (u16, String) {
    let mut url = app.url("/socket.io/?EIO=4&transport=polling");
    if let Some(sid) = sid {
        url.push_str(&format!("&sid={sid}"));
    }
    let request = match body {
        Some(body) => app.http.post(url).header("Content-Type", "text/plain;charset=UTF-8").body(body),
        None => app.http.get(url),
    };
    let response = request.header("X-Forwarded-For", address).send().await.expect("a polling request");
    (response.status().as_u16(), response.text().await.expect("body"))
}

#[tokio::test]
async fn a_polling_sid_from_another_address_acts_for_nobody() {
    let w = world().await;
    w.a.settled().await;
    let (own, other) = ("198.51.100.1", "203.0.113.9");
    let (status, open) = poll(&w.a, None, own, None).await;
    assert_eq!(status, 200, "{open}");
    let handshake: serde_json::Value =
        serde_json::from_str(open.strip_prefix('0').expect("an open packet")).expect("JSON");
    let sid = handshake["sid"].as_str().expect("sid").to_owned();
    let connect = format!("40{}", json!({ "token": w.teacher.token }));
    assert_eq!(poll(&w.a, Some(&sid), own, Some(connect)).await, (200, "ok".to_owned()));
    // The connect's answer, after any ping (answered, as a client does).
    let mut packets = Vec::new();
    while !packets.iter().any(|p: &String| p.starts_with("40")) {
        assert!(packets.len() < 10, "no connect answer: {packets:?}");
        let (status, body) = poll(&w.a, Some(&sid), own, None).await;
        assert_eq!(status, 200, "{body}");
        if body.split('\u{1e}').any(|p| p == "2") {
            assert_eq!(poll(&w.a, Some(&sid), own, Some("3".into())).await.0, 200);
        }
        packets.extend(body.split('\u{1e}').map(str::to_owned));
    }

    // The same session's send, from another address: refused as a session never heard of.
    let send =
        |content: &str| format!("42{}", json!(["send_message", { "conversationId": w.chat, "content": content }]));
    let before = stored(&w.a).await;
    let (status, refused) = poll(&w.a, Some(&sid), other, Some(send("не от меня"))).await;
    assert_eq!((status, refused.as_str()), (400, r#"{"code":1,"message":"Session ID unknown"}"#));
    let (status, _) = poll(&w.a, Some(&sid), other, None).await;
    assert_eq!(status, 400, "nor does it read the session's events");
    assert_eq!(stored(&w.a).await, before, "nothing stored as the session's person");
    // From its own address the session goes on.
    assert_eq!(poll(&w.a, Some(&sid), own, Some(send("от меня"))).await, (200, "ok".to_owned()));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while stored(&w.a).await == before {
        assert!(std::time::Instant::now() < deadline, "the session's own send was not stored");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
