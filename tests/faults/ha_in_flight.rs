//! The primary killed with appends in flight at every step of the append protocol
//! (`events_append`, docs/architecture.md): one waiting for its chat's lock (before the draw),
//! one that drew and stays open, one stopped inside its trigger, one whose commit waits for the
//! synchronous standby. None of them was acknowledged; none may be delivered, lost or doubled
//! once its client retries, and every stream's cursor, carried over to the new primary, resumes
//! exactly after what it had.

use std::time::{Duration, Instant};

use serde_json::json;
use tokio_postgres::Client;
use tutorchat::log::{NewEvent, store};

use crate::ha::{assert_nothing_lost, kill_primary, leader, loaded_cluster};
use crate::helpers::{User, connect, plain_message};
use crate::support::{self, Cluster, PostLog};

/// What the client saw of one send: every attempt's status (0: no answer) and the message's id.
struct Sent {
    attempts: Vec<u16>,
    id: Option<i64>,
}

/// One message with its own `Idempotency-Key`, first straight to replica `first` (so that
/// its writer is the one that takes it), then, while no answer comes, again with the same key
/// through nginx, as the web client retries.
fn send(cluster: &Cluster, first: usize, author: &User, chat: i64, key: &str) -> tokio::task::JoinHandle<Sent> {
    let http = reqwest::Client::new();
    let urls = [format!("{}/api/messages", cluster.replica_url(first)), format!("{}/api/messages", cluster.url)];
    let body = json!({ "chat_id": chat, "content": key });
    let (token, key) = (author.token.clone(), key.replace(' ', "-"));
    tokio::spawn(async move {
        let (mut attempts, deadline) = (Vec::new(), Instant::now() + Duration::from_secs(90));
        loop {
            let url = &urls[attempts.len().min(1)];
            let sent = http.post(url).bearer_auth(&token).header("idempotency-key", &key).json(&body).send().await;
            let status = sent.as_ref().map(|r| r.status().as_u16()).unwrap_or(0);
            attempts.push(status);
            if let Some(response) = sent.ok().filter(|r| r.status().is_success()) {
                let id = response.json::<serde_json::Value>().await.ok().and_then(|b| b["id"].as_i64());
                return Sent { attempts, id };
            }
            if ![0, 502, 503].contains(&status) || Instant::now() > deadline {
                return Sent { attempts, id: None };
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
}

/// Waits until `what` (a count over the old primary's `pg_stat_activity`, `$1` the sessions
/// of the test's own to leave out) is at least one.
async fn until(sql: &Client, mine: &[i32], what: &str, condition: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    let query = format!("SELECT count(*) FROM pg_stat_activity WHERE pid <> ALL($1) AND {condition}");
    loop {
        let n: i64 = sql.query_one(&query, &[&mine]).await.expect("pg_stat_activity").get(0);
        if n > 0 {
            return;
        }
        if Instant::now() > deadline {
            let rows = sql
                .query(
                    "SELECT pid, coalesce(application_name, ''), coalesce(wait_event_type, ''), coalesce(wait_event, ''), \
                     coalesce(state, ''), left(query, 120) FROM pg_stat_activity WHERE backend_type = 'client backend'",
                    &[],
                )
                .await
                .expect("pg_stat_activity");
            let sessions: Vec<String> = rows
                .iter()
                .map(|r| {
                    let (a, b, c, d, e) = (
                        r.get::<_, i32>(0),
                        r.get::<_, String>(1),
                        r.get::<_, String>(2),
                        r.get::<_, String>(3),
                        r.get::<_, String>(4),
                    );
                    format!("{a} {b} {c}/{d} {e}: {}", r.get::<_, String>(5))
                })
                .collect();
            panic!("no append is {what}; sessions:\n{}", sessions.join("\n"));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn pid(sql: &Client) -> i32 {
    sql.query_one("SELECT pg_backend_pid()", &[]).await.expect("pid").get(0)
}

/// 20. Four appends in flight, one at each step, when the primary's postmaster is killed.
#[tokio::test]
async fn a_primary_killed_with_appends_frozen_at_every_step_loses_nothing_and_every_cursor_resumes_exactly() {
    let _one_at_a_time = support::serial().await;
    let (cluster, followers) = loaded_cluster().await;
    let old = leader(&cluster).await;
    let (first, second) = (cluster.pair(0), cluster.pair(1));
    // (Plain posters first: the retrying ones, after the failover, number their keys alike.)
    let before = PostLog::join(cluster.posters(4, 40, Duration::from_millis(10))).await;
    assert_eq!(before.failed(), 0, "before the fault: {:?}", before.failures());

    let node = cluster.topology(move |t| Ok(t.ha().expect("HA").node_config(old, "tutorchat"))).await;
    let (watch, trigger, drawn, committing) =
        (connect(&node).await, connect(&node).await, connect(&node).await, connect(&node).await);
    let mine = vec![pid(&watch).await, pid(&trigger).await, pid(&drawn).await, pid(&committing).await];
    let appends = "query LIKE '%events_append%' AND wait_event_type = 'Lock'";

    // In the trigger: the second chat's row held, so an append to it draws, inserts and stops
    // where its statement trigger updates the chat's counters (replica 1's writer, stuck there).
    trigger.batch_execute("BEGIN").await.expect("begin");
    trigger.execute("SELECT 1 FROM chats WHERE id = $1 FOR NO KEY UPDATE", &[&second.chat]).await.expect("row lock");
    let in_trigger = send(&cluster, 0, &second.teacher, second.chat, "frozen in the trigger");
    until(&watch, &mine, "in its trigger", &format!("{appends} AND wait_event IN ('transactionid', 'tuple')")).await;

    // After the draw: an append of the test's own to the first chat, open, its position drawn.
    drawn.batch_execute("BEGIN").await.expect("begin");
    let open = store::append_with(
        &drawn,
        store::APPEND_QUIETLY_SQL,
        &[plain_message(first.chat, first.student.id, "drawn, never committed")],
        &[None],
    )
    .await
    .expect("the open append");
    let open = open[0].as_ref().expect("appended").position;

    // Before the draw: an append to the same chat waits for its lock (replica 2's writer).
    let before_draw = send(&cluster, 1, &first.teacher, first.chat, "frozen before the draw");
    until(&watch, &mine, "waiting for its chat", &format!("{appends} AND wait_event = 'advisory'")).await;

    // Waiting for the synchronous standby: its WAL sender stopped, an append about a person
    // (no chat, so nothing above holds it) commits on the primary and waits there.
    let student: i64 = committing
        .query_one(
            "INSERT INTO users (email, name, role) VALUES ('frozen@faults.test', 'Frozen', 'student') RETURNING id",
            &[],
        )
        .await
        .expect("a student")
        .get(0);
    let sender = cluster.topology(move |t| t.ha().expect("HA").pause_wal_sender(old)).await;
    let admin = cluster.admin().id;
    let suspension =
        NewEvent::UserSuspended { admin_id: admin, user_id: student, reason: "frozen".into(), until: None };
    let committing = tokio::spawn(async move {
        store::append_with(&committing, store::APPEND_QUIETLY_SQL, &[suspension], &[None]).await.map(drop)
    });
    until(&watch, &[], "waiting for the standby", "wait_event = 'SyncRep' AND query LIKE '%events_append%'").await;

    // Nothing drawn at or after the open append has reached any stream: they keep the settled
    // prefix, and these are the cursors the new primary must take up.
    let cursors: Vec<i64> = followers.iter().map(|f| f.positions().last().copied().unwrap_or(0)).collect();
    let furthest = cursors.iter().copied().max().unwrap_or(0);
    assert!(furthest < open, "a stream passed an append still open: {furthest} ≥ {open}");

    let new = kill_primary(&cluster, old, sender).await;
    assert_ne!(new, old, "the standby leads");
    assert!(committing.await.expect("task").is_err(), "the commit waiting for the standby was never acknowledged");
    let (in_trigger, before_draw) = (in_trigger.await.expect("task"), before_draw.await.expect("task"));
    for (name, sent) in [("in the trigger", &in_trigger), ("before the draw", &before_draw)] {
        assert!(sent.id.is_some(), "the send frozen {name} was answered in the end: {:?}", sent.attempts);
        assert!(!sent.attempts.contains(&500), "the send frozen {name} got a 500: {:?}", sent.attempts);
        assert!(sent.attempts.len() > 1, "the send frozen {name} was answered before the failover");
    }
    let after = PostLog::join(cluster.retrying_posters(4, 40, Duration::from_millis(10))).await;
    let each = after.acked() / 2; // the posters alternate the two chats

    let mut all = before.0;
    all.extend(after.0);
    all.extend([&in_trigger, &before_draw].map(|s| (201, s.id)));
    let logs = PostLog(all);
    assert_nothing_lost(&cluster, &followers, &logs).await;

    let sql = cluster.sql().await;
    let never: i64 = sql
        .query_one("SELECT count(*) FROM messages WHERE content = 'drawn, never committed'", &[])
        .await
        .expect("the open append")
        .get(0);
    assert_eq!(never, 0, "the append left open on the old primary is not on the new one");
    // Every stream went on from its cursor: past it, nothing it had again (the checker: every
    // message once, in order), and the messages after it all there.
    for (follower, cursor) in followers.iter().zip(&cursors) {
        let resumed = follower.positions().into_iter().filter(|p| p > cursor).count();
        assert!(resumed > each, "{} resumed after {cursor} with {resumed} events", follower.name);
    }
    eprintln!(
        "in flight at the kill: before the draw, drawn at {open} and open, in the trigger, waiting for the standby; \
         the streams' furthest cursor {furthest}; the two frozen sends answered after {} and {} attempts; {} acknowledged",
        in_trigger.attempts.len(),
        before_draw.attempts.len(),
        logs.acked()
    );
}
