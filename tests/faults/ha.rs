//! The HA topology (`tutorchat-dev topology --ha`): three etcd members, two PostgreSQL servers run by
//! Patroni (primary and synchronous standby), two replicas that follow whichever server leads,
//! nginx in front. Under writers that retry like the web client (same `Idempotency-Key`) and
//! 2,000 open streams spread over both replicas: a primary killed, a planned switchover, an etcd
//! member lost. Each ends with the checker every fault test ends with (every acknowledged message
//! in the log exactly once, every stream has every message of its chats once and in order,
//! what the streams built equals a fresh read) and `audit_replay()` empty on the new primary.
//! All of it runs with the control plane closed to strangers (TLS, certificates, passwords),
//! which the last test checks on its own.

use std::time::{Duration, Instant};

use tutorchat_dev::topology::ha::{Call, EtcdClient, LOOP_WAIT, TTL};

use crate::support::{self, Cluster, Follower, PostLog};

/// Streams per participant and for the admin: 400 × 5 = 2,000 streams.
const STREAMS_EACH: usize = 400;

pub(crate) async fn loaded_cluster() -> (Cluster, Vec<Follower>) {
    support::raise_file_limit();
    let cluster = Cluster::start_ha(&[
        ("SSE_MAX_STREAMS_PER_USER", "100000"),
        ("RATE_STREAM_OPENS_PER_SEC", "100000"),
        ("RATE_STREAM_OPENS_BURST", "100000"),
        ("LISTENER_PROBE_SECS", "1"),
    ])
    .await;
    let followers = cluster.follow_everyone_times(STREAMS_EACH).await;
    for i in 0..2 {
        let streams = cluster.metric_of(i, tutorchat::metrics::SSE_CONNECTIONS).await;
        assert!(streams >= 500.0, "replica {} holds {streams} of the 2,000 streams", i + 1);
    }
    (cluster, followers)
}

/// The node that leads (Patroni's view: its REST API answers `/primary` there).
pub(crate) async fn leader(cluster: &Cluster) -> usize {
    cluster.topology(|t| t.ha().expect("HA").wait_for_leader(Duration::from_secs(60))).await
}

/// `kill -9` of node `old`'s postmaster and of its WAL sender (paused by
/// `pause_wal_sender`, so that it sends nothing more as it dies); then waits for the node that
/// leads next, and answers which.
pub(crate) async fn kill_primary(cluster: &Cluster, old: usize, sender: i32) -> usize {
    cluster
        .topology(move |t| {
            let ha = t.ha().expect("HA");
            ha.kill_postmaster(old)?;
            ha.signal(sender, nix::sys::signal::Signal::SIGKILL)
        })
        .await;
    cluster.topology(move |t| t.ha().expect("HA").wait_for_new_leader(old, Duration::from_secs(60))).await
}

/// What every test ends with: delivery, the audit, and no answer of 500 to anyone.
pub(crate) async fn assert_nothing_lost(cluster: &Cluster, followers: &[Follower], logs: &PostLog) {
    assert_eq!(logs.failures(), Default::default(), "every write acknowledged after the client's retries");
    cluster.assert_delivered(followers, logs).await;
    cluster.assert_ready().await;
    let differences = cluster.sql().await.query("SELECT * FROM audit_replay()", &[]).await.expect("audit_replay");
    assert!(differences.is_empty(), "audit_replay() on the primary found {} differences", differences.len());
    let server_errors: usize = cluster
        .statuses_of("")
        .into_iter()
        .filter(|(status, _)| (500..600).contains(status) && *status != 503)
        .map(|(_, n)| n)
        .sum();
    assert_eq!(server_errors, 0, "no 500s or 502s: {:?}", cluster.statuses_of(""));
}

/// What the retries were: how many sends nginx answered 503 (then retried with their key).
fn retried(cluster: &Cluster) -> usize {
    cluster.statuses_of("POST /api/messages").get(&503).copied().unwrap_or(0)
}

