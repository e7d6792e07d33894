//! Read markers and unread counts: `POST /api/chats/{id}/read`, `GET /api/unread-count`,
//! `messages_read` on every entitled stream, and counts kept by the log's trigger that agree
//! with the log.

use serde_json::{Value, json};
use tutorchat::log::{self, NewEvent};

use crate::helpers::{Pair, Stream, TestApp, User, pair, status_and_json};

async fn unread_total(app: &TestApp, user: &User) -> (u16, Value) {
    status_and_json(app.get("/api/unread-count", user).send().await.expect("GET unread-count")).await
}

async fn marker(app: &TestApp, chat: i64, user: &User) -> i64 {
    app.sql
        .query_one(
            "SELECT last_read_message_id FROM chat_participants WHERE chat_id = $1 AND user_id = $2",
            &[&chat, &user.id],
        )
        .await
        .expect("marker")
        .get(0)
}

async fn read_events(app: &TestApp, chat: i64) -> Vec<i64> {
    app.sql
        .query(
            "SELECT (payload ->> 'up_to_message_id')::bigint FROM events WHERE chat_id = $1 AND type = 'chat_read'
             ORDER BY position",
            &[&chat],
        )
        .await
        .expect("chat_read events")
        .iter()
        .map(|r| r.get(0))
        .collect()
}

async fn assert_replay_clean(app: &TestApp) {
    let rows = app.sql.query("SELECT projection, row_key, problem, replayed, live FROM audit_replay()", &[]).await;
    let rows = rows.expect("audit_replay");
    let problems: Vec<String> = rows
        .iter()
        .map(|r| {
            let (p, k, what): (String, String, String) = (r.get(0), r.get(1), r.get(2));
            let (replayed, live): (Option<Value>, Option<Value>) = (r.get(3), r.get(4));
            format!("{p} {k}: {what}: replayed {replayed:?} live {live:?}")
        })
        .collect();
    assert!(problems.is_empty(), "audit_replay found differences: {problems:#?}");
}

#[tokio::test]
async fn reading_moves_the_marker_forward_and_the_unread_counts_go_down() {
    let Pair { a, teacher, student, chat, .. } = pair().await;
    let m1 = a.send(&teacher, chat, "one").await;
    let m2 = a.send(&teacher, chat, "two").await;
    let m3 = a.send(&teacher, chat, "three").await;
    assert_eq!(a.unread(&student, chat).await, 3);
    assert_eq!(unread_total(&a, &student).await, (200, json!({ "unread_count": 3, "chats": 1 })));

    assert_eq!(a.read(&student, chat, Some(m2)).await.status(), 204);
    assert_eq!(a.unread(&student, chat).await, 1);
    assert_eq!(marker(&a, chat, &student).await, m2);

    // An older marker is a no-op: still 204, nothing appended, nothing moves back.
    assert_eq!(a.read(&student, chat, Some(m1)).await.status(), 204);
    assert_eq!(a.read(&student, chat, Some(m2)).await.status(), 204);
    assert_eq!(marker(&a, chat, &student).await, m2);
    assert_eq!(read_events(&a, chat).await, vec![m2]);

    // No body: up to the newest message.
    assert_eq!(a.read(&student, chat, None).await.status(), 204);
    assert_eq!(a.unread(&student, chat).await, 0);
    assert_eq!(marker(&a, chat, &student).await, m3);
    assert_eq!(unread_total(&a, &student).await, (200, json!({ "unread_count": 0, "chats": 0 })));
    let (_, list) = status_and_json(a.get("/api/chats", &student).send().await.expect("chats")).await;
    assert_eq!(list["chats"][0]["last_read_message_id"], json!(m3));
    assert_eq!(list["chats"][0]["last_message"]["id"], json!(m3));
    assert_eq!(list["chats"][0]["last_message"]["sender_id"], json!(teacher.id));

    // Own messages never count; the partner's count grows with them.
    a.send(&student, chat, "mine").await;
    assert_eq!(a.unread(&student, chat).await, 0);
    assert_eq!(a.unread(&teacher, chat).await, 1);

    // A deleted unread message stops counting.
    let m4 = a.send(&teacher, chat, "four").await;
    assert_eq!(a.unread(&student, chat).await, 1);
    assert_eq!(a.delete_message(&teacher, m4).await.status(), 200);
    assert_eq!(a.unread(&student, chat).await, 0);

    // Reading up to the newest message (her own, now) moves the marker once; again, nothing.
    assert_eq!(a.read(&student, chat, None).await.status(), 204);
    let before = read_events(&a, chat).await;
    assert_eq!(a.read(&student, chat, None).await.status(), 204);
    assert_eq!(read_events(&a, chat).await, before);
    assert_replay_clean(&a).await;
}

