//! `tutorchat serve` running: it serves, stops on SIGTERM, survives `kill -9` mid-erasure, runs a demo.

use std::time::{Duration, Instant};

use serde_json::json;

use super::{config_url, start, tutorchat};
use crate::helpers::{SECRET, TestApp, open_stream, token_for};

#[tokio::test]
async fn serve_answers_health_logs_requests_without_secrets_and_stops_on_sigterm() {
    // The schema and a chat, prepared through a test app on the same database.
    let app = TestApp::spawn().await;
    let (teacher, student) = (app.user("teacher", "T").await, app.user("student", "S").await);
    let chat = app.chat(&teacher, &student).await;
    let mut running =
        start(tutorchat().arg("serve").env("JWT_SECRET", SECRET).env("DATABASE_URL", config_url(&app.database)));
    let base = format!("http://{}", running.addr);
    let http = reqwest::Client::new();

    let health = http.get(format!("{base}/healthz")).send().await.expect("healthz");
    assert_eq!(health.status(), 200);
    let secret_text = "very private homework answer";
    let token = token_for(student.id);
    let sent = http
        .post(format!("{base}/api/messages"))
        .bearer_auth(&token)
        .json(&json!({ "chat_id": chat, "content": secret_text }))
        .send()
        .await
        .expect("post");
    assert_eq!(sent.status(), 201);
    let login = http.post(format!("{base}/api/dev/login")).json(&json!({"email": "x@y"})).send().await.expect("login");
    assert_eq!(login.status(), 403, "dev login is off outside demo mode");

    // An open event stream does not hold up shutdown: it is closed, and the process exits.
    let mut stream = open_stream(&http, &format!("{base}/api/events/chat"), &token, Some("0")).await;
    let replayed = stream.event().await;
    assert_eq!(replayed.event, "chat_created", "resuming from 0 replays the chat's history");
    let (status, lines) = running.stop();
    stream.until_closed(Duration::from_secs(5)).await;
    assert!(status.success(), "exit status {status:?}");
    let log = lines.join("\n");
    assert!(log.contains("method=GET") && log.contains("path=/healthz") && log.contains("status=200"), "{log}");
    assert!(log.contains("path=/api/messages") && log.contains("status=201") && log.contains("latency_ms="), "{log}");
    assert!(!log.contains(secret_text), "message text reached the log");
    assert!(!log.contains(&token), "a token reached the log");
}

