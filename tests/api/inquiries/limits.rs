//! What guests may take: a harder write rate, opens per link and per address, streams per link.

use std::time::Duration;

use serde_json::json;

use super::{QUESTION, inquiry, link, open_stream_status, visit, visit_with};
use crate::helpers::{TestApp, User, status_and_json};

#[tokio::test]
async fn guests_write_at_a_harder_rate_and_links_open_a_limited_number_of_chats() {
    let app = TestApp::spawn_with(|c| {
        c.rate.guest_writes_per_min = 3;
        c.rate.inquiry_opens_per_min = 2;
        c.rate.writes_per_sec = 100;
        c.rate.writes_burst = 100;
    })
    .await;
    let (teacher, token, guest, chat) = inquiry(&app).await; // the link's first open
    for i in 0..3 {
        assert_eq!(app.post_message(&guest, chat, &format!("m{i}")).await.status(), 201);
    }
    let refused = app.post_message(&guest, chat, "one too many").await;
    assert_eq!(refused.status(), 429);
    assert!(refused.headers().contains_key("retry-after"));
    for i in 0..5 {
        assert_eq!(
            app.post_message(&teacher, chat, &format!("t{i}")).await.status(),
            201,
            "the teacher's rate is a user's"
        );
    }
    assert_eq!(visit(&app, &token, "second").await.0, 201);
    assert_eq!(visit(&app, &token, "third").await.0, 429);
}

/// New guests are limited per client address as well as per link, so that one visitor cannot
/// lock a link for everyone else. Behind nginx (a trusted proxy) the address is the one it
/// appended to `X-Forwarded-For`; what a client wrote there itself is not believed, and from a
/// peer that is not a trusted proxy the header is ignored.
#[tokio::test]
async fn new_guests_are_limited_per_client_address_behind_trusted_proxies() {
    let app = TestApp::spawn_with(|c| {
        c.rate.inquiry_opens_per_address_per_min = 2;
        c.rate.inquiry_opens_per_min = 100;
    })
    .await;
    let teacher = app.user("teacher", "T").await;
    let (_, created) = link(&app, &teacher, json!({ "title": "Курсы" })).await;
    let token = created["token"].as_str().expect("token");
    let body = json!({ "name": "Гость", "message": QUESTION });
    let from = |address: &'static str| visit_with(&app, token, body.clone(), Some(address));
    assert_eq!(from("203.0.113.7").await.0, 201);
    assert_eq!(from("203.0.113.7").await.0, 201);
    let (status, refused, _) = from("203.0.113.7").await;
    assert_eq!(status, 429, "{refused}");
    assert!(refused["error"].as_str().is_some_and(|e| e.contains("RATE_INQUIRY_OPENS_PER_ADDRESS_PER_MIN")));
    // Writing another address in front does not help: nginx's entry is the last one.
    assert_eq!(from("198.51.100.1, 203.0.113.7").await.0, 429);
    // Other visitors still get in: the link is not locked.
    assert_eq!(from("198.51.100.2").await.0, 201);
    let guests: i64 =
        app.sql.query_one("SELECT count(*) FROM users WHERE role = 'guest'", &[]).await.expect("count").get(0);
    assert_eq!(guests, 3);

    // Trusting no proxy, the header is ignored: every request here comes from 127.0.0.1.
    let direct = TestApp::spawn_with(|c| {
        c.rate.inquiry_opens_per_address_per_min = 2;
        c.rate.inquiry_opens_per_min = 100;
        c.http.trusted_proxies = Vec::new();
    })
    .await;
    let teacher = direct.user("teacher", "T").await;
    let (_, created) = link(&direct, &teacher, json!({ "title": "Курсы" })).await;
    let token = created["token"].as_str().expect("token");
    let statuses = [
        visit_with(&direct, token, body.clone(), Some("203.0.113.1")).await.0,
        visit_with(&direct, token, body.clone(), Some("203.0.113.2")).await.0,
        visit_with(&direct, token, body.clone(), Some("203.0.113.3")).await.0,
    ];
    assert_eq!(statuses, [201, 201, 429]);
}

/// The guests of one inquiry link share one allowance of event streams, so that a link handing
/// out new guests cannot take a replica's streams.
#[tokio::test]
async fn the_guests_of_a_link_share_one_allowance_of_streams() {
    let app = TestApp::spawn_with(|c| c.sse.max_streams_per_link = 2).await;
    let teacher = app.user("teacher", "T").await;
    let (_, created) = link(&app, &teacher, json!({ "title": "Курсы" })).await;
    let token = created["token"].as_str().expect("token");
    let mut guests = Vec::new();
    for name in ["A", "B", "C"] {
        let (status, opened, _) = visit(&app, token, name).await;
        assert_eq!(status, 201, "{opened}");
        guests.push(User {
            id: opened["user"]["id"].as_i64().expect("id"),
            token: opened["token"].as_str().expect("t").into(),
        });
    }
    let _a = app.stream(&guests[0], None).await;
    let _b = app.stream(&guests[1], None).await;
    let response = app.get("/api/events/chat", &guests[2]).send().await.expect("GET stream");
    let (status, body) = status_and_json(response).await;
    assert_eq!(status, 429, "{body}");
    assert!(body["error"].as_str().is_some_and(|e| e.contains("SSE_MAX_STREAMS_PER_LINK")), "{body}");
    // A user's allowance is their own: the teacher still gets a stream.
    let _teacher = app.stream(&teacher, None).await;
    drop(_a);
    // Once one closes, the third guest gets in (the server notices the close a moment later).
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while open_stream_status(&app, &guests[2]).await != 200 {
        assert!(std::time::Instant::now() < deadline, "the link's allowance was not given back");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
