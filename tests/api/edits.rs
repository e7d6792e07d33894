//! Edits (`PUT /api/messages/{id}`, `message_edited`), replies (`reply_to_message_id`,
//! `reply_to`) and read receipts in history (`read_by`).

use serde_json::{Value, json};

use crate::helpers::{Pair, TestApp, User, pair, pair_with, status_and_json};

async fn history(app: &TestApp, user: &User, chat: i64) -> Vec<Value> {
    let response = app.get(&format!("/api/chats/{chat}/messages"), user).send().await.expect("history");
    let (status, body) = status_and_json(response).await;
    assert_eq!(status, 200, "{body}");
    body["messages"].as_array().expect("messages").clone()
}

fn by_id(messages: &[Value], id: i64) -> Value {
    messages.iter().find(|m| m["id"].as_i64() == Some(id)).cloned().unwrap_or_else(|| panic!("message {id} in history"))
}

async fn events_of(app: &TestApp, chat: i64) -> i64 {
    app.sql.query_one("SELECT count(*) FROM events WHERE chat_id = $1", &[&chat]).await.expect("count").get(0)
}

#[tokio::test]
async fn an_edit_replaces_the_text_everywhere_and_keeps_the_old_one_in_the_log() {
    let Pair { a, teacher, student, admin, chat } = pair_with(|c| c.append.editing = true).await;
    let b = a.replica().await;
    let id = a.send(&student, chat, "helo").await;
    let mut streams = vec![
        ("teacher on B", b.stream(&teacher, None).await),
        ("student's other tab on B", b.stream(&student, None).await),
        ("admin on A", a.stream(&admin, None).await),
    ];
    let before_edit: time::OffsetDateTime =
        a.sql.query_one("SELECT clock_timestamp()", &[]).await.expect("the request completes").get(0);

    let (status, edited) = status_and_json(a.edit(&student, id, "hello").await).await;
    assert_eq!(status, 200, "{edited}");
    assert_eq!(edited["id"], json!(id));
    assert_eq!(edited["chat_id"], json!(chat));
    assert_eq!(edited["content"], "hello");
    assert_eq!(edited["is_edited"], true);
    assert!(edited["edited_at"].is_string(), "{edited}");

    for (who, stream) in &mut streams {
        let event = stream.event().await;
        assert_eq!(event.event, "message_edited", "{who}: {event:?}");
        assert!(event.id.is_some());
        let data = event.json();
        assert_eq!(data["chat_id"], json!(chat), "{who}");
        let message = &data["message"];
        for field in ["id", "sender_id", "content", "created_at", "is_edited", "edited_at", "reply_to"] {
            assert_eq!(message[field], edited[field], "{who}: {field}");
        }
    }

    let shown = by_id(&history(&b, &teacher, chat).await, id);
    assert_eq!((shown["content"].as_str(), shown["is_edited"].as_bool()), (Some("hello"), Some(true)));
    assert_eq!(shown["edited_at"], edited["edited_at"]);
    let (_, list) = status_and_json(a.get("/api/chats", &teacher).send().await.expect("the request completes")).await;
    assert_eq!(list["chats"][0]["last_message"]["content"], "hello");

    // The same text again: 200, nothing appended.
    let count = events_of(&a, chat).await;
    let (status, same) = status_and_json(a.edit(&student, id, "hello").await).await;
    assert_eq!((status, same["content"].as_str()), (200, Some("hello")));
    assert_eq!(events_of(&a, chat).await, count);

    // Every version is in the audit; the state at a moment shows the text of that moment.
    assert_eq!(a.edit(&student, id, "hello!").await.status(), 200);
    let versions: Vec<(String, Option<String>)> = a
        .sql
        .query("SELECT event_type, content FROM audit_chat_timeline($1) WHERE message_id = $2", &[&chat, &id])
        .await
        .expect("the query or request succeeds")
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let expected = [("message_created", "helo"), ("message_edited", "hello"), ("message_edited", "hello!")];
    assert_eq!(versions, expected.map(|(t, c)| (t.to_owned(), Some(c.to_owned()))));
    let then: (String, Option<time::OffsetDateTime>) = a
        .sql
        .query_one("SELECT content, edited_at FROM audit_chat_at($1, $2)", &[&chat, &before_edit])
        .await
        .map(|r| (r.get(0), r.get(1)))
        .expect("the query or request succeeds");
    assert_eq!(then, ("helo".to_owned(), None));
    let now: String = a
        .sql
        .query_one("SELECT content FROM audit_chat_at($1, now())", &[&chat])
        .await
        .expect("the request completes")
        .get(0);
    assert_eq!(now, "hello!");

    // A deletion's timeline row shows the text as it was when deleted.
    assert_eq!(a.delete_message(&student, id).await.status(), 200);
    let deleted: Option<String> = a
        .sql
        .query_one("SELECT content FROM audit_chat_timeline($1) WHERE event_type = 'message_deleted'", &[&chat])
        .await
        .expect("the query or request succeeds")
        .get(0);
    assert_eq!(deleted.as_deref(), Some("hello!"));
}

