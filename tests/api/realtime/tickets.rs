//! Stream tickets: a page on another site opens the live stream with `?token=<ticket>`, a
//! ticket that opens one stream, once, within its minute, on any replica (the same parameter
//! takes the session's JWT too, reusable while it is valid: `own_messages.rs`).

use serde_json::Value;

use super::world;
use crate::helpers::{TestApp, User, status_and_json, stream_from};

async fn ticket(app: &TestApp, user: &User) -> String {
    let response =
        app.http.post(app.url("/api/events/ticket")).bearer_auth(&user.token).send().await.expect("POST ticket");
    let (status, body) = status_and_json(response).await;
    assert_eq!((status, body["expires_in"].as_u64()), (201, Some(60)), "{body}");
    body["ticket"].as_str().expect("ticket").to_owned()
}

/// `GET /api/events/chat?token=…` with no other credential (as `EventSource` from another site).
async fn open(app: &TestApp, token: &str) -> reqwest::Response {
    app.fresh.get(app.url(&format!("/api/events/chat?token={token}"))).send().await.expect("GET stream")
}

#[tokio::test]
async fn a_stream_ticket_opens_its_persons_stream_once_on_any_replica() {
    let w = world().await;
    // Issued by replica A, redeemed on B: the student's own stream, live.
    let first = ticket(&w.a, &w.student).await;
    w.b.settled().await;
    let response = open(&w.b, &first).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let mut stream = stream_from(response);
    let sent = w.a.send(&w.teacher, w.chat, "через билет").await;
    assert_eq!(stream.event().await.json()["message"]["id"].as_i64(), Some(sent));

    // Once: the same ticket again, on either replica, is refused.
    for app in [&w.a, &w.b] {
        let (status, body) = status_and_json(open(app, &first).await).await;
        assert_eq!((status, body["code"].as_str()), (401, Some("unauthenticated")), "{body}");
    }
    // Nor does an unknown or expired ticket (a session token in the URL does, reusably:
    // `own_messages.rs`).
    let expired = ticket(&w.a, &w.student).await;
    w.a.sql.execute("UPDATE stream_tickets SET expires_at = now() - interval '1 second'", &[]).await.expect("expire");
    for token in ["unknown", expired.as_str(), ""] {
        assert_eq!(open(&w.a, token).await.status(), 401, "{token}");
    }
    assert_eq!(
        w.a.sql.query_one("SELECT count(*) FROM stream_tickets", &[]).await.expect("count").get::<_, i64>(0),
        0,
        "used and expired tickets are forgotten"
    );
    // A ticket is the stream's alone: elsewhere the query's token is no credential.
    let other = ticket(&w.a, &w.student).await;
    let response = w.a.fresh.get(w.a.url(&format!("/api/chats?token={other}"))).send().await.expect("GET chats");
    assert_eq!(response.status(), 401);
    assert_eq!(open(&w.a, &other).await.status(), 200, "and it was not used up there");
}

#[tokio::test]
async fn a_ticket_is_asked_for_with_a_credential_and_its_stream_is_its_persons() {
    let w = world().await;
    let anonymous = w.a.fresh.post(w.a.url("/api/events/ticket")).send().await.expect("POST");
    assert_eq!(anonymous.status(), 401);
    // The outsider's ticket opens the outsider's stream: the student's chat is not in it.
    let outsider = ticket(&w.a, &w.outsider).await;
    w.a.settled().await;
    let mut stream = stream_from(open(&w.a, &outsider).await);
    w.a.send(&w.teacher, w.chat, "not for the outsider").await;
    let control = w.a.send(&w.other_teacher, w.other_chat, "control").await;
    let event: Value = stream.event().await.json();
    assert_eq!(event["message"]["id"].as_i64(), Some(control), "{event}");
}
