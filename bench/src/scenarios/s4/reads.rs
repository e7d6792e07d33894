//! S4's reads on the seeded data set, on the primary and on the standby, S6's audits alongside.

use std::time::Instant;

use anyhow::Context;
use tokio_postgres::Client;

use super::{Measured, OnStandby, S4, Scale, Seeded};
use crate::load::{self, timed_gets};
use crate::rounds::{Figures, Usage};
use crate::scenarios::{Cluster, Server};

/// S4's reads and S6's audits, `repeat` rounds of each, alternating, on the seeded data set.
pub(super) async fn reads_and_audits(
    cluster: &Cluster,
    server: &Server,
    repeat: usize,
    at: Seeded,
) -> anyhow::Result<Measured> {
    let Seeded { messages, chats, per_chat, seed_seconds, shared_buffers, small } = at;
    let sql = &cluster.sql;
    let (samples, history_requests) = history_requests(sql, per_chat).await?;
    let (teacher, list_requests) = list_requests(sql).await?;
    let page_requests: Vec<(String, String)> =
        (0..300).map(|_| ("/api/chats?limit=50".to_owned(), load::token(teacher))).collect();
    let (chat, _, before) = &samples[0];
    let history_plan = explain(
        sql,
        tutorchat::api::HISTORY_SQL,
        &[chat, before, &51i64, &vec![0i64], &vec![i64::MAX], &i64::MAX, &0i64, &vec![None::<i64>]],
    )
    .await?;
    let chat_list_plan = chat_list_plan(sql, teacher).await?;
    // A student with a second chat (a lesson with another teacher) resumes from position 0:
    // the replay must read their two chats' events, not walk the whole log.
    let student: i64 = sql.query_one("SELECT id FROM users WHERE email = 'bench-student-1'", &[]).await?.get(0);
    sql.execute(
        "INSERT INTO lessons (teacher_id, student_id, scheduled_at, status)
         SELECT id, $1, now(), 'completed' FROM users WHERE role = 'teacher'
           AND id NOT IN (SELECT teacher_id FROM chats WHERE student_id = $1) LIMIT 1",
        &[&student],
    )
    .await?;
    let head = tutorchat::log::head(sql).await?;
    let resume_plan =
        explain(sql, tutorchat::log::store::VISIBLE_TO_PARTICIPANT_SQL, &[&0i64, &head, &500i64, &student]).await?;

    let mut measured = Measured::default();
    for round in 0..repeat.max(1) {
        let usage = Usage::start();
        let url = &cluster.urls[0];
        let history = crate::profile::during(
            "s4-history-8-clients",
            timed_gets(url, history_requests.clone(), 8, crate::profile::lengthened(4, 10)),
        )
        .await;
        let history_one_client = timed_gets(url, history_requests.clone(), 1, 2).await;
        let chat_list = crate::profile::during(
            "s4-chat-list-4-clients",
            timed_gets(url, list_requests.clone(), 4, crate::profile::lengthened(1, 15)),
        )
        .await;
        let chat_list_one_client = timed_gets(url, list_requests.clone(), 1, 1).await;
        let on_standby = on_standby(cluster, history_requests.clone(), list_requests.clone()).await?;
        let chat_list_page = timed_gets(url, page_requests.clone(), 4, 1).await;
        let against_pgbench = super::ceiling::against_pgbench(cluster, server, teacher, per_chat).await?;
        let result = S4 {
            messages,
            chats,
            seed_seconds,
            shared_buffers: shared_buffers.clone(),
            history_requests: history.0,
            history: history.1,
            chat_list_requests: chat_list.0,
            chat_list_500: chat_list.1,
            history_one_client: history_one_client.1,
            chat_list_one_client: chat_list_one_client.1,
            chat_list_page: Some(chat_list_page.1),
            phases: vec![history.2, history_one_client.2, chat_list.2, chat_list_one_client.2],
            history_plan: history_plan.clone(),
            chat_list_plan: chat_list_plan.clone(),
            chat_list_plan_warm: String::new(),
            resume_plan: resume_plan.clone(),
            on_standby: Some(on_standby),
            smaller: Some(small.clone()),
            against_pgbench,
        };
        eprintln!(
            "S4 {} round {}: history page p50 {:.2} ms p99 {:.2} ms (one client: {:.2} / {:.2}); chat list (500 chats) p50 {:.2} ms p99 {:.2} ms (one client: {:.2} / {:.2})",
            server.revision,
            round + 1,
            result.history.p50_ms,
            result.history.p99_ms,
            result.history_one_client.p50_ms,
            result.history_one_client.p99_ms,
            result.chat_list_500.p50_ms,
            result.chat_list_500.p99_ms,
            result.chat_list_one_client.p50_ms,
            result.chat_list_one_client.p99_ms
        );
        let round = usage.round(&server.revision, result.figures());
        measured.reads.push((result, round));
        let usage = Usage::start();
        let audit = crate::scenarios::s6::s6(cluster).await?;
        let round = usage.round(&server.revision, audit.figures());
        measured.audits.push((audit, round));
    }
    match self::chat_list_plan(sql, teacher).await {
        Ok(warm) => measured.reads.iter_mut().for_each(|(r, _)| r.chat_list_plan_warm = warm.clone()),
        Err(e) => eprintln!("S4: the chat list's plan after the reads: {e:#}"),
    }
    Ok(measured)
}

