//! S1: write throughput with group commit, one transaction per request, and pgbench running
//! the same INSERT as the ceiling.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use tutorchat::topology::Topology;

use super::Cluster;
use crate::load::{self, Throughput};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct S1 {
    pub seconds_per_run: f64,
    pub replicas: usize,
    pub batched: Vec<Throughput>,
    pub single: Vec<Throughput>,
    /// pgbench, the same INSERT (with its triggers and NOTIFY): messages/s.
    pub pgbench_one_per_transaction: f64,
    pub pgbench_twenty_per_transaction: f64,
    /// The load generator against a route that does no work, requests/s.
    pub generator_ceiling: f64,
}

pub async fn s1(run: Duration, senders: &[usize]) -> anyhow::Result<S1> {
    let mut result = S1 {
        seconds_per_run: run.as_secs_f64(),
        replicas: 2,
        batched: vec![],
        single: vec![],
        pgbench_one_per_transaction: 0.0,
        pgbench_twenty_per_transaction: 0.0,
        generator_ceiling: 0.0,
    };
    for mode in ["batched", "single"] {
        let cluster = Cluster::start(2, &[("APPEND_MODE", mode)]).await?;
        let pairs = load::seed_pairs(&cluster.sql, 256).await?;
        for &n in senders {
            let t = load::closed_loop(&cluster.urls, &pairs, n, run).await;
            eprintln!(
                "S1 {mode:7} {n:4} senders: {:8.0} msg/s  p50 {:.2} ms  p99 {:.2} ms  errors {}  I/O stalled {:.0} ms",
                t.per_second,
                t.latency.p50_ms,
                t.latency.p99_ms,
                t.errors,
                t.io_stalled_ms.unwrap_or(0.0)
            );
            if mode == "batched" { result.batched.push(t) } else { result.single.push(t) }
        }
        if mode == "batched" {
            result.generator_ceiling = load::generator_ceiling(&cluster.urls[0], 128, Duration::from_secs(5)).await;
            eprintln!("S1 generator ceiling: {:.0} requests/s", result.generator_ceiling);
            result.pgbench_one_per_transaction = pgbench(cluster.topology(), 1, run).await?;
            result.pgbench_twenty_per_transaction = pgbench(cluster.topology(), 20, run).await?;
            eprintln!(
                "S1 pgbench ceiling: {:.0} msg/s (1 per transaction), {:.0} msg/s (20 per transaction)",
                result.pgbench_one_per_transaction, result.pgbench_twenty_per_transaction
            );
        }
        cluster.stop().await;
    }
    Ok(result)
}

/// The database's own ceiling for our write: pgbench runs the same INSERT into `events` (so
/// the same triggers: lock, projection, NOTIFY), `per_transaction` messages per statement.
async fn pgbench(topology: &Topology, per_transaction: i64, run: Duration) -> anyhow::Result<f64> {
    let script = std::env::temp_dir().join(format!("tutorchat-pgbench-{}-{per_transaction}.sql", std::process::id()));
    std::fs::write(
        &script,
        format!(
            "\\set chat random(1, 256)\n\
             INSERT INTO events (chat_id, actor_id, type, payload) \
             SELECT c.id, c.student_id, 'message_created', '{{\"content\": \"pgbench message\"}}' \
             FROM chats c, generate_series(1, {per_transaction}) WHERE c.id = :chat;\n"
        ),
    )?;
    let postgres = topology.postgres();
    // Next to the server binaries, or where their symlinks point (Debian: /usr/lib/postgresql/N/bin).
    let beside = |dir: &std::path::Path| Some(dir.join("pgbench")).filter(|p| p.is_file());
    let pgbench = beside(postgres.bindir())
        .or_else(|| postgres.bindir().join("initdb").canonicalize().ok().and_then(|p| p.parent().and_then(beside)))
        .unwrap_or_else(|| "pgbench".into());
    let output = tokio::process::Command::new(pgbench)
        .arg("-h")
        .arg(postgres.socket_dir())
        .args(["-p", "5432", "-U", "postgres", "-n", "-c", "16", "-j", "2", "-T"])
        .arg(run.as_secs().max(1).to_string())
        .arg("-f")
        .arg(&script)
        .arg("tutorchat")
        .output()
        .await?;
    let _ = std::fs::remove_file(&script);
    let text = String::from_utf8_lossy(&output.stdout);
    let tps: f64 = text
        .lines()
        .find_map(|l| l.strip_prefix("tps = ").and_then(|r| r.split_whitespace().next()).and_then(|v| v.parse().ok()))
        .ok_or_else(|| anyhow::anyhow!("pgbench printed no tps: {text} {}", String::from_utf8_lossy(&output.stderr)))?;
    Ok(tps * per_transaction as f64)
}
