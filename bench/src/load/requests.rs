//! HTTP load: closed-loop posting, timed reads, and the generator's own ceiling.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::json;

use super::{
    Pair, Percentiles, client, cpu_busy_since, cpu_times, io_stalled_micros, io_stalled_ms_since, percentiles,
};

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Throughput {
    pub senders: usize,
    pub messages: usize,
    pub errors: usize,
    pub seconds: f64,
    pub per_second: f64,
    pub latency: Percentiles,
    /// Time during the run when every task on the machine was stalled on I/O (see
    /// [`io_stalled_micros`]).
    #[serde(default)]
    pub io_stalled_ms: Option<f64>,
    /// How busy both cores were during the run, every process included (see [`cpu_busy_since`]).
    #[serde(default)]
    pub cpu_busy_percent: Option<f64>,
}

/// Idempotency keys unique within this process (each scenario has a fresh database).
static NEXT_KEY: AtomicU64 = AtomicU64::new(0);

/// `senders` clients, each posting its next message as soon as the previous one is answered,
/// spread over `urls` (replicas) and `pairs` (chats), for `duration`. Each message carries its
/// own `Idempotency-Key`, as the web client's do, so the write path measured is the one
/// browsers take.
pub async fn closed_loop(urls: &[String], pairs: &[Pair], senders: usize, duration: Duration) -> Throughput {
    let http = client();
    let (stalled_before, cpu_before) = (io_stalled_micros(), cpu_times());
    let started = Instant::now();
    let deadline = started + duration;
    let tasks: Vec<_> = (0..senders)
        .map(|s| {
            let (http, url, pair) =
                (http.clone(), format!("{}/api/messages", urls[s % urls.len()]), pairs[s % pairs.len()].clone());
            tokio::spawn(async move {
                let (mut latencies, mut errors, mut k) = (Vec::new(), 0, 0usize);
                while Instant::now() < deadline {
                    let token = if k % 2 == 0 { &pair.teacher } else { &pair.student };
                    let body = json!({ "chat_id": pair.chat, "content": format!("closed loop {s}-{k}") });
                    let key = format!("bench-{}", NEXT_KEY.fetch_add(1, Ordering::Relaxed));
                    let sent = Instant::now();
                    match http.post(&url).bearer_auth(token).header("idempotency-key", key).json(&body).send().await {
                        Ok(r) if r.status() == 201 => latencies.push(sent.elapsed()),
                        _ => errors += 1,
                    }
                    k += 1;
                }
                (latencies, errors)
            })
        })
        .collect();
    let (mut latencies, mut errors) = (Vec::new(), 0);
    for task in tasks {
        let (l, e) = task.await.expect("sender");
        latencies.extend(l);
        errors += e;
    }
    let seconds = started.elapsed().as_secs_f64();
    Throughput {
        senders,
        messages: latencies.len(),
        errors,
        seconds,
        per_second: latencies.len() as f64 / seconds,
        latency: percentiles(latencies),
        io_stalled_ms: io_stalled_ms_since(stalled_before),
        cpu_busy_percent: cpu_busy_since(cpu_before),
    }
}

/// The generator's own ceiling: the same closed loop against a route that does no work
/// (an unknown API path, answered 404 by the router without touching the database).
pub async fn generator_ceiling(url: &str, senders: usize, duration: Duration) -> f64 {
    let http = client();
    let started = Instant::now();
    let deadline = started + duration;
    let tasks: Vec<_> = (0..senders)
        .map(|_| {
            let (http, url) = (http.clone(), format!("{url}/api/bench-noop"));
            tokio::spawn(async move {
                let mut n = 0usize;
                while Instant::now() < deadline {
                    if http.get(&url).send().await.is_ok() {
                        n += 1;
                    }
                }
                n
            })
        })
        .collect();
    let mut total = 0;
    for task in tasks {
        total += task.await.expect("task");
    }
    total as f64 / started.elapsed().as_secs_f64()
}

