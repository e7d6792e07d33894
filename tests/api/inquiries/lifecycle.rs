//! How inquiries begin and end: links created and revoked (closing their chats), an idle one closed.

use std::time::Duration;

use serde_json::json;

use super::{QUESTION, inquiry, link, open_stream_status, visit, visit_with};
use crate::helpers::{TestApp, User, status_and_json};

#[tokio::test]
async fn links_are_created_by_teachers_for_themselves_or_by_admins_for_a_teacher_and_revoked() {
    let app = TestApp::spawn().await;
    let (teacher, other) = (app.user("teacher", "T").await, app.user("teacher", "O").await);
    let (student, admin) = (app.user("student", "S").await, app.user("admin", "A").await);
    assert_eq!(link(&app, &student, json!({ "title": "x" })).await.0, 403);
    assert_eq!(link(&app, &teacher, json!({ "title": "x", "host_id": other.id })).await.0, 403);
    assert_eq!(link(&app, &admin, json!({ "title": "x" })).await.0, 422, "an admin names the teacher");
    assert_eq!(link(&app, &admin, json!({ "title": "x", "host_id": student.id })).await.0, 422);
    assert_eq!(link(&app, &teacher, json!({ "title": " " })).await.0, 400);
    assert_eq!(link(&app, &teacher, json!({ "title": "x", "context": [1] })).await.0, 400);
    let (status, by_admin) = link(&app, &admin, json!({ "title": "Для Ивана", "host_id": teacher.id })).await;
    assert_eq!((status, by_admin["host_id"].as_i64()), (201, Some(teacher.id)));
    let (_, own) = link(&app, &teacher, json!({ "title": "Моя" })).await;
    let (_, listed) = status_and_json(app.get("/api/inquiry-links", &teacher).send().await.expect("GET")).await;
    assert_eq!(listed["links"].as_array().map(Vec::len), Some(2), "both links are the teacher's");
    let (_, listed) = status_and_json(app.get("/api/inquiry-links", &other).send().await.expect("GET")).await;
    assert_eq!(listed["links"], json!([]));

    let token = own["token"].as_str().expect("token");
    let (status, opened, _) = visit(&app, token, "Гость").await;
    assert_eq!(status, 201);
    let guest =
        User { id: opened["user"]["id"].as_i64().expect("id"), token: opened["token"].as_str().expect("t").into() };
    // 100 letters and a space: 101 characters as sent (the document's maxLength), however
    // short once trimmed (found by the contract's fuzzer).
    let padded = format!("{} ", "я".repeat(100));
    for (name, expected) in
        [("", 400), ("   ", 400), (&"я".repeat(101) as &str, 400), ("a\u{0}b", 400), (padded.as_str(), 400)]
    {
        assert_eq!(visit(&app, token, name).await.0, expected, "{name:?}");
    }
    // The question follows a message's rules, and there is no inquiry without one.
    let long = "я".repeat(10_001);
    for body in [
        json!({ "name": "X" }),
        json!({ "name": "X", "message": "" }),
        json!({ "name": "X", "message": " \u{200B} " }),
        json!({ "name": "X", "message": long }),
        json!({ "name": "X", "message": 5 }),
    ] {
        let (status, answer, _) = visit_with(&app, token, body.clone(), None).await;
        assert_eq!(status, 400, "{body}: {answer}");
        assert!(answer["error"].as_str().is_some_and(|e| e.contains("message")), "{answer}");
    }
    let guests: i64 =
        app.sql.query_one("SELECT count(*) FROM users WHERE role = 'guest'", &[]).await.expect("count").get(0);
    assert_eq!(guests, 1, "a refused visit leaves no guest behind");
    assert_eq!(visit(&app, "no-such-token", "X").await.0, 404);
    let revoke = |by: &User, id: i64| {
        let request = app.http.delete(app.url(&format!("/api/inquiry-links/{id}"))).bearer_auth(&by.token);
        async move { request.send().await.expect("DELETE").status().as_u16() }
    };
    let id = own["id"].as_i64().expect("id");
    assert_eq!(revoke(&other, id).await, 403, "not theirs: as if it did not exist");
    let mut guest_stream = app.stream(&guest, None).await;
    assert_eq!(revoke(&teacher, id).await, 204);
    assert_eq!(revoke(&admin, id).await, 204, "twice is fine");
    assert_eq!(revoke(&teacher, 999_999).await, 403);
    assert_eq!(visit(&app, token, "Ещё гость").await.0, 404);
    let (status, _) =
        status_and_json(app.http.get(app.url(&format!("/api/inquiry/{token}"))).send().await.expect("GET")).await;
    assert_eq!(status, 404);
    // The chat it opened is closed, and the guest's session with it: their stream gets the
    // closing and ends, and their credential opens nothing any more.
    let chat = opened["chat_id"].as_i64().expect("chat");
    let rest = guest_stream.until_closed(Duration::from_secs(10)).await;
    assert_eq!(
        rest.iter().map(|e| (e.event.as_str(), e.json()["chat_id"].as_i64())).collect::<Vec<_>>(),
        [("chat_closed", Some(chat))]
    );
    let (status, body) = status_and_json(app.post_message(&guest, chat, "ещё вопрос").await).await;
    assert_eq!(status, 401, "{body}");
    let again = open_stream_status(&app, &guest).await;
    assert_eq!(again, 401, "no new stream either");
    let (status, _) = status_and_json(app.post_message(&teacher, chat, "ответ").await).await;
    assert_eq!(status, 409, "the teacher reads it, read-only");
    // From another site, a browser cannot open chats in a visitor's name.
    let other_site = app
        .http
        .post(app.url(&format!("/api/inquiry/{}", by_admin["token"].as_str().expect("t"))))
        .header("origin", "https://evil.example")
        .json(&json!({ "name": "X", "message": QUESTION }));
    assert_eq!(other_site.send().await.expect("POST").status(), 403);
}

