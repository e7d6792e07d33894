//! PostgreSQL under faults: restarted, its listener sessions terminated or frozen, a standby lagging then dead.

use std::time::{Duration, Instant};

use crate::helpers;
use crate::support::{self, Cluster, Follower, PostLog};

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
    tokio::time::sleep(tutorchat::standby::REST + Duration::from_millis(500)).await;
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
