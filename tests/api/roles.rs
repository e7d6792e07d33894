//! Least privilege in the database: the replicas' runtime role may read and append to the log
//! and complete lessons; everything else (rewriting history, forging a projection, lifting a
//! trigger, opening a chat without a lesson) is refused by PostgreSQL itself.

use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::json;
use tokio_postgres::error::SqlState;

use crate::helpers::{TestApp, User, connect, status_and_json};

/// A fresh login role in the runtime group, and a connection configuration for it.
pub(crate) async fn runtime_role(app: &TestApp) -> (String, tokio_postgres::Config) {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let name = format!("rt_{}_{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
    tutorchat::db::ensure_runtime_role(&app.database, &name).await.expect("runtime role");
    app.sql.batch_execute(&format!("ALTER ROLE {name} PASSWORD 'runtime-password'")).await.expect("password");
    let mut config = (**app.database).clone();
    config.user(&name).password("runtime-password");
    (name, config)
}

pub(crate) async fn drop_role(app: &TestApp, name: &str) {
    let _ = app.sql.batch_execute(&format!("DROP ROLE IF EXISTS {name}")).await;
}

#[tokio::test]
async fn the_runtime_role_may_read_and_append_and_nothing_else() {
    let app = TestApp::spawn().await;
    let (teacher, student) = (app.user("teacher", "T").await, app.user("student", "S").await);
    let chat = app.chat(&teacher, &student).await;
    let message = app.send(&student, chat, "the original").await;
    let lesson: i64 =
        app.sql.query_one("SELECT id FROM lessons WHERE teacher_id = $1", &[&teacher.id]).await.expect("lesson").get(0);
    let (name, config) = runtime_role(&app).await;
    let runtime = connect(&config).await;

    // What a replica does.
    runtime.query("SELECT * FROM messages", &[]).await.expect("read projections");
    runtime
        .query(
            "SELECT * FROM events_append(ARRAY[$1::bigint], ARRAY[$2::bigint], ARRAY['message_created'], \
             ARRAY['{\"content\": \"hi\"}'::jsonb], ARRAY[NULL::text])",
            &[&chat, &student.id],
        )
        .await
        .expect("append a message");

    // Everything else.
    let forged_chat = format!(
        "SELECT * FROM events_append(ARRAY[999::bigint], ARRAY[NULL::bigint], ARRAY['chat_created'], \
         ARRAY['{{\"student_id\": {}, \"teacher_id\": {}, \"lesson_id\": {lesson}}}'::jsonb], ARRAY[NULL::text])",
        student.id, teacher.id
    );
    let forbidden = [
        // Appends draw their numbers in events_append's turn, never from a caller.
        format!(
            "INSERT INTO events (chat_id, actor_id, type, payload) VALUES ({chat}, {}, 'message_created', \
             '{{\"content\": \"hi\"}}')",
            student.id
        ),
        format!("UPDATE events SET payload = '{{}}' WHERE chat_id = {chat}"),
        "DELETE FROM events".to_owned(),
        "TRUNCATE events".to_owned(),
        "ALTER TABLE events DISABLE TRIGGER events_immutable".to_owned(),
        "DROP TABLE events".to_owned(),
        format!("UPDATE messages SET content = 'forged' WHERE id = {message}"),
        format!("DELETE FROM messages WHERE id = {message}"),
        // Nobody deletes a person or a chat (the log's rules stand for the foreign keys that
        // messages and events no longer check per row: V48).
        format!("DELETE FROM users WHERE id = {}", student.id),
        format!("DELETE FROM chats WHERE id = {chat}"),
        // The outbox: only notices_purge() deletes, and only settled notices.
        "DELETE FROM notices".to_owned(),
        // Upload allowances: only through upload_reserve(), upload_settle(), upload_release().
        format!("INSERT INTO upload_claims (uploader_id, bytes, counted_until) VALUES ({}, 1, now())", student.id),
        "UPDATE upload_claims SET counted_until = now()".to_owned(),
        "DELETE FROM upload_claims".to_owned(),
        "SELECT count(*) FROM upload_claims".to_owned(),
        format!("SELECT upload_room({}, false, NULL, NULL, 1, 1, 1, 1)", student.id),
        format!("SELECT upload_lock({}, NULL, NULL)", student.id),
        format!("INSERT INTO chat_participants (chat_id, user_id, role) VALUES ({chat}, {}, 'student')", teacher.id),
        "INSERT INTO chats (student_id, teacher_id) VALUES (NULL, NULL)".to_owned(),
        format!("UPDATE chat_participants SET last_read_message_id = 0 WHERE chat_id = {chat}"),
        format!("UPDATE users SET role = 'admin' WHERE id = {}", student.id),
        "INSERT INTO users (email, name, role) VALUES ('x@y', 'X', 'admin')".to_owned(),
        "CREATE TABLE mine (id int)".to_owned(),
        "SELECT events_apply(e) FROM events e LIMIT 1".to_owned(),
        forged_chat,
    ];
    for statement in &forbidden {
        let error = runtime.batch_execute(statement).await.expect_err(statement);
        assert_eq!(error.code(), Some(&SqlState::INSUFFICIENT_PRIVILEGE), "{statement}: {error:?}");
    }
    // Lessons come from the school's systems through the server, which may write them, but
    // not make a student anyone's teacher, nor move a completed lesson (its chat) to another pair.
    for statement in [
        format!("UPDATE lessons SET teacher_id = {} WHERE id = {lesson}", student.id),
        format!(
            "INSERT INTO lessons (teacher_id, student_id, scheduled_at, status) VALUES ({}, {}, now(), 'scheduled')",
            student.id, teacher.id
        ),
    ] {
        let error = runtime.batch_execute(&statement).await.expect_err(&statement);
        assert_eq!(error.code(), Some(&SqlState::CHECK_VIOLATION), "{statement}: {error:?}");
    }
    let content: String =
        app.sql.query_one("SELECT content FROM messages WHERE id = $1", &[&message]).await.expect("q").get(0);
    assert_eq!(content, "the original");
    drop(runtime);
    drop_role(&app, &name).await;
}

#[tokio::test]
async fn a_chat_is_opened_only_by_a_completed_lesson_even_from_psql() {
    let app = TestApp::spawn().await;
    let (teacher, student, admin) =
        (app.user("teacher", "T").await, app.user("student", "S").await, app.user("admin", "A").await);
    let lesson = app.scheduled_lesson(&teacher, &student).await;
    // Even the owner, at psql: no chat without the lesson trigger, none for an admin.
    for (student_id, teacher_id) in [(student.id, teacher.id), (admin.id, teacher.id), (student.id, admin.id)] {
        let error = app
            .sql
            .execute(
                "INSERT INTO events (chat_id, actor_id, type, payload) VALUES (nextval('chats_id_seq'), NULL, 'chat_created',
                 jsonb_build_object('student_id', $1::bigint, 'teacher_id', $2::bigint, 'lesson_id', $3::bigint))",
                &[&student_id, &teacher_id, &lesson],
            )
            .await
            .expect_err("a forged chat_created");
        assert_eq!(error.code(), Some(&SqlState::INSUFFICIENT_PRIVILEGE), "{error:?}");
    }
    let chats: i64 = app.sql.query_one("SELECT count(*) FROM chats", &[]).await.expect("count").get(0);
    assert_eq!(chats, 0);
    app.sql.execute("UPDATE lessons SET status = 'completed' WHERE id = $1", &[&lesson]).await.expect("complete");
    let chats: i64 = app.sql.query_one("SELECT count(*) FROM chats", &[]).await.expect("count").get(0);
    assert_eq!(chats, 1, "the lesson trigger still opens the chat");
}

