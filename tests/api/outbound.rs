//! What the server sends out goes where the school configured it, and only there: the webhook
//! does not follow a redirect with its signed body, and a browser's push endpoint does not
//! change hands without the keys it was subscribed with.

use std::time::Duration;

use crate::helpers::{PushReceiver, Receiver, TestApp};
use crate::notices::{notify, school, states};
use crate::push::{config, subscribe};

#[tokio::test]
async fn a_webhook_redirect_is_not_followed_and_the_notice_is_retried_where_it_was_configured() {
    // The configured URL answers 307 to the school's real receiver: the signed body must not be
    // sent on to wherever a redirect points.
    let (receiver, target) = Receiver::start().await;
    let redirector = axum::Router::new().route(
        "/hook",
        axum::routing::post(move || {
            let target = target.clone();
            async move { (axum::http::StatusCode::TEMPORARY_REDIRECT, [(axum::http::header::LOCATION, target)]) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, redirector).await });
    let (a, _b, _teacher, student, chat) = school(notify(&url)).await;
    a.send(&student, chat, "are you there?").await;

    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while !states(&a).await.iter().any(|(state, _, attempts)| state != "pending" || *attempts > 0) {
        assert!(std::time::Instant::now() < deadline, "the notice was never tried: {:?}", states(&a).await);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(receiver.calls().is_empty(), "the redirect was followed: {:?}", receiver.calls());
    assert!(states(&a).await.iter().all(|(state, ..)| state != "delivered"), "{:?}", states(&a).await);
}

#[tokio::test]
async fn an_endpoint_changes_hands_only_with_the_keys_it_was_subscribed_with() {
    let receiver = PushReceiver::start().await;
    let a = TestApp::spawn_with(|c| c.notify = config(&receiver)).await;
    let (masha, ivan) = (a.user("student", "Маша").await, a.user("teacher", "Иван").await);
    let (_, browser) = receiver.subscribe().await;
    let (status, first) = subscribe(&a, &masha, &browser).await;
    assert_eq!(status, 201, "{first}");
    let owner = || async {
        let row = a.sql.query_one("SELECT user_id FROM push_subscriptions", &[]).await.expect("one subscription");
        row.get::<_, i64>(0)
    };

    // Someone who learned the endpoint, with keys of their own: refused, nothing changes.
    let (_, theirs) = receiver.subscribe().await;
    let mut forged = browser.clone();
    forged["keys"] = theirs["keys"].clone();
    let (status, refused) = subscribe(&a, &ivan, &forged).await;
    assert_eq!((status, refused["code"].as_str()), (409, Some("conflict")), "{refused}");
    assert_eq!(owner().await, masha.id, "the endpoint was taken over");

    // The same browser, another person signed in: its own keys move it.
    let (status, moved) = subscribe(&a, &ivan, &browser).await;
    assert_eq!((status, &moved["id"]), (201, &first["id"]), "{moved}");
    assert_eq!(owner().await, ivan.id);
}
