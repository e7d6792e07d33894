//! The log itself: immutability, projections derived in the same transaction, gap-free reads.

use std::time::Duration;

use tokio_postgres::error::SqlState;
use tutorchat::log::{self as events, EventData, NewEvent};

use crate::helpers::{TestApp, connect};

async fn refused(sql: &tokio_postgres::Client, statement: &str) -> String {
    let error = sql.batch_execute(statement).await.expect_err(statement);
    assert_eq!(error.code(), Some(&SqlState::INSUFFICIENT_PRIVILEGE), "{statement}: {error:?}");
    error.as_db_error().map(|e| e.message().to_owned()).unwrap_or_default()
}

#[tokio::test]
async fn events_cannot_be_updated_deleted_or_truncated() {
    let app = TestApp::spawn().await;
    let (teacher, student) = (app.user("teacher", "T").await, app.user("student", "S").await);
    let chat = app.chat(&teacher, &student).await;
    app.send(&student, chat, "keep me").await;

    assert!(refused(&app.sql, "UPDATE events SET payload = '{}'").await.contains("append-only"));
    refused(&app.sql, "DELETE FROM events").await;
    refused(&app.sql, "DELETE FROM events WHERE false").await; // even when nothing matches
    refused(&app.sql, "TRUNCATE events").await;
    // Not even a superuser that turns ordinary triggers off (replication mode) gets around it.
    refused(&app.sql, "SET session_replication_role = replica; DELETE FROM events").await;
    app.sql.batch_execute("RESET session_replication_role").await.expect("reset");

    let count: i64 = app.sql.query_one("SELECT count(*) FROM events", &[]).await.expect("count").get(0);
    assert_eq!(count, 2, "chat_created and message_created are still there");
}

#[tokio::test]
async fn replication_mode_does_not_lift_the_rules_on_messages() {
    let app = TestApp::spawn().await;
    let (teacher, student) = (app.user("teacher", "T").await, app.user("student", "S").await);
    let stranger = app.user("student", "X").await;
    let chat = app.chat(&teacher, &student).await;
    let insert = "INSERT INTO events (chat_id, actor_id, type, payload)
                  VALUES ($1, $2, 'message_created', '{\"content\": \"psql\"}')";
    // A superuser that turns ordinary triggers off still meets the statement's checks and
    // still gets the projections (the plain-message path checks them per statement).
    app.sql.batch_execute("SET session_replication_role = replica").await.expect("replica");
    let error = app.sql.execute(insert, &[&chat, &stranger.id]).await.expect_err("a stranger's message");
    assert_eq!(error.code(), Some(&SqlState::INSUFFICIENT_PRIVILEGE), "{error:?}");
    app.sql.execute(insert, &[&chat, &student.id]).await.expect("a member's message");
    app.sql.batch_execute("RESET session_replication_role").await.expect("reset");

    let row = app
        .sql
        .query_one(
            "SELECT (SELECT count(*) FROM messages WHERE chat_id = $1), c.message_count, c.last_message_id,
                    (SELECT max(id) FROM messages WHERE chat_id = $1),
                    (SELECT unread_count FROM chat_participants WHERE chat_id = $1 AND user_id = $2)
             FROM chats c WHERE c.id = $1",
            &[&chat, &teacher.id],
        )
        .await
        .expect("projections");
    assert_eq!((row.get::<_, i64>(0), row.get::<_, i64>(1)), (1, 1), "one message, counted");
    assert_eq!(row.get::<_, Option<i64>>(2), row.get::<_, Option<i64>>(3), "the chat's last message");
    assert_eq!(row.get::<_, i64>(4), 1, "unread for the teacher");
}

#[tokio::test]
async fn a_position_cannot_be_chosen_by_the_writer() {
    let app = TestApp::spawn().await;
    let (teacher, student) = (app.user("teacher", "T").await, app.user("student", "S").await);
    let chat = app.chat(&teacher, &student).await;
    let position: i64 = app
        .sql
        .query_one(
            "INSERT INTO events (position, chat_id, actor_id, type, payload)
             VALUES (1000000, $1, $2, 'message_created', '{\"content\": \"hi\", \"message_id\": 424242}')
             RETURNING position",
            &[&chat, &student.id],
        )
        .await
        .expect("psql insert")
        .get(0);
    assert!(position < 1000000, "the trigger assigns positions");
    let ids: i64 = app.sql.query_one("SELECT count(*) FROM messages WHERE id = 424242", &[]).await.expect("q").get(0);
    assert_eq!(ids, 0, "the log assigns message ids too");
}

