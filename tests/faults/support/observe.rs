//! What the topology shows of itself: replicas' metrics, nginx's logs, PostgreSQL's sessions.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use super::Cluster;
use crate::helpers::kill_listeners;

impl Cluster {
    /// nginx's error log so far.
    pub fn nginx_errors(&self) -> String {
        std::fs::read_to_string(self.access_log.with_file_name("error.log")).unwrap_or_default()
    }

    pub async fn status_through_nginx(&self, path: &str) -> u16 {
        self.http.get(format!("{}{path}", self.url)).send().await.expect("request").status().as_u16()
    }

    /// Requests nginx sent to replica `i`: sends GETs through nginx until one lands there.
    pub async fn requests_served_by(&self, i: usize, _since: Instant, attempts: usize) -> usize {
        let addr = self.replica_urls[i].trim_start_matches("http://").to_owned();
        let count = || {
            std::fs::read_to_string(&self.access_log).unwrap_or_default().lines().filter(|l| l.contains(&addr)).count()
        };
        let before = count();
        for _ in 0..attempts {
            let _ = self.http.get(format!("{}/healthz", self.url)).send().await;
            if count() > before {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        count() - before
    }

    /// How many requests nginx answered with each status, of those whose request line starts
    /// with `request` (`"POST /api/messages"`, say).
    pub fn statuses_of(&self, request: &str) -> BTreeMap<u16, usize> {
        let log = std::fs::read_to_string(&self.access_log).unwrap_or_default();
        let mut statuses = BTreeMap::new();
        for line in log.lines() {
            let Some((_, rest)) = line.split_once(&format!("\"{request}")) else { continue };
            let status = rest.split_once("\" ").and_then(|(_, after)| after.split(' ').next()?.parse().ok());
            if let Some(status) = status {
                *statuses.entry(status).or_default() += 1;
            }
        }
        statuses
    }

    /// How often each kind of nginx error occurred (the text after the upstream's name).
    pub fn nginx_error_summary(&self) -> BTreeMap<String, usize> {
        let log = std::fs::read_to_string(self.access_log.with_file_name("error.log")).unwrap_or_default();
        let mut kinds = BTreeMap::new();
        for line in log.lines() {
            let kind = line.split(": ").nth(1).unwrap_or(line).split(" while ").next().unwrap_or("").to_owned();
            let kind = kind.trim_start_matches(|c: char| c == '*' || c.is_ascii_digit() || c == ' ').to_owned();
            *kinds.entry(kind).or_default() += 1;
        }
        kinds
    }

    /// A counter or gauge summed over every replica's `/metrics`.
    pub async fn metric(&self, name: &str) -> i64 {
        let prefix = format!("{name} ");
        let mut total = 0.0;
        for url in &self.replica_urls {
            let response = self.http.get(format!("{url}/metrics")).send().await.expect("metrics");
            let text = response.text().await.expect("text");
            total += text
                .lines()
                .find_map(|l| l.strip_prefix(&prefix).and_then(|v| v.trim().parse::<f64>().ok()))
                .unwrap_or(0.0);
        }
        total as i64
    }

    /// A metric as replica `i` reports it (0 when it does not report it yet).
    pub async fn metric_of(&self, i: usize, name: &str) -> f64 {
        let prefix = format!("{name} ");
        let response = self.http.get(format!("{}/metrics", self.replica_urls[i])).send().await.expect("metrics");
        let text = response.text().await.expect("text");
        text.lines().find_map(|l| l.strip_prefix(&prefix).and_then(|v| v.trim().parse::<f64>().ok())).unwrap_or(0.0)
    }

    pub async fn terminate_listeners(&self) -> i64 {
        kill_listeners(&self.sql().await).await
    }

    /// Database sessions by `application_name` (replicas' pools are `tutorchat`).
    pub async fn connections_by_application(&self) -> BTreeMap<String, i64> {
        let rows = self
            .sql()
            .await
            .query(
                "SELECT application_name, count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' GROUP BY 1",
                &[],
            )
            .await
            .expect("sessions");
        rows.iter().map(|r| (r.get(0), r.get(1))).collect()
    }

    /// The process ids of the replicas' listener sessions in PostgreSQL.
    pub async fn listener_backends(&self) -> Vec<i32> {
        let rows = self
            .sql()
            .await
            .query("SELECT pid FROM pg_stat_activity WHERE application_name = 'tutorchat-listener'", &[])
            .await
            .expect("listener sessions");
        rows.iter().map(|r| r.get(0)).collect()
    }
}
