//! The application side of the harness: a replica started the way `main` starts it, on port
//! 0, on a test's database; users with tokens; and typed helpers for the REST calls most tests
//! make.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use tokio_postgres::Client;
use tokio_util::sync::CancellationToken;
use tutorchat::config::StorageConfig;
use tutorchat::{AppState, Application, Config};

use super::db::{TestDatabase, connect, migrated_database};

pub const SECRET: &str = Config::TEST_SECRET;

pub fn test_config(database: tokio_postgres::Config) -> Config {
    Config { database: Some(database), ..Config::for_tests() }
}

pub struct TestApp {
    pub addr: SocketAddr,
    /// Shared by the replicas of one test; dropped with the last of them.
    pub database: std::sync::Arc<TestDatabase>,
    /// Direct SQL for arranging and checking, outside the application.
    pub sql: Client,
    pub http: reqwest::Client,
    /// Opens each request on a connection of its own, as nginx does for event streams (which
    /// the replica then answers without hyper: `tutorchat::serve`).
    pub fresh: reqwest::Client,
    pub shutdown: CancellationToken,
    pub state: AppState,
}

#[derive(Debug, Clone)]
pub struct User {
    pub id: i64,
    pub token: String,
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    pub async fn spawn_with(customize: impl FnOnce(&mut Config)) -> Self {
        Self::spawn_on(std::sync::Arc::new(migrated_database().await), customize).await
    }

    /// Another replica on the same database.
    pub async fn replica(&self) -> Self {
        Self::spawn_on(self.database.clone(), |_| {}).await
    }