#[tokio::test]
async fn projections_follow_appends_in_the_same_transaction() {
    let app = TestApp::spawn().await;
    let (teacher, student) = (app.user("teacher", "T").await, app.user("student", "S").await);
    let chat = app.chat(&teacher, &student).await;

    let mut sql = connect(&app.database).await;
    let tx = sql.transaction().await.expect("begin");
    let appended = events::append(
        &tx,
        &[
            NewEvent::MessageCreated {
                chat_id: chat,
                sender_id: student.id,
                content: "one".into(),
                reply_to: None,
                attachment_ids: vec![],
            },
            NewEvent::MessageCreated {
                chat_id: chat,
                sender_id: teacher.id,
                content: "two".into(),
                reply_to: None,
                attachment_ids: vec![],
            },
            NewEvent::MessageCreated {
                chat_id: chat,
                sender_id: student.id,
                content: "three".into(),
                reply_to: None,
                attachment_ids: vec![],
            },
        ],
    )
    .await
    .expect("append");
    let ids: Vec<i64> = appended
        .iter()
        .map(|e| match &e.as_ref().expect("stored").data {
            EventData::MessageCreated { message_id, .. } => *message_id,
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    let positions: Vec<i64> = appended.iter().map(|e| e.as_ref().expect("stored").position).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "positions in append order: {positions:?}");
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "message ids in append order: {ids:?}");

    // Inside the transaction the projection already has them; outside, nothing yet.
    let inside: i64 =
        tx.query_one("SELECT count(*) FROM messages WHERE chat_id = $1", &[&chat]).await.expect("q").get(0);
    let outside: i64 =
        app.sql.query_one("SELECT count(*) FROM messages WHERE chat_id = $1", &[&chat]).await.expect("q").get(0);
    assert_eq!((inside, outside), (3, 0));

    // A deletion in the same batch as a second, redundant one: the log records one.
    let deleted = events::append(
        &tx,
        &[
            NewEvent::MessageDeleted { chat_id: chat, actor_id: student.id, message_id: ids[0] },
            NewEvent::MessageDeleted { chat_id: chat, actor_id: student.id, message_id: ids[0] },
        ],
    )
    .await
    .expect("delete");
    assert!(deleted[0].is_some() && deleted[1].is_none(), "{deleted:?}");
    tx.commit().await.expect("commit");

    let rows = app
        .sql
        .query(
            "SELECT id, sender_id, content, is_deleted, position FROM messages WHERE chat_id = $1 ORDER BY id",
            &[&chat],
        )
        .await
        .expect("messages");
    let projected: Vec<(i64, i64, String, bool, i64)> =
        rows.iter().map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4))).collect();
    assert_eq!(
        projected,
        vec![
            (ids[0], student.id, "one".into(), true, positions[0]),
            (ids[1], teacher.id, "two".into(), false, positions[1]),
            (ids[2], student.id, "three".into(), false, positions[2]),
        ]
    );
    let differences = app.sql.query("SELECT * FROM audit_replay()", &[]).await.expect("replay");
    assert!(differences.is_empty(), "replay reports {} differences", differences.len());
}