/// History pages deep in 500 random chats, each as a student of the chat: `limit=50` before
/// the message a fifth of the way into the chat (four fifths of it are newer). Also the
/// samples (chat, token, before id).
async fn history_requests(
    sql: &Client,
    per_chat: i64,
) -> anyhow::Result<(Vec<(i64, String, i64)>, Vec<(String, String)>)> {
    let samples = sql
        .query(
            "SELECT c.id, (SELECT max(p.user_id) FROM chat_participants p WHERE p.chat_id = c.id),
                    (SELECT id FROM messages m WHERE m.chat_id = c.id ORDER BY id OFFSET $1 LIMIT 1)
             FROM chats c ORDER BY random() LIMIT 500",
            &[&(per_chat / 5)],
        )
        .await?;
    let samples: Vec<(i64, String, i64)> =
        samples.iter().map(|r| (r.get(0), load::token(r.get(1)), r.get(2))).collect();
    let requests = samples
        .iter()
        .map(|(chat, token, before)| (format!("/api/chats/{chat}/messages?limit=50&before_id={before}"), token.clone()))
        .collect();
    Ok((samples, requests))
}

/// 300 requests for the whole chat list (500 chats) of teacher 1; also the teacher's id.
async fn list_requests(sql: &Client) -> anyhow::Result<(i64, Vec<(String, String)>)> {
    let teacher: i64 = sql.query_one("SELECT id FROM users WHERE email = 'bench-teacher-1'", &[]).await?.get(0);
    Ok((teacher, (0..300).map(|_| ("/api/chats?limit=500".to_owned(), load::token(teacher))).collect()))
}

/// The plan of `teacher`'s whole chat list, the inbox (`EXPLAIN (ANALYZE, BUFFERS)` of the handler's statement).
async fn chat_list_plan(sql: &Client, teacher: i64) -> anyhow::Result<String> {
    let (start, kind, pattern) = (i64::MAX, None::<&str>, None::<String>);
    let params: [&(dyn tokio_postgres::types::ToSql + Sync); 8] =
        [&Some(teacher), &start, &start, &start, &kind, &pattern, &501i64, &false];
    explain(sql, tutorchat::api::CHAT_LIST_SQL, &params).await
}

/// The cost curve's first point: S4's reads on the primary at the data set's current size.
pub(super) async fn scale(cluster: &Cluster, per_chat: i64) -> anyhow::Result<Scale> {
    let sql = &cluster.sql;
    let messages: i64 = sql.query_one("SELECT count(*) FROM messages", &[]).await?.get(0);
    let chats: i64 = sql.query_one("SELECT count(*) FROM chats", &[]).await?.get(0);
    let (_, history_requests) = history_requests(sql, per_chat).await?;
    let (teacher, list_requests) = list_requests(sql).await?;
    let url = &cluster.urls[0];
    let history = timed_gets(url, history_requests.clone(), 8, 4).await.1;
    let history_one_client = timed_gets(url, history_requests, 1, 2).await.1;
    let chat_list_500 = timed_gets(url, list_requests.clone(), 4, 1).await.1;
    let chat_list_one_client = timed_gets(url, list_requests, 1, 1).await.1;
    eprintln!(
        "S4 at {messages} messages: history p99 {:.2} ms (one client {:.2}); chat list p99 {:.2} ms (one client {:.2})",
        history.p99_ms, history_one_client.p99_ms, chat_list_500.p99_ms, chat_list_one_client.p99_ms
    );
    let chat_list_plan = chat_list_plan(sql, teacher).await?;
    Ok(Scale { messages, chats, history, history_one_client, chat_list_500, chat_list_one_client, chat_list_plan })
}

