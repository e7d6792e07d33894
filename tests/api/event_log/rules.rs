//! What the log refuses: changes to its past, a chosen position, events its rules forbid.

use tokio_postgres::error::SqlState;
use tutorchat::log::{self as events, NewEvent};

use crate::helpers::TestApp;

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
                    (SELECT n.unread FROM chat_participants p
                     CROSS JOIN LATERAL chat_unread(p.chat_id, p.user_id, p.last_read_message_id) n
                     WHERE p.chat_id = $1 AND p.user_id = $2)
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
                mentions: Vec::new(),
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
                mentions: Vec::new(),
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
                mentions: Vec::new(),
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

/// An event's actor is a user: the log decides it (no foreign key checks each row), for a
/// plain message (its sender must be a member) and for every other event.
#[tokio::test]
async fn an_actor_who_is_no_user_is_refused() {
    let app = TestApp::spawn().await;
    let (teacher, student) = (app.user("teacher", "T").await, app.user("student", "S").await);
    let chat = app.chat(&teacher, &student).await;
    let message = app.send(&student, chat, "mine").await;
    let nobody = 987_654_321_i64;
    let appends = [
        ("message_created", serde_json::json!({ "content": "plain" }), SqlState::INSUFFICIENT_PRIVILEGE),
        (
            "message_created",
            serde_json::json!({ "content": "@T", "mentions": [teacher.id] }),
            SqlState::FOREIGN_KEY_VIOLATION,
        ),
        ("chat_read", serde_json::json!({ "message_id": message }), SqlState::FOREIGN_KEY_VIOLATION),
        ("message_deleted", serde_json::json!({ "message_id": message }), SqlState::FOREIGN_KEY_VIOLATION),
    ];
    for (kind, payload, code) in appends {
        let error = app
            .sql
            .execute(
                "INSERT INTO events (chat_id, actor_id, type, payload) VALUES ($1, $2, $3, $4)",
                &[&chat, &nobody, &kind, &payload],
            )
            .await
            .expect_err(kind);
        assert_eq!(error.code(), Some(&code), "{kind} {payload}: {error:?}");
    }
    let count: i64 = app.sql.query_one("SELECT count(*) FROM events", &[]).await.expect("count").get(0);
    assert_eq!(count, 2);
}
