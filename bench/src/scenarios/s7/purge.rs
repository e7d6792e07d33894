//! S7's run: the purge in slices, alternating with runs without one, S2's load in windows
//! throughout, the log's locks sampled, and the checks at the end.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use time::OffsetDateTime;
use tokio_postgres::NoTls;
use tokio_util::sync::CancellationToken;

use super::{Check, Plan, S7, Slice, Window};
use crate::load::Shared;
use crate::scenarios::Cluster;
use crate::scenarios::s2::Delivery;

/// The sessions waiting for one of the log's locks (`events_append`'s advisory locks: the log
/// and the draw, 1953854575; a chat's turn, 1953854576; a person's, 1953854577),
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
                    "SELECT count(DISTINCT pid) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
                       AND classid IN (1953854575::oid, 1953854576::oid, 1953854577::oid) AND objsubid = 2",
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

    let mut delivery = Delivery::open(cluster, "S7", plan.chats, false, false, &[]).await?;
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
}
