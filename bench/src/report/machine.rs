//! What the measurements ran on, recorded with the results (the page's intro shows it): the
//! figures mean little without the machine's cores, memory, kernel and PostgreSQL.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Machine {
    pub cpus: usize,
    pub memory_gib: f64,
    pub kernel: String,
    pub postgres: String,
    pub date: String,
}

impl Machine {
    pub fn describe() -> Self {
        let memory_kb: f64 = std::fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|t| {
                t.lines().find_map(|l| {
                    l.strip_prefix("MemTotal:").map(|v| v.trim().trim_end_matches("kB").trim().to_owned())
                })
            })
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0);
        let postgres = std::process::Command::new("sh")
            .args(["-c", "ls -d /usr/lib/postgresql/*/bin/postgres | sort -V | tail -1 | xargs -I{} {} --version"])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .unwrap_or_default();
        let date = std::process::Command::new("date").arg("-u").arg("+%Y-%m-%d").output();
        Self {
            cpus: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
            memory_gib: memory_kb / 1048576.0,
            kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default().trim().to_owned(),
            postgres,
            date: date.map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned()).unwrap_or_default(),
        }
    }
}
