//! Load generation: seeding, closed- and open-loop posting, SSE readers, percentiles.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde::Serialize;
use serde_json::json;
use tokio_postgres::Client;

pub const SECRET: &str = "benchmark-secret-benchmark-secret-0123456789";

#[derive(Debug, Clone)]
pub struct Pair {
    pub chat: i64,
    pub teacher: String,
    pub student: String,
}

pub fn token(user: i64) -> String {
    let claims = json!({ "sub": user.to_string(), "exp": jsonwebtoken::get_current_timestamp() + 86_400 });
    jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .expect("sign a benchmark token")
}

/// `n` teacher–student pairs with a completed lesson each, so `n` chats.
pub async fn seed_pairs(sql: &Client, n: i64) -> anyhow::Result<Vec<Pair>> {
    sql.execute(
        "INSERT INTO users (email, name, role)
         SELECT 'bench-' || r || '-' || g || '@bench', initcap(r) || ' ' || g, r
         FROM generate_series(1, $1::bigint) g, unnest(ARRAY['teacher', 'student']) r",
        &[&n],
    )
    .await?;
    sql.execute(
        "INSERT INTO lessons (teacher_id, student_id, scheduled_at, status)
         SELECT t.id, s.id, now(), 'completed' FROM generate_series(1, $1::bigint) g
         JOIN users t ON t.email = 'bench-teacher-' || g || '@bench'
         JOIN users s ON s.email = 'bench-student-' || g || '@bench'
         ORDER BY g",
        &[&n],
    )
    .await?;
    let rows = sql
        .query("SELECT id, teacher_id, student_id FROM chats WHERE teacher_id IS NOT NULL ORDER BY id LIMIT $1", &[&n])
        .await?;
    Ok(rows.iter().map(|r| Pair { chat: r.get(0), teacher: token(r.get(1)), student: token(r.get(2)) }).collect())
}

#[derive(Debug, Clone, Copy, Serialize, serde::Deserialize, Default)]
pub struct Percentiles {
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

pub fn percentiles(mut samples: Vec<Duration>) -> Percentiles {
    if samples.is_empty() {
        return Percentiles::default();
    }
    samples.sort();
    let at =
        |q: f64| samples[((samples.len() as f64 * q).ceil() as usize).clamp(1, samples.len()) - 1].as_secs_f64() * 1e3;
    Percentiles { p50_ms: at(0.50), p99_ms: at(0.99), max_ms: at(1.0) }
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(1024)
        .timeout(Duration::from_secs(60))
        .build()
        .expect("http client")
}

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
}

/// `senders` clients, each posting its next message as soon as the previous one is answered,
/// spread over `urls` (replicas) and `pairs` (chats), for `duration`.
pub async fn closed_loop(urls: &[String], pairs: &[Pair], senders: usize, duration: Duration) -> Throughput {
    let http = client();
    let stalled_before = io_stalled_micros();
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
                    let sent = Instant::now();
                    match http.post(&url).bearer_auth(token).json(&body).send().await {
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
        io_stalled_ms: stalled_before.zip(io_stalled_micros()).map(|(b, a)| a.saturating_sub(b) as f64 / 1e3),
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

/// One event read from a stream: its name and the JSON text of its data.
pub struct SseEvent {
    pub event: String,
    pub data: String,
}

/// Opens an event stream and calls `on_event` for every event until the stream ends or
/// `stop` is cancelled. `opened` is called once the response headers have arrived.
pub async fn read_stream(
    http: reqwest::Client,
    url: String,
    token: String,
    last_event_id: Option<String>,
    stop: tokio_util::sync::CancellationToken,
    opened: impl FnOnce(),
    mut on_event: impl FnMut(SseEvent),
) -> anyhow::Result<()> {
    let mut request = http.get(&url).bearer_auth(&token);
    if let Some(id) = last_event_id {
        request = request.header("last-event-id", id);
    }
    let response = request.send().await?;
    anyhow::ensure!(response.status() == 200, "opening the stream: {}", response.status());
    opened();
    let mut body = response.bytes_stream();
    let (mut buffer, mut event, mut data) = (Vec::new(), String::new(), String::new());
    loop {
        let chunk = tokio::select! {
            _ = stop.cancelled() => return Ok(()),
            chunk = body.next() => match chunk { Some(c) => c?, None => return Ok(()) },
        };
        buffer.extend_from_slice(&chunk);
        while let Some(end) = buffer.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = buffer.drain(..=end).collect();
            let line = String::from_utf8_lossy(&line[..line.len() - 1]).into_owned();
            if line.is_empty() {
                if !data.is_empty() {
                    on_event(SseEvent { event: std::mem::take(&mut event), data: std::mem::take(&mut data) });
                }
                event.clear();
            } else if let Some(v) = line.strip_prefix("event: ") {
                event = v.to_owned();
            } else if let Some(v) = line.strip_prefix("data: ") {
                data = v.to_owned();
            }
        }
    }
}

/// Proportional set size of a process, in bytes (shared pages split among their users).
pub fn pss_bytes(pid: u32) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok()?;
    let kb: u64 =
        text.lines().find_map(|l| l.strip_prefix("Pss:"))?.trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kb * 1024)
}

/// Microseconds, since boot, during which every task was stalled on I/O ("full" in
/// /proc/pressure/io); `None` where the kernel does not report pressure.
pub fn io_stalled_micros() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/pressure/io").ok()?;
    let full = text.lines().find(|l| l.starts_with("full"))?;
    full.split_whitespace().find_map(|f| f.strip_prefix("total="))?.parse().ok()
}

/// (busy, total) CPU time of the whole machine since boot, in clock ticks (/proc/stat).
pub fn cpu_times() -> Option<(u64, u64)> {
    let text = std::fs::read_to_string("/proc/stat").ok()?;
    let fields: Vec<u64> =
        text.lines().next()?.split_whitespace().skip(1).map(|v| v.parse().ok()).collect::<Option<_>>()?;
    let total: u64 = fields.iter().take(8).sum(); // user … steal; guest time is inside user
    let idle = fields.get(3)? + fields.get(4)?; // idle + iowait
    Some((total - idle, total))
}

pub type Shared<T> = Arc<std::sync::Mutex<T>>;
