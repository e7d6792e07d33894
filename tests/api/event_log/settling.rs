//! The log without a serialized window (`events_append`): appends to different chats commit in
//! any order, readers keep only the settled prefix, and nothing in the draw's turn can be left
//! holding it (a cancel, a kill, a deadlock).

use std::time::Duration;

use tokio_postgres::Client;
use tutorchat::log::{self as events, NewEvent};

use crate::helpers::{TestApp, connect, plain_message, settled_after};

/// The one event `events` appended.
async fn append_one(client: &impl tokio_postgres::GenericClient, event: NewEvent) -> events::StoredEvent {
    events::append(client, &[event]).await.expect("append")[0].clone().expect("stored")
}

/// Waits until some session of this database waits for an advisory lock of `class` (and
/// `object`, when given): an append blocked where the test means it to be.
async fn until_waiting(sql: &Client, class: i64, object: Option<i64>) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let waiting: i64 = sql
            .query_one(
                "SELECT count(*) FROM pg_locks
                 WHERE NOT granted AND locktype = 'advisory' AND classid::bigint = $1
                   AND ($2::bigint IS NULL OR objid::bigint = $2)
                   AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
                &[&class, &object],
            )
            .await
            .expect("locks")
            .get(0);
        if waiting > 0 {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "nobody waits for advisory lock {class}/{object:?}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Two chats: T1 draws first and stays open, T2 draws after it and commits, waiting for
/// nobody. The reader sees neither until T1 commits, then both, in position order.
#[tokio::test]
async fn appends_to_two_chats_commit_out_of_order_and_a_reader_still_gets_both_in_order() {
    let app = TestApp::spawn().await;
    let (teacher, anna, boris) =
        (app.user("teacher", "T").await, app.user("student", "Anna").await, app.user("student", "Boris").await);
    let (first, second) = (app.chat(&teacher, &anna).await, app.chat(&teacher, &boris).await);
    let reader = connect(&app.database).await;
    let cursor = crate::helpers::last_position(&reader).await;

    let mut c1 = connect(&app.database).await;
    let t1 = c1.transaction().await.expect("begin T1");
    let e1 = append_one(&t1, plain_message(first, anna.id, "T1")).await;
    let mut c2 = connect(&app.database).await;
    let t2 = c2.transaction().await.expect("begin T2");
    let e2 = tokio::time::timeout(Duration::from_secs(10), append_one(&t2, plain_message(second, boris.id, "T2")))
        .await
        .expect("T2 waits for nothing");
    t2.commit().await.expect("T2 commits");
    assert!(e1.position < e2.position);

    let seen = events::read_after(&reader, cursor, 100).await.expect("read");
    assert!(seen.is_empty(), "read {:?} while T1 was open", seen.iter().map(|e| e.position).collect::<Vec<_>>());
    t1.commit().await.expect("T1 commits");
    let seen: Vec<i64> = settled_after(&reader, cursor, 100).await.iter().map(|e| e.position).collect();
    assert_eq!(seen, [e1.position, e2.position]);
}

/// One chat: T2 waits for T1's chat lock, so positions, message ids and commits agree.
#[tokio::test]
async fn appends_to_one_chat_take_turns_and_their_positions_ids_and_commits_agree() {
    let app = TestApp::spawn().await;
    let (teacher, student) = (app.user("teacher", "T").await, app.user("student", "S").await);
    let chat = app.chat(&teacher, &student).await;
    let mut c1 = connect(&app.database).await;
    let t1 = c1.transaction().await.expect("begin T1");
    let e1 = append_one(&t1, plain_message(chat, student.id, "first")).await;
    let database = app.database.clone();
    let teacher_id = teacher.id;
    let t2 = tokio::spawn(async move {
        let client = connect(&database).await;
        append_one(&client, plain_message(chat, teacher_id, "second")).await
    });
    until_waiting(&app.sql, 1953854576, Some(chat)).await;
    t1.commit().await.expect("T1 commits");
    let e2 = tokio::time::timeout(Duration::from_secs(10), t2).await.expect("T2 ends").expect("T2");
    assert!(e1.position < e2.position);
    let ids: Vec<i64> = app
        .sql
        .query("SELECT id FROM messages WHERE chat_id = $1 ORDER BY position", &[&chat])
        .await
        .expect("messages")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(ids.len(), 2);
    assert!(ids[0] < ids[1], "message ids follow positions in the chat: {ids:?}");
}

/// A transaction with an id from before its append (it wrote first) waits for the appends in
/// flight before it draws; with an unrelated transaction open in between, its row is below the
/// horizon and the row drawn before it is not: a reader that filtered rows one by one would
/// deliver the later and skip the earlier. The cut delivers neither until both are settled.
#[tokio::test]
async fn an_append_from_a_transaction_that_wrote_first_never_lets_a_reader_skip_the_one_before() {
    let app = TestApp::spawn().await;
    let (teacher, anna, boris) =
        (app.user("teacher", "T").await, app.user("student", "Anna").await, app.user("student", "Boris").await);
    let (early_chat, fresh_chat) = (app.chat(&teacher, &anna).await, app.chat(&teacher, &boris).await);
    let reader = connect(&app.database).await;
    let cursor = crate::helpers::last_position(&reader).await;

    // Te takes its transaction id now; N, unrelated, after it; Tf appends (a fresh id) and
    // stays open.
    let te = connect(&app.database).await;
    te.batch_execute("BEGIN; SELECT pg_current_xact_id()").await.expect("Te's id");
    let mut cn = connect(&app.database).await;
    let n = cn.transaction().await.expect("begin N");
    n.query_one("SELECT pg_current_xact_id()", &[]).await.expect("N's id");
    let mut cf = connect(&app.database).await;
    let tf = cf.transaction().await.expect("begin Tf");
    let fresh = append_one(&tf, plain_message(fresh_chat, boris.id, "fresh")).await;

    // Te's append waits for Tf (the drain), and draws once Tf has committed.
    let drained = tokio::spawn(async move {
        let early = append_one(&te, plain_message(early_chat, anna.id, "early")).await;
        te.batch_execute("COMMIT").await.expect("Te commits");
        early
    });
    until_waiting(&app.sql, 1953854575, Some(1)).await;
    tf.commit().await.expect("Tf commits");
    let early = tokio::time::timeout(Duration::from_secs(10), drained).await.expect("Te ends").expect("Te");
    assert!(fresh.position < early.position, "Te drew after the append it waited for");
    let xids: Vec<bool> = app
        .sql
        .query(
            "SELECT (SELECT xid FROM events WHERE position = $1) < (SELECT xid FROM events WHERE position = $2)",
            &[&early.position, &fresh.position],
        )
        .await
        .expect("xids")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(xids, [true], "the later row has the older transaction: the case a row-by-row filter gets wrong");

    let seen = events::read_after(&reader, cursor, 100).await.expect("read");
    assert!(seen.is_empty(), "read {:?} while N was open", seen.iter().map(|e| e.position).collect::<Vec<_>>());
    n.commit().await.expect("N ends");
    let seen: Vec<i64> = settled_after(&reader, cursor, 100).await.iter().map(|e| e.position).collect();
    assert_eq!(seen, [fresh.position, early.position]);
}

/// The draw's mutex is released whatever ends an append inside it: a statement timeout, or
/// its backend killed. Here the append holds it while it drains (it wrote first, and another
/// append is in flight), the one place it waits there.
#[tokio::test]
async fn an_append_cancelled_or_killed_inside_the_draw_leaves_it_free_for_the_next() {
    let app = TestApp::spawn().await;
    let (teacher, anna, boris) =
        (app.user("teacher", "T").await, app.user("student", "Anna").await, app.user("student", "Boris").await);
    let (held, other) = (app.chat(&teacher, &anna).await, app.chat(&teacher, &boris).await);
    let mut c1 = connect(&app.database).await;
    let in_flight = c1.transaction().await.expect("begin");
    append_one(&in_flight, plain_message(held, anna.id, "in flight")).await;

    for ending in ["statement_timeout", "pg_terminate_backend"] {
        let drainer = connect(&app.database).await;
        let pid: i32 = drainer.query_one("SELECT pg_backend_pid()", &[]).await.expect("pid").get(0);
        if ending == "statement_timeout" {
            drainer.batch_execute("SET statement_timeout = '300ms'").await.expect("timeout");
        }
        let (chat, sender) = (other, boris.clone());
        let draining = tokio::spawn(async move {
            drainer.batch_execute("BEGIN; SELECT pg_current_xact_id()").await.expect("an id first");
            events::append(&drainer, &[plain_message(chat, sender.id, "drains")]).await
        });
        until_waiting(&app.sql, 1953854575, Some(1)).await;
        if ending == "pg_terminate_backend" {
            app.sql.execute("SELECT pg_terminate_backend($1)", &[&pid]).await.expect("kill");
        }
        let outcome = tokio::time::timeout(Duration::from_secs(10), draining).await.expect("ends").expect("task");
        assert!(outcome.is_err(), "{ending}: the drain was ended");

        // The next append draws at once, the first still in flight.
        let next = connect(&app.database).await;
        tokio::time::timeout(Duration::from_secs(5), append_one(&next, plain_message(other, boris.id, ending)))
            .await
            .unwrap_or_else(|_| panic!("after {ending}, the draw's mutex is still held"));
    }
    in_flight.commit().await.expect("commit");
    let held_by_anyone: i64 = app
        .sql
        .query_one(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = 1953854575 AND objid = 5
               AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            &[],
        )
        .await
        .expect("locks")
        .get(0);
    assert_eq!(held_by_anyone, 0);
}

/// A drain (an append that wrote first) meets a transaction in flight that appends again: each
/// waits for the other. PostgreSQL breaks the cycle; the one it aborts appended nothing, the
/// other's events are in the log once.
#[tokio::test]
async fn a_drain_meeting_a_transaction_that_appends_twice_is_broken_and_nothing_is_lost_or_doubled() {
    let app = TestApp::spawn().await;
    let (teacher, anna, boris) =
        (app.user("teacher", "T").await, app.user("student", "Anna").await, app.user("student", "Boris").await);
    let (twice_chat, drain_chat) = (app.chat(&teacher, &anna).await, app.chat(&teacher, &boris).await);
    let before = crate::helpers::last_position(&app.sql).await;

    let database = app.database.clone();
    let (anna, boris) = (anna.id, boris.id);
    let mut c1 = connect(&database).await;
    let twice = tokio::spawn(async move {
        let t = c1.transaction().await.expect("begin");
        append_one(&t, plain_message(twice_chat, anna, "once")).await;
        // Stay in flight until the drain waits for us.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let second = events::append(&t, &[plain_message(twice_chat, anna, "twice")]).await;
        match second {
            Ok(_) => t.commit().await.map(|_| true).map_err(|e| format!("{e:?}")),
            Err(e) => Err(format!("{e:?}")),
        }
    });
    let drain = connect(&database).await;
    let drained = tokio::spawn(async move {
        drain.batch_execute("BEGIN; SELECT pg_current_xact_id()").await.expect("an id first");
        tokio::time::sleep(Duration::from_millis(100)).await;
        match events::append(&drain, &[plain_message(drain_chat, boris, "drained")]).await {
            Ok(_) => drain.batch_execute("COMMIT").await.map(|_| true).map_err(|e| format!("{e:?}")),
            Err(e) => Err(format!("{e:?}")),
        }
    });
    let twice = tokio::time::timeout(Duration::from_secs(20), twice).await.expect("ends").expect("task");
    let drained = tokio::time::timeout(Duration::from_secs(20), drained).await.expect("ends").expect("task");
    let failed: Vec<&String> = [&twice, &drained].into_iter().filter_map(|r| r.as_ref().err()).collect();
    assert_eq!(failed.len(), 1, "exactly one is aborted: {twice:?} {drained:?}");
    assert!(failed[0].contains("40P01"), "aborted as a deadlock (40P01): {failed:?}");

    let contents: Vec<String> = app
        .sql
        .query("SELECT content FROM messages m JOIN events e ON e.position = m.position WHERE e.position > $1 ORDER BY e.position", &[&before])
        .await
        .expect("messages")
        .iter()
        .map(|r| r.get(0))
        .collect();
    let expected: Vec<&str> = if twice.is_ok() { vec!["once", "twice"] } else { vec!["drained"] };
    assert_eq!(contents, expected);
}

/// Batches as large as the writer's, each to as many chats from as many people, from several
/// connections at once: each holds a lock per chat and per person to commit (512 here), and
/// the server's lock table holds them all.
#[tokio::test]
async fn batches_of_the_writers_size_to_distinct_chats_from_several_connections_fit_the_lock_table() {
    const CONNECTIONS: i64 = 4; // of 1,024 pairs
    const BATCH: i64 = 256;
    let app = TestApp::spawn().await;
    app.sql
        .batch_execute(
            "INSERT INTO users (email, name, role)
             SELECT r || i || '@example.org', r || i, r FROM generate_series(1, 1024) i, unnest(ARRAY['teacher', 'student']) r;
             INSERT INTO lessons (teacher_id, student_id, scheduled_at, status)
             SELECT t.id, s.id, now(), 'completed' FROM users t JOIN users s ON s.email = 'student' || substr(t.email, 8)
             WHERE t.role = 'teacher'",
        )
        .await
        .expect("pairs and their chats");
    let chats: Vec<(i64, i64)> = app
        .sql
        .query("SELECT id, student_id FROM chats ORDER BY id", &[])
        .await
        .expect("chats")
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(chats.len() as i64, CONNECTIONS * BATCH);
    let appends = chats.chunks(BATCH as usize).map(|chunk| {
        let batch: Vec<NewEvent> = chunk.iter().map(|&(chat, student)| plain_message(chat, student, "hello")).collect();
        let database = app.database.clone();
        tokio::spawn(async move {
            let mut client = connect(&database).await;
            let tx = client.transaction().await.expect("begin");
            let stored = events::append(&tx, &batch).await.map(|stored| stored.len());
            // Hold them all at once before committing.
            tokio::time::sleep(Duration::from_millis(300)).await;
            tx.commit().await.expect("commit");
            stored
        })
    });
    for appended in futures::future::join_all(appends).await {
        assert_eq!(appended.expect("task").expect("no lock table exhausted"), BATCH as usize);
    }
}

/// A log restored from a logical copy carries another cluster's transaction ids, some of
/// them ones this cluster has not reached: left alone, the readers would wait for them for
/// good. The migrating start-up moves the settled floor over them.
#[tokio::test]
async fn a_log_restored_from_a_logical_copy_is_settled_up_to_where_it_was_restored() {
    let app = TestApp::spawn().await;
    let (teacher, student) = (app.user("teacher", "T").await, app.user("student", "S").await);
    let chat = app.chat(&teacher, &student).await;
    let cursor = crate::helpers::last_position(&app.sql).await;
    // As pg_restore loads a dump: the triggers off, the rows as they were, xids and all.
    app.sql.batch_execute("ALTER TABLE events DISABLE TRIGGER ALL").await.expect("triggers off");
    let restored: i64 = app
        .sql
        .query_one(
            "INSERT INTO events (position, chat_id, actor_id, type, payload, xid)
             VALUES (nextval('events_position_seq'), $1, $2, 'message_created',
                     '{\"message_id\": 999999, \"content\": \"restored\"}',
                     (pg_snapshot_xmax(pg_current_snapshot())::text::bigint + 1000000)::text::xid8)
             RETURNING position",
            &[&chat, &student.id],
        )
        .await
        .expect("a restored row")
        .get(0);
    app.sql.batch_execute("ALTER TABLE events ENABLE TRIGGER ALL").await.expect("triggers on");

    let read = events::store::read_after_with(&app.sql, events::store::READ_AFTER_SQL, cursor, 10).await.expect("read");
    assert!(read.events.is_empty() && read.cut, "a transaction id from the future holds the readers");
    let floor: Option<i64> =
        app.sql.query_one("SELECT log_floor_after_restore()", &[]).await.expect("the start-up's check").get(0);
    assert_eq!(floor, Some(restored));
    let seen: Vec<i64> = settled_after(&app.sql, cursor, 10).await.iter().map(|e| e.position).collect();
    assert_eq!(seen, [restored]);
    assert!(events::head(&app.sql).await.expect("head") >= restored);
    let again: Option<i64> = app.sql.query_one("SELECT log_floor_after_restore()", &[]).await.expect("again").get(0);
    assert_eq!(again, None, "a log appended here moves nothing");
}

/// Only `events_append`'s draw numbers a row itself: an INSERT naming its own position,
/// transaction and message id outside a draw is numbered again under the log lock, and one
/// naming a position outside its transaction's block is refused; a plain message the function
/// numbered skips the row trigger (its `WHEN`), and is the same row the trigger would keep.
#[tokio::test]
async fn only_the_draw_numbers_a_row_and_its_plain_messages_skip_the_row_trigger_unchanged() {
    let app = TestApp::spawn().await;
    let (teacher, student) = (app.user("teacher", "T").await, app.user("student", "S").await);
    let chat = app.chat(&teacher, &student).await;
    let mut sql = connect(&app.database).await;
    let forged = "INSERT INTO events (position, chat_id, actor_id, type, payload, xid)
                  VALUES (999999, $1, $2, 'message_created', '{\"content\": \"forged\", \"message_id\": 424242}',
                          pg_current_xact_id())
                  RETURNING position, (payload ->> 'message_id')::bigint";

    let row = sql.query_one(forged, &[&chat, &student.id]).await.expect("an INSERT outside a draw");
    let (position, message): (i64, i64) = (row.get(0), row.get(1));
    assert!(position < 999999 && message != 424242, "renumbered: position {position}, message {message}");

    let tx = sql.transaction().await.expect("begin");
    tx.execute("SELECT set_config('tutorchat.block', pg_current_xact_id()::text || '/1/2', true)", &[])
        .await
        .expect("a block of this transaction's");
    let refused = tx.query_one(forged, &[&chat, &student.id]).await.expect_err("a position outside the block");
    assert_eq!(refused.code(), Some(&tokio_postgres::error::SqlState::INSUFFICIENT_PRIVILEGE), "{refused}");
    drop(tx);

    // The function's own: counted by pg_stat_user_functions in this session.
    sql.batch_execute("SET track_functions = 'pl'").await.expect("track");
    let calls =
        "SELECT coalesce((SELECT calls FROM pg_stat_xact_user_functions WHERE funcname = 'events_before_insert'), 0)";
    let tx = sql.transaction().await.expect("begin");
    let plain = append_one(&tx, plain_message(chat, student.id, "plain")).await;
    let skipped: i64 = tx.query_one(calls, &[]).await.expect("calls").get(0);
    let (payload, id): (serde_json::Value, i64) = {
        let row = tx
            .query_one(
                "SELECT e.payload, m.id FROM events e JOIN messages m USING (position) WHERE position = $1",
                &[&plain.position],
            )
            .await
            .expect("the plain message");
        (row.get(0), row.get(1))
    };
    let reply = NewEvent::MessageCreated {
        chat_id: chat,
        sender_id: teacher.id,
        content: "a reply".into(),
        reply_to: Some(id),
        attachment_ids: vec![],
        mentions: Vec::new(),
    };
    append_one(&tx, reply).await;
    let called: i64 = tx.query_one(calls, &[]).await.expect("calls").get(0);
    tx.commit().await.expect("commit");
    assert_eq!((skipped, called), (0, 1), "the plain message skipped the row trigger, the reply did not");
    assert_eq!(payload, serde_json::json!({ "content": "plain", "message_id": id }));
}
