//! The REST routes: statuses, shapes, and the core's rules behind each (lesson chats, groups,
//! the per-person archive, the send, editing and deleting).

use std::collections::HashSet;

use serde_json::{Value, json};

use super::{call, stored, world, world_with};
use crate::helpers::User;

fn ids(list: &Value) -> Vec<String> {
    list.as_array().expect("a JSON array").iter().map(|c| c["id"].as_str().expect("a string id").to_owned()).collect()
}

fn conversation(id: i64) -> Value {
    json!({ "id": id.to_string(), "type": "private", "title": null, "created_by": null,
            "created_at": Value::Null, "service": null, "service_id": null })
}

/// `value` with its `created_at` checked as RFC 3339 and then nulled, to compare the rest.
fn without_time(mut value: Value) -> Value {
    let at = value["created_at"].as_str().unwrap_or_else(|| panic!("created_at: {value}")).to_owned();
    assert!(time::OffsetDateTime::parse(&at, &time::format_description::well_known::Rfc3339).is_ok(), "{at}");
    value["created_at"] = Value::Null;
    value
}

#[tokio::test]
async fn the_list_is_the_callers_and_a_deleted_conversation_leaves_it_on_every_replica() {
    let w = world().await;
    let (status, list) = call(&w.b, "GET", Some(&w.teacher), "/conversations/", None).await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
    assert_eq!(without_time(list[0].clone()), conversation(w.chat), "a lesson chat is private");
    assert_eq!(ids(&call(&w.a, "GET", Some(&w.student), "/conversations/", None).await.1), [w.chat.to_string()]);
    assert_eq!(ids(&call(&w.a, "GET", Some(&w.outsider), "/conversations/", None).await.1), [w.other_chat.to_string()]);
    let every: HashSet<String> =
        ids(&call(&w.a, "GET", Some(&w.admin), "/conversations/", None).await.1).into_iter().collect();
    assert_eq!(every, HashSet::from([w.chat.to_string(), w.other_chat.to_string()]), "an admin reads every chat");

    let before = stored(&w.a).await;
    let path = format!("/conversations/{}", w.chat);
    assert_eq!(call(&w.a, "DELETE", Some(&w.outsider), &path, None).await.0, 403, "a stranger");
    assert_eq!(call(&w.a, "DELETE", Some(&w.admin), &path, None).await.0, 403, "admins write nothing");
    assert_eq!(call(&w.a, "DELETE", Some(&w.student), &path, None).await, (204, Value::Null));
    assert_eq!(call(&w.b, "GET", Some(&w.student), "/conversations/", None).await, (200, json!([])), "gone on B");
    assert_eq!(ids(&call(&w.b, "GET", Some(&w.teacher), "/conversations/", None).await.1), [w.chat.to_string()]);
    assert_eq!(call(&w.b, "GET", Some(&w.admin), &path, None).await.0, 200, "admins still read it");
    let chats: i64 = w.a.sql.query_one("SELECT count(*) FROM chats", &[]).await.expect("count").get(0);
    assert_eq!((chats, stored(&w.a).await), (2, before), "nothing removed");
    // As the core's archive: the partner's next message brings it back.
    w.a.send(&w.teacher, w.chat, "вы тут?").await;
    assert_eq!(ids(&call(&w.b, "GET", Some(&w.student), "/conversations/", None).await.1), [w.chat.to_string()]);

    assert_eq!(call(&w.a, "GET", None, "/conversations/", None).await.0, 401);
    assert_eq!(call(&w.a, "GET", Some(&w.teacher), "/conversations", None).await.0, 404, "not redirected");
}

#[tokio::test]
async fn one_conversation_is_for_its_members_and_admins() {
    let w = world().await;
    let path = format!("/conversations/{}", w.chat);
    for who in [&w.teacher, &w.student, &w.admin] {
        let (status, one) = call(&w.b, "GET", Some(who), &path, None).await;
        assert_eq!((status, without_time(one)), (200, conversation(w.chat)), "{}", who.id);
    }
    assert_eq!(call(&w.a, "GET", Some(&w.outsider), &path, None).await.0, 403);
    assert_eq!(call(&w.a, "GET", Some(&w.teacher), "/conversations/999999", None).await.0, 403);
    assert_eq!(call(&w.a, "GET", Some(&w.teacher), &format!("{path}/"), None).await.0, 404, "not redirected");
    assert_eq!(call(&w.a, "GET", None, &path, None).await.0, 401);
}