/// 16. `kill -9` of the primary's postmaster under load, its WAL ahead of its standby's (commits
/// waiting for the standby, unacknowledged): Patroni fails over to the synchronous standby (at
/// once: `primary_start_timeout` 0) within the documented bound, writes answer 503 with
/// `Retry-After` meanwhile and succeed on retry, nothing acknowledged is lost or doubled, every
/// stream goes on; then the old primary is rewound by `pg_rewind` (its WAL past the fork,
/// never acknowledged, is discarded) and rejoins as the synchronous standby with exactly the
/// primary's log.
#[tokio::test]
async fn a_killed_primary_fails_over_within_the_bound_loses_nothing_and_rejoins_as_standby() {
    let _one_at_a_time = support::serial().await;
    let (cluster, followers) = loaded_cluster().await;
    let old = leader(&cluster).await;
    let posters = cluster.retrying_posters(4, 150, Duration::from_millis(20));
    tokio::time::sleep(Duration::from_secs(1)).await;

    // The primary stops sending WAL for a moment: commits wait for the standby (unacknowledged)
    // while the primary's WAL runs ahead of the standby's, which is how a dying primary diverges.
    // Then it dies, its WAL sender with it.
    let sender = cluster.topology(move |t| t.ha().expect("HA").pause_wal_sender(old)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let killed = Instant::now();
    let new = kill_primary(&cluster, old, sender).await;
    let promoted = killed.elapsed();
    assert_ne!(new, old, "the standby leads");
    let mut writable = None;
    while writable.is_none() {
        let (status, retry_after) = cluster.post_answer("after the failover").await;
        match status {
            201 => writable = Some(killed.elapsed()),
            503 => assert_eq!(retry_after.as_deref(), Some("1"), "503 says when to retry"),
            other => panic!("a write during the failover answered {other}"),
        }
        assert!(killed.elapsed() < Duration::from_secs(TTL + 20), "no writes {} s after the kill", TTL + 20);
    }
    let writable = writable.unwrap_or_default();

    let logs = PostLog::join(posters).await;
    assert_nothing_lost(&cluster, &followers, &logs).await;

    // The old primary follows the new one, synchronously, with the same log.
    let standby = cluster.topology(|t| t.ha().expect("HA").wait_for_sync_standby(Duration::from_secs(90))).await;
    assert_eq!(standby, old, "the old primary is the synchronous standby now");
    let (ha_primary, ha_standby) = cluster
        .topology(move |t| {
            let ha = t.ha().expect("HA");
            Ok((ha.node_config(new, "tutorchat"), ha.node_config(old, "tutorchat")))
        })
        .await;
    let (primary, standby) = (crate::helpers::connect(&ha_primary).await, crate::helpers::connect(&ha_standby).await);
    let head = "SELECT count(*), coalesce(max(position), 0), md5(string_agg(position::text || type, ',' ORDER BY position)) FROM events";
    let lsn: String =
        primary.query_one("SELECT pg_current_wal_lsn()::text", &[]).await.expect("the primary's WAL position").get(0);
    let deadline = Instant::now() + Duration::from_secs(30);
    while !standby
        .query_one("SELECT pg_last_wal_replay_lsn() >= $1::text::pg_lsn", &[&lsn])
        .await
        .expect("the standby's replay")
        .get::<_, bool>(0)
    {
        assert!(Instant::now() < deadline, "the rejoined standby does not replay the primary's WAL");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let on = |row: tokio_postgres::Row| (row.get::<_, i64>(0), row.get::<_, i64>(1), row.get::<_, String>(2));
    let theirs = on(standby.query_one(head, &[]).await.expect("the standby's log"));
    assert_eq!(
        on(primary.query_one(head, &[]).await.expect("the primary's log")),
        theirs,
        "the rejoined standby's log"
    );
    // Positions follow commit order in each chat across the failover, on both timelines: ordered
    // by position, no event of a chat committed before the one of that chat ahead of it (each
    // transaction's commit time, recorded by `track_commit_timestamp` and replicated with it).
    // Appends to different chats commit in any order; readers keep the log's settled prefix, so
    // they never notice (the checker above: every acknowledged message delivered once, in
    // order). The numbering may skip values where the new primary took over (its sequence
    // resumes where the WAL says, up to 32 ahead).
    let order = "SELECT count(*) FILTER (WHERE committed < previous), count(*) FILTER (WHERE committed IS NULL), \
                 coalesce(max(position - previous_position), 0) \
                 FROM (SELECT position, pg_xact_commit_timestamp(xmin) AS committed, \
                 lag(pg_xact_commit_timestamp(xmin)) OVER w AS previous, lag(position) OVER w AS previous_position \
                 FROM events WINDOW w AS (PARTITION BY chat_id ORDER BY position)) e";
    let row = primary.query_one(order, &[]).await.expect("the log's commit order");
    let (out_of_order, unknown, widest) = (row.get::<_, i64>(0), row.get::<_, i64>(1), row.get::<_, i64>(2));
    assert_eq!(
        (out_of_order, unknown),
        (0, 0),
        "positions in commit order per chat (out of order, without a commit time)"
    );
    // Reads follow the new standby (READ_DATABASE_URL names both servers, read-only): once its
    // rest after the failure is over, history is served there again.
    tokio::time::sleep(tutorchat::standby::REST + Duration::from_secs(1)).await;
    let served = "tutorchat_standby_reads_total{outcome=\"served\"}";
    let before = cluster.metric_of(0, served).await + cluster.metric_of(1, served).await;
    let (http, pair) = (reqwest::Client::new(), cluster.pair(0));
    for _ in 0..20 {
        let url = format!("{}/api/chats/{}/messages?limit=10", cluster.url, pair.chat);
        let response = http.get(url).bearer_auth(&pair.teacher.token).send().await.expect("history");
        assert_eq!(response.status(), 200, "history after the failover");
    }
    let after = cluster.metric_of(0, served).await + cluster.metric_of(1, served).await;
    assert!(after > before, "reads are served by the new standby again ({before} → {after})");
    let readers: i64 = standby
        .query_one("SELECT count(*) FROM pg_stat_activity WHERE usename = 'tutorchat_runtime'", &[])
        .await
        .expect("sessions on the new standby")
        .get(0);
    assert!(readers > 0, "the replicas read from the old primary, now the standby");

    let log = cluster.topology(move |t| Ok(t.ha().expect("HA").log_of(old))).await;
    assert!(log.contains("running pg_rewind"), "the old primary's WAL past the fork was rewound");
    eprintln!(
        "failover: the standby led {promoted:?} after the kill, writes succeeded again after {writable:?} (bound: \
         {LOOP_WAIT} s to notice + promotion); {} sends answered 503 and were retried, {} acknowledged; the old \
         primary rewound by pg_rewind and rejoined as synchronous standby, {} events identical on both, in commit \
         order (the widest step between positions: {widest})",
        retried(&cluster),
        logs.acked(),
        theirs.0
    );
    assert!(promoted < Duration::from_secs(LOOP_WAIT + 10), "a new primary within {} s: {promoted:?}", LOOP_WAIT + 10);
}

/// 17. `patronictl switchover` under load, for maintenance: the standby leads, the old primary
/// follows it, and no request fails beyond the client's own retries.
#[tokio::test]
async fn a_planned_switchover_fails_no_request_beyond_the_clients_retries() {
    let _one_at_a_time = support::serial().await;
    let (cluster, followers) = loaded_cluster().await;
    let old = leader(&cluster).await;
    let posters = cluster.retrying_posters(4, 150, Duration::from_millis(20));
    tokio::time::sleep(Duration::from_secs(1)).await;

    let started = Instant::now();
    let said = cluster.topology(move |t| t.ha().expect("HA").switchover(1 - old)).await;
    let new = cluster.topology(move |t| t.ha().expect("HA").wait_for_new_leader(old, Duration::from_secs(60))).await;
    let took = started.elapsed();
    assert_eq!(new, 1 - old, "the candidate leads: {said}");

    let logs = PostLog::join(posters).await;
    assert_nothing_lost(&cluster, &followers, &logs).await;
    let standby = cluster.topology(|t| t.ha().expect("HA").wait_for_sync_standby(Duration::from_secs(60))).await;
    assert_eq!(standby, old, "the old primary follows");
    eprintln!(
        "switchover: the candidate led after {took:?}; {} sends answered 503 and were retried, {} acknowledged, none failed",
        retried(&cluster),
        logs.acked()
    );
}

/// 18. One of etcd's three members killed under load: the other two keep the quorum, the
/// leader keeps its key, nothing fails over and no request fails at all, not even once; the
/// member comes back and rejoins.
#[tokio::test]
async fn losing_one_of_three_etcd_members_changes_nothing() {
    let _one_at_a_time = support::serial().await;
    let (cluster, followers) = loaded_cluster().await;
    let old = leader(&cluster).await;
    let posters = cluster.posters(4, 150, Duration::from_millis(20));
    tokio::time::sleep(Duration::from_secs(1)).await;

    cluster
        .topology(|t| {
            t.ha().expect("HA").kill_etcd(0);
            Ok(())
        })
        .await;
    // Longer than the leader key's life: had the leader lost it, a failover would have begun.
    tokio::time::sleep(Duration::from_secs(TTL + 2)).await;
    let healthy = cluster.topology(|t| Ok(t.ha().expect("HA").healthy_etcd_members())).await;
    assert_eq!(healthy, 2, "two members keep the quorum");
    assert_eq!(leader(&cluster).await, old, "the same primary leads");

    let logs = PostLog::join(posters).await;
    assert_eq!(logs.failed(), 0, "no request failed: {:?}", logs.failures());
    assert_eq!(retried(&cluster), 0, "no 503 at all");
    assert_nothing_lost(&cluster, &followers, &logs).await;
    cluster.topology(|t| t.ha().expect("HA").start_etcd(0)).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    while cluster.topology(|t| Ok(t.ha().expect("HA").healthy_etcd_members())).await < 3 {
        assert!(Instant::now() < deadline, "the member did not rejoin");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let standby = cluster.topology(|t| t.ha().expect("HA").wait_for_sync_standby(Duration::from_secs(10))).await;
    assert_eq!((leader(&cluster).await, standby), (old, 1 - old), "roles unchanged");
    eprintln!(
        "etcd: one of three members killed for {} s: {} acknowledged, none failed, no failover",
        TTL + 2,
        logs.acked()
    );
}

/// 19. Someone who reaches the database machines' ports (or shares the machine) cannot steer
/// the cluster or read its traffic: etcd refuses clients without the topology's certificate,
/// plain HTTP included; Patroni's REST API refuses its changing endpoints without the password
/// and takes them with it; PostgreSQL refuses TCP without TLS and a wrong password on its
/// socket; and the standby's replication connection is encrypted.
#[tokio::test]
async fn strangers_can_neither_steer_the_cluster_nor_read_its_replication() {
    let _one_at_a_time = support::serial().await;
    let cluster = Cluster::start_ha(&[]).await;
    let primary = leader(&cluster).await;

    let etcd = cluster
        .topology(|t| {
            let ha = t.ha().expect("HA");
            Ok([EtcdClient::Plain, EtcdClient::WithoutCertificate, EtcdClient::WithCertificate]
                .map(|client| (client, ha.etcd_status(0, client))))
        })
        .await;
    let (tcp, socket) = cluster
        .topology(move |t| {
            let ha = t.ha().expect("HA");
            Ok((ha.node_tcp_config(primary, "postgres"), ha.node_config(primary, "postgres")))
        })
        .await;
    let refusal = |result: Result<_, tokio_postgres::Error>| match result {
        Ok(_) => "accepted".to_owned(),
        Err(e) => e.as_db_error().map(|e| e.message().to_owned()).unwrap_or_else(|| e.to_string()),
    };
    let mut plain = tcp.clone();
    plain.ssl_mode(tokio_postgres::config::SslMode::Disable);
    let without_tls = refusal(plain.connect(tokio_postgres::NoTls).await.map(drop));
    let mut guessed = socket.clone();
    guessed.password("postgres");
    let wrong_password = refusal(guessed.connect(tokio_postgres::NoTls).await.map(drop));
    let sql = crate::helpers::connect(&socket).await;
    let rows = sql
        .query(
            "SELECT r.usename::text, s.ssl, coalesce(s.version, '') FROM pg_stat_replication r JOIN pg_stat_ssl s USING (pid)",
            &[],
        )
        .await
        .expect("the primary's replication connections");
    let streams: Vec<(String, bool, String)> = rows.iter().map(|r| (r.get(0), r.get(1), r.get(2))).collect();
    // Last: where the REST API takes anyone, the unauthenticated /restart restarts the primary.
    let rest = cluster
        .topology(move |t| {
            let ha = t.ha().expect("HA");
            let (right, wrong) = (ha.rest_credentials(), format!("{}-guess", ha.rest_credentials()));
            let call = |method, path, basic| ha.rest(primary, &Call { method, path, body: "", basic });
            Ok([
                call("POST", "/restart", None),
                call("POST", "/switchover", Some(wrong.as_str())),
                call("POST", "/reinitialize", None),
                call("POST", "/reload", Some(right.as_str())),
            ])
        })
        .await;
    eprintln!(
        "control plane: etcd {etcd:?}; REST {rest:?}; TCP without TLS: {without_tls}; socket with a guessed \
         password: {wrong_password}; replication {streams:?}"
    );

    assert_eq!(etcd[2].1, Some(200), "etcd answers a client with the certificate: {etcd:?}");
    assert!(etcd[0].1 != Some(200) && etcd[1].1.is_none(), "etcd answered a client without it: {etcd:?}");
    assert_eq!(rest, [Some(401), Some(401), Some(401), Some(202)], "restart, switchover, reinitialize; reload");
    assert!(
        without_tls.contains("no pg_hba.conf entry") && without_tls.contains("no encryption"),
        "TCP without TLS: {without_tls}"
    );
    assert!(wrong_password.contains("password authentication failed"), "a guessed password: {wrong_password}");
    assert!(!streams.is_empty(), "the standby streams from the primary");
    assert!(streams.iter().all(|(user, ssl, _)| user == "replicator" && *ssl), "replication over TLS: {streams:?}");
}
