//! A real OpenID Provider for the tests: `oidc-provider` from npm, started from
//! tests/oidc/provider.mjs on a port of its own (see tests/oidc/README.md), with the endpoints
//! it has for tests: a token from the real authorization-code flow, tokens signed with its
//! keys (or others) by `jose`, its public keys, key rotation.

use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, ChildStdin, Command};
use tutorchat::config::{OidcClient, OidcConfig, Secret};

use super::app::{TestApp, User};
use super::free_port;

/// The `aud` of the provider's access tokens (`--audience`).
pub const AUDIENCE: &str = "tutorchat-api";
pub const CLIENT_ID: &str = "tutorchat";
pub const CLIENT_SECRET: &str = "tutorchat-test-secret";

pub struct TestProvider {
    child: Child,
    /// Closing it stops the provider, also when this process dies without dropping it.
    _stdin: ChildStdin,
    pub issuer: String,
    http: reqwest::Client,
}

impl TestProvider {
    /// Starts a provider that sends browsers back to `chat` (`http://127.0.0.1:PORT`), both
    /// after signing in and after signing out.
    pub async fn start(chat: &str) -> Self {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oidc");
        assert!(
            dir.join("node_modules/oidc-provider").exists(),
            "the test OpenID Provider is not installed: run `npm ci --prefix tests/oidc` (scripts/test does)"
        );
        let mut child = Command::new("node")
            .arg(dir.join("provider.mjs"))
            .args(["--port", "0", "--audience", AUDIENCE])
            .args(["--redirect-uri", &format!("{chat}/api/auth/callback")])
            .args(["--post-logout-redirect-uri", &format!("{chat}/")])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start node tests/oidc/provider.mjs");
        let stdin = child.stdin.take().expect("stdin");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let ready = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
            .await
            .expect("the provider starts within 30 s")
            .expect("read the provider's output")
            .expect("the provider prints READY");
        let ready: Value = serde_json::from_str(ready.strip_prefix("READY ").expect("a READY line")).expect("JSON");
        let issuer = ready["issuer"].as_str().expect("issuer").to_owned();
        Self { child, _stdin: stdin, issuer, http: reqwest::Client::new() }
    }

    /// This chat's settings for the provider: its access tokens for the API, and the browser
    /// sign-in as the confidential client `tutorchat` at `chat`.
    pub fn config(&self, chat: &str) -> OidcConfig {
        OidcConfig {
            issuer: self.issuer.clone(),
            audience: AUDIENCE.into(),
            user_claim: "email".into(),
            client: Some(OidcClient {
                id: CLIENT_ID.into(),
                secret: Some(Secret::new(CLIENT_SECRET)),
                public_url: url::Url::parse(chat).expect("the chat's URL"),
                session_ttl: Duration::from_secs(3600),
            }),
            keys_refetch: Duration::ZERO,
            provisioning: Default::default(),
        }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut request = self.http.request(method, format!("{}{path}", self.issuer));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("call the provider");
        let status = response.status();
        let body: Value = response.json().await.expect("the provider's JSON");
        assert!(status.is_success(), "{path}: {status} {body}");
        body
    }

    /// An access token (and an ID token) the provider issues to `login` through its real
    /// authorization-code flow with PKCE.
    pub async fn token(&self, login: &str) -> (String, String) {
        let body = self.call(reqwest::Method::POST, "/__test/token", Some(json!({ "login": login }))).await;
        (
            body["access_token"].as_str().expect("access_token").into(),
            body["id_token"].as_str().expect("id_token").into(),
        )
    }

    /// A token signed by `jose` as `request` says (`alg`, `claims`, `header`, `key`, `hmac_key`).
    pub async fn sign(&self, request: Value) -> String {
        self.call(reqwest::Method::POST, "/__test/sign", Some(request)).await["token"].as_str().expect("token").into()
    }

    /// The published public keys (`keys`) and their PEMs (`pem`).
    pub async fn keys(&self) -> Value {
        self.call(reqwest::Method::GET, "/__test/keys", None).await
    }

    /// New signing keys; the previous ones stay published.
    pub async fn rotate(&self) -> Vec<String> {
        let body = self.call(reqwest::Method::POST, "/__test/rotate", Some(json!({}))).await;
        body["kids"].as_array().expect("kids").iter().map(|k| k.as_str().expect("kid").to_owned()).collect()
    }

    /// Stops the provider (it is down from now on).
    pub async fn stop(&mut self) {
        let _ = self.child.kill().await;
    }
}

/// A replica whose address the provider knows (it sends browsers back there), with the
/// provider's settings and then `customize`'s; the provider; the replica's URL.
pub async fn school(customize: impl FnOnce(&mut tutorchat::Config)) -> (TestApp, TestProvider, String) {
    let port = free_port();
    let chat = format!("http://127.0.0.1:{port}");
    let provider = TestProvider::start(&chat).await;
    let oidc = provider.config(&chat);
    let app = TestApp::spawn_with(|c| {
        c.http.listen_addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
        c.auth.oidc = Some(oidc);
        customize(c);
    })
    .await;
    (app, provider, chat)
}

impl TestApp {
    /// The user's email, the name the school's provider knows them by.
    pub async fn email_of(&self, user: &User) -> String {
        self.sql.query_one("SELECT email FROM users WHERE id = $1", &[&user.id]).await.expect("email").get(0)
    }
}
