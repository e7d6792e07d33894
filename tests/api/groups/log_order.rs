//! Membership in log order: a thousand messages among fifty changes, and membership at any moment.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::{Value, json};

use super::{add, group, remove};
use crate::helpers::{Stream, TestApp};

/// The (position, event) pairs of chat `chat` that `user` is entitled to, from the log: the
/// event that made them a member through the one that removed them, each interval; an edit
/// only if its message is from within the interval. `None`: an admin, who gets everything.
async fn entitled(app: &TestApp, chat: i64, user: Option<i64>) -> Vec<(i64, String)> {
    let rows = app
        .sql
        .query(
            "SELECT e.position, e.type, e.payload, m.position AS message_position, e.actor_id FROM events e
             LEFT JOIN messages m ON e.type = 'message_edited' AND m.id = (e.payload ->> 'message_id')::bigint
             WHERE e.chat_id = $1 ORDER BY e.position",
            &[&chat],
        )
        .await
        .expect("log");
    let mut since: Option<i64> = None;
    let mut expected = Vec::new();
    for row in rows {
        let (position, kind, payload): (i64, String, Value) = (row.get(0), row.get(1), row.get(2));
        let about = payload["user_id"].as_i64();
        let sender: Option<i64> = row.get(4);
        let name = match kind.as_str() {
            // The sender's own streams get their message as `message_sent`.
            "message_created" if user.is_some() && sender == user => "message_sent".to_owned(),
            "message_created" => "new_message".to_owned(),
            "chat_read" => "messages_read".to_owned(),
            other => other.to_owned(),
        };
        let Some(user) = user else {
            expected.push((position, name));
            continue;
        };
        if kind == "participant_added" && about == Some(user) {
            since = Some(position);
        }
        match since {
            Some(since) if kind != "message_edited" || row.get::<_, Option<i64>>(3).is_some_and(|m| m >= since) => {
                expected.push((position, name))
            }
            _ => {}
        }
        if kind == "participant_removed" && about == Some(user) {
            since = None;
        }
    }
    expected
}

/// Fails with the first difference between what a stream delivered and what the log entitles.
fn assert_same(got: &[(i64, String)], expected: &[(i64, String)], who: &str) {
    if let Some(i) = (0..got.len().max(expected.len())).find(|&i| got.get(i) != expected.get(i)) {
        panic!(
            "{who}: event #{i} is {:?}, the log says {:?} ({} events delivered, {} entitled)",
            got.get(i),
            expected.get(i),
            got.len(),
            expected.len()
        );
    }
}

/// The next `n` events of `stream` as (position, event), skipping presence signals.
async fn received(stream: &mut Stream, n: usize) -> Vec<(i64, String)> {
    let mut got = Vec::with_capacity(n);
    for _ in 0..n {
        let event = stream.event_within(Duration::from_secs(30)).await;
        got.push((event.position(), event.event));
    }
    got
}

/// Nothing more arrives on `stream` (but heartbeats and presence) for a moment.
async fn quiet(stream: &mut Stream) -> Result<(), String> {
    let deadline = tokio::time::Instant::now() + Duration::from_millis(500);
    while let Ok(item) = tokio::time::timeout_at(deadline, stream.recv()).await {
        match item {
            Some(crate::helpers::Item::Event(e)) if e.event != "presence" => return Err(format!("{e:?}")),
            Some(_) => {}
            None => return Err("the stream closed".into()),
        }
    }
    Ok(())
}

