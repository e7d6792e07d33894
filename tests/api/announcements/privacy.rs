//! An announcement's listeners (every member but its owner) see its owner and themselves,
//! nobody else: not in its details, its history's readers and reactions, its export, the live
//! stream or a resumed one, nor anyone's presence through it. Its owner and admins see everyone.

use serde_json::{Value, json};

use super::create;
use crate::guardians::set_link;
use crate::helpers::{TestApp, User, status_and_json};

async fn get(app: &TestApp, user: &User, path: &str) -> (u16, Value) {
    status_and_json(app.get(path, user).send().await.expect("GET")).await
}

/// Every user id a JSON value names in a field called `id`, `user_id` or `user_ids`.
fn named(value: &Value, into: &mut Vec<i64>) {
    match value {
        Value::Object(map) => {
            for (key, field) in map {
                match (key.as_str(), field) {
                    ("user_id", Value::Number(n)) => into.extend(n.as_i64()),
                    ("user_ids" | "read_by", Value::Array(ids)) => into.extend(ids.iter().filter_map(Value::as_i64)),
                    _ => named(field, into),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| named(item, into)),
        _ => {}
    }
}

#[tokio::test]
async fn an_announcements_listeners_see_its_owner_and_themselves_and_nobody_else() {
    let a = TestApp::spawn().await;
    let b = a.replica().await;
    let (teacher, admin) = (a.user("teacher", "Иван").await, a.user("admin", "Завуч").await);
    let (masha, alex, borya) =
        (a.user("student", "Маша").await, a.user("student", "Alex").await, a.user("student", "Боря").await);
    let (elena, sun, irina) =
        (a.user("guardian", "Елена").await, a.user("guardian", "Sun Kim").await, a.user("guardian", "Ирина").await);
    for (student, guardian) in [(&masha, &elena), (&alex, &sun), (&borya, &irina)] {
        a.chat(&teacher, student).await;
        assert_eq!(set_link(&a, &admin, guardian.id, student.id, true).await.0, 201);
    }
    let (status, chat) = create(
        &a,
        &teacher,
        json!({ "kind": "group", "title": "Всем", "audience": "my_students", "recipients": "both" }),
    )
    .await;
    assert_eq!(status, 201, "{chat}");
    let chat = chat["id"].as_i64().expect("id");
    let others: Vec<i64> = [&masha, &alex, &borya, &sun, &irina].iter().map(|u| u.id).collect();

    // Details: the owner and the caller; the count stays. The owner and admins see all seven.
    let (status, details) = get(&b, &elena, &format!("/api/chats/{chat}")).await;
    let ids: Vec<i64> =
        details["participants"].as_array().expect("participants").iter().filter_map(|p| p["id"].as_i64()).collect();
    assert_eq!((status, ids), (200, vec![teacher.id, elena.id]), "{details}");
    assert_eq!(details["participants_count"], 7, "{details}");
    for who in [&teacher, &admin] {
        let (_, details) = get(&a, who, &format!("/api/chats/{chat}")).await;
        assert_eq!(details["participants"].as_array().map(Vec::len), Some(7), "{details}");
    }

    // Live: another family's read and reaction reach the owner, not Елена.
    let mut elenas = b.stream(&elena, None).await;
    let note = a.send(&teacher, chat, "Собрание в четверг").await;
    assert_eq!(elenas.event().await.json()["message"]["id"], note);
    assert_eq!(a.read(&sun, chat, Some(note)).await.status(), 204);
    let react = a.http.put(a.url(&format!("/api/messages/{note}/reactions/%F0%9F%91%8D"))).bearer_auth(&irina.token);
    assert_eq!(react.send().await.expect("react").status(), 201);
    let marker = a.send(&teacher, chat, "Повестка: успеваемость").await;
    let next = elenas.event().await;
    assert_eq!(
        (next.event.as_str(), &next.json()["message"]["id"]),
        ("new_message", &json!(marker)),
        "Елена got another family's doing first: {}",
        next.data
    );

    // History: who read and who reacted name nobody but the owner and her.
    let (status, history) = get(&b, &elena, &format!("/api/chats/{chat}/messages")).await;
    assert_eq!(status, 200, "{history}");
    let mut seen = Vec::new();
    named(&history, &mut seen);
    assert!(seen.iter().all(|id| !others.contains(id)), "history names {seen:?}: {history}");
    // Another family's reaction is not hers to see, nor counted for her (as history counts only
    // the reactions of whom a reader may see named).
    let messages = history["messages"].as_array().expect("messages");
    let reactions = &messages.iter().find(|m| m["id"] == note).expect("note")["reactions"];
    assert_eq!(reactions, &json!([]), "{history}");
    // The owner sees who.
    let (_, theirs) = get(&a, &teacher, &format!("/api/chats/{chat}/messages")).await;
    let mut seen = Vec::new();
    named(&theirs, &mut seen);
    assert!(seen.contains(&sun.id) && seen.contains(&irina.id), "{theirs}");

    // A resumed stream from the start: nothing that names another member.
    let mut resumed = a.stream(&elena, Some("0")).await;
    loop {
        let event = resumed.event().await;
        let mut seen = Vec::new();
        named(&event.json(), &mut seen);
        assert!(seen.iter().all(|id| !others.contains(id)), "{} names {seen:?}: {}", event.event, event.data);
        if event.json()["message"]["id"] == marker {
            break;
        }
    }

    // Her export lists the owner and her.
    let (status, export) = get(&a, &elena, &format!("/api/chats/{chat}/export?format=json")).await;
    let members: Vec<i64> = export["members"]
        .as_array()
        .expect("members")
        .iter()
        .filter_map(|m| m["id"].as_i64().or(m["user_id"].as_i64()))
        .collect();
    assert!(status == 200 && members.iter().all(|id| !others.contains(id)), "{status} {export}");

    // Presence: sharing an announcement makes nobody a contact.
    let (status, body) = get(&a, &borya, &format!("/api/presence/{}", elena.id)).await;
    assert_eq!(status, 403, "a child watching another family's parent: {body}");
    let (status, body) = get(&a, &masha, &format!("/api/presence/{}", alex.id)).await;
    assert_eq!(status, 403, "{body}");
}
