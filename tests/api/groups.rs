//! Group chats: created by a teacher or an admin, members added and removed by events of the
//! log, and membership exact in log order on every path (live, resume, history, sending).

use std::collections::HashMap;
use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{Stream, TestApp, User, status_and_json};

/// Creates a group as `by`. A teacher's own students only: this schedules a lesson of `by` with
/// each student named first (see [`a_teacher_adds_only_their_own_students_and_teachers`]).
async fn create(app: &TestApp, by: &User, body: Value) -> (u16, Value) {
    let ids: Vec<i64> = body["participant_ids"].as_array().into_iter().flatten().filter_map(Value::as_i64).collect();
    app.teaches(by, &ids).await;
    create_as_is(app, by, body).await
}

async fn create_as_is(app: &TestApp, by: &User, body: Value) -> (u16, Value) {
    let request = app.http.post(app.url("/api/chats")).bearer_auth(&by.token).json(&body);
    status_and_json(request.send().await.expect("POST /api/chats")).await
}

/// Creates a group of `by` and `members`; returns its id.
pub(crate) async fn group(app: &TestApp, by: &User, title: &str, members: &[&User]) -> i64 {
    let ids: Vec<i64> = members.iter().map(|m| m.id).collect();
    let (status, body) = create(app, by, json!({ "kind": "group", "title": title, "participant_ids": ids })).await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_i64().expect("chat id")
}

/// Adds `user` as `by`, who teaches them if `by` is a teacher and they a student (as [`create`]).
pub(crate) async fn add(app: &TestApp, by: &User, chat: i64, user: i64) -> (u16, Value) {
    app.teaches(by, &[user]).await;
    add_as_is(app, by, chat, user).await
}

async fn add_as_is(app: &TestApp, by: &User, chat: i64, user: i64) -> (u16, Value) {
    let request = app
        .http
        .post(app.url(&format!("/api/chats/{chat}/participants")))
        .bearer_auth(&by.token)
        .json(&json!({ "user_id": user }));
    status_and_json(request.send().await.expect("POST participants")).await
}

pub(crate) async fn remove(app: &TestApp, by: &User, chat: i64, user: i64) -> u16 {
    let request = app.http.delete(app.url(&format!("/api/chats/{chat}/participants/{user}"))).bearer_auth(&by.token);
    let response = request.send().await.expect("DELETE participant");
    let status = response.status().as_u16();
    if status != 204 {
        status_and_json(response).await; // an error must have the JSON shape
    }
    status
}

async fn rename(app: &TestApp, by: &User, chat: i64, title: Value) -> (u16, Value) {
    let request =
        app.http.patch(app.url(&format!("/api/chats/{chat}"))).bearer_auth(&by.token).json(&json!({ "title": title }));
    status_and_json(request.send().await.expect("PATCH chat")).await
}

async fn get(app: &TestApp, by: &User, path: &str) -> (u16, Value) {
    status_and_json(app.get(path, by).send().await.expect("GET")).await
}

fn member_ids(details: &Value) -> Vec<i64> {
    details["participants"].as_array().expect("participants").iter().map(|p| p["id"].as_i64().expect("id")).collect()
}

/// The ids of the messages a history page shows.
async fn history(app: &TestApp, by: &User, chat: i64) -> (u16, Vec<i64>) {
    let (status, body) = get(app, by, &format!("/api/chats/{chat}/messages?limit=100")).await;
    let ids = body["messages"].as_array().map(|m| m.iter().map(|m| m["id"].as_i64().expect("id")).collect());
    (status, ids.unwrap_or_default())
}

