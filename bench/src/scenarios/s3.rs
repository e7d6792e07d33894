//! S3: memory per idle stream and fan-out time on one replica, and streams spread over three
//! replicas held by helper processes (`hold`).

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio_util::sync::CancellationToken;

use super::{Cluster, Server};
use crate::load::{self};
use crate::rounds::{Figure, Figures, figure};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct S3Run {
    pub connections: usize,
    pub pss_before_mib: f64,
    pub pss_after_mib: f64,
    pub bytes_per_connection: f64,
    /// From the POST until the last of the connections had the event.
    pub fan_out_ms: f64,
    pub received: usize,
    /// Of the streams, how many the replica answered without hyper (its
    /// `tutorchat_direct_event_streams_total` moved by this much while they opened).
    #[serde(default)]
    pub direct: Option<u64>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
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
    /// One stream per user, each user distinct: what per-user state (presence above all)
    /// adds to a stream.
    #[serde(default)]
    pub distinct_users: Option<S3Users>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct S3Users {
    pub streams: usize,
    /// PSS delta / streams, with every user's presence recorded.
    pub bytes_per_connection: f64,
    /// The same replica holding as many admin streams of one user, measured just before.
    pub one_user_bytes_per_connection: f64,
    /// How long until every user's presence was recorded in PostgreSQL.
    pub presence_seconds: f64,
    /// Users whose presence PostgreSQL had recorded when the tool stopped waiting (all of them,
    /// unless presence fell behind), and the replica's count of presence changes that failed.
    #[serde(default)]
    pub presence_recorded: Option<usize>,
    #[serde(default)]
    pub presence_errors: Option<f64>,
    /// Streams that ended before the tool closed them (each takes its user offline).
    #[serde(default)]
    pub streams_ended: Option<usize>,
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

impl Figures for S3 {
    /// Per stream at the most streams first (it ranks the rounds), then the rest.
    fn figures(&self) -> Vec<Figure> {
        let mut figures = Vec::new();
        for r in self.runs.iter().rev() {
            figures.push(figure(format!("bytes per idle stream at {}", r.connections), r.bytes_per_connection));
            figures.push(figure(format!("one event to {} streams, ms", r.connections), r.fan_out_ms));
        }
        if let Some(spread) = &self.spread {
            let most = spread.bytes_per_connection.iter().copied().fold(0.0, f64::max);
            figures.push(figure(
                format!("bytes per stream, {} on each of {} replicas (the most)", spread.per_replica, spread.replicas),
                most,
            ));
            figures.push(figure(
                format!("one event to every stream on {} replicas, ms", spread.replicas),
                spread.fan_out_ms,
            ));
        }
        if let Some(users) = &self.distinct_users {
            figures.push(figure(format!("bytes per stream, {} users", users.streams), users.bytes_per_connection));
        }
        figures.push(figure("bytes per idle keep-alive connection (control)", self.idle_http_bytes_per_connection));
        figures
    }
}

/// A loopback source address of round `round` (127.0.round.host): each run of each round
/// connects from its own, because the last run's closed connections wait out `TIME_WAIT` on
/// their ports for a minute, and two runs of 19,000 would exhaust one address.
fn source(round: usize, host: u8) -> std::net::IpAddr {
    std::net::IpAddr::from([127, 0, round as u8, host])
}

/// One round of S3 against `server`: idle streams on one replica at each of `counts` (with the
/// control), across three replicas, and one per user.
pub async fn s3_all(server: &Server, round: usize, quick: bool) -> anyhow::Result<S3> {
    let counts: &[usize] = if quick { &[200] } else { &[5_000, 19_000] };
    let mut s3 = s3(server, round, counts).await?;
    let (replicas, per_replica) = if quick { (3, 100) } else { (3, 19_000) };
    s3.spread = Some(s3_spread(server, round, replicas, per_replica).await?);
    s3.distinct_users = Some(s3_users(server, round, if quick { 200 } else { 19_000 }).await?);
    Ok(s3)
}

pub async fn s3(server: &Server, round: usize, counts: &[usize]) -> anyhow::Result<S3> {
    let cluster = Cluster::start_on(server, 1, &[]).await?;
    let pairs = load::seed_pairs(&cluster.sql, 1).await?;
    let admin = load::seed_admin(&cluster.sql, "bench-admin@bench").await?;
    let pid = cluster.topology().replica_pid(0).ok_or_else(|| anyhow::anyhow!("no replica"))?;
    let http = load::client();
    let url = format!("{}/api/events/chat", cluster.urls[0]);
    let mut result = S3 {
        runs: vec![],
        idle_http_connections: 0,
        idle_http_bytes_per_connection: 0.0,
        spread: None,
        distinct_users: None,
    };
    // One baseline for every run: after a run's streams close the allocator keeps their memory
    // for reuse, so a later baseline would hide it.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let before = load::pss_bytes(pid).unwrap_or(0);
    let metrics_url = format!("{}/metrics", cluster.urls[0]);
    for (i, &n) in counts.iter().enumerate() {
        let stop = CancellationToken::new();
        // Each run from its own source address (see `source`).
        let streams_http = load::stream_client(Some(source(round, 20 + i as u8)))?;
        let direct_before = load::metric(&http, &metrics_url, "tutorchat_direct_event_streams_total").await;
        let streams = load::HeldStreams::open(&streams_http, &url, std::slice::from_ref(&admin), n, &stop).await?;
        let direct_after = load::metric(&http, &metrics_url, "tutorchat_direct_event_streams_total").await;
        let direct = direct_after.map(|after| (after - direct_before.unwrap_or(0.0)) as u64);
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
            direct,
        };
        eprintln!(
            "S3 {n:6} connections: {:.0} bytes each (PSS {:.1} → {:.1} MiB), one event reached {} of them in {:.1} ms; {:?} answered without hyper",
            run.bytes_per_connection, run.pss_before_mib, run.pss_after_mib, run.received, run.fan_out_ms, run.direct
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
    if let Some(&first) = counts.first() {
        control(server, round, first, &mut result).await?;
    }
    Ok(result)
}

/// The control, on a replica of its own (after streams, or before them, the allocator's kept
/// memory would blur both): `n` plain idle keep-alive HTTP connections, one request answered
/// each, no event stream; what the HTTP server (hyper), the runtime and the allocator cost.
async fn control(server: &Server, round: usize, n: usize, result: &mut S3) -> anyhow::Result<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let cluster = Cluster::start_on(server, 1, &[]).await?;
    let pid = cluster.topology().replica_pid(0).ok_or_else(|| anyhow::anyhow!("no replica"))?;
    let addr: std::net::SocketAddr = cluster.urls[0].trim_start_matches("http://").parse()?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let before = load::pss_bytes(pid).unwrap_or(0);
    let mut idle = Vec::with_capacity(n);
    for _ in 0..n {
        let socket = tokio::net::TcpSocket::new_v4()?;
        socket.bind((source(round, 19), 0).into())?;
        let mut socket = socket.connect(addr).await?;
        socket.write_all(b"GET /api/bench-noop HTTP/1.1\r\nHost: bench\r\n\r\n").await?;
        let mut answer = [0u8; 1024];
        let _ = socket.read(&mut answer).await?;
        idle.push(socket);
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let with_idle = load::pss_bytes(pid).unwrap_or(0);
    result.idle_http_connections = n;
    result.idle_http_bytes_per_connection = with_idle.saturating_sub(before) as f64 / n as f64;
    eprintln!(
        "S3 control: {n} idle keep-alive HTTP connections cost {:.0} bytes each",
        result.idle_http_bytes_per_connection
    );
    drop(idle);
    cluster.stop().await;
    Ok(())
}

/// S3 with one stream per user: `n` admin streams of one user, then (after they close, on a
/// fresh replica) `n` streams of `n` distinct students, waiting until PostgreSQL has recorded
/// every student's presence. The difference per stream is what a user costs beyond a stream:
/// presence (the hub's count and the presence task's record), the hub's per-user entry, the
/// rate limiter's and the user cache's.
pub async fn s3_users(server: &Server, round: usize, n: usize) -> anyhow::Result<S3Users> {
    let mut per_connection = Vec::new();
    let (mut presence_seconds, mut presence_recorded, mut presence_errors, mut streams_ended) = (0.0, None, None, None);
    for distinct in [false, true] {
        let cluster = Cluster::start_on(server, 1, &[]).await?;
        let tokens: Vec<String> = if distinct {
            cluster
                .sql
                .query(
                    "INSERT INTO users (email, name, role)
                     SELECT 'u' || g || '@users.bench', 'User ' || g, 'student' FROM generate_series(1, $1::int) g
                     RETURNING id",
                    &[&(n as i32)],
                )
                .await?
                .iter()
                .map(|r| load::token(r.get(0)))
                .collect()
        } else {
            vec![load::seed_admin(&cluster.sql, "users-admin@bench").await?]
        };
        let pid = cluster.topology().replica_pid(0).ok_or_else(|| anyhow::anyhow!("no replica"))?;
        tokio::time::sleep(Duration::from_secs(2)).await;
        let before = load::pss_bytes(pid).unwrap_or(0);
        let stop = CancellationToken::new();
        let started = Instant::now();
        let url = format!("{}/api/events/chat", cluster.urls[0]);
        // From an address of its own (see `s3`).
        let local = source(round, if distinct { 31 } else { 30 });
        let streams = load::HeldStreams::open(&load::stream_client(Some(local))?, &url, &tokens, n, &stop).await?;
        let failed = streams.failed.load(Ordering::Relaxed);
        anyhow::ensure!(failed == 0, "{failed} of {n} streams did not open");
        let expected = if distinct { n as i64 } else { 1 };
        // Two minutes: 19,000 users were recorded in under ten seconds in earlier runs. A
        // shortfall is measured and reported, not fatal: it is a finding about presence.
        let deadline = Instant::now() + Duration::from_secs(120);
        let recorded = loop {
            let recorded: i64 = cluster.sql.query_one("SELECT count(*) FROM presence_streams", &[]).await?.get(0);
            if recorded >= expected || Instant::now() >= deadline {
                break recorded;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        if distinct {
            presence_seconds = started.elapsed().as_secs_f64();
            presence_recorded = Some(recorded as usize);
            let metrics_url = format!("{}/metrics", cluster.urls[0]);
            presence_errors = load::metric(&load::client(), &metrics_url, "tutorchat_presence_errors_total").await;
            streams_ended = Some(streams.ended.load(Ordering::Relaxed));
            if recorded < expected {
                eprintln!(
                    "S3 presence recorded for only {recorded} of {expected} users after {presence_seconds:.0} s ({} presence errors counted by the replica, {} streams ended early)",
                    presence_errors.unwrap_or(0.0),
                    streams_ended.unwrap_or(0)
                );
            }
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
        let after = load::pss_bytes(pid).unwrap_or(0);
        let bytes = after.saturating_sub(before) as f64 / n as f64;
        eprintln!(
            "S3 {n} streams of {} user(s): {bytes:.0} bytes each (presence recorded after {:.1} s)",
            if distinct { n } else { 1 },
            started.elapsed().as_secs_f64()
        );
        per_connection.push(bytes);
        stop.cancel();
        cluster.stop().await;
    }
    Ok(S3Users {
        streams: n,
        bytes_per_connection: per_connection[1],
        one_user_bytes_per_connection: per_connection[0],
        presence_seconds,
        presence_recorded,
        presence_errors,
        streams_ended,
    })
}

/// S3 across replicas: `per_replica` admin streams on each of `replicas` replicas at once. A
/// process here may hold at most 20,000 open files, so each replica's streams are held by a
/// helper process of their own (this tool, `hold`), connecting from its own loopback address
/// (127.0.round.2, .3, …) so that no source address runs out of ephemeral ports.
pub async fn s3_spread(server: &Server, round: usize, replicas: usize, per_replica: usize) -> anyhow::Result<S3Spread> {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let cluster = Cluster::start_on(server, replicas, &[]).await?;
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
            .args(["--count", &per_replica.to_string(), "--local-addr", &source(round, i as u8 + 2).to_string()])
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
    let streams = load::HeldStreams::open(&load::stream_client(Some(local))?, &url, &[token], count, &stop).await?;
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
