//! A visitor's way in and a guest's reach: the link opened, the live talk, exactly one chat.

use serde_json::{Value, json};

use super::{QUESTION, inquiry, link, visit};
use crate::helpers::{TestApp, open_stream, status_and_json};

#[tokio::test]
async fn a_visitor_opens_a_link_gives_a_name_and_talks_with_the_teacher_live() {
    let app = TestApp::spawn().await;
    let teacher = app.user("teacher", "Иван Петров").await;
    let mut teacher_stream = app.stream(&teacher, None).await;
    let context = json!({ "type": "course", "id": 12, "title": "ЕГЭ математика" });
    let (status, created) = link(&app, &teacher, json!({ "title": "ЕГЭ: вопросы", "context": context })).await;
    assert_eq!(status, 201, "{created}");
    let token = created["token"].as_str().expect("token");
    assert_eq!(created["url"], format!("/inquiry/{token}"));
    assert!(token.len() >= 32);

    // No account needed to see what it is about and to open it.
    let (status, info) =
        status_and_json(app.http.get(app.url(&format!("/api/inquiry/{token}"))).send().await.expect("GET")).await;
    assert_eq!(status, 200, "{info}");
    assert_eq!((info["title"].as_str(), info["host"]["name"].as_str()), (Some("ЕГЭ: вопросы"), Some("Иван Петров")));
    let (status, opened, cookie) = visit(&app, token, "  Мама Пети ").await;
    assert_eq!(status, 201, "{opened}");
    let cookie = cookie.expect("a cookie");
    assert!(cookie.starts_with("tutorchat_guest=") && cookie.contains("HttpOnly"), "{cookie}");
    assert_eq!((opened["user"]["name"].as_str(), opened["user"]["role"].as_str()), (Some("Мама Пети"), Some("guest")));
    let chat = opened["chat_id"].as_i64().expect("chat");

    // The teacher's stream shows the new inquiry with the guest as the participant.
    let event = teacher_stream.event().await;
    assert_eq!(event.event, "chat_created");
    let shown = &event.json()["chat"];
    assert_eq!(
        (shown["id"].as_i64(), shown["kind"].as_str(), shown["title"].as_str()),
        (Some(chat), Some("inquiry"), Some("ЕГЭ: вопросы"))
    );
    assert_eq!((shown["participant"]["name"].as_str(), shown["context"].clone()), (Some("Мама Пети"), context.clone()));
    // Then the visitor's question, the chat's first message: no inquiry is ever empty.
    let question = teacher_stream.event().await;
    assert_eq!(question.event, "new_message");
    let question = question.json();
    assert_eq!(
        (question["message"]["content"].as_str(), question["message"]["sender_id"].as_i64()),
        (Some(QUESTION), opened["user"]["id"].as_i64())
    );

    // The guest, by their cookie alone (as a browser would), reads, writes and listens.
    let cookie_pair = cookie.split(';').next().expect("name=value").to_owned();
    let as_guest =
        |request: reqwest::RequestBuilder| request.header("cookie", &cookie_pair).header("origin", app.url(""));
    let (status, list) =
        status_and_json(as_guest(app.http.get(app.url("/api/chats"))).send().await.expect("GET")).await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["chats"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        (list["chats"][0]["participant"]["name"].as_str(), list["chats"][0]["kind"].as_str()),
        (Some("Иван Петров"), Some("inquiry"))
    );
    let mut guest_stream =
        open_stream(&app.http, &app.url("/api/events/chat"), opened["token"].as_str().expect("t"), None).await;
    let sent = as_guest(app.http.post(app.url("/api/messages")))
        .json(&json!({ "chat_id": chat, "content": "Здравствуйте! Есть места?" }));
    let (status, message) = status_and_json(sent.send().await.expect("POST")).await;
    assert_eq!(status, 201, "{message}");
    let event = teacher_stream.event().await;
    assert_eq!((event.event.as_str(), event.json()["message"]["id"].clone()), ("new_message", message["id"].clone()));
    let reply = app.send(&teacher, chat, "Да, есть").await;
    // The guest's stream has their own message, then the teacher's.
    let mut got = Vec::new();
    while got.len() < 2 {
        let event = guest_stream.event().await;
        let id = event.json()["message"]["id"].as_i64();
        got.push((event.event, id));
    }
    assert_eq!(got[1], ("new_message".to_owned(), Some(reply)));

    // The teacher's inbox: the inquiry, with its context, first.
    let (_, inbox) = status_and_json(app.get("/api/chats?kind=inquiry", &teacher).send().await.expect("GET")).await;
    assert_eq!(inbox["chats"][0]["id"].as_i64(), Some(chat));
    assert_eq!(inbox["chats"][0]["context"], context);
    let rows = app.sql.query("SELECT content FROM audit_chat_timeline($1)", &[&chat]).await.expect("timeline");
    let first: String = rows[0].get(0);
    assert!(first.starts_with("inquiry \"ЕГЭ: вопросы\" opened by guest"), "{first}");
    assert!(app.sql.query("SELECT * FROM audit_replay()", &[]).await.expect("replay").is_empty());
}

