//! The benchmark scenarios S1–S5 (see docs/benchmarks.md for what each measures and why).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio_postgres::{Client, NoTls};
use tokio_util::sync::CancellationToken;
use tutorchat::topology::{Options, Topology};

use crate::load::{self, Percentiles, SECRET, Throughput};

/// A topology of `replicas` release-build replicas on a durable (fsync on) private PostgreSQL.
pub struct Cluster {
    topology: Option<Topology>,
    pub sql: Client,
    pub urls: Vec<String>,
}

impl Cluster {
    pub async fn start(replicas: usize, env: &[(&str, &str)]) -> anyhow::Result<Self> {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let exe = std::env::current_exe()?;
        let binary = exe.with_file_name("tutorchat");
        anyhow::ensure!(binary.is_file(), "{} not found: build it (cargo build --release)", binary.display());
        let mut vars: Vec<(String, String)> = vec![
            ("JWT_SECRET".into(), SECRET.into()),
            ("RUST_LOG".into(), "warn".into()),
            ("DB_POOL_SIZE".into(), "32".into()),
        ];
        vars.extend(env.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let options = Options {
            binary,
            replicas,
            front: "127.0.0.1:0".parse()?,
            base: std::env::temp_dir().join(format!(
                "tutorchat-bench-{}-{}",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed)
            )),
            durable: true,
            remove_on_exit: true,
            nginx: false,
            env: vars,
            demo: false,
        };
        let topology = tokio::task::spawn_blocking(move || Topology::start(options)).await??;
        let (sql, connection) = tutorchat::config::parse_database_url(topology.database_url())?.connect(NoTls).await?;
        tokio::spawn(connection);
        let urls = (0..topology.replica_count()).map(|i| topology.replica_url(i)).collect();
        Ok(Self { topology: Some(topology), sql, urls })
    }

    pub fn topology(&self) -> &Topology {
        self.topology.as_ref().expect("running")
    }

    pub async fn stop(mut self) {
        if let Some(topology) = self.topology.take() {
            let _ = tokio::task::spawn_blocking(move || drop(topology)).await;
        }
    }
}

// ---------------------------------------------------------------- S1

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