/// Runs the requests with `concurrency` closed-loop clients, `rounds` times over, after an
/// untimed warm-up of a few requests per client: the replica opens its pooled database
/// connections on first use, and a new PostgreSQL session plans its first statements with cold
/// caches, tens of milliseconds once per connection that would otherwise be the p99.
pub async fn timed_gets(
    base: &str,
    requests: Vec<(String, String)>,
    concurrency: usize,
    rounds: usize,
) -> (usize, Percentiles, Phase) {
    timed_gets_answered(base, requests, concurrency, rounds, reqwest::StatusCode::OK).await
}

/// [`timed_gets`], timing the requests answered with `status`.
pub async fn timed_gets_answered(
    base: &str,
    requests: Vec<(String, String)>,
    concurrency: usize,
    rounds: usize,
    status: reqwest::StatusCode,
) -> (usize, Percentiles, Phase) {
    let http = client();
    let warm_up = futures::future::join_all((0..concurrency * 4).map(|i| {
        let (path, token) = &requests[i % requests.len()];
        http.get(format!("{base}{path}")).bearer_auth(token).send()
    }));
    for response in warm_up.await.into_iter().flatten() {
        let _ = response.bytes().await;
    }
    let requests = Arc::new(requests);
    let next = Arc::new(AtomicUsize::new(0));
    let total = requests.len() * rounds;
    let (started, cpu_before) = (Instant::now(), cpu_times());
    let tasks: Vec<_> = (0..concurrency)
        .map(|_| {
            let (http, requests, next, base) = (http.clone(), requests.clone(), next.clone(), base.to_owned());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= total {
                        return latencies;
                    }
                    let (path, token) = &requests[i % requests.len()];
                    let started = Instant::now();
                    if let Ok(r) = http.get(format!("{base}{path}")).bearer_auth(token).send().await
                        && r.status() == status
                        && r.bytes().await.is_ok()
                    {
                        latencies.push(started.elapsed());
                    }
                }
            })
        })
        .collect();
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.expect("task"));
    }
    let phase = Phase {
        clients: concurrency,
        per_second: all.len() as f64 / started.elapsed().as_secs_f64(),
        cpu_busy_percent: cpu_busy_since(cpu_before),
    };
    (all.len(), percentiles(all), phase)
}

/// How hard the machine worked during a timed run: every process, the replica's, PostgreSQL's
/// and the generator's alike (all CPUs, from /proc/stat).
#[derive(Debug, Clone, Copy, Serialize, serde::Deserialize, Default)]
pub struct Phase {
    pub clients: usize,
    pub per_second: f64,
    pub cpu_busy_percent: Option<f64>,
}

/// The load generator's own ceiling on this machine: what it reaches against a route that does
/// no work (an unknown API path, answered 404 by the router without touching the database), so
/// that a scenario's figure near it is read as the generator's, not the product's.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Generator {
    /// Closed loop, 128 clients: requests/s.
    pub per_second: f64,
    /// One such request's latency, from 1, 4 and 8 closed-loop clients: the floor under S4's
    /// latencies at the same concurrency.
    pub latency: Vec<(usize, Percentiles)>,
}

impl Generator {
    /// Against one replica of `server` of its own.
    pub async fn measure(server: &crate::scenarios::Server, run: Duration) -> anyhow::Result<Self> {
        let cluster = crate::scenarios::Cluster::start_on(server, 1, &[]).await?;
        let url = &cluster.urls[0];
        let per_second = generator_ceiling(url, 128, run.min(Duration::from_secs(5))).await;
        let requests: Vec<(String, String)> = vec![("/api/bench-noop".to_owned(), String::new()); 500];
        let mut latency = Vec::new();
        for clients in [1, 4, 8] {
            let (_, p, _) =
                timed_gets_answered(url, requests.clone(), clients, 2, reqwest::StatusCode::NOT_FOUND).await;
            latency.push((clients, p));
        }
        cluster.stop().await;
        eprintln!(
            "the generator's ceiling: {per_second:.0} requests/s; a request doing nothing: {}",
            latency.iter().map(|(c, p)| format!("p99 {:.2} ms from {c}", p.p99_ms)).collect::<Vec<_>>().join(", ")
        );
        Ok(Self { per_second, latency })
    }
}