#[tokio::test]
async fn a_teacher_creates_a_group_and_only_valid_requests_get_one() {
    let app = TestApp::spawn().await;
    let (teacher, anna, boris) =
        (app.user("teacher", "Иван").await, app.user("student", "Анна").await, app.user("student", "Борис").await);
    let admin = app.user("admin", "Ольга").await;

    let context = json!({ "type": "course", "id": 12, "title": "ЕГЭ математика" });
    let body = json!({ "kind": "group", "title": "11 «Б»", "participant_ids": [anna.id, boris.id, anna.id, teacher.id],
                       "context": context });
    let (status, chat) = create(&app, &teacher, body).await;
    assert_eq!(status, 201, "{chat}");
    assert_eq!((chat["kind"].as_str(), chat["title"].as_str()), (Some("group"), Some("11 «Б»")));
    assert_eq!((chat["context"].clone(), chat["created_by"].as_i64()), (context, Some(teacher.id)));
    assert_eq!(member_ids(&chat), vec![teacher.id, anna.id, boris.id], "the creator first, each member once");
    assert_eq!(chat["participants_count"], 3);
    let id = chat["id"].as_i64().expect("id");

    // Everyone in it lists it, with its title and no `participant`; members and admins see it.
    let (_, list) = get(&app, &anna, "/api/chats").await;
    let listed = &list["chats"][0];
    assert_eq!(
        (listed["id"].as_i64(), listed["kind"].as_str(), listed["participant"].is_null()),
        (Some(id), Some("group"), true)
    );
    assert_eq!(listed["participants_count"], 3);
    for who in [&teacher, &boris, &admin] {
        let (status, details) = get(&app, who, &format!("/api/chats/{id}")).await;
        assert_eq!((status, member_ids(&details)), (200, vec![teacher.id, anna.id, boris.id]));
    }
    let outsider = app.user("student", "Вера").await;
    assert_eq!(get(&app, &outsider, &format!("/api/chats/{id}")).await.0, 404);
    assert_eq!(get(&app, &outsider, "/api/chats/999999").await.0, 404);

    // An admin's group is owned by the admin, who is not a member.
    let (status, by_admin) =
        create(&app, &admin, json!({ "kind": "group", "title": "Учителя", "participant_ids": [teacher.id] })).await;
    assert_eq!(
        (status, by_admin["created_by"].as_i64(), member_ids(&by_admin)),
        (201, Some(admin.id), vec![teacher.id])
    );

    let chats_before: i64 = app.sql.query_one("SELECT count(*) FROM chats", &[]).await.expect("count").get(0);
    let refusals = [
        (&anna, json!({ "kind": "group", "title": "x", "participant_ids": [] }), 403), // students cannot
        (&teacher, json!({ "kind": "direct", "title": "x" }), 400),
        (&teacher, json!({ "kind": "group", "title": "   " }), 400),
        (&teacher, json!({ "kind": "group", "title": "я".repeat(201) }), 400),
        (&teacher, json!({ "kind": "group", "title": "a\u{0}b" }), 400),
        (&teacher, json!({ "kind": "group", "title": "x", "participant_ids": [999_999] }), 422),
        (&teacher, json!({ "kind": "group", "title": "x", "participant_ids": [admin.id] }), 422),
        (&teacher, json!({ "kind": "group", "title": "x", "context": "course" }), 400),
        (&teacher, json!({ "kind": "group", "title": "x", "context": { "t": "\u{0}" } }), 422),
        (&teacher, json!({ "kind": "group", "title": "x", "context": { "t": "x".repeat(3000) } }), 422),
        (&teacher, json!({ "kind": "group" }), 400),
        (&teacher, json!({ "kind": "group", "title": "x", "participant_ids": "all" }), 400),
    ];
    for (who, body, expected) in refusals {
        let (status, answer) = create(&app, who, body.clone()).await;
        assert_eq!(status, expected, "{body} → {answer}");
    }
    let chats_after: i64 = app.sql.query_one("SELECT count(*) FROM chats", &[]).await.expect("count").get(0);
    assert_eq!(chats_after, chats_before, "no refused request created a chat");
    assert_eq!((title_chars_ok(&app, &teacher, 200).await, title_chars_ok(&app, &teacher, 1).await), (201, 201));
}

async fn title_chars_ok(app: &TestApp, teacher: &User, n: usize) -> u16 {
    create(app, teacher, json!({ "kind": "group", "title": "я".repeat(n) })).await.0
}