// ---------------------------------------------------------------- S2

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct S2Run {
    pub rate: usize,
    pub sent: usize,
    pub acknowledged: usize,
    pub deliveries_expected: usize,
    pub deliveries: usize,
    pub lost: usize,
    pub latency: Percentiles,
    /// Time during the run when every task on the machine was stalled on I/O (Linux pressure
    /// stall information, /proc/pressure/io "full"): commits wait for the WAL flush, so disk
    /// stalls of this virtual machine show up in the tail.
    #[serde(default)]
    pub io_stalled_ms: Option<f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct S2 {
    pub chats: usize,
    pub streams: usize,
    pub seconds_per_run: f64,
    pub runs: Vec<S2Run>,
}

pub async fn s2(run: Duration, rates: &[usize], chats: usize, drop_one: bool) -> anyhow::Result<S2> {
    let cluster = Cluster::start(2, &[]).await?;
    let pairs = load::seed_pairs(&cluster.sql, chats as i64).await?;
    let http = load::client();
    let stop = CancellationToken::new();
    let opened = Arc::new(AtomicUsize::new(0));
    // Send start of every message by its sequence number, and every delivery's latency.
    let starts: load::Shared<HashMap<u64, Instant>> = Default::default();
    let deliveries: load::Shared<Vec<(u64, Duration)>> = Default::default();
    let stream_url = format!("{}/api/events/chat", cluster.urls[1]); // receive on B, send on A
    // For the tool's own test: one delivery (of message 0, to one stream) is ignored on purpose.
    let dropped = Arc::new(std::sync::atomic::AtomicBool::new(!drop_one));
    for pair in &pairs {
        for token in [&pair.teacher, &pair.student] {
            let (opened, starts, deliveries, dropped) =
                (opened.clone(), starts.clone(), deliveries.clone(), dropped.clone());
            let reader = load::read_stream(
                http.clone(),
                stream_url.clone(),
                token.clone(),
                None,
                stop.clone(),
                move || {
                    opened.fetch_add(1, Ordering::Relaxed);
                },
                move |event| {
                    if event.event != "new_message" {
                        return;
                    }
                    let received = Instant::now();
                    let data: Value = serde_json::from_str(&event.data).unwrap_or_default();
                    let seq = data["message"]["content"]
                        .as_str()
                        .and_then(|c| c.strip_prefix("s2 "))
                        .and_then(|s| s.parse::<u64>().ok());
                    if seq == Some(0) && !dropped.swap(true, Ordering::Relaxed) {
                        return;
                    }
                    if let Some(seq) = seq
                        && let Some(start) = starts.lock().expect("starts").get(&seq).copied()
                    {
                        deliveries.lock().expect("deliveries").push((seq, received - start));
                    }
                },
            );
            tokio::spawn(reader);
        }
    }
    wait_for(&opened, pairs.len() * 2, Duration::from_secs(60)).await?;
    let mut result = S2 { chats, streams: pairs.len() * 2, seconds_per_run: run.as_secs_f64(), runs: vec![] };
    let mut seq = 0u64;
    for &rate in rates {
        let total = (rate as f64 * run.as_secs_f64()) as usize;
        let first = seq;
        let stalled_before = load::io_stalled_micros();
        let began = tokio::time::Instant::now();
        let mut posts = Vec::with_capacity(total);
        for i in 0..total {
            tokio::time::sleep_until(began + Duration::from_secs_f64(i as f64 / rate as f64)).await;
            let pair = &pairs[i % pairs.len()];
            let (token, this) = (if i % 2 == 0 { pair.teacher.clone() } else { pair.student.clone() }, seq);
            seq += 1;
            let body = json!({ "chat_id": pair.chat, "content": format!("s2 {this}") });
            let (http, url, starts) = (http.clone(), format!("{}/api/messages", cluster.urls[0]), starts.clone());
            posts.push(tokio::spawn(async move {
                starts.lock().expect("starts").insert(this, Instant::now());
                matches!(http.post(&url).bearer_auth(&token).json(&body).send().await, Ok(r) if r.status() == 201)
            }));
        }
        let mut acknowledged = 0;
        for post in posts {
            acknowledged += usize::from(post.await.unwrap_or(false));
        }
        let io_stalled_ms = load::io_stalled_ms_since(stalled_before);
        tokio::time::sleep(Duration::from_secs(3)).await; // let the last deliveries arrive
        let latencies: Vec<Duration> = deliveries
            .lock()
            .expect("deliveries")
            .iter()
            .filter(|(s, _)| *s >= first && *s < seq)
            .map(|(_, d)| *d)
            .collect();
        let expected = acknowledged * 2;
        let run = S2Run {
            rate,
            sent: total,
            acknowledged,
            deliveries_expected: expected,
            deliveries: latencies.len(),
            lost: expected.saturating_sub(latencies.len()),
            latency: load::percentiles(latencies),
            io_stalled_ms,
        };
        eprintln!(
            "S2 {rate:5} msg/s: {} delivered of {} expected, lost {}, p50 {:.2} ms p99 {:.2} ms max {:.2} ms, I/O stalled {:.0} ms",
            run.deliveries,
            run.deliveries_expected,
            run.lost,
            run.latency.p50_ms,
            run.latency.p99_ms,
            run.latency.max_ms,
            run.io_stalled_ms.unwrap_or(0.0)
        );
        result.runs.push(run);
    }
    stop.cancel();
    cluster.stop().await;
    Ok(result)
}

async fn wait_for(counter: &AtomicUsize, n: usize, within: Duration) -> anyhow::Result<()> {
    let deadline = Instant::now() + within;
    while counter.load(Ordering::Relaxed) < n {
        anyhow::ensure!(Instant::now() < deadline, "only {} of {n} streams opened", counter.load(Ordering::Relaxed));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}

// ---------------------------------------------------------------- S3

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct S3Run {
    pub connections: usize,
    pub pss_before_mib: f64,
    pub pss_after_mib: f64,
    pub bytes_per_connection: f64,
    /// From the POST until the last of the connections had the event.
    pub fan_out_ms: f64,
    pub received: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct S3 {
    pub runs: Vec<S3Run>,
    /// Control: the same replica holding plain idle keep-alive HTTP connections (one request
    /// answered each, no event stream): what the HTTP server, runtime and allocator cost alone.
    #[serde(default)]
    pub idle_http_connections: usize,
    #[serde(default)]
    pub idle_http_bytes_per_connection: f64,
    /// Streams held on several replicas at once, by several generator processes.
    #[serde(default)]
    pub spread: Option<S3Spread>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct S3Spread {
    pub replicas: usize,
    /// Streams asked of each replica.
    pub per_replica: usize,
    /// Streams open at the same moment, across all replicas.
    pub held: usize,
    /// Streams that failed to open.
    pub failed: usize,
    /// Streams that opened and then ended before the measurement was over (a stream that ends
    /// cannot receive the event; a real client would reconnect and resume).
    #[serde(default)]
    pub ended: usize,
    /// PSS delta / streams, per replica.
    pub bytes_per_connection: Vec<f64>,
    /// From the POST (on the first replica) until the last stream, on any replica, had it.
    pub fan_out_ms: f64,
    pub received: usize,
    /// How long opening every stream took.
    pub open_seconds: f64,
}

pub async fn s3(counts: &[usize]) -> anyhow::Result<S3> {
    let cluster = Cluster::start(1, &[]).await?;
    let pairs = load::seed_pairs(&cluster.sql, 1).await?;
    let admin = load::seed_admin(&cluster.sql, "bench-admin@bench").await?;
    let pid = cluster.topology().replica_pid(0).ok_or_else(|| anyhow::anyhow!("no replica"))?;
    let http = load::client();
    let url = format!("{}/api/events/chat", cluster.urls[0]);
    let mut result = S3 { runs: vec![], idle_http_connections: 0, idle_http_bytes_per_connection: 0.0, spread: None };
    // One baseline for every run: after a run's streams close the allocator keeps their memory
    // for reuse, so a later baseline would hide it.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let before = load::pss_bytes(pid).unwrap_or(0);
    if let Some(&first) = counts.first() {
        let addr: std::net::SocketAddr = cluster.urls[0].trim_start_matches("http://").parse()?;
        let mut idle = Vec::with_capacity(first);
        for _ in 0..first {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let mut socket = tokio::net::TcpStream::connect(addr).await?;
            socket.write_all(b"GET /api/bench-noop HTTP/1.1\r\nHost: bench\r\n\r\n").await?;
            let mut answer = [0u8; 1024];
            let _ = socket.read(&mut answer).await?;
            idle.push(socket);
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
        let with_idle = load::pss_bytes(pid).unwrap_or(0);
        result.idle_http_connections = first;
        result.idle_http_bytes_per_connection = with_idle.saturating_sub(before) as f64 / first as f64;
        eprintln!(
            "S3 control: {first} idle keep-alive HTTP connections cost {:.0} bytes each",
            result.idle_http_bytes_per_connection
        );
        drop(idle);
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    let streams_http = load::stream_client(None)?;
    for &n in counts {
        let stop = CancellationToken::new();
        let streams = load::HeldStreams::open(&streams_http, &url, &admin, n, &stop).await?;
        let failed = streams.failed.load(Ordering::Relaxed);
        anyhow::ensure!(failed == 0, "{failed} of {n} streams did not open");
        tokio::time::sleep(Duration::from_secs(2)).await;
        let after = load::pss_bytes(pid).unwrap_or(0);
        let sent = load::unix_nanos();
        let post = http
            .post(format!("{}/api/messages", cluster.urls[0]))
            .bearer_auth(&pairs[0].teacher)
            .json(&json!({ "chat_id": pairs[0].chat, "content": "to everyone watching" }))
            .send()
            .await?;
        anyhow::ensure!(post.status() == 201, "posting: {}", post.status());
        let deadline = Instant::now() + Duration::from_secs(60);
        while streams.received.load(Ordering::Relaxed) < n && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let last = streams.last_received_nanos.load(Ordering::Relaxed).max(sent);
        let run = S3Run {
            connections: n,
            pss_before_mib: before as f64 / 1048576.0,
            pss_after_mib: after as f64 / 1048576.0,
            bytes_per_connection: after.saturating_sub(before) as f64 / n as f64,
            fan_out_ms: (last - sent) as f64 / 1e6,
            received: streams.received.load(Ordering::Relaxed),
        };
        eprintln!(
            "S3 {n:6} connections: {:.0} bytes each (PSS {:.1} → {:.1} MiB), one event reached {} of them in {:.1} ms",
            run.bytes_per_connection, run.pss_before_mib, run.pss_after_mib, run.received, run.fan_out_ms
        );
        result.runs.push(run);
        stop.cancel();
        let deadline = Instant::now() + Duration::from_secs(60);
        while cluster.sql.query_one("SELECT 1", &[]).await.is_ok() && Instant::now() < deadline {
            let metrics = http.get(format!("{}/metrics", cluster.urls[0])).send().await?.text().await?;
            let open = metrics
                .lines()
                .find_map(|l| l.strip_prefix("tutorchat_sse_connections "))
                .and_then(|v| v.trim().parse::<f64>().ok());
            if open.unwrap_or(0.0) < 1.0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    cluster.stop().await;
    Ok(result)
}

/// S3 across replicas: `per_replica` admin streams on each of `replicas` replicas at once. A
/// process here may hold at most 20,000 open files, so each replica's streams are held by a
/// helper process of their own (this tool, `hold`), connecting from its own loopback address
/// (127.0.0.2, .3, …) so that no source address runs out of ephemeral ports.
pub async fn s3_spread(replicas: usize, per_replica: usize) -> anyhow::Result<S3Spread> {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let cluster = Cluster::start(replicas, &[]).await?;
    let pairs = load::seed_pairs(&cluster.sql, 1).await?;
    let admin = load::seed_admin(&cluster.sql, "spread-admin@bench").await?;
    let pids: Vec<u32> = (0..replicas)
        .map(|i| cluster.topology().replica_pid(i).ok_or_else(|| anyhow::anyhow!("replica {i} is not running")))
        .collect::<anyhow::Result<_>>()?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let before: Vec<u64> = pids.iter().map(|&pid| load::pss_bytes(pid).unwrap_or(0)).collect();

    let exe = std::env::current_exe()?;
    let started = Instant::now();
    let mut holders = Vec::with_capacity(replicas);
    for (i, url) in cluster.urls.iter().enumerate() {
        let mut child = tokio::process::Command::new(&exe)
            .args(["hold", "--url", &format!("{url}/api/events/chat"), "--token", &admin])
            .args(["--count", &per_replica.to_string(), "--local-addr", &format!("127.0.0.{}", i + 2)])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()?;
        let stdin = child.stdin.take().ok_or_else(|| anyhow::anyhow!("holder stdin"))?;
        let stdout = BufReader::new(child.stdout.take().ok_or_else(|| anyhow::anyhow!("holder stdout"))?).lines();
        holders.push((child, stdin, stdout));
    }
    // Each holder says "opened <ok> <failed>" once every stream it was asked for has an answer.
    let (mut held, mut failed) = (0, 0);
    for (_, _, lines) in &mut holders {
        let line = tokio::time::timeout(Duration::from_secs(900), lines.next_line()).await??.unwrap_or_default();
        let mut fields = line.split_whitespace().skip(1).map(|v| v.parse::<usize>().unwrap_or(0));
        held += fields.next().unwrap_or(0);
        failed += fields.next().unwrap_or(0);
    }
    let open_seconds = started.elapsed().as_secs_f64();
    eprintln!("S3 spread: {held} streams open on {replicas} replicas ({failed} failed) after {open_seconds:.0} s");
    tokio::time::sleep(Duration::from_secs(2)).await;
    let bytes_per_connection: Vec<f64> = pids
        .iter()
        .zip(&before)
        .map(|(&pid, &b)| load::pss_bytes(pid).unwrap_or(0).saturating_sub(b) as f64 / per_replica as f64)
        .collect();

    let sent = load::unix_nanos();
    let post = load::client()
        .post(format!("{}/api/messages", cluster.urls[0]))
        .bearer_auth(&pairs[0].teacher)
        .json(&json!({ "chat_id": pairs[0].chat, "content": "to everyone watching, everywhere" }))
        .send()
        .await?;
    anyhow::ensure!(post.status() == 201, "posting: {}", post.status());
    // Ask each holder for "received <count> <unix nanos of the last receipt>" until all have it.
    let deadline = Instant::now() + Duration::from_secs(60);
    let (received, last, ended) = loop {
        let (mut received, mut last, mut ended) = (0, 0u64, 0);
        for (_, stdin, lines) in &mut holders {
            stdin.write_all(b"report\n").await?;
            let line = lines.next_line().await?.unwrap_or_default();
            let mut fields = line.split_whitespace().skip(1);
            received += fields.next().and_then(|v| v.parse::<usize>().ok()).unwrap_or(0);
            last = last.max(fields.next().and_then(|v| v.parse::<u64>().ok()).unwrap_or(0));
            ended += fields.next().and_then(|v| v.parse::<usize>().ok()).unwrap_or(0);
        }
        if received >= held || Instant::now() > deadline {
            break (received, last, ended);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let fan_out_ms = last.saturating_sub(sent) as f64 / 1e6;
    let result = S3Spread {
        replicas,
        per_replica,
        held,
        failed,
        ended,
        bytes_per_connection,
        fan_out_ms,
        received,
        open_seconds,
    };
    eprintln!(
        "S3 spread: one event reached {received} of {held} streams in {fan_out_ms:.1} ms ({ended} streams ended early); bytes per stream by replica: {:?}",
        result.bytes_per_connection.iter().map(|b| b.round()).collect::<Vec<_>>()
    );
    for (mut child, stdin, _) in holders {
        drop(stdin); // a holder exits at the end of its input
        let _ = tokio::time::timeout(Duration::from_secs(30), child.wait()).await;
    }
    cluster.stop().await;
    Ok(result)
}

/// The helper process of [`s3_spread`]: opens `count` streams to `url` from `local`, 256 at a
/// time, then says "opened <ok> <failed>"; answers each "report" line on stdin with "received
/// <new_message events> <unix nanos of the last> <streams that ended since they opened>"; exits
/// when its input ends.
pub async fn hold(url: String, token: String, count: usize, local: std::net::IpAddr) -> anyhow::Result<()> {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let stop = CancellationToken::new();
    let streams = load::HeldStreams::open(&load::stream_client(Some(local))?, &url, &token, count, &stop).await?;
    let mut out = tokio::io::stdout();
    let (opened, failed) = (streams.opened.load(Ordering::Relaxed), streams.failed.load(Ordering::Relaxed));
    out.write_all(format!("opened {opened} {failed}\n").as_bytes()).await?;
    out.flush().await?;
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    while let Some(line) = lines.next_line().await? {
        if line.trim() == "report" {
            let last = streams.last_received_nanos.load(Ordering::Relaxed);
            let (received, ended) = (streams.received.load(Ordering::Relaxed), streams.ended.load(Ordering::Relaxed));
            out.write_all(format!("received {received} {last} {ended}\n").as_bytes()).await?;
            out.flush().await?;
        }
    }
    stop.cancel();
    Ok(())
}

// ---------------------------------------------------------------- S4

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct S4 {
    pub messages: i64,
    pub chats: i64,
    pub seed_seconds: f64,
    pub history: Percentiles,
    pub history_requests: usize,
    pub chat_list_500: Percentiles,
    pub chat_list_requests: usize,
    /// The same requests from one client at a time: the service time, without queueing.
    #[serde(default)]
    pub history_one_client: Percentiles,
    #[serde(default)]
    pub chat_list_one_client: Percentiles,
    /// Requests/s and CPU use of the four runs: history from 8 clients and from 1, the chat
    /// list from 4 and from 1.
    #[serde(default)]
    pub phases: Vec<Phase>,
    pub history_plan: String,
    pub chat_list_plan: String,
}

pub async fn s4(chats: i64, per_chat: i64) -> anyhow::Result<S4> {
    let cluster = Cluster::start(1, &[]).await?;
    let sql = &cluster.sql;
    let teachers = (chats / 500).max(1);
    let seeding = Instant::now();
    sql.batch_execute(&format!(
        "INSERT INTO users (email, name, role) SELECT 'bench-teacher-' || g, 'Teacher ' || g, 'teacher' FROM generate_series(1, {teachers}) g;
         INSERT INTO users (email, name, role) SELECT 'bench-student-' || g, 'Student ' || g, 'student' FROM generate_series(1, {chats}) g;"
    ))
    .await?;
    // Student g learns with teacher g mod teachers: every teacher has chats / teachers chats.
    sql.batch_execute(&format!(
        "INSERT INTO lessons (teacher_id, student_id, scheduled_at, status)
         SELECT t.id, s.id, now(), 'completed' FROM generate_series(1, {chats}) g
         JOIN users s ON s.email = 'bench-student-' || g
         JOIN users t ON t.email = 'bench-teacher-' || (g % {teachers} + 1)"
    ))
    .await?;
    let (low, high): (i64, i64) = {
        let row = sql.query_one("SELECT min(id), max(id) FROM chats", &[]).await?;
        (row.get(0), row.get(1))
    };
    let step = (100_000 / per_chat).max(1);
    let mut from = low;
    while from <= high {
        // Through the log's own triggers, as the application would: positions, ids, projections.
        sql.execute(
            "INSERT INTO events (chat_id, actor_id, type, payload)
             SELECT c.id, CASE WHEN g % 2 = 0 THEN c.student_id ELSE c.teacher_id END, 'message_created',
                    jsonb_build_object('content', 'Message ' || g || ' of a long conversation about homework')
             FROM chats c CROSS JOIN generate_series(1, $3::bigint) g
             WHERE c.id BETWEEN $1 AND $2 ORDER BY c.id, g",
            &[&from, &(from + step - 1), &per_chat],
        )
        .await?;
        from += step;
        if (from - low) % (step * 20) == 0 {
            eprintln!("S4 seeding: {} of {} chats, {:.0} s", from - low, chats, seeding.elapsed().as_secs_f64());
        }
    }
    sql.batch_execute("VACUUM ANALYZE").await?;
    let seed_seconds = seeding.elapsed().as_secs_f64();
    let messages: i64 = sql.query_one("SELECT count(*) FROM messages", &[]).await?.get(0);
    eprintln!("S4 seeded {messages} messages in {chats} chats in {seed_seconds:.0} s");

    // History pages deep in random chats, as the chat's student.
    let samples = sql
        .query(
            "SELECT c.id, c.student_id, (SELECT id FROM messages m WHERE m.chat_id = c.id ORDER BY id OFFSET $1 LIMIT 1)
             FROM chats c ORDER BY random() LIMIT 500",
            &[&(per_chat / 5)], // a fifth of the way into the chat: four fifths of it are newer
        )
        .await?;
    let samples: Vec<(i64, String, i64)> =
        samples.iter().map(|r| (r.get(0), load::token(r.get(1)), r.get(2))).collect();
    let history_requests: Vec<(String, String)> = samples
        .iter()
        .map(|(chat, token, before)| (format!("/api/chats/{chat}/messages?limit=50&before_id={before}"), token.clone()))
        .collect();
    let history = timed_gets(&cluster.urls[0], history_requests.clone(), 8, 4).await;
    let history_one_client = timed_gets(&cluster.urls[0], history_requests, 1, 2).await;
    let teacher: i64 = sql.query_one("SELECT id FROM users WHERE email = 'bench-teacher-1'", &[]).await?.get(0);
    let list_requests: Vec<(String, String)> =
        (0..300).map(|_| ("/api/chats".to_owned(), load::token(teacher))).collect();
    let chat_list = timed_gets(&cluster.urls[0], list_requests.clone(), 4, 1).await;
    let chat_list_one_client = timed_gets(&cluster.urls[0], list_requests, 1, 1).await;
    let (chat, _, before) = &samples[0];
    let history_plan = explain(sql, tutorchat::api::HISTORY_SQL, &[chat, before, &51i64]).await?;
    let chat_list_plan = explain(sql, tutorchat::api::CHAT_LIST_SQL, &[&teacher]).await?;
    let result = S4 {
        messages,
        chats,
        seed_seconds,
        history_requests: history.0,
        history: history.1,
        chat_list_requests: chat_list.0,
        chat_list_500: chat_list.1,
        history_one_client: history_one_client.1,
        chat_list_one_client: chat_list_one_client.1,
        phases: vec![history.2, history_one_client.2, chat_list.2, chat_list_one_client.2],
        history_plan,
        chat_list_plan,
    };
    eprintln!(
        "S4 history page p50 {:.2} ms p99 {:.2} ms (one client: {:.2} / {:.2}); chat list (500 chats) p50 {:.2} ms p99 {:.2} ms (one client: {:.2} / {:.2})",
        result.history.p50_ms,
        result.history.p99_ms,
        result.history_one_client.p50_ms,
        result.history_one_client.p99_ms,
        result.chat_list_500.p50_ms,
        result.chat_list_500.p99_ms,
        result.chat_list_one_client.p50_ms,
        result.chat_list_one_client.p99_ms
    );
    cluster.stop().await;
    Ok(result)
}

/// Runs the requests with `concurrency` closed-loop clients, `rounds` times over, after an
/// untimed warm-up of a few requests per client: the replica opens its pooled database
/// connections on first use, and a new PostgreSQL session plans its first statements with cold
/// caches, tens of milliseconds once per connection that would otherwise be the p99.
async fn timed_gets(
    base: &str,
    requests: Vec<(String, String)>,
    concurrency: usize,
    rounds: usize,
) -> (usize, Percentiles, Phase) {
    let http = load::client();
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
    let (started, cpu_before) = (Instant::now(), load::cpu_times());
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
                        && r.status() == 200
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
        cpu_busy_percent: cpu_before.zip(load::cpu_times()).and_then(|((b0, t0), (b1, t1))| {
            (t1 > t0).then(|| (b1.saturating_sub(b0)) as f64 * 100.0 / (t1 - t0) as f64)
        }),
    };
    (all.len(), load::percentiles(all), phase)
}

/// How hard the machine worked during a timed run: every process, the replica's, PostgreSQL's
/// and the generator's alike (all CPUs, from /proc/stat).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, Default)]
pub struct Phase {
    pub clients: usize,
    pub per_second: f64,
    pub cpu_busy_percent: Option<f64>,
}

/// The plan as the replicas' sessions get it: under their settings (`db::SESSION_SETTINGS`).
async fn explain(
    sql: &Client,
    query: &str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> anyhow::Result<String> {
    for (name, value) in tutorchat::db::SESSION_SETTINGS {
        sql.batch_execute(&format!("SET {name} = {value}")).await?;
    }
    let rows = sql.query(&format!("EXPLAIN (ANALYZE, BUFFERS) {query}"), params).await?;
    Ok(rows.iter().map(|r| r.get::<_, String>(0)).collect::<Vec<_>>().join("\n"))
}

// ---------------------------------------------------------------- S5

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct S5 {
    pub events: usize,
    pub runs_ms: Vec<f64>,
    pub median_ms: f64,
}

pub async fn s5(events: i64) -> anyhow::Result<S5> {
    let cluster = Cluster::start(1, &[]).await?;
    let pairs = load::seed_pairs(&cluster.sql, 1).await?;
    let pair = &pairs[0];
    let head: i64 = cluster.sql.query_one("SELECT max(position) FROM events", &[]).await?.get(0);
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
    let mut sorted = runs.clone();
    sorted.sort_by(f64::total_cmp);
    let result = S5 { events: events as usize, median_ms: sorted[sorted.len() / 2], runs_ms: runs };
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
