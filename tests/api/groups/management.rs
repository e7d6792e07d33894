//! Who creates and manages a group, and whom it may take: the API's answers and the log's own rules.

use serde_json::{Value, json};

use super::{add, add_as_is, create, create_as_is, get, group, member_ids, remove, rename};
use crate::helpers::{TestApp, User};

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
    assert_eq!(get(&app, &outsider, &format!("/api/chats/{id}")).await.0, 403);
    assert_eq!(get(&app, &outsider, "/api/chats/999999").await.0, 403);

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
    assert_eq!((status, body["error"].as_str()), (403, Some(expected.as_str())));
    // The owner and an admin can.
    let (status, details) = add(&app, &owner, chat, boris.id).await;
    assert_eq!((status, member_ids(&details).contains(&boris.id)), (201, true));
    assert_eq!(add(&app, &admin, chat, boris.id).await.0, 200, "already a member: nothing to do");
    let (status, renamed) = rename(&app, &admin, chat, json!("Renamed")).await;
    assert_eq!((status, renamed["title"].as_str()), (200, Some("Renamed")));
    assert_eq!(rename(&app, &owner, chat, json!("")).await.0, 400);
    assert_eq!(rename(&app, &owner, chat, json!(5)).await.0, 400);
    // A title is one line: quoted in emails and notifications, a break would forge their lines.
    for forged in ["7Б\nOpen the chat: https://evil.example", "7Б\r\nx", "7Б\u{2028}x", "7Б\tx"] {
        let (status, body) = rename(&app, &owner, chat, json!(forged)).await;
        assert_eq!(status, 400, "{forged:?}: {body}");
    }
    assert_eq!(add(&app, &owner, chat, admin.id).await.0, 422, "admins are nobody's members");
    assert_eq!(add(&app, &owner, chat, 999_999).await.0, 422);
    assert_eq!(add(&app, &owner, 999_999, anna.id).await.0, 403);
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
    let refused = append(teacher.id, "chat_renamed", json!({ "title": "G\nVerify at https://evil.example" })).await;
    assert!(refused.is_err(), "a title of two lines");
    let refused = append(boris.id, "message_created", json!({ "content": "hi" })).await;
    assert!(refused.is_err(), "a non-member writing");
    let refused = append(anna.id, "chat_created", json!({ "kind": "group", "title": "mine" })).await;
    assert!(refused.is_err(), "a student creating a group");
    assert_eq!(append(anna.id, "participant_removed", json!({ "user_id": anna.id })).await.expect("leave"), 1);
    assert_eq!(append(teacher.id, "participant_removed", json!({ "user_id": anna.id })).await.expect("again"), 0);
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

/// A teacher adds to their groups only colleagues and their own students (a completed lesson
/// together: a scheduled one is not enough), so that a group cannot be used to watch any
/// student's presence; an admin adds any student or teacher. The log's trigger holds the rule
/// for every path.
#[tokio::test]
async fn a_teacher_adds_only_their_own_students_and_teachers() {
    let app = TestApp::spawn().await;
    let (teacher, colleague, admin) =
        (app.user("teacher", "T").await, app.user("teacher", "C").await, app.user("admin", "A").await);
    let (theirs, stranger) = (app.user("student", "Theirs").await, app.user("student", "Stranger").await);
    let soon = app.user("student", "Soon").await;
    app.teaches(&teacher, &[theirs.id]).await;
    app.scheduled_lesson(&teacher, &soon).await;
    let chat = group(&app, &teacher, "G", &[]).await;
    assert_eq!(add_as_is(&app, &teacher, chat, stranger.id).await.0, 422, "not their student");
    assert_eq!(add_as_is(&app, &teacher, chat, soon.id).await.0, 422, "a lesson only scheduled");
    let refused = app
        .sql
        .execute(
            "INSERT INTO events (chat_id, actor_id, type, payload) VALUES ($1, $2, 'participant_added', $3)",
            &[&chat, &teacher.id, &json!({ "user_id": soon.id })],
        )
        .await;
    assert!(refused.is_err(), "the log's trigger refuses it from psql too");
    assert_eq!(add_as_is(&app, &teacher, chat, theirs.id).await.0, 201);
    assert_eq!(add_as_is(&app, &teacher, chat, colleague.id).await.0, 201);
    let body = json!({ "kind": "group", "title": "x", "participant_ids": [theirs.id, stranger.id] });
    let (status, refused) = create_as_is(&app, &teacher, body).await;
    assert_eq!(status, 422, "{refused}");
    assert!(refused["error"].as_str().is_some_and(|e| e.contains(&stranger.id.to_string())), "{refused}");
    // The stranger's presence is not the teacher's to see: they share no chat.
    let presence_of = |user: i64| app.get(&format!("/api/presence/{user}"), &teacher).send();
    assert_eq!(presence_of(stranger.id).await.expect("GET").status(), 403);
    assert_eq!(presence_of(theirs.id).await.expect("GET").status(), 200);
    // An admin's group takes any student.
    let (status, body) =
        create_as_is(&app, &admin, json!({ "kind": "group", "title": "y", "participant_ids": [stranger.id] })).await;
    assert_eq!(status, 201, "{body}");
}

/// A group everyone has left keeps its messages; their author, no member any more, is refused
/// an edit as anyone who is not a member is (the message's view, read first, once failed on a
/// chat without participants: a 500 the contract's fuzzer found).
#[tokio::test]
async fn editing_a_message_in_a_group_everyone_left_is_refused_not_a_server_error() {
    let app = TestApp::spawn_with(|config| config.append.editing = true).await;
    let (teacher, anna) = (app.user("teacher", "Иван").await, app.user("student", "Анна").await);
    let chat = group(&app, &teacher, "Кружок", &[&anna]).await;
    let message = app.send(&teacher, chat, "до завтра").await;
    assert_eq!(remove(&app, &anna, chat, anna.id).await, 204, "Анна leaves");
    assert_eq!(remove(&app, &teacher, chat, teacher.id).await, 204, "the owner leaves too");
    let answer = app.edit(&teacher, message, "до послезавтра").await;
    let status = answer.status().as_u16();
    let body: Value = answer.json().await.expect("json");
    assert!(matches!(status, 403 | 404), "refused as a non-member: {status} {body}");
}
