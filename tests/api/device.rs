//! What a browser keeps of a person after their session ends: nothing the server can prevent.
//! Every API answer is `Cache-Control: no-store` (no private answer stays in a shared device's
//! disk cache), signing out and a 401 that ends a session (`session_ended`,
//! `account_deactivated`) say `Clear-Site-Data: "cache", "storage"`, and a message is sent only
//! as the person who wrote it (`X-Expected-User`: an outbox kept in one tab never goes out under
//! the name of someone who signed in in another). Security review 2026-11-29: H1, M1, L2.

use reqwest::header::{CACHE_CONTROL, HeaderMap};
use serde_json::{Value, json};

use crate::attachments::{PNG, send_with, uploaded};
use crate::helpers::{TestApp, User, sign, status_and_json};

const FORGET: &str = "\"cache\", \"storage\"";

fn clear_site_data(headers: &HeaderMap) -> Option<&str> {
    headers.get("clear-site-data").map(|v| v.to_str().expect("ascii"))
}

/// Signs `user` in with the dev login; answers the cookie to send back, and the answer's body.
async fn dev_sign_in(app: &TestApp, user: &User) -> (String, Value) {
    let email: String =
        app.sql.query_one("SELECT email FROM users WHERE id = $1", &[&user.id]).await.expect("email").get(0);
    let login =
        app.fresh.post(app.url("/api/dev/login")).json(&json!({ "email": email })).send().await.expect("dev login");
    let set_cookie = crate::helpers::set_cookie(&login, "access_token").expect("the session's cookie");
    let (status, body) = status_and_json(login).await;
    assert_eq!(status, 200, "{body}");
    (set_cookie.split(';').next().expect("name=value").to_owned(), body)
}

async fn me_with_cookie(app: &TestApp, cookie: &str) -> reqwest::Response {
    app.fresh.get(app.url("/api/me")).header("cookie", cookie).send().await.expect("GET /api/me")
}

#[tokio::test]
async fn signing_out_and_a_401_that_ends_the_session_tell_the_browser_to_forget_the_site() {
    let app = TestApp::spawn().await;
    let (student, admin) = (app.user("student", "Student").await, app.user("admin", "Admin").await);
    let (cookie, _) = dev_sign_in(&app, &student).await;

    let logout = app
        .fresh
        .post(app.url("/api/logout"))
        .header("cookie", &cookie)
        .header("origin", format!("http://{}", app.addr))
        .send()
        .await
        .expect("POST /api/logout");
    assert_eq!(logout.status(), 204);
    assert_eq!(clear_site_data(logout.headers()), Some(FORGET));

    // A copy of the signed-out session (another tab, another device): 401 `session_ended`.
    let ended = me_with_cookie(&app, &cookie).await;
    let headers = ended.headers().clone();
    let (status, body) = status_and_json(ended).await;
    assert_eq!((status, body["code"].as_str()), (401, Some("session_ended")), "{body}");
    assert_eq!(clear_site_data(&headers), Some(FORGET));

    // A deactivated account's session: 401 `account_deactivated`, on any request.
    let (cookie, _) = dev_sign_in(&app, &student).await;
    let (status, body) = crate::departures::deactivate(&app, &admin, &student, true).await;
    assert_eq!(status, 204, "{body}");
    let refused = me_with_cookie(&app, &cookie).await;
    let headers = refused.headers().clone();
    let (status, body) = status_and_json(refused).await;
    assert_eq!((status, body["code"].as_str()), (401, Some("account_deactivated")), "{body}");
    assert_eq!(clear_site_data(&headers), Some(FORGET));

    // Other refusals leave the browser alone: no credential, an expired token, a 403.
    let none = app.fresh.get(app.url("/api/me")).send().await.expect("GET /api/me");
    assert_eq!((none.status().as_u16(), clear_site_data(none.headers())), (401, None));
    let expired = sign(
        &json!({ "sub": admin.id.to_string(), "exp": crate::helpers::now() - 60 }),
        crate::helpers::SECRET,
        jsonwebtoken::Algorithm::HS256,
    );
    let late = app.fresh.get(app.url("/api/me")).bearer_auth(&expired).send().await.expect("GET /api/me");
    assert_eq!((late.status().as_u16(), clear_site_data(late.headers())), (401, None));
}