    pub async fn spawn_on(database: std::sync::Arc<TestDatabase>, customize: impl FnOnce(&mut Config)) -> Self {
        // TEST_LOG=warn (RUST_LOG's syntax) shows the servers' logs, for debugging a test.
        if let Ok(filter) = std::env::var("TEST_LOG") {
            tutorchat::telemetry::init(tutorchat::config::LogFormat::Text, &filter);
        }
        let mut config = test_config((**database).clone());
        // The replicas of one test share their files, as they share their database.
        config.storage = StorageConfig::local(std::env::temp_dir().join(format!("{}-files", database.name)));
        customize(&mut config);
        let app = Application::build(config).await.expect("build the application");
        let addr = app.local_addr();
        let shutdown = app.shutdown_token();
        let state = app.state().clone();
        tokio::spawn(app.run_until_stopped());
        let sql = connect(&database).await;
        // Plain HTTP to the replica: no root certificates (loading the system's, as a client
        // does by default, cost every test a few milliseconds of parsing).
        let plain = || reqwest::Client::builder().tls_certs_only([]);
        let http = plain().build().expect("http client");
        let fresh = plain().pool_max_idle_per_host(0).build().expect("http client");
        Self { addr, database, sql, http, fresh, shutdown, state }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// `GET /metrics`, as text. (The recorder is the process's: every replica of every test
    /// running in it counts into the same series.)
    pub async fn metrics(&self) -> String {
        self.http.get(self.url("/metrics")).send().await.expect("metrics").text().await.expect("metrics text")
    }

    /// The value of an unlabelled series of `GET /metrics`, if it has one.
    pub async fn metric(&self, name: &str) -> Option<f64> {
        let text = self.metrics().await;
        text.lines().find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
    }

    pub async fn user(&self, role: &str, name: &str) -> User {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let email = format!("{role}{}@test.school", NEXT.fetch_add(1, Ordering::Relaxed));
        let id: i64 = self
            .sql
            .query_one(
                "INSERT INTO users (email, name, role) VALUES ($1, $2, $3) RETURNING id",
                &[&email, &name, &role],
            )
            .await
            .expect("insert user")
            .get(0);
        User { id, token: token_for(id) }
    }

    /// The token of a new provisioning client with `scopes` (`scim`, `lessons`), as
    /// `tutorchat provisioning-client create` prints it.
    pub async fn provisioning_token(&self, scopes: &[&str]) -> String {
        use tutorchat::provisioning::{Scope, clients};
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let name = format!("client{}", NEXT.fetch_add(1, Ordering::Relaxed));
        let scopes: Vec<Scope> = scopes.iter().map(|s| Scope::parse(s).expect("scim or lessons")).collect();
        clients::create(&self.sql, &name, &scopes).await.expect("create a provisioning client")
    }

    /// A completed lesson of `teacher` with each of `ids` who is a student, which opens their
    /// direct chat (a teacher adds to a group only students they completed a lesson with);
    /// nothing when `teacher` is no teacher.
    pub async fn teaches(&self, teacher: &User, ids: &[i64]) {
        self.sql
            .execute(
                "INSERT INTO lessons (teacher_id, student_id, scheduled_at, status)
                 SELECT t.id, s.id, now() - interval '1 hour', 'completed' FROM users t, users s
                 WHERE t.id = $1 AND t.role = 'teacher' AND s.id = ANY($2) AND s.role = 'student'",
                &[&teacher.id, &ids],
            )
            .await
            .expect("complete lessons");
    }

    /// A scheduled lesson of the two (opening nothing until it is completed); returns its id.
    pub async fn scheduled_lesson(&self, teacher: &User, student: &User) -> i64 {
        self.sql
            .query_one(
                "INSERT INTO lessons (teacher_id, student_id, scheduled_at, status) VALUES ($1, $2, now(), 'scheduled') RETURNING id",
                &[&teacher.id, &student.id],
            )
            .await
            .expect("schedule a lesson")
            .get(0)
    }

    /// A completed lesson between the two, which opens their chat; returns the chat id.
    pub async fn chat(&self, teacher: &User, student: &User) -> i64 {
        self.sql
            .execute(
                "INSERT INTO lessons (teacher_id, student_id, scheduled_at, status) VALUES ($1, $2, now(), 'completed')",
                &[&teacher.id, &student.id],
            )
            .await
            .expect("insert lesson");
        self.sql
            .query_one("SELECT id FROM chats WHERE teacher_id = $1 AND student_id = $2", &[&teacher.id, &student.id])
            .await
            .expect("the lesson trigger opened a chat")
            .get(0)
    }

    pub fn get(&self, path: &str, user: &User) -> reqwest::RequestBuilder {
        self.http.get(self.url(path)).bearer_auth(&user.token)
    }

    pub async fn post_message(&self, user: &User, chat_id: i64, content: &str) -> reqwest::Response {
        self.http
            .post(self.url("/api/messages"))
            .bearer_auth(&user.token)
            .json(&json!({ "chat_id": chat_id, "content": content }))
            .send()
            .await
            .expect("POST /api/messages")
    }

    /// Posts and insists on success; returns the new message's id.
    pub async fn send(&self, user: &User, chat_id: i64, content: &str) -> i64 {
        let response = self.post_message(user, chat_id, content).await;
        assert_eq!(response.status(), 201, "sending {content:?}");
        response.json::<Value>().await.expect("json")["id"].as_i64().expect("message id")
    }

    /// `POST /api/chats/{chat}/read`, with `{"up_to_message_id": up_to}` or no body.
    pub async fn read(&self, user: &User, chat_id: i64, up_to: Option<i64>) -> reqwest::Response {
        let request = self.http.post(self.url(&format!("/api/chats/{chat_id}/read"))).bearer_auth(&user.token);
        let request = match up_to {
            Some(id) => request.json(&json!({ "up_to_message_id": id })),
            None => request,
        };
        request.send().await.expect("POST read")
    }

    /// `PUT /api/messages/{id}` with the new text.
    pub async fn edit(&self, user: &User, id: i64, content: &str) -> reqwest::Response {
        self.http
            .put(self.url(&format!("/api/messages/{id}")))
            .bearer_auth(&user.token)
            .json(&json!({ "content": content }))
            .send()
            .await
            .expect("PUT message")
    }

    /// Posts a reply to `parent`.
    pub async fn post_reply(&self, user: &User, chat_id: i64, content: &str, parent: i64) -> reqwest::Response {
        self.http
            .post(self.url("/api/messages"))
            .bearer_auth(&user.token)
            .json(&json!({ "chat_id": chat_id, "content": content, "reply_to_message_id": parent }))
            .send()
            .await
            .expect("POST /api/messages")
    }

    /// The caller's `unread_count` for `chat_id` in `GET /api/chats`.
    pub async fn unread(&self, user: &User, chat_id: i64) -> i64 {
        let (status, body) = status_and_json(self.get("/api/chats", user).send().await.expect("GET /api/chats")).await;
        assert_eq!(status, 200, "{body}");
        let chats = body["chats"].as_array().expect("chats");
        let chat = chats.iter().find(|c| c["id"].as_i64() == Some(chat_id)).expect("the chat is listed");
        chat["unread_count"].as_i64().expect("unread_count")
    }

    pub async fn delete_message(&self, user: &User, id: i64) -> reqwest::Response {
        self.http
            .delete(self.url(&format!("/api/messages/{id}")))
            .bearer_auth(&user.token)
            .send()
            .await
            .expect("DELETE")
    }
}

/// A replica, a teacher and a student with their chat, and an admin.
pub struct Pair {
    pub a: TestApp,
    pub teacher: User,
    pub student: User,
    pub admin: User,
    pub chat: i64,
}

pub async fn pair() -> Pair {
    pair_with(|_| {}).await
}

/// [`pair`] on a replica configured by `customize` (`|c| c.append.editing = true` for a test
/// that edits: a school's choice, off by default).
pub async fn pair_with(customize: impl FnOnce(&mut Config)) -> Pair {
    let a = TestApp::spawn_with(customize).await;
    let (teacher, student, admin) =
        (a.user("teacher", "Teacher").await, a.user("student", "Student").await, a.user("admin", "Admin").await);
    let chat = a.chat(&teacher, &student).await;
    Pair { a, teacher, student, admin, chat }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

pub fn token_for(user_id: i64) -> String {
    sign(&json!({ "sub": user_id.to_string(), "exp": now() + 3600 }), SECRET, Algorithm::HS256)
}

pub fn sign(claims: &Value, secret: &str, algorithm: Algorithm) -> String {
    jsonwebtoken::encode(&Header::new(algorithm), claims, &EncodingKey::from_secret(secret.as_bytes())).expect("sign")
}

pub fn now() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

/// The `Set-Cookie` header a response sets cookie `name` with (`__Host-` and `name` too), if
/// any: a sign-in sets two.
pub fn set_cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    response.headers().get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).find_map(|v| {
        let named = v.split('=').next().unwrap_or_default();
        [name.to_owned(), format!("__Host-{name}")].contains(&named.to_owned()).then(|| v.to_owned())
    })
}

