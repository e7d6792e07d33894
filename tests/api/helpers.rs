//! The test harness: one PostgreSQL server per test process (yours via `DATABASE_URL`, or a
//! private one started from the machine's binaries), a fresh database per test, and the
//! application started the way `main` starts it, on port 0.

use std::net::SocketAddr;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use tokio_postgres::{Client, NoTls};
use tokio_util::sync::CancellationToken;
use tutorchat::config::{StorageConfig, parse_database_url, pg_bindir_from_env};
use tutorchat::dev::embedded::{EmbeddedPostgres, Options};
use tutorchat::{AppState, Application, Config};

pub const SECRET: &str = Config::TEST_SECRET;

enum Server {
    External(tokio_postgres::Config),
    Private(EmbeddedPostgres),
}

static SERVER: OnceLock<Server> = OnceLock::new();

/// The server every test of this process uses, started on first use.
pub fn server() -> tokio_postgres::Config {
    let server = SERVER.get_or_init(|| match std::env::var("DATABASE_URL") {
        Ok(url) if !url.trim().is_empty() => Server::External(parse_database_url(&url).expect("DATABASE_URL")),
        _ => {
            let base = std::env::temp_dir().join(format!("tutorchat-test-{}", std::process::id()));
            let bindir = pg_bindir_from_env().expect("PG_BINDIR");
            let options = Options { durable: false, remove_on_exit: true, bindir, settings: Vec::new() };
            Server::Private(EmbeddedPostgres::start(&base, options).expect("start a private PostgreSQL for the tests"))
        }
    });
    match server {
        Server::External(config) => config.clone(),
        Server::Private(pg) => pg.config("postgres"),
    }
}

/// A streaming standby of the test server (`pg_basebackup`), of its own: stopped and removed
/// when dropped. `None` when the tests run against your `DATABASE_URL`, whose standby this
/// harness cannot make.
pub async fn start_standby() -> Option<EmbeddedPostgres> {
    server();
    let Some(Server::Private(primary)) = SERVER.get() else {
        eprintln!("skipped: a standby needs the private test server (DATABASE_URL is set)");
        return None;
    };
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let base = std::env::temp_dir().join(format!(
        "tutorchat-test-standby-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let standby = tokio::task::spawn_blocking(move || primary.start_standby(&base)).await.expect("task");
    Some(standby.expect("start a standby of the test server"))
}

pub async fn connect(config: &tokio_postgres::Config) -> Client {
    let (client, connection) = config.connect(NoTls).await.expect("connect to the test database");
    tokio::spawn(connection);
    client
}

/// A new, empty database on the test server (no migrations applied), dropped when the last
/// handle to it goes (so that tests against a long-lived `DATABASE_URL` leave nothing behind).
pub struct TestDatabase {
    config: tokio_postgres::Config,
    name: String,
}

impl std::ops::Deref for TestDatabase {
    type Target = tokio_postgres::Config;
    fn deref(&self) -> &Self::Target {
        &self.config
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        // Drop runs inside the test's runtime, which cannot be blocked on: a thread of its own
        // connects and drops the database, ending whatever sessions a test left open.
        let _ = std::fs::remove_dir_all(std::env::temp_dir().join(format!("{}-files", self.name)));
        let (admin, name) = (server(), self.name.clone());
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            runtime.block_on(async {
                let client = connect(&admin).await;
                client.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await
            })
        })
        .join();
        if let Ok(Err(e)) = dropped {
            eprintln!("could not drop test database {}: {e}", self.name);
        }
    }
}

pub async fn fresh_database() -> TestDatabase {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    let name = format!("tutorchat_test_{}_{}_{nanos}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
    let admin = server();
    connect(&admin).await.batch_execute(&format!("CREATE DATABASE {name}")).await.expect("create test database");
    let mut config = admin;
    config.dbname(&name);
    TestDatabase { config, name }
}

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
        Self::spawn_on(std::sync::Arc::new(fresh_database().await), customize).await
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
        let http = reqwest::Client::builder().build().expect("http client");
        let fresh = reqwest::Client::builder().pool_max_idle_per_host(0).build().expect("http client");
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
    let a = TestApp::spawn().await;
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

/// Status and JSON body, asserting that an error body has the `{"error": "..."}` shape.
pub async fn status_and_json(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    let body: Value =
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("status {status}: body is not JSON: {text:?}"));
    if status >= 400 {
        let message = body["error"].as_str().unwrap_or_else(|| panic!("status {status}: no error message in {body}"));
        assert!(!message.is_empty(), "empty error message");
    }
    (status, body)
}

