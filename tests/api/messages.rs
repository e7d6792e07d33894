//! POST /api/messages, DELETE /api/messages/{id}, GET /api/chats/{id}/messages.

use serde_json::{Value, json};

use crate::helpers::{TestApp, User, status_and_json};

struct Pair {
    app: TestApp,
    teacher: User,
    student: User,
    outsider: User,
    admin: User,
    chat: i64,
    other_chat: i64,
}

async fn pair() -> Pair {
    let app = TestApp::spawn().await;
    let (teacher, student) = (app.user("teacher", "T").await, app.user("student", "S").await);
    let (outsider, admin) = (app.user("student", "O").await, app.user("admin", "A").await);
    let other_teacher = app.user("teacher", "T2").await;
    let chat = app.chat(&teacher, &student).await;
    let other_chat = app.chat(&other_teacher, &outsider).await;
    Pair { app, teacher, student, outsider, admin, chat, other_chat }
}

async fn post_raw(app: &TestApp, user: &User, body: &str) -> (u16, Value) {
    let response = app
        .http
        .post(app.url("/api/messages"))
        .bearer_auth(&user.token)
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .expect("send");
    status_and_json(response).await
}

#[tokio::test]
async fn sending_returns_the_stored_message_verbatim() {
    let p = pair().await;
    let content = "<script>alert(1)</script>\r\nПривет, 👋 \u{200b} tab\tend ";
    let response = p.app.post_message(&p.student, p.chat, content).await;
    let (status, body) = status_and_json(response).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["chat_id"].as_i64(), Some(p.chat));
    assert_eq!(body["sender_id"].as_i64(), Some(p.student.id));
    assert_eq!(body["content"], content);
    assert_eq!(body["is_deleted"], false);
    assert!(body["id"].is_i64() && body["created_at"].as_str().is_some_and(|t| t.ends_with('Z')));
    let stored: String = p
        .app
        .sql
        .query_one("SELECT content FROM messages WHERE id = $1", &[&body["id"].as_i64()])
        .await
        .expect("row")
        .get(0);
    assert_eq!(stored, content);
    let (_, unknown_field) =
        post_raw(&p.app, &p.student, &format!(r#"{{"chat_id":{},"content":"x","extra":[1]}}"#, p.chat)).await;
    assert_eq!(unknown_field["content"], "x", "unknown fields are ignored");
}

#[tokio::test]
async fn content_limits_count_characters_not_bytes() {
    let p = pair().await;
    for (content, expected) in [
        ("a".repeat(10_000), 201),
        ("я".repeat(10_000), 201),
        ("🙂".repeat(10_000), 201), // 40,000 bytes, 10,000 characters
        ("a".repeat(10_001), 400),
        ("🙂".repeat(10_001), 400),
        (String::new(), 422), // well-formed, but with no attachments it would show nothing
        ("   \n\t  ".into(), 400),
        ("\u{3000}\u{00a0}".into(), 400), // Unicode whitespace only
        ("nul\u{0}byte".into(), 400),
        ("\u{200B}\u{180E}".into(), 400), // invisible characters only: looks blank
        (" \u{2060}\u{FEFF}\u{200D} ".into(), 400),
        ("a\u{200B}".into(), 201), // something visible: accepted as sent
    ] {
        let (status, body) = status_and_json(p.app.post_message(&p.student, p.chat, &content).await).await;
        assert_eq!(status, expected, "{} chars: {body}", content.chars().count());
    }
    let count: i64 = p.app.sql.query_one("SELECT count(*) FROM messages", &[]).await.expect("count").get(0);
    assert_eq!(count, 4, "only the accepted messages were stored");
}

#[tokio::test]
async fn sending_is_refused_to_admins_outsiders_and_unknown_chats() {
    let p = pair().await;
    let (status, body) = status_and_json(p.app.post_message(&p.admin, p.chat, "hi").await).await;
    assert_eq!(status, 403, "{body}");
    assert!(body["error"].as_str().is_some_and(|e| e.contains("read-only")));
    assert_eq!(status_and_json(p.app.post_message(&p.outsider, p.chat, "hi").await).await.0, 403);
    assert_eq!(status_and_json(p.app.post_message(&p.student, p.other_chat, "hi").await).await.0, 403);
    assert_eq!(status_and_json(p.app.post_message(&p.student, 987_654, "hi").await).await.0, 403);
    let count: i64 =
        p.app.sql.query_one("SELECT count(*) FROM events WHERE type = 'message_created'", &[]).await.expect("q").get(0);
    assert_eq!(count, 0);
}

#[tokio::test]
async fn malformed_bodies_say_what_is_wrong() {
    let p = pair().await;
    let cases = [
        ("{", "JSON"),
        ("[]", "invalid"),
        (r#"{"content":"x"}"#, "chat_id"),
        (r#"{"chat_id":"1","content":"x"}"#, "chat_id"),
        (r#"{"chat_id":1}"#, "content"),
        (r#"{"chat_id":1,"content":42}"#, "content"),
        (r#"{"chat_id":1.5,"content":"x"}"#, "chat_id"),
    ];
    for (body, mentions) in cases {
        let (status, answer) = post_raw(&p.app, &p.student, body).await;
        assert_eq!(status, 400, "{body}: {answer}");
        assert!(
            answer["error"].as_str().is_some_and(|e| e.contains(mentions)),
            "{body}: {answer} should mention {mentions}"
        );
    }
    let no_type = p
        .app
        .http
        .post(p.app.url("/api/messages"))
        .bearer_auth(&p.student.token)
        .body("{}")
        .send()
        .await
        .expect("send");
    let (status, _) = status_and_json(no_type).await;
    assert_eq!(status, 415);
}

#[tokio::test]
async fn a_body_over_the_limit_is_413_json() {
    let p = pair().await;
    let huge = json!({ "chat_id": p.chat, "content": "a".repeat(70 * 1024) }).to_string();
    let (status, body) = post_raw(&p.app, &p.student, &huge).await;
    assert_eq!(status, 413, "{body}");
}

#[tokio::test]
async fn deleting_is_for_the_author_only_and_idempotent() {
    let p = pair().await;
    let id = p.app.send(&p.student, p.chat, "oops").await;
    for user in [&p.teacher, &p.admin] {
        let (status, body) = status_and_json(p.app.delete_message(user, id).await).await;
        assert_eq!(status, 403, "{body}");
    }
    // Someone who may not see the message learns nothing of it: the answer for a message that
    // does not exist.
    let (status, hidden) = status_and_json(p.app.delete_message(&p.outsider, id).await).await;
    let (missing_status, missing) = status_and_json(p.app.delete_message(&p.student, 987_654).await).await;
    assert_eq!((status, missing_status), (403, 403));
    assert_eq!(
        hidden["error"].as_str().map(|e| e.replace(&id.to_string(), "ID")),
        missing["error"].as_str().map(|e| e.replace("987654", "ID"))
    );
    let bad =
        p.app.http.delete(p.app.url("/api/messages/abc")).bearer_auth(&p.student.token).send().await.expect("send");
    assert_eq!(status_and_json(bad).await.0, 400);

    for _ in 0..2 {
        let (status, body) = status_and_json(p.app.delete_message(&p.student, id).await).await;
        assert_eq!((status, body), (200, json!({ "success": true })));
    }
    let row = p.app.sql.query_one("SELECT is_deleted, content FROM messages WHERE id = $1", &[&id]).await.expect("row");
    assert_eq!(
        (row.get::<_, bool>(0), row.get::<_, String>(1)),
        (true, "oops".to_owned()),
        "soft delete keeps the row"
    );
    let deletions: i64 =
        p.app.sql.query_one("SELECT count(*) FROM events WHERE type = 'message_deleted'", &[]).await.expect("q").get(0);
    assert_eq!(deletions, 1, "a repeated delete records nothing");
}

async fn page(app: &TestApp, user: &User, query: &str) -> (u16, Value) {
    status_and_json(app.get(query, user).send().await.expect("send")).await
}

#[tokio::test]
async fn history_access_and_parameters() {
    let p = pair().await;
    let first = p.app.send(&p.student, p.chat, "first").await;
    let gone = p.app.send(&p.teacher, p.chat, "gone").await;
    p.app.send(&p.teacher, p.chat, "last").await;
    p.app.delete_message(&p.teacher, gone).await;
    let path = format!("/api/chats/{}/messages", p.chat);

    let (status, body) = page(&p.app, &p.student, &path).await;
    assert_eq!(status, 200);
    let contents: Vec<&str> =
        body["messages"].as_array().expect("messages").iter().filter_map(|m| m["content"].as_str()).collect();
    assert_eq!(contents, vec!["first", "last"], "oldest first, deleted ones left out");
    assert_eq!(body["has_more"], false);
    let message = &body["messages"][0];
    assert_eq!(message["id"].as_i64(), Some(first));
    assert_eq!(message["sender_id"].as_i64(), Some(p.student.id));
    assert_eq!(message["is_deleted"], false);
    assert!(message["created_at"].is_string());

    assert_eq!(page(&p.app, &p.admin, &path).await.0, 200, "admins read every chat");
    // A chat one may not see answers as one that does not exist.
    let (status, hidden) = page(&p.app, &p.outsider, &path).await;
    assert_eq!(status, 403);
    assert_eq!(page(&p.app, &p.student, &format!("/api/chats/{}/messages", p.other_chat)).await.0, 403);
    let (status, missing) = page(&p.app, &p.student, "/api/chats/987654/messages").await;
    assert_eq!(status, 403);
    assert_eq!(
        hidden["error"].as_str().map(|e| e.replace(&p.chat.to_string(), "ID")),
        missing["error"].as_str().map(|e| e.replace("987654", "ID"))
    );
    assert_eq!(page(&p.app, &p.student, "/api/chats/abc/messages").await.0, 400);
    for bad in ["limit=0", "limit=101", "limit=-1", "limit=abc", "before_id=x", "limit=99999999999999999999"] {
        let (status, body) = page(&p.app, &p.student, &format!("{path}?{bad}")).await;
        assert_eq!(status, 400, "{bad}: {body}");
    }
    assert_eq!(page(&p.app, &p.student, &format!("{path}?limit=100")).await.0, 200);
    assert_eq!(page(&p.app, &p.student, &format!("{path}?limit=1")).await.1["has_more"], true);
}

/// Walk a 120-message chat backwards: every message exactly once, in order, has_more false at
/// the end — also when the last page is exactly full.
#[tokio::test]
async fn paging_backwards_returns_every_message_once_in_order() {
    let p = pair().await;
    let mut sent = Vec::new();
    for i in 0..120 {
        let author = if i % 3 == 0 { &p.teacher } else { &p.student };
        sent.push(p.app.send(author, p.chat, &format!("message {i}")).await);
    }
    for limit in [50, 40, 60, 30, 7, 100] {
        let mut collected: Vec<i64> = Vec::new();
        let mut before: Option<i64> = None;
        let mut pages = 0;
        loop {
            let query = match before {
                Some(id) => format!("/api/chats/{}/messages?limit={limit}&before_id={id}", p.chat),
                None => format!("/api/chats/{}/messages?limit={limit}", p.chat),
            };
            let (status, body) = page(&p.app, &p.student, &query).await;
            assert_eq!(status, 200);
            let ids: Vec<i64> =
                body["messages"].as_array().expect("messages").iter().filter_map(|m| m["id"].as_i64()).collect();
            assert!(ids.len() <= limit);
            assert!(ids.windows(2).all(|w| w[0] < w[1]), "each page is oldest first");
            pages += 1;
            let mut older = ids.clone();
            older.extend(collected);
            collected = older;
            if body["has_more"] == false {
                break;
            }
            before = ids.first().copied();
            assert!(pages <= 200, "paging does not end");
        }
        assert_eq!(collected, sent, "limit {limit}");
        assert_eq!(pages, 120usize.div_ceil(limit), "limit {limit}: no empty trailing page");
    }
}