#[tokio::test]
async fn only_the_owner_or_an_admin_manages_a_group_and_any_member_may_leave() {
    let app = TestApp::spawn().await;
    let (owner, other_teacher) = (app.user("teacher", "Owner").await, app.user("teacher", "Other").await);
    let (anna, boris) = (app.user("student", "Anna").await, app.user("student", "Boris").await);
    let admin = app.user("admin", "Admin").await;
    let chat = group(&app, &owner, "Group", &[&anna, &other_teacher]).await;

    // Members who do not own it cannot add, remove or rename.
    assert_eq!(add(&app, &other_teacher, chat, boris.id).await.0, 403);
    assert_eq!(remove(&app, &anna, chat, other_teacher.id).await, 403);
    assert_eq!(rename(&app, &anna, chat, json!("Mine")).await.0, 403);
    // Nor can anyone else, who is answered as if the group did not exist.
    let stranger = app.user("teacher", "Stranger").await;
    let (status, body) = rename(&app, &stranger, chat, json!("Mine")).await;
    let expected = format!("chat {chat} does not exist or you are not a participant");
    assert_eq!((status, body["error"].as_str()), (404, Some(expected.as_str())));
    // The owner and an admin can.
    let (status, details) = add(&app, &owner, chat, boris.id).await;
    assert_eq!((status, member_ids(&details).contains(&boris.id)), (201, true));
    assert_eq!(add(&app, &admin, chat, boris.id).await.0, 200, "already a member: nothing to do");
    let (status, renamed) = rename(&app, &admin, chat, json!("Renamed")).await;
    assert_eq!((status, renamed["title"].as_str()), (200, Some("Renamed")));
    assert_eq!(rename(&app, &owner, chat, json!("")).await.0, 400);
    assert_eq!(rename(&app, &owner, chat, json!(5)).await.0, 400);
    assert_eq!(add(&app, &owner, chat, admin.id).await.0, 422, "admins are nobody's members");
    assert_eq!(add(&app, &owner, chat, 999_999).await.0, 422);
    assert_eq!(add(&app, &owner, 999_999, anna.id).await.0, 404);
    assert_eq!(remove(&app, &admin, chat, boris.id).await, 204);
    assert_eq!(remove(&app, &admin, chat, boris.id).await, 404, "no longer a member");

    // A member leaves; the owner may remove the other teacher.
    assert_eq!(remove(&app, &anna, chat, anna.id).await, 204);
    assert_eq!(remove(&app, &owner, chat, other_teacher.id).await, 204);
    let (_, details) = get(&app, &owner, &format!("/api/chats/{chat}")).await;
    assert_eq!(member_ids(&details), vec![owner.id]);

    // A direct chat's members never change, whoever asks.
    let student = app.user("student", "S").await;
    let direct = app.chat(&owner, &student).await;
    assert_eq!(add(&app, &owner, direct, anna.id).await.0, 403);
    assert_eq!(remove(&app, &student, direct, student.id).await, 403);
    assert_eq!(remove(&app, &admin, direct, student.id).await, 403);
    assert_eq!(rename(&app, &admin, direct, json!("x")).await.0, 403);

    // The log records who did what.
    let rows = app
        .sql
        .query("SELECT event_type, actor_id, member_id, content FROM audit_chat_timeline($1)", &[&chat])
        .await
        .expect("timeline");
    let timeline: Vec<(String, Option<i64>, Option<i64>)> =
        rows.iter().map(|r| (r.get("event_type"), r.get("actor_id"), r.get("member_id"))).collect();
    let added = |by: &User, who: &User| ("participant_added".to_owned(), Some(by.id), Some(who.id));
    let removed = |by: &User, who: &User| ("participant_removed".to_owned(), Some(by.id), Some(who.id));
    assert_eq!(
        timeline,
        vec![
            ("chat_created".to_owned(), Some(owner.id), None),
            added(&owner, &owner),
            added(&owner, &anna),
            added(&owner, &other_teacher),
            added(&owner, &boris),
            ("chat_renamed".to_owned(), Some(admin.id), None),
            removed(&admin, &boris),
            removed(&anna, &anna),
            removed(&owner, &other_teacher),
        ]
    );
    let texts: Vec<String> = rows.iter().map(|r| r.get("content")).collect();
    assert!(texts.contains(&format!("Anna ({}) left", anna.id)), "{texts:?}");
    assert!(texts.contains(&"renamed to \"Renamed\"".to_owned()), "{texts:?}");
    let problems = app.sql.query("SELECT * FROM audit_replay()", &[]).await.expect("replay");
    assert!(problems.is_empty(), "audit_replay found {} differences", problems.len());
}