/// One item of an event stream, parsed by the rules of the SSE format.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Event(Event),
    Comment(String),
    Retry(u64),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub id: Option<String>,
    pub event: String,
    pub data: String,
}

impl Event {
    pub fn position(&self) -> i64 {
        self.id
            .as_deref()
            .and_then(|id| id.parse().ok())
            .unwrap_or_else(|| panic!("event without a numeric id: {self:?}"))
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.data).unwrap_or_else(|e| panic!("data is not JSON ({e}): {:?}", self.data))
    }
}

/// A test client for `GET /api/events/chat`; `None` from the channel means the server ended it.
pub struct Stream {
    items: tokio::sync::mpsc::UnboundedReceiver<Option<Item>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Stream {
    fn drop(&mut self) {
        self.task.abort(); // drops the connection
    }
}

impl TestApp {
    /// Waits until this replica's listener is connected and has dispatched everything committed
    /// so far, so that a stream opened now starts quiet (it would otherwise, correctly, also
    /// get events committed just before it opened, such as the fixtures' `chat_created`).
    pub async fn settled(&self) {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let head = tutorchat::log::head(&self.sql).await.expect("log head");
            if self.state.hub.is_listening() && self.state.hub.head() >= head {
                return;
            }
            assert!(std::time::Instant::now() < deadline, "the replica's listener did not catch up");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    pub async fn stream(&self, user: &User, last_event_id: Option<&str>) -> Stream {
        self.settled().await;
        open_stream(&self.fresh, &self.url("/api/events/chat"), &user.token, last_event_id).await
    }
}

pub async fn open_stream(http: &reqwest::Client, url: &str, token: &str, last_event_id: Option<&str>) -> Stream {
    let mut request = http.get(url).bearer_auth(token);
    if let Some(id) = last_event_id {
        request = request.header("last-event-id", id);
    }
    let response = request.send().await.expect("GET /api/events/chat");
    assert_eq!(response.status(), 200, "opening the event stream");
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    assert_eq!(response.headers()["cache-control"], "no-cache");
    assert_eq!(response.headers()["x-accel-buffering"], "no");
    stream_from(response)
}

/// Parses an open `text/event-stream` response in a background task.
pub fn stream_from(response: reqwest::Response) -> Stream {
    use futures::StreamExt;
    let (tx, items) = tokio::sync::mpsc::unbounded_channel();
    let task = tokio::spawn(async move {
        let mut body = response.bytes_stream();
        let (mut buffer, mut fields) = (Vec::<u8>::new(), Vec::<(String, String)>::new());
        while let Some(Ok(chunk)) = body.next().await {
            buffer.extend_from_slice(&chunk);
            while let Some(end) = buffer.iter().position(|b| *b == b'\n') {
                let line = String::from_utf8(buffer.drain(..=end).collect()).expect("utf-8");
                let line = line.trim_end_matches('\n');
                if line.is_empty() {
                    if let Some(item) = assemble(std::mem::take(&mut fields)) {
                        let _ = tx.send(Some(item));
                    }
                } else if let Some(comment) = line.strip_prefix(':') {
                    let _ = tx.send(Some(Item::Comment(comment.trim().to_owned())));
                } else {
                    let (name, value) = line.split_once(':').unwrap_or((line, ""));
                    fields.push((name.to_owned(), value.strip_prefix(' ').unwrap_or(value).to_owned()));
                }
            }
        }
        let _ = tx.send(None);
    });
    Stream { items, task }
}

/// One blank-line-terminated block; like a browser, a block without data dispatches nothing.
fn assemble(fields: Vec<(String, String)>) -> Option<Item> {
    let mut event = Event { id: None, event: "message".into(), data: String::new() };
    let mut data = Vec::new();
    for (name, value) in fields {
        match name.as_str() {
            "retry" if event.id.is_none() && data.is_empty() => return value.parse().ok().map(Item::Retry),
            "id" => event.id = Some(value),
            "event" => event.event = value,
            "data" => data.push(value),
            other => panic!("unexpected SSE field {other:?}"),
        }
    }
    if data.is_empty() {
        return None;
    }
    event.data = data.join("\n");
    Some(Item::Event(event))
}

impl Stream {
    /// The next item, however long it takes; `None` once the stream has ended.
    #[allow(dead_code)] // used by tests/faults, which shares this file
    pub async fn recv(&mut self) -> Option<Item> {
        self.items.recv().await.flatten()
    }

