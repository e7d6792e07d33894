//! Inquiry chats: a visitor without an account opens a teacher's inquiry link, gives a name and
//! a question, and talks with the teacher as a guest who may use exactly that chat, until it
//! closes.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{TestApp, User, open_stream, status_and_json};

pub(crate) async fn link(app: &TestApp, by: &User, body: Value) -> (u16, Value) {
    let request = app.http.post(app.url("/api/inquiry-links")).bearer_auth(&by.token).json(&body);
    status_and_json(request.send().await.expect("POST inquiry-links")).await
}

/// The question every test visitor asks first.
pub(crate) const QUESTION: &str = "Здравствуйте! Есть места на курсе?";

/// A visitor gives `name` and [`QUESTION`] at link `token`: (status, body, the Set-Cookie header).
pub(crate) async fn visit(app: &TestApp, token: &str, name: &str) -> (u16, Value, Option<String>) {
    visit_with(app, token, json!({ "name": name, "message": QUESTION }), None).await
}

/// A visitor posts `body` at link `token`, from `address` behind the test's trusted proxy if given.
pub(crate) async fn visit_with(
    app: &TestApp,
    token: &str,
    body: Value,
    address: Option<&str>,
) -> (u16, Value, Option<String>) {
    let mut request = app.http.post(app.url(&format!("/api/inquiry/{token}"))).json(&body);
    if let Some(address) = address {
        request = request.header("x-forwarded-for", address);
    }
    let response = request.send().await.expect("POST inquiry");
    let cookie = response.headers().get("set-cookie").map(|v| v.to_str().expect("ascii").to_owned());
    let (status, body) = status_and_json(response).await;
    (status, body, cookie)
}

/// A teacher's link and a guest who opened it: (teacher, link token, guest as a User, chat id).
pub(crate) async fn inquiry(app: &TestApp) -> (User, String, User, i64) {
    let teacher = app.user("teacher", "Иван Петров").await;
    let context = json!({ "type": "course", "id": 12, "title": "ЕГЭ математика" });
    let (status, created) = link(app, &teacher, json!({ "title": "ЕГЭ математика", "context": context })).await;
    assert_eq!(status, 201, "{created}");
    let token = created["token"].as_str().expect("token").to_owned();
    let (status, opened, _) = visit(app, &token, "Мама Пети").await;
    assert_eq!(status, 201, "{opened}");
    let guest =
        User { id: opened["user"]["id"].as_i64().expect("id"), token: opened["token"].as_str().expect("t").into() };
    (teacher, token, guest, opened["chat_id"].as_i64().expect("chat"))
}

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
    let app = TestApp::spawn().await;
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
    // Another chat's things are not there for them (404, as if they did not exist); other
    // endpoints are refused whatever they are about (403).
    let hidden = 5;
    for (i, (method, path, body)) in forbidden.into_iter().enumerate() {
        let mut request = app.http.request(method.clone(), app.url(&path)).bearer_auth(&guest.token);
        if !body.is_null() {
            request = request.json(&body);
        }
        let (status, answer) = status_and_json(request.send().await.expect("request")).await;
        assert_eq!(status, if i < hidden { 404 } else { 403 }, "{method} {path}: {answer}");
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
    for (name, expected) in [("", 400), ("   ", 400), (&"я".repeat(101) as &str, 400), ("a\u{0}b", 400)] {
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
    assert_eq!(revoke(&other, id).await, 404, "not theirs: as if it did not exist");
    let mut guest_stream = app.stream(&guest, None).await;
    assert_eq!(revoke(&teacher, id).await, 204);
    assert_eq!(revoke(&admin, id).await, 204, "twice is fine");
    assert_eq!(revoke(&teacher, 999_999).await, 404);
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

/// The status of an event stream opened by `user` (its body is left unread).
async fn open_stream_status(app: &TestApp, user: &User) -> u16 {
    app.get("/api/events/chat", user).send().await.expect("GET stream").status().as_u16()
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
