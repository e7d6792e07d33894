//! A Web Push service for the push-notification tests: tests/push/receiver.py, started on a port
//! of its own with the Python of `scripts/test`'s virtualenv (`ensure_push_receiver` in
//! scripts/lib.sh). It checks every push request with libraries independent of the server's:
//! the payload decrypted by http-ece (RFC 8291, aes128gcm), the VAPID signature (RFC 8292)
//! verified by PyJWT. It hands out subscriptions shaped as a browser's, records every push and
//! answers as scripted (tests/push/README.md).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, ChildStdin, Command};

/// A running push receiver, killed when dropped.
pub struct PushReceiver {
    /// Its origin, `http://127.0.0.1:PORT`: the `aud` a VAPID JWT for its endpoints must carry.
    pub url: String,
    /// Started with `kill_on_drop`: dropping it stops the receiver.
    _child: Child,
    /// Closing it also stops the receiver (`--stop-on-stdin-eof`), even when this process dies
    /// without dropping it.
    _stdin: ChildStdin,
    http: reqwest::Client,
}

/// The Python with the receiver's libraries: `PUSH_RECEIVER_PYTHON` (which `scripts/test`
/// exports), else the virtualenv's (`PUSH_VENV`, by default .data/push-venv under the crate).
fn python(root: &Path) -> PathBuf {
    if let Some(python) = std::env::var_os("PUSH_RECEIVER_PYTHON").filter(|p| !p.is_empty()) {
        let python = PathBuf::from(python);
        assert!(
            python.exists(),
            "PUSH_RECEIVER_PYTHON is {}, which does not exist: run scripts/test (its ensure_push_receiver builds the push receiver's virtualenv)",
            python.display()
        );
        return python;
    }
    let venv = std::env::var_os("PUSH_VENV").filter(|v| !v.is_empty()).map_or_else(
        || root.join(".data/push-venv"),
        |v| root.join(v), // an absolute PUSH_VENV stays as it is
    );
    let python = venv.join("bin/python");
    assert!(
        python.exists(),
        "the push receiver's Python is missing (no PUSH_RECEIVER_PYTHON, no {}): run scripts/test, which builds its virtualenv (ensure_push_receiver in scripts/lib.sh)",
        python.display()
    );
    python
}

impl PushReceiver {
    /// Starts a receiver on a free port; it expects no particular VAPID key until
    /// [`PushReceiver::expect_vapid_key`].
    pub async fn start() -> Self {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let python = python(root);
        let mut child = Command::new(&python)
            .arg(root.join("tests/push/receiver.py"))
            .args(["--port", "0", "--stop-on-stdin-eof"])
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit()) // quiet, but for a failure of its own
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("start {} tests/push/receiver.py: {e}", python.display()));
        let stdin = child.stdin.take().expect("the push receiver's stdin");
        let mut lines = BufReader::new(child.stdout.take().expect("the push receiver's stdout")).lines();
        let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
            .await
            .expect("the push receiver starts within 30 s")
            .expect("read the push receiver's output")
            .expect("the push receiver prints `listening on http://127.0.0.1:PORT` (its error, if any, is above)");
        let url = line
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("the push receiver's first line is not `listening on …`: {line}"))
            .to_owned();
        Self { url, _child: child, _stdin: stdin, http: reqwest::Client::new() }
    }

    /// Calls the control API; asserts the status and answers the JSON body (null when empty).
    async fn control(&self, method: reqwest::Method, path: &str, body: Option<Value>, expected: u16) -> Value {
        let mut request = self.http.request(method.clone(), format!("{}{path}", self.url));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap_or_else(|e| panic!("{method} {path} on the push receiver: {e}"));
        let status = response.status();
        let text =
            response.text().await.unwrap_or_else(|e| panic!("{method} {path} on the push receiver: the body: {e}"));
        assert_eq!(status.as_u16(), expected, "{method} {path} on the push receiver: {status} {text}");
        if text.is_empty() {
            return Value::Null;
        }
        serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{method} {path} on the push receiver: not JSON ({e}): {text}"))
    }

    /// A new subscription: its id, and its JSON as a browser's `PushSubscription.toJSON()`
    /// (`endpoint`, `expirationTime`, `keys.p256dh`, `keys.auth`) to register with the server.
    pub async fn subscribe(&self) -> (String, Value) {
        let body = self.control(reqwest::Method::POST, "/_control/subscriptions", Some(json!({})), 201).await;
        let sid = body["id"].as_str().unwrap_or_else(|| panic!("the push receiver's subscription id: {body}"));
        (sid.to_owned(), body["subscription"].clone())
    }

    /// From now on every push must carry this VAPID public key (base64url, as the server
    /// publishes it) as its `k`.
    pub async fn expect_vapid_key(&self, public_key: &str) {
        self.control(reqwest::Method::POST, "/_control/vapid", Some(json!({ "public_key": public_key })), 204).await;
    }

    /// The next (valid) pushes to `sid` are answered these statuses in turn, then 201 again.
    /// A 429 carries `Retry-After: 1`.
    pub async fn answer(&self, sid: &str, statuses: &[u16]) {
        let path = format!("/_control/subscriptions/{sid}/answers");
        self.control(reqwest::Method::POST, &path, Some(json!({ "statuses": statuses })), 204).await;
    }

    /// The subscription expires: every push to it is answered 410 Gone from now on.
    pub async fn expire(&self, sid: &str) {
        self.control(reqwest::Method::DELETE, &format!("/_control/subscriptions/{sid}"), None, 204).await;
    }

    /// Every push request so far, in arrival order: `sid`, `answered`, `headers` (`ttl`,
    /// `urgency`, `topic`, `content_encoding`, `content_type`), `vapid` (`valid`, `error`,
    /// `claims`, `k`), `payload` (the decrypted JSON), `payload_text`, `decrypt_error`.
    pub async fn received(&self) -> Vec<Value> {
        let body = self.control(reqwest::Method::GET, "/_control/received", None, 200).await;
        body["received"].as_array().unwrap_or_else(|| panic!("the push receiver's received: {body}")).clone()
    }

    /// Polls [`PushReceiver::received`] every 50 ms until `pred` holds, and answers it; panics
    /// naming `what`, with everything received, if it does not within `timeout`.
    pub async fn wait_for(&self, what: &str, timeout: Duration, pred: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let received = self.received().await;
            if pred(&received) {
                return received;
            }
            if tokio::time::Instant::now() >= deadline {
                panic!(
                    "the push receiver: no {what} within {timeout:?}; it received {} push request(s):\n{}",
                    received.len(),
                    serde_json::to_string_pretty(&received).unwrap_or_default()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}
