//! S3 with one stream per user: what a user costs beyond a stream.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use super::{S3Users, source};
use crate::load;
use crate::scenarios::{Cluster, Server};

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
