//! The peer S10 measures tutorchat against: `bench/peers/socketio`, two Node instances (one per
//! replica) with socket.io's PostgreSQL adapter, on the cluster's own PostgreSQL, in tables of
//! their own (`peer_chats` filled from tutorchat's `chats`: the same pairs and tokens).

use std::path::{Path, PathBuf};
use std::process::Stdio;

use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout};
use tokio_postgres::Client;

use crate::load::{Pair, SECRET};

/// The peer's tables (`CREATE … IF NOT EXISTS`).
const SCHEMA: &str = include_str!("../../../peers/socketio/schema.sql");

/// The peer's two instances while they run.
pub struct Peer {
    instances: Vec<(Child, ChildStdout)>,
    pub urls: Vec<String>,
}

fn project() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("peers/socketio")
}

/// `npm ci` from the committed lockfile when the peer's `node_modules` is missing (what it says
/// on stderr: a quick run's stdout is its results).
pub fn ensure_installed() -> anyhow::Result<()> {
    let project = project();
    if project.join("node_modules").is_dir() {
        return Ok(());
    }
    eprintln!("S10: npm ci --prefix {}", project.display());
    let status = std::process::Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--prefix"])
        .arg(&project)
        .stdout(std::io::stderr())
        .status();
    anyhow::ensure!(
        status.is_ok_and(|s| s.success()),
        "npm ci --prefix {} failed (Node 20 and npm needed)",
        project.display()
    );
    Ok(())
}

/// The peer's tables, its chats the given pairs' (copied from `chats`), emptied of messages.
pub async fn prepare(sql: &Client, pairs: &[Pair]) -> anyhow::Result<()> {
    sql.batch_execute(SCHEMA).await?;
    let chats: Vec<i64> = pairs.iter().map(|p| p.chat).collect();
    sql.execute(
        "INSERT INTO peer_chats (id, student_id, teacher_id) SELECT id, student_id, teacher_id FROM chats
         WHERE id = ANY($1) ON CONFLICT (id) DO NOTHING",
        &[&chats],
    )
    .await?;
    Ok(())
}

impl Peer {
    /// `instances` Node processes on the database whose socket directory is `socket_dir`, each
    /// on a port of its own (it binds port 0 and prints it: started once it has).
    pub async fn start(socket_dir: &Path, instances: usize) -> anyhow::Result<Self> {
        let mut peer = Self { instances: Vec::new(), urls: Vec::new() };
        for _ in 0..instances {
            let mut child = tokio::process::Command::new("node")
                .arg(project().join("server.js"))
                .env("PORT", "0")
                .env("JWT_SECRET", SECRET)
                .env("PG_POOL_SIZE", "32")
                .env("PGHOST", socket_dir)
                .env("PGPORT", "5432")
                .env("PGUSER", "postgres")
                .env("PGDATABASE", "tutorchat")
                .stdout(Stdio::piped())
                .kill_on_drop(true)
                .spawn()?;
            let stdout = child.stdout.take().ok_or_else(|| anyhow::anyhow!("the peer's stdout"))?;
            let mut lines = BufReader::new(stdout).lines();
            let first = lines.next_line().await?.unwrap_or_default();
            let addr = first
                .strip_prefix("listening on ")
                .ok_or_else(|| anyhow::anyhow!("the peer did not start (it printed {first:?})"))?;
            peer.urls.push(format!("http://{addr}"));
            peer.instances.push((child, lines.into_inner().into_inner()));
        }
        Ok(peer)
    }

    /// Each instance's process id.
    pub fn pids(&self) -> Vec<u32> {
        self.instances.iter().filter_map(|(child, _)| child.id()).collect()
    }

    pub async fn stop(mut self) {
        for (child, _) in &mut self.instances {
            let _ = child.kill().await;
        }
    }
}

/// What one member's socket on the second instance received of its chat's messages, which wrk
/// posted through both instances: the half posted through the first reached it only through
/// the PostgreSQL adapter.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct Delivered {
    pub chat: i64,
    /// The chat's messages that landed.
    pub landed: i64,
    pub received: i64,
}

/// A member's socket (`listen.js`) counting the messages of its chats.
pub struct Listener {
    child: Child,
    stdin: ChildStdin,
    lines: Lines<BufReader<ChildStdout>>,
}

impl Listener {
    /// Connected, and in its chats' rooms, when this returns.
    pub async fn start(url: &str, token: &str) -> anyhow::Result<Self> {
        let mut child = tokio::process::Command::new("node")
            .arg(project().join("listen.js"))
            .args([url, token])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()?;
        let stdin = child.stdin.take().ok_or_else(|| anyhow::anyhow!("the listener's stdin"))?;
        let stdout = child.stdout.take().ok_or_else(|| anyhow::anyhow!("the listener's stdout"))?;
        let mut lines = BufReader::new(stdout).lines();
        let joined = tokio::time::timeout(Duration::from_secs(10), lines.next_line()).await;
        anyhow::ensure!(
            matches!(&joined, Ok(Ok(Some(line))) if line == "joined"),
            "the peer's socket did not join its chats within 10 s ({joined:?})"
        );
        Ok(Self { child, stdin, lines })
    }

    /// How many messages it received, once it has `landed` (or 10 s have passed).
    pub async fn received(mut self, landed: i64) -> anyhow::Result<i64> {
        self.stdin.write_all(format!("{landed}\n").as_bytes()).await?;
        let line = tokio::time::timeout(Duration::from_secs(20), self.lines.next_line()).await??.unwrap_or_default();
        let _ = self.child.wait().await;
        line.strip_prefix("received ")
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| anyhow::anyhow!("the peer's socket printed {line:?}"))
    }
}
