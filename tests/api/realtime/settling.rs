//! Delivery while the log settles: a transaction that holds the horizon pauses delivery and
//! loses nothing; a wake-up that never comes (a writer dead between its commit and its
//! NOTIFY) costs nothing but time; concurrent appends of every kind reach a reader exactly
//! once, in order, and leave the read models as a replay of the log rebuilds them.

use std::time::Duration;

use tutorchat::log::{self as events, store};

use crate::helpers::{TestApp, connect, last_position, plain_message, settled_after};

/// Appends a message as the writer does, and never sends its NOTIFY.
async fn append_unannounced(app: &TestApp, chat: i64, sender: i64) -> tutorchat::log::StoredEvent {
    let event = plain_message(chat, sender, "unannounced");
    let stored = store::append_with(&app.sql, store::APPEND_QUIETLY_SQL, &[event], &[None]).await.expect("append");
    stored.into_iter().next().flatten().expect("stored")
}

/// An open transaction that holds a transaction id (here a psql-like session that wrote
/// something) holds back delivery of what commits after it, not the writes: the message is
/// accepted at once, delivered once the transaction ends, by the listener reading again on
/// its own (the transaction sends no notification) long before its probe.
#[tokio::test]
async fn an_open_transaction_pauses_delivery_loses_nothing_and_its_end_resumes_it_without_a_wake_up() {
    let app = TestApp::spawn_with(|c| c.listener.probe = Duration::from_secs(600)).await;
    let (teacher, student) = (app.user("teacher", "T").await, app.user("student", "S").await);
    let chat = app.chat(&teacher, &student).await;
    let mut stream = app.stream(&student, None).await;

    let mut holder = connect(&app.database).await;
    let open = holder.transaction().await.expect("begin");
    open.execute("UPDATE users SET name = name WHERE id = $1", &[&teacher.id]).await.expect("a write");
    let sent = app.send(&teacher, chat, "while the horizon is held").await;
    let early = tokio::time::timeout(Duration::from_millis(500), stream.event()).await;
    assert!(early.is_err(), "delivered past an open transaction: {early:?}");

    open.commit().await.expect("the transaction ends");
    let event = stream.event_within(Duration::from_secs(10)).await;
    assert_eq!(event.event, "new_message");
    assert_eq!(event.json()["message"]["id"].as_i64(), Some(sent));
}

/// A writer that commits and dies before its NOTIFY: its events reach the streams with the
/// next append's wake-up, and, with none, at the listener's probe.
#[tokio::test]
async fn events_whose_wake_up_was_never_sent_reach_the_streams_with_the_next_one_or_the_probe() {
    let app = TestApp::spawn_with(|c| c.listener.probe = Duration::from_secs(600)).await;
    let (teacher, student) = (app.user("teacher", "T").await, app.user("student", "S").await);
    let chat = app.chat(&teacher, &student).await;
    let mut stream = app.stream(&student, None).await;

    let quiet = append_unannounced(&app, chat, teacher.id).await;
    let announced = app.send(&teacher, chat, "announced").await;
    let [first, second] = <[_; 2]>::try_from(stream.events(2).await).expect("two events");
    assert_eq!(first.id.as_deref(), Some(quiet.position.to_string().as_str()));
    assert_eq!(second.json()["message"]["id"].as_i64(), Some(announced));

    // With no next append: the probe.
    let app = TestApp::spawn_with(|c| c.listener.probe = Duration::from_secs(1)).await;
    let (teacher, student) = (app.user("teacher", "T").await, app.user("student", "S").await);
    let chat = app.chat(&teacher, &student).await;
    let mut stream = app.stream(&student, None).await;
    let quiet = append_unannounced(&app, chat, teacher.id).await;
    let event = stream.event().await;
    assert_eq!(event.id.as_deref(), Some(quiet.position.to_string().as_str()));
}

