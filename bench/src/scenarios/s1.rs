//! S1: write throughput with group commit, one transaction per request, and pgbench running
//! the same INSERT as the ceiling.

use std::time::Duration;

use serde::{Deserialize, Serialize};

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
            result.pgbench_one_per_transaction = load::pgbench(cluster.topology(), 1, 16, None, run).await?.per_second;
            result.pgbench_twenty_per_transaction =
                load::pgbench(cluster.topology(), 20, 16, None, run).await?.per_second;
            eprintln!(
                "S1 pgbench ceiling: {:.0} msg/s (1 per transaction), {:.0} msg/s (20 per transaction)",
                result.pgbench_one_per_transaction, result.pgbench_twenty_per_transaction
            );
        }
        cluster.stop().await;
    }
    Ok(result)
}
