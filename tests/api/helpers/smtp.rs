//! A real mail server for the email tests: tests/smtp/server.py (aiosmtpd), started on a port of
//! its own with the Python of `scripts/test`'s virtualenv (`ensure_smtp_server` in
//! scripts/lib.sh). Every message delivered to it is read back with Python's own email parser
//! and handed over as JSON ([`Mail`]), in the order it arrived.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde::Deserialize;
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

/// A message as the server received and parsed it.
#[derive(Debug, Clone, Deserialize)]
pub struct Mail {
    pub rcpt_tos: Vec<String>,
    pub from: String,
    pub to: String,
    pub subject: String,
    pub list_unsubscribe: String,
    pub list_unsubscribe_post: String,
    pub text: String,
}

/// A running mail server, stopped when dropped (and when this process dies: its stdin closes).
pub struct SmtpServer {
    /// `smtp://127.0.0.1:PORT` (with TLS: `…?tls=required` or `smtps://…`), for `SMTP_URL`.
    pub url: String,
    /// With TLS: the PEM of the authority that issued the server's certificate, for `SMTP_CA_FILE`.
    pub ca: Option<PathBuf>,
    lines: Lines<BufReader<ChildStdout>>,
    _child: Child,
    _stdin: ChildStdin,
}

/// The server's next line as it starts.
async fn first_line(lines: &mut Lines<BufReader<ChildStdout>>) -> String {
    tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .expect("the mail server starts within 30 s")
        .expect("read the mail server's output")
        .expect("the mail server prints `listening on PORT` (its error, if any, is above)")
}

/// `SMTP_SERVER_PYTHON` (which `scripts/test` exports), else the virtualenv's python.
fn python(root: &Path) -> PathBuf {
    if let Some(python) = std::env::var_os("SMTP_SERVER_PYTHON").filter(|p| !p.is_empty()) {
        return PathBuf::from(python);
    }
    let venv = std::env::var_os("SMTP_VENV")
        .filter(|v| !v.is_empty())
        .map_or_else(|| root.join(".data/smtp-venv"), |v| root.join(v));
    let python = venv.join("bin/python");
    assert!(
        python.exists(),
        "the test mail server's Python is missing (no SMTP_SERVER_PYTHON, no {}): run scripts/test, which builds its virtualenv (ensure_smtp_server in scripts/lib.sh)",
        python.display()
    );
    python
}

/// How the server speaks TLS.
#[derive(Debug, Clone, Copy)]
pub enum SmtpTls {
    /// It requires STARTTLS (`smtp://…?tls=required`).
    StartTls,
    /// TLS from the first byte (`smtps://`).
    Wrapper,
}

impl SmtpServer {
    /// A server without TLS.
    pub async fn start() -> Self {
        Self::launch(None).await
    }

    /// A server speaking TLS with a certificate for 127.0.0.1 from an authority of its own ([`Self::ca`]).
    pub async fn with_tls(tls: SmtpTls) -> Self {
        Self::launch(Some(tls)).await
    }

    async fn launch(tls: Option<SmtpTls>) -> Self {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let python = python(root);
        let mut command = Command::new(&python);
        command.arg(root.join("tests/smtp/server.py"));
        match tls {
            Some(SmtpTls::StartTls) => command.args(["--tls", "starttls"]),
            Some(SmtpTls::Wrapper) => command.args(["--tls", "wrapper"]),
            None => &mut command,
        };
        let mut child = command
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("start {} tests/smtp/server.py: {e}", python.display()));
        let stdin = child.stdin.take().expect("the mail server's stdin");
        let mut lines = BufReader::new(child.stdout.take().expect("the mail server's stdout")).lines();
        let mut line = first_line(&mut lines).await;
        let ca = tls.map(|_| {
            let path = line.strip_prefix("ca ").unwrap_or_else(|| panic!("not `ca PATH`: {line}"));
            PathBuf::from(path)
        });
        if ca.is_some() {
            line = first_line(&mut lines).await;
        }
        let port = line.strip_prefix("listening on ").unwrap_or_else(|| panic!("not `listening on PORT`: {line}"));
        let url = match tls {
            None => format!("smtp://127.0.0.1:{port}"),
            Some(SmtpTls::StartTls) => format!("smtp://127.0.0.1:{port}?tls=required"),
            Some(SmtpTls::Wrapper) => format!("smtps://127.0.0.1:{port}"),
        };
        Self { url, ca, lines, _child: child, _stdin: stdin }
    }

    /// The next message delivered, within `within`.
    pub async fn mail(&mut self, within: Duration) -> Mail {
        let line = tokio::time::timeout(within, self.lines.next_line())
            .await
            .unwrap_or_else(|_| panic!("no email arrived within {within:?}"))
            .expect("read the mail server's output")
            .expect("the mail server stopped");
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("the mail server's line is not a message ({e}): {line}"))
    }

    /// Asserts that no message arrives for `wait`.
    pub async fn none_for(&mut self, wait: Duration) {
        if let Ok(line) = tokio::time::timeout(wait, self.lines.next_line()).await {
            panic!("an email arrived that should not have: {line:?}");
        }
    }
}
