//! S3 across replicas: streams held on each replica by a helper process of its own (`hold`).

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use serde_json::json;
use tokio_util::sync::CancellationToken;

use super::{S3Spread, source};
use crate::load;
use crate::scenarios::{Cluster, Server};

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
pub async fn hold(url: String, tokens: Vec<String>, count: usize, local: std::net::IpAddr) -> anyhow::Result<()> {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let stop = CancellationToken::new();
    let streams = load::HeldStreams::open(&load::stream_client(Some(local))?, &url, &tokens, count, &stop).await?;
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
