//! Retention and erasure: content goes by a `messages_purged` event whose append blanks it
//! everywhere (the log's own copies too), and the log still explains every state. Retention
//! runs by a clock the test sets, not by waiting; erasure is checked against a full `pg_dump` of
//! the database and against the storage. Exports are `export.rs`.

use std::time::Duration;

use serde_json::{Value, json};

use crate::attachments::{send_with, sha256, uploaded};
use crate::helpers::{TestApp, User, status_and_json};

/// Every row of the test's database, as `pg_dump --data-only` writes it.
pub async fn full_dump(app: &TestApp) -> String {
    let config = (**app.database).clone();
    tokio::task::spawn_blocking(move || {
        let bindir = tutorchat::config::pg_bindir_from_env().expect("PG_BINDIR");
        let bindir = tutorchat::db::embedded::find_bindir(bindir.as_deref()).expect("PostgreSQL's binaries");
        let mut conninfo = tutorchat::db::describe(&config);
        if let Some(password) = config.get_password() {
            conninfo.push_str(&format!(" password='{}'", String::from_utf8_lossy(password)));
        }
        let output = std::process::Command::new(bindir.join("pg_dump"))
            .args(["--data-only", "--no-owner", "--dbname"])
            .arg(conninfo)
            .output()
            .expect("run pg_dump");
        assert!(output.status.success(), "pg_dump: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).expect("UTF-8")
    })
    .await
    .expect("task")
}

/// `audit_replay()` finds nothing, read in one snapshot: jobs the test started (an erasure's
/// batches) may still be appending, and at READ COMMITTED a commit between the function's
/// statements would show as a difference.
pub async fn audit_is_clean(app: &TestApp) {
    app.sql.batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ").await.expect("begin");
    let problems = app.sql.query("SELECT projection, row_key, problem FROM audit_replay()", &[]).await.expect("replay");
    app.sql.batch_execute("COMMIT").await.expect("commit");
    let problems: Vec<(String, String, String)> = problems.iter().map(|r| (r.get(0), r.get(1), r.get(2))).collect();
    assert!(problems.is_empty(), "audit_replay found differences: {problems:?}");
}

/// What `audit_chat_timeline` says of a chat's events of type `kind`, in log order.
/// Retention's progress is a gauge of the whole process (`tutorchat_retention_backlog_messages`),
/// which a test asserts: the tests that run retention take turns.
pub async fn one_retention_at_a_time() -> tokio::sync::MutexGuard<'static, ()> {
    static LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    LOCK.lock().await
}

pub async fn timeline(app: &TestApp, chat: i64, kind: &str) -> Vec<String> {
    let rows = app
        .sql
        .query("SELECT content FROM audit_chat_timeline($1) WHERE event_type = $2", &[&chat, &kind])
        .await
        .expect("timeline");
    rows.iter().map(|r| r.get(0)).collect()
}

pub(crate) async fn created_at(app: &TestApp, message: i64) -> time::OffsetDateTime {
    app.sql.query_one("SELECT created_at FROM messages WHERE id = $1", &[&message]).await.expect("message").get(0)
}

