//! S3's comparison with the S10 peer: its socket.io (one Node instance of
//! `bench/peers/socketio`, on a private PostgreSQL of its own) holding as many idle sockets as
//! the streams, in the same round, measured the same way: its PSS delta per socket, and one
//! message's time to all of them.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use serde_json::json;
use tokio_util::sync::CancellationToken;

use super::{S3Run, S3Sockets, source};
use crate::load::{self, SocketKind};
use crate::scenarios::s10::peer::{self, Peer};
use crate::scenarios::{Cluster, Server};

/// At each of `counts`: that many sockets of one member of one chat (so every socket is in the
/// chat's room, as every admin stream gets the chat's events), then a message posted to the
/// chat through the peer and the time until every socket had it.
pub async fn s3_peer(server: &Server, round: usize, counts: &[usize]) -> anyhow::Result<S3Sockets> {
    peer::ensure_installed()?;
    let cluster = Cluster::start_on(server, 1, &[]).await?; // for its PostgreSQL
    let pairs = load::seed_pairs(&cluster.sql, 1).await?;
    peer::prepare(&cluster.sql, &pairs).await?;
    let node = Peer::start(cluster.topology().postgres().socket_dir(), 1).await?;
    let pid = node.pids().first().copied().ok_or_else(|| anyhow::anyhow!("the peer is not running"))?;
    let http = load::client();
    let mut runs = vec![];
    tokio::time::sleep(Duration::from_secs(2)).await;
    let before = load::pss_bytes(pid).unwrap_or(0);
    for (i, &n) in counts.iter().enumerate() {
        let stop = CancellationToken::new();
        let local = Some(source(round, 60 + i as u8)); // see `source`
        let tokens = std::slice::from_ref(&pairs[0].student);
        let sockets = load::HeldStreams::open_sockets(SocketKind::Peer, &node.urls[0], tokens, n, local, &stop).await?;
        let failed = sockets.failed.load(Ordering::Relaxed);
        anyhow::ensure!(failed == 0, "{failed} of {n} of the peer's sockets did not open");
        tokio::time::sleep(Duration::from_secs(2)).await;
        let after = load::pss_bytes(pid).unwrap_or(0);
        let sent = load::unix_nanos();
        let post = http
            .post(format!("{}/api/messages", node.urls[0]))
            .bearer_auth(&pairs[0].teacher)
            .json(&json!({ "chat_id": pairs[0].chat, "content": "to everyone watching" }))
            .send()
            .await?;
        anyhow::ensure!(post.status() == 201, "posting to the peer: {}", post.status());
        let deadline = Instant::now() + Duration::from_secs(60);
        while sockets.received.load(Ordering::Relaxed) < n && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let last = sockets.last_received_nanos.load(Ordering::Relaxed).max(sent);
        let run = S3Run {
            connections: n,
            pss_before_mib: before as f64 / 1048576.0,
            pss_after_mib: after as f64 / 1048576.0,
            bytes_per_connection: after.saturating_sub(before) as f64 / n as f64,
            fan_out_ms: (last - sent) as f64 / 1e6,
            received: sockets.received.load(Ordering::Relaxed),
            direct: None,
        };
        eprintln!(
            "S3 {n:6} sockets of the socket.io peer: {:.0} bytes each (PSS {:.1} → {:.1} MiB), one event reached {} of them in {:.1} ms",
            run.bytes_per_connection, run.pss_before_mib, run.pss_after_mib, run.received, run.fan_out_ms
        );
        runs.push(run);
        stop.cancel();
        // The peer says nothing of its sockets: a while for it to let go of them.
        tokio::time::sleep(Duration::from_secs(5)).await;
    }
    node.stop().await;
    cluster.stop().await;
    Ok(S3Sockets { kind: SocketKind::Peer, runs })
}
