//! The five REST routes: statuses, shapes, paging, and the core's rules behind each.

use std::collections::HashSet;

use serde_json::{Value, json};

use super::{answer, stored, world};
use crate::helpers::{TestApp, User};

async fn get(app: &TestApp, user: &User, path: &str) -> (u16, Value) {
    answer(app.get(path, user).send().await.expect("GET")).await
}

async fn post(app: &TestApp, user: &User, path: &str, body: Option<&str>) -> (u16, Value) {
    let request = app.http.post(app.url(path)).bearer_auth(&user.token);
    let request = match body {
        Some(body) => request.header("content-type", "application/json").body(body.to_owned()),
        None => request,
    };
    answer(request.send().await.expect("POST")).await
}

fn ids(list: &Value, field: &str) -> Vec<String> {
    list[field].as_array().expect(field).iter().map(|c| c["id"].as_str().expect("a string id").to_owned()).collect()
}

#[tokio::test]
async fn conversations_are_exactly_the_callers_in_pages_that_are_disjoint_and_complete() {
    let w = world().await;
    let mut expected = vec![w.chat.to_string()];
    for i in 0..4 {
        let student = w.a.user("student", &format!("Ученик {i}")).await;
        expected.push(w.a.chat(&w.teacher, &student).await.to_string());
    }
    let mut seen = Vec::new();
    for offset in [0, 2, 4] {
        let (status, page) =
            get(&w.b, &w.teacher, &format!("/api/v1/chat/conversations?limit=2&offset={offset}")).await;
        assert_eq!(status, 200, "{page}");
        seen.extend(ids(&page, "conversations"));
    }
    assert_eq!(seen, expected, "every chat of the teacher's once, in one order");
    let (_, all) = get(&w.a, &w.teacher, "/api/v1/chat/conversations").await;
    let first = &all["conversations"][0];
    let fields: HashSet<&str> = first.as_object().expect("object").keys().map(String::as_str).collect();
    assert_eq!(fields, HashSet::from(["id", "created_at", "updated_at"]));
    assert!(first["created_at"].as_str().is_some_and(|t| t.ends_with('Z') && t.contains('T')), "{first}");
    let (_, theirs) = get(&w.a, &w.outsider, "/api/v1/chat/conversations").await;
    assert_eq!(ids(&theirs, "conversations"), [w.other_chat.to_string()], "never another's");
    let nobody = w.a.user("student", "Новичок").await;
    assert_eq!(get(&w.a, &nobody, "/api/v1/chat/conversations").await, (200, json!({ "conversations": [] })));
    let (_, many) = get(&w.a, &w.admin, "/api/v1/chat/conversations?limit=500").await;
    assert_eq!(ids(&many, "conversations").len(), 6, "an admin reads every chat; a limit over 100 is 100");

    for bad in ["limit=0", "offset=-1", "limit=x", "page=2"] {
        assert_eq!(get(&w.a, &w.teacher, &format!("/api/v1/chat/conversations?{bad}")).await.0, 400, "{bad}");
    }
    let anonymous = w.a.http.get(w.a.url("/api/v1/chat/conversations")).send().await.expect("GET");
    assert_eq!(answer(anonymous).await.0, 401);
}

#[tokio::test]
async fn messages_are_paged_from_the_newest_each_page_in_order_without_deleted_ones() {
    let w = world().await;
    let mut sent = Vec::new();
    for i in 0..6 {
        sent.push(w.a.send(if i % 2 == 0 { &w.student } else { &w.teacher }, w.chat, &format!("#{i}")).await);
    }
    assert_eq!(w.a.delete_message(&w.teacher, sent[3]).await.status(), 200);
    let path = |q: &str| format!("/api/v1/chat/conversations/{}/messages{q}", w.chat);
    let bodies = |page: &Value| -> Vec<String> {
        page["messages"]
            .as_array()
            .expect("messages")
            .iter()
            .map(|m| m["body"].as_str().expect("body").to_owned())
            .collect()
    };
    let (status, newest) = get(&w.b, &w.student, &path("")).await;
    assert_eq!(status, 200, "{newest}");
    assert_eq!(bodies(&newest), ["#0", "#1", "#2", "#4", "#5"]);
    assert_eq!(
        newest["messages"][0],
        json!({ "id": sent[0].to_string(), "conversation_id": w.chat.to_string(), "sender_id": w.student.id.to_string(),
                "body": "#0", "created_at": newest["messages"][0]["created_at"] })
    );
    assert_eq!(bodies(&get(&w.a, &w.student, &path("?limit=2")).await.1), ["#4", "#5"]);
    assert_eq!(bodies(&get(&w.a, &w.student, &path("?limit=2&offset=2")).await.1), ["#1", "#2"]);
    assert_eq!(bodies(&get(&w.a, &w.student, &path("?limit=2&offset=4")).await.1), ["#0"]);
    assert_eq!(bodies(&get(&w.a, &w.student, &path("?offset=9")).await.1), Vec::<String>::new());
    let far = get(&w.a, &w.student, &path(&format!("?limit=1&offset={}", i64::MAX))).await;
    assert_eq!(far, (200, json!({ "messages": [] })), "an offset past everything is an empty page");
    assert_eq!(bodies(&get(&w.a, &w.admin, &path("?limit=1")).await.1), ["#5"], "an admin reads every chat");
    assert_eq!(get(&w.a, &w.outsider, &path("")).await.0, 403);
    assert_eq!(get(&w.a, &w.student, &path("?limit=-1")).await.0, 400);
}

