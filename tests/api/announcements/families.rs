//! Announcements to families (`recipients`): a teacher's announcement reaches its students'
//! guardians, one membership per family whatever the number of their children; guardians read
//! it live on every replica, mark it read and never post; they join as they are linked or a
//! child's lesson completes, and leave when no child of theirs is the owner's student.

use serde_json::{Value, json};

use super::{create, members, post};
use crate::governance::audit_is_clean;
use crate::guardians::set_link;
use crate::helpers::{TestApp, status_and_json};

#[tokio::test]
async fn an_announcement_to_guardians_reaches_each_family_once_and_follows_the_links() {
    let a = TestApp::spawn().await;
    let b = a.replica().await;
    let teacher = a.user("teacher", "Иван").await;
    let admin = a.user("admin", "Завуч").await;
    let (masha, petya, vera) =
        (a.user("student", "Маша").await, a.user("student", "Петя").await, a.user("student", "Вера").await);
    let (elena, olga) = (a.user("guardian", "Елена").await, a.user("guardian", "Ольга").await);
    for student in [&masha, &petya, &vera] {
        a.chat(&teacher, student).await;
    }
    for (guardian, child) in [(&elena, &masha), (&elena, &petya), (&olga, &vera)] {
        assert_eq!(set_link(&a, &admin, guardian.id, child.id, true).await.0, 201);
    }

    let body = json!({ "kind": "group", "title": "Родителям", "audience": "my_students", "recipients": "guardians" });
    let (status, chat) = create(&a, &teacher, body).await;
    assert_eq!(status, 201, "{chat}");
    assert_eq!((&chat["announcement"], &chat["recipients"]), (&json!(true), &json!("guardians")), "{chat}");
    let chat = chat["id"].as_i64().expect("id");
    // The teacher and one membership per family; the students are not its members.
    assert_eq!(members(&a, &teacher, chat).await, [teacher.id, elena.id, olga.id]);

    // A message reaches both families live through the other replica, and no child.
    let (mut elenas, mut olgas, mut mashas) =
        (b.stream(&elena, None).await, b.stream(&olga, None).await, b.stream(&masha, None).await);
    let note = a.send(&teacher, chat, "Собрание в четверг в 18:00").await;
    for stream in [&mut elenas, &mut olgas] {
        let event = stream.event().await;
        assert_eq!((event.event.as_str(), &event.json()["message"]["id"]), ("new_message", &json!(note)), "{event:?}");
    }
    let control = a.send(&teacher, a.chat(&teacher, &masha).await, "контроль").await;
    let event = mashas.event().await;
    assert_eq!(event.json()["message"]["id"], json!(control), "Маша saw the announcement first: {event:?}");

    // A guardian reads and marks it read, reacts, and never posts.
    let (status, history) =
        status_and_json(b.get(&format!("/api/chats/{chat}/messages"), &elena).send().await.expect("GET")).await;
    assert_eq!((status, &history["messages"][0]["id"]), (200, &json!(note)), "{history}");
    assert_eq!(b.read(&elena, chat, Some(note)).await.status(), 204);
    assert_eq!(b.unread(&olga, chat).await, 1);
    let refused = post(&b, &elena, json!({ "chat_id": chat, "content": "А можно раньше?" })).await;
    assert_eq!(refused, (403, Some("announcement_read_only".into())));
    let (status, list) = status_and_json(a.get("/api/chats", &elena).send().await.expect("GET")).await;
    let listed = list["chats"].as_array().expect("chats").iter().find(|c| c["id"] == chat).cloned();
    assert_eq!((status, listed.map(|c| c["recipients"].clone())), (200, Some(json!("guardians"))), "{list}");

    // A guardian linked later joins; one whose only child here is unlinked leaves (the database
    // removes them, no actor); Елена stays while one of her children is the teacher's student.
    let nina = a.user("guardian", "Нина").await;
    assert_eq!(set_link(&a, &admin, nina.id, vera.id, true).await.0, 201);
    assert_eq!(set_link(&a, &admin, olga.id, vera.id, false).await.0, 204);
    assert_eq!(set_link(&a, &admin, elena.id, petya.id, false).await.0, 204);
    assert_eq!(members(&a, &teacher, chat).await, [teacher.id, elena.id, nina.id]);
    let removed = a
        .sql
        .query_one(
            "SELECT actor_id FROM events WHERE chat_id = $1 AND type = 'participant_removed'
               AND (payload ->> 'user_id')::bigint = $2",
            &[&chat, &olga.id],
        )
        .await
        .expect("Ольга's removal");
    assert_eq!(removed.get::<_, Option<i64>>(0), None);
    // As any former member, she reads what she was a member for, and nothing after.
    let later = a.send(&teacher, chat, "Собрание переносится").await;
    let (status, history) =
        status_and_json(b.get(&format!("/api/chats/{chat}/messages"), &olga).send().await.expect("GET")).await;
    let ids: Vec<&Value> = history["messages"].as_array().expect("messages").iter().map(|m| &m["id"]).collect();
    assert_eq!((status, ids), (200, vec![&json!(note)]), "not {later}: {history}");

    // A lesson completed later brings the child's guardian, not the child.
    let (gleb, galina) = (a.user("student", "Глеб").await, a.user("guardian", "Галина").await);
    assert_eq!(set_link(&a, &admin, galina.id, gleb.id, true).await.0, 201);
    a.chat(&teacher, &gleb).await;
    assert_eq!(members(&a, &teacher, chat).await, [teacher.id, elena.id, nina.id, galina.id]);
    audit_is_clean(&a).await;
}