#[tokio::test]
async fn a_new_member_sees_the_group_from_their_join_on_and_a_removed_one_is_refused_at_once_everywhere() {
    let a = TestApp::spawn().await;
    let b = a.replica().await;
    let (teacher, anna, boris) =
        (a.user("teacher", "T").await, a.user("student", "Anna").await, a.user("student", "Boris").await);
    let chat = group(&a, &teacher, "G", &[&anna]).await;
    let before = a.send(&anna, chat, "before Boris").await;
    let edited_later = a.send(&teacher, chat, "edited after Boris joins").await;

    let (status, _) = add(&a, &teacher, chat, boris.id).await;
    assert_eq!(status, 201);
    // Boris sees nothing from before he joined: not in history, not as the last message, not
    // as unread, not as a message to quote.
    assert_eq!(history(&b, &boris, chat).await, (200, vec![]));
    let (_, list) = get(&b, &boris, "/api/chats").await;
    assert_eq!(
        (list["chats"][0]["last_message"].clone(), list["chats"][0]["unread_count"].clone()),
        (json!(null), json!(0))
    );
    let reply = b.post_reply(&boris, chat, "quoting", before).await;
    assert_eq!(reply.status(), 422);
    // Nor an edit of a message from before (its new text), live or replayed.
    let mut boris_live = b.stream(&boris, None).await;
    assert_eq!(a.edit(&teacher, edited_later, "new text").await.status(), 200);
    let after = a.send(&anna, chat, "after Boris joined").await;
    let event = boris_live.event().await;
    assert_eq!((event.event.as_str(), event.json()["message"]["id"].as_i64()), ("new_message", Some(after)));
    assert_eq!(history(&b, &boris, chat).await, (200, vec![after]));
    assert_eq!(a.unread(&boris, chat).await, 1);
    let mut replayed = b.stream(&boris, Some("0")).await;
    let first = replayed.event().await;
    assert_eq!((first.event.as_str(), first.json()["user"]["id"].as_i64()), ("participant_added", Some(boris.id)));
    let second = replayed.event().await;
    assert_eq!((second.event.as_str(), second.json()["message"]["id"].as_i64()), ("new_message", Some(after)));

    // Removed on replica A: refused on replica B at once, the moment the removal is answered,
    // for everything but reading back what he was a member for (as a resumed stream replays it).
    assert_eq!(remove(&a, &teacher, chat, boris.id).await, 204);
    let after_removal = a.send(&anna, chat, "after Boris left").await;
    assert_eq!(history(&b, &boris, chat).await, (200, vec![after]), "his membership's messages, nothing after");
    assert_eq!(b.post_message(&boris, chat, "still here?").await.status(), 404);
    assert_eq!(get(&b, &boris, &format!("/api/chats/{chat}")).await.0, 404);
    let typing = b
        .http
        .post(b.url(&format!("/api/chats/{chat}/typing")))
        .bearer_auth(&boris.token)
        .json(&json!({"is_typing": true}));
    assert_eq!(typing.send().await.expect("typing").status(), 404);
    assert_eq!(b.read(&boris, chat, Some(after)).await.status(), 404);
    let (_, list) = get(&b, &boris, "/api/chats").await;
    assert_eq!(list["chats"], json!([]), "a removed member no longer lists the group");
    // His own message can no longer be changed either.
    let (_, _) = add(&a, &teacher, chat, boris.id).await;
    let his = b.send(&boris, chat, "mine").await;
    assert_eq!(remove(&a, &teacher, chat, boris.id).await, 204);
    assert_eq!(b.edit(&boris, his, "changed").await.status(), 403);
    assert_eq!(b.delete_message(&boris, his).await.status(), 403);
    // Two memberships: history shows both, never the gap between them, as a replay does.
    assert_eq!(history(&b, &boris, chat).await, (200, vec![after, his]), "not {after_removal}");
    let outsider = a.user("student", "Never a member").await;
    assert_eq!(history(&b, &outsider, chat).await.0, 404, "someone who never was a member reads nothing");
}

