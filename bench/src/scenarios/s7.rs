//! S7: retention on S4's data set: how fast the job purges the oldest tenth of the messages,
//! and what that does to S2's delivery latency while it runs.
//!
//! The purge is the product's own code, not a copy of its SQL: an in-process replica of this
//! tree's server (`Application::build`, as the tests start one) on the benchmark's database
//! calls `governance::retention::purge`, the function a replica's retention loop calls, with
//! the default `PURGE_BATCH` and `PURGE_PAUSE_MS`. So S7 measures this build only (`--compare`
//! builds another binary, not another library).
//!
//! The seeded messages were all created within minutes (the log stamps `clock_timestamp()` and
//! cannot be backdated), so the horizon comes from the data: the `created_at` of the message
//! at the tenth's position in the order retention purges (the `messages_retention` index).
//! The tenth is purged in slices of successive horizons, as the job's passes purge when its
//! horizon moves on, so that runs without a purge can alternate with runs during one:
//! without, slice, without, slice, …, without. While a slice runs, S2's load (`Delivery`: the
//! same pairs, streams, open-loop senders and checks) runs in back-to-back windows until the
//! slice ends; a window the purge ended in is kept apart, in neither median.
//!
//! Each batch appends its `messages_purged` events under the log's append lock, so writers
//! wait meanwhile: a sampler counts the sessions waiting for that lock ten times a second.
//! At the end, cheap checks: everything older than the last horizon purged, nothing newer,
//! no text left in the log's copies of the purged messages, and the replica's own counter.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tokio_postgres::NoTls;
use tokio_util::sync::CancellationToken;

use super::Cluster;
use super::s2::{Delivery, S2Run};
use crate::load::Shared;
use crate::report::median;
use crate::rounds::{Figure, Figures, figure};

/// What S7 purges, and the load it measures delivery with.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// The share of the data set's messages to purge, oldest first, in percent.
    pub percent: i64,
    /// In how many slices (successive horizons), each between runs without a purge.
    pub slices: usize,
    /// Runs without a purge before each slice and after the last.
    pub runs_without: usize,
    /// S2's load: messages per second, chats (both participants subscribed), and one run's length.
    pub rate: usize,
    pub chats: usize,
    pub run: Duration,
    /// No further slice once the slices so far took this long (`--purge-minutes`).
    pub budget: Option<Duration>,
}

/// One run of S2's load: whether a purge ran throughout its sending, and the log's lock meanwhile.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Window {
    /// "without", "during", or "partly" (the purge ended while it sent: in neither median).
    pub phase: String,
    /// The slice it ran before (without) or during (from 1).
    pub slice: usize,
    pub run: S2Run,
    /// Samples of the sessions waiting for the log's append lock while it sent: how many were
    /// taken, in how many at least one session waited, and the most waiting at once.
    pub lock_samples: usize,
    pub lock_waiting_samples: usize,
    pub lock_waiting_max: i64,
}

/// One call of `retention::purge`: its horizon, the messages older than it and not purged
/// yet, and what it purged in how long.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Slice {
    /// The horizon (RFC 3339).
    pub before: String,
    pub expected: i64,
    pub purged: u64,
    pub seconds: f64,
}

/// The end state, from the database and the replica that purged.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct Check {
    /// `count(*) … WHERE purged_at IS NOT NULL`.
    pub purged_rows: i64,
    /// Purged, though created at or after the last horizon (must be 0).
    pub newer_purged: i64,
    /// Created before the last horizon and not purged (must be 0).
    pub older_left: i64,
    /// Purged messages whose `message_created` event in the log still has text (must be 0).
    pub log_copies_with_text: i64,
    /// The replica's `tutorchat_messages_purged_total{cause="retention"}`.
    pub counted: Option<f64>,
}