#[tokio::test]
async fn a_direct_send_goes_into_the_lesson_chat_and_nowhere_else() {
    let w = world().await;
    let to = |user: &User| format!("/api/v1/chat/direct/{}/send", user.id);
    let (status, sent) = post(&w.b, &w.student, &to(&w.teacher), Some(r#"{"body":"Здравствуйте!"}"#)).await;
    assert_eq!(status, 201, "{sent}");
    let message = &sent["message"];
    assert_eq!(
        (&message["conversation_id"], &message["sender_id"], &message["body"]),
        (&json!(w.chat.to_string()), &json!(w.student.id.to_string()), &json!("Здравствуйте!"))
    );
    assert!(message["id"].is_string() && message["created_at"].is_string(), "{message}");
    let (_, history) = crate::helpers::status_and_json(
        w.a.get(&format!("/api/chats/{}/messages", w.chat), &w.teacher).send().await.expect("GET"),
    )
    .await;
    assert_eq!(history["messages"][0]["content"], "Здравствуйте!", "a core message");

    let before = stored(&w.a).await;
    let scheduled = w.a.user("teacher", "Только запланирован").await;
    w.a.scheduled_lesson(&scheduled, &w.student).await;
    for (who, from, target) in [
        ("student to student", &w.student, &w.outsider),
        ("a lesson only scheduled", &w.student, &scheduled),
        ("a teacher of another pair", &w.other_teacher, &w.student),
    ] {
        let (status, body) = post(&w.a, from, &to(target), Some(r#"{"body":"hi"}"#)).await;
        assert!([403, 404].contains(&status), "{who}: {status} {body}");
    }
    assert_eq!(post(&w.a, &w.admin, &to(&w.student), Some(r#"{"body":"hi"}"#)).await.0, 403, "admins write nothing");
    let long = json!({ "body": "я".repeat(10_001) }).to_string();
    for bad in [
        "{}",
        r#""""#,
        r#"{"body":""}"#,
        r#"{"body":"   "}"#,
        "5",
        "null",
        r#"{"body":5}"#,
        r#"{"text":"hi"}"#,
        r#"{"body":"hi","text":"x"}"#,
        "{not json",
        &long,
    ] {
        assert_eq!(post(&w.a, &w.student, &to(&w.teacher), Some(bad)).await.0, 400, "{}", &bad[..bad.len().min(40)]);
    }
    assert_eq!(stored(&w.a).await, before, "nothing stored");
}

#[tokio::test]
async fn read_zeroes_the_unread_count_and_presence_speaks_epoch_seconds() {
    let w = world().await;
    w.a.send(&w.teacher, w.chat, "раз").await;
    w.a.send(&w.teacher, w.chat, "два").await;
    assert_eq!(w.a.unread(&w.student, w.chat).await, 2);
    let read = format!("/api/v1/chat/conversations/{}/read", w.chat);
    assert_eq!(post(&w.b, &w.student, &read, None).await, (204, Value::Null));
    assert_eq!(w.a.unread(&w.student, w.chat).await, 0);
    assert_eq!(post(&w.b, &w.outsider, &read, None).await.0, 403);
    // Suspended, a person still marks chats read, as with the core's route.
    let suspend = w.a.http.post(w.a.url(&format!("/api/admin/users/{}/suspend", w.student.id)));
    assert_eq!(
        suspend.bearer_auth(&w.admin.token).json(&json!({ "reason": "x" })).send().await.expect("POST").status(),
        204
    );
    w.a.send(&w.teacher, w.chat, "три").await;
    assert_eq!(post(&w.b, &w.student, &read, None).await, (204, Value::Null));
    assert_eq!(w.a.unread(&w.student, w.chat).await, 0);
    let direct = format!("/api/v1/chat/direct/{}/send", w.teacher.id);
    assert_eq!(post(&w.b, &w.student, &direct, Some(r#"{"body":"hi"}"#)).await.0, 403, "but writes nothing");

    let presence = format!("/api/v1/chat/presence/{}", w.student.id);
    let never = json!({ "user_id": w.student.id.to_string(), "online": false, "last_seen": null });
    assert_eq!(get(&w.a, &w.teacher, &presence).await, (200, never));
    assert_eq!(get(&w.a, &w.outsider, &presence).await.0, 403, "not a contact");
    let stream = w.b.stream(&w.student, None).await;
    let online = json!({ "user_id": w.student.id.to_string(), "online": true, "last_seen": null });
    super::eventually("online", || async { get(&w.a, &w.teacher, &presence).await.1 == online }).await;
    let closed = crate::helpers::now() as i64;
    drop(stream);
    super::eventually("offline", || async { get(&w.a, &w.admin, &presence).await.1["online"] == false }).await;
    let last_seen = get(&w.a, &w.teacher, &presence).await.1["last_seen"].as_i64().expect("epoch seconds");
    assert!((closed - 2..=closed + 5).contains(&last_seen), "{last_seen} vs {closed}");
}
