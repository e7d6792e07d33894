//! Fault tests on the production topology: a private PostgreSQL, three replicas of the real
//! binary and nginx in front (`tutorchat::topology`, the code behind `tutorchat topology`).
//! Every client goes through nginx. Each test asserts, for every subscriber: every committed
//! message of its chat arrives, none twice, in log order — and every acknowledged message is
//! committed. The tests run one at a time (each starts its own topology).

#[allow(dead_code, unused_imports)] // the API tests' helpers, not all of them used here
#[path = "../api/helpers/mod.rs"]
mod helpers;
mod support;

mod backups;
mod ha;

use std::time::{Duration, Instant};

use support::{Cluster, Follower, PostLog};

/// 1. `kill -9` one replica while clients stream and post: its clients reconnect through nginx
/// to the others and resume; the replica restarts and takes traffic again.
#[tokio::test]
async fn a_killed_replica_loses_nothing_and_comes_back() {
    let _one_at_a_time = support::serial().await;
    let cluster = Cluster::start(&[]).await;
    let followers = cluster.follow_everyone().await;
    let posters = cluster.posters(4, 120, Duration::from_millis(4));

    tokio::time::sleep(Duration::from_millis(700)).await;
    let killed_at = Instant::now();
    cluster.topology(|t| t.kill_replica(0)).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    cluster.topology(|t| t.start_replica(0)).await;
    let restarted_at = Instant::now();

    let logs = PostLog::join(posters).await;
    cluster.assert_delivered(&followers, &logs).await;
    let reconnect = followers.iter().filter_map(|f| f.first_reconnect_after(killed_at)).max();
    eprintln!(
        "kill -9: {} acknowledged, {} refused ({:?}); slowest stream reconnect after the kill: {:?}",
        logs.acked(),
        logs.failed(),
        logs.failures(),
        reconnect
    );
    assert!(followers.iter().any(|f| f.reconnects() > 0), "some stream was on the killed replica");
    assert_eq!(cluster.status_through_nginx("/metrics").await, 404, "metrics stay off the public side");

    // The restarted replica serves again: nginx sends it requests once its fail_timeout is over.
    let served = cluster.requests_served_by(0, restarted_at, 30).await;
    assert!(served > 0, "the restarted replica took no traffic");
}

/// 1b. The same kill, with clients that retry a send whose answer was lost, as the web client
/// does, with the message's `Idempotency-Key`: every message lands exactly once, whichever
/// replica the retry reaches.
#[tokio::test]
async fn sends_retried_with_their_key_across_a_killed_replica_land_exactly_once() {
    let _one_at_a_time = support::serial().await;
    let cluster = Cluster::start(&[]).await;
    let followers = cluster.follow_everyone().await;
    let (tasks, per_task) = (4, 120);
    let posters = cluster.retrying_posters(tasks, per_task, Duration::from_millis(4));

    tokio::time::sleep(Duration::from_millis(700)).await;
    cluster.topology(|t| t.kill_replica(0)).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    cluster.topology(|t| t.start_replica(0)).await;

    let logs = PostLog::join(posters).await;
    assert_eq!(logs.acked(), tasks * per_task, "every send was answered in the end: {:?}", logs.failures());
    let mut ids = logs.acked_ids();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), tasks * per_task, "each send has its own message");
    assert_eq!(cluster.duplicated_contents().await, vec![], "a retried send was committed twice");
    cluster.assert_delivered(&followers, &logs).await;
    let recognised = logs.0.iter().filter(|(status, _)| *status == 200).count();
    eprintln!(
        "kill -9 with retrying clients: {} sends, each committed once; {recognised} retries answered from their key",
        logs.acked()
    );
}

/// 2. PostgreSQL restarts under load: posts fail cleanly with 503 while it is down (never 500),
/// the listeners reconnect and catch up, and nothing acknowledged is lost.
#[tokio::test]
async fn a_postgres_restart_under_load_fails_cleanly_and_loses_nothing() {
    let _one_at_a_time = support::serial().await;
    let cluster = Cluster::start(&[("LISTENER_PROBE_SECS", "1")]).await;
    let followers = cluster.follow_everyone().await;
    let posters = cluster.posters(4, 150, Duration::from_millis(10));

    tokio::time::sleep(Duration::from_millis(500)).await;
    let down = Instant::now();
    cluster.topology(|t| t.postgres().stop_server()).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (status, retry_after) = cluster.post_answer("while the database is down").await;
    assert_eq!((status, retry_after.as_deref()), (503, Some("1")), "a write while the database is down");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    cluster.topology(|t| t.postgres().start_server()).await;
    let outage = down.elapsed();

    let logs = PostLog::join(posters).await;
    let failures = logs.failures();
    assert!(failures.keys().all(|status| *status == 503), "only 503 while the database is down: {failures:?}");
    assert!(failures.get(&503).is_some_and(|n| *n > 0), "the outage was noticed: {failures:?}");
    cluster.assert_delivered(&followers, &logs).await;
    cluster.assert_ready().await;
    eprintln!("PostgreSQL down for {outage:?}: {} acknowledged, {} answered 503", logs.acked(), logs.failed());
}

/// 3. Every listener connection terminated with `pg_terminate_backend`, repeatedly, while
/// messages are posted: the listeners reconnect and catch up without loss.
#[tokio::test]
async fn terminated_listeners_catch_up_without_loss() {
    let _one_at_a_time = support::serial().await;
    let cluster = Cluster::start(&[]).await;
    let followers = cluster.follow_everyone().await;
    let posters = cluster.posters(4, 120, Duration::from_millis(4));
    let mut killed = 0;
    for _ in 0..4 {
        tokio::time::sleep(Duration::from_millis(300)).await;
        killed += cluster.terminate_listeners().await;
    }
    assert!(killed >= 3, "listener connections were terminated ({killed})");
    let logs = PostLog::join(posters).await;
    assert_eq!(logs.failed(), 0, "posting is unaffected: {:?}", logs.failures());
    cluster.assert_delivered(&followers, &logs).await;
    eprintln!("{killed} listener connections terminated; {} messages, all delivered", logs.acked());
}