/// Appends of every kind at once, over a few chats: through the writer (HTTP), in
/// transactions of their own, from transactions that wrote first (they drain), several chats
/// in one statement. A reader reading all along gets every event once, in order; created_at
/// and message ids follow positions; the read models are what a replay of the log rebuilds.
#[tokio::test]
async fn concurrent_appends_of_every_kind_reach_a_reader_once_in_order_and_replay_to_the_same_read_models() {
    let app = TestApp::spawn().await;
    let teacher = app.user("teacher", "T").await;
    let mut pairs = Vec::new();
    for name in ["A", "B", "C", "D"] {
        let student = app.user("student", name).await;
        pairs.push((app.chat(&teacher, &student).await, student));
    }
    let start = last_position(&app.sql).await;

    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let (database, done) = (app.database.clone(), done.clone());
        tokio::spawn(async move {
            let client = connect(&database).await;
            let (mut cursor, mut seen) = (start, Vec::new());
            loop {
                let finished = done.load(std::sync::atomic::Ordering::SeqCst);
                let read = store::read_after_with(&client, store::READ_AFTER_SQL, cursor, 50).await.expect("read");
                for event in &read.events {
                    seen.push(event.position);
                }
                if let Some(last) = read.events.last() {
                    cursor = last.position;
                } else if finished && !read.cut && cursor >= last_position(&client).await {
                    return seen;
                } else {
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
            }
        })
    };

    let mut writers = Vec::new();
    for (i, (chat, student)) in pairs.iter().enumerate() {
        let (chat, student_id, teacher_id) = (*chat, student.id, teacher.id);
        let other = pairs[(i + 1) % pairs.len()].0;
        let other_student = pairs[(i + 1) % pairs.len()].1.id;
        let database = app.database.clone();
        writers.push(tokio::spawn(async move {
            let mut client = connect(&database).await;
            for k in 0..15 {
                match k % 3 {
                    0 => {
                        let tx = client.transaction().await.expect("begin");
                        events::append(&tx, &[plain_message(chat, student_id, "own")]).await.expect("append");
                        tx.commit().await.expect("commit");
                    }
                    1 => {
                        let tx = client.transaction().await.expect("begin");
                        tx.query_one("SELECT pg_current_xact_id()", &[]).await.expect("an id first");
                        events::append(&tx, &[plain_message(chat, teacher_id, "drained")]).await.expect("append");
                        tx.commit().await.expect("commit");
                    }
                    _ => {
                        let batch = [
                            plain_message(chat, student_id, "two chats"),
                            plain_message(other, other_student, "at once"),
                        ];
                        events::append(&client, &batch).await.expect("append");
                    }
                }
            }
        }));
    }
    for (chat, student) in &pairs {
        for _ in 0..10 {
            app.send(student, *chat, "through the writer").await;
        }
    }
    for writer in writers {
        writer.await.expect("writer");
    }
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let seen = tokio::time::timeout(Duration::from_secs(30), reader).await.expect("the reader ends").expect("reader");

    let logged: Vec<i64> = app
        .sql
        .query("SELECT position FROM events WHERE position > $1 ORDER BY position", &[&start])
        .await
        .expect("log")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(logged.len(), 4 * (5 + 5 + 10) + 4 * 10);
    assert_eq!(seen, logged, "the reader got every event once, in order");
    let disorder: i64 = app
        .sql
        .query_one(
            "SELECT count(*) FROM (SELECT created_at < lag(created_at) OVER w AS back,
                                          (payload ->> 'message_id')::bigint
                                            < lag((payload ->> 'message_id')::bigint) OVER w AS id_back
                                   FROM events WHERE type = 'message_created' WINDOW w AS (ORDER BY position)) x
             WHERE back OR id_back",
            &[],
        )
        .await
        .expect("order")
        .get(0);
    assert_eq!(disorder, 0, "created_at and message ids follow positions");
    let differences = app.sql.query("SELECT * FROM audit_replay()", &[]).await.expect("replay");
    assert!(differences.is_empty(), "{} differences", differences.len());
    assert_eq!(settled_after(&app.sql, start, 1000).await.len(), logged.len());
}

/// A chat list read while an append below its chats' activity is still settling (the log head
/// short of it) pages on: its cursor covers what the first page ranked, never one this API
/// would refuse (422).
#[tokio::test]
async fn a_chat_list_read_while_the_log_settles_pages_on_with_the_cursor_it_gave() {
    let app = TestApp::spawn().await;
    let teacher = app.user("teacher", "T").await;
    let mut chats = Vec::new();
    for i in 0..3 {
        let student = app.user("student", &format!("S{i}")).await;
        chats.push(app.chat(&teacher, &student).await);
    }
    // An open transaction older than the sends: they are visible, and the head stops short.
    let mut holder = connect(&app.database).await;
    let open = holder.transaction().await.expect("begin");
    open.execute("UPDATE users SET name = name WHERE id = $1", &[&teacher.id]).await.expect("a write");
    for &chat in &chats {
        app.send(&teacher, chat, "hello").await;
    }
    let (status, first) =
        crate::helpers::status_and_json(app.get("/api/chats?limit=2", &teacher).send().await.expect("GET")).await;
    assert_eq!(status, 200);
    let cursor = first["next_cursor"].as_str().expect("a next page").to_owned();
    let (status, second) = crate::helpers::status_and_json(
        app.get(&format!("/api/chats?limit=2&cursor={cursor}"), &teacher).send().await.expect("GET"),
    )
    .await;
    assert_eq!(status, 200, "{second}");
    let ids = |page: &serde_json::Value| {
        page["chats"].as_array().expect("chats").iter().map(|c| c["id"].as_i64().expect("id")).collect::<Vec<_>>()
    };
    let mut seen = [ids(&first), ids(&second)].concat();
    seen.sort_unstable();
    assert_eq!(seen, chats, "each chat once");
    open.commit().await.expect("end");
}