/// An erasure is resumable: a replica killed with `kill -9` after its first batch leaves the
/// rest to the next pass, here the same replica started again, and the erasure completes with
/// nothing half done (the audit finds no difference).
#[tokio::test]
async fn a_replica_killed_mid_erasure_completes_it_after_restart() {
    let app = TestApp::spawn().await;
    let (teacher, student, admin) =
        (app.user("teacher", "T").await, app.user("student", "S").await, app.user("admin", "A").await);
    let chat = app.chat(&teacher, &student).await;
    for i in 0..40 {
        app.send(&student, chat, &format!("to be erased {i}")).await;
    }
    let serve = || {
        let mut command = tutorchat();
        command
            .arg("serve")
            .env("JWT_SECRET", SECRET)
            .env("DATABASE_URL", config_url(&app.database))
            .env("PURGE_BATCH", "4")
            .env("PURGE_PAUSE_MS", "400")
            .env("DATA_DIR", std::env::temp_dir().join(format!("{}-files", app.database.name)));
        command
    };
    let mut running = start(&mut serve());
    let erased = reqwest::Client::new()
        .post(format!("http://{}/api/admin/users/{}/erase", running.addr, student.id))
        .bearer_auth(token_for(admin.id))
        .json(&json!({ "reason": "asked by the family" }))
        .send()
        .await
        .expect("erase");
    assert_eq!(erased.status(), 202);

    let purged = || async {
        let row = app
            .sql
            .query_one(
                "SELECT count(*) FILTER (WHERE purged_at IS NOT NULL), count(*) FROM messages WHERE sender_id = $1",
                &[&student.id],
            )
            .await
            .expect("count");
        (row.get::<_, i64>(0), row.get::<_, i64>(1))
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while purged().await.0 == 0 {
        assert!(Instant::now() < deadline, "no batch was purged");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    running.child.kill().expect("kill -9"); // SIGKILL: no shutdown, no cleanup
    let _ = running.child.wait();
    let (done, all) = purged().await;
    assert!(done > 0 && done < all, "killed halfway: {done} of {all} purged");

    let mut again = start(&mut serve());
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let erased: bool = app
            .sql
            .query_one("SELECT erased_at IS NOT NULL FROM users WHERE id = $1", &[&student.id])
            .await
            .expect("user")
            .get(0);
        if erased {
            break;
        }
        assert!(Instant::now() < deadline, "the restarted replica did not complete the erasure");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    again.stop();
    assert_eq!(purged().await, (40, 40));
    let problems = app.sql.query("SELECT * FROM audit_replay()", &[]).await.expect("replay");
    assert!(problems.is_empty(), "audit_replay: {} differences", problems.len());
}

/// The README's run command: no DATABASE_URL, so a private PostgreSQL in DATA_DIR, with demo
/// data and dev login. Stopping tutorchat stops that server too.
#[tokio::test]
async fn serve_demo_without_database_url_runs_its_own_postgres() {
    let data_dir = std::env::temp_dir().join(format!("tutorchat-demo-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data_dir);
    let mut running = start(tutorchat().args(["serve", "--demo"]).env("DATA_DIR", &data_dir));
    let base = format!("http://{}", running.addr);
    let http = reqwest::Client::builder().cookie_store(true).build().expect("client");
    assert_eq!(http.get(format!("{base}/healthz")).send().await.expect("healthz").status(), 200);
    let login = http
        .post(format!("{base}/api/dev/login"))
        .json(&json!({"email": "maria@demo.school"}))
        .send()
        .await
        .expect("login");
    assert_eq!(login.status(), 200);
    let chats: serde_json::Value =
        http.get(format!("{base}/api/chats")).send().await.expect("chats").json().await.expect("json");
    assert_eq!(chats["chats"].as_array().map(Vec::len), Some(1), "the demo student has a chat: {chats}");
    let chat = chats["chats"][0]["id"].as_i64().expect("chat id");
    // Her mother has her own chat with Иван, which the lesson opened, and a word in it.
    let elena = reqwest::Client::builder().cookie_store(true).build().expect("client");
    let login = elena.post(format!("{base}/api/dev/login")).json(&json!({"email": "elena@demo.school"})).send().await;
    assert_eq!(login.expect("login").status(), 200);
    let chats: serde_json::Value =
        elena.get(format!("{base}/api/chats")).send().await.expect("chats").json().await.expect("json");
    let family = chats["chats"].as_array().and_then(|c| c.iter().find(|c| c["kind"] == "family")).expect("family");
    assert_eq!(family["participant"]["name"], "Иван Петров", "{family}");
    assert!(
        family["last_message"]["content"].as_str().is_some_and(|t| t.starts_with("Добрый вечер, Елена")),
        "{family}"
    );
    // A conversation they had, read by both: nothing in it is unread, so nobody is notified or
    // emailed of it when the demo starts.
    assert_eq!(family["unread_count"], 0, "{family}");

    // Иван leaves the school: the admin hands his chat to the demo's second teacher, Анна.
    let admin = reqwest::Client::builder().cookie_store(true).build().expect("client");
    let login = admin.post(format!("{base}/api/dev/login")).json(&json!({"email": "admin@demo.school"})).send().await;
    assert_eq!(login.expect("login").status(), 200);
    let teachers: serde_json::Value = admin
        .get(format!("{base}/api/admin/users?q=demo.school"))
        .send()
        .await
        .expect("users")
        .json()
        .await
        .expect("json");
    let teacher = |name: &str| {
        teachers["users"].as_array().and_then(|users| users.iter().find(|u| u["name"] == name)).expect(name)["id"]
            .as_i64()
            .expect("id")
    };
    let (ivan, anna) = (teacher("Иван Петров"), teacher("Анна Смирнова"));
    // Cookie-authenticated writes say where they come from (cross-site request protection).
    let left = admin
        .post(format!("{base}/api/admin/users/{ivan}/deactivate"))
        .header("Origin", &base)
        .send()
        .await
        .expect("deactivate");
    assert_eq!(left.status(), 204);
    let handed = admin
        .post(format!("{base}/api/admin/chats/{chat}/hand-over"))
        .header("Origin", &base)
        .json(&json!({"teacher_id": anna}))
        .send()
        .await
        .expect("hand over");
    assert_eq!(handed.status(), 200);

    let (status, _) = running.stop();
    assert!(status.success(), "exit status {status:?}");
    use std::os::unix::fs::PermissionsExt;
    let key = std::fs::metadata(data_dir.join("jwt-secret")).expect("the demo's signing key");
    assert_eq!(key.permissions().mode() & 0o077, 0, "the demo's signing key is readable by its owner only");
    let pidfile = data_dir.join("postgres/data/postmaster.pid");
    let deadline = Instant::now() + Duration::from_secs(15);
    while pidfile.exists() {
        assert!(Instant::now() < deadline, "the private PostgreSQL is still running after tutorchat exited");
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = std::fs::remove_dir_all(&data_dir);
}