impl Check {
    /// The purge did exactly what it says: every count agrees with what `purge` returned.
    pub fn exact(&self, purged: u64) -> bool {
        self.purged_rows == purged as i64
            && self.newer_purged == 0
            && self.older_left == 0
            && self.log_copies_with_text == 0
            && self.counted.is_none_or(|c| c as u64 == purged)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct S7 {
    /// Messages in the data set when S7 began, and how many of them the planned horizon
    /// covered (the share asked for; fewer are purged if `--purge-minutes` stopped it).
    pub messages: i64,
    pub planned: i64,
    pub percent: i64,
    /// Whether S4's reads and S6's audits ran on the data set first (else it was seeded for
    /// S7 alone).
    #[serde(default)]
    pub after_reads_and_audits: bool,
    pub purged: u64,
    /// The slices' time together (the runs without a purge between them excluded).
    pub seconds: f64,
    pub per_second: f64,
    /// Batches the job ran (each slice's purged count over `PURGE_BATCH`, rounded up) and
    /// its settings.
    pub batches: u64,
    pub purge_batch: i64,
    pub purge_pause_ms: u64,
    /// Whether `--purge-minutes` stopped it before the planned share.
    pub stopped_by_budget: bool,
    pub slices: Vec<Slice>,
    /// The topology: replicas, and whether a streaming standby replayed meanwhile.
    pub replicas: usize,
    pub standby: bool,
    pub rate: usize,
    pub chats: usize,
    pub streams: usize,
    pub seconds_per_run: f64,
    pub windows: Vec<Window>,
    pub check: Check,
}

impl S7 {
    pub fn windows_of(&self, phase: &str) -> Vec<&Window> {
        self.windows.iter().filter(|w| w.phase == phase).collect()
    }

    /// The median of `f` over the windows of `phase`.
    pub fn median_of(&self, phase: &str, f: fn(&S2Run) -> f64) -> Option<f64> {
        median(self.windows_of(phase).into_iter().map(|w| f(&w.run)).collect())
    }
}

impl Figures for S7 {
    fn figures(&self) -> Vec<Figure> {
        let mut figures = vec![figure("messages purged per second", self.per_second)];
        for phase in ["without", "during"] {
            if let Some(v) = self.median_of(phase, |r| r.latency.p99_ms) {
                figures.push(figure(format!("delivery p99 {phase} a purge (median of windows), ms"), v));
            }
            if let Some(v) = self.median_of(phase, |r| r.latency.p50_ms) {
                figures.push(figure(format!("delivery p50 {phase} a purge (median of windows), ms"), v));
            }
        }
        figures
    }
}

/// The sessions waiting for the log's append lock (`pg_advisory_xact_lock(1953854575, 1)`),
/// sampled every 100 ms on a connection of its own until `stop`.
fn sample_lock_waits(cluster: &Cluster, stop: CancellationToken) -> anyhow::Result<Shared<Vec<(Instant, i64)>>> {
    let config = tutorchat::config::parse_database_url(cluster.topology().database_url())?;
    let samples: Shared<Vec<(Instant, i64)>> = Default::default();
    let into = samples.clone();
    tokio::spawn(async move {
        let Ok((sql, connection)) = config.connect(NoTls).await else { return };
        tokio::spawn(connection);
        let mut tick = tokio::time::interval(Duration::from_millis(100));
        loop {
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tick.tick() => {}
            }
            let waiting = sql
                .query_one(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
                       AND classid = 1953854575::oid AND objid = 1::oid AND objsubid = 2",
                    &[],
                )
                .await;
            if let Ok(row) = waiting {
                into.lock().expect("samples").push((Instant::now(), row.get(0)));
            }
        }
    });
    Ok(samples)
}

/// A replica of this tree's server in this process, on the cluster's database as the
/// replicas connect (the runtime role), with the default governance settings. Not serving:
/// only its state is used.
async fn purging_replica(cluster: &Cluster) -> anyhow::Result<tutorchat::Application> {
    let database = tutorchat::config::parse_database_url(cluster.topology().runtime_url())?;
    let files = std::env::temp_dir().join(format!("tutorchat-bench-s7-files-{}", std::process::id()));
    let config = tutorchat::Config {
        database: Some(database),
        storage: tutorchat::config::StorageConfig::local(files),
        governance: tutorchat::config::GovernanceConfig::default(),
        ..tutorchat::Config::for_tests()
    };
    tutorchat::Application::build(config).await
}

pub async fn s7(cluster: &Cluster, plan: Plan) -> anyhow::Result<S7> {
    let sql = &cluster.sql;
    let messages: i64 = sql.query_one("SELECT count(*) FROM messages", &[]).await?.get(0);
    let planned_total = messages * plan.percent / 100;
    anyhow::ensure!(planned_total > 0, "S7: no messages to purge");
    // Each slice's horizon: the created_at of the message at its position in retention's order.
    let mut horizons = Vec::new();
    for k in 1..=plan.slices.max(1) {
        let position = planned_total * k as i64 / plan.slices.max(1) as i64;
        let before: OffsetDateTime = sql
            .query_one(
                "SELECT created_at FROM messages WHERE purged_at IS NULL ORDER BY created_at OFFSET $1 LIMIT 1",
                &[&position],
            )
            .await?
            .get(0);
        horizons.push(before);
    }
    let last_planned = *horizons.last().expect("a slice");
    let planned: i64 =
        sql.query_one("SELECT count(*) FROM messages WHERE created_at < $1", &[&last_planned]).await?.get(0);
    eprintln!("S7: {planned} of {messages} messages older than {last_planned}, purged in {} slices", horizons.len());

    let mut delivery = Delivery::open(cluster, "S7", plan.chats, false, false).await?;
    delivery.warm_up(plan.rate, 0).await?;
    let replica = purging_replica(cluster).await?;
    let state = replica.state().clone();
    let governance = &state.config.governance;
    let (purge_batch, purge_pause) = (governance.purge_batch, governance.purge_pause);
    let sampling = CancellationToken::new();
    let samples = sample_lock_waits(cluster, sampling.clone())?;

    let (mut windows, mut slices) = (Vec::new(), Vec::new());
    let mut previous = None;
    let mut stopped_by_budget = false;
    for (k, before) in horizons.iter().copied().enumerate() {
        let spent: f64 = slices.iter().map(|s: &Slice| s.seconds).sum();
        if plan.budget.is_some_and(|budget| spent >= budget.as_secs_f64()) {
            stopped_by_budget = true;
            break;
        }
        for _ in 0..plan.runs_without {
            windows.push(window(&mut delivery, &plan, &samples, "without", k + 1).await?.0);
        }
        let expected: i64 = sql
            .query_one(
                "SELECT count(*) FROM messages WHERE created_at < $1 AND created_at >= coalesce($2::timestamptz, '-infinity')",
                &[&before, &previous],
            )
            .await?
            .get(0);
        let ended: Arc<Mutex<Option<Instant>>> = Default::default();
        let purging = {
            let (state, ended) = (state.clone(), ended.clone());
            tokio::spawn(async move {
                let started = Instant::now();
                let purged = tutorchat::governance::retention::purge(&state, before).await;
                *ended.lock().expect("ended") = Some(Instant::now());
                purged.map(|n| (n, started.elapsed()))
            })
        };
        loop {
            let (mut during, sent_until) = window(&mut delivery, &plan, &samples, "during", k + 1).await?;
            let end = *ended.lock().expect("ended");
            if end.is_some_and(|end| end < sent_until) {
                during.phase = "partly".to_owned();
            }
            windows.push(during);
            if end.is_some() {
                break;
            }
        }
        let (purged, took) = purging.await??;
        eprintln!(
            "S7 slice {}: purged {purged} of {expected} messages older than {before} in {:.1} s ({:.0} msg/s)",
            k + 1,
            took.as_secs_f64(),
            purged as f64 / took.as_secs_f64()
        );
        slices.push(Slice { before: rfc3339(before), expected, purged, seconds: took.as_secs_f64() });
        previous = Some(before);
    }
    for _ in 0..plan.runs_without {
        windows.push(window(&mut delivery, &plan, &samples, "without", slices.len() + 1).await?.0);
    }
    sampling.cancel();
    drop(delivery);

    let last = previous.unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let count = async |query: &str| -> anyhow::Result<i64> { Ok(sql.query_one(query, &[&last]).await?.get(0)) };
    let check = Check {
        purged_rows: sql.query_one("SELECT count(*) FROM messages WHERE purged_at IS NOT NULL", &[]).await?.get(0),
        newer_purged: count("SELECT count(*) FROM messages WHERE purged_at IS NOT NULL AND created_at >= $1").await?,
        older_left: count("SELECT count(*) FROM messages WHERE purged_at IS NULL AND created_at < $1").await?,
        log_copies_with_text: count(
            "SELECT count(*) FROM messages m JOIN events e ON e.position = m.position
             WHERE m.purged_at IS NOT NULL AND m.created_at < $1 AND e.payload ->> 'content' <> ''",
        )
        .await?,
        counted: purged_metric(&state.metrics.render()),
    };
    state.shutdown.cancel();
    drop(replica);

    let purged: u64 = slices.iter().map(|s| s.purged).sum();
    let seconds: f64 = slices.iter().map(|s| s.seconds).sum();
    let batches = slices.iter().map(|s| s.purged.div_ceil(purge_batch as u64)).sum();
    let result = S7 {
        messages,
        planned,
        percent: plan.percent,
        after_reads_and_audits: false,
        purged,
        seconds,
        per_second: purged as f64 / seconds.max(f64::EPSILON),
        batches,
        purge_batch,
        purge_pause_ms: purge_pause.as_millis() as u64,
        stopped_by_budget,
        slices,
        replicas: cluster.urls.len(),
        standby: cluster.topology().standby().is_some(),
        rate: plan.rate,
        chats: plan.chats,
        streams: plan.chats * 2,
        seconds_per_run: plan.run.as_secs_f64(),
        windows,
        check,
    };
    eprintln!(
        "S7: purged {} messages in {:.1} s ({:.0} msg/s, {} batches); delivery p99 without {:.2} ms, during {:.2} ms; check {:?}",
        result.purged,
        result.seconds,
        result.per_second,
        result.batches,
        result.median_of("without", |r| r.latency.p99_ms).unwrap_or_default(),
        result.median_of("during", |r| r.latency.p99_ms).unwrap_or_default(),
        result.check
    );
    Ok(result)
}

/// One run of S2's load, with the lock samples taken while it sent; also when its sending ended.
async fn window(
    delivery: &mut Delivery,
    plan: &Plan,
    samples: &Shared<Vec<(Instant, i64)>>,
    phase: &str,
    slice: usize,
) -> anyhow::Result<(Window, Instant)> {
    let (run, sent) = delivery.run(plan.rate, 0, plan.run).await?;
    let inside: Vec<i64> =
        samples.lock().expect("samples").iter().filter(|(at, _)| sent.contains(at)).map(|(_, n)| *n).collect();
    let window = Window {
        phase: phase.to_owned(),
        slice,
        run,
        lock_samples: inside.len(),
        lock_waiting_samples: inside.iter().filter(|n| **n > 0).count(),
        lock_waiting_max: inside.iter().copied().max().unwrap_or(0),
    };
    Ok((window, sent.end))
}

/// `tutorchat_messages_purged_total{cause="retention"}` from a replica's metrics text.
fn purged_metric(text: &str) -> Option<f64> {
    let prefix = format!("{}{{cause=\"retention\"}} ", tutorchat::metrics::MESSAGES_PURGED);
    text.lines().find_map(|l| l.strip_prefix(&prefix)).and_then(|v| v.trim().parse().ok())
}

fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_purged_count_is_read_from_the_retention_series_only() {
        let text = "# TYPE tutorchat_messages_purged_total counter\n\
                    tutorchat_messages_purged_total{cause=\"erasure\"} 7\n\
                    tutorchat_messages_purged_total{cause=\"retention\"} 1000000\n";
        assert_eq!(purged_metric(text), Some(1_000_000.0));
        assert_eq!(purged_metric("tutorchat_messages_purged_total{cause=\"erasure\"} 7\n"), None);
    }

    #[test]
    fn a_check_is_exact_only_when_every_count_agrees_with_the_purge() {
        let exact = Check { purged_rows: 500, counted: Some(500.0), ..Check::default() };
        assert!(exact.exact(500));
        assert!(!exact.exact(499));
        assert!(!Check { newer_purged: 1, ..exact.clone() }.exact(500));
        assert!(!Check { log_copies_with_text: 1, ..exact.clone() }.exact(500));
        assert!(Check { counted: None, ..exact }.exact(500));
    }
}
