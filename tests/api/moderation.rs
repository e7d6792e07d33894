//! Moderation across replicas: a participant reports, an admin hides; participants on every
//! replica see a placeholder live and on resume, admins still read the original; a suspended
//! person's writes are refused and their streams end. Each step is an event of the log, and the
//! audit rebuilds every read model from it.

use std::time::Duration;

use serde_json::{Value, json};

use crate::governance::audit_is_clean;
use crate::helpers::{Event, TestApp, User, status_and_json};

async fn post(app: &TestApp, user: &User, path: &str, body: Value) -> (u16, Value) {
    let response = app.http.post(app.url(path)).bearer_auth(&user.token).json(&body).send().await.expect("POST");
    if response.status() == 204 {
        return (204, Value::Null);
    }
    status_and_json(response).await
}

/// The next event named `name` (others, such as the admins' `message_reported`, skipped).
async fn next_named(stream: &mut crate::helpers::Stream, name: &str) -> Event {
    loop {
        let event = stream.event().await;
        if event.event == name {
            return event;
        }
    }
}

#[tokio::test]
async fn a_hidden_message_is_a_placeholder_for_participants_on_every_replica_live_and_on_resume() {
    let a = TestApp::spawn_with(|config| config.append.editing = true).await;
    let b = a.replica().await;
    let (teacher, student, admin) =
        (a.user("teacher", "Teacher").await, a.user("student", "Student").await, a.user("admin", "Admin").await);
    let chat = a.chat(&teacher, &student).await;
    let rude = a.send(&teacher, chat, "something rude and secret").await;
    let fine = a.send(&teacher, chat, "a fine message").await;

    // The student reports it (on replica a), once.
    let (status, report) =
        post(&a, &student, &format!("/api/messages/{rude}/report"), json!({ "reason": "rude" })).await;
    assert_eq!(status, 201, "{report}");
    let (status, again) =
        post(&b, &student, &format!("/api/messages/{rude}/report"), json!({ "reason": "again" })).await;
    assert_eq!((status, again["code"].as_str()), (409, Some("already_reported")), "{again}");
    let (status, own) = post(&a, &teacher, &format!("/api/messages/{fine}/report"), json!({ "reason": "x" })).await;
    assert_eq!(status, 422, "one's own message: {own}");
    let (status, open) = status_and_json(a.get("/api/admin/reports", &admin).send().await.expect("reports")).await;
    assert_eq!(status, 200, "{open}");
    assert_eq!(open["reports"][0]["message"]["content"], "something rude and secret");
    assert_eq!(open["reports"][0]["reporter"]["id"], student.id);
    let (status, _) = status_and_json(a.get("/api/admin/reports", &student).send().await.expect("reports")).await;
    assert_eq!(status, 403, "only admins read reports");

    // Live: the student listens on b, the teacher on a, the admin on b.
    let mut student_live = b.stream(&student, None).await;
    let mut teacher_live = a.stream(&teacher, None).await;
    let mut admin_live = b.stream(&admin, None).await;
    let (status, body) =
        post(&b, &student, &format!("/api/admin/messages/{rude}/hide"), json!({ "reason": "x" })).await;
    assert_eq!(status, 403, "only admins hide: {body}");
    let (status, body) =
        post(&a, &admin, &format!("/api/admin/messages/{rude}/hide"), json!({ "reason": "insults" })).await;
    assert_eq!(status, 204, "{body}");

    for (who, stream) in [("student on b", &mut student_live), ("teacher on a", &mut teacher_live)] {
        let hidden = next_named(stream, "message_hidden").await.json();
        assert_eq!(hidden["message_id"], rude, "{who}");
        assert_eq!(hidden["hidden"]["reason"], Value::Null, "{who}: participants are not told why");
        assert_eq!(hidden["hidden"]["hidden_by"], Value::Null, "{who}");
    }
    let hidden = next_named(&mut admin_live, "message_hidden").await.json();
    assert_eq!(
        (hidden["hidden"]["reason"].as_str(), hidden["hidden"]["hidden_by"].as_i64()),
        (Some("insults"), Some(admin.id))
    );

    // History: a placeholder for participants, the original for admins.
    let history = |app: &TestApp, user: &User| {
        let request = app.get(&format!("/api/chats/{chat}/messages"), user);
        async move { status_and_json(request.send().await.expect("history")).await.1 }
    };
    for (who, app, user) in [("student", &b, &student), ("teacher", &a, &teacher)] {
        let page = history(app, user).await;
        let message =
            page["messages"].as_array().expect("messages").iter().find(|m| m["id"] == rude).expect("listed").clone();
        assert_eq!((message["content"].as_str(), message["hidden"].is_object()), (Some(""), true), "{who}: {message}");
    }
    let page = history(&b, &admin).await;
    let message =
        page["messages"].as_array().expect("messages").iter().find(|m| m["id"] == rude).expect("listed").clone();
    assert_eq!(message["content"], "something rude and secret");
    assert_eq!(message["hidden"]["reason"], "insults");

    // The report is resolved; the open list no longer has it.
    let (_, open) = status_and_json(b.get("/api/admin/reports", &admin).send().await.expect("reports")).await;
    assert_eq!(open["reports"], json!([]), "{open}");
    let (_, all) = status_and_json(b.get("/api/admin/reports?state=all", &admin).send().await.expect("reports")).await;
    assert_eq!(all["reports"][0]["resolution"], "hidden");

    // Resume from the start on either replica: the text never comes back to a participant.
    // The teacher sent it: their own stream has it as `message_sent`.
    for (who, app, user, name) in
        [("student on a", &a, &student, "new_message"), ("teacher on b", &b, &teacher, "message_sent")]
    {
        let mut resumed = app.stream(user, Some("0")).await;
        let count: i64 = app
            .sql
            .query_one(
                "SELECT count(*) FROM events WHERE chat_id = $1 AND type NOT IN ('message_reported', 'chat_exported')",
                &[&chat],
            )
            .await
            .expect("count")
            .get(0);
        let replayed = resumed.events(count as usize).await;
        assert!(
            replayed.iter().all(|e| !e.data.contains("rude and secret")),
            "{who}: the text came back: {replayed:#?}"
        );
        assert!(replayed.iter().all(|e| e.event != "message_reported"), "{who}: a report reached a participant");
        let created = replayed.iter().find(|e| e.event == name && e.json()["message"]["id"] == rude).expect("replayed");
        assert!(created.json()["message"]["hidden"].is_object(), "{who}: {}", created.data);
    }
    let mut admin_resumed = a.stream(&admin, Some("0")).await;
    let original = loop {
        let event = admin_resumed.event().await;
        if event.event == "new_message" && event.json()["message"]["id"] == rude {
            break event;
        }
    };
    assert_eq!(original.json()["message"]["content"], "something rude and secret", "admins replay the original");

    // The author cannot edit a hidden message; an unhide shows it again, live.
    let response = a.edit(&teacher, rude, "edited around the moderator").await;
    let (status, body) = status_and_json(response).await;
    assert_eq!((status, body["code"].as_str()), (409, Some("message_hidden")), "{body}");
    let (status, _) = post(&b, &admin, &format!("/api/admin/messages/{rude}/unhide"), json!({})).await;
    assert_eq!(status, 204);
    let back = next_named(&mut student_live, "message_unhidden").await.json();
    assert_eq!(
        (back["message"]["content"].as_str(), back["message"]["hidden"].is_null()),
        (Some("something rude and secret"), true)
    );
    audit_is_clean(&a).await;
}

