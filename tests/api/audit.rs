//! The psql audit functions shipped in sql/functions/ (audit_*.sql).

use crate::helpers::TestApp;

#[tokio::test]
async fn replay_matches_and_then_reports_tampering() {
    let app = TestApp::spawn().await;
    let (teacher, student) = (app.user("teacher", "T").await, app.user("student", "S").await);
    let chat = app.chat(&teacher, &student).await;
    let first = app.send(&student, chat, "first").await;
    let second = app.send(&teacher, chat, "second").await;
    assert_eq!(app.delete_message(&student, first).await.status(), 200);

    let clean = app.sql.query("SELECT * FROM audit_replay()", &[]).await.expect("replay");
    assert!(clean.is_empty(), "a consistent database reports no difference, got {}", clean.len());

    app.sql.execute("UPDATE messages SET content = 'forged' WHERE id = $1", &[&second]).await.expect("tamper");
    app.sql.execute("UPDATE messages SET is_deleted = false WHERE id = $1", &[&first]).await.expect("undelete");
    let rows = app.sql.query("SELECT projection, row_key, problem FROM audit_replay()", &[]).await.expect("replay");
    let found: Vec<(String, String, String)> = rows.iter().map(|r| (r.get(0), r.get(1), r.get(2))).collect();
    let mut expected = vec![
        ("messages".to_owned(), first.to_string(), "differs".to_owned()),
        ("messages".to_owned(), second.to_string(), "differs".to_owned()),
    ];
    expected.sort();
    assert_eq!(found, expected);

    app.sql
        .execute("UPDATE chat_participants SET muted = true WHERE user_id = $1", &[&student.id])
        .await
        .expect("tamper");
    app.sql.execute("UPDATE chats SET last_message_id = NULL WHERE id = $1", &[&chat]).await.expect("tamper");
    let counters: Vec<(String, String)> = app
        .sql
        .query("SELECT projection, row_key FROM audit_replay() WHERE projection <> 'messages'", &[])
        .await
        .expect("replay")
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(
        counters,
        vec![
            ("chat_participants".to_owned(), format!("{chat}/{}", student.id)),
            ("chats".to_owned(), chat.to_string())
        ]
    );

    app.sql.execute("DELETE FROM chat_participants WHERE user_id = $1", &[&teacher.id]).await.expect("tamper");
    let mut participants: Vec<(String, String)> = app
        .sql
        .query("SELECT row_key, problem FROM audit_replay() WHERE projection = 'chat_participants'", &[])
        .await
        .expect("replay")
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let mut expected = vec![
        (format!("{chat}/{}", teacher.id), "missing from projection".to_owned()),
        (format!("{chat}/{}", student.id), "differs".to_owned()), // the unread count tampered above
    ];
    expected.sort();
    participants.sort();
    assert_eq!(participants, expected);
}

#[tokio::test]
async fn timeline_and_state_at_a_moment_come_from_the_log() {
    let app = TestApp::spawn().await;
    let (teacher, student) = (app.user("teacher", "Teacher T").await, app.user("student", "Student S").await);
    let chat = app.chat(&teacher, &student).await;
    let hello = app.send(&student, chat, "hello").await;
    let before_delete: time::OffsetDateTime =
        app.sql.query_one("SELECT clock_timestamp()", &[]).await.expect("now").get(0);
    assert_eq!(app.delete_message(&student, hello).await.status(), 200);
    app.send(&teacher, chat, "reply").await;

    let timeline: Vec<(String, Option<String>, Option<String>)> = app
        .sql
        .query("SELECT event_type, actor_name, content FROM audit_chat_timeline($1)", &[&chat])
        .await
        .expect("timeline")
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(timeline.len(), 4);
    assert_eq!(timeline[0].0, "chat_created");
    assert_eq!(timeline[1], ("message_created".into(), Some("Student S".into()), Some("hello".into())));
    assert_eq!(timeline[2], ("message_deleted".into(), Some("Student S".into()), Some("hello".into())));
    assert_eq!(timeline[3], ("message_created".into(), Some("Teacher T".into()), Some("reply".into())));

    let then: Vec<(String, bool)> = app
        .sql
        .query("SELECT content, is_deleted FROM audit_chat_at($1, $2)", &[&chat, &before_delete])
        .await
        .expect("state then")
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(then, vec![("hello".to_owned(), false)]);
    let now: Vec<(String, bool)> = app
        .sql
        .query("SELECT content, is_deleted FROM audit_chat_at($1, now())", &[&chat])
        .await
        .expect("state now")
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(now, vec![("hello".to_owned(), true), ("reply".to_owned(), false)]);
}

#[tokio::test]
async fn the_incremental_replay_checks_the_chats_with_events_after_the_position() {
    let app = TestApp::spawn().await;
    let teacher = app.user("teacher", "T").await;
    let (anna, boris) = (app.user("student", "Anna").await, app.user("student", "Boris").await);
    let (quiet, busy) = (app.chat(&teacher, &anna).await, app.chat(&teacher, &boris).await);
    let old = app.send(&anna, quiet, "before the audit").await;
    let earlier = app.send(&boris, busy, "before the audit").await;
    let since = crate::helpers::last_position(&app.sql).await;
    let new = app.send(&boris, busy, "after the audit").await;
    assert!(app.read(&teacher, busy, Some(new)).await.status().is_success());

    let since_then = "SELECT projection, row_key, problem FROM audit_replay($1)";
    assert!(app.sql.query(since_then, &[&since]).await.expect("replay").is_empty());

    // A row forged in a chat with nothing new is outside what changed since the position; the
    // whole replay finds it, the incremental one does not look.
    app.sql.execute("UPDATE messages SET content = 'forged' WHERE id = $1", &[&old]).await.expect("tamper");
    assert!(app.sql.query(since_then, &[&since]).await.expect("replay").is_empty());
    let whole: Vec<String> = app
        .sql
        .query("SELECT row_key FROM audit_replay()", &[])
        .await
        .expect("replay")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(whole, vec![old.to_string()]);

    // In a chat with new events, every row is checked: the message written before the
    // position too, and the members' settings.
    app.sql.execute("UPDATE messages SET content = 'forged' WHERE id = $1", &[&earlier]).await.expect("tamper");
    app.sql
        .execute("UPDATE chat_participants SET muted = true WHERE chat_id = $1 AND user_id = $2", &[&busy, &teacher.id])
        .await
        .expect("tamper");
    let found: Vec<(String, String, String)> = app
        .sql
        .query(since_then, &[&since])
        .await
        .expect("replay")
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(
        found,
        vec![
            ("chat_participants".to_owned(), format!("{busy}/{}", teacher.id), "differs".to_owned()),
            ("messages".to_owned(), earlier.to_string(), "differs".to_owned()),
        ]
    );
}