#[tokio::test]
async fn an_idle_inquiry_is_closed_read_only_and_announced() {
    let app = TestApp::spawn_with(|c| c.inquiry.idle = Duration::from_secs(2)).await;
    let (teacher, _, guest, chat) = inquiry(&app).await;
    let mut teacher_stream = app.stream(&teacher, None).await;
    app.send(&guest, chat, "a question").await;
    let event = teacher_stream.event().await;
    assert_eq!(event.event, "new_message");
    let closed = teacher_stream.event_within(Duration::from_secs(15)).await;
    assert_eq!((closed.event.as_str(), closed.json()["chat_id"].as_i64()), ("chat_closed", Some(chat)));
    let (status, body) = status_and_json(app.post_message(&teacher, chat, "too late").await).await;
    assert_eq!(status, 409, "{body}");
    let (status, body) = status_and_json(app.post_message(&guest, chat, "too late").await).await;
    assert_eq!(status, 401, "the guest's session ended with the chat: {body}");
    let (_, list) = status_and_json(app.get("/api/chats", &teacher).send().await.expect("GET")).await;
    assert!(list["chats"][0]["closed_at"].is_string());
    let (status, history) =
        status_and_json(app.get(&format!("/api/chats/{chat}/messages"), &teacher).send().await.expect("GET")).await;
    assert_eq!((status, history["messages"].as_array().map(Vec::len)), (200, Some(2)), "still readable");
    // A direct chat is never closed, however idle.
    let student = app.user("student", "S").await;
    let direct = app.chat(&teacher, &student).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(app.post_message(&student, direct, "still open").await.status(), 201);
    let closes: i64 =
        app.sql.query_one("SELECT count(*) FROM events WHERE type = 'chat_closed'", &[]).await.expect("count").get(0);
    assert_eq!(closes, 1, "closed once, whatever the sweeps");
}