/// 4. A rolling restart of all three replicas (SIGTERM, then start, one at a time) under
/// load: zero lost, zero duplicated.
#[tokio::test]
async fn a_rolling_restart_loses_and_duplicates_nothing() {
    let _one_at_a_time = support::serial().await;
    let cluster = Cluster::start(&[]).await;
    let followers = cluster.follow_everyone().await;
    let posters = cluster.posters(4, 200, Duration::from_millis(5));
    let mut shutdowns = Vec::new();
    for i in 0..3 {
        tokio::time::sleep(Duration::from_millis(300)).await;
        shutdowns.push(cluster.topology(move |t| t.terminate_replica(i)).await);
        cluster.topology(move |t| t.start_replica(i)).await;
    }
    let logs = PostLog::join(posters).await;
    let nginx_errors = cluster.nginx_error_summary();
    eprintln!("nginx errors during the rolling restart: {nginx_errors:?}");
    assert!(!nginx_errors.contains_key("no live upstreams"), "nginx ran out of replicas: {nginx_errors:?}");
    cluster.assert_delivered(&followers, &logs).await;
    assert!(shutdowns.iter().all(|d| *d < Duration::from_secs(10)), "a replica took too long to stop: {shutdowns:?}");
    eprintln!(
        "rolling restart: SIGTERM-to-exit {shutdowns:?}; {} acknowledged, {} refused ({:?})",
        logs.acked(),
        logs.failed(),
        logs.failures()
    );
}

/// 5. A consumer that stops reading is disconnected at its limit, the others are unaffected,
/// and it resumes fully.
#[tokio::test]
async fn a_stalled_consumer_is_cut_off_others_keep_up_and_it_resumes() {
    let _one_at_a_time = support::serial().await;
    let cluster = Cluster::start(&[("SSE_QUEUE", "16")]).await;
    let followers = cluster.follow_everyone().await;
    let stalled = cluster.stalled_stream().await;
    const CUT: &str = "tutorchat_slow_consumer_disconnects_total";

    let big = "я".repeat(9_980);
    let mut logs = Vec::new();
    let mut rounds = 0;
    while cluster.metric(CUT).await == 0 {
        rounds += 1;
        assert!(rounds <= 100, "the stalled consumer was never disconnected");
        let text = format!("{big}{rounds}"); // every post its own text (the checker counts them)
        logs.extend(PostLog::join(cluster.posters_with(4, 10, Duration::ZERO, &text)).await.0);
    }
    assert_eq!(cluster.metric(CUT).await, 1, "only the stalled stream was cut off");
    let logs = PostLog(logs);
    cluster.assert_delivered(&followers, &logs).await; // the others received everything

    let (got, last_id) = support::drain(stalled).await;
    let mut resumed = Follower::start(&cluster, cluster.stalled_user(), last_id).await;
    let expected = cluster.committed(cluster.stalled_chat()).await;
    let rest = resumed.wait_for(expected.len() - got.len()).await;
    let mut all = got;
    all.extend(rest);
    assert_eq!(all, expected, "it resumes exactly where it was cut off");
    eprintln!("stalled consumer cut off after {} messages of 20 kB; resumed fully", logs.acked());
}

/// 7. nginx as shipped: TLS (a self-signed certificate here) with HSTS on it only, and room for
/// thousands of event streams (the single-worker configuration it replaced reset streams past
/// about 2,100). The streams come from 13 loopback addresses, 200 each, within nginx's
/// per-address limits; every one of them receives the message posted after they opened.
#[tokio::test]
async fn nginx_serves_tls_and_holds_thousands_of_streams() {
    let _one_at_a_time = support::serial().await;
    raise_file_limit();
    let cluster = Cluster::start(&[
        ("SSE_MAX_STREAMS_PER_USER", "100000"),
        ("RATE_STREAM_OPENS_PER_SEC", "100000"),
        ("RATE_STREAM_OPENS_BURST", "100000"),
    ])
    .await;

    let tls = cluster.topology(|t| Ok(t.tls_url())).await.expect("nginx runs");
    let curl = |url: String| {
        let output = std::process::Command::new("curl")
            .args(["-sk", "-D", "-", "-o", "/dev/null", &url])
            .output()
            .expect("run curl");
        String::from_utf8_lossy(&output.stdout).to_lowercase()
    };
    let over_tls = curl(format!("{tls}/healthz"));
    assert!(over_tls.starts_with("http/1.1 200"), "{over_tls}");
    assert!(over_tls.contains("strict-transport-security: max-age="), "HSTS over TLS: {over_tls}");
    assert!(over_tls.contains("x-content-type-options: nosniff") && !over_tls.contains("server: nginx/"));
    let plain = curl(format!("{}/healthz", cluster.url));
    assert!(plain.starts_with("http/1.1 200") && !plain.contains("strict-transport-security"), "{plain}");

    let (addresses, per_address) = (13, 200);
    let url = format!("{}/api/events/chat", cluster.url);
    let opens = (0..addresses).flat_map(|a| {
        let local: std::net::IpAddr = format!("127.0.0.{}", a + 2).parse().expect("address");
        let http = reqwest::Client::builder().local_address(local).build().expect("client");
        let (url, token) = (url.clone(), cluster.admin_token().to_owned());
        (0..per_address).map(move |_| {
            let (http, url, token) = (http.clone(), url.clone(), token.clone());
            async move { http.get(&url).bearer_auth(&token).send().await }
        })
    });
    let mut streams = Vec::new();
    for response in futures::future::join_all(opens).await {
        let response = response.expect("open a stream through nginx");
        assert_eq!(response.status(), 200, "every stream opens");
        streams.push(helpers::stream_from(response));
    }
    let sent = cluster.post_one("to every stream").await;
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut received = 0;
    for stream in &mut streams {
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match stream.item(left.max(Duration::from_millis(1))).await {
                Some(helpers::Item::Event(e)) if e.event == "new_message" => {
                    assert_eq!(e.json()["message"]["id"].as_i64(), Some(sent));
                    received += 1;
                    break;
                }
                Some(_) => continue,
                None => panic!("a stream was closed"),
            }
        }
    }
    assert_eq!(received, addresses * per_address);
    let errors = cluster.nginx_errors();
    assert!(!errors.contains("worker_connections are not enough"), "{errors}");
    eprintln!("nginx: {received} streams held over plain HTTP, each got the message; TLS answered with HSTS");
}