#[tokio::test]
async fn the_log_refuses_what_the_rules_forbid() {
    let app = TestApp::spawn().await;
    let (teacher, student) = (app.user("teacher", "T").await, app.user("student", "S").await);
    let outsider = app.user("student", "O").await;
    let chat = app.chat(&teacher, &student).await;
    let message = app.send(&student, chat, "mine").await;
    let cases = [
        (
            NewEvent::MessageCreated {
                chat_id: chat,
                sender_id: outsider.id,
                content: "hi".into(),
                reply_to: None,
                attachment_ids: vec![],
            },
            "not a participant",
        ),
        (
            NewEvent::MessageCreated {
                chat_id: chat,
                sender_id: student.id,
                content: " \n\t".into(),
                reply_to: None,
                attachment_ids: vec![],
            },
            "whitespace",
        ),
        (
            NewEvent::MessageCreated {
                chat_id: chat,
                sender_id: student.id,
                content: "x".repeat(10_001),
                reply_to: None,
                attachment_ids: vec![],
            },
            "at most 10000",
        ),
        (NewEvent::MessageDeleted { chat_id: chat, actor_id: teacher.id, message_id: message }, "only the author"),
        (NewEvent::MessageDeleted { chat_id: chat, actor_id: student.id, message_id: 987654 }, "does not exist"),
    ];
    for (event, expected) in cases {
        let error = events::append(&app.sql, std::slice::from_ref(&event)).await.expect_err("refused");
        assert!(error.to_string().contains(expected), "{event:?}: {error}");
    }
    let count: i64 = app.sql.query_one("SELECT count(*) FROM events", &[]).await.expect("count").get(0);
    assert_eq!(count, 2);
}

/// Positions become visible in order (docs/architecture.md, the guarantees): T1 appends and
/// stays open, T2 appends and commits, the reader reads, T1 commits, the reader reads again.
/// The reader must get T1's event and must never have moved its cursor past it.
#[tokio::test]
async fn a_reader_never_skips_an_event_that_commits_out_of_order() {
    let app = TestApp::spawn().await;
    let (teacher, student) = (app.user("teacher", "T").await, app.user("student", "S").await);
    let chat = app.chat(&teacher, &student).await;
    let reader = connect(&app.database).await;
    let mut cursor = events::read_after(&reader, 0, 100).await.expect("read").last().expect("chat_created").position;

    let mut t1_client = connect(&app.database).await;
    let t1 = t1_client.transaction().await.expect("begin T1");
    let t1_event = events::append(
        &t1,
        &[NewEvent::MessageCreated {
            chat_id: chat,
            sender_id: student.id,
            content: "T1".into(),
            reply_to: None,
            attachment_ids: vec![],
        }],
    )
    .await
    .expect("T1 appends")[0]
        .clone()
        .expect("stored");

    let database = app.database.clone();
    let t2 = tokio::spawn(async move {
        let mut client = connect(&database).await;
        let tx = client.transaction().await.expect("begin T2");
        let event = events::append(
            &tx,
            &[NewEvent::MessageCreated {
                chat_id: chat,
                sender_id: teacher.id,
                content: "T2".into(),
                reply_to: None,
                attachment_ids: vec![],
            }],
        )
        .await
        .expect("T2 appends")[0]
            .clone()
            .expect("stored");
        tx.commit().await.expect("T2 commits");
        event
    });

    // Wait until T2 has either committed (a design that lets it would fail below) or is
    // blocked behind T1; then, with T1 still open, the reader must see nothing new.
    loop {
        let blocked: i64 = reader.query_one("SELECT count(*) FROM pg_locks WHERE NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())", &[]).await.expect("locks").get(0);
        if blocked > 0 || t2.is_finished() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let seen = events::read_after(&reader, cursor, 100).await.expect("read");
    assert!(
        seen.is_empty(),
        "the reader saw {:?} while T1 was still open",
        seen.iter().map(|e| e.position).collect::<Vec<_>>()
    );
    t1.commit().await.expect("T1 commits");
    let t2_event = tokio::time::timeout(Duration::from_secs(10), t2).await.expect("T2 finishes").expect("T2 task");
    assert!(t1_event.position < t2_event.position);

    let mut seen = Vec::new();
    loop {
        let batch = events::read_after(&reader, cursor, 1).await.expect("read"); // batches of one
        let Some(last) = batch.last() else { break };
        cursor = last.position;
        seen.extend(batch.into_iter().map(|e| e.position));
    }
    assert_eq!(seen, vec![t1_event.position, t2_event.position]);
}

#[tokio::test]
async fn read_after_pages_through_the_log_in_order() {
    let app = TestApp::spawn().await;
    let (teacher, student) = (app.user("teacher", "T").await, app.user("student", "S").await);
    let chat = app.chat(&teacher, &student).await;
    let batch: Vec<NewEvent> = (0..25)
        .map(|i| NewEvent::MessageCreated {
            chat_id: chat,
            sender_id: student.id,
            content: format!("m{i}"),
            reply_to: None,
            attachment_ids: vec![],
        })
        .collect();
    events::append(&app.sql, &batch).await.expect("append");
    let (mut cursor, mut contents) = (0, Vec::new());
    loop {
        let page = events::read_after(&app.sql, cursor, 7).await.expect("read");
        let Some(last) = page.last() else { break };
        cursor = last.position;
        contents.extend(page.into_iter().filter_map(|e| match e.data {
            EventData::MessageCreated { content, .. } => Some(content),
            _ => None,
        }));
    }
    assert_eq!(contents, (0..25).map(|i| format!("m{i}")).collect::<Vec<_>>());
}

/// One NOTIFY per INSERT statement, carrying the highest position it appended.
#[tokio::test]
async fn each_append_statement_notifies_once_with_its_last_position() {
    use futures::StreamExt;
    use tokio_postgres::AsyncMessage;

    let app = TestApp::spawn().await;
    let (teacher, student) = (app.user("teacher", "T").await, app.user("student", "S").await);
    let chat = app.chat(&teacher, &student).await;

    let (listener, mut connection) = app.database.connect(tokio_postgres::NoTls).await.expect("connect");
    let (tx, mut notifications) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut messages = futures::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(Ok(message)) = messages.next().await {
            if let AsyncMessage::Notification(n) = message {
                let _ = tx.send((n.channel().to_owned(), n.payload().to_owned()));
            }
        }
    });
    listener.batch_execute(&format!("LISTEN {}", events::CHANNEL)).await.expect("listen");

    let batch: Vec<NewEvent> = (0..3)
        .map(|i| NewEvent::MessageCreated {
            chat_id: chat,
            sender_id: student.id,
            content: format!("m{i}"),
            reply_to: None,
            attachment_ids: vec![],
        })
        .collect();
    let appended = events::append(&app.sql, &batch).await.expect("append");
    let single = events::append(&app.sql, &batch[..1]).await.expect("append");

    let last_of_batch = appended[2].as_ref().expect("stored").position;
    assert_eq!(
        next(&mut notifications).await,
        (events::CHANNEL.to_owned(), last_of_batch.to_string()),
        "one wake-up for the batch"
    );
    let single_position = single[0].as_ref().expect("stored").position;
    assert_eq!(next(&mut notifications).await.1, single_position.to_string(), "nothing in between");
    drop(listener);
}