#[tokio::test]
async fn only_participants_move_markers_and_bad_requests_get_clear_answers() {
    let Pair { a, teacher, student, admin, chat } = pair().await;
    let (other_teacher, outsider) = (a.user("teacher", "Other").await, a.user("student", "Outsider").await);
    let other_chat = a.chat(&other_teacher, &outsider).await;
    let m1 = a.send(&teacher, chat, "one").await;
    let foreign = a.send(&outsider, other_chat, "elsewhere").await;

    // Admins read without a marker, and reading as one changes no count.
    let (status, _) = status_and_json(
        a.get(&format!("/api/chats/{chat}/messages"), &admin).send().await.expect("the request completes"),
    )
    .await;
    assert_eq!(status, 200);
    let (status, body) = status_and_json(a.read(&admin, chat, Some(m1)).await).await;
    assert_eq!(status, 403, "{body}");
    assert!(body["error"].as_str().expect("a string").contains("admins"), "{body}");
    let (status, _) = unread_total(&a, &admin).await;
    assert_eq!(status, 403);
    assert_eq!(a.unread(&student, chat).await, 1);
    assert!(read_events(&a, chat).await.is_empty());

    let (status, _) = status_and_json(a.read(&outsider, chat, Some(m1)).await).await;
    assert_eq!(status, 404, "as a chat that does not exist");
    let (status, _) = status_and_json(a.read(&student, 987_654, None).await).await;
    assert_eq!(status, 404);
    // A message of another chat, or none at all: 422 naming it.
    for id in [foreign, 987_654, 0, -1] {
        let (status, body) = status_and_json(a.read(&student, chat, Some(id)).await).await;
        assert_eq!(status, 422, "up to {id}: {body}");
        assert!(body["error"].as_str().expect("a string").contains("up_to_message_id"), "{body}");
    }
    let url = a.url(&format!("/api/chats/{chat}/read"));
    // Only whitespace is not JSON either (the contract's fuzzer sent it); no body at all is.
    let bodies: [(&str, &str); 5] = [
        ("application/json", "{\"up_to_message_id\": \"7\"}"),
        ("application/json", "{\"up_to_message_id\": "),
        ("application/json", " "),
        ("application/json", "\n\t"),
        ("text/plain", "{\"up_to_message_id\": 1}"),
    ];
    for (kind, body) in bodies {
        let response = a
            .http
            .post(&url)
            .bearer_auth(&student.token)
            .header("content-type", kind)
            .body(body)
            .send()
            .await
            .expect("the request completes");
        let (status, answer) = status_and_json(response).await;
        assert!(matches!(status, 400 | 415), "{kind} {body}: {status} {answer}");
    }
    let (status, _) = status_and_json(a.http.post(&url).send().await.expect("the request completes")).await;
    assert_eq!(status, 401);
    assert_eq!(a.unread(&student, chat).await, 1, "nothing above moved the marker");
    assert_replay_clean(&a).await;
}

/// The reader's other tabs (on either replica), the partner and admins get `messages_read`;
/// someone outside the chat does not.
#[tokio::test]
async fn messages_read_reaches_every_participant_stream_and_admins_on_both_replicas() {
    let Pair { a, teacher, student, admin, chat } = pair().await;
    let b = a.replica().await;
    let (other_teacher, outsider) = (a.user("teacher", "Other").await, a.user("student", "Outsider").await);
    let other_chat = a.chat(&other_teacher, &outsider).await;
    let m1 = a.send(&teacher, chat, "read me").await;

    let mut streams: Vec<(&str, Stream)> = vec![
        ("student's tab on A", a.stream(&student, None).await),
        ("student's tab on B", b.stream(&student, None).await),
        ("teacher on B", b.stream(&teacher, None).await),
        ("admin on A", a.stream(&admin, None).await),
        ("admin on B", b.stream(&admin, None).await),
    ];
    let mut outsider_stream = b.stream(&outsider, None).await;
    assert_eq!(a.read(&student, chat, Some(m1)).await.status(), 204);
    let read_at: time::OffsetDateTime = a
        .sql
        .query_one("SELECT created_at FROM events WHERE type = 'chat_read' AND chat_id = $1", &[&chat])
        .await
        .expect("the query or request succeeds")
        .get(0);
    for (who, stream) in &mut streams {
        let event = stream.event().await;
        assert_eq!(event.event, "messages_read", "{who}: {event:?}");
        assert!(event.id.is_some(), "{who}: a log event carries its position");
        let data = event.json();
        assert_eq!(data["chat_id"], json!(chat), "{who}");
        assert_eq!(data["user_id"], json!(student.id), "{who}");
        assert_eq!(data["up_to_message_id"], json!(m1), "{who}");
        let at = time::OffsetDateTime::parse(
            data["read_at"].as_str().expect("a string"),
            &time::format_description::well_known::Rfc3339,
        )
        .expect("read_at is RFC 3339");
        assert_eq!(at, read_at, "{who}");
    }
    let control = b.send(&other_teacher, other_chat, "control").await;
    let event = outsider_stream.event().await;
    assert_eq!(event.json()["message"]["id"], json!(control), "the outsider saw something else first: {event:?}");
}