/// Up to the hard limit: thousands of streams need as many descriptors here, and the replicas
/// and nginx started from this process inherit it.
fn raise_file_limit() {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    if let Ok((_, hard)) = getrlimit(Resource::RLIMIT_NOFILE) {
        let _ = setrlimit(Resource::RLIMIT_NOFILE, hard, hard);
    }
}

/// 7. Presence through `kill -9`: a student's only stream is on the replica that dies; the
/// teacher, streaming from another replica, sees her go offline within the lease (plus one
/// renewal period), with `last_seen` no later than the kill; the restarted replica (a new
/// lease) leaves no ghost online, and she is online again when she reconnects.
#[tokio::test]
async fn presence_survives_a_killed_replica_within_the_lease() {
    let _serial = support::serial().await;
    const LEASE_SECS: u64 = 4;
    let cluster = Cluster::start(&[("PRESENCE_LEASE_SECS", "4"), ("PRESENCE_GRACE_SECS", "1")]).await;
    let (student, teacher) = (cluster.pair(0).student.clone(), cluster.pair(0).teacher.clone());
    let http = reqwest::Client::new();
    let stream_url = |i: usize| format!("{}/api/events/chat", cluster.replica_url(i));
    let mut watching = helpers::open_stream(&http, &stream_url(1), &teacher.token, None).await;
    let doomed = helpers::open_stream(&http, &stream_url(0), &student.token, None).await;
    let online = next_presence(&mut watching, Duration::from_secs(10)).await;
    assert_eq!((online["user_id"].as_i64(), online["online"].as_bool()), (Some(student.id), Some(true)));

    let killed = time::OffsetDateTime::now_utc();
    let started = Instant::now();
    cluster.topology(|t| t.kill_replica(0)).await;
    let bound = Duration::from_secs(LEASE_SECS + LEASE_SECS / 4 + 2);
    let offline = next_presence(&mut watching, bound).await;
    eprintln!("kill -9: offline announced {:?} after the kill (lease {LEASE_SECS} s)", started.elapsed());
    assert_eq!((offline["user_id"].as_i64(), offline["online"].as_bool()), (Some(student.id), Some(false)));
    let last_seen = time::OffsetDateTime::parse(
        offline["last_seen"].as_str().expect("last_seen"),
        &time::format_description::well_known::Rfc3339,
    )
    .expect("RFC 3339");
    assert!(last_seen <= killed, "last seen at the dead replica's last renewal, before the kill: {last_seen}");
    drop(doomed);

    cluster.topology(|t| t.start_replica(0)).await;
    let ask = |i: usize| {
        http.get(format!("{}/api/presence/{}", cluster.replica_url(i), student.id)).bearer_auth(&teacher.token).send()
    };
    let answer: serde_json::Value = ask(0).await.expect("GET").json().await.expect("json");
    assert_eq!(answer["online"], false, "no ghost after the restart: {answer}");
    let _back = helpers::open_stream(&http, &stream_url(0), &student.token, None).await;
    let online = next_presence(&mut watching, Duration::from_secs(10)).await;
    assert_eq!(online["online"], true);
    let answer: serde_json::Value = ask(2).await.expect("GET").json().await.expect("json");
    assert_eq!(answer["online"], true, "{answer}");
}

/// The next `presence` event's data, waiting at most `within` in all.
async fn next_presence(stream: &mut helpers::Stream, within: Duration) -> serde_json::Value {
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(!left.is_zero(), "no presence event within {within:?}");
        let event = stream.any_event_within(left).await;
        if event.event == "presence" {
            return event.json();
        }
    }
}

/// 8. A paused replica: `kill -STOP` for 30 s under writes, then `kill -CONT`. While it is
/// frozen the others serve (messages posted straight to one reach a stream opened straight on
/// another) and PostgreSQL's notification queue stays near empty (as a live replica's
/// `/metrics` reports it); afterwards the frozen replica's streams catch up, and every
/// subscriber has every committed message once, in order.
#[tokio::test]
async fn a_paused_replica_catches_up_and_the_others_are_unaffected() {
    let _serial = support::serial().await;
    const PAUSE: Duration = Duration::from_secs(30);
    let cluster = Cluster::start(&[]).await;
    let followers = cluster.follow_everyone().await;
    let mut posters = cluster.posters(4, 120, Duration::from_millis(4)); // through nginx
    tokio::time::sleep(Duration::from_millis(500)).await;

    cluster.topology(|t| t.pause_replica(0)).await;
    let paused_at = Instant::now();
    posters.extend(cluster.posters_to(1, 2, 650, Duration::from_millis(50), "while paused"));
    let http = reqwest::Client::new();
    let stream_url = format!("{}/api/events/chat", cluster.replica_url(2));
    let mut live = helpers::open_stream(&http, &stream_url, cluster.admin_token(), None).await;
    let mut during = 0;
    let mut usage = Vec::new();
    while paused_at.elapsed() < PAUSE {
        let event = live.event_within(Duration::from_secs(2)).await; // the live replicas go on
        during += usize::from(event.event == "new_message");
        if usage.len() < (paused_at.elapsed().as_secs() / 5) as usize {
            usage.push(cluster.metric_of(1, "tutorchat_notification_queue_usage").await);
        }
    }
    cluster.topology(|t| t.resume_replica(0)).await;

    let logs = PostLog::join(posters).await;
    cluster.assert_delivered(&followers, &logs).await;
    cluster.assert_ready().await;
    eprintln!(
        "paused replica: {} acknowledged, {} refused ({:?}); {during} messages reached a stream on a live replica during the pause; notification queue usage every 5 s: {usage:?}",
        logs.acked(),
        logs.failed(),
        logs.failures()
    );
    assert!(during >= 100, "the live replicas went on delivering while one was paused ({during})");
    assert!(
        !usage.is_empty() && usage.iter().all(|u| *u < 0.001),
        "the notification queue stayed near empty: {usage:?}"
    );
}

