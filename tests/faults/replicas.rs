//! Replicas killed, restarted one by one, paused: clients move through nginx, resume, and lose nothing.

use std::time::{Duration, Instant};

use crate::helpers;
use crate::support::{self, Cluster, PostLog};

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
        during += usize::from(helpers::is_message(&event.event));
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
