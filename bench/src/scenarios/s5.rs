//! S5: replaying missed events to a stream that resumes.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use super::{Cluster, Server};
use crate::load::{self};
use crate::report::median;
use crate::rounds::{Figure, Figures, figure};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct S5 {
    pub events: usize,
    pub runs_ms: Vec<f64>,
    pub median_ms: f64,
}

impl S5 {
    /// A build's rounds as one result: every replay of each, and their median.
    pub fn combine(rounds: Vec<S5>) -> S5 {
        let events = rounds.first().map_or(0, |r| r.events);
        let runs_ms: Vec<f64> = rounds.into_iter().flat_map(|r| r.runs_ms).collect();
        S5 { events, median_ms: median(runs_ms.clone()).unwrap_or(0.0), runs_ms }
    }
}

impl Figures for S5 {
    fn figures(&self) -> Vec<Figure> {
        vec![figure(format!("{} events replayed, median of {}, ms", self.events, self.runs_ms.len()), self.median_ms)]
    }
}

/// One round of S5 against `server`: five resumes, each replaying `events` missed events.
pub async fn s5(server: &Server, events: i64) -> anyhow::Result<S5> {
    let cluster = Cluster::start_on(server, 1, &[]).await?;
    let pairs = load::seed_pairs(&cluster.sql, 1).await?;
    let pair = &pairs[0];
    let head = tutorchat::log::head(&cluster.sql).await?;
    cluster
        .sql
        .execute(
            "INSERT INTO events (chat_id, actor_id, type, payload)
             SELECT c.id, c.teacher_id, 'message_created', jsonb_build_object('content', 'missed message ' || g)
             FROM chats c CROSS JOIN generate_series(1, $2::bigint) g WHERE c.id = $1 ORDER BY g",
            &[&pair.chat, &events],
        )
        .await?;
    let http = load::client();
    // A client that was away: by the time it comes back the replica has read the log.
    wait_caught_up(&http, &cluster.urls[0]).await?;
    let url = format!("{}/api/events/chat", cluster.urls[0]);
    let mut runs = Vec::new();
    for _ in 0..5 {
        let stop = CancellationToken::new();
        let count = Arc::new(AtomicUsize::new(0));
        let started = Instant::now();
        let (counter, stopper) = (count.clone(), stop.clone());
        load::read_stream(
            http.clone(),
            url.clone(),
            pair.student.clone(),
            Some(head.to_string()),
            stop.clone(),
            || {},
            move |event| {
                if event.event == "new_message" && counter.fetch_add(1, Ordering::Relaxed) + 1 == events as usize {
                    stopper.cancel();
                }
            },
        )
        .await?;
        anyhow::ensure!(
            count.load(Ordering::Relaxed) == events as usize,
            "replayed {} of {events}",
            count.load(Ordering::Relaxed)
        );
        runs.push(started.elapsed().as_secs_f64() * 1e3);
    }
    let result = S5 { events: events as usize, median_ms: median(runs.clone()).unwrap_or(0.0), runs_ms: runs };
    eprintln!("S5 replaying {events} missed events: median {:.1} ms ({:?})", result.median_ms, result.runs_ms);
    cluster.stop().await;
    Ok(result)
}

/// Waits until the replica's listener has dispatched everything (its lag gauge reads 0 twice
/// in a row, half a second apart).
async fn wait_caught_up(http: &reqwest::Client, url: &str) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut zeros = 0;
    while zeros < 2 {
        anyhow::ensure!(Instant::now() < deadline, "the replica did not catch up with the log");
        tokio::time::sleep(Duration::from_millis(500)).await;
        let metrics = http.get(format!("{url}/metrics")).send().await?.text().await?;
        let lag = metrics
            .lines()
            .find_map(|l| l.strip_prefix("tutorchat_listener_lag_positions "))
            .and_then(|v| v.trim().parse::<f64>().ok());
        zeros = if lag == Some(0.0) { zeros + 1 } else { 0 };
    }
    Ok(())
}