/// The (position, event) pairs of chat `chat` that `user` is entitled to, from the log: the
/// event that made them a member through the one that removed them, each interval; an edit
/// only if its message is from within the interval. `None`: an admin, who gets everything.
async fn entitled(app: &TestApp, chat: i64, user: Option<i64>) -> Vec<(i64, String)> {
    let rows = app
        .sql
        .query(
            "SELECT e.position, e.type, e.payload, m.position AS message_position FROM events e
             LEFT JOIN messages m ON e.type = 'message_edited' AND m.id = (e.payload ->> 'message_id')::bigint
             WHERE e.chat_id = $1 ORDER BY e.position",
            &[&chat],
        )
        .await
        .expect("log");
    let mut since: Option<i64> = None;
    let mut expected = Vec::new();
    for row in rows {
        let (position, kind, payload): (i64, String, Value) = (row.get(0), row.get(1), row.get(2));
        let about = payload["user_id"].as_i64();
        let name = match kind.as_str() {
            "message_created" => "new_message".to_owned(),
            "chat_read" => "messages_read".to_owned(),
            other => other.to_owned(),
        };
        let Some(user) = user else {
            expected.push((position, name));
            continue;
        };
        if kind == "participant_added" && about == Some(user) {
            since = Some(position);
        }
        match since {
            Some(since) if kind != "message_edited" || row.get::<_, Option<i64>>(3).is_some_and(|m| m >= since) => {
                expected.push((position, name))
            }
            _ => {}
        }
        if kind == "participant_removed" && about == Some(user) {
            since = None;
        }
    }
    expected
}

/// Fails with the first difference between what a stream delivered and what the log entitles.
fn assert_same(got: &[(i64, String)], expected: &[(i64, String)], who: &str) {
    if let Some(i) = (0..got.len().max(expected.len())).find(|&i| got.get(i) != expected.get(i)) {
        panic!(
            "{who}: event #{i} is {:?}, the log says {:?} ({} events delivered, {} entitled)",
            got.get(i),
            expected.get(i),
            got.len(),
            expected.len()
        );
    }
}

/// The next `n` events of `stream` as (position, event), skipping presence signals.
async fn received(stream: &mut Stream, n: usize) -> Vec<(i64, String)> {
    let mut got = Vec::with_capacity(n);
    for _ in 0..n {
        let event = stream.event_within(Duration::from_secs(30)).await;
        got.push((event.position(), event.event));
    }
    got
}

/// Nothing more arrives on `stream` (but heartbeats and presence) for a moment.
async fn quiet(stream: &mut Stream) -> Result<(), String> {
    let deadline = tokio::time::Instant::now() + Duration::from_millis(500);
    while let Ok(item) = tokio::time::timeout_at(deadline, stream.recv()).await {
        match item {
            Some(crate::helpers::Item::Event(e)) if e.event != "presence" => return Err(format!("{e:?}")),
            Some(_) => {}
            None => return Err("the stream closed".into()),
        }
    }
    Ok(())
}

