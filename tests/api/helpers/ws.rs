//! A real WebSocket client for the tests of the dialects' sockets (`/api/v1/ws`, the unet-chat
//! dialect's per-conversation one, its token in the URL it is given): tests/ws/client.py, Python's
//! `websockets` (written independently of the server's tungstenite), run with the Python of
//! `scripts/test`'s virtualenv (`ensure_ws_client` in scripts/lib.sh). The test writes frames
//! to its stdin and reads what happened from its stdout, one JSON line each.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, Command};

use super::app::{TestApp, User};

/// The Python with `websockets`: `WS_CLIENT_PYTHON` (which `scripts/test` exports), else the
/// virtualenv's (`WS_VENV`, by default .data/ws-venv under the crate).
fn python(root: &Path) -> PathBuf {
    if let Some(python) = std::env::var_os("WS_CLIENT_PYTHON").filter(|p| !p.is_empty()) {
        return PathBuf::from(python);
    }
    let venv = std::env::var_os("WS_VENV")
        .filter(|v| !v.is_empty())
        .map_or_else(|| root.join(".data/ws-venv"), |v| root.join(v));
    let python = venv.join("bin/python");
    assert!(
        python.exists(),
        "the WebSocket test client's Python is missing (no WS_CLIENT_PYTHON, no {}): run scripts/test, which builds its virtualenv (ensure_ws_client in scripts/lib.sh)",
        python.display()
    );
    python
}

/// How a client presents its token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WsCredential {
    Header,
    Query,
}

/// A running client, killed when dropped.
pub struct WsClient {
    _child: Child,
    stdin: ChildStdin,
    lines: tokio::sync::mpsc::UnboundedReceiver<Value>,
}

impl TestApp {
    /// `user`'s socket on this replica, its token in `credential`; waits until it is open.
    pub async fn socket(&self, user: &User, credential: WsCredential) -> WsClient {
        self.settled().await;
        let mut client = WsClient::start(&[self.ws_url()], Some((&user.token, credential)), false);
        client.opened().await;
        client
    }

    /// `ws://…/api/v1/ws` of this replica.
    pub fn ws_url(&self) -> String {
        format!("ws://{}/api/v1/ws", self.addr)
    }
}

impl WsClient {
    /// Starts a client for `urls` (the next one after each close, with `reconnect`).
    pub fn start(urls: &[String], token: Option<(&str, WsCredential)>, reconnect: bool) -> Self {
        let urls: Vec<String> = urls
            .iter()
            .map(|url| match token {
                Some((token, WsCredential::Query)) => format!("{url}?token={token}"),
                _ => url.clone(),
            })
            .collect();
        let headers: Vec<String> = match token {
            Some((token, WsCredential::Header)) => vec![format!("Authorization: Bearer {token}")],
            _ => Vec::new(),
        };
        Self::start_with_headers(&urls, &headers, reconnect)
    }

    /// Starts a client for `urls` as they are, sending `headers` (`Name: value`) with each
    /// handshake.
    pub fn start_with_headers(urls: &[String], headers: &[String], reconnect: bool) -> Self {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut command = Command::new(python(root));
        command.arg(root.join("tests/ws/client.py"));
        for url in urls {
            command.arg("--url").arg(url);
        }
        for header in headers {
            command.arg("--header").arg(header);
        }
        if reconnect {
            command.arg("--reconnect");
        }
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("start tests/ws/client.py");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut reader = BufReader::new(stdout).lines();
            while let Ok(Some(line)) = reader.next_line().await {
                let value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("client line {line:?}: {e}"));
                if tx.send(value).is_err() {
                    return;
                }
            }
        });
        Self { _child: child, stdin, lines }
    }

    /// The client's next report (`open`, `refused`, `frame`, `closed`), within `within`.
    pub async fn report(&mut self, within: Duration) -> Value {
        tokio::time::timeout(within, self.lines.recv())
            .await
            .unwrap_or_else(|_| panic!("the WebSocket client reported nothing within {within:?}"))
            .expect("the WebSocket client exited")
    }

    /// Waits for `open`.
    pub async fn opened(&mut self) {
        let report = self.report(super::PATIENCE).await;
        assert_eq!(report["event"], "open", "{report}");
    }

    /// Sends one text frame.
    pub async fn send_text(&mut self, text: &str) {
        assert!(!text.contains('\n'), "one frame per line");
        self.stdin.write_all(format!("{text}\n").as_bytes()).await.expect("write to the client");
        self.stdin.flush().await.expect("flush");
    }

    /// Sends `{"type": kind, "data": data}`.
    pub async fn send(&mut self, kind: &str, data: Value) {
        self.send_text(&serde_json::json!({ "type": kind, "data": data }).to_string()).await;
    }

    /// The next frame's JSON of type `kind`, skipping `presence` frames unless asked for them;
    /// anything else first fails the test.
    pub async fn frame(&mut self, kind: &str) -> Value {
        loop {
            let report = self.report(super::PATIENCE).await;
            assert_eq!(report["event"], "frame", "waiting for a {kind} frame: {report}");
            let frame = &report["data"];
            if frame["type"] == "presence" && kind != "presence" {
                continue;
            }
            assert_eq!(frame["type"], kind, "{frame}");
            return frame["data"].clone();
        }
    }
}