#[tokio::test]
async fn a_suspended_person_reads_but_writes_nothing_and_their_streams_end() {
    let a = TestApp::spawn().await;
    let b = a.replica().await;
    let (teacher, student, admin) =
        (a.user("teacher", "Teacher").await, a.user("student", "Student").await, a.user("admin", "Admin").await);
    let chat = a.chat(&teacher, &student).await;
    a.send(&student, chat, "before").await;
    let mut on_a = a.stream(&student, None).await;
    let mut on_b = b.stream(&student, None).await;

    let until = (time::OffsetDateTime::now_utc() + time::Duration::days(7))
        .format(&time::format_description::well_known::Rfc3339)
        .expect("format");
    let (status, body) = post(
        &a,
        &admin,
        &format!("/api/admin/users/{}/suspend", student.id),
        json!({ "reason": "spam", "until": until }),
    )
    .await;
    assert_eq!(status, 204, "{body}");
    for (replica, stream) in [("a", &mut on_a), ("b", &mut on_b)] {
        let rest = stream.until_closed(Duration::from_secs(10)).await;
        let suspended =
            rest.iter().find(|e| e.event == "user_suspended").unwrap_or_else(|| panic!("{replica}: {rest:#?}"));
        assert_eq!(suspended.json()["reason"], "spam");
    }

    // Writes: refused on both replicas, whether the log or the server refuses them.
    for app in [&a, &b] {
        let (status, body) = status_and_json(app.post_message(&student, chat, "while suspended").await).await;
        assert_eq!((status, body["code"].as_str()), (403, Some("account_suspended")), "{body}");
        let typing = app
            .http
            .post(app.url(&format!("/api/chats/{chat}/typing")))
            .bearer_auth(&student.token)
            .json(&json!({ "is_typing": true }))
            .send()
            .await
            .expect("typing");
        assert_eq!(typing.status(), 403);
    }
    // Reads: allowed, and /api/me says why.
    let (status, me) = status_and_json(b.get("/api/me", &student).send().await.expect("me")).await;
    assert_eq!((status, me["suspended"]["reason"].as_str()), (200, Some("spam")), "{me}");
    let (status, _) =
        status_and_json(b.get(&format!("/api/chats/{chat}/messages"), &student).send().await.expect("h")).await;
    assert_eq!(status, 200);
    assert_eq!(a.read(&student, chat, None).await.status(), 204, "marking read is reading");
    let (status, body) =
        post(&a, &admin, &format!("/api/admin/users/{}/suspend", admin.id), json!({ "reason": "x" })).await;
    assert_eq!(status, 422, "admins are not suspended: {body}");

    let (status, _) = post(&b, &admin, &format!("/api/admin/users/{}/unsuspend", student.id), json!({})).await;
    assert_eq!(status, 204);
    // Each replica forgets what it knew of the person as its listener reads the event.
    a.settled().await;
    b.settled().await;
    assert_eq!(a.post_message(&student, chat, "back").await.status(), 201, "unsuspended on every replica");
    assert_eq!(b.post_message(&student, chat, "back on b").await.status(), 201);
    audit_is_clean(&a).await;
}

