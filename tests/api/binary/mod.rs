//! The real binary: start-up failures are one line naming the setting, `serve` serves, logs
//! carry no secrets, SIGTERM stops it.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use crate::helpers::SECRET;

mod logs;
mod serving;
mod startup;

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

/// A key=value connection string for a test database (unix socket or TCP).
pub(crate) fn config_url(config: &tokio_postgres::Config) -> String {
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