async fn next(notifications: &mut tokio::sync::mpsc::UnboundedReceiver<(String, String)>) -> (String, String) {
    tokio::time::timeout(Duration::from_secs(5), notifications.recv()).await.expect("a notification").expect("open")
}

#[tokio::test]
async fn a_resume_from_zero_reads_only_the_callers_chats_through_the_per_chat_index() {
    let app = TestApp::spawn().await;
    let teacher = app.user("teacher", "T").await;
    let reader = app.user("student", "Reader").await;
    let mine = app.chat(&teacher, &reader).await;
    let mut others = Vec::new();
    for i in 0..20 {
        let student = app.user("student", &format!("S{i}")).await;
        others.push((app.chat(&teacher, &student).await, student.id));
    }
    // Busy chats that are not the reader's: 20,000 messages; the reader's own chat has 10.
    for (chat, student) in &others {
        app.sql
            .execute(
                "INSERT INTO events (chat_id, actor_id, type, payload)
                 SELECT $1, $2, 'message_created', jsonb_build_object('content', 'm' || g)
                 FROM generate_series(1, 1000) g",
                &[chat, student],
            )
            .await
            .expect("busy chats");
    }
    app.sql
        .execute(
            "INSERT INTO events (chat_id, actor_id, type, payload)
             SELECT $1, $2, 'message_created', jsonb_build_object('content', 'mine ' || g) FROM generate_series(1, 10) g",
            &[&mine, &reader.id],
        )
        .await
        .expect("the reader's chat");
    app.sql.batch_execute("ANALYZE").await.expect("analyze");

    let replayed =
        events::store::read_visible(&app.sql, events::store::Viewer::Participant(reader.id), 0, i64::MAX, 500)
            .await
            .expect("replay");
    assert_eq!(replayed.len(), 11, "the chat's creation and its ten messages");
    assert!(
        replayed.iter().all(|e| e.chat_id == Some(mine)) && replayed.windows(2).all(|w| w[0].position < w[1].position)
    );

    let explain = format!("EXPLAIN (ANALYZE, BUFFERS) {}", *events::store::VISIBLE_TO_PARTICIPANT_SQL);
    let plan: Vec<String> = app
        .sql
        .query(&explain, &[&0i64, &i64::MAX, &500i64, &reader.id])
        .await
        .expect("explain")
        .iter()
        .map(|r| r.get(0))
        .collect();
    let plan = plan.join("\n");
    assert!(plan.contains("idx_events_chat_position"), "read through the per-chat index:\n{plan}");
    assert!(!plan.contains("events_pkey") && !plan.contains("Seq Scan on events"), "no walk of the log:\n{plan}");
}