#[tokio::test]
async fn a_guest_may_use_exactly_their_chat_and_nothing_else() {
    let app = TestApp::spawn_with(|config| config.append.editing = true).await;
    let (teacher, _, guest, chat) = inquiry(&app).await;
    let student = app.user("student", "S").await;
    let other_chat = app.chat(&teacher, &student).await;
    let other_message = app.send(&student, other_chat, "private").await;

    let forbidden: Vec<(reqwest::Method, String, Value)> = vec![
        (reqwest::Method::GET, format!("/api/chats/{other_chat}/messages"), json!(null)),
        (reqwest::Method::GET, format!("/api/chats/{other_chat}"), json!(null)),
        (reqwest::Method::POST, "/api/messages".into(), json!({ "chat_id": other_chat, "content": "hi" })),
        (reqwest::Method::DELETE, format!("/api/messages/{other_message}"), json!(null)),
        (reqwest::Method::POST, format!("/api/chats/{other_chat}/typing"), json!({ "is_typing": true })),
        (reqwest::Method::GET, "/api/admin/chats".into(), json!(null)),
        (reqwest::Method::GET, "/api/unread-count".into(), json!(null)),
        (reqwest::Method::GET, format!("/api/presence/{}", teacher.id), json!(null)),
        (reqwest::Method::POST, "/api/chats".into(), json!({ "kind": "group", "title": "x" })),
        (reqwest::Method::POST, "/api/inquiry-links".into(), json!({ "title": "x" })),
        (reqwest::Method::GET, "/api/inquiry-links".into(), json!(null)),
        (reqwest::Method::POST, format!("/api/direct/{}/send", teacher.id), json!({ "content": "x" })),
        (reqwest::Method::POST, "/api/lessons/1/complete".into(), json!(null)),
        (reqwest::Method::DELETE, format!("/api/chats/{chat}/participants/{}", guest.id), json!(null)),
        (reqwest::Method::PATCH, format!("/api/chats/{chat}"), json!({ "title": "mine" })),
    ];
    // Another chat's things are refused as if they did not exist, other endpoints whatever they
    // are about: 403 both.
    for (method, path, body) in forbidden {
        let mut request = app.http.request(method.clone(), app.url(&path)).bearer_auth(&guest.token);
        if !body.is_null() {
            request = request.json(&body);
        }
        let (status, answer) = status_and_json(request.send().await.expect("request")).await;
        assert_eq!(status, 403, "{method} {path}: {answer}");
    }
    // Their own chat: details, history, typing, read, their own message's edit.
    let (status, details) =
        status_and_json(app.get(&format!("/api/chats/{chat}"), &guest).send().await.expect("GET")).await;
    assert_eq!((status, details["kind"].as_str()), (200, Some("inquiry")));
    let mine = app.send(&guest, chat, "вопрос").await;
    assert_eq!(app.edit(&guest, mine, "вопрос (уточнение)").await.status(), 200);
    let theirs = app.send(&teacher, chat, "ответ").await;
    assert_eq!(app.read(&guest, chat, Some(theirs)).await.status(), 204);
    let (status, history) =
        status_and_json(app.get(&format!("/api/chats/{chat}/messages"), &guest).send().await.expect("GET")).await;
    assert_eq!((status, history["messages"].as_array().map(Vec::len)), (200, Some(3)), "the question too");
    let (status, me) = status_and_json(app.get("/api/me", &guest).send().await.expect("GET")).await;
    assert_eq!((status, me["user"]["role"].as_str()), (200, Some("guest")));
    // Guests are nobody's group members.
    let body = json!({ "kind": "group", "title": "G", "participant_ids": [guest.id] });
    let (status, _) = status_and_json(
        app.http.post(app.url("/api/chats")).bearer_auth(&teacher.token).json(&body).send().await.expect("POST"),
    )
    .await;
    assert_eq!(status, 422);
}