/// 9. A half-open listener: every replica's listener session frozen inside PostgreSQL
/// (`kill -STOP` on its backend), so its connection stays up but nothing comes back. Each
/// replica notices within its probe interval (2 s here, and 2 s for the answer) plus slack, is
/// not ready while it reconnects, catches up, and nothing is lost.
#[tokio::test]
async fn frozen_listener_sessions_are_noticed_by_the_probe_and_nothing_is_lost() {
    use nix::sys::signal::{Signal, kill};
    use nix::unistd::Pid;

    /// Lets the frozen sessions go on (and so end: their replicas left them) however the test
    /// ends, or PostgreSQL could not stop.
    struct Thaw(Vec<i32>);
    impl Drop for Thaw {
        fn drop(&mut self) {
            for pid in &self.0 {
                let _ = kill(Pid::from_raw(*pid), Signal::SIGCONT);
            }
        }
    }

    let _serial = support::serial().await;
    let cluster = Cluster::start(&[]).await;
    let followers = cluster.follow_everyone().await;
    let posters = cluster.posters(4, 300, Duration::from_millis(15));
    tokio::time::sleep(Duration::from_millis(500)).await;

    let readiness = {
        let (http, url) = (reqwest::Client::new(), format!("{}/readyz", cluster.replica_url(0)));
        tokio::spawn(async move {
            let started = Instant::now();
            while started.elapsed() < Duration::from_secs(15) {
                if http.get(&url).send().await.is_ok_and(|r| r.status() == 503) {
                    return true;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            false
        })
    };
    let reconnects = cluster.metric("tutorchat_listener_reconnects_total").await;
    let backends = cluster.listener_backends().await;
    assert_eq!(backends.len(), 3, "one listener session per replica");
    let _thaw = Thaw(backends.clone());
    for pid in &backends {
        kill(Pid::from_raw(*pid), Signal::SIGSTOP).expect("kill -STOP a listener session");
    }
    let frozen_at = Instant::now();
    while cluster.metric("tutorchat_listener_reconnects_total").await < reconnects + 3 {
        assert!(frozen_at.elapsed() < Duration::from_secs(10), "every replica noticed within 10 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let noticed = frozen_at.elapsed();

    let logs = PostLog::join(posters).await;
    cluster.assert_delivered(&followers, &logs).await;
    cluster.assert_ready().await;
    assert!(readiness.await.expect("readiness watcher"), "replica 1 answered /readyz 503 while it reconnected");
    eprintln!(
        "frozen listener sessions: all three replicas reconnected within {noticed:?}; {} acknowledged",
        logs.acked()
    );
    assert_eq!(logs.failed(), 0, "writes do not depend on the listener: {:?}", logs.failures());
}

/// 10. nginx reloaded under load, then every replica stopped for 20 s and started again. The
/// streams, which reconnect as an EventSource does (after the server's jittered retry hint),
/// come back with their `Last-Event-ID` once there is a replica again; what was written before
/// is delivered once, in order; the writes during the outage are refused (502) and land nowhere.
#[tokio::test]
async fn an_nginx_reload_and_twenty_seconds_without_replicas_lose_nothing() {
    let _serial = support::serial().await;
    let cluster = Cluster::start(&[]).await;
    let followers = cluster.follow_everyone().await;
    let mut posters = cluster.posters(4, 150, Duration::from_millis(5));
    tokio::time::sleep(Duration::from_millis(300)).await;
    cluster.topology(|t| t.reload_nginx()).await;
    let mut logs = PostLog::join(std::mem::take(&mut posters)).await;

    let stopped_at = Instant::now();
    for i in 0..3 {
        cluster.topology(move |t| t.terminate_replica(i)).await;
    }
    let during = PostLog::join(cluster.posters_with(2, 20, Duration::from_millis(500), "no replica")).await;
    tokio::time::sleep(Duration::from_secs(20).saturating_sub(stopped_at.elapsed())).await;
    for i in 0..3 {
        cluster.topology(move |t| t.start_replica(i)).await;
    }
    let back_at = Instant::now();
    logs.0.extend(during.0.iter().copied());
    logs.0.extend(PostLog::join(cluster.posters_with(4, 50, Duration::from_millis(5), "back")).await.0);

    cluster.assert_delivered(&followers, &logs).await;
    let slowest = followers.iter().filter_map(|f| f.first_reconnect_after(stopped_at)).max();
    eprintln!(
        "nginx reload, then no replica for 20 s: {} acknowledged, refused while down {:?}; the slowest stream was back {:?} after the stop ({:?} after the replicas were)",
        logs.acked(),
        during.failures(),
        slowest,
        slowest.map(|s| s.saturating_sub(back_at - stopped_at))
    );
    assert_eq!(during.acked(), 0, "nothing is acknowledged without a replica");
    assert!(followers.iter().all(|f| f.first_reconnect_after(stopped_at).is_some()), "every stream came back");
}

/// 11. Churn: 200 streams through nginx over three replicas, a fifth of them dropped and
/// resumed with `Last-Event-ID` every 10 s for 2 minutes while 100 messages/s are written.
/// Every stream has every message of its chats once, in order; a wave's reconnects spread
/// over the retry hints' jitter rather than arriving in one instant.
#[tokio::test]
async fn churning_streams_lose_and_duplicate_nothing() {
    let _serial = support::serial().await;
    const WAVES: usize = 10;
    let cluster = Cluster::start(&[
        ("SSE_MAX_STREAMS_PER_USER", "100"),
        ("RATE_STREAM_OPENS_PER_SEC", "100000"),
        ("RATE_STREAM_OPENS_BURST", "100000"),
    ])
    .await;
    let followers = cluster.follow_everyone_times(40).await; // 200 streams
    let posters = cluster.posters(4, 3000, Duration::from_millis(38)); // ~100 messages/s
    let mut spreads = Vec::new();
    for wave in 0..WAVES {
        tokio::time::sleep(Duration::from_secs(10)).await;
        let kicked_at = Instant::now();
        // A different fifth each wave (wave w takes every fifth stream from offset w mod 5).
        let churned: Vec<&Follower> = followers.iter().skip(wave % 5).step_by(5).collect();
        churned.iter().for_each(|f| f.reconnect());
        tokio::time::sleep(Duration::from_secs(2)).await;
        let back: Vec<Instant> = churned.iter().filter_map(|f| f.reopened_after(kicked_at).first().copied()).collect();
        assert_eq!(back.len(), churned.len(), "wave {wave}: every dropped stream reconnected");
        let (first, last) = (back.iter().min().copied(), back.iter().max().copied());
        if let (Some(first), Some(last)) = (first, last) {
            spreads.push(last - first);
        }
    }
    let logs = PostLog::join(posters).await;
    cluster.assert_delivered(&followers, &logs).await;
    let reconnects: usize = followers.iter().map(Follower::reconnects).sum();
    eprintln!(
        "churn: {} streams, {reconnects} reconnects in {WAVES} waves, {} messages acknowledged; each wave's reconnects spread over {spreads:?}",
        followers.len(),
        logs.acked()
    );
    assert!(
        spreads.iter().all(|s| *s >= Duration::from_millis(15)),
        "40 streams dropped together reconnect over the hints' jitter, not in one instant: {spreads:?}"
    );
}

/// 15. The replicas read from a streaming standby (`READ_DATABASE_URL`) while messages are
/// posted and every stream resumes three times: with the standby replaying, with its replay
/// paused (lagging ever further behind), and after it is killed (`-m immediate`), then back.
/// Nothing is lost or duplicated, no read fails, and a writer that reads its own write back
/// with `X-Min-Event-Position` always finds it, in history and in its chat list.
#[tokio::test]
async fn a_lagging_then_dead_standby_loses_nothing_and_fails_no_read() {
    let _serial = support::serial().await;
    let cluster = Cluster::start_on(&[("READ_WAIT_MS", "50")], true).await;
    let followers = cluster.follow_everyone_times(3).await;
    let posters = cluster.posters(4, 250, Duration::from_millis(25)); // under nginx's write limit
    let stop = tokio_util::sync::CancellationToken::new();
    let reader = tokio::spawn(read_your_writes(
        cluster.url.clone(),
        cluster.pair(0).student.clone(),
        cluster.pair(0).chat,
        stop.clone(),
    ));
    let standby = {
        let url = cluster.topology(|t| Ok(t.standby().expect("a standby").url("tutorchat"))).await;
        helpers::connect(&tutorchat::config::parse_database_url(&url).expect("url")).await
    };
    let resume_all = || followers.iter().for_each(Follower::reconnect);

    tokio::time::sleep(Duration::from_millis(700)).await;
    resume_all();
    tokio::time::sleep(Duration::from_millis(800)).await;
    standby.execute("SELECT pg_wal_replay_pause()", &[]).await.expect("pause the standby's replay");
    tokio::time::sleep(Duration::from_millis(500)).await;
    resume_all();
    tokio::time::sleep(Duration::from_millis(1000)).await;
    standby.execute("SELECT pg_wal_replay_resume()", &[]).await.expect("resume its replay");
    tokio::time::sleep(Duration::from_millis(500)).await;
    cluster.topology(|t| t.standby().expect("a standby").kill_server()).await;
    resume_all();

    let logs = PostLog::join(posters).await;
    stop.cancel();
    let (checked, failures) = reader.await.expect("reader");
    // Back for the final reads (after its rest), which send the position their stream reached.
    cluster.topology(|t| t.standby().expect("a standby").start_server()).await;
    tokio::time::sleep(tutorchat::reads::REST + Duration::from_millis(500)).await;
    cluster.assert_delivered(&followers, &logs).await;
    assert_eq!(failures, Vec::<String>::new(), "reads after own writes");
    assert!(checked > 10, "the reader read its writes back {checked} times");
    let reads =
        async |outcome: &str| cluster.metric(&format!("tutorchat_standby_reads_total{{outcome=\"{outcome}\"}}")).await;
    let (served, waited, lagging, unavailable) =
        (reads("served").await, reads("waited").await, reads("lagging").await, reads("unavailable").await);
    eprintln!(
        "standby: {} messages; {checked} writes read back; reads served {served}, after waiting {waited}, by the primary while it lagged {lagging}, while it was down {unavailable}",
        logs.acked()
    );
    assert!(served > 0 && lagging > 0 && unavailable > 0, "each way of reading happened");
}

/// Posts as `user` and reads each message back through nginx with the position its answer gave
/// (`X-Min-Event-Position`), until `stop`: history must hold it and the chat list's newest
/// message must be it or newer. Returns how many were checked and what went wrong.
async fn read_your_writes(
    url: String,
    user: helpers::User,
    chat: i64,
    stop: tokio_util::sync::CancellationToken,
) -> (usize, Vec<String>) {
    let http = reqwest::Client::new();
    let (mut checked, mut failures) = (0, Vec::new());
    for k in 0.. {
        if stop.is_cancelled() || failures.len() > 5 {
            break;
        }
        let body = serde_json::json!({ "chat_id": chat, "content": format!("reader {k}") });
        let Ok(sent) = http.post(format!("{url}/api/messages")).bearer_auth(&user.token).json(&body).send().await
        else {
            continue;
        };
        if sent.status() != 201 {
            failures.push(format!("send {k}: {}", sent.status())); // nothing else may fail it
            continue;
        }
        let position = sent.headers()["x-event-position"].to_str().expect("text").to_owned();
        let id = sent.json::<serde_json::Value>().await.expect("json")["id"].as_i64().expect("id");
        let get = |path: String| {
            http.get(format!("{url}{path}")).bearer_auth(&user.token).header("x-min-event-position", &position).send()
        };
        let history = get(format!("/api/chats/{chat}/messages?limit=100")).await.expect("history");
        if history.status() != 200 {
            failures.push(format!("history after {k}: {}", history.status()));
            continue;
        }
        let page: serde_json::Value = history.json().await.expect("json");
        if !page["messages"].as_array().expect("messages").iter().any(|m| m["id"] == id) {
            failures.push(format!("history after message {id} (position {position}) lacks it"));
        }
        let list = get("/api/chats".to_owned()).await.expect("chats");
        if list.status() != 200 {
            failures.push(format!("chat list after {k}: {}", list.status()));
            continue;
        }
        let list: serde_json::Value = list.json().await.expect("json");
        let newest = list["chats"]
            .as_array()
            .expect("chats")
            .iter()
            .find(|c| c["id"] == chat)
            .map(|c| c["last_message"]["id"].as_i64());
        if newest.flatten().is_none_or(|newest| newest < id) {
            failures.push(format!("chat list after message {id} (position {position}) shows {newest:?}"));
        }
        checked += 1;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    (checked, failures)
}

/// libfaketime's library (Debian: package faketime; scripts/test installs it).
fn libfaketime() -> std::path::PathBuf {
    std::fs::read_dir("/usr/lib")
        .into_iter()
        .flatten()
        .flatten()
        .map(|dir| dir.path().join("faketime/libfaketime.so.1"))
        .find(|lib| lib.is_file())
        .expect("libfaketime (Debian: apt-get install faketime; scripts/test installs it)")
}

/// 12. Clock skew: one replica runs under a clock 90 s fast, then 90 s slow (libfaketime).
/// It judges tokens by its own clock exactly per the documented 5 s leeway (so it refuses
/// tokens a replica with the right clock accepts), and nothing takes its
/// order or its times from that clock: messages posted through it get their position and
/// `created_at` from PostgreSQL, in posting order, and a user last seen there is last seen by
/// the database's clock.
#[tokio::test]
async fn a_replica_with_a_skewed_clock_judges_tokens_by_it_and_nothing_else() {
    let _serial = support::serial().await;
    let library = libfaketime().display().to_string();
    let cluster = Cluster::start(&[("PRESENCE_GRACE_SECS", "1")]).await;
    let http = reqwest::Client::new();
    let (student, teacher, chat) =
        (cluster.pair(0).student.clone(), cluster.pair(0).teacher.clone(), cluster.pair(0).chat);
    for skew in [90i64, -90] {
        let faketime = format!("{skew:+}s");
        let env =
            [("LD_PRELOAD", library.clone()), ("FAKETIME", faketime), ("FAKETIME_DONT_FAKE_MONOTONIC", "1".into())];
        cluster
            .topology(move |t| {
                t.terminate_replica(0)?;
                let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
                t.start_replica_with(0, &env)
            })
            .await;
        let (skewed, normal) = (cluster.replica_url(0).to_owned(), cluster.replica_url(1).to_owned());
        let me = |base: String, token: String| {
            let http = http.clone();
            async move { http.get(format!("{base}/api/me")).bearer_auth(token).send().await.expect("GET /api/me").status() }
        };

        // Tokens: 3 s on either side of where the skewed replica's leeway ends.
        let real = helpers::now() as i64;
        let token = |claims: serde_json::Value| helpers::sign(&claims, helpers::SECRET, jsonwebtoken::Algorithm::HS256);
        let sub = student.id.to_string();
        let (refused, accepted) = if skew > 0 {
            // Its clock reads real + 90: `exp` must be later than real + 85.
            (
                token(serde_json::json!({"sub": sub, "exp": real + skew - 8})),
                token(serde_json::json!({"sub": sub, "exp": real + skew - 2})),
            )
        } else {
            // Its clock reads real − 90: `nbf` must be no later than real − 85.
            let exp = real + 3600;
            (
                token(serde_json::json!({"sub": sub, "exp": exp, "nbf": real + skew + 8})),
                token(serde_json::json!({"sub": sub, "exp": exp, "nbf": real + skew + 2})),
            )
        };
        assert_eq!(me(skewed.clone(), refused.clone()).await, 401, "{skew:+} s: refused past the leeway");
        assert_eq!(me(skewed.clone(), accepted.clone()).await, 200, "{skew:+} s: accepted within the leeway");
        assert_eq!(me(normal.clone(), refused).await, 200, "{skew:+} s: a replica with the right clock accepts it");

        // Order and times from PostgreSQL: alternate the skewed replica and a normal one.
        let mut last_id = 0;
        for (i, base) in [&skewed, &normal, &skewed].into_iter().enumerate() {
            let before = time::OffsetDateTime::now_utc();
            let response = http
                .post(format!("{base}/api/messages"))
                .bearer_auth(&teacher.token)
                .json(&serde_json::json!({ "chat_id": chat, "content": format!("skew {skew} {i}") }))
                .send()
                .await
                .expect("POST");
            assert_eq!(response.status(), 201);
            let body: serde_json::Value = response.json().await.expect("JSON");
            let created = time::OffsetDateTime::parse(
                body["created_at"].as_str().expect("created_at"),
                &time::format_description::well_known::Rfc3339,
            )
            .expect("RFC 3339");
            assert!(
                (created - before).abs() < time::Duration::seconds(5),
                "{skew:+} s: created_at {created} is the database's"
            );
            let id = body["id"].as_i64().expect("id");
            assert!(id > last_id, "{skew:+} s: ids follow the posting order");
            last_id = id;
        }

        // Last seen there: by the database's clock.
        let stream = helpers::open_stream(&http, &format!("{skewed}/api/events/chat"), &student.token, None).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        drop(stream);
        let closed = time::OffsetDateTime::now_utc();
        let deadline = Instant::now() + Duration::from_secs(15);
        let last_seen = loop {
            let url = format!("{normal}/api/presence/{}", student.id);
            let presence: serde_json::Value = http
                .get(url)
                .bearer_auth(&teacher.token)
                .send()
                .await
                .expect("GET presence")
                .json()
                .await
                .expect("JSON");
            if presence["online"] == false {
                break presence["last_seen"].as_str().map(str::to_owned);
            }
            assert!(Instant::now() < deadline, "{skew:+} s: offline within the grace");
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        let last_seen = time::OffsetDateTime::parse(
            last_seen.as_deref().expect("last_seen"),
            &time::format_description::well_known::Rfc3339,
        )
        .expect("RFC 3339");
        assert!(
            (last_seen - closed).abs() < time::Duration::seconds(5),
            "{skew:+} s: last_seen {last_seen} against {closed}"
        );
    }
}

/// 15. `kill -9` of a replica in the middle of an upload: the half-received file is never
/// recorded (its row is written only once its bytes are stored), so no attached file lacks its
/// bytes; what the upload left behind is a temporary object, which the sweep removes.
#[tokio::test]
async fn a_replica_killed_mid_upload_leaves_no_attached_file_without_its_bytes() {
    let _serial = support::serial().await;
    let files = std::env::temp_dir().join(format!("tutorchat-faults-files-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&files);
    let cluster = Cluster::start(&[("STORAGE_DIR", files.to_str().expect("utf-8 path"))]).await;
    let (chat, student, teacher) =
        (cluster.pair(0).chat, cluster.pair(0).student.clone(), cluster.pair(0).teacher.clone());
    let http = reqwest::Client::new();
    let upload = |base: &str, name: &str, bytes: Vec<u8>| {
        let part = reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned());
        http.post(format!("{base}/api/chats/{chat}/attachments"))
            .bearer_auth(&student.token)
            .multipart(reqwest::multipart::Form::new().part("file", part))
            .send()
    };
    // A whole upload, attached, through nginx.
    let whole: Vec<u8> = (0..700_000u32).map(|i| (i % 253) as u8).collect();
    let answer: serde_json::Value =
        upload(&cluster.url, "whole.bin", whole.clone()).await.expect("upload").json().await.expect("json");
    let attached = answer["id"].as_i64().expect("id");
    let sent = http
        .post(format!("{}/api/messages", cluster.url))
        .bearer_auth(&student.token)
        .json(&serde_json::json!({ "chat_id": chat, "content": "", "attachment_ids": [attached] }))
        .send()
        .await
        .expect("send");
    assert_eq!(sent.status(), 201);

    // Another to replica 0 directly, which stops halfway: 2 MiB of a file announced as more.
    let (feed, body) = futures::channel::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(8);
    let mut feed = feed;
    let boundary = "tutorchat-fault-boundary";
    let request = http
        .post(format!("{}/api/chats/{chat}/attachments", cluster.replica_url(0)))
        .bearer_auth(&student.token)
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .body(reqwest::Body::wrap_stream(body))
        .send();
    let in_flight = tokio::spawn(request);
    use futures::SinkExt;
    let head = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"half.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    );
    feed.send(Ok(head.into_bytes())).await.expect("feed");
    for _ in 0..2 {
        feed.send(Ok(vec![9u8; 1024 * 1024])).await.expect("feed");
    }
    let temporary = files.join("tmp");
    let deadline = Instant::now() + Duration::from_secs(20);
    while helpers::walk(&temporary).iter().all(|f| std::fs::metadata(f).map_or(0, |m| m.len()) == 0) {
        assert!(Instant::now() < deadline, "the upload never reached storage");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    cluster.topology(|t| t.kill_replica(0)).await;
    let outcome = in_flight.await.expect("task");
    assert!(
        outcome.is_err() || outcome.is_ok_and(|r| !r.status().is_success()),
        "the killed upload was not acknowledged"
    );
    drop(feed);

    let sql = cluster.sql().await;
    let rows = sql.query("SELECT id, sha256, message_id FROM attachments ORDER BY id", &[]).await.expect("rows");
    assert_eq!(rows.len(), 1, "only the whole upload is recorded");
    for row in &rows {
        let sha: String = row.get("sha256");
        assert!(
            files.join("blobs").join(&sha[..2]).join(&sha).is_file(),
            "attachment {} has its bytes",
            row.get::<_, i64>("id")
        );
    }
    assert!(!helpers::walk(&temporary).is_empty(), "the killed upload left a temporary object");

    // The sweep removes it (any age, here) and keeps the attached file.
    let storage =
        tutorchat::storage::Storage::open(&tutorchat::config::StorageConfig::local(files.clone())).expect("storage");
    let pool = tutorchat::db::connect(cluster.database(), 2).await.expect("pool");
    tutorchat::api::attachments::sweep(&pool, &storage, Duration::ZERO).await.expect("sweep");
    assert!(helpers::walk(&temporary).is_empty(), "{:?}", helpers::walk(&temporary));
    cluster.topology(|t| t.start_replica(0)).await;
    let download = http
        .get(format!("{}/api/attachments/{attached}", cluster.replica_url(0)))
        .bearer_auth(&teacher.token)
        .send()
        .await
        .expect("download");
    assert_eq!(download.status(), 200);
    assert_eq!(download.bytes().await.expect("bytes").to_vec(), whole);
    let _ = std::fs::remove_dir_all(&files);
}

/// 16. `kill -9` of the replica delivering an offline notice, after it claimed the notice and
/// while the webhook has not answered: another replica sends it again once the claim's lease
/// runs out, with the same notice id, and it is delivered.
#[tokio::test]
async fn a_notice_whose_replica_dies_mid_delivery_is_delivered_by_another_with_the_same_id() {
    let _serial = support::serial().await;
    let (receiver, url) = helpers::Receiver::start().await;
    receiver.hanging.store(true, std::sync::atomic::Ordering::SeqCst);
    let cluster = Cluster::start(&[
        ("NOTIFY_WEBHOOK_URL", url.as_str()),
        ("NOTIFY_WEBHOOK_SECRET", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
        ("NOTIFY_GRACE_SECS", "1"),
        ("NOTIFY_LEASE_SECS", "4"),
    ])
    .await;
    // Replica 0 alone delivers the notice at first.
    cluster.topology(|t| t.kill_replica(1).and_then(|()| t.kill_replica(2))).await;
    let (chat, student, teacher) =
        (cluster.pair(0).chat, cluster.pair(0).student.clone(), cluster.pair(0).teacher.clone());
    let sent = reqwest::Client::new()
        .post(format!("{}/api/messages", cluster.replica_url(0)))
        .bearer_auth(&student.token)
        .json(&serde_json::json!({ "chat_id": chat, "content": "Вы здесь?" }))
        .send()
        .await
        .expect("send");
    assert_eq!(sent.status(), 201);

    let first = receiver.wait_for(1, Duration::ZERO).await;
    assert_eq!(first.len(), 1, "replica 0 claimed the notice and called the webhook");
    cluster.topology(|t| t.kill_replica(0)).await;
    receiver.hanging.store(false, std::sync::atomic::Ordering::SeqCst);
    cluster.topology(|t| t.start_replica(1).and_then(|()| t.start_replica(2))).await;

    let calls = receiver.wait_for(2, Duration::from_secs(2)).await;
    assert_eq!(calls.len(), 2, "sent again once, after the lease: {calls:?}");
    assert_eq!(calls[1].id, calls[0].id, "the same notice id");
    assert_eq!(calls[1].json()["message_id"], calls[0].json()["message_id"]);
    assert_eq!(calls[1].json()["user_id"], teacher.id);
    let row = cluster.sql().await.query_one("SELECT state, attempts FROM notices", &[]).await.expect("notice");
    assert_eq!((row.get::<_, String>(0), row.get::<_, i32>(1)), ("delivered".to_owned(), 2));
}

/// 13. Soak (10 minutes; not part of `scripts/test`, run it with
/// `cargo test --test faults -- --ignored soak --nocapture`): 2,000 streams through nginx from
/// 10 addresses for 10 minutes: 1,000 of the admin, who gets a message every 2 s, and 1,000 of
/// a teacher whose chat stays silent, so theirs carry nothing but a heartbeat every 15 s. No
/// stream is closed early by nginx or a replica, every admin stream gets every message, every
/// idle stream every heartbeat, each replica's memory stays flat (sampled every minute) and the
/// database sessions stay within the pools and one listener per replica.
#[tokio::test]
#[ignore = "ten minutes: run on purpose (see the doc comment)"]
async fn soak_two_thousand_idle_streams_for_ten_minutes() {
    let _serial = support::serial().await;
    raise_file_limit();
    const MINUTES: u64 = 10;
    const HEARTBEAT_SECS: u64 = 15;
    const POOL: i64 = 16;
    let cluster = Cluster::start(&[
        ("HEARTBEAT_SECS", "15"),
        ("DB_POOL_SIZE", "16"),
        ("SSE_MAX_STREAMS_PER_USER", "100000"),
        ("RATE_STREAM_OPENS_PER_SEC", "100000"),
        ("RATE_STREAM_OPENS_BURST", "100000"),
    ])
    .await;
    let url = format!("{}/api/events/chat", cluster.url);
    let (busy, idle) = (cluster.admin_token().to_owned(), cluster.pair(1).teacher.token.clone());
    let opens = (0..10).flat_map(|a| {
        let local: std::net::IpAddr = format!("127.0.0.{}", a + 2).parse().expect("address");
        let http = reqwest::Client::builder().local_address(local).build().expect("client");
        let token = if a % 2 == 0 { busy.clone() } else { idle.clone() };
        let url = url.clone();
        (0..200).map(move |_| {
            let (http, url, token) = (http.clone(), url.clone(), token.clone());
            async move { (token.clone(), http.get(&url).bearer_auth(&token).send().await) }
        })
    });
    let mut streams = Vec::new();
    for (token, response) in futures::future::join_all(opens).await {
        let response = response.expect("open a stream through nginx");
        assert_eq!(response.status(), 200, "every stream opens");
        streams.push((token == busy, helpers::stream_from(response)));
    }
    // Each stream is read as it goes (so nothing piles up in a buffer) and counts what it gets.
    let counts: Vec<_> = streams
        .into_iter()
        .map(|(busy, mut stream)| {
            tokio::spawn(async move {
                let (mut messages, mut heartbeats) = (0usize, 0usize);
                while let Some(item) = stream.recv().await {
                    match item {
                        helpers::Item::Event(e) if e.event == "new_message" => messages += 1,
                        helpers::Item::Comment(c) if c == "heartbeat" => heartbeats += 1,
                        _ => {}
                    }
                }
                (busy, messages, heartbeats) // the stream ended
            })
        })
        .collect();

    let pids: Vec<u32> = cluster.topology(|t| Ok((0..3).filter_map(|i| t.replica_pid(i)).collect())).await;
    let rss = |pid: u32| -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches(" kB").parse().ok())
            .unwrap_or(0)
    };
    let started = Instant::now();
    let (mut samples, mut sent) = (Vec::new(), 0usize);
    let mut next_sample = started;
    while started.elapsed() < Duration::from_secs(MINUTES * 60) {
        if Instant::now() >= next_sample {
            let memory: Vec<u64> = pids.iter().map(|pid| rss(*pid)).collect();
            let connections = cluster.connections_by_application().await;
            eprintln!("soak, minute {}: RSS kB per replica {memory:?}, connections {connections:?}", samples.len());
            samples.push((memory, connections));
            next_sample += Duration::from_secs(60);
        }
        cluster.post_one(&format!("soak {sent}")).await;
        sent += 1;
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    cluster.post_one("soak: the last one").await;
    sent += 1;
    tokio::time::sleep(Duration::from_secs(5)).await;
    let finished: Vec<bool> = counts.iter().map(|c| c.is_finished()).collect();
    assert!(finished.iter().all(|f| !f), "{} streams were closed early", finished.iter().filter(|f| **f).count());
    drop(cluster); // ends the streams
    let beats_due = (MINUTES * 60 / HEARTBEAT_SECS - 2) as usize;
    let mut heartbeats = 0;
    for count in counts {
        let (busy, messages, beats) = count.await.expect("reader");
        if busy {
            assert_eq!(messages, sent, "every admin stream got every message");
        } else {
            assert_eq!(messages, 0, "the silent chat's streams got no message");
            assert!(beats >= beats_due, "an idle stream got {beats} heartbeats in {MINUTES} minutes");
        }
        heartbeats += beats;
    }
    let first = &samples[1].0; // after the streams settled
    let end = &samples[samples.len() - 1].0;
    for (a, b) in first.iter().zip(end) {
        assert!(*b <= a + a / 10 + 4096, "memory grew from {a} to {b} kB: {samples:?}");
    }
    for (_, connections) in &samples {
        let pools = connections.get("tutorchat").copied().unwrap_or(0);
        let listeners = connections.get("tutorchat-listener").copied().unwrap_or(0);
        assert!(pools <= 3 * POOL && listeners == 3, "within three pools and one listener each: {connections:?}");
    }
    eprintln!(
        "soak: 2,000 streams held {MINUTES} minutes: 1,000 got {sent} messages each, 1,000 only heartbeats ({heartbeats} in all)"
    );
}
