//! Markers and counts under concurrent writers: two tabs, one mixed statement, a burst from both sides.

use serde_json::{Value, json};
use tutorchat::log::{self, NewEvent};

use super::{assert_replay_clean, marker, read_events, unread_total};
use crate::helpers::{Pair, TestApp, pair};

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
        mentions: Vec::new(),
    };
    let mut client = crate::helpers::connect(&a.database).await;
    let tx = client.transaction().await.expect("the request completes");
    let stored = log::append(
        &tx,
        &[
            message("m1"),
            NewEvent::ChatRead { chat_id: chat, reader_id: student.id, up_to_message_id: m0, message_ids: vec![] },
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
            NewEvent::ChatRead { chat_id: chat, reader_id: student.id, up_to_message_id: m2, message_ids: vec![] },
            message("m4"),
            // Backwards within the same statement: recorded as nothing.
            NewEvent::ChatRead { chat_id: chat, reader_id: student.id, up_to_message_id: m1, message_ids: vec![] },
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

/// Appends to one chat from four connections at once (the teacher's, each its own
/// transaction), read while they commit: every time, the messages a reader sees are all the
/// messages up to the newest it sees (per chat, message ids are drawn and committed in one
/// order), so a marker sent for the newest seen never covers a message still invisible then.
/// The student marks each read as she goes; in the end her unread count is the messages past
/// her marker, exactly.
#[tokio::test]
async fn a_marker_never_covers_a_message_that_was_invisible_when_it_was_sent() {
    let Pair { a, teacher, student, chat, .. } = pair().await;
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let (database, sender) = (a.database.clone(), teacher.id);
            tokio::spawn(async move {
                let client = crate::helpers::connect(&database).await;
                for k in 0..40 {
                    let message = crate::helpers::plain_message(chat, sender, &format!("{w}-{k}"));
                    log::append(&client, &[message]).await.expect("append");
                }
            })
        })
        .collect();
    let ids = "SELECT id FROM messages WHERE chat_id = $1 ORDER BY id";
    let mut seen_each_time = Vec::new();
    while !writers.iter().all(|w| w.is_finished()) {
        let seen: Vec<i64> = a.sql.query(ids, &[&chat]).await.expect("messages").iter().map(|r| r.get(0)).collect();
        if let Some(&newest) = seen.last() {
            assert_eq!(a.read(&student, chat, Some(newest)).await.status(), 204);
        }
        seen_each_time.push(seen);
    }
    for writer in writers {
        writer.await.expect("writer");
    }
    let all: Vec<i64> = a.sql.query(ids, &[&chat]).await.expect("messages").iter().map(|r| r.get(0)).collect();
    assert_eq!(all.len(), 160);
    let partial = seen_each_time.iter().filter(|s| !s.is_empty() && s.len() < all.len()).count();
    assert!(partial >= 3, "the reader caught the writers mid-way only {partial} times");
    for seen in &seen_each_time {
        assert_eq!(seen[..], all[..seen.len()], "a reader saw a message before one with a lower id committed");
    }
    let read_up_to = marker(&a, chat, &student).await;
    let past = all.iter().filter(|id| **id > read_up_to).count() as i64;
    assert_eq!(a.unread(&student, chat).await, past, "unread past the marker {read_up_to}");
    assert_replay_clean(&a).await;
}