/// Plain messages are checked and projected once per statement (sql/V13): a member added
/// after a message of the same statement starts with the read marker they would have had one
/// event at a time, and a statement that the per-statement check cannot accept as a whole (a
/// sender who leaves after their message) is refused, to be appended one event at a time.
#[tokio::test]
async fn one_statement_of_messages_and_membership_changes_keeps_log_order() {
    let app = TestApp::spawn().await;
    let teacher = app.user("teacher", "T").await;
    let (anna, boris) = (app.user("student", "A").await, app.user("student", "B").await);
    app.teaches(&teacher, &[anna.id, boris.id]).await;
    let created = app
        .http
        .post(app.url("/api/chats"))
        .bearer_auth(&teacher.token)
        .json(&serde_json::json!({ "kind": "group", "title": "G", "participant_ids": [anna.id] }))
        .send()
        .await
        .expect("create a group");
    let group = created.json::<serde_json::Value>().await.expect("json")["id"].as_i64().expect("group id");
    let message = |sender: i64, content: &str| NewEvent::MessageCreated {
        chat_id: group,
        sender_id: sender,
        content: content.into(),
        reply_to: None,
        attachment_ids: vec![],
    };
    let appended = events::append(
        &app.sql,
        &[
            message(teacher.id, "before Boris"),
            NewEvent::ParticipantAdded { chat_id: group, actor_id: teacher.id, user_id: boris.id },
            message(teacher.id, "after Boris"),
        ],
    )
    .await
    .expect("append");
    let before = match &appended[0].as_ref().expect("stored").data {
        EventData::MessageCreated { message_id, .. } => *message_id,
        other => panic!("unexpected {other:?}"),
    };
    let marker = |user: i64| {
        let sql = &app.sql;
        async move {
            let row = sql
                .query_one(
                    "SELECT last_read_message_id, unread_count FROM chat_participants WHERE chat_id = $1 AND user_id = $2",
                    &[&group, &user],
                )
                .await
                .expect("member");
            (row.get::<_, i64>(0), row.get::<_, i64>(1))
        }
    };
    assert_eq!(marker(boris.id).await, (before, 1), "Boris joined after the first message: only the second is unread");
    assert_eq!(marker(anna.id).await.1, 2);

    // Anna's message, then Anna leaves, in one statement: refused as a whole.
    let together =
        [message(anna.id, "bye"), NewEvent::ParticipantRemoved { chat_id: group, actor_id: anna.id, user_id: anna.id }];
    let error = events::append(&app.sql, &together).await.expect_err("refused as one statement");
    assert!(error.to_string().contains("not a participant"), "{error}");
    let count: i64 =
        app.sql.query_one("SELECT count(*) FROM messages WHERE content = 'bye'", &[]).await.expect("q").get(0);
    assert_eq!(count, 0, "nothing of the refused statement stays");
    // One event at a time, as the appender retries a refused batch, both are recorded.
    for event in &together {
        events::append(&app.sql, std::slice::from_ref(event)).await.expect("alone");
    }
    let count: i64 =
        app.sql.query_one("SELECT count(*) FROM messages WHERE content = 'bye'", &[]).await.expect("q").get(0);
    assert_eq!(count, 1);
    let differences = app.sql.query("SELECT * FROM audit_replay()", &[]).await.expect("replay");
    assert!(differences.is_empty(), "replay reports {} differences", differences.len());
}
