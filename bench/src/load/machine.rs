//! What the machine and a replica report: CPU, I/O pressure, memory, a replica's metrics.

/// A replica's counter or gauge from its `/metrics` (`name` with its labels, as printed), None
/// when it cannot be read; 0 when the replica has not recorded it yet.
pub async fn metric(http: &reqwest::Client, metrics_url: &str, name: &str) -> Option<f64> {
    let text = http.get(metrics_url).send().await.ok()?.text().await.ok()?;
    metric_in(&text, name)
}

/// `name`'s value in a `/metrics` page's text: 0 when it is not there, None when it does not parse.
pub fn metric_in(text: &str, name: &str) -> Option<f64> {
    let prefix = format!("{name} ");
    text.lines().find_map(|l| l.strip_prefix(&prefix)).map_or(Some(0.0), |v| v.trim().parse().ok())
}

/// Now, in nanoseconds since the Unix epoch: comparable across processes on this machine.
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