#[tokio::test]
async fn a_private_conversation_is_the_lesson_chat_found_from_either_side_and_never_created() {
    let w = world().await;
    let private = |partner: &User| json!({ "type": "private", "participant_ids": [partner.id] });
    let (status, found) = call(&w.a, "POST", Some(&w.student), "/conversations/", Some(private(&w.teacher))).await;
    assert_eq!((status, without_time(found)), (200, conversation(w.chat)));
    let (_, found) = call(&w.b, "POST", Some(&w.teacher), "/conversations/", Some(private(&w.student))).await;
    assert_eq!(found["id"], w.chat.to_string(), "the same from either side");

    let scheduled = w.a.user("teacher", "Только запланирован").await;
    w.a.scheduled_lesson(&scheduled, &w.student).await;
    for (what, from, to) in [
        ("a lesson only scheduled", &w.student, &scheduled),
        ("student to student", &w.student, &w.outsider),
        ("another teacher's student", &w.other_teacher, &w.student),
        ("an admin", &w.admin, &w.student),
    ] {
        assert_eq!(call(&w.a, "POST", Some(from), "/conversations/", Some(private(to))).await.0, 403, "{what}");
    }
    for (bad, status) in [
        (json!({ "type": "chat", "participant_ids": [1] }), 400),
        (json!([]), 400),
        (json!({ "type": "group", "title": "   " }), 400),
        (json!({ "type": "private", "participant_ids": [] }), 422),
        (json!({ "type": "private", "participant_ids": [w.student.id, w.outsider.id] }), 422),
        (json!({ "type": "group", "participant_ids": [w.student.id] }), 422),
    ] {
        let (got, body) = call(&w.a, "POST", Some(&w.teacher), "/conversations/", Some(bad.clone())).await;
        assert_eq!(got, status, "{bad}: {body}");
    }
    let chats: i64 = w.a.sql.query_one("SELECT count(*) FROM chats", &[]).await.expect("count").get(0);
    assert_eq!(chats, 2, "nothing created");
}

#[tokio::test]
async fn a_group_is_a_teachers_with_their_own_students_who_join_and_leave_it() {
    let w = world().await;
    let group = |title: &str, members: &[i64]| json!({ "type": "group", "title": title, "participant_ids": members });
    let (status, created) =
        call(&w.a, "POST", Some(&w.teacher), "/conversations/", Some(group("Алгебра", &[w.student.id]))).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().expect("id").to_owned();
    assert_eq!(
        without_time(created),
        json!({ "id": id, "type": "group", "title": "Алгебра", "created_by": w.teacher.id, "created_at": null,
                "service": null, "service_id": null })
    );
    assert!(ids(&call(&w.b, "GET", Some(&w.student), "/conversations/", None).await.1).contains(&id));
    assert_eq!(call(&w.b, "GET", Some(&w.student), &format!("/messages/{id}"), None).await, (200, json!([])));
    assert_eq!(call(&w.a, "POST", Some(&w.student), "/conversations/", Some(group("Моя", &[]))).await.0, 403);
    let theirs = group("Чужие", &[w.outsider.id]);
    assert_eq!(call(&w.a, "POST", Some(&w.teacher), "/conversations/", Some(theirs)).await.0, 422, "not their student");

    let participants = format!("/conversations/{id}/participants/");
    let newcomer = w.a.user("student", "Новенький").await;
    w.a.chat(&w.teacher, &newcomer).await;
    let add = |user: &User| Some(json!({ "user_id": user.id }));
    assert_eq!(
        call(&w.a, "POST", Some(&w.student), &participants, add(&newcomer)).await.0,
        403,
        "a student adds nobody"
    );
    assert_eq!(
        call(&w.a, "POST", Some(&w.teacher), &participants, add(&w.outsider)).await.0,
        422,
        "no lesson together"
    );
    let soon = w.a.user("student", "Будущий").await;
    w.a.scheduled_lesson(&w.teacher, &soon).await;
    assert_eq!(call(&w.a, "POST", Some(&w.teacher), &participants, add(&soon)).await.0, 422, "a lesson only scheduled");
    let (status, joined) = call(&w.a, "POST", Some(&w.teacher), &participants, add(&newcomer)).await;
    assert_eq!((status, &joined["id"]), (201, &json!(id)), "{joined}");
    assert!(ids(&call(&w.b, "GET", Some(&newcomer), "/conversations/", None).await.1).contains(&id));
    let say =
        |text: &str| Some(json!({ "conversation_id": id, "sender_id": newcomer.id, "text": text, "reply_to": null }));
    assert_eq!(call(&w.b, "POST", Some(&newcomer), "/messages/", say("привет всем")).await.0, 201);

    let member = format!("/conversations/{id}/participants/{}", newcomer.id);
    assert_eq!(call(&w.a, "DELETE", Some(&w.student), &member, None).await.0, 403, "not the group's teacher");
    assert_eq!(call(&w.a, "DELETE", Some(&w.teacher), &member, None).await, (204, Value::Null));
    assert!(!ids(&call(&w.b, "GET", Some(&newcomer), "/conversations/", None).await.1).contains(&id));
    assert_eq!(call(&w.b, "POST", Some(&newcomer), "/messages/", say("а я?")).await.0, 403, "no longer a member");
}

