//! The test harness: one PostgreSQL server per test process (yours via `DATABASE_URL`, or a
//! private one started from the machine's binaries), a fresh database per test, and the
//! application started the way `main` starts it, on port 0.

use std::net::SocketAddr;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use tokio_postgres::{Client, NoTls};
use tokio_util::sync::CancellationToken;
use tutorchat::config::{JwtConfig, LogFormat, Secret, parse_database_url};
use tutorchat::db::embedded::{EmbeddedPostgres, Options};
use tutorchat::{Application, Config};

pub const SECRET: &str = "test-secret-that-is-long-enough-for-hs256!";

enum Server {
    External(tokio_postgres::Config),
    Private(EmbeddedPostgres),
}

static SERVER: OnceLock<Server> = OnceLock::new();

/// The server every test of this process uses, started on first use.
pub fn server() -> tokio_postgres::Config {
    let server = SERVER.get_or_init(|| match std::env::var("DATABASE_URL") {
        Ok(url) if !url.trim().is_empty() => {
            Server::External(parse_database_url(&url).expect("DATABASE_URL"))
        }
        _ => {
            let base = std::env::temp_dir().join(format!("tutorchat-test-{}", std::process::id()));
            let options = Options {
                durable: false,
                remove_on_exit: true,
            };
            Server::Private(
                EmbeddedPostgres::start(&base, options)
                    .expect("start a private PostgreSQL for the tests"),
            )
        }
    });
    match server {
        Server::External(config) => config.clone(),
        Server::Private(pg) => pg.config("postgres"),
    }
}

pub async fn connect(config: &tokio_postgres::Config) -> Client {
    let (client, connection) = config
        .connect(NoTls)
        .await
        .expect("connect to the test database");
    tokio::spawn(connection);
    client
}

/// A new, empty database on the test server (no migrations applied).
pub async fn fresh_database() -> tokio_postgres::Config {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let name = format!(
        "tutorchat_test_{}_{}_{nanos}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let admin = server();
    connect(&admin)
        .await
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create test database");
    let mut config = admin;
    config.dbname(&name);
    config
}

pub fn test_config(database: tokio_postgres::Config) -> Config {
    Config {
        listen_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        database: Some(database),
        db_pool_size: 8,
        jwt: JwtConfig::new(Secret::new(SECRET)).expect("valid secret"),
        cookie_name: "access_token".into(),
        allowed_origins: vec![],
        dev_login: true,
        max_body_bytes: 64 * 1024,
        data_dir: std::env::temp_dir(),
        log_format: LogFormat::Text,
    }
}

pub struct TestApp {
    pub addr: SocketAddr,
    pub database: tokio_postgres::Config,
    /// Direct SQL for arranging and checking, outside the application.
    pub sql: Client,
    pub http: reqwest::Client,
    pub shutdown: CancellationToken,
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
        let database = fresh_database().await;
        let mut config = test_config(database.clone());
        customize(&mut config);
        let app = Application::build(config)
            .await
            .expect("build the application");
        let addr = app.local_addr();
        let shutdown = app.shutdown_token();
        tokio::spawn(app.run_until_stopped());
        let sql = connect(&database).await;
        let http = reqwest::Client::builder().build().expect("http client");
        Self {
            addr,
            database,
            sql,
            http,
            shutdown,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
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
        User {
            id,
            token: token_for(id),
        }
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
            .query_one(
                "SELECT id FROM chats WHERE teacher_id = $1 AND student_id = $2",
                &[&teacher.id, &student.id],
            )
            .await
            .expect("the lesson trigger opened a chat")
            .get(0)
    }

    pub fn get(&self, path: &str, user: &User) -> reqwest::RequestBuilder {
        self.http.get(self.url(path)).bearer_auth(&user.token)
    }

    pub async fn post_message(
        &self,
        user: &User,
        chat_id: i64,
        content: &str,
    ) -> reqwest::Response {
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
        response.json::<Value>().await.expect("json")["id"]
            .as_i64()
            .expect("message id")
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

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

pub fn token_for(user_id: i64) -> String {
    sign(
        &json!({ "sub": user_id.to_string(), "exp": now() + 3600 }),
        SECRET,
        Algorithm::HS256,
    )
}

pub fn sign(claims: &Value, secret: &str, algorithm: Algorithm) -> String {
    jsonwebtoken::encode(
        &Header::new(algorithm),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .expect("sign")
}

pub fn now() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

/// Status and JSON body, asserting that an error body has the `{"error": "..."}` shape.
pub async fn status_and_json(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    let body: Value = serde_json::from_str(&text)
        .unwrap_or_else(|_| panic!("status {status}: body is not JSON: {text:?}"));
    if status >= 400 {
        let message = body["error"]
            .as_str()
            .unwrap_or_else(|| panic!("status {status}: no error message in {body}"));
        assert!(!message.is_empty(), "empty error message");
    }
    (status, body)
}
