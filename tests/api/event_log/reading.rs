//! Reading the log: in commit order without gaps, by pages, woken once per statement, per chat.

use std::time::Duration;

use tutorchat::log::{self as events, EventData, NewEvent};

use crate::helpers::{TestApp, connect, settled_after};

/// Positions become visible in order (docs/architecture.md, the guarantees): T1 appends and
/// stays open, T2 appends and commits, the reader reads, T1 commits, the reader reads again.
/// The reader must get T1's event and must never have moved its cursor past it.
#[tokio::test]
async fn a_reader_never_skips_an_event_that_commits_out_of_order() {
    let app = TestApp::spawn().await;
    let (teacher, student) = (app.user("teacher", "T").await, app.user("student", "S").await);
    let chat = app.chat(&teacher, &student).await;
    let reader = connect(&app.database).await;
    let mut cursor = settled_after(&reader, 0, 100).await.last().expect("chat_created").position;

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
            mentions: Vec::new(),
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
                mentions: Vec::new(),
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
        let batch = settled_after(&reader, cursor, 1).await; // batches of one
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
            mentions: Vec::new(),
        })
        .collect();
    events::append(&app.sql, &batch).await.expect("append");
    let (mut cursor, mut contents) = (0, Vec::new());
    loop {
        let page = settled_after(&app.sql, cursor, 7).await;
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
            mentions: Vec::new(),
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
        events::store::read_visible(&app.sql, events::store::Viewer::Participant(reader.id), 0, i64::MAX, 500, false)
            .await
            .expect("replay");
    assert_eq!(replayed.len(), 11, "the chat's creation and its ten messages");
    assert!(
        replayed.iter().all(|e| e.chat_id == Some(mine)) && replayed.windows(2).all(|w| w[0].position < w[1].position)
    );

    let plan = crate::helpers::plan(
        &app.sql,
        "ANALYZE, BUFFERS",
        events::store::VISIBLE_TO_PARTICIPANT_SQL,
        &[&0i64, &i64::MAX, &500i64, &reader.id],
    )
    .await;
    assert!(plan.contains("idx_events_chat_position"), "read through the per-chat index:\n{plan}");
    assert!(!plan.contains("events_pkey") && !plan.contains("Seq Scan on events"), "no walk of the log:\n{plan}");
}