/// S4's reads again, from the second replica, which reads from the standby: once the standby
/// has replayed everything the primary wrote.
async fn on_standby(
    cluster: &Cluster,
    history_requests: Vec<(String, String)>,
    list_requests: Vec<(String, String)>,
) -> anyhow::Result<OnStandby> {
    let standby = cluster.topology().standby().context("S4 runs with a standby")?.config("tutorchat");
    let (standby, connection) = standby.connect(tokio_postgres::NoTls).await?;
    tokio::spawn(connection);
    let target: String = cluster.sql.query_one("SELECT pg_current_wal_lsn()::text", &[]).await?.get(0);
    let started = Instant::now();
    loop {
        let replayed: bool =
            standby.query_one("SELECT pg_last_wal_replay_lsn() >= $1::text::pg_lsn", &[&target]).await?.get(0);
        if replayed {
            break;
        }
        anyhow::ensure!(started.elapsed().as_secs() < 1800, "the standby did not catch up in 30 minutes");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let catch_up_seconds = started.elapsed().as_secs_f64();
    let url = &cluster.urls[1];
    let served_before = standby_served(cluster).await?;
    let history = timed_gets(url, history_requests.clone(), 8, 4).await;
    let history_one_client = timed_gets(url, history_requests, 1, 2).await;
    let chat_list = timed_gets(url, list_requests.clone(), 4, 1).await;
    let chat_list_one_client = timed_gets(url, list_requests, 1, 1).await;
    let served = standby_served(cluster).await? - served_before;
    let requests = history.0 + history_one_client.0 + chat_list.0 + chat_list_one_client.0;
    eprintln!(
        "S4 on the standby (waited {catch_up_seconds:.1} s for it after the primary's reads): history p99 {:.2} ms (one client {:.2}); chat list p99 {:.2} ms (one client {:.2}); {served} reads served by it, {requests} timed",
        history.1.p99_ms, history_one_client.1.p99_ms, chat_list.1.p99_ms, chat_list_one_client.1.p99_ms
    );
    Ok(OnStandby {
        catch_up_seconds,
        history: history.1,
        history_one_client: history_one_client.1,
        chat_list_500: chat_list.1,
        chat_list_one_client: chat_list_one_client.1,
        served,
        requests,
    })
}

/// The second replica's count of reads its standby answered (warm-ups included). A scrape that
/// fails is tried again for a few seconds (the replica is under the run's load); one that keeps
/// failing ends the run with why, and the replica's last words.
async fn standby_served(cluster: &Cluster) -> anyhow::Result<u64> {
    let url = format!("{}/metrics", cluster.urls[1]);
    let name = "tutorchat_standby_reads_total{outcome=\"served\"}";
    let http = load::client();
    let mut why = String::new();
    for _ in 0..10 {
        match http.get(&url).send().await.and_then(reqwest::Response::error_for_status) {
            Ok(response) => match response.text().await {
                Ok(text) => return Ok(load::metric_in(&text, name).unwrap_or(0.0) as u64),
                Err(e) => why = e.to_string(),
            },
            Err(e) => why = e.to_string(),
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    let log = cluster.topology().replica_log_tail(1, 20);
    anyhow::bail!("cannot read {url}: {why}; the replica's log ends:\n{log}")
}

/// The plan as the replicas' sessions get it: under their settings (`db::SESSION_SETTINGS`).
/// The statement is this tree's: on a `--compare` build's schema it may not run (a column the
/// reference does not have yet), and then the plan says why instead of ending the run.
async fn explain(
    sql: &Client,
    query: &str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> anyhow::Result<String> {
    for (name, value) in tutorchat::db::SESSION_SETTINGS {
        sql.batch_execute(&format!("SET {name} = {value}")).await?;
    }
    match sql.query(&format!("EXPLAIN (ANALYZE, BUFFERS) {query}"), params).await {
        Ok(rows) => Ok(rows.iter().map(|r| r.get::<_, String>(0)).collect::<Vec<_>>().join("\n")),
        Err(e) if e.as_db_error().is_some() => {
            Ok(format!("(no plan: this tree's statement on this build's schema: {e})"))
        }
        Err(e) => Err(e.into()),
    }
}
