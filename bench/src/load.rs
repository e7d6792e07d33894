//! Load generation: seeding, closed- and open-loop posting, SSE readers, percentiles.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
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

/// `n` teacher–student pairs with a completed lesson each, so `n` chats (theirs, even on a
/// database with other chats: S7 seeds them on S4's data set).
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
        .query(
            "SELECT c.id, c.teacher_id, c.student_id FROM chats c JOIN users t ON t.id = c.teacher_id
             WHERE t.email LIKE 'bench-teacher-%@bench' ORDER BY c.id LIMIT $1",
            &[&n],
        )
        .await?;
    Ok(rows.iter().map(|r| Pair { chat: r.get(0), teacher: token(r.get(1)), student: token(r.get(2)) }).collect())
}

/// An admin (who receives every chat's events), and a token for it.
pub async fn seed_admin(sql: &Client, email: &str) -> anyhow::Result<String> {
    let id: i64 = sql
        .query_one("INSERT INTO users (email, name, role) VALUES ($1, 'Admin', 'admin') RETURNING id", &[&email])
        .await?
        .get(0);
    Ok(token(id))
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
    /// How busy both cores were during the run, every process included (see [`cpu_busy_since`]).
    #[serde(default)]
    pub cpu_busy_percent: Option<f64>,
}

/// `senders` clients, each posting its next message as soon as the previous one is answered,
/// spread over `urls` (replicas) and `pairs` (chats), for `duration`. Each message carries its
/// own `Idempotency-Key`, as the web client's do, so the write path measured is the one
/// browsers take.
/// Idempotency keys unique within this process (each scenario has a fresh database).
static NEXT_KEY: AtomicU64 = AtomicU64::new(0);

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

/// One event read from a stream: its name and the JSON text of its data.
pub struct SseEvent {
    pub event: String,
    pub data: String,
    /// The `id:` line (a log position), absent on signals (typing, presence).
    pub id: Option<String>,
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
    let (mut buffer, mut event, mut data, mut id) = (Vec::new(), String::new(), String::new(), None);
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
                    on_event(SseEvent {
                        event: std::mem::take(&mut event),
                        data: std::mem::take(&mut data),
                        id: id.take(),
                    });
                }
                event.clear();
                id = None;
            } else if let Some(v) = line.strip_prefix("id: ") {
                id = Some(v.to_owned());
            } else if let Some(v) = line.strip_prefix("event: ") {
                event = v.to_owned();
            } else if let Some(v) = line.strip_prefix("data: ") {
                data = v.to_owned();
            }
        }
    }
}

/// A client for streams held open for minutes: no overall timeout, and no TCP user timeout
/// or keep-alive (reqwest's defaults are 30 s and 15 s). Loopback drops packets once more than
/// net.core.netdev_max_backlog (1,000 here) are queued, as in a 57,000-stream fan-out;
/// retransmissions then back off past 30 s and reqwest would abort the connection (ETIMEDOUT).
/// A browser waits much longer than that, and the stream itself sends a heartbeat.
pub fn stream_client(local: Option<std::net::IpAddr>) -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .local_address(local)
        .pool_max_idle_per_host(0)
        .tcp_user_timeout(None)
        .tcp_keepalive(None)
        .build()?)
}

/// Idle event streams held open until `stop`, and what happened to them.
#[derive(Default)]
pub struct HeldStreams {
    pub opened: AtomicUsize,
    /// Never opened.
    pub failed: AtomicUsize,
    /// Opened, then ended or broke before `stop`.
    pub ended: AtomicUsize,
    /// `new_message` events received, over all streams.
    pub received: AtomicUsize,
    /// When the last of them arrived, in nanoseconds since the Unix epoch.
    pub last_received_nanos: AtomicU64,
}

