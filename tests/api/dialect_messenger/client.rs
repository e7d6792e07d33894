//! The official socket.io client (npm `socket.io-client` 4, tests/socketio/client.mjs) run by
//! node: the test writes `{"emit", "data"}` lines to its stdin and reads what happened from its
//! stdout, one JSON line each. Installed by `ensure_socketio_client` in scripts/lib.sh.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, Command};

/// Which transports the client may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transports {
    /// The client's default: long-polling first, then the upgrade to a WebSocket.
    PollingThenUpgrade,
    WebsocketOnly,
    /// Long-polling only, never upgraded: every exchange a request of its own.
    PollingOnly,
}

pub const BOTH: [Transports; 2] = [Transports::PollingThenUpgrade, Transports::WebsocketOnly];

/// What the client sends as `auth`.
pub enum Auth<'a> {
    /// `{token, id}`, as the contract's client sends it.
    Token(&'a str),
    /// Exactly this object (or none at all: `Value::Null`).
    Raw(Value),
}

/// A running client, killed when dropped.
pub struct Sio {
    _child: Child,
    stdin: ChildStdin,
    lines: tokio::sync::mpsc::UnboundedReceiver<Value>,
}

impl Sio {
    /// Starts a client for `urls` (the next one on each of socket.io's reconnection attempts).
    pub fn start(urls: &[String], auth: Auth<'_>, transports: Transports, reconnect: bool) -> Self {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/socketio");
        assert!(
            dir.join("node_modules/socket.io-client").exists(),
            "the socket.io test client is not installed: run `npm ci --prefix tests/socketio` (scripts/test does, ensure_socketio_client)"
        );
        let mut command = Command::new("node");
        command.arg(dir.join("client.mjs"));
        for url in urls {
            command.arg("--url").arg(url);
        }
        match auth {
            Auth::Token(token) => command.arg("--token").arg(token),
            Auth::Raw(Value::Null) => &mut command,
            Auth::Raw(auth) => command.arg("--auth").arg(auth.to_string()),
        };
        match transports {
            Transports::PollingThenUpgrade => {}
            Transports::WebsocketOnly => _ = command.arg("--websocket-only"),
            Transports::PollingOnly => _ = command.arg("--polling-only"),
        }
        if !reconnect {
            command.arg("--no-reconnect");
        }
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("start node tests/socketio/client.mjs");
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

    /// The client's next report (`connect`, `upgrade`, `connect_error`, `disconnect`, `frame`).
    pub async fn report(&mut self, within: Duration) -> Value {
        tokio::time::timeout(within, self.lines.recv())
            .await
            .unwrap_or_else(|_| panic!("the socket.io client reported nothing within {within:?}"))
            .expect("the socket.io client exited")
    }

    /// Waits for `connect` (skipping an `upgrade`), and gives it.
    pub async fn connected(&mut self) -> Value {
        loop {
            let report = self.report(crate::helpers::PATIENCE).await;
            if report["event"] != "upgrade" {
                assert_eq!(report["event"], "connect", "{report}");
                return report;
            }
        }
    }

    /// The first report that is not the transport's upgrade (a refused connection's).
    pub async fn refusal(&mut self) -> Value {
        loop {
            let report = self.report(crate::helpers::PATIENCE).await;
            if report["event"] != "upgrade" {
                return report;
            }
        }
    }

    /// Emits `event` with `data`.
    pub async fn emit(&mut self, event: &str, data: Value) {
        let line = json!({ "emit": event, "data": data }).to_string();
        self.stdin.write_all(format!("{line}\n").as_bytes()).await.expect("write to the client");
        self.stdin.flush().await.expect("flush");
    }

    /// The next event's data, which must be `name`; `user_status` events and the transport's
    /// upgrade are skipped unless asked for.
    pub async fn frame(&mut self, name: &str) -> Value {
        loop {
            let report = self.report(crate::helpers::PATIENCE).await;
            if report["event"] == "upgrade" {
                continue;
            }
            assert_eq!(report["event"], "frame", "waiting for {name}: {report}");
            if report["name"] == "user_status" && name != "user_status" {
                continue;
            }
            assert_eq!(report["name"], name, "{report}");
            return report["data"].clone();
        }
    }
}