#[tokio::test]
async fn retention_purges_exactly_the_messages_older_than_the_limit_by_the_clock_the_test_sets() {
    let _turn = one_retention_at_a_time().await;
    let a = TestApp::spawn_with(|c| {
        c.governance.retention = Some(time::Duration::days(30));
        c.append.editing = true;
    })
    .await;
    let (teacher, student) = (a.user("teacher", "Teacher").await, a.user("student", "Student").await);
    let chat = a.chat(&teacher, &student).await;
    let file = uploaded(&a, &student, chat, "homework.txt", b"old homework, to be forgotten").await;
    let (status, old) = send_with(&a, &student, chat, "an old secret", &[file]).await;
    assert_eq!(status, 201, "{old}");
    let old = old["id"].as_i64().expect("id");
    assert_eq!(a.edit(&student, old, "an old secret, edited").await.status(), 200);
    let older = a.send(&teacher, chat, "another old one").await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    let fresh = a.send(&teacher, chat, "a recent message").await;
    let between = created_at(&a, older).await + (created_at(&a, fresh).await - created_at(&a, older).await) / 2;
    let mut live = a.stream(&student, None).await;

    // The job's clock: 30 days after the moment between the old messages and the recent one.
    let purged =
        tutorchat::governance::retention::run_at(&a.state, between + time::Duration::days(30)).await.expect("run");
    assert_eq!(purged, 2, "the two messages older than the limit, and nothing newer");

    let event = loop {
        let event = live.event().await;
        if event.event == "messages_purged" {
            break event.json();
        }
    };
    assert_eq!(
        (event["message_ids"].clone(), event["purged"]["cause"].as_str()),
        (json!([old, older]), Some("retention"))
    );

    let (_, page) =
        status_and_json(a.get(&format!("/api/chats/{chat}/messages"), &student).send().await.expect("h")).await;
    let messages = page["messages"].as_array().expect("messages");
    let shown = |id: i64| messages.iter().find(|m| m["id"] == id).cloned().expect("still listed");
    assert_eq!((shown(old)["content"].as_str(), shown(old)["purged"]["cause"].as_str()), (Some(""), Some("retention")));
    assert_eq!(shown(old)["attachments"], json!([]));
    assert_eq!(shown(fresh)["content"], "a recent message");
    assert!(shown(fresh)["purged"].is_null());

    // The text is gone from every table, the log included; the file from storage.
    purged_files_deleted(&a).await;
    let dump = full_dump(&a).await;
    for gone in ["an old secret", "another old one", "homework.txt"] {
        assert!(!dump.contains(gone), "{gone:?} is still in the database");
    }
    assert!(dump.contains("a recent message"));
    assert!(!a.state.storage.has(&sha256(b"old homework, to be forgotten")).await.expect("has"));

    // A purged message is no longer unread (nothing of it is left to read): the teacher's count
    // of the student's old message goes; the audit explains it; the job has nothing more to do.
    assert_eq!(a.unread(&teacher, chat).await, 0, "the student's purged message is not unread for the teacher");
    let timeline = timeline(&a, chat, "messages_purged").await;
    assert!(timeline[0].starts_with("purged by retention on "), "{timeline:?}");
    audit_is_clean(&a).await;
    let again =
        tutorchat::governance::retention::run_at(&a.state, between + time::Duration::days(30)).await.expect("run");
    assert_eq!(again, 0);
    let metrics = a.metrics().await;
    assert!(metrics.contains("tutorchat_messages_purged_total{cause=\"retention\"}"), "progress in /metrics");
    assert_eq!(a.metric("tutorchat_retention_backlog_messages").await, Some(0.0), "caught up");

    // A horizon in the log's future is refused by the log itself.
    let future = time::OffsetDateTime::now_utc() + time::Duration::days(1);
    assert!(tutorchat::governance::retention::purge(&a.state, future).await.is_err());
}