    /// The next item, waiting at most `within`; `None` when the server closed the stream.
    pub async fn item(&mut self, within: Duration) -> Option<Item> {
        tokio::time::timeout(within, self.items.recv())
            .await
            .unwrap_or_else(|_| panic!("nothing on the event stream within {within:?}"))
            .flatten()
    }

    /// The next event, skipping comments, retry hints and `presence` signals (which any
    /// stream may get whenever someone it shares a chat with opens or closes their last
    /// stream; tests of presence read them with [`Stream::any_event`]).
    pub async fn event(&mut self) -> Event {
        self.event_within(Duration::from_secs(10)).await
    }

    pub async fn event_within(&mut self, within: Duration) -> Event {
        loop {
            let event = self.any_event_within(within).await;
            if event.event != "presence" {
                return event;
            }
        }
    }

    /// The next event of any kind, skipping only comments and retry hints.
    pub async fn any_event(&mut self) -> Event {
        self.any_event_within(Duration::from_secs(10)).await
    }

    pub async fn any_event_within(&mut self, within: Duration) -> Event {
        loop {
            match self.item(within).await {
                Some(Item::Event(event)) => return event,
                Some(_) => continue,
                None => panic!("the server closed the event stream"),
            }
        }
    }

    pub async fn events(&mut self, n: usize) -> Vec<Event> {
        let mut events = Vec::with_capacity(n);
        for _ in 0..n {
            events.push(self.event().await);
        }
        events
    }

    /// Waits for the server to close the stream, returning what came before.
    pub async fn until_closed(&mut self, within: Duration) -> Vec<Event> {
        let mut events = Vec::new();
        loop {
            match self.item(within).await {
                Some(Item::Event(event)) => events.push(event),
                Some(_) => {}
                None => return events,
            }
        }
    }
}

/// Terminates the log listeners' connections to this database (`pg_terminate_backend`), as a
/// network failure or a DBA would; returns how many there were.
pub async fn kill_listeners(sql: &tokio_postgres::Client) -> i64 {
    sql.query_one(
        "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE application_name = 'tutorchat-listener' AND datname = current_database()) t",
        &[],
    )
    .await
    .expect("terminate")
    .get(0)
}

/// One call the webhook received.
#[derive(Debug, Clone)]
pub struct Call {
    pub id: String,
    pub timestamp: String,
    pub signature: String,
    pub body: String,
}

impl Call {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("a JSON body")
    }
}

/// A webhook receiver (the school's): records every call and answers the scripted statuses in
/// turn (then 200); while `hanging`, it records calls and never answers them.
#[derive(Clone, Default)]
pub struct Receiver {
    calls: std::sync::Arc<std::sync::Mutex<Vec<Call>>>,
    script: std::sync::Arc<std::sync::Mutex<std::collections::VecDeque<u16>>>,
    pub hanging: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Receiver {
    pub async fn start() -> (Self, String) {
        let receiver = Self::default();
        let state = receiver.clone();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
                let state = state.clone();
                async move {
                    let header =
                        |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
                    let call = Call {
                        id: header("webhook-id"),
                        timestamp: header("webhook-timestamp"),
                        signature: header("webhook-signature"),
                        body,
                    };
                    state.calls.lock().expect("lock").push(call);
                    if state.hanging.load(std::sync::atomic::Ordering::SeqCst) {
                        std::future::pending::<()>().await;
                    }
                    let status = state.script.lock().expect("lock").pop_front().unwrap_or(200);
                    axum::http::StatusCode::from_u16(status).expect("status")
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
        tokio::spawn(async move { axum::serve(listener, app).await });
        (receiver, url)
    }

    pub fn calls(&self) -> Vec<Call> {
        self.calls.lock().expect("lock").clone()
    }

    pub fn answer(&self, statuses: &[u16]) {
        self.script.lock().expect("lock").extend(statuses);
    }

    /// Waits until at least `n` calls arrived (or 15 s), then `settle` more for stragglers.
    pub async fn wait_for(&self, n: usize, settle: Duration) -> Vec<Call> {
        let deadline = std::time::Instant::now() + Duration::from_secs(15);
        while self.calls().len() < n && std::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        tokio::time::sleep(settle).await;
        self.calls()
    }
}

/// Every file under `dir` (none if it does not exist).
pub fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    entries.flatten().flat_map(|e| if e.path().is_dir() { walk(&e.path()) } else { vec![e.path()] }).collect()
}
