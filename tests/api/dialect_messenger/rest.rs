//! `/api/messenger`'s four routes: their envelope and shapes, who may call them, and that they
//! are the core's chats and messages.

use serde_json::json;

use super::{answer, stored, world};

#[tokio::test]
async fn conversations_are_the_callers_chats_newest_message_first() {
    let w = world().await;
    let group_free = w.a.user("student", "Второй").await;
    let newer = w.a.chat(&w.teacher, &group_free).await;
    w.a.send(&w.student, w.chat, "старое").await;
    let last = w.b.send(&group_free, newer, "новое").await;
    let list = |user| w.b.get("/api/messenger/conversations", user).send();
    let (status, data) = answer(list(&w.teacher).await.expect("GET")).await;
    assert_eq!(status, 200, "{data}");
    let ids: Vec<i64> =
        data["conversations"].as_array().expect("list").iter().map(|c| c["id"].as_i64().expect("id")).collect();
    assert_eq!(ids, [newer, w.chat], "newest last_message_at first");
    let first = &data["conversations"][0];
    let mut participants = vec![w.teacher.id, group_free.id];
    participants.sort();
    assert_eq!(first["participants"], json!(participants));
    assert_eq!(
        (&first["type"], &first["last_message_id"], &first["last_message_content"]),
        (&json!("direct"), &json!(last), &json!("новое"))
    );
    assert_eq!(first["unread_count"], 1);
    assert_eq!(first["last_message_at"], first["last_message_time"]);
    for field in ["name", "created_at", "updated_at"] {
        assert!(first.get(field).is_some(), "{field}: {first}");
    }
    // A new message reorders the list.
    w.a.send(&w.student, w.chat, "ещё").await;
    let (_, data) = answer(list(&w.teacher).await.expect("GET")).await;
    assert_eq!(data["conversations"][0]["id"], w.chat);
    // The outsider sees only their own; an admin every chat, unread 0.
    let (_, data) = answer(list(&w.outsider).await.expect("GET")).await;
    assert_eq!(data["conversations"].as_array().map(|c| c.len()), Some(1));
    let (_, data) = answer(list(&w.admin).await.expect("GET")).await;
    assert_eq!(data["conversations"].as_array().map(|c| c.len()), Some(3));
    let unauthenticated = w.a.http.get(w.a.url("/api/messenger/conversations")).send().await.expect("GET");
    assert_eq!(answer(unauthenticated).await.0, 401);
}

#[tokio::test]
async fn opening_a_conversation_finds_the_lesson_chat_and_creates_nothing() {
    let w = world().await;
    let open = |user: &crate::helpers::User, body: serde_json::Value| {
        w.a.http.post(w.a.url("/api/messenger/conversations")).bearer_auth(&user.token).json(&body).send()
    };
    let (status, data) = answer(open(&w.student, json!({ "participantId": w.teacher.id })).await.expect("POST")).await;
    assert_eq!(
        (status, &data["conversation"]["id"], &data["conversation"]["type"]),
        (200, &json!(w.chat), &json!("direct"))
    );
    let from_other_side = json!({ "participantId": w.student.id, "message": "здравствуйте" });
    let (status, data) = answer(open(&w.teacher, from_other_side).await.expect("POST")).await;
    assert_eq!((status, &data["conversation"]["id"]), (200, &json!(w.chat)), "the same chat from either side");
    assert_eq!(data["conversation"]["last_message_content"], "здравствуйте", "the message is stored as the caller's");
    let chats: i64 = w.a.sql.query_one("SELECT count(*) FROM chats", &[]).await.expect("count").get(0);
    let before = stored(&w.a).await;
    for (who, user, other) in [
        ("no lesson together", &w.student, w.other_teacher.id),
        ("student to student", &w.student, w.outsider.id),
        ("an admin", &w.admin, w.student.id),
    ] {
        let (status, body) =
            answer(open(user, json!({ "participantId": other, "message": "hi" })).await.expect("POST")).await;
        assert_eq!(status, 403, "{who}: {body}");
    }
    let after: i64 = w.a.sql.query_one("SELECT count(*) FROM chats", &[]).await.expect("count").get(0);
    assert_eq!((after, stored(&w.a).await), (chats, before), "nothing created or stored");
}