#[tokio::test]
async fn a_thousand_messages_interleaved_with_fifty_membership_changes_reach_exactly_the_entitled_streams() {
    let a = TestApp::spawn().await;
    let b = a.replica().await;
    let replicas = [&a, &b];
    let teacher = a.user("teacher", "T").await;
    let admin = a.user("admin", "A").await;
    let mut students = Vec::new();
    for i in 0..6 {
        students.push(a.user("student", &format!("S{i}")).await);
    }
    // Everyone's stream is open before the group exists: students on alternating replicas.
    let mut streams: Vec<(Option<i64>, Stream)> = Vec::new();
    for (i, student) in students.iter().enumerate() {
        streams.push((Some(student.id), replicas[i % 2].stream(student, None).await));
    }
    streams.push((Some(teacher.id), b.stream(&teacher, None).await));
    streams.push((None, a.stream(&admin, None).await));

    let chat = group(&a, &teacher, "Hammer", &[&students[0], &students[1], &students[2]]).await;
    let sent = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let senders: Vec<_> = replicas
        .iter()
        .enumerate()
        .map(|(r, app)| {
            let (http, url, token) = (app.http.clone(), app.url("/api/messages"), teacher.token.clone());
            let sent = sent.clone();
            tokio::spawn(async move {
                for i in 0..500 {
                    let body = json!({ "chat_id": chat, "content": format!("r{r} m{i}") });
                    let response = http.post(&url).bearer_auth(&token).json(&body).send().await.expect("POST");
                    assert_eq!(response.status(), 201);
                    sent.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            })
        })
        .collect();
    // 50 changes meanwhile, on alternating replicas, the k-th once 18·k messages are in: each
    // student in turn toggles.
    let mut member: HashMap<i64, bool> = students.iter().enumerate().map(|(i, s)| (s.id, i < 3)).collect();
    for change in 0..50 {
        while sent.load(std::sync::atomic::Ordering::Relaxed) < change * 18 {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let student = &students[change % students.len()];
        let app = replicas[change % 2];
        if member[&student.id] {
            assert_eq!(remove(app, &teacher, chat, student.id).await, 204);
        } else {
            assert_eq!(add(app, &teacher, chat, student.id).await.0, 201);
        }
        member.insert(student.id, !member[&student.id]);
    }
    for sender in senders {
        sender.await.expect("sender");
    }

    let messages: i64 = a
        .sql
        .query_one("SELECT count(*) FROM events WHERE chat_id = $1 AND type = 'message_created'", &[&chat])
        .await
        .expect("count")
        .get(0);
    assert_eq!(messages, 1000);
    let mut partial = 0;
    for (user, stream) in &mut streams {
        let expected = entitled(&a, chat, *user).await;
        let got = received(stream, expected.len()).await;
        assert_same(&got, &expected, &format!("user {user:?} live"));
        quiet(stream).await.unwrap_or_else(|e| panic!("user {user:?} got more than entitled: {e}"));
        let messages = expected.iter().filter(|(_, e)| e == "new_message").count();
        partial += usize::from(user.is_some() && (1..1000).contains(&messages));
    }
    // The changes fell among the messages: students got some of them, and not all.
    assert!(partial >= 4, "only {partial} streams got part of the messages");

    // Resuming from the start on the other replica replays exactly the same.
    for (i, student) in students.iter().enumerate() {
        let mut resumed = replicas[(i + 1) % 2].stream(student, Some("0")).await;
        let expected = entitled(&a, chat, Some(student.id)).await;
        assert_same(&received(&mut resumed, expected.len()).await, &expected, &format!("student {i} resuming"));
        quiet(&mut resumed).await.unwrap_or_else(|e| panic!("student {i} replayed more than entitled: {e}"));
    }
    let problems = a.sql.query("SELECT * FROM audit_replay()", &[]).await.expect("replay");
    assert!(problems.is_empty(), "audit_replay found {} differences", problems.len());
}

#[tokio::test]
async fn membership_at_any_moment_is_reconstructed_from_the_log() {
    let app = TestApp::spawn().await;
    let (teacher, anna, boris) =
        (app.user("teacher", "T").await, app.user("student", "Anna").await, app.user("student", "Boris").await);
    let chat = group(&app, &teacher, "G", &[&anna]).await;
    let now = async || {
        app.sql.query_one("SELECT clock_timestamp()", &[]).await.expect("now").get::<_, time::OffsetDateTime>(0)
    };
    let t1 = now().await;
    add(&app, &teacher, chat, boris.id).await;
    remove(&app, &teacher, chat, anna.id).await;
    let t2 = now().await;
    let members = |t: time::OffsetDateTime| {
        let sql = &app.sql;
        async move {
            let rows =
                sql.query("SELECT user_id FROM audit_chat_members_at($1, $2)", &[&chat, &t]).await.expect("members_at");
            rows.iter().map(|r| r.get::<_, i64>(0)).collect::<Vec<_>>()
        }
    };
    assert_eq!(members(t1).await, vec![teacher.id, anna.id]);
    assert_eq!(members(t2).await, vec![teacher.id, boris.id]);
}

#[tokio::test]
async fn the_log_itself_refuses_membership_events_from_anyone_but_the_owner_or_an_admin() {
    let app = TestApp::spawn().await;
    let (teacher, anna, boris) =
        (app.user("teacher", "T").await, app.user("student", "Anna").await, app.user("student", "Boris").await);
    let chat = group(&app, &teacher, "G", &[&anna]).await;
    let append = |actor: i64, kind: &'static str, payload: Value| {
        let sql = &app.sql;
        async move {
            sql.execute(
                "INSERT INTO events (chat_id, actor_id, type, payload) VALUES ($1, $2, $3, $4)",
                &[&chat, &actor, &kind, &payload],
            )
            .await
        }
    };
    let refused = append(anna.id, "participant_added", json!({ "user_id": boris.id })).await;
    let message = refused.expect_err("a member adding someone").as_db_error().map(|e| e.message().to_owned());
    assert!(message.is_some_and(|m| m.contains("owner")));
    // The owner, a teacher, adding a student they do not teach.
    let refused = append(teacher.id, "participant_added", json!({ "user_id": boris.id })).await;
    let message = refused.expect_err("not their student").as_db_error().map(|e| e.message().to_owned());
    assert!(message.as_ref().is_some_and(|m| m.contains("their own students")), "{message:?}");
    let refused = append(anna.id, "chat_renamed", json!({ "title": "x" })).await;
    assert!(refused.is_err(), "a member renaming");
    let refused = append(boris.id, "message_created", json!({ "content": "hi" })).await;
    assert!(refused.is_err(), "a non-member writing");
    let refused = append(anna.id, "chat_created", json!({ "kind": "group", "title": "mine" })).await;
    assert!(refused.is_err(), "a student creating a group");
    assert_eq!(append(anna.id, "participant_removed", json!({ "user_id": anna.id })).await.expect("leave"), 1);
    assert_eq!(append(teacher.id, "participant_removed", json!({ "user_id": anna.id })).await.expect("again"), 0);
}

/// A reply quoting a message from before someone joined shows them only that the quote is
/// unavailable (no author, no text), live, in history and on resume; members who could see
/// the quoted message, and admins, see the quote, and an edit of it follows for them only.
#[tokio::test]
async fn a_later_member_sees_quotes_of_messages_from_before_they_joined_only_as_unavailable() {
    let app = TestApp::spawn().await;
    let (teacher, early, late) =
        (app.user("teacher", "T").await, app.user("student", "Early").await, app.user("student", "Late").await);
    let admin = app.user("admin", "A").await;
    let chat = group(&app, &teacher, "11 Б", &[&early]).await;
    let before = app.send(&early, chat, "a secret from before").await;
    assert_eq!(add(&app, &teacher, chat, late.id).await.0, 201);
    let mut late_live = app.stream(&late, None).await;
    let mut early_live = app.stream(&early, None).await;

    let response = app.post_reply(&teacher, chat, "answering the secret", before).await;
    assert_eq!(response.status(), 201);
    let reply: Value = response.json().await.expect("json");
    let reply_id = reply["id"].as_i64().expect("id");
    assert_eq!(reply["reply_to"]["content_preview"], "a secret from before", "the replier sees what they quote");

    let hidden = json!({ "id": before, "sender_id": null, "content_preview": null, "is_deleted": false, "unavailable": true, "removed": null });
    let live = late_live.event().await;
    assert_eq!((live.event.as_str(), live.json()["message"]["reply_to"].clone()), ("new_message", hidden.clone()));
    assert_eq!(early_live.event().await.json()["message"]["reply_to"]["content_preview"], "a secret from before");

    let page = |user: &User| app.get(&format!("/api/chats/{chat}/messages"), user).send();
    let late_page: Value = page(&late).await.expect("history").json().await.expect("json");
    let late_reply = late_page["messages"].as_array().expect("messages").iter().find(|m| m["id"] == reply_id).cloned();
    assert_eq!(late_reply.expect("the reply")["reply_to"], hidden);
    let admin_page: Value = page(&admin).await.expect("history").json().await.expect("json");
    let admin_reply =
        admin_page["messages"].as_array().expect("messages").iter().find(|m| m["id"] == reply_id).cloned();
    assert_eq!(
        admin_reply.expect("the reply")["reply_to"]["content_preview"],
        "a secret from before",
        "admins see every quote"
    );

    let mut resumed = app.stream(&late, Some("0")).await;
    let mut replayed = Vec::new();
    loop {
        let event = resumed.event().await;
        let done = event.event == "new_message" && event.json()["message"]["id"] == reply_id;
        replayed.push(event);
        if done {
            break;
        }
    }
    let text: String = replayed.iter().map(|e| e.data.clone()).collect();
    assert!(!text.contains("a secret from before"), "the replay shows the quote as live did: {text}");
    assert_eq!(replayed.last().expect("the reply").json()["message"]["reply_to"], hidden);
}

/// Group creation and adding a member answer one error whatever makes an id unfit (unknown, an
/// admin, a guest, a student the teacher does not teach): a teacher cannot map the school's
/// users through it.
#[tokio::test]
async fn an_unfit_member_gets_one_answer_whether_unknown_an_admin_or_a_guest() {
    let app = TestApp::spawn().await;
    let teacher = app.user("teacher", "T").await;
    let (admin, guest) = (app.user("admin", "A").await, app.user("guest", "G").await);
    let unknown = guest.id + 1000;
    let chat = group(&app, &teacher, "G", &[]).await;
    let not_theirs = app.user("student", "Someone else's student").await;
    let mut answers = Vec::new();
    for id in [unknown, admin.id, guest.id, not_theirs.id] {
        let (status, body) =
            create_as_is(&app, &teacher, json!({ "kind": "group", "title": "x", "participant_ids": [id] })).await;
        let (added, added_body) = add_as_is(&app, &teacher, chat, id).await;
        let strip = |b: &Value| b["error"].as_str().expect("error").replace(&id.to_string(), "ID");
        answers.push((status, strip(&body), added, strip(&added_body)));
    }
    assert!(answers.iter().all(|a| a == &answers[0]), "the answers tell the cases apart: {answers:#?}");
    assert_eq!((answers[0].0, answers[0].2), (422, 422));
}

/// A teacher adds to their groups only colleagues and their own students (a lesson together, in
/// any state), so that a group cannot be used to watch any student's presence; an admin adds
/// any student or teacher. The log's trigger holds the rule for every path.
#[tokio::test]
async fn a_teacher_adds_only_their_own_students_and_teachers() {
    let app = TestApp::spawn().await;
    let (teacher, colleague, admin) =
        (app.user("teacher", "T").await, app.user("teacher", "C").await, app.user("admin", "A").await);
    let (theirs, stranger) = (app.user("student", "Theirs").await, app.user("student", "Stranger").await);
    app.teaches(&teacher, &[theirs.id]).await;
    let chat = group(&app, &teacher, "G", &[]).await;
    assert_eq!(add_as_is(&app, &teacher, chat, stranger.id).await.0, 422, "not their student");
    assert_eq!(add_as_is(&app, &teacher, chat, theirs.id).await.0, 201);
    assert_eq!(add_as_is(&app, &teacher, chat, colleague.id).await.0, 201);
    let body = json!({ "kind": "group", "title": "x", "participant_ids": [theirs.id, stranger.id] });
    let (status, refused) = create_as_is(&app, &teacher, body).await;
    assert_eq!(status, 422, "{refused}");
    assert!(refused["error"].as_str().is_some_and(|e| e.contains(&stranger.id.to_string())), "{refused}");
    // The stranger's presence is not the teacher's to see: they share no chat.
    let presence_of = |user: i64| app.get(&format!("/api/presence/{user}"), &teacher).send();
    assert_eq!(presence_of(stranger.id).await.expect("GET").status(), 404);
    assert_eq!(presence_of(theirs.id).await.expect("GET").status(), 200);
    // An admin's group takes any student.
    let (status, body) =
        create_as_is(&app, &admin, json!({ "kind": "group", "title": "y", "participant_ids": [stranger.id] })).await;
    assert_eq!(status, 201, "{body}");
}