impl HeldStreams {
    /// Opens `count` streams to `url`, 256 at a time, and returns once each has opened or
    /// failed. They stay open, read in the background, until `stop` is cancelled. Stream `i`
    /// is opened with `tokens[i % tokens.len()]`.
    pub async fn open(
        http: &reqwest::Client,
        url: &str,
        tokens: &[String],
        count: usize,
        stop: &tokio_util::sync::CancellationToken,
    ) -> anyhow::Result<Arc<Self>> {
        anyhow::ensure!(!tokens.is_empty(), "no token to open streams with");
        let streams = Arc::new(Self::default());
        let gate = Arc::new(tokio::sync::Semaphore::new(256));
        for i in 0..count {
            let permit = gate.clone().acquire_owned().await?;
            let token = tokens[i % tokens.len()].clone();
            let (http, url, stop) = (http.clone(), url.to_owned(), stop.clone());
            let streams = streams.clone();
            tokio::spawn(async move {
                let mut permit = Some(permit);
                let outcome = read_stream(
                    http,
                    url,
                    token,
                    None,
                    stop.clone(),
                    || {
                        streams.opened.fetch_add(1, Ordering::Relaxed);
                        permit.take();
                    },
                    |event| {
                        if event.event == "new_message" {
                            streams.last_received_nanos.fetch_max(unix_nanos(), Ordering::Relaxed);
                            streams.received.fetch_add(1, Ordering::Relaxed);
                        }
                    },
                )
                .await;
                if permit.is_some() {
                    streams.failed.fetch_add(1, Ordering::Relaxed);
                } else if !stop.is_cancelled() {
                    if let Err(e) = outcome {
                        eprintln!("a held stream broke: {e:#}");
                    }
                    streams.ended.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
        while streams.opened.load(Ordering::Relaxed) + streams.failed.load(Ordering::Relaxed) < count {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(streams)
    }
}

/// Now, in nanoseconds since the Unix epoch: comparable across processes on this machine.
/// A replica's counter or gauge from its `/metrics` (`name` with its labels, as printed), None
/// when it cannot be read; 0 when the replica has not recorded it yet.
pub async fn metric(http: &reqwest::Client, metrics_url: &str, name: &str) -> Option<f64> {
    let text = http.get(metrics_url).send().await.ok()?.text().await.ok()?;
    let prefix = format!("{name} ");
    text.lines().find_map(|l| l.strip_prefix(&prefix)).map_or(Some(0.0), |v| v.trim().parse().ok())
}

pub fn unix_nanos() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64)
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

/// Milliseconds of full I/O stall since `before` (an [`io_stalled_micros`] reading).
pub fn io_stalled_ms_since(before: Option<u64>) -> Option<f64> {
    before.zip(io_stalled_micros()).map(|(b, a)| a.saturating_sub(b) as f64 / 1e3)
}

/// The share of the machine's CPU time that was busy since `before` ([`cpu_times`]), in percent.
pub fn cpu_busy_since(before: Option<(u64, u64)>) -> Option<f64> {
    let ((b0, t0), (b1, t1)) = before.zip(cpu_times())?;
    (t1 > t0).then(|| b1.saturating_sub(b0) as f64 * 100.0 / (t1 - t0) as f64)
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

/// What pgbench measured: messages/s, and with a rate, each transaction's latency from its
/// scheduled start (so a transaction that waited for its turn counts the wait, as S2's do).
pub struct Pgbench {
    pub per_second: f64,
    pub latency: Option<Percentiles>,
}

/// What pgbench writes to.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Table {
    /// The same INSERT into `events` as the product's (so the same triggers: lock, positions,
    /// validation, projections, read models, NOTIFY).
    Events,
    /// The plain ceiling: a table with the columns and indexes of `events` and no triggers
    /// (`bench_plain_events`, made by [`plain_table`]), the rows and one NOTIFY per transaction.
    Plain,
}

/// `bench_plain_events`: `events`' columns, defaults and indexes (positions from a sequence of
/// its own), without its triggers or foreign keys.
pub async fn plain_table(sql: &tokio_postgres::Client) -> anyhow::Result<()> {
    sql.batch_execute(
        "CREATE TABLE IF NOT EXISTS bench_plain_events (LIKE events INCLUDING DEFAULTS INCLUDING INDEXES);
         CREATE SEQUENCE IF NOT EXISTS bench_plain_positions;
         ALTER TABLE bench_plain_events ALTER COLUMN position SET DEFAULT nextval('bench_plain_positions');",
    )
    .await?;
    Ok(())
}

/// The database's own work for our write: pgbench inserts `per_transaction` messages per
/// statement into `table`, from `clients` connections; flat out, or at `rate` transactions/s
/// (open-loop, latencies logged).
pub async fn pgbench(
    topology: &tutorchat::dev::topology::Topology,
    table: Table,
    per_transaction: i64,
    clients: usize,
    rate: Option<usize>,
    run: Duration,
) -> anyhow::Result<Pgbench> {
    let work = std::env::temp_dir().join(format!("tutorchat-pgbench-{}-{per_transaction}", std::process::id()));
    std::fs::create_dir_all(&work)?;
    let script = work.join("script.sql");
    let insert = |table: &str| {
        format!(
            "INSERT INTO {table} (chat_id, actor_id, type, payload) \
             SELECT c.id, c.student_id, 'message_created', '{{\"content\": \"pgbench message\"}}' \
             FROM chats c, generate_series(1, {per_transaction}) WHERE c.id = :chat;\n"
        )
    };
    let body = match table {
        Table::Events => insert("events"),
        Table::Plain => format!("BEGIN;\n{}NOTIFY bench_plain;\nCOMMIT;\n", insert("bench_plain_events")),
    };
    std::fs::write(&script, format!("\\set chat random(1, 256)\n{body}"))?;
    let postgres = topology.postgres();
    // Next to the server binaries, or where their symlinks point (Debian: /usr/lib/postgresql/N/bin).
    let beside = |dir: &std::path::Path| Some(dir.join("pgbench")).filter(|p| p.is_file());
    let pgbench = beside(postgres.bindir())
        .or_else(|| postgres.bindir().join("initdb").canonicalize().ok().and_then(|p| p.parent().and_then(beside)))
        .unwrap_or_else(|| "pgbench".into());
    let mut command = tokio::process::Command::new(pgbench);
    command
        .arg("-h")
        .arg(postgres.socket_dir())
        .args(["-p", "5432", "-U", "postgres", "-n", "-j", "2", "-c"])
        .arg(clients.to_string())
        .arg("-T")
        .arg(run.as_secs().max(1).to_string())
        .arg("-f")
        .arg(&script);
    if let Some(rate) = rate {
        command.arg("-R").arg(rate.to_string()).arg("-l").arg("--log-prefix").arg(work.join("log"));
    }
    let output = command.arg("tutorchat").output().await?;
    let text = String::from_utf8_lossy(&output.stdout);
    let tps: f64 = text
        .lines()
        .find_map(|l| l.strip_prefix("tps = ").and_then(|r| r.split_whitespace().next()).and_then(|v| v.parse().ok()))
        .ok_or_else(|| anyhow::anyhow!("pgbench printed no tps: {text} {}", String::from_utf8_lossy(&output.stderr)))?;
    // Each log line: client, transaction, latency (µs), script, epoch s, epoch µs[, lag µs].
    let latency = rate.map(|_| {
        let mut samples = Vec::new();
        for file in std::fs::read_dir(&work).into_iter().flatten().flatten() {
            if file.file_name().to_string_lossy().starts_with("log") {
                let log = std::fs::read_to_string(file.path()).unwrap_or_default();
                samples.extend(
                    log.lines()
                        .filter_map(|l| l.split_whitespace().nth(2)?.parse::<u64>().ok())
                        .map(Duration::from_micros),
                );
            }
        }
        percentiles(samples)
    });
    let _ = std::fs::remove_dir_all(&work);
    Ok(Pgbench { per_second: tps * per_transaction as f64, latency })
}