#[tokio::test]
async fn a_message_is_sent_as_the_tokens_owner_and_read_in_order_with_its_reply() {
    let w = world().await;
    let chat = w.chat.to_string();
    let message = |who: &User, text: &str, reply_to: Value| {
        Some(json!({ "conversation_id": chat, "sender_id": who.id, "text": text, "reply_to": reply_to }))
    };
    let (status, first) =
        call(&w.a, "POST", Some(&w.student), "/messages/", message(&w.student, "Вопрос", Value::Null)).await;
    assert_eq!(status, 201, "{first}");
    let first_id = first["id"].as_str().expect("a string id").to_owned();
    assert_eq!(
        without_time(first.clone()),
        json!({ "id": first_id, "conversation_id": chat, "sender_id": w.student.id, "text": "Вопрос",
                "reply_to": null, "is_edited": false, "created_at": null })
    );
    let (status, reply) =
        call(&w.b, "POST", Some(&w.teacher), "/messages/", message(&w.teacher, "Ответ", json!(first_id))).await;
    assert_eq!((status, &reply["reply_to"]), (201, &json!(first_id)), "{reply}");
    let (_, core) = crate::helpers::status_and_json(
        w.a.get(&format!("/api/chats/{}/messages", w.chat), &w.admin).send().await.expect("GET"),
    )
    .await;
    assert_eq!(core["messages"][1]["reply_to"]["id"].as_i64().map(|id| id.to_string()), Some(first_id.clone()));

    let before = stored(&w.a).await;
    let not_mine = json!({ "conversation_id": chat, "sender_id": w.teacher.id, "text": "от учителя" });
    assert_eq!(call(&w.a, "POST", Some(&w.student), "/messages/", Some(not_mine)).await.0, 403, "another sender_id");
    assert_eq!(
        call(&w.a, "POST", Some(&w.outsider), "/messages/", message(&w.outsider, "эй", Value::Null)).await.0,
        403
    );
    assert_eq!(call(&w.a, "POST", Some(&w.admin), "/messages/", message(&w.admin, "эй", Value::Null)).await.0, 403);
    let elsewhere = w.a.send(&w.other_teacher, w.other_chat, "чужое").await;
    let status =
        call(&w.a, "POST", Some(&w.student), "/messages/", message(&w.student, "x", json!(elsewhere.to_string())))
            .await
            .0;
    assert!([403, 422].contains(&status), "a reply to another conversation's message: {status}");
    for bad in ["", "   ", &"я".repeat(10_001)] {
        assert_eq!(
            call(&w.a, "POST", Some(&w.student), "/messages/", message(&w.student, bad, Value::Null)).await.0,
            400
        );
    }
    assert_eq!(call(&w.a, "POST", None, "/messages/", message(&w.student, "x", Value::Null)).await.0, 401);
    assert_eq!(stored(&w.a).await, before + 1, "only the control message");

    let (status, history) = call(&w.b, "GET", Some(&w.teacher), &format!("/messages/{chat}"), None).await;
    assert_eq!(status, 200, "{history}");
    let texts: Vec<(&str, &Value)> =
        history.as_array().expect("array").iter().map(|m| (m["text"].as_str().unwrap_or(""), &m["reply_to"])).collect();
    assert_eq!(texts, [("Вопрос", &Value::Null), ("Ответ", &json!(first_id))]);
    assert_eq!(history[0], first);
    assert_eq!(call(&w.a, "GET", Some(&w.admin), &format!("/messages/{chat}"), None).await.1, history);
    assert_eq!(call(&w.a, "GET", Some(&w.outsider), &format!("/messages/{chat}"), None).await.0, 403);
}