/// Two tabs mark the same chat read at once, in different orders, on two replicas: the
/// marker ends at the highest id, never moved back on the way, and the count matches.
#[tokio::test]
async fn markers_never_move_backwards_under_concurrent_reads_from_two_tabs() {
    let Pair { a, teacher, student, chat, .. } = pair().await;
    let b = a.replica().await;
    let mut ids = Vec::new();
    for i in 0..40 {
        ids.push(a.send(&teacher, chat, &format!("m{i}")).await);
    }
    let forward = ids.clone();
    let backward: Vec<i64> = ids.iter().rev().copied().collect();
    let tab = |app: &TestApp, order: Vec<i64>| {
        let (http, url, token) = (app.http.clone(), app.url(&format!("/api/chats/{chat}/read")), student.token.clone());
        tokio::spawn(async move {
            for id in order {
                let response = http
                    .post(&url)
                    .bearer_auth(&token)
                    .json(&json!({ "up_to_message_id": id }))
                    .send()
                    .await
                    .expect("the request completes");
                assert_eq!(response.status(), 204);
            }
        })
    };
    let (one, two) = (tab(&a, forward), tab(&b, backward));
    one.await.expect("the request completes");
    two.await.expect("the request completes");

    let last = *ids.last().expect("some ids");
    assert_eq!(marker(&a, chat, &student).await, last);
    let moves = read_events(&a, chat).await;
    assert!(moves.windows(2).all(|w| w[0] < w[1]), "the log's markers only grow: {moves:?}");
    assert_eq!(moves.last(), Some(&last));
    assert_eq!(a.unread(&student, chat).await, 0);
    assert_eq!(b.unread(&student, chat).await, 0);
    assert_replay_clean(&a).await;
}

/// Messages, deletions and reads in one INSERT statement (as the batching writer makes them):
/// the reader's count is recounted from the new marker, never also moved by the statement.
#[tokio::test]
async fn a_statement_mixing_messages_deletions_and_reads_counts_exactly() {
    let Pair { a, teacher, student, chat, .. } = pair().await;
    let m0 = a.send(&teacher, chat, "m0").await;
    let message = |content: &str| NewEvent::MessageCreated {
        chat_id: chat,
        sender_id: teacher.id,
        content: content.into(),
        reply_to: None,
        attachment_ids: vec![],
    };
    let mut client = crate::helpers::connect(&a.database).await;
    let tx = client.transaction().await.expect("the request completes");
    let stored = log::append(
        &tx,
        &[
            message("m1"),
            NewEvent::ChatRead { chat_id: chat, reader_id: student.id, up_to_message_id: m0 },
            message("m2"),
        ],
    )
    .await
    .expect("append");
    tx.commit().await.expect("the request completes");
    let id = |i: usize| match &stored[i].as_ref().expect("stored").data {
        log::EventData::MessageCreated { message_id, .. } => *message_id,
        other => panic!("{other:?}"),
    };
    let (m1, m2) = (id(0), id(2));
    assert_eq!(a.unread(&student, chat).await, 2, "m1 and m2 are after the marker at m0");

    let tx = client.transaction().await.expect("the request completes");
    log::append(
        &tx,
        &[
            NewEvent::MessageDeleted { chat_id: chat, actor_id: teacher.id, message_id: m1 },
            message("m3"),
            NewEvent::ChatRead { chat_id: chat, reader_id: student.id, up_to_message_id: m2 },
            message("m4"),
            // Backwards within the same statement: recorded as nothing.
            NewEvent::ChatRead { chat_id: chat, reader_id: student.id, up_to_message_id: m1 },
        ],
    )
    .await
    .expect("append");
    tx.commit().await.expect("the request completes");
    assert_eq!(a.unread(&student, chat).await, 2, "m3 and m4 are after the marker at m2");
    assert_eq!(marker(&a, chat, &student).await, m2);
    assert_eq!(a.unread(&teacher, chat).await, 0);
    assert_replay_clean(&a).await;
}