/// The people list's search text reaches PostgreSQL, which takes no NUL: 400 naming it, not a
/// failure of the server (Schemathesis' coverage phase found the 500).
#[tokio::test]
async fn the_people_lists_search_with_a_nul_is_400() {
    let app = TestApp::spawn().await;
    let admin = app.user("admin", "Admin").await;
    let response = app.get("/api/admin/users", &admin).query(&[("q", "a\0b")]).send().await.expect("GET");
    let (status, body) = crate::helpers::status_and_json(response).await;
    assert_eq!((status, body["code"].as_str()), (400, Some("invalid_request")), "{body}");
    assert!(body["error"].as_str().expect("error").contains("NUL"), "{body}");
}

/// RFC 3339 allows an offset up to ±23:59, PostgreSQL's timestamps only ±15:59: a suspension's
/// end far east of Greenwich is the same moment in UTC, not a server error (the contract's
/// fuzzer found it).
#[tokio::test]
async fn a_suspension_until_a_time_with_any_offset_is_kept_as_that_moment() {
    let a = TestApp::spawn().await;
    let (student, admin) = (a.user("student", "Student").await, a.user("admin", "Admin").await);
    let path = format!("/api/admin/users/{}/suspend", student.id);
    let (status, body) =
        post(&a, &admin, &path, json!({ "reason": "spam", "until": "2999-06-17T23:07:46+18:40" })).await;
    assert_eq!(status, 204, "{body}");
    let until: time::OffsetDateTime =
        a.sql.query_one("SELECT suspended_until FROM users WHERE id = $1", &[&student.id]).await.expect("user").get(0);
    assert_eq!(until, time::macros::datetime!(2999-06-17 04:27:46 UTC));
}
