//! A guardian asks the school to close their child's chat with a teacher: only a guardian linked
//! to the chat's student may ask; admins see the request live on any replica and close the chat
//! (read-only for both participants, live) or decline it; the guardian sees the outcome; the
//! participants never see the request, only the closing. Resume replays it all; the guardian's
//! erasure purges their words; the log rebuilds every step.

use serde_json::{Value, json};

use crate::governance::{audit_is_clean, erase, full_dump, timeline};
use crate::helpers::{TestApp, User, status_and_json};

async fn link_guardian(app: &TestApp, admin: &User, guardian: &User, student: &User) {
    let url = app.url(&format!("/api/admin/guardians/{}/students/{}", guardian.id, student.id));
    let status = app.http.put(url).bearer_auth(&admin.token).send().await.expect("link").status().as_u16();
    assert_eq!(status, 201);
}

/// `POST /api/chats/{chat}/closure-requests` as `by`.
async fn ask(app: &TestApp, by: &User, chat: i64, reason: &str) -> (u16, Value) {
    let request = app.http.post(app.url(&format!("/api/chats/{chat}/closure-requests"))).bearer_auth(&by.token);
    status_and_json(request.json(&json!({ "reason": reason })).send().await.expect("ask")).await
}

/// `POST /api/admin/closure-requests/{id}/{verb}` (close, decline) as `by`.
async fn decide(app: &TestApp, by: &User, id: i64, verb: &str, body: Option<Value>) -> u16 {
    let mut request =
        app.http.post(app.url(&format!("/api/admin/closure-requests/{id}/{verb}"))).bearer_auth(&by.token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.expect("decide").status().as_u16()
}

async fn list(app: &TestApp, by: &User, path: &str) -> (u16, Value) {
    status_and_json(app.get(path, by).send().await.expect("GET")).await
}

struct School {
    teacher: User,
    child: User,
    guardian: User,
    admin: User,
    chat: i64,
}

async fn school(app: &TestApp) -> School {
    let (teacher, child) = (app.user("teacher", "Иван").await, app.user("student", "Маша").await);
    let (guardian, admin) = (app.user("guardian", "Мама Маши").await, app.user("admin", "Завуч").await);
    link_guardian(app, &admin, &guardian, &child).await;
    let chat = app.chat(&teacher, &child).await;
    School { teacher, child, guardian, admin, chat }
}

const REASON: &str = "Учитель пишет Маше поздно вечером о личном";

#[tokio::test]
async fn a_linked_guardian_asks_and_an_admin_closes_the_chat_for_both_participants_live() {
    let a = TestApp::spawn().await;
    let b = a.replica().await;
    let s = school(&a).await;
    let other = a.user("student", "Петя").await;
    let others_guardian = a.user("guardian", "Папа Пети").await;
    link_guardian(&a, &s.admin, &others_guardian, &other).await;
    let unlinked = a.user("guardian", "Никто").await;
    let others_chat = a.chat(&s.teacher, &other).await;
    a.send(&s.teacher, s.chat, "до завтра").await;

    let mut admin_stream = b.stream(&s.admin, None).await;
    let mut teacher_stream = b.stream(&s.teacher, None).await;
    let mut child_stream = a.stream(&s.child, None).await;
    let mut guardian_stream = b.stream(&s.guardian, None).await;

    // Only a guardian linked to the chat's student asks.
    for who in [&others_guardian, &unlinked, &s.teacher, &s.child, &s.admin] {
        let (status, body) = ask(&a, who, s.chat, REASON).await;
        assert_eq!(status, 403, "user {}: {body}", who.id);
    }
    assert_eq!(ask(&a, &s.guardian, others_chat, REASON).await.0, 403, "another child's chat");
    for reason in ["", "   ", &"я".repeat(1001)] {
        assert_eq!(ask(&a, &s.guardian, s.chat, reason).await.0, 400, "{reason:?}");
    }
    let (status, asked) = ask(&a, &s.guardian, s.chat, REASON).await;
    assert_eq!(status, 201, "{asked}");
    let id = asked["id"].as_i64().expect("id");
    assert_eq!((asked["reason"].as_str(), asked["outcome"].as_null()), (Some(REASON), Some(())));

    // Admins see it live on the other replica; so does the guardian who asked.
    for stream in [&mut admin_stream, &mut guardian_stream] {
        let seen = stream.event().await;
        assert_eq!(seen.event, "closure_requested", "{}", seen.data);
        assert_eq!(
            (seen.json()["request"]["id"].as_i64(), seen.json()["request"]["chat_id"].as_i64()),
            (Some(id), Some(s.chat))
        );
    }
    let (_, mine) = list(&b, &s.guardian, "/api/closure-requests").await;
    assert_eq!(mine["requests"][0]["id"].as_i64(), Some(id), "{mine}");
    let (_, all) = list(&b, &s.admin, "/api/admin/closure-requests").await;
    assert_eq!(all["requests"][0]["teacher"]["id"].as_i64(), Some(s.teacher.id), "{all}");
    assert_eq!(list(&b, &s.teacher, "/api/admin/closure-requests").await.0, 403);
    // Asked twice: closing the chat grants both.
    let (status, twice) = ask(&a, &s.guardian, s.chat, "и ещё раз").await;
    assert_eq!(status, 201, "{twice}");
    for stream in [&mut admin_stream, &mut guardian_stream] {
        assert_eq!(stream.event().await.event, "closure_requested");
    }
    assert_eq!(decide(&a, &s.teacher, id, "close", None).await, 403);
    assert_eq!(decide(&a, &s.guardian, id, "close", None).await, 403);
    assert_eq!(decide(&a, &s.admin, 999_999, "close", None).await, 404);

    assert_eq!(decide(&b, &s.admin, id, "close", None).await, 204);
    // The participants' first word of it is the closing: they never saw the request.
    for stream in [&mut teacher_stream, &mut child_stream, &mut guardian_stream, &mut admin_stream] {
        let closed = stream.event().await;
        assert_eq!(closed.event, "chat_closed", "{}", closed.data);
        let data = closed.json();
        assert_eq!((data["chat_id"].as_i64(), data["reason"].as_str()), (Some(s.chat), Some("guardian_request")));
        assert_eq!((data["request_id"].as_i64(), data["actor_id"].as_i64()), (Some(id), Some(s.admin.id)));
    }
    for (app, who) in [(&a, &s.teacher), (&b, &s.child), (&b, &s.teacher)] {
        let (status, body) = status_and_json(app.post_message(who, s.chat, "ещё слово").await).await;
        assert_eq!((status, body["code"].as_str()), (409, Some("chat_closed")), "{body}");
    }
    let typing = a
        .http
        .post(a.url(&format!("/api/chats/{}/typing", s.chat)))
        .bearer_auth(&s.teacher.token)
        .json(&json!({ "is_typing": true }));
    assert_eq!(typing.send().await.expect("typing").status(), 409, "no typing in a closed chat either");
    // A later lesson of the pair does not reopen it: the pair keeps its one chat.
    assert_eq!(a.chat(&s.teacher, &s.child).await, s.chat);
    assert_eq!(a.post_message(&s.child, s.chat, "снова урок").await.status(), 409);
    let (_, mine) = list(&a, &s.guardian, "/api/closure-requests").await;
    let requests = mine["requests"].as_array().expect("requests");
    assert_eq!(requests.len(), 2, "{mine}");
    for request in requests {
        assert_eq!((request["outcome"].as_str(), request["decided_by"].as_i64()), (Some("closed"), Some(s.admin.id)));
    }
    assert_eq!(decide(&a, &s.admin, id, "decline", None).await, 204, "decided already: nothing changes");
    assert_eq!(ask(&a, &s.guardian, s.chat, REASON).await.0, 409, "a closed chat is closed");

    // Resume: the teacher gets the closing and never the request; the guardian both.
    let mut resumed = a.stream(&s.teacher, Some("0")).await;
    loop {
        let event = resumed.event().await;
        assert_ne!(event.event, "closure_requested");
        if event.event == "chat_closed" {
            break;
        }
    }
    let mut resumed = b.stream(&s.guardian, Some("0")).await;
    let mut kinds = Vec::new();
    while kinds.last().is_none_or(|kind| kind != "chat_closed") {
        kinds.push(resumed.event().await.event);
    }
    // The child's chat, then the guardian's own with its teacher (the link opened it).
    assert_eq!(
        kinds,
        ["chat_created", "chat_created", "new_message", "closure_requested", "closure_requested", "chat_closed"]
    );

    assert_eq!(
        timeline(&a, s.chat, "closure_requested").await,
        [
            format!("closure requested by guardian Мама Маши ({}): {REASON}", s.guardian.id),
            format!("closure requested by guardian Мама Маши ({}): и ещё раз", s.guardian.id)
        ]
    );
    assert_eq!(
        timeline(&a, s.chat, "chat_closed").await,
        [format!("closed by Завуч ({}) on closure request {id}", s.admin.id)]
    );
    audit_is_clean(&a).await;
}

#[tokio::test]
async fn a_declined_request_leaves_the_chat_open_and_the_guardians_erasure_purges_its_reason() {
    let app = TestApp::spawn().await;
    let s = school(&app).await;
    let (_, asked) = ask(&app, &s.guardian, s.chat, REASON).await;
    let id = asked["id"].as_i64().expect("id");
    let mut guardian_stream = app.stream(&s.guardian, None).await;
    let mut teacher_stream = app.stream(&s.teacher, None).await;

    let note = "Поговорили с учителем: сообщения будут только днём";
    assert_eq!(decide(&app, &s.admin, id, "decline", Some(json!({ "note": "x".repeat(1001) }))).await, 400);
    assert_eq!(decide(&app, &s.admin, id, "decline", Some(json!({ "note": note }))).await, 204);
    let declined = guardian_stream.event().await;
    assert_eq!(declined.event, "closure_declined", "{}", declined.data);
    let request = &declined.json()["request"];
    assert_eq!(
        (request["id"].as_i64(), request["outcome"].as_str(), request["note"].as_str()),
        (Some(id), Some("declined"), Some(note))
    );
    // The chat stays open; the teacher heard nothing of the request or its outcome.
    let hello = app.send(&s.teacher, s.chat, "добрый день").await;
    let next = teacher_stream.event().await;
    assert_eq!((next.event.as_str(), next.json()["message"]["id"].as_i64()), ("message_sent", Some(hello)));
    assert_eq!(decide(&app, &s.admin, id, "close", None).await, 204, "decided already: a no-op");
    assert_eq!(app.post_message(&s.child, s.chat, "спасибо").await.status(), 201);
    let (_, mine) = list(&app, &s.guardian, "/api/closure-requests").await;
    assert_eq!(
        (mine["requests"][0]["outcome"].as_str(), mine["requests"][0]["note"].as_str()),
        (Some("declined"), Some(note))
    );
    // Resume brings the outcome back to the guardian.
    let mut resumed = app.stream(&s.guardian, Some(&(id - 1).to_string())).await;
    let kinds: Vec<String> = resumed.events(2).await.into_iter().map(|e| e.event).collect();
    assert_eq!(kinds, ["closure_requested", "closure_declined"]);
    assert_eq!(
        timeline(&app, s.chat, "closure_declined").await,
        [format!("closure request {id} declined by Завуч ({}): {note}", s.admin.id)]
    );

    // The guardian's words go with the guardian.
    erase(&app, &s.admin, &s.guardian).await;
    let dump = full_dump(&app).await;
    assert!(!dump.contains(REASON), "the reason is still in the database");
    assert_eq!(
        timeline(&app, s.chat, "closure_requested").await,
        [format!("closure requested by guardian erased user {} ({}): (reason erased)", s.guardian.id, s.guardian.id)]
    );
    audit_is_clean(&app).await;
}

#[tokio::test]
async fn retention_purges_a_requests_reason_with_the_messages_of_its_time() {
    let _turn = crate::governance::one_retention_at_a_time().await;
    let app = TestApp::spawn().await;
    let s = school(&app).await;
    let (_, asked) = ask(&app, &s.guardian, s.chat, REASON).await;
    let id = asked["id"].as_i64().expect("id");
    let horizon = time::OffsetDateTime::now_utc();
    tutorchat::governance::retention::purge(&app.state, horizon).await.expect("retention");
    let (_, mine) = list(&app, &s.guardian, "/api/closure-requests").await;
    assert_eq!((mine["requests"][0]["id"].as_i64(), mine["requests"][0]["reason"].as_str()), (Some(id), Some("")));
    assert!(!full_dump(&app).await.contains(REASON), "the reason is still in the database");
    audit_is_clean(&app).await;
}