#[tokio::test]
async fn api_me_says_when_the_session_ends() {
    let app = TestApp::spawn().await;
    let student = app.user("student", "Student").await;
    let (cookie, signed_in) = dev_sign_in(&app, &student).await;
    let (status, me) = status_and_json(me_with_cookie(&app, &cookie).await).await;
    assert_eq!(status, 200, "{me}");
    let at = |body: &Value| {
        let text = body["session_expires_at"].as_str().unwrap_or_else(|| panic!("no session_expires_at: {body}"));
        time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).expect("RFC 3339")
    };
    // The session's token says when: the cookie's exp, as the sign-in said.
    let token = cookie.split_once('=').expect("name=value").1;
    let claims: Value = serde_json::from_slice(
        &base64::Engine::decode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            token.split('.').nth(1).expect("payload"),
        )
        .expect("base64"),
    )
    .expect("claims");
    assert_eq!(at(&me).unix_timestamp(), claims["exp"].as_i64().expect("exp"));
    assert!((at(&signed_in) - at(&me)).whole_seconds().abs() <= 1, "{signed_in} {me}");
}

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

/// `POST /api/messages` as `user`, saying it was written by `author` (none: no header).
async fn send_as(app: &TestApp, user: &User, author: Option<&str>, chat: i64, content: &str) -> (u16, Value) {
    let mut request = app
        .http
        .post(app.url("/api/messages"))
        .bearer_auth(&user.token)
        .header("idempotency-key", format!("outbox-{}", content.replace(' ', "-")))
        .json(&json!({ "chat_id": chat, "content": content }));
    if let Some(author) = author {
        request = request.header("x-expected-user", author);
    }
    status_and_json(request.send().await.expect("POST /api/messages")).await
}

#[tokio::test]
async fn a_message_goes_only_as_the_person_who_wrote_it() {
    let app = TestApp::spawn().await;
    let (teacher, student) = (app.user("teacher", "Teacher").await, app.user("student", "Student").await);
    let chat = app.chat(&teacher, &student).await;

    // Written by the student, kept in her outbox; the browser's session is now the teacher's.
    let (status, body) = send_as(&app, &teacher, Some(&student.id.to_string()), chat, "written by the student").await;
    assert_eq!((status, body["code"].as_str()), (409, Some("expected_user_mismatch")), "{body}");
    // Nothing was stored, as anyone; the same key still works for its author.
    let history = app.get(&format!("/api/chats/{chat}/messages?limit=50"), &teacher).send().await.expect("history");
    let (_, history) = status_and_json(history).await;
    assert_eq!(history["messages"].as_array().expect("messages").len(), 0, "{history}");

    let (status, body) = send_as(&app, &student, Some(&student.id.to_string()), chat, "written by the student").await;
    assert_eq!((status, body["sender_id"].as_i64()), (201, Some(student.id)), "{body}");
    // Without the header (other clients, and older ones), as before.
    let (status, body) = send_as(&app, &teacher, None, chat, "no author named").await;
    assert_eq!((status, body["sender_id"].as_i64()), (201, Some(teacher.id)), "{body}");
    // A header that names nobody is malformed.
    let (status, body) = send_as(&app, &teacher, Some("maria"), chat, "named oddly").await;
    assert_eq!((status, body["code"].as_str()), (400, Some("invalid_request")), "{body}");
    // Any write is bound the same way (the check is the authentication's, not the handler's).
    let id = student_message(&app, &student, chat).await;
    let edit = app
        .http
        .put(app.url(&format!("/api/messages/{id}")))
        .bearer_auth(&teacher.token)
        .header("x-expected-user", student.id.to_string())
        .json(&json!({ "content": "changed" }))
        .send()
        .await
        .expect("PUT");
    let (status, body) = status_and_json(edit).await;
    assert_eq!((status, body["code"].as_str()), (409, Some("expected_user_mismatch")), "{body}");
}

/// The id of the student's message in `chat`.
async fn student_message(app: &TestApp, student: &User, chat: i64) -> i64 {
    let (_, history) =
        status_and_json(app.get(&format!("/api/chats/{chat}/messages?limit=50"), student).send().await.expect("GET"))
            .await;
    let messages = history["messages"].as_array().expect("messages");
    messages.iter().find(|m| m["sender_id"] == json!(student.id)).expect("her message")["id"].as_i64().expect("id")
}