#[tokio::test]
async fn a_thousand_messages_interleaved_with_fifty_membership_changes_reach_exactly_the_entitled_streams() {
    let a = TestApp::spawn().await;
    let b = a.replica().await;
    let replicas = [&a, &b];
    let teacher = a.user("teacher", "T").await;
    let admin = a.user("admin", "A").await;
    let mut students = Vec::new();
    for i in 0..6 {
        students.push(a.user("student", &format!("S{i}")).await);
    }
    // Their lessons first: completing them opens each pair's direct chat, which is not this
    // test's. Then everyone's stream is open before the group exists: students on alternating
    // replicas.
    a.teaches(&teacher, &students.iter().map(|s| s.id).collect::<Vec<_>>()).await;
    let lessons: i64 = a.sql.query_one("SELECT max(position) FROM events", &[]).await.expect("head").get(0);
    let mut streams: Vec<(Option<i64>, Stream)> = Vec::new();
    for (i, student) in students.iter().enumerate() {
        streams.push((Some(student.id), replicas[i % 2].stream(student, None).await));
    }
    streams.push((Some(teacher.id), b.stream(&teacher, None).await));
    streams.push((None, a.stream(&admin, None).await));

    let chat = group(&a, &teacher, "Hammer", &[&students[0], &students[1], &students[2]]).await;
    let sent = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let senders: Vec<_> = replicas
        .iter()
        .enumerate()
        .map(|(r, app)| {
            let (http, url, token) = (app.http.clone(), app.url("/api/messages"), teacher.token.clone());
            let sent = sent.clone();
            tokio::spawn(async move {
                for i in 0..500 {
                    let body = json!({ "chat_id": chat, "content": format!("r{r} m{i}") });
                    let response = http.post(&url).bearer_auth(&token).json(&body).send().await.expect("POST");
                    assert_eq!(response.status(), 201);
                    sent.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            })
        })
        .collect();
    // 50 changes meanwhile, on alternating replicas, the k-th once 18·k messages are in: each
    // student in turn toggles.
    let mut member: HashMap<i64, bool> = students.iter().enumerate().map(|(i, s)| (s.id, i < 3)).collect();
    for change in 0..50 {
        while sent.load(std::sync::atomic::Ordering::Relaxed) < change * 18 {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let student = &students[change % students.len()];
        let app = replicas[change % 2];
        if member[&student.id] {
            assert_eq!(remove(app, &teacher, chat, student.id).await, 204);
        } else {
            assert_eq!(add(app, &teacher, chat, student.id).await.0, 201);
        }
        member.insert(student.id, !member[&student.id]);
    }
    for sender in senders {
        sender.await.expect("sender");
    }

    let messages: i64 = a
        .sql
        .query_one("SELECT count(*) FROM events WHERE chat_id = $1 AND type = 'message_created'", &[&chat])
        .await
        .expect("count")
        .get(0);
    assert_eq!(messages, 1000);
    let mut partial = 0;
    for (user, stream) in &mut streams {
        let expected = entitled(&a, chat, *user).await;
        let got = received(stream, expected.len()).await;
        assert_same(&got, &expected, &format!("user {user:?} live"));
        quiet(stream).await.unwrap_or_else(|e| panic!("user {user:?} got more than entitled: {e}"));
        let messages = expected.iter().filter(|(_, e)| e == "new_message" || e == "message_sent").count();
        partial += usize::from(user.is_some() && (1..1000).contains(&messages));
    }
    // The changes fell among the messages: students got some of them, and not all.
    assert!(partial >= 4, "only {partial} streams got part of the messages");

    // Resuming from before the group on the other replica replays exactly the same.
    for (i, student) in students.iter().enumerate() {
        let mut resumed = replicas[(i + 1) % 2].stream(student, Some(&lessons.to_string())).await;
        let expected = entitled(&a, chat, Some(student.id)).await;
        assert_same(&received(&mut resumed, expected.len()).await, &expected, &format!("student {i} resuming"));
        quiet(&mut resumed).await.unwrap_or_else(|e| panic!("student {i} replayed more than entitled: {e}"));
    }
    let problems = a.sql.query("SELECT * FROM audit_replay()", &[]).await.expect("replay");
    assert!(problems.is_empty(), "audit_replay found {} differences", problems.len());
}

#[tokio::test]
async fn membership_at_any_moment_is_reconstructed_from_the_log() {
    let app = TestApp::spawn().await;
    let (teacher, anna, boris) =
        (app.user("teacher", "T").await, app.user("student", "Anna").await, app.user("student", "Boris").await);
    let chat = group(&app, &teacher, "G", &[&anna]).await;
    let now = async || {
        app.sql.query_one("SELECT clock_timestamp()", &[]).await.expect("now").get::<_, time::OffsetDateTime>(0)
    };
    let t1 = now().await;
    add(&app, &teacher, chat, boris.id).await;
    remove(&app, &teacher, chat, anna.id).await;
    let t2 = now().await;
    let members = |t: time::OffsetDateTime| {
        let sql = &app.sql;
        async move {
            let rows =
                sql.query("SELECT user_id FROM audit_chat_members_at($1, $2)", &[&chat, &t]).await.expect("members_at");
            rows.iter().map(|r| r.get::<_, i64>(0)).collect::<Vec<_>>()
        }
    };
    assert_eq!(members(t1).await, vec![teacher.id, anna.id]);
    assert_eq!(members(t2).await, vec![teacher.id, boris.id]);
}
