//! Only the owner posts in an announcement, on every path (a message, a reply, a scheduled or
//! typed one, an upload, the log itself); admins still write nothing and create none.

use serde_json::json;

use super::{all_my_students, create, post};
use crate::governance::audit_is_clean;
use crate::helpers::TestApp;

#[tokio::test]
async fn members_of_an_announcement_read_and_never_post_whatever_the_path() {
    let a = TestApp::spawn().await;
    let b = a.replica().await;
    let (teacher, maria) = (a.user("teacher", "Иван Петрович").await, a.user("student", "Мария").await);
    let (colleague, admin) = (a.user("teacher", "Ольга Сергеевна").await, a.user("admin", "Завуч").await);
    a.chat(&teacher, &maria).await;
    let chat = all_my_students(&a, &teacher, "Объявления").await;
    let news = a.send(&teacher, chat, "Собрание в четверг").await;
    let added = a.http.post(a.url(&format!("/api/chats/{chat}/participants"))).bearer_auth(&teacher.token);
    assert_eq!(added.json(&json!({ "user_id": colleague.id })).send().await.expect("add").status(), 201);

    let refused = (403, Some("announcement_read_only".to_owned()));
    for (who, user) in [("student", &maria), ("another teacher", &colleague)] {
        assert_eq!(post(&b, user, json!({ "chat_id": chat, "content": "можно вопрос?" })).await, refused, "{who}");
        let reply = json!({ "chat_id": chat, "content": "а во сколько?", "reply_to_message_id": news });
        assert_eq!(post(&a, user, reply).await, refused, "{who}: a reply");
        let later = (time::OffsetDateTime::now_utc() + time::Duration::hours(1))
            .format(&time::format_description::well_known::Rfc3339)
            .expect("format");
        let scheduled = json!({ "chat_id": chat, "content": "позже", "send_at": later });
        assert_eq!(post(&b, user, scheduled).await, refused, "{who}: scheduled");
        let typing = a.http.post(a.url(&format!("/api/chats/{chat}/typing"))).bearer_auth(&user.token);
        let response = typing.json(&json!({ "is_typing": true })).send().await.expect("typing");
        let (status, body) = crate::helpers::status_and_json(response).await;
        assert_eq!((status, body["code"].as_str()), (403, Some("announcement_read_only")), "{who}: typing");
    }
    let (status, body) = crate::helpers::status_and_json(a.post_message(&admin, chat, "от завуча").await).await;
    assert_eq!((status, body["code"].as_str()), (403, Some("admin_read_only")));
    // Members still read it and mark it read.
    assert_eq!(a.read(&maria, chat, None).await.status(), 204);

    // The log refuses it too, a plain message and one with a reply alike.
    for payload in [json!({ "content": "в обход" }), json!({ "content": "в обход", "reply_to_message_id": news })]
    {
        let error = a
            .sql
            .execute(
                "INSERT INTO events (chat_id, actor_id, type, payload) VALUES ($1, $2, 'message_created', $3)",
                &[&chat, &maria.id, &payload],
            )
            .await
            .expect_err("a member's message is refused by the log");
        let db = error.as_db_error().expect("a database error");
        assert_eq!((db.code().code(), db.hint()), ("42501", Some("announcement_read_only")), "{payload}");
    }
    let count: i64 =
        a.sql.query_one("SELECT count(*) FROM messages WHERE chat_id = $1", &[&chat]).await.expect("count").get(0);
    assert_eq!(count, 1, "the owner's message only");
    audit_is_clean(&a).await;
}

#[tokio::test]
async fn only_a_teacher_creates_an_announcement_and_its_mode_is_checked() {
    let a = TestApp::spawn().await;
    let (teacher, admin, maria) =
        (a.user("teacher", "Иван Петрович").await, a.user("admin", "Завуч").await, a.user("student", "Мария").await);
    let (status, body) = create(&a, &admin, json!({ "kind": "group", "title": "Всем", "announcement": true })).await;
    assert_eq!(status, 403, "admins write nothing, so they own no announcement: {body}");
    let (status, body) =
        create(&a, &admin, json!({ "kind": "group", "title": "Всем", "audience": "my_students" })).await;
    assert_eq!(status, 403, "{body}");
    let (status, _) = create(&a, &maria, json!({ "kind": "group", "title": "Всем", "announcement": true })).await;
    assert_eq!(status, 403);
    let (status, body) =
        create(&a, &teacher, json!({ "kind": "group", "title": "Всем", "audience": "everyone" })).await;
    assert!(status == 400 || status == 422, "{status} {body}");

    // A hand-picked announcement: only the listed members, and its owner alone posts.
    a.teaches(&teacher, &[maria.id]).await;
    let body = json!({ "kind": "group", "title": "Кружок", "announcement": true, "participant_ids": [maria.id] });
    let (status, chat) = create(&a, &teacher, body).await;
    assert_eq!(status, 201, "{chat}");
    assert_eq!((&chat["announcement"], &chat["audience"]), (&json!(true), &json!(null)));
    let id = chat["id"].as_i64().expect("id");
    assert_eq!(post(&a, &maria, json!({ "chat_id": id, "content": "?" })).await.0, 403);
    a.send(&teacher, id, "Кружок переносится").await;
    // An ordinary group is as it was: every member posts.
    let body = json!({ "kind": "group", "title": "Группа", "participant_ids": [maria.id] });
    let (status, group) = create(&a, &teacher, body).await;
    assert_eq!((status, &group["announcement"]), (201, &json!(false)), "{group}");
    a.send(&maria, group["id"].as_i64().expect("id"), "привет").await;
    audit_is_clean(&a).await;
}

#[tokio::test]
async fn a_teacher_has_one_announcement_to_all_their_students_and_asking_again_opens_it() {
    let a = TestApp::spawn().await;
    let b = a.replica().await;
    let (teacher, colleague) = (a.user("teacher", "Иван Петрович").await, a.user("teacher", "Анна").await);
    let maria = a.user("student", "Мария").await;
    a.teaches(&teacher, &[maria.id]).await;
    let body = json!({ "kind": "group", "title": "Объявления · Иван Петрович", "audience": "my_students" });
    // Two at once (a double click, two replicas): one chat, one of them made it.
    let (first, second) = tokio::join!(create(&a, &teacher, body.clone()), create(&b, &teacher, body.clone()));
    let mut statuses = [first.0, second.0];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 201], "{} {}", first.1, second.1);
    assert_eq!(first.1["id"], second.1["id"]);
    assert_eq!(first.1["participants"], second.1["participants"], "the same chat, as it is");
    let (status, again) = create(&a, &teacher, body.clone()).await;
    assert_eq!((status, &again["id"]), (200, &first.1["id"]), "{again}");
    let created: i64 = a
        .sql
        .query_one(
            "SELECT count(*) FROM events WHERE type = 'chat_created' AND actor_id = $1 AND payload ->> 'audience' = 'my_students'",
            &[&teacher.id],
        )
        .await
        .expect("count")
        .get(0);
    assert_eq!(created, 1, "one chat_created in the log");
    // Another teacher's is theirs; a hand-picked announcement is no "all my students".
    assert_eq!(create(&a, &colleague, body.clone()).await.0, 201);
    let picked = json!({ "kind": "group", "title": "Кружок", "announcement": true, "participant_ids": [maria.id] });
    assert_eq!(create(&a, &teacher, picked.clone()).await.0, 201);
    assert_eq!(create(&a, &teacher, picked).await.0, 201, "any number of those");
    audit_is_clean(&a).await;
}