/// Status and JSON body, asserting that an error body has the `{"error": "..."}` shape.
pub async fn status_and_json(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    let body: Value =
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("status {status}: body is not JSON: {text:?}"));
    if status >= 400 {
        let message = body["error"].as_str().unwrap_or_else(|| panic!("status {status}: no error message in {body}"));
        assert!(!message.is_empty(), "empty error message");
        let code = body["code"].as_str().unwrap_or_else(|| panic!("status {status}: no error code in {body}"));
        assert_eq!(status_of_code(code), Some(status), "code {code:?} with status {status}: {body}");
    }
    (status, body)
}

/// The status each error code comes with (the API's contract, written out here independently).
pub fn status_of_code(code: &str) -> Option<u16> {
    Some(match code {
        "invalid_request" | "content_blank" | "content_too_long" => 400,
        "unauthenticated"
        | "token_expired"
        | "session_ended"
        | "guest_session_ended"
        | "provisioning_token_invalid"
        | "provisioning_client_revoked"
        | "account_deactivated" => 401,
        "forbidden"
        | "admin_read_only"
        | "guardian_read_only"
        | "not_author"
        | "editing_off"
        | "not_group_owner"
        | "guest_confined"
        | "announcement_read_only"
        | "cross_site_request"
        | "unknown_user"
        | "account_suspended"
        | "visitor_blocked"
        | "provisioning_scope_missing"
        | "teacher_departed" => 403,
        "not_found" | "push_disabled" => 404,
        "method_not_allowed" => 405,
        "request_timeout" => 408,
        "upgrade_required" => 426,
        "conflict" | "chat_closed" | "message_deleted" | "message_hidden" | "message_purged" | "already_reported"
        | "group_full" | "too_many_pins" | "already_sent" | "role_in_use" | "lesson_completed" | "pair_has_chat"
        | "quiet_hours" | "too_many_scheduled" => 409,
        "expected_user_mismatch" => 409,
        "payload_too_large" => 413,
        "unsupported_media_type" => 415,
        "range_not_satisfiable" => 416,
        "unprocessable"
        | "idempotency_key_reused"
        | "push_endpoint_not_allowed"
        | "unknown_reaction"
        | "send_at_past"
        | "send_at_too_far"
        | "unknown_person"
        | "person_role_mismatch"
        | "person_deactivated" => 422,
        "rate_limited" | "upload_allowance_used_up" => 429,
        "headers_too_large" => 431,
        "internal" => 500,
        "unavailable" => 503,
        _ => return None,
    })
}