#[tokio::test]
async fn only_the_author_edits_a_live_message_with_valid_text() {
    let Pair { a, teacher, student, admin, chat } = pair_with(|c| c.append.editing = true).await;
    let id = a.send(&student, chat, "original").await;
    let gone = a.send(&student, chat, "to be deleted").await;
    assert_eq!(a.delete_message(&student, gone).await.status(), 200);
    let count = events_of(&a, chat).await;

    let cases: Vec<(&User, i64, String, u16)> = vec![
        (&teacher, id, "not mine".into(), 403),
        (&admin, id, "admins read only".into(), 403),
        (&student, gone, "too late".into(), 409),
        (&student, 987_654, "nothing there".into(), 403),
        (&student, id, "   \n".into(), 400),
        (&student, id, "\u{200B}\u{FEFF}".into(), 400),
        (&student, id, "x".repeat(10_001), 400),
        (&student, id, "nul \0 inside".into(), 400),
    ];
    for (user, message, content, expected) in cases {
        let (status, body) = status_and_json(a.edit(user, message, &content).await).await;
        assert_eq!(status, expected, "editing {message} to {:?}: {body}", content.chars().take(20).collect::<String>());
    }
    for body in [json!({}), json!({ "content": 5 }), json!([])] {
        let response =
            a.http.put(a.url(&format!("/api/messages/{id}"))).bearer_auth(&student.token).json(&body).send().await;
        let (status, answer) = status_and_json(response.expect("the query or request succeeds")).await;
        assert_eq!(status, 400, "{body}: {answer}");
    }
    let response = a.http.put(a.url("/api/messages/abc")).bearer_auth(&student.token).json(&json!({"content": "x"}));
    assert_eq!(status_and_json(response.send().await.expect("the request completes")).await.0, 400);
    let response = a.http.put(a.url(&format!("/api/messages/{id}"))).json(&json!({"content": "x"}));
    assert_eq!(status_and_json(response.send().await.expect("the request completes")).await.0, 401);

    assert_eq!(events_of(&a, chat).await, count, "no refused edit reached the log");
    assert_eq!(by_id(&history(&a, &student, chat).await, id)["content"], "original");
}

