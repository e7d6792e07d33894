//! S3 on one replica: idle streams' memory and fan-out at each count, and the control; the
//! dialects' sockets the same way, each kind on a replica of its own.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use serde_json::json;
use tokio_util::sync::CancellationToken;

use super::{S3, S3Run, S3Sockets, source};
use crate::load::{self, SocketKind};
use crate::scenarios::{Cluster, Server};

pub async fn s3(server: &Server, round: usize, counts: &[usize]) -> anyhow::Result<S3> {
    let runs = held(server, round, counts, None).await?;
    let mut result = S3 {
        runs,
        idle_http_connections: 0,
        idle_http_bytes_per_connection: 0.0,
        spread: None,
        distinct_users: None,
        sockets: vec![],
        peer: None,
    };
    if let Some(&first) = counts.first() {
        control(server, round, first, &mut result).await?;
    }
    Ok(result)
}

/// The same runs with sockets of `kind` instead of event streams: as many, of the same admin, on
/// a fresh replica (after streams, the allocator's kept memory would hide the sockets').
pub async fn sockets(server: &Server, round: usize, counts: &[usize], kind: SocketKind) -> anyhow::Result<S3Sockets> {
    Ok(S3Sockets { kind, runs: held(server, round, counts, Some(kind)).await? })
}

/// On a replica of its own, at each of `counts`: that many idle admin streams (or sockets of
/// `kind`), the replica's PSS with them against one baseline before any, then one message and
/// the time until every one had it; each run's connections closed before the next.
async fn held(server: &Server, round: usize, counts: &[usize], kind: Option<SocketKind>) -> anyhow::Result<Vec<S3Run>> {
    let cluster = Cluster::start_on(server, 1, &[]).await?;
    let pairs = load::seed_pairs(&cluster.sql, 1).await?;
    let admin = load::seed_admin(&cluster.sql, "bench-admin@bench").await?;
    let pid = cluster.topology().replica_pid(0).ok_or_else(|| anyhow::anyhow!("no replica"))?;
    let http = load::client();
    let url = format!("{}/api/events/chat", cluster.urls[0]);
    let what = kind.map_or("streams", |k| k.name());
    let mut runs = vec![];
    // One baseline for every run: after a run's streams close the allocator keeps their memory
    // for reuse, so a later baseline would hide it.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let before = load::pss_bytes(pid).unwrap_or(0);
    let metrics_url = format!("{}/metrics", cluster.urls[0]);
    for (i, &n) in counts.iter().enumerate() {
        let stop = CancellationToken::new();
        // Each run from its own source address (see `source`): streams from .20, sockets from
        // .40 (/api/v1/ws), .50 (Socket.IO) on.
        let host = match kind {
            None => 20,
            Some(SocketKind::V1) => 40,
            Some(_) => 50,
        };
        let local = source(round, host + i as u8);
        let direct_before = load::metric(&http, &metrics_url, "tutorchat_direct_event_streams_total").await;
        let tokens = std::slice::from_ref(&admin);
        let streams = match kind {
            None => load::HeldStreams::open(&load::stream_client(Some(local))?, &url, tokens, n, &stop).await?,
            Some(kind) => {
                load::HeldStreams::open_sockets(kind, &cluster.urls[0], tokens, n, Some(local), &stop).await?
            }
        };
        let direct_after = load::metric(&http, &metrics_url, "tutorchat_direct_event_streams_total").await;
        let direct = direct_after.filter(|_| kind.is_none()).map(|after| (after - direct_before.unwrap_or(0.0)) as u64);
        let failed = streams.failed.load(Ordering::Relaxed);
        anyhow::ensure!(failed == 0, "{failed} of {n} {what} did not open");
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
        let direct = run.direct.map_or(String::new(), |d| format!("; {d} answered without hyper"));
        eprintln!(
            "S3 {n:6} {what}: {:.0} bytes each (PSS {:.1} → {:.1} MiB), one event reached {} of them in {:.1} ms{direct}",
            run.bytes_per_connection, run.pss_before_mib, run.pss_after_mib, run.received, run.fan_out_ms
        );
        runs.push(run);
        stop.cancel();
        // Until the replica has let go of them all (the hub counts sockets as it counts streams).
        let deadline = Instant::now() + Duration::from_secs(60);
        while cluster.sql.query_one("SELECT 1", &[]).await.is_ok() && Instant::now() < deadline {
            let open = load::metric(&http, &metrics_url, "tutorchat_sse_connections").await;
            if open.unwrap_or(0.0) < 1.0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    cluster.stop().await;
    Ok(runs)
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
