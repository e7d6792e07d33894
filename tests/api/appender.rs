//! Group commit: concurrent writes share transactions, each request still gets its own row,
//! and one bad event never fails the others.

use std::time::Duration;

use serde_json::Value;

use tutorchat::config::{AppendConfig, AppendMode};
use tutorchat::log::{AppendError, Appender, Refusal};
use tutorchat::log::{EventData, NewEvent};

use crate::helpers::TestApp;

/// Transactions that appended messages (each event row records its transaction in `xmin`).
async fn transactions(app: &TestApp) -> i64 {
    app.sql
        .query_one("SELECT count(DISTINCT xmin::text) FROM events WHERE type = 'message_created'", &[])
        .await
        .expect("count")
        .get(0)
}

#[tokio::test]
async fn concurrent_posts_share_transactions_and_each_gets_its_own_row() {
    let app = TestApp::spawn_with(|c| c.append.linger = Duration::from_millis(50)).await;
    let (teacher, student) = (app.user("teacher", "T").await, app.user("student", "S").await);
    let chat = app.chat(&teacher, &student).await;
    let app = &app;
    let posts = (0..40).map(|i| {
        let author = if i % 2 == 0 { &teacher } else { &student };
        let content = format!("concurrent {i}");
        async move {
            let response = app.post_message(author, chat, &content).await;
            (content, author.id, response)
        }
    });
    let mut ids = Vec::new();
    for (content, author, response) in futures::future::join_all(posts).await {
        assert_eq!(response.status(), 201);
        let body: Value = response.json().await.expect("json");
        assert_eq!((body["content"].as_str(), body["sender_id"].as_i64()), (Some(content.as_str()), Some(author)));
        ids.push(body["id"].as_i64().expect("id"));
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 40, "every request got its own message");
    let transactions = transactions(app).await;
    assert!(transactions < 40, "40 concurrent posts took {transactions} transactions: no batching");
    let differences = app.sql.query("SELECT * FROM audit_replay()", &[]).await.expect("replay");
    assert!(differences.is_empty());
}

#[tokio::test]
async fn single_mode_appends_one_transaction_per_request() {
    let app = TestApp::spawn_with(|c| c.append.mode = AppendMode::Single).await;
    let (teacher, student) = (app.user("teacher", "T").await, app.user("student", "S").await);
    let chat = app.chat(&teacher, &student).await;
    let (app, student) = (&app, &student);
    let posts = (0..10).map(|i| async move { app.post_message(student, chat, &format!("single {i}")).await });
    for response in futures::future::join_all(posts).await {
        assert_eq!(response.status(), 201);
    }
    assert_eq!(transactions(app).await, 10);
}

#[tokio::test]
async fn a_bad_event_in_a_batch_does_not_fail_the_others() {
    let app = TestApp::spawn().await;
    let (teacher, student, outsider) =
        (app.user("teacher", "T").await, app.user("student", "S").await, app.user("student", "O").await);
    let chat = app.chat(&teacher, &student).await;
    let pool = tutorchat::db::connect(&app.database, 2).await.expect("pool");
    let config = AppendConfig {
        mode: AppendMode::Batched,
        max_batch: 64,
        linger: Duration::from_millis(100),
        ..AppendConfig::default()
    };
    let jobs = std::sync::Arc::new(tutorchat::jobs::Jobs::default());
    let appender = Appender::start(pool, config, &jobs, tokio_util::sync::CancellationToken::new());
    let event = |sender_id: i64, content: &str| NewEvent::MessageCreated {
        chat_id: chat,
        sender_id,
        content: content.into(),
        reply_to: None,
        attachment_ids: vec![],
        mentions: Vec::new(),
    };
    let results = futures::future::join_all([
        appender.append(event(student.id, "one")),
        appender.append(event(outsider.id, "not a participant")),
        appender.append(event(teacher.id, "two")),
        appender.append(event(student.id, "three")),
    ])
    .await;
    let contents: Vec<Option<String>> = results
        .iter()
        .map(|r| match r {
            Ok(Some(stored)) => match &stored.data {
                EventData::MessageCreated { content, .. } => Some(content.clone()),
                other => panic!("{other:?}"),
            },
            Ok(None) => panic!("nothing stored"),
            Err(_) => None,
        })
        .collect();
    assert_eq!(contents, vec![Some("one".into()), None, Some("two".into()), Some("three".into())]);
    assert!(matches!(results[1], Err(AppendError::Refused(_, Refusal::NotAllowed))), "{:?}", results[1].as_ref().err());
    let stored: i64 = app.sql.query_one("SELECT count(*) FROM messages", &[]).await.expect("count").get(0);
    assert_eq!(stored, 3);
}

/// The writer does not wait for a chat another append holds: that chat's sends are left for the
/// next batch (and then waited for), the others in the same batch go through at once.
#[tokio::test]
async fn a_batch_leaves_a_chat_another_append_holds_for_later_and_the_rest_goes_through() {
    let app = TestApp::spawn_with(|c| c.append.linger = Duration::from_millis(300)).await;
    let teacher = app.user("teacher", "T").await;
    let (anna, boris) = (app.user("student", "Anna").await, app.user("student", "Boris").await);
    let (held, free) = (app.chat(&teacher, &anna).await, app.chat(&teacher, &boris).await);

    // Another append holds the chat until it commits.
    let mut holder = crate::helpers::connect(&app.database).await;
    let tx = holder.transaction().await.expect("begin");
    let first = crate::helpers::plain_message(held, anna.id, "held");
    tutorchat::log::append(&tx, &[first]).await.expect("the holder appends");

    let app = &app;
    let (to_held, to_free) = tokio::join!(
        async {
            tokio::time::timeout(Duration::from_secs(20), app.post_message(&teacher, held, "to the held chat")).await
        },
        async {
            tokio::time::sleep(Duration::from_millis(50)).await; // the same batch (linger)
            let answered =
                tokio::time::timeout(Duration::from_secs(5), app.post_message(&boris, free, "to the free chat")).await;
            // Only now does the holder let go.
            tx.commit().await.expect("the holder commits");
            answered
        }
    );
    assert_eq!(to_free.expect("the free chat's send waits for no other chat").status(), 201);
    assert_eq!(to_held.expect("the held chat's send goes through once it is free").status(), 201);
    let contents: Vec<String> = app
        .sql
        .query("SELECT content FROM messages WHERE chat_id = $1 ORDER BY position", &[&held])
        .await
        .expect("messages")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(contents, ["held", "to the held chat"]);
    let differences = app.sql.query("SELECT * FROM audit_replay()", &[]).await.expect("replay");
    assert!(differences.is_empty());
}