/// Sends, deletions and reads from both sides at once on two replicas (so the writer batches
/// them together): afterwards every count equals the one computed from the log alone.
#[tokio::test]
async fn unread_counts_after_a_burst_equal_the_count_in_the_log() {
    let Pair { a, teacher, student, chat, .. } = pair().await;
    let b = a.replica().await;
    let mut work = Vec::new();
    for (app, user) in [(&a, &teacher), (&b, &student)] {
        for round in 0..3 {
            let (app_http, url, token) = (app.http.clone(), app.url(""), user.token.clone());
            work.push(tokio::spawn(async move {
                let mut own = Vec::new();
                for i in 0..15 {
                    let response = app_http
                        .post(format!("{url}/api/messages"))
                        .bearer_auth(&token)
                        .json(&json!({ "chat_id": chat, "content": format!("r{round} m{i}") }))
                        .send()
                        .await
                        .expect("the query or request succeeds");
                    assert_eq!(response.status(), 201);
                    own.push(
                        response.json::<Value>().await.expect("the request completes")["id"]
                            .as_i64()
                            .expect("a number"),
                    );
                    if i % 4 == 3 {
                        let id = own.remove(0);
                        let response = app_http
                            .delete(format!("{url}/api/messages/{id}"))
                            .bearer_auth(&token)
                            .send()
                            .await
                            .expect("the query or request succeeds");
                        assert_eq!(response.status(), 200);
                    }
                    if i % 3 == 2 {
                        let response = app_http
                            .post(format!("{url}/api/chats/{chat}/read"))
                            .bearer_auth(&token)
                            .send()
                            .await
                            .expect("the query or request succeeds");
                        assert_eq!(response.status(), 204);
                    }
                }
            }));
        }
    }
    for task in work {
        task.await.expect("the request completes");
    }
    // Computed from events only: the reader's last marker, the others' messages after it, not deleted.
    const FROM_LOG: &str = "WITH marker AS (
                 SELECT coalesce(max((payload ->> 'up_to_message_id')::bigint), 0) AS up_to
                 FROM events WHERE chat_id = $1 AND type = 'chat_read' AND actor_id = $2)
             SELECT count(*) FROM events c, marker
             WHERE c.chat_id = $1 AND c.type = 'message_created' AND c.actor_id <> $2
               AND (c.payload ->> 'message_id')::bigint > marker.up_to
               AND NOT EXISTS (SELECT 1 FROM events d WHERE d.chat_id = $1 AND d.type = 'message_deleted'
                               AND d.payload -> 'message_id' = c.payload -> 'message_id')";
    for user in [&teacher, &student] {
        let expected: i64 = a.sql.query_one(FROM_LOG, &[&chat, &user.id]).await.expect("count from the log").get(0);
        assert_eq!(a.unread(user, chat).await, expected, "user {}", user.id);
        // "After a reload": another replica's answer is the same.
        assert_eq!(b.unread(user, chat).await, expected, "user {}", user.id);
        assert_eq!(unread_total(&b, user).await.1["unread_count"], json!(expected));
    }
    assert_replay_clean(&a).await;
}

/// A stream that resumes replays reads and edits with everything else, in log order.
#[tokio::test]
async fn resume_replays_reads_and_edits_in_order() {
    let Pair { a, teacher, student, chat, .. } = pair().await;
    let b = a.replica().await;
    let first = a.send(&teacher, chat, "first").await;
    let mut stream = a.stream(&student, None).await;
    let reply = a.post_reply(&teacher, chat, "second", first).await;
    assert_eq!(reply.status(), 201);
    let seen = stream.event().await;
    assert_eq!(seen.event, "new_message");
    drop(stream); // disconnected

    let second = seen.json()["message"]["id"].as_i64().expect("a number");
    assert_eq!(a.edit(&teacher, first, "first, edited").await.status(), 200);
    assert_eq!(a.read(&student, chat, Some(second)).await.status(), 204);
    assert_eq!(a.delete_message(&teacher, second).await.status(), 200);
    assert_eq!(a.edit(&teacher, first, "first, edited twice").await.status(), 200);

    let mut resumed = b.stream(&student, Some(&seen.position().to_string())).await;
    let events = resumed.events(4).await;
    let kinds: Vec<&str> = events.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(kinds, ["message_edited", "messages_read", "message_deleted", "message_edited"]);
    assert!(events.windows(2).all(|w| w[0].position() < w[1].position()));
    // A replay shows the message as it is now: each of its edits carries the current text.
    assert_eq!(events[0].json()["message"]["content"], "first, edited twice");
    assert_eq!(events[1].json()["up_to_message_id"], json!(second));
    assert_eq!(events[3].json()["message"]["content"], "first, edited twice");
    // Then live, with nothing replayed twice.
    let after = a.send(&teacher, chat, "after").await;
    let next = resumed.event().await;
    assert_eq!((next.event.as_str(), next.json()["message"]["id"].as_i64()), ("new_message", Some(after)));
    assert_replay_clean(&a).await;
}