#[tokio::test]
async fn a_replica_running_as_the_runtime_role_serves_everything() {
    let owner = TestApp::spawn().await; // migrates as the owner
    let (name, runtime) = runtime_role(&owner).await;
    let app = TestApp::spawn_on(owner.database.clone(), |c| c.database = Some(runtime.clone())).await;
    let (teacher, student) = (owner.user("teacher", "T").await, owner.user("student", "S").await);
    let lesson = owner.scheduled_lesson(&teacher, &student).await;
    let complete = app.http.post(app.url(&format!("/api/lessons/{lesson}/complete"))).bearer_auth(&teacher.token);
    let (status, body) = status_and_json(complete.send().await.expect("send")).await;
    assert_eq!(status, 200, "{body}");
    let chat = body["chat_id"].as_i64().expect("chat id");
    let mut stream = app.stream(&teacher, None).await;
    let sent = app.send(&student, chat, "as the runtime role").await;
    assert_eq!(stream.event().await.json()["message"]["id"].as_i64(), Some(sent));
    let deleted = app.delete_message(&student, sent).await;
    assert_eq!(deleted.status(), 200);
    // Uploads reserve and settle their allowance, and the sweep forgets, as the runtime role.
    let file = crate::attachments::uploaded(&app, &student, chat, "a.png", crate::attachments::PNG).await;
    let claims: i64 = owner
        .sql
        .query_one(
            "SELECT count(*) FROM upload_claims WHERE uploader_id = $1 AND stored_at IS NOT NULL",
            &[&student.id],
        )
        .await
        .expect("claims")
        .get(0);
    assert_eq!(claims, 1, "upload {file} counts against the student's allowance");
    tutorchat::uploads::sweep(&app.state.db, &app.state.storage, std::time::Duration::from_secs(3600))
        .await
        .expect("the sweep runs as the runtime role");
    let (status, chats) = status_and_json(app.get("/api/chats", &student).send().await.expect("send")).await;
    assert_eq!((status, chats["chats"][0]["id"].as_i64()), (200, Some(chat)));
    let (status, _) = status_and_json(
        app.http
            .post(app.url("/api/messages"))
            .bearer_auth(&student.token)
            .json(&json!({ "chat_id": chat, "content": "again" }))
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(status, 201);
    // A visitor opens an inquiry with their question; the guest is authenticated through
    // guest_sessions; revoking the link closes the chat and ends the session.
    let (_, link) = crate::inquiries::link(&app, &teacher, json!({ "title": "Курсы" })).await;
    let token = link["token"].as_str().expect("token");
    let (status, opened, _) = crate::inquiries::visit(&app, token, "Гость").await;
    assert_eq!(status, 201, "{opened}");
    let guest =
        User { id: opened["user"]["id"].as_i64().expect("id"), token: opened["token"].as_str().expect("t").into() };
    let (status, _) = status_and_json(app.get("/api/chats", &guest).send().await.expect("send")).await;
    assert_eq!(status, 200);
    let revoke = app.http.delete(app.url(&format!("/api/inquiry-links/{}", link["id"]))).bearer_auth(&teacher.token);
    assert_eq!(revoke.send().await.expect("send").status(), 204);
    let (status, _) = status_and_json(app.get("/api/chats", &guest).send().await.expect("send")).await;
    assert_eq!(status, 401, "the guest's session ended with the link");
    drop(stream);
    drop(app);
    drop_role(&owner, &name).await;
}

/// The notices' claim rewrites a notice from its messages as they are at delivery: a replica
/// running as the runtime role may do that, and delivers.
#[tokio::test]
async fn a_replica_running_as_the_runtime_role_delivers_offline_notices() {
    let (receiver, url) = crate::helpers::Receiver::start().await;
    let owner = TestApp::spawn().await;
    let (name, runtime) = runtime_role(&owner).await;
    let notify = tutorchat::config::NotifyConfig {
        webhook: Some(tutorchat::config::Webhook {
            url,
            secret: tutorchat::config::webhook_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").expect("secret"),
        }),
        grace: std::time::Duration::from_secs(1),
        ..tutorchat::config::NotifyConfig::default()
    };
    let app = TestApp::spawn_on(owner.database.clone(), |c| {
        c.database = Some(runtime.clone());
        c.notify = notify;
    })
    .await;
    let (teacher, student) = (owner.user("teacher", "T").await, owner.user("student", "S").await);
    let chat = owner.chat(&teacher, &student).await;
    app.send(&student, chat, "first, to be deleted").await;
    let kept = app.send(&student, chat, "kept").await;
    let calls = receiver.wait_for(1, std::time::Duration::from_millis(500)).await;
    assert_eq!(calls.len(), 1, "one notice delivered by the runtime role's replica");
    assert_eq!((calls[0].json()["message_id"].as_i64(), calls[0].json()["count"].as_i64()), (Some(kept), Some(2)));
    drop(app);
    drop_role(&owner, &name).await;
}

/// A replica whose role may not migrate refuses to start on functions that are not its build's
/// (the owner migrated with another build), naming what to do, in one line.
#[tokio::test]
async fn a_runtime_replica_refuses_functions_of_another_build() {
    let owner = TestApp::spawn().await;
    let (name, runtime) = runtime_role(&owner).await;
    owner.sql.batch_execute("UPDATE schema_functions SET digest = 'another build'").await.expect("stale");
    let config = crate::helpers::test_config(runtime);
    let error = tutorchat::Application::build(config).await.err().expect("refused");
    let error = format!("{error:#}");
    assert!(error.contains("the schema's functions are not this build's"), "{error}");
    assert!(error.contains("tutorchat migrate") && !error.contains('\n'), "{error}");
    drop_role(&owner, &name).await;
}