/// Asks for `user`'s erasure and waits until the server has completed it.
pub async fn erase(app: &TestApp, admin: &User, user: &User) {
    let response = app
        .http
        .post(app.url(&format!("/api/admin/users/{}/erase", user.id)))
        .bearer_auth(&admin.token)
        .json(&json!({ "reason": "the parent asked, letter of 2026-11-20" }))
        .send()
        .await
        .expect("erase");
    let (status, body) = status_and_json(response).await;
    assert_eq!((status, body["user_id"].as_i64()), (202, Some(user.id)), "{body}");
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let done: bool = app
            .sql
            .query_one("SELECT erased_at IS NOT NULL FROM users WHERE id = $1", &[&user.id])
            .await
            .expect("user")
            .get(0);
        if done {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "the erasure did not complete");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The purged files' bytes deleted, by this call or by the governance job, which may hold a
/// deletion of its own while it deletes from the storage: its row leaves the queue only with the
/// commit that follows the storage's answer.
async fn purged_files_deleted(app: &TestApp) {
    tutorchat::governance::delete_purged_files(&app.state.db, &app.state.storage).await.expect("files");
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let queued: i64 = app.sql.query_one("SELECT count(*) FROM file_deletions", &[]).await.expect("queue").get(0);
        if queued == 0 {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "{queued} purged files are still queued for deletion");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// What an erased student leaves: their messages (with a file and an edit) in a direct chat
/// and a report of theirs; the teacher's messages stay whole. `app` has editing on.
pub async fn erasure_leaves_nothing(app: &TestApp) {
    let (teacher, admin) = (app.user("teacher", "Teacher").await, app.user("admin", "Admin").await);
    let student = app.user("student", "Zinaida Erasable").await;
    let email: String =
        app.sql.query_one("SELECT email FROM users WHERE id = $1", &[&student.id]).await.expect("email").get(0);
    let chat = app.chat(&teacher, &student).await;
    let file = uploaded(app, &student, chat, "my-diary.txt", b"the diary of a child").await;
    let (status, sent) = send_with(app, &student, chat, "my phone is 555-0199", &[file]).await;
    assert_eq!(status, 201, "{sent}");
    let phone = sent["id"].as_i64().expect("id");
    assert_eq!(app.edit(&student, phone, "my phone is 555-0199, call me").await.status(), 200);
    for i in 0..7 {
        app.send(&student, chat, &format!("childhood memory {i}")).await;
    }
    let rude = app.send(&teacher, chat, "teacher's words stay").await;
    let response = app
        .http
        .post(app.url(&format!("/api/messages/{rude}/report")))
        .bearer_auth(&student.token)
        .json(&json!({ "reason": "my private complaint" }))
        .send()
        .await
        .expect("report");
    assert_eq!(response.status(), 201);

    erase(app, &admin, &student).await;
    purged_files_deleted(app).await;

    let dump = full_dump(app).await;
    for gone in ["555-0199", "childhood memory", "my-diary.txt", "Zinaida", &email, "my private complaint"] {
        assert!(!dump.contains(gone), "{gone:?} is still in the database after the erasure");
    }
    assert!(dump.contains("teacher's words stay"));
    assert!(!app.state.storage.has(&sha256(b"the diary of a child")).await.expect("has"), "the file's bytes remain");
    // A replica forgets whom it knew of an erased person as its listener reads the erasure's
    // request; the listener may be held back a moment by another test's open transaction.
    app.settled().await;
    let (status, _) = status_and_json(app.get("/api/me", &student).send().await.expect("me")).await;
    assert_eq!(status, 401, "an erased person can no longer sign in");
    let timeline = timeline(app, chat, "messages_purged").await;
    assert!(
        timeline[0].starts_with(&format!("erased on request of user {} (the parent asked", student.id)),
        "{timeline:?}"
    );
    assert!(timeline[0].contains("by Admin"), "{timeline:?}");
    audit_is_clean(app).await;
}

#[tokio::test]
async fn an_erased_persons_text_and_files_are_nowhere_in_the_database_or_the_file_system() {
    let app = TestApp::spawn_with(|c| (c.governance.purge_batch, c.append.editing) = (3, true)).await;
    erasure_leaves_nothing(&app).await;
    let (status, users) = {
        let admin = app.user("admin", "Other admin").await;
        status_and_json(app.get("/api/admin/users?q=erased", &admin).send().await.expect("users")).await
    };
    assert_eq!(status, 200);
    let erased: Vec<&Value> = users["users"].as_array().expect("users").iter().collect();
    assert!(erased.iter().any(|u| u["erasure"]["completed_at"].is_string() && u["email"].is_null()), "{users}");
}

/// What was written about a purged message goes with it: the reasons of its reports and of its
/// hide (they may quote it), in the log too; and a guest none of whose messages is left past
/// retention loses their name (security review L5). The audit still says a report and a hide
/// happened.
#[tokio::test]
async fn retention_takes_the_reasons_about_a_message_and_a_guests_name_with_its_text() {
    let _turn = one_retention_at_a_time().await;
    let a = TestApp::spawn_with(|c| c.governance.retention = Some(time::Duration::days(30))).await;
    let (teacher, _, guest, inquiry) = crate::inquiries::inquiry(&a).await;
    let admin = a.user("admin", "Admin").await;
    let rude = a.send(&guest, inquiry, "you are a terrible teacher").await;
    let post = |path: String, user: &User, body: Value| {
        let request = a.http.post(a.url(&path)).bearer_auth(&user.token).json(&body);
        async move { request.send().await.expect("POST").status().as_u16() }
    };
    let quoting = json!({ "reason": "says: you are a terrible teacher" });
    assert_eq!(post(format!("/api/messages/{rude}/report"), &teacher, quoting.clone()).await, 201);
    assert_eq!(post(format!("/api/admin/messages/{rude}/hide"), &admin, quoting).await, 204);
    assert!(full_dump(&a).await.contains("Мама Пети"));

    // A horizon just after the guest's question and the rude message: both are past it.
    tokio::time::sleep(Duration::from_millis(20)).await;
    let horizon = time::OffsetDateTime::now_utc();
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(tutorchat::governance::retention::purge(&a.state, horizon).await.expect("purge"), 2);

    let dump = full_dump(&a).await;
    for gone in ["terrible teacher", "Мама Пети"] {
        assert!(!dump.contains(gone), "{gone:?} is still in the database");
    }
    let reported = timeline(&a, inquiry, "message_reported").await;
    assert!(reported[0].starts_with(&format!("reported message {rude}:")), "{reported:?}");
    let hidden = timeline(&a, inquiry, "message_hidden").await;
    assert_eq!(hidden, [format!("hid message {rude}: (reason purged with the message)")]);
    let (_, me) = status_and_json(a.get("/api/me", &teacher).send().await.expect("me")).await;
    assert_eq!(me["user"]["name"], "Иван Петров", "only the guest's name goes");
    audit_is_clean(&a).await;
}
