//! What a browser keeps of a person after their session ends: nothing the server can prevent.
//! Every API answer is `Cache-Control: no-store` (no private answer stays in a shared device's
//! disk cache). Security review 2026-11-29: L2.

use reqwest::header::CACHE_CONTROL;

use crate::attachments::{PNG, send_with, uploaded};
use crate::helpers::TestApp;

#[tokio::test]
async fn no_api_answer_is_stored_by_the_browser_private_ones_and_refusals_alike() {
    let app = TestApp::spawn().await;
    let (teacher, student) = (app.user("teacher", "Teacher").await, app.user("student", "Student").await);
    let other = app.user("student", "Other").await;
    let chat = app.chat(&teacher, &student).await;
    app.send(&teacher, chat, "Secret text for the student").await;
    let file = uploaded(&app, &teacher, chat, "homework.png", PNG).await;
    assert_eq!(send_with(&app, &teacher, chat, "Homework", &[file]).await.0, 201);

    let asked = [
        ("/api/me", &student, 200),
        ("/api/chats?limit=100", &student, 200),
        (&*format!("/api/chats/{chat}/messages?limit=50"), &student, 200),
        (&*format!("/api/attachments/{file}"), &student, 200),
        (&*format!("/api/chats/{chat}/messages"), &other, 403),
        (&*format!("/api/attachments/{file}"), &other, 403),
        ("/api/no-such-thing", &student, 404),
    ];
    for (path, user, status) in asked {
        let answer = app.get(path, user).send().await.expect("GET");
        assert_eq!(answer.status().as_u16(), status, "{path}");
        assert_eq!(answer.headers()[CACHE_CONTROL], "no-store", "{path}");
    }
    let anonymous = app.fresh.get(app.url("/api/chats")).send().await.expect("GET");
    assert_eq!(anonymous.status(), 401);
    assert_eq!(anonymous.headers()[CACHE_CONTROL], "no-store");
    let written = app.post_message(&student, chat, "An answer").await;
    assert_eq!(written.status(), 201);
    assert_eq!(written.headers()[CACHE_CONTROL], "no-store");
}
