//! The real binary: start-up failures are one line naming the setting, `serve` serves, logs
//! carry no secrets, SIGTERM stops it.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde_json::json;

use crate::helpers::{SECRET, TestApp, fresh_database, open_stream, token_for};

fn tutorchat() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tutorchat"));
    for var in ["DATABASE_URL", "JWT_SECRET", "LISTEN_ADDR", "DEV_LOGIN", "DATA_DIR", "RUST_LOG", "LOG_FORMAT"] {
        command.env_remove(var);
    }
    command
}

/// `tutorchat serve` with a valid JWT secret (the other settings are the test's).
fn serve() -> Command {
    let mut command = tutorchat();
    command.arg("serve").env("JWT_SECRET", SECRET);
    command
}

/// Runs to completion and returns (success, the non-empty lines of stderr).
fn fails_with(command: &mut Command) -> Vec<String> {
    let output = command.stdin(Stdio::null()).output().expect("run tutorchat");
    assert!(!output.status.success(), "expected a failure, got {:?}", output.status);
    String::from_utf8_lossy(&output.stderr).lines().filter(|l| !l.trim().is_empty()).map(str::to_owned).collect()
}

fn one_line_naming(lines: &[String], variable: &str) {
    assert_eq!(lines.len(), 1, "expected one line, got {lines:#?}");
    assert!(lines[0].contains(variable), "{:?} does not name {variable}", lines[0]);
}

#[test]
fn an_unparseable_database_url_is_one_line_naming_it() {
    let lines = fails_with(tutorchat().arg("serve").env("JWT_SECRET", SECRET).env("DATABASE_URL", "postgres://[::1"));
    one_line_naming(&lines, "DATABASE_URL");
}

#[test]
fn an_unreachable_database_is_one_line_naming_it() {
    let lines = fails_with(
        tutorchat()
            .arg("serve")
            .env("JWT_SECRET", SECRET)
            .env("LISTEN_ADDR", "127.0.0.1:0")
            .env("DATABASE_URL", "postgres://nobody:secret-password@127.0.0.1:1/nothing"),
    );
    one_line_naming(&lines, "DATABASE_URL");
    assert!(!lines[0].contains("secret-password"), "the password leaked: {}", lines[0]);
}

#[test]
fn a_bad_read_database_setting_is_one_line_naming_it() {
    one_line_naming(&fails_with(serve().env("READ_DATABASE_URL", "postgres://[::1")), "READ_DATABASE_URL");
    one_line_naming(&fails_with(serve().env("READ_WAIT_MS", "briefly")), "READ_WAIT_MS");
    one_line_naming(&fails_with(serve().env("READ_WAIT_MS", "60000")), "READ_WAIT_MS");
}

#[test]
fn a_notice_retention_shorter_than_the_quiet_period_is_one_line_naming_it() {
    one_line_naming(&fails_with(serve().env("NOTIFY_KEEP_SECS", "a month")), "NOTIFY_KEEP_SECS");
    one_line_naming(&fails_with(serve().env("NOTIFY_KEEP_SECS", "60")), "NOTIFY_KEEP_SECS");
    one_line_naming(
        &fails_with(serve().env("NOTIFY_QUIET_SECS", "120").env("NOTIFY_KEEP_SECS", "119")),
        "NOTIFY_KEEP_SECS",
    );
}

#[test]
fn a_short_or_missing_jwt_secret_is_refused() {
    one_line_naming(&fails_with(tutorchat().arg("serve").env("JWT_SECRET", "short")), "JWT_SECRET");
    one_line_naming(&fails_with(tutorchat().arg("serve")), "JWT_SECRET");
    one_line_naming(
        &fails_with(tutorchat().arg("serve").env("LISTEN_ADDR", "nowhere").env("JWT_SECRET", SECRET)),
        "LISTEN_ADDR",
    );
}

