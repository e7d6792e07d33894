//! Opening an inquiry goes through the log's own append: a visitor's open that has not
//! committed yet holds up nobody else's messages (a raw INSERT into the log would hold its
//! lock exclusively until then, and anonymous visitors reach this).

use std::time::Duration;

use serde_json::json;

use super::link;
use crate::helpers::{TestApp, connect, status_and_json};

#[tokio::test]
async fn an_inquiry_opening_in_flight_holds_up_no_other_message() {
    let app = TestApp::spawn().await;
    let (teacher, student) = (app.user("teacher", "Учитель").await, app.user("student", "Ученик").await);
    let chat = app.chat(&teacher, &student).await;
    let (_, created) = link(&app, &teacher, json!({ "title": "Курсы" })).await;
    let token = created["token"].as_str().expect("token").to_owned();
    // A visitor's opening, as the server does it, left in flight.
    let mut visitor = connect(&app.database).await;
    let open = visitor.transaction().await.expect("BEGIN");
    let opened = open.query_one("SELECT chat_id FROM inquiry_open($1, 'Гость')", &[&token]).await.expect("opened");
    let inquiry: i64 = opened.get(0);
    // Meanwhile a student's message is stored and answered, the opening still uncommitted.
    let sent = tokio::time::timeout(Duration::from_secs(30), app.post_message(&student, chat, "Добрый вечер")).await;
    let (status, body) = status_and_json(sent.expect("the message waited for the opening to commit")).await;
    assert_eq!(status, 201, "{body}");
    open.commit().await.expect("COMMIT");
    let kind: String =
        app.sql.query_one("SELECT kind FROM chats WHERE id = $1", &[&inquiry]).await.expect("the inquiry").get(0);
    assert_eq!(kind, "inquiry");
}

#[tokio::test]
async fn visitors_opening_inquiries_at_once_all_get_in() {
    let app = TestApp::spawn().await;
    let teacher = app.user("teacher", "Учитель").await;
    let (_, created) = link(&app, &teacher, json!({ "title": "Курсы" })).await;
    let token = created["token"].as_str().expect("token").to_owned();
    // Each opening appends its chat and its question: at once, none may wait on another.
    let visits = (0..8).map(|i| {
        let (app, token) = (&app, token.clone());
        async move { super::visit(app, &token, &format!("Гость {i}")).await }
    });
    for (status, body, _) in futures::future::join_all(visits).await {
        assert_eq!(status, 201, "{body}");
    }
}
