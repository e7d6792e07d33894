//! Blocking an inquiry's visitor: the inquiry's teacher (or an admin) closes the chat on every
//! replica, the guest's session and stream end, and the link refuses that visitor again, by the
//! credential their browser still holds or, for a while, by the address they came from; other
//! visitors still get in. The log records who blocked, the audit shows it.

use std::time::Duration;

use serde_json::{Value, json};

use crate::governance::{audit_is_clean, timeline};
use crate::helpers::{TestApp, User, status_and_json};
use crate::inquiries::{QUESTION, link};

/// `POST /api/chats/{chat}/block` as `by`.
pub(crate) async fn block(app: &TestApp, by: &User, chat: i64) -> (u16, Value) {
    let request = app.http.post(app.url(&format!("/api/chats/{chat}/block"))).bearer_auth(&by.token);
    let response = request.send().await.expect("block");
    match response.status().as_u16() {
        204 => (204, Value::Null),
        _ => status_and_json(response).await,
    }
}

/// What a visitor may bring back to a link: the guest credential as the browser's cookie or as
/// a Bearer token.
enum Credential<'a> {
    None,
    Cookie(&'a str),
    Bearer(&'a str),
}

/// A visitor opens link `token` from `address` (behind the test's trusted proxy).
async fn visit(app: &TestApp, token: &str, address: &str, credential: Credential<'_>) -> (u16, Value) {
    let mut request = app
        .http
        .post(app.url(&format!("/api/inquiry/{token}")))
        .header("x-forwarded-for", address)
        .json(&json!({ "name": "Гость", "message": QUESTION }));
    request = match credential {
        Credential::None => request,
        Credential::Cookie(value) => request.header("cookie", format!("tutorchat_guest={value}")),
        Credential::Bearer(value) => request.bearer_auth(value),
    };
    status_and_json(request.send().await.expect("POST inquiry")).await
}

fn guest_of(opened: &Value) -> (User, i64) {
    let guest =
        User { id: opened["user"]["id"].as_i64().expect("id"), token: opened["token"].as_str().expect("token").into() };
    (guest, opened["chat_id"].as_i64().expect("chat"))
}

#[tokio::test]
async fn a_teacher_blocks_a_visitor_on_every_replica_and_the_link_refuses_them_again() {
    let a = TestApp::spawn().await;
    let b = a.replica().await;
    let teacher = a.user("teacher", "Иван Петров").await;
    let (other, student) = (a.user("teacher", "Чужой").await, a.user("student", "Маша").await);
    let (_, created) = link(&a, &teacher, json!({ "title": "Курсы" })).await;
    let token = created["token"].as_str().expect("token");
    let (status, opened) = visit(&a, token, "203.0.113.7", Credential::None).await;
    assert_eq!(status, 201, "{opened}");
    let (guest, chat) = guest_of(&opened);
    let direct = a.chat(&teacher, &student).await;

    let mut on_a = a.stream(&teacher, None).await;
    let mut on_b = b.stream(&teacher, None).await;
    let mut guest_stream = b.stream(&guest, None).await;

    // Only the inquiry's teacher or an admin blocks, and only an inquiry's visitor.
    for who in [&other, &student] {
        let (status, body) = block(&a, who, chat).await;
        assert_eq!((status, body["code"].as_str()), (403, Some("forbidden")), "{body}");
    }
    assert_eq!(block(&a, &guest, chat).await.0, 403, "a guest blocks nobody");
    assert_eq!(block(&a, &teacher, direct).await.0, 403, "a direct chat has no visitor");
    assert_eq!(block(&a, &teacher, 999_999).await.0, 403);

    assert_eq!(block(&b, &teacher, chat).await, (204, Value::Null));
    for stream in [&mut on_a, &mut on_b] {
        let closed = stream.event().await;
        assert_eq!(closed.event, "chat_closed", "{}", closed.data);
        let data = closed.json();
        assert_eq!((data["chat_id"].as_i64(), data["reason"].as_str()), (Some(chat), Some("blocked")));
        assert_eq!(data["actor_id"].as_i64(), Some(teacher.id));
    }
    let rest = guest_stream.until_closed(Duration::from_secs(10)).await;
    assert_eq!(rest.iter().map(|e| e.event.as_str()).collect::<Vec<_>>(), ["chat_closed"], "the guest's stream ends");
    assert_eq!(a.post_message(&guest, chat, "ещё").await.status(), 401, "their credential is refused");
    assert_eq!(a.post_message(&teacher, chat, "ответ").await.status(), 409, "read-only for the teacher");
    assert_eq!(block(&a, &teacher, chat).await.0, 204, "blocking twice is fine");
    let closes: i64 = a
        .sql
        .query_one("SELECT count(*) FROM events WHERE type = 'chat_closed' AND chat_id = $1", &[&chat])
        .await
        .expect("count")
        .get(0);
    assert_eq!(closes, 1, "and changes nothing");

    // The same visitor is refused again: by their cookie or token from anywhere, by their
    // address without either; another visitor still gets in.
    for (address, credential) in [
        ("198.51.100.20", Credential::Cookie(&guest.token)),
        ("198.51.100.21", Credential::Bearer(&guest.token)),
        ("203.0.113.7", Credential::None),
    ] {
        let (status, body) = visit(&b, token, address, credential).await;
        assert_eq!((status, body["code"].as_str()), (403, Some("visitor_blocked")), "{address}: {body}");
    }
    let (status, body) = visit(&a, token, "192.0.2.44", Credential::None).await;
    assert_eq!(status, 201, "another visitor: {body}");
    let guests: i64 =
        a.sql.query_one("SELECT count(*) FROM users WHERE role = 'guest'", &[]).await.expect("count").get(0);
    assert_eq!(guests, 2, "a refused visitor leaves no guest behind");

    // On resume, the closing comes again as it was; the audit says who blocked.
    let mut resumed = a.stream(&teacher, Some("0")).await;
    loop {
        let event = resumed.event().await;
        if event.event == "chat_closed" {
            assert_eq!(
                (event.json()["chat_id"].as_i64(), event.json()["reason"].as_str()),
                (Some(chat), Some("blocked"))
            );
            break;
        }
    }
    let said = timeline(&a, chat, "chat_closed").await;
    assert_eq!(said, [format!("closed: Иван Петров ({}) blocked the visitor", teacher.id)]);
    let row = a.sql.query_one("SELECT guest_id, blocked_by FROM inquiry_blocks WHERE chat_id = $1", &[&chat]).await;
    let row = row.expect("a block");
    assert_eq!((row.get::<_, i64>(0), row.get::<_, i64>(1)), (guest.id, teacher.id));
    audit_is_clean(&a).await;
}

#[tokio::test]
async fn an_admin_blocks_the_visitor_of_an_idle_inquiry_and_without_an_address_window_only_the_credential_tells() {
    let app = TestApp::spawn_with(|c| c.inquiry.block_address = Duration::ZERO).await;
    let (teacher, admin) = (app.user("teacher", "T").await, app.user("admin", "A").await);
    let (_, created) = link(&app, &teacher, json!({ "title": "Курсы" })).await;
    let token = created["token"].as_str().expect("token");
    let (_, opened) = visit(&app, token, "203.0.113.9", Credential::None).await;
    let (guest, chat) = guest_of(&opened);
    // Closed as idle first (what the sweep appends), then blocked: a visitor can still be blocked.
    let closed = tutorchat::log::NewEvent::ChatClosed { chat_id: chat };
    app.state.appender.append(closed).await.expect("close");
    assert_eq!(block(&app, &admin, chat).await.0, 204);
    assert_eq!(
        timeline(&app, chat, "chat_closed").await,
        ["closed (idle)".to_owned(), "closed: A (".to_owned() + &admin.id.to_string() + ") blocked the visitor"]
    );
    // No address kept (INQUIRY_BLOCK_ADDRESS_HOURS=0): only the credential tells the visitor.
    let kept: i64 = app.sql.query_one("SELECT count(*) FROM guest_addresses", &[]).await.expect("count").get(0);
    assert_eq!(kept, 0);
    assert_eq!(visit(&app, token, "203.0.113.9", Credential::None).await.0, 201);
    assert_eq!(visit(&app, token, "203.0.113.9", Credential::Cookie(&guest.token)).await.0, 403);
    audit_is_clean(&app).await;
}

#[tokio::test]
async fn a_blocked_visitors_address_is_forgotten_once_its_window_has_passed() {
    // A window of a millisecond: past as soon as the block has been answered.
    let app = TestApp::spawn_with(|c| c.inquiry.block_address = Duration::from_millis(1)).await;
    let teacher = app.user("teacher", "T").await;
    let (_, created) = link(&app, &teacher, json!({ "title": "Курсы" })).await;
    let token = created["token"].as_str().expect("token");
    let (_, opened) = visit(&app, token, "203.0.113.11", Credential::None).await;
    let (guest, chat) = guest_of(&opened);
    let (_, still_open) = visit(&app, token, "198.51.100.30", Credential::None).await;
    assert_eq!(block(&app, &teacher, chat).await.0, 204);
    let forgotten = tutorchat::governance::forget_addresses(&app.state).await.expect("forget");
    assert_eq!(forgotten, 1, "the blocked visitor's, not that of a visitor whose inquiry is open");
    let left: Vec<i64> = app
        .sql
        .query("SELECT guest_id FROM guest_addresses", &[])
        .await
        .expect("rows")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(left, [still_open["user"]["id"].as_i64().expect("id")]);
    // Past the window, the address no longer tells the visitor; their credential still does.
    assert_eq!(visit(&app, token, "203.0.113.11", Credential::None).await.0, 201);
    assert_eq!(visit(&app, token, "203.0.113.12", Credential::Cookie(&guest.token)).await.0, 403);
}