#[test]
fn a_missing_or_inconsistent_sign_in_setting_is_one_line_naming_it() {
    let https = "https://idp.school.example/realms/school";
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[("OIDC_CLIENT_ID", "chat")], "OIDC_CLIENT_ID"),
        (&[("OIDC_AUDIENCE", "chat")], "OIDC_AUDIENCE"),
        (&[("OIDC_ISSUER", "http://idp.school.example"), ("OIDC_AUDIENCE", "chat")], "OIDC_ISSUER"),
        (&[("OIDC_ISSUER", "not a url"), ("OIDC_AUDIENCE", "chat")], "OIDC_ISSUER"),
        (&[("OIDC_ISSUER", https)], "OIDC_AUDIENCE"),
        (&[("OIDC_ISSUER", https), ("OIDC_CLIENT_ID", "chat")], "PUBLIC_URL"),
        (
            &[("OIDC_ISSUER", https), ("OIDC_CLIENT_ID", "chat"), ("PUBLIC_URL", "https://chat.example/app")],
            "PUBLIC_URL",
        ),
        (&[("OIDC_ISSUER", https), ("OIDC_AUDIENCE", "chat"), ("OIDC_CLIENT_SECRET", "s")], "OIDC_CLIENT_ID"),
        (&[("ALLOWED_ORIGINS", "*")], "ALLOWED_ORIGINS"),
        (&[("ALLOWED_ORIGINS", "https://school.example/page")], "ALLOWED_ORIGINS"),
    ];
    for (env, variable) in cases {
        let mut command = serve();
        for var in
            ["OIDC_ISSUER", "OIDC_AUDIENCE", "OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET", "PUBLIC_URL", "ALLOWED_ORIGINS"]
        {
            command.env_remove(var);
        }
        command.envs(env.iter().copied());
        one_line_naming(&fails_with(&mut command), variable);
    }
}

#[test]
fn the_demo_secret_once_published_in_compose_is_refused_outside_demo_mode() {
    let published = "demo-only-secret-change-me-0123456789abcdef";
    let lines = fails_with(tutorchat().arg("serve").env("JWT_SECRET", published));
    one_line_naming(&lines, "JWT_SECRET");
    assert!(lines[0].contains("published"), "{}", lines[0]);
}

#[test]
fn missing_postgres_binaries_say_what_to_install_or_set() {
    let lines = fails_with(tutorchat().arg("migrate").env("PG_BINDIR", "/nonexistent/bin"));
    one_line_naming(&lines, "PG_BINDIR");
}

#[tokio::test]
async fn a_port_in_use_is_one_line_naming_listen_addr() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let database = fresh_database().await;
    let url = config_url(&database);
    let lines = fails_with(
        tutorchat()
            .arg("serve")
            .env("JWT_SECRET", SECRET)
            .env("DATABASE_URL", url)
            .env("LISTEN_ADDR", taken.local_addr().expect("addr").to_string()),
    );
    one_line_naming(&lines, "LISTEN_ADDR");
}

/// A key=value connection string for a test database (unix socket or TCP).
fn config_url(config: &tokio_postgres::Config) -> String {
    let host = match &config.get_hosts()[0] {
        tokio_postgres::config::Host::Tcp(h) => h.clone(),
        tokio_postgres::config::Host::Unix(p) => p.display().to_string(),
    };
    let mut url = format!(
        "host={host} port={} user={} dbname={}",
        config.get_ports().first().copied().unwrap_or(5432),
        config.get_user().unwrap_or("postgres"),
        config.get_dbname().unwrap_or("postgres")
    );
    if let Some(password) = config.get_password() {
        url.push_str(&format!(" password={}", String::from_utf8_lossy(password)));
    }
    url
}

struct Running {
    child: Child,
    addr: String,
    /// What it printed up to "listening on".
    startup: Vec<String>,
    stderr: std::sync::mpsc::Receiver<String>,
}

/// Starts `tutorchat serve` and waits for its "listening on" line.
fn start(command: &mut Command) -> Running {
    let mut child =
        command.env("LISTEN_ADDR", "127.0.0.1:0").stdin(Stdio::null()).stderr(Stdio::piped()).spawn().expect("spawn");
    let (tx, rx) = std::sync::mpsc::channel();
    let stderr = child.stderr.take().expect("stderr");
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut startup = Vec::new();
    loop {
        let Ok(line) = rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) else {
            let _ = child.kill();
            let _ = child.wait();
            panic!("tutorchat did not start listening");
        };
        if let Some(addr) = line.split("listening on http://").nth(1) {
            return Running { child, addr: addr.trim().to_owned(), startup, stderr: rx };
        }
        startup.push(line);
    }
}

