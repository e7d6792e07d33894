//! Debian's `wrk`, the load generator S10 drives both sides with: not the product's own, so
//! neither side is measured by a client written for it. Two processes at once, one per
//! instance, each `-t1 -c64`, running `bench/peers/wrk/messages.lua`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::load::Pair;

/// Connections of each `wrk` process (one per instance: 128 over both).
pub const CONNECTIONS: usize = 64;

/// What both `wrk` processes measured against one side, summed (latencies: the higher of the two).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Side {
    /// Answers 201 per second, both processes together.
    pub per_second: f64,
    /// Every answer wrk counted, 201 or not.
    pub requests: u64,
    /// Answers other than 201, and socket errors (connect, read, write, timeout).
    pub errors: u64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// Rows the side's messages table gained during the run: at least the 201s, at most those
    /// and the requests still in flight when wrk stopped.
    pub landed: i64,
}

/// The Lua script, next to the peer.
pub fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("peers/wrk/messages.lua")
}

/// Installs wrk when it is missing and this runs as root (Debian's package), or says to.
pub fn ensure_installed() -> anyhow::Result<()> {
    let found = || std::process::Command::new("wrk").arg("--version").output().is_ok();
    if found() {
        return Ok(());
    }
    use std::os::unix::fs::MetadataExt as _;
    let root = std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0);
    anyhow::ensure!(root, "wrk not found: install it (apt-get install wrk)");
    eprintln!("S10: installing wrk (apt-get install -y wrk)");
    let status = std::process::Command::new("apt-get")
        .args(["install", "-y", "wrk"])
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status()?;
    anyhow::ensure!(status.success() && found(), "wrk not found and apt-get could not install it: install wrk");
    Ok(())
}

/// The file the script reads: a line per chat, `chat_id teacher_token student_token`.
pub fn chats_file(pairs: &[Pair], path: &Path) -> anyhow::Result<()> {
    let lines: String = pairs.iter().map(|p| format!("{} {} {}\n", p.chat, p.teacher, p.student)).collect();
    std::fs::write(path, lines)?;
    Ok(())
}

/// One `wrk` per URL at once, `CONNECTIONS` each, for `run`; their figures summed.
pub async fn run(urls: &[String], chats: &Path, keys: &str, run: Duration) -> anyhow::Result<Side> {
    let script = script();
    let runs = urls.iter().enumerate().map(|(k, url)| {
        let mut command = tokio::process::Command::new("wrk");
        command
            .args(["-t1", "-c", &CONNECTIONS.to_string(), "-d"])
            .arg(format!("{}s", run.as_secs().max(1)))
            .arg("--latency")
            .arg("-s")
            .arg(&script)
            .arg(url)
            .arg("--")
            .arg(chats)
            .arg(format!("{keys}-{k}"));
        async move { command.output().await }
    });
    let mut side = Side::default();
    for output in futures::future::try_join_all(runs).await? {
        let text = String::from_utf8_lossy(&output.stdout);
        anyhow::ensure!(output.status.success(), "wrk failed: {text} {}", String::from_utf8_lossy(&output.stderr));
        let one = parse(&text).ok_or_else(|| anyhow::anyhow!("wrk printed no figures: {text}"))?;
        side.per_second += one.per_second;
        side.requests += one.requests;
        side.errors += one.errors;
        side.p50_ms = side.p50_ms.max(one.p50_ms);
        side.p99_ms = side.p99_ms.max(one.p99_ms);
    }
    Ok(side)
}

/// One process's figures from its output (`--latency`, and the script's `non-201` line).
fn parse(text: &str) -> Option<Side> {
    let line = |prefix: &str| text.lines().map(str::trim).find_map(|l| l.strip_prefix(prefix).map(str::trim));
    // "20000 requests in 10.00s, 20.00MB read"
    let (requests, seconds) = text
        .lines()
        .find_map(|l| l.trim().split_once(" requests in "))
        .and_then(|(n, rest)| Some((n.parse::<u64>().ok()?, duration_ms(rest.split(',').next()?)? / 1e3)))?;
    let non_201: u64 = line("non-201 ")?.parse().ok()?;
    // "Socket errors: connect 0, read 0, write 0, timeout 0", only when there were some.
    let socket: u64 = line("Socket errors:")
        .map_or(0, |l| l.split(',').filter_map(|part| part.split_whitespace().last()?.parse::<u64>().ok()).sum());
    let percentile = |p: &str| line(p).and_then(duration_ms);
    Some(Side {
        per_second: requests.saturating_sub(non_201) as f64 / seconds.max(1e-9),
        requests,
        errors: non_201 + socket,
        p50_ms: percentile("50%")?,
        p99_ms: percentile("99%")?,
        landed: 0,
    })
}

/// wrk's durations ("812.00us", "4.31ms", "1.02s", "1.50m") in milliseconds.
fn duration_ms(text: &str) -> Option<f64> {
    let text = text.trim();
    let split = text.find(|c: char| c.is_ascii_alphabetic())?;
    let (value, unit) = text.split_at(split);
    let value: f64 = value.parse().ok()?;
    let scale = match unit {
        "us" => 1e-3,
        "ms" => 1.0,
        "s" => 1e3,
        "m" => 60e3,
        "h" => 3_600e3,
        _ => return None,
    };
    Some(value * scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    const OUTPUT: &str = "Running 10s test @ http://127.0.0.1:40123
  1 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     5.12ms    2.00ms  30.00ms   80.00%
    Req/Sec    12.50k     1.00k   14.00k    70.00%
  Latency Distribution
     50%  812.00us
     75%    5.50ms
     90%    6.20ms
     99%    1.02s
  20000 requests in 10.00s, 20.00MB read
  Socket errors: connect 0, read 2, write 0, timeout 3
  Non-2xx or 3xx responses: 5
Requests/sec:   2000.00
Transfer/sec:      2.00MB
non-201 10
";

    #[test]
    fn wrks_output_gives_the_201s_per_second_the_errors_and_the_percentiles() {
        let side = parse(OUTPUT).expect("figures");
        assert_eq!((side.requests, side.errors), (20_000, 15));
        assert!((side.per_second - 1_999.0).abs() < 1e-9, "{}", side.per_second);
        assert!((side.p50_ms - 0.812).abs() < 1e-9 && (side.p99_ms - 1_020.0).abs() < 1e-9, "{side:?}");
    }

    #[test]
    fn an_output_without_the_scripts_count_of_errors_gives_no_figures() {
        assert!(parse(&OUTPUT.replace("non-201 10\n", "")).is_none());
    }
}
