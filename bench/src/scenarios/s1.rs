//! S1: write throughput with group commit, one transaction per request, and pgbench running
//! the same INSERT as the ceiling, and a plain INSERT without the product's triggers.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{Cluster, Server};
use crate::load::{self, Throughput};
use crate::rounds::{Figure, Figures, figure};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct S1 {
    pub seconds_per_run: f64,
    pub replicas: usize,
    pub batched: Vec<Throughput>,
    pub single: Vec<Throughput>,
    /// pgbench, the same INSERT (with its triggers and NOTIFY): messages/s.
    pub pgbench_one_per_transaction: f64,
    pub pgbench_twenty_per_transaction: f64,
    /// pgbench, 20 rows per transaction and one NOTIFY into a table with `events`' columns and
    /// indexes and none of its triggers: what the database takes without the product's work.
    #[serde(default)]
    pub pgbench_plain_twenty_per_transaction: Option<f64>,
    /// The load generator against a route that does no work, requests/s.
    pub generator_ceiling: f64,
    /// The build measured (`Server::revision`).
    #[serde(default)]
    pub revision: String,
}

impl Figures for S1 {
    /// Group commit at the most senders first (it ranks the rounds), then each sender count,
    /// one transaction each, the database's ceilings and the share of the plain one.
    fn figures(&self) -> Vec<Figure> {
        let mut figures: Vec<Figure> = self
            .batched
            .iter()
            .rev()
            .map(|t| figure(format!("group commit, {} senders, msg/s", t.senders), t.per_second))
            .collect();
        figures.extend(
            self.single
                .iter()
                .map(|t| figure(format!("one transaction each, {} senders, msg/s", t.senders), t.per_second)),
        );
        figures.push(figure("pgbench, 20 per transaction, msg/s", self.pgbench_twenty_per_transaction));
        if let Some(plain) = self.pgbench_plain_twenty_per_transaction {
            figures.push(figure("pgbench, 20 per transaction, no product triggers, msg/s", plain));
            let best = self.batched.iter().map(|t| t.per_second).fold(0.0, f64::max);
            figures.push(figure("group commit's share of the plain ceiling, %", best / plain.max(1e-9) * 100.0));
        }
        figures.push(figure("the generator's ceiling, requests/s", self.generator_ceiling));
        figures
    }
}

/// One round of S1 against `server`.
pub async fn s1(server: &Server, run: Duration, senders: &[usize]) -> anyhow::Result<S1> {
    let mut result = S1 {
        seconds_per_run: run.as_secs_f64(),
        replicas: 2,
        batched: vec![],
        single: vec![],
        pgbench_one_per_transaction: 0.0,
        pgbench_twenty_per_transaction: 0.0,
        pgbench_plain_twenty_per_transaction: None,
        generator_ceiling: 0.0,
        revision: server.revision.clone(),
    };
    for mode in ["batched", "single"] {
        let cluster = Cluster::start_on(server, 2, &[("APPEND_MODE", mode)]).await?;
        let pairs = load::seed_pairs(&cluster.sql, 256).await?;
        // The planner's statistics of what was seeded, as a running deployment's autovacuum
        // keeps them (pgbench -i analyzes too): on a table never analyzed, a condition on a
        // column with no statistics is guessed to keep one row in 200, which plans a walled
        // table's join (the school's policy) as a scan of every page of it.
        cluster.sql.execute("ANALYZE", &[]).await?;
        for &n in senders {
            let load = load::closed_loop(&cluster.urls, &pairs, n, run);
            let t = match (mode, n) {
                ("batched", 128) => crate::profile::during("s1-group-commit-128", load).await,
                _ => load.await,
            };
            eprintln!(
                "S1 {} {mode:7} {n:4} senders: {:8.0} msg/s  p50 {:.2} ms  p99 {:.2} ms  errors {}  I/O stalled {:.0} ms",
                server.revision,
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
            let topology = cluster.topology();
            result.pgbench_one_per_transaction =
                load::pgbench(topology, load::Table::Events, 1, 16, None, run).await?.per_second;
            result.pgbench_twenty_per_transaction = crate::profile::during(
                "s1-pgbench-20-per-transaction",
                load::pgbench(topology, load::Table::Events, 20, 16, None, run),
            )
            .await?
            .per_second;
            load::plain_table(&cluster.sql).await?;
            let plain = load::pgbench(topology, load::Table::Plain, 20, 16, None, run).await?.per_second;
            result.pgbench_plain_twenty_per_transaction = Some(plain);
            eprintln!(
                "S1 pgbench ceiling: {:.0} msg/s (1 per transaction), {:.0} msg/s (20 per transaction); \
                 without the product's triggers {plain:.0} msg/s (20 per transaction)",
                result.pgbench_one_per_transaction, result.pgbench_twenty_per_transaction
            );
        }
        cluster.stop().await;
    }
    Ok(result)
}