#[tokio::test]
async fn messages_come_newest_first_paged_by_offset_and_outsiders_are_denied() {
    let w = world().await;
    let mut ids = Vec::new();
    for n in 0..5 {
        ids.push(w.a.send(&w.teacher, w.chat, &format!("сообщение {n}")).await);
    }
    let deleted = w.a.send(&w.student, w.chat, "удалю").await;
    assert!(w.a.delete_message(&w.student, deleted).await.status().is_success());
    let page =
        |user, query: &str| w.b.get(&format!("/api/messenger/conversations/{}/messages{query}", w.chat), user).send();
    let (status, data) = answer(page(&w.student, "?limit=2&offset=1").await.expect("GET")).await;
    assert_eq!(status, 200, "{data}");
    let got: Vec<i64> =
        data["messages"].as_array().expect("list").iter().map(|m| m["id"].as_i64().expect("id")).collect();
    assert_eq!(got, [ids[3], ids[2]], "newest first, the newest skipped, the deleted absent");
    let message = &data["messages"][0];
    assert_eq!(
        (&message["conversation_id"], &message["sender_id"], &message["content"], &message["type"]),
        (&json!(w.chat), &json!(w.teacher.id), &json!("сообщение 3"), &json!("text"))
    );
    let (_, data) = answer(page(&w.student, "").await.expect("GET")).await;
    assert_eq!(data["messages"].as_array().map(|m| m.len()), Some(5));
    let (status, body) = answer(page(&w.outsider, "").await.expect("GET")).await;
    assert_eq!((status, body), (403, json!({ "error": "Access denied" })));
    assert_eq!(answer(page(&w.admin, "").await.expect("GET")).await.0, 200, "admins read every chat");
}

#[tokio::test]
async fn the_unread_count_is_others_messages_over_every_conversation() {
    let w = world().await;
    let second = w.a.user("student", "Второй").await;
    let other = w.a.chat(&w.teacher, &second).await;
    w.a.send(&w.student, w.chat, "раз").await;
    w.a.send(&second, other, "два").await;
    w.a.send(&w.teacher, other, "своё").await;
    let count = |user| w.b.get("/api/messenger/unread-count", user).send();
    let (status, data) = answer(count(&w.teacher).await.expect("GET")).await;
    assert_eq!((status, data), (200, json!({ "unread_count": 2 })));
    let (_, data) = answer(count(&w.student).await.expect("GET")).await;
    assert_eq!(data, json!({ "unread_count": 0 }), "one's own never count");
}

#[tokio::test]
async fn an_announcements_listener_sees_its_owner_and_themself_among_its_participants() {
    let w = world().await;
    let other = w.a.user("student", "Другая").await;
    w.a.chat(&w.teacher, &other).await;
    let body = json!({ "kind": "group", "title": "Всем", "audience": "my_students" });
    let (status, chat) = crate::announcements::create(&w.a, &w.teacher, body).await;
    assert_eq!(status, 201, "{chat}");
    let chat = chat["id"].as_i64().expect("id");
    let replica = &w.b;
    let participants = |user| async move {
        let (status, data) = answer(replica.get("/api/messenger/conversations", user).send().await.expect("GET")).await;
        assert_eq!(status, 200, "{data}");
        let listed = data["conversations"].as_array().expect("list").iter().find(|c| c["id"] == chat).cloned();
        listed.expect("the announcement is listed")["participants"].clone()
    };
    let mut owner_and_her = vec![w.teacher.id, w.student.id];
    owner_and_her.sort();
    assert_eq!(participants(&w.student).await, json!(owner_and_her), "another student named to a listener");
    let everyone = participants(&w.teacher).await;
    assert_eq!(everyone.as_array().map(Vec::len), Some(3), "the owner sees every member: {everyone}");
}

#[tokio::test]
async fn the_conversation_list_quotes_only_what_the_core_list_would_and_an_admin_reads_no_words() {
    let w = world().await;
    let late = w.a.user("student", "Новенькая").await;
    w.a.chat(&w.teacher, &late).await;
    let group = crate::groups::group(&w.a, &w.teacher, "Алгебра", &[&w.student]).await;
    let before = w.a.send(&w.teacher, group, "до неё").await;
    assert_eq!(crate::groups::add(&w.a, &w.teacher, group, late.id).await.0, 201);
    let replica = &w.b;
    let conversation = |user| async move {
        let (status, data) = answer(replica.get("/api/messenger/conversations", user).send().await.expect("GET")).await;
        assert_eq!(status, 200, "{data}");
        let listed = data["conversations"].as_array().expect("list").iter().find(|c| c["id"] == group).cloned();
        listed.expect("the group is listed")
    };
    let joined = conversation(&late).await;
    assert_eq!(
        (&joined["last_message_id"], &joined["last_message_content"]),
        (&json!(null), &json!(null)),
        "a member who joined after it is quoted a message from before: {joined}"
    );
    assert_eq!(conversation(&w.student).await["last_message_id"], before, "a member from before reads it");

    let records = || async {
        let row = w.a.sql.query_one("SELECT count(*) FROM access_records", &[]).await.expect("count");
        row.get::<_, i64>(0)
    };
    let recorded = records().await;
    let seen = conversation(&w.admin).await;
    assert_eq!(seen["last_message_content"], json!(null), "an admin's list quotes a message unrecorded: {seen}");
    assert_eq!(seen["participants"].as_array().map(Vec::len), Some(3), "{seen}");
    assert_eq!(records().await, recorded, "listing chats is no read of one");
}