#[tokio::test]
async fn an_announcement_to_both_reaches_students_and_guardians_and_the_log_keeps_the_rules() {
    let app = TestApp::spawn().await;
    let teacher = app.user("teacher", "Иван").await;
    let (admin, masha, vera) =
        (app.user("admin", "Завуч").await, app.user("student", "Маша").await, app.user("student", "Вера").await);
    let (elena, stranger) = (app.user("guardian", "Елена").await, app.user("guardian", "Чужая").await);
    app.chat(&teacher, &masha).await;
    app.chat(&teacher, &vera).await;
    assert_eq!(set_link(&app, &admin, elena.id, masha.id, true).await.0, 201);

    let body = json!({ "kind": "group", "title": "7Б", "participant_ids": [masha.id], "recipients": "both" });
    let (status, chat) = create(&app, &teacher, body).await;
    assert_eq!((status, &chat["recipients"], &chat["announcement"]), (201, &json!("both"), &json!(true)), "{chat}");
    let chat = chat["id"].as_i64().expect("id");
    assert_eq!(members(&app, &teacher, chat).await, [teacher.id, masha.id, elena.id]);

    // The owner adds guardians of their own students only; a plain group takes none.
    let add = |user: i64| {
        let request = app.http.post(app.url(&format!("/api/chats/{chat}/participants"))).bearer_auth(&teacher.token);
        request.json(&json!({ "user_id": user })).send()
    };
    assert_eq!(add(stranger.id).await.expect("POST").status(), 422);
    // A child an admin added, who is no student of the owner: linking their guardian still
    // links, and adds nobody (the owner may add only their own students' guardians).
    let kira = app.user("student", "Кира").await;
    let request = app.http.post(app.url(&format!("/api/chats/{chat}/participants"))).bearer_auth(&admin.token);
    assert_eq!(request.json(&json!({ "user_id": kira.id })).send().await.expect("POST").status(), 201);
    assert_eq!(set_link(&app, &admin, stranger.id, kira.id, true).await.0, 201);
    assert_eq!(members(&app, &teacher, chat).await, [teacher.id, masha.id, elena.id, kira.id]);
    let (status, body) =
        create(&app, &teacher, json!({ "kind": "group", "title": "x", "recipients": "sometimes" })).await;
    assert!(status == 400 || status == 422, "{status} {body}");
    let refused = app
        .sql
        .execute(
            "INSERT INTO events (chat_id, actor_id, type, payload)
             VALUES (nextval('chats_id_seq'), $1, 'chat_created',
                     '{\"kind\": \"group\", \"title\": \"x\", \"recipients\": \"both\"}')",
            &[&teacher.id],
        )
        .await;
    assert!(refused.is_err(), "recipients of a chat that is no announcement");
    audit_is_clean(&app).await;
}
