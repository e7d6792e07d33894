//! The database's own appends (a lesson's chat and audiences, a link's family chats and
//! announcements) go through `events_append` like the application's: a transaction that makes
//! them, left open, holds up no other append. (Drawn by a plain INSERT, they held the log's lock
//! exclusively until their commit: every message of the school waited.)

use std::time::Duration;

use tutorchat::log::{self as events, NewEvent};

use serde_json::json;

use crate::announcements::create;
use crate::helpers::{TestApp, connect, plain_message, settled_after};

/// While `open` is uncommitted, another chat's message appends at once and commits; once `open`
/// commits, a reader gets both, in position order.
async fn a_message_is_not_held_by(app: &TestApp, open: tokio_postgres::Transaction<'_>, chat: i64, sender: i64) {
    let reader = connect(&app.database).await;
    let mut other = connect(&app.database).await;
    let t = other.transaction().await.expect("begin");
    let message =
        tokio::time::timeout(Duration::from_secs(10), events::append(&t, &[plain_message(chat, sender, "ещё")]))
            .await
            .expect("the message waits for nothing")
            .expect("append");
    t.commit().await.expect("commit");
    let message = message[0].clone().expect("stored");
    open.commit().await.expect("the open transaction commits");
    let after = settled_after(&reader, 0, 10_000).await;
    let positions: Vec<i64> = after.iter().map(|e| e.position).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "in position order: {positions:?}");
    assert!(positions.contains(&message.position), "the message is read");
}

#[tokio::test]
async fn a_lesson_completed_in_an_open_transaction_holds_up_no_other_append() {
    let app = TestApp::spawn().await;
    let (teacher, maria, alex) =
        (app.user("teacher", "Иван").await, app.user("student", "Мария").await, app.user("student", "Alex").await);
    let (admin, elena) = (app.user("admin", "Ольга").await, app.user("guardian", "Елена").await);
    let chat = app.chat(&teacher, &alex).await;
    // Мария's guardian: her first lesson also opens Елена's family chat with Иван (an append
    // inside the lesson's), and Иван's "all my students" announcement to both takes her and Елена in.
    events::append(
        &app.sql,
        &[NewEvent::Guardian { admin_id: admin.id, guardian_id: elena.id, student_id: maria.id, linked: true }],
    )
    .await
    .expect("link");
    let body = json!({ "kind": "group", "title": "Всем", "audience": "my_students", "recipients": "both" });
    let (status, created) = create(&app, &teacher, body).await;
    assert_eq!(status, 201, "{created}");

    let before = crate::helpers::last_position(&app.sql).await;
    let mut lessons = connect(&app.database).await;
    let open = lessons.transaction().await.expect("begin");
    open.execute(
        "INSERT INTO lessons (teacher_id, student_id, scheduled_at, status) VALUES ($1, $2, now(), 'completed')",
        &[&teacher.id, &maria.id],
    )
    .await
    .expect("the lesson completes");
    a_message_is_not_held_by(&app, open, chat, alex.id).await;

    let made: Vec<String> = app
        .sql
        .query("SELECT type || '/' || coalesce(payload ->> 'kind', 'direct') FROM events WHERE type IN ('chat_created', 'participant_added') AND position > $1 ORDER BY position", &[&before])
        .await
        .expect("events")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(
        made.contains(&"chat_created/direct".to_owned()) && made.contains(&"chat_created/family".to_owned()),
        "{made:?}"
    );
    assert_eq!(made.iter().filter(|m| m.starts_with("participant_added")).count(), 2, "Мария and Елена: {made:?}");
    crate::governance::audit_is_clean(&app).await;
}

#[tokio::test]
async fn a_guardian_linked_in_an_open_transaction_holds_up_no_other_append() {
    let app = TestApp::spawn().await;
    let (teacher, maria, alex) =
        (app.user("teacher", "Иван").await, app.user("student", "Мария").await, app.user("student", "Alex").await);
    let (admin, elena) = (app.user("admin", "Ольга").await, app.user("guardian", "Елена").await);
    app.chat(&teacher, &maria).await;
    let chat = app.chat(&teacher, &alex).await;

    // The link opens Елена's family chat with Иван: an append inside the link's.
    let mut links = connect(&app.database).await;
    let open = links.transaction().await.expect("begin");
    events::append(
        &open,
        &[NewEvent::Guardian { admin_id: admin.id, guardian_id: elena.id, student_id: maria.id, linked: true }],
    )
    .await
    .expect("link");
    a_message_is_not_held_by(&app, open, chat, alex.id).await;

    let family: i64 = app
        .sql
        .query_one(
            "SELECT count(*) FROM chats WHERE kind = 'family' AND guardian_id = $1 AND teacher_id = $2",
            &[&elena.id, &teacher.id],
        )
        .await
        .expect("family")
        .get(0);
    assert_eq!(family, 1, "the family chat opened with the link");
    crate::governance::audit_is_clean(&app).await;
}

/// Lessons completing at once, each appending several times in its transaction (the pair's chat,
/// the guardian's family chat inside it, the announcement's new members): they take turns
/// among themselves and with links, and none is refused as a deadlock.
#[tokio::test]
async fn lessons_completed_at_once_with_links_at_once_all_commit() {
    const PAIRS: usize = 6;
    let app = TestApp::spawn().await;
    let (teacher, admin) = (app.user("teacher", "Иван").await, app.user("admin", "Ольга").await);
    let body = json!({ "kind": "group", "title": "Всем", "audience": "my_students", "recipients": "both" });
    assert_eq!(create(&app, &teacher, body).await.0, 201);
    let mut pairs = Vec::new();
    for i in 0..PAIRS {
        let student = app.user("student", &format!("Ученик {i}")).await;
        let guardian = app.user("guardian", &format!("Родитель {i}")).await;
        pairs.push((student, guardian));
    }
    // Half the guardians linked before, half while the lessons complete.
    for (student, guardian) in &pairs[..PAIRS / 2] {
        let link =
            NewEvent::Guardian { admin_id: admin.id, guardian_id: guardian.id, student_id: student.id, linked: true };
        events::append(&app.sql, &[link]).await.expect("link");
    }
    let mut tasks = tokio::task::JoinSet::new();
    for (i, (student, guardian)) in pairs.iter().enumerate() {
        let (database, teacher, student, guardian, admin) =
            (app.database.clone(), teacher.id, student.id, guardian.id, admin.id);
        tasks.spawn(async move {
            let mut client = connect(&database).await;
            let t = client.transaction().await.expect("begin");
            t.execute(
                "INSERT INTO lessons (teacher_id, student_id, scheduled_at, status) VALUES ($1, $2, now(), 'completed')",
                &[&teacher, &student],
            )
            .await
            .expect("a lesson completes");
            if i >= PAIRS / 2 {
                let link = NewEvent::Guardian { admin_id: admin, guardian_id: guardian, student_id: student, linked: true };
                events::append(&t, &[link]).await.expect("a link");
            }
            t.commit().await.expect("commits");
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.expect("no transaction failed");
    }
    let families: i64 = app
        .sql
        .query_one("SELECT count(*) FROM chats WHERE kind = 'family' AND teacher_id = $1", &[&teacher.id])
        .await
        .expect("families")
        .get(0);
    assert_eq!(families, PAIRS as i64, "one family chat per guardian");
    crate::governance::audit_is_clean(&app).await;
}