impl Running {
    /// SIGTERM, then the exit status and everything it printed (but the "listening on" line).
    fn stop(&mut self) -> (std::process::ExitStatus, Vec<String>) {
        kill(Pid::from_raw(self.child.id() as i32), Signal::SIGTERM).expect("SIGTERM");
        let deadline = Instant::now() + Duration::from_secs(15);
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!("tutorchat did not exit within 15 s of SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        (status, self.startup.drain(..).chain(self.stderr.try_iter()).collect())
    }
}

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

#[tokio::test]
async fn json_logs_are_one_object_per_line() {
    let app = TestApp::spawn().await;
    let mut running = start(
        tutorchat()
            .arg("serve")
            .env("JWT_SECRET", SECRET)
            .env("LOG_FORMAT", "json")
            .env("DATABASE_URL", config_url(&app.database)),
    );
    let health = reqwest::get(format!("http://{}/healthz", running.addr)).await.expect("healthz");
    assert_eq!(health.status(), 200);
    let (status, lines) = running.stop();
    assert!(status.success());
    let request = lines
        .iter()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|v| v["fields"]["message"] == "request")
        .unwrap_or_else(|| panic!("no JSON request line in {lines:#?}"));
    assert_eq!(request["fields"]["path"], "/healthz");
    assert_eq!(request["fields"]["status"], 200);
    assert!(request["fields"]["latency_ms"].is_number() && request["level"] == "INFO");
}

#[tokio::test]
async fn every_log_line_of_a_request_carries_its_route_and_request_id() {
    let app = TestApp::spawn().await;
    let user = app.user("student", "S").await;
    let email: String =
        app.sql.query_one("SELECT email FROM users WHERE id = $1", &[&user.id]).await.expect("email").get(0);
    let mut running = start(
        tutorchat()
            .arg("serve")
            .env("JWT_SECRET", SECRET)
            .env("DEV_LOGIN", "true")
            .env("LOG_FORMAT", "json")
            .env("DATABASE_URL", config_url(&app.database)),
    );
    let http = reqwest::Client::new();
    let login = http
        .post(format!("http://{}/api/dev/login", running.addr))
        .header("x-request-id", "req-42.a")
        .json(&json!({ "email": email }))
        .send()
        .await
        .expect("login");
    assert_eq!(login.status(), 200);
    assert_eq!(login.headers()["x-request-id"], "req-42.a", "the request id is echoed");
    let health = http.get(format!("http://{}/healthz", running.addr)).send().await.expect("healthz");
    let generated = health.headers()["x-request-id"].to_str().expect("text").to_owned();
    assert!(generated.len() >= 16, "a request without an id gets one: {generated:?}");

    let (status, lines) = running.stop();
    assert!(status.success());
    let lines: Vec<serde_json::Value> = lines.iter().filter_map(|l| serde_json::from_str(l).ok()).collect();
    assert!(
        lines.iter().any(|l| l["level"] == "WARN"
            && l["fields"]["message"].as_str().is_some_and(|m| m.contains("DEV_LOGIN is on without --demo"))),
        "dev login outside demo mode is announced loudly: {lines:#?}"
    );
    // The request's span, wherever it is in the line's stack of spans (a handler's own span
    // sits inside it).
    let request_span = |line: &serde_json::Value| -> Option<serde_json::Value> {
        line["spans"].as_array()?.iter().find(|s| s["name"] == "request").cloned()
    };
    let of_login: Vec<&serde_json::Value> =
        lines.iter().filter(|l| request_span(l).is_some_and(|s| s["request_id"] == "req-42.a")).collect();
    let messages: Vec<&str> = of_login.iter().filter_map(|l| l["fields"]["message"].as_str()).collect();
    assert!(
        messages.contains(&"signed in with dev login") && messages.contains(&"request"),
        "the handler's line and the request line both carry the request id: {of_login:#?}"
    );
    for line in of_login {
        let span = request_span(line).expect("the request span");
        assert_eq!(span["route"], "/api/dev/login", "{line}");
        assert_eq!(span["method"], "POST", "{line}");
    }
    assert!(
        lines
            .iter()
            .filter_map(request_span)
            .any(|s| s["request_id"] == generated.as_str() && s["route"] == "/healthz"),
        "the generated id is the one logged: {lines:#?}"
    );
}
