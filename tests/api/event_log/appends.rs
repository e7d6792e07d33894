//! Appending: projections follow in the same transaction, and one statement keeps log order.

use tutorchat::log::{self as events, EventData, NewEvent};

use crate::helpers::{TestApp, connect};

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
                mentions: Vec::new(),
            },
            NewEvent::MessageCreated {
                chat_id: chat,
                sender_id: teacher.id,
                content: "two".into(),
                reply_to: None,
                attachment_ids: vec![],
                mentions: Vec::new(),
            },
            NewEvent::MessageCreated {
                chat_id: chat,
                sender_id: student.id,
                content: "three".into(),
                reply_to: None,
                attachment_ids: vec![],
                mentions: Vec::new(),
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
        mentions: Vec::new(),
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
                    "SELECT p.last_read_message_id, n.unread FROM chat_participants p
                     CROSS JOIN LATERAL chat_unread(p.chat_id, p.user_id, p.last_read_message_id) n
                     WHERE p.chat_id = $1 AND p.user_id = $2",
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