#[tokio::test]
async fn a_reply_quotes_a_message_of_the_same_chat_as_it_is_now() {
    let Pair { a, teacher, student, admin, chat } = pair_with(|c| c.append.editing = true).await;
    let b = a.replica().await;
    let (other_teacher, outsider) = (a.user("teacher", "Other").await, a.user("student", "Outsider").await);
    let other_chat = a.chat(&other_teacher, &outsider).await;
    let long: String = "Длинный вопрос про интегралы. ".repeat(6); // 180 characters
    let question = a.send(&student, chat, &long).await;
    let foreign = a.send(&outsider, other_chat, "elsewhere").await;
    let mut teacher_stream = b.stream(&teacher, None).await;
    let mut admin_stream = b.stream(&admin, None).await;

    let (status, reply) = status_and_json(a.post_reply(&teacher, chat, "Отвечаю", question).await).await;
    assert_eq!(status, 201, "{reply}");
    let preview: String = long.chars().take(100).collect();
    let expected = json!({ "id": question, "sender_id": student.id, "content_preview": preview, "is_deleted": false, "unavailable": false, "removed": null });
    assert_eq!(reply["reply_to"], expected);
    assert_eq!((reply["is_edited"].as_bool(), reply["read_by"].clone()), (Some(false), json!([])));
    // The sender's own stream gets it as `message_sent`, everyone else's as `new_message`.
    for (stream, name) in [(&mut teacher_stream, "message_sent"), (&mut admin_stream, "new_message")] {
        let event = stream.event().await;
        assert_eq!(event.event, name);
        assert_eq!(event.json()["message"]["reply_to"], expected);
        assert_eq!(event.json()["message"]["is_edited"], false);
    }
    let reply_id = reply["id"].as_i64().expect("a number");
    assert_eq!(by_id(&history(&a, &student, chat).await, reply_id)["reply_to"], expected);

    // A message of another chat, or none: 422, nothing appended.
    let count = events_of(&a, chat).await;
    for parent in [foreign, 987_654] {
        let (status, body) = status_and_json(a.post_reply(&teacher, chat, "wrong", parent).await).await;
        assert_eq!(status, 422, "{body}");
        assert!(body["error"].as_str().expect("a string").contains("reply_to_message_id"), "{body}");
    }
    assert_eq!(events_of(&a, chat).await, count);

    // History shows the parent as it is now: edited, then deleted (its text no longer shown).
    assert_eq!(a.edit(&student, question, "Короткий вопрос").await.status(), 200);
    assert_eq!(by_id(&history(&a, &teacher, chat).await, reply_id)["reply_to"]["content_preview"], "Короткий вопрос");
    assert_eq!(a.delete_message(&student, question).await.status(), 200);
    let deleted = json!({ "id": question, "sender_id": student.id, "content_preview": null, "is_deleted": true, "unavailable": false, "removed": null });
    assert_eq!(by_id(&history(&a, &teacher, chat).await, reply_id)["reply_to"], deleted);

    // Replying to a deleted message is allowed.
    let (status, late) = status_and_json(a.post_reply(&teacher, chat, "late answer", question).await).await;
    assert_eq!(status, 201, "{late}");
    assert_eq!(late["reply_to"], deleted);
    // Editing a reply keeps its quote, in the answer and on the stream.
    let late_id = late["id"].as_i64().expect("a number");
    let (_, edited) = status_and_json(a.edit(&teacher, late_id, "late answer, edited").await).await;
    assert_eq!(edited["reply_to"], deleted);
    let audit: Vec<Option<i64>> = a
        .sql
        .query("SELECT reply_to_message_id FROM audit_chat_at($1, now()) ORDER BY message_id", &[&chat])
        .await
        .expect("the query or request succeeds")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(audit, vec![None, Some(question), Some(question)]);
    let clean = a.sql.query("SELECT * FROM audit_replay()", &[]).await.expect("the request completes");
    assert!(clean.is_empty(), "audit_replay: {} differences", clean.len());
}

#[tokio::test]
async fn a_retried_reply_gets_the_first_answer_and_another_parent_is_refused() {
    let Pair { a, teacher, student, chat, .. } = pair().await;
    let (q1, q2) = (a.send(&student, chat, "q1").await, a.send(&student, chat, "q2").await);
    let send = |parent: i64| {
        a.http
            .post(a.url("/api/messages"))
            .bearer_auth(&teacher.token)
            .header("Idempotency-Key", "reply-once")
            .json(&json!({ "chat_id": chat, "content": "answer", "reply_to_message_id": parent }))
            .send()
    };
    let (status, first) = status_and_json(send(q1).await.expect("the request completes")).await;
    assert_eq!(status, 201);
    let (status, again) = status_and_json(send(q1).await.expect("the request completes")).await;
    assert_eq!(status, 200);
    assert_eq!(again["id"], first["id"]);
    assert_eq!(again["reply_to"]["id"], json!(q1));
    let (status, body) = status_and_json(send(q2).await.expect("the request completes")).await;
    assert_eq!(status, 422, "{body}");
}