#[tokio::test]
async fn editing_is_refused_unless_the_school_turns_it_on() {
    let off = world().await;
    let id = off.a.send(&off.student, off.chat, "было").await;
    let (status, _) =
        call(&off.a, "PUT", Some(&off.student), &format!("/messages/{id}"), Some(json!({ "text": "стало" }))).await;
    assert_eq!(status, 403, "MESSAGE_EDITING is off by default");

    let w = world_with(|c| c.append.editing = true).await;
    let id = w.a.send(&w.student, w.chat, "было").await;
    let path = format!("/messages/{id}");
    let (status, edited) = call(&w.b, "PUT", Some(&w.student), &path, Some(json!({ "text": "стало" }))).await;
    assert_eq!(status, 200, "{edited}");
    assert_eq!(
        (&edited["id"], &edited["text"], &edited["is_edited"]),
        (&json!(id.to_string()), &json!("стало"), &json!(true))
    );
    let (_, history) = call(&w.a, "GET", Some(&w.teacher), &format!("/messages/{}", w.chat), None).await;
    assert_eq!((&history[0]["text"], &history[0]["is_edited"]), (&json!("стало"), &json!(true)));
    assert_eq!(call(&w.a, "PUT", Some(&w.teacher), &path, Some(json!({ "text": "моё" }))).await.0, 403, "the partner");
    assert_eq!(call(&w.a, "PUT", Some(&w.admin), &path, Some(json!({ "text": "моё" }))).await.0, 403, "an admin");
    let old: i64 =
        w.a.sql
            .query_one("SELECT count(*) FROM events WHERE payload::text LIKE '%было%'", &[])
            .await
            .expect("the log")
            .get(0);
    assert_eq!(old, 1, "the old text stays in the log");
}

#[tokio::test]
async fn a_deleted_message_leaves_every_history_and_keeps_its_row() {
    let w = world().await;
    let (kept, gone) = (w.a.send(&w.student, w.chat, "остаётся").await, w.a.send(&w.student, w.chat, "удалю").await);
    let path = format!("/messages/{gone}");
    assert_eq!(call(&w.a, "DELETE", Some(&w.teacher), &path, None).await.0, 403, "the partner");
    assert_eq!(call(&w.a, "DELETE", Some(&w.admin), &path, None).await.0, 403, "an admin");
    assert_eq!(call(&w.b, "DELETE", Some(&w.student), &path, None).await, (204, Value::Null));
    for who in [&w.student, &w.teacher, &w.admin] {
        let (_, history) = call(&w.a, "GET", Some(who), &format!("/messages/{}", w.chat), None).await;
        assert_eq!(ids(&history), [kept.to_string()]);
    }
    let row =
        w.a.sql.query_one("SELECT is_deleted FROM messages WHERE id = $1", &[&gone]).await.expect("the row stays");
    assert!(row.get::<_, bool>("is_deleted"));
}