/// `read_by` lists the other participants whose marker covers a message.
#[tokio::test]
async fn history_shows_who_has_read_each_message() {
    let Pair { a, teacher, student, admin, chat } = pair().await;
    let m1 = a.send(&teacher, chat, "one").await;
    let m2 = a.send(&teacher, chat, "two").await;
    let own = a.send(&student, chat, "three").await;
    assert_eq!(a.read(&student, chat, Some(m1)).await.status(), 204);
    for viewer in [&teacher, &student, &admin] {
        let messages = history(&a, viewer, chat).await;
        assert_eq!(by_id(&messages, m1)["read_by"], json!([student.id]));
        assert_eq!(by_id(&messages, m2)["read_by"], json!([]));
        assert_eq!(by_id(&messages, own)["read_by"], json!([]), "the teacher has not read it");
    }
    assert_eq!(a.read(&teacher, chat, None).await.status(), 204);
    let messages = history(&a, &student, chat).await;
    assert_eq!(by_id(&messages, own)["read_by"], json!([teacher.id]));
    assert_eq!(by_id(&messages, m2)["read_by"], json!([]), "the teacher's marker does not cover his own");
}

#[tokio::test]
async fn openapi_describes_reads_edits_replies_and_their_events() {
    let a = TestApp::spawn().await;
    let doc: Value = a
        .http
        .get(a.url("/api/openapi.json"))
        .send()
        .await
        .expect("the request completes")
        .json()
        .await
        .expect("the request completes");
    assert!(doc["paths"]["/api/messages/{id}"]["put"].is_object());
    assert!(doc["paths"]["/api/chats/{chat_id}/read"]["post"].is_object());
    assert!(doc["paths"]["/api/unread-count"]["get"].is_object());
    let schemas = &doc["components"]["schemas"];
    for field in ["is_edited", "edited_at", "reply_to", "read_by"] {
        assert!(schemas["HistoryMessage"]["properties"][field].is_object(), "HistoryMessage.{field}");
    }
    assert!(schemas["SendMessage"]["properties"]["reply_to_message_id"].is_object());
    for event in ["MessageEvent", "MessageDeletedEvent", "MessagesReadEvent"] {
        assert!(schemas[event].is_object(), "schema of the SSE event {event}");
    }
    let description = doc["paths"]["/api/events/chat"]["get"]["description"].as_str().unwrap_or_default();
    for name in ["message_edited", "messages_read"] {
        assert!(description.contains(name), "the stream's description names {name}: {description}");
    }
}

#[tokio::test]
async fn editing_is_off_as_the_specification_says_unless_the_school_turns_it_on() {
    // The default: "Можно ли редактировать сообщения? Нет (только удалять)".
    let a = TestApp::spawn().await;
    let (teacher, student) = (a.user("teacher", "Teacher").await, a.user("student", "Student").await);
    let chat = a.chat(&teacher, &student).await;
    let id = a.send(&student, chat, "helo").await;
    let mut stream = a.stream(&teacher, None).await;

    let (_, me) = status_and_json(a.get("/api/me", &student).send().await.expect("me")).await;
    assert_eq!(me["message_editing"], false, "{me}");
    let (status, body) = status_and_json(a.edit(&student, id, "hello").await).await;
    assert_eq!((status, body["code"].as_str()), (403, Some("editing_off")), "{body}");
    assert!(body["error"].as_str().is_some_and(|e| e.contains("MESSAGE_EDITING")), "{body}");
    assert_eq!(by_id(&history(&a, &teacher, chat).await, id)["content"], "helo");
    assert_eq!(
        a.sql
            .query_one("SELECT count(*) FROM events WHERE type = 'message_edited'", &[])
            .await
            .expect("count")
            .get::<_, i64>(0),
        0
    );

    // Deleting stays: the next frame is the deletion, not an edit.
    let (status, _) = status_and_json(a.delete_message(&student, id).await).await;
    assert_eq!(status, 200);
    assert_eq!(stream.event().await.event, "message_deleted");

    // Where the school turned editing on, `/api/me` says so and an edit is taken.
    let on = TestApp::spawn_on(a.database.clone(), |config| config.append.editing = true).await;
    let (_, me) = status_and_json(on.get("/api/me", &student).send().await.expect("me")).await;
    assert_eq!(me["message_editing"], true, "{me}");
    let other = on.send(&student, chat, "helo").await;
    let (status, body) = status_and_json(on.edit(&student, other, "hello").await).await;
    assert_eq!(status, 200, "{body}");
}
