//! S4: history and chat-list reads on a large data set, from one client and under load, with
//! their query plans.

use std::time::Instant;

use anyhow::Context;
use serde::{Deserialize, Serialize};
use tokio_postgres::Client;

use super::{Cluster, Server};
use crate::load::{self, Percentiles, Phase, timed_gets};
use crate::rounds::{Figure, Figures, Repeated, Round, Usage, figure};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct S4 {
    pub messages: i64,
    pub chats: i64,
    pub seed_seconds: f64,
    /// The primary's `shared_buffers` (PostgreSQL's default unless `--pg-setting` said otherwise).
    #[serde(default)]
    pub shared_buffers: String,
    pub history: Percentiles,
    pub history_requests: usize,
    pub chat_list_500: Percentiles,
    pub chat_list_requests: usize,
    /// The same requests from one client at a time: the service time, without queueing.
    #[serde(default)]
    pub history_one_client: Percentiles,
    #[serde(default)]
    pub chat_list_one_client: Percentiles,
    /// The first page of 50 (what the web client asks for), from 4 clients.
    #[serde(default)]
    pub chat_list_page: Option<Percentiles>,
    /// Requests/s and CPU use of the four runs: history from 8 clients and from 1, the chat
    /// list from 4 and from 1.
    #[serde(default)]
    pub phases: Vec<Phase>,
    pub history_plan: String,
    /// The chat list's plan right after seeding (its pages cold: read from the OS, dirty ones
    /// written out to make room), and after the last round (its reads, then S6's audits).
    pub chat_list_plan: String,
    #[serde(default)]
    pub chat_list_plan_warm: String,
    /// A resume from position 0 by a student with two chats: the replay statement's plan.
    #[serde(default)]
    pub resume_plan: String,
    /// The same reads from a replica that reads from a streaming standby.
    #[serde(default)]
    pub on_standby: Option<OnStandby>,
    /// The same reads on the primary at a tenth of the messages, before the rest was seeded.
    #[serde(default)]
    pub smaller: Option<Scale>,
}

/// S4's reads at a tenth of the data set (the first point of the cost curve): the same
/// requests, the same teacher's 500 chats.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Scale {
    pub messages: i64,
    pub chats: i64,
    pub history: Percentiles,
    pub history_one_client: Percentiles,
    pub chat_list_500: Percentiles,
    pub chat_list_one_client: Percentiles,
    /// The chat list's plan at this size (`EXPLAIN (ANALYZE, BUFFERS)`, after its reads), to
    /// set beside the whole data set's.
    #[serde(default)]
    pub chat_list_plan: String,
}

/// S4's reads answered by a streaming standby (`READ_DATABASE_URL`), on the same data set.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OnStandby {
    /// How long the tool waited, after the primary's reads, for the standby to reach the primary's WAL position.
    pub catch_up_seconds: f64,
    pub history: Percentiles,
    pub history_one_client: Percentiles,
    pub chat_list_500: Percentiles,
    pub chat_list_one_client: Percentiles,
    /// Reads the replica counted as answered by the standby, of those it was sent.
    pub served: u64,
    pub requests: usize,
}

impl Figures for S4 {
    /// The reads at the whole data set's size (the history from 8 clients ranks the rounds).
    fn figures(&self) -> Vec<Figure> {
        let mut figures = vec![
            figure("history page p99, 8 clients, ms", self.history.p99_ms),
            figure("history page p99, 1 client, ms", self.history_one_client.p99_ms),
            figure("chat list of 500 p99, 4 clients, ms", self.chat_list_500.p99_ms),
            figure("chat list of 500 p99, 1 client, ms", self.chat_list_one_client.p99_ms),
        ];
        if let Some(page) = &self.chat_list_page {
            figures.push(figure("chat list's first page of 50 p99, 4 clients, ms", page.p99_ms));
        }
        if let Some(standby) = &self.on_standby {
            figures.push(figure("on the standby: history page p99, 8 clients, ms", standby.history.p99_ms));
            figures.push(figure("on the standby: history page p99, 1 client, ms", standby.history_one_client.p99_ms));
            figures.push(figure("on the standby: chat list of 500 p99, 4 clients, ms", standby.chat_list_500.p99_ms));
            figures.push(figure(
                "on the standby: chat list of 500 p99, 1 client, ms",
                standby.chat_list_one_client.p99_ms,
            ));
        }
        figures
    }
}

/// What runs on S4's data set once it is seeded: S4's reads and S6's audits (together, in
/// rounds), and S7's retention (once, last: it purges a tenth of the data set's content).
pub struct OnDataSet {
    pub reads: Option<(Repeated<S4>, Repeated<super::S6>)>,
    pub retention: Option<Repeated<super::S7>>,
}

/// S4, and S6 (the audit) on the same data set, for this build and the reference: seeding ten
/// million messages takes minutes, so each build seeds its data set once and repeats its reads
/// and audits on it `repeat` times. Then S7 (`retention`), on this build's data set only: its
/// purge is this tree's code, run in-process. Without `reads`, the data set is seeded for S7
/// alone (no reads, no audits, no reference).
pub async fn s4(
    this: &Server,
    reference: Option<&Server>,
    repeat: usize,
    chats: i64,
    per_chat: i64,
    reads: bool,
    retention: Option<super::s7::Plan>,
) -> anyhow::Result<OnDataSet> {
    let (mut s4, mut s6) = (Repeated::new(this, reference), Repeated::new(this, reference));
    let mut s7 = None;
    let reference = reference.filter(|_| reads);
    for (k, server) in std::iter::once(this).chain(reference).enumerate() {
        let retention = retention.filter(|_| k == 0);
        let (measured, purged) = s4_of(server, repeat, chats, per_chat, reads, retention).await?;
        let (reads, read_rounds): (Vec<S4>, Vec<Round>) = measured.reads.into_iter().unzip();
        let (audits, audit_rounds): (Vec<super::S6>, Vec<Round>) = measured.audits.into_iter().unzip();
        s4.rounds.rounds.extend(read_rounds);
        s6.rounds.rounds.extend(audit_rounds);
        if k == 0 {
            s4.this.extend(reads);
            s6.this.extend(audits);
        }
        if let Some((result, round)) = purged {
            let mut repeated = Repeated::new(this, None);
            repeated.rounds.rounds.push(round);
            repeated.this.push(result);
            s7 = Some(repeated);
        }
    }
    Ok(OnDataSet { reads: reads.then_some((s4, s6)), retention: s7 })
}

/// Each round's reads and audits on one build's data set.
#[derive(Default)]
struct Measured {
    reads: Vec<(S4, Round)>,
    audits: Vec<(super::S6, Round)>,
}

/// Every round of S4 and of S6 on `server`, on one data set (with `reads`), then S7 (with
/// `retention`).
///
/// Two replicas and a streaming standby: the first reads the primary (its `READ_DATABASE_URL`
/// emptied), the second the standby, which replays the seeding as it happens.
async fn s4_of(
    server: &Server,
    repeat: usize,
    chats: i64,
    per_chat: i64,
    reads: bool,
    retention: Option<super::s7::Plan>,
) -> anyhow::Result<(Measured, Option<(super::S7, Round)>)> {
    let mut cluster = Cluster::start_with_standby(server, 2, &[]).await?;
    let outcome = on_cluster(&mut cluster, server, repeat, chats, per_chat, reads, retention).await;
    cluster.stop().await;
    outcome
}

async fn on_cluster(
    cluster: &mut Cluster,
    server: &Server,
    repeat: usize,
    chats: i64,
    per_chat: i64,
    reads: bool,
    retention: Option<super::s7::Plan>,
) -> anyhow::Result<(Measured, Option<(super::S7, Round)>)> {
    let primary_only = [("READ_DATABASE_URL", "")];
    tokio::task::block_in_place(|| -> anyhow::Result<()> {
        cluster.topology_mut().terminate_replica(0)?;
        cluster.topology_mut().start_replica_with(0, &primary_only)
    })?;
    let sql = &cluster.sql;
    // The cost curve: a tenth of the chats first, with all their messages, and the same reads
    // there; then the rest. Every teacher has 500 chats in both, and teacher 1 (whose chat
    // list is read) is in the first tenth, so the list is the same list at both sizes.
    let seeding = Instant::now();
    let first = chats / 10;
    seed(sql, 0, first, per_chat, SENTENCE, "S4").await?;
    let small = if reads { Some(scale(cluster, per_chat).await?) } else { None };
    seed(sql, first, chats - first, per_chat, SENTENCE, "S4").await?;
    let seed_seconds = seeding.elapsed().as_secs_f64();
    let messages: i64 = sql.query_one("SELECT count(*) FROM messages", &[]).await?.get(0);
    let shared_buffers: String = sql.query_one("SHOW shared_buffers", &[]).await?.get(0);
    eprintln!(
        "S4 seeded {messages} messages in {chats} chats in {seed_seconds:.0} s (shared_buffers {shared_buffers})"
    );
    let measured = match small {
        Some(small) => {
            let at = Seeded { messages, chats, per_chat, seed_seconds, shared_buffers, small };
            reads_and_audits(cluster, server, repeat, at).await?
        }
        None => Measured::default(),
    };
    let purged = match retention {
        Some(plan) => {
            let usage = Usage::start();
            let mut result = super::s7::s7(cluster, plan).await?;
            result.after_reads_and_audits = reads;
            let round = usage.round(&server.revision, result.figures());
            Some((result, round))
        }
        None => None,
    };
    Ok((measured, purged))
}

/// The data set as seeded, and S4's reads at a tenth of it.
struct Seeded {
    messages: i64,
    chats: i64,
    per_chat: i64,
    seed_seconds: f64,
    shared_buffers: String,
    small: Scale,
}

/// S4's reads and S6's audits, `repeat` rounds of each, alternating, on the seeded data set.
async fn reads_and_audits(cluster: &Cluster, server: &Server, repeat: usize, at: Seeded) -> anyhow::Result<Measured> {
    let Seeded { messages, chats, per_chat, seed_seconds, shared_buffers, small } = at;
    let sql = &cluster.sql;
    let (samples, history_requests) = history_requests(sql, per_chat).await?;
    let (teacher, list_requests) = list_requests(sql).await?;
    let page_requests: Vec<(String, String)> =
        (0..300).map(|_| ("/api/chats?limit=50".to_owned(), load::token(teacher))).collect();
    let (chat, _, before) = &samples[0];
    let history_plan = explain(
        sql,
        &tutorchat::api::HISTORY_SQL,
        &[chat, before, &51i64, &vec![0i64], &vec![i64::MAX], &i64::MAX, &0i64],
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
        explain(sql, &tutorchat::log::store::VISIBLE_TO_PARTICIPANT_SQL, &[&0i64, &head, &500i64, &student]).await?;

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
        let audit = super::s6::s6(cluster).await?;
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

/// The plan of `teacher`'s whole chat list (`EXPLAIN (ANALYZE, BUFFERS)` of the handler's statement).
async fn chat_list_plan(sql: &Client, teacher: i64) -> anyhow::Result<String> {
    let (start, kind, pattern) = (i64::MAX, None::<&str>, None::<String>);
    let params: [&(dyn tokio_postgres::types::ToSql + Sync); 7] =
        [&Some(teacher), &start, &start, &start, &kind, &pattern, &501i64];
    explain(sql, &tutorchat::api::CHAT_LIST_SQL, &params).await
}

/// The cost curve's first point: S4's reads on the primary at the data set's current size.
async fn scale(cluster: &Cluster, per_chat: i64) -> anyhow::Result<Scale> {
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

/// S4's messages: the same sentence in each, but for its number (`g`, from 1 in each chat).
const SENTENCE: &str = "'Message ' || g || ' of a long conversation about homework'";

/// Seeds `chats` more chats (students `offset + 1 ..= offset + chats`, their own teachers) with
/// `per_chat` messages each, through the log's own triggers: every teacher has `chats /
/// teachers` chats of mixed kinds, four in five direct, one in five a group of the teacher and
/// five of these students (each with a lesson scheduled with that teacher, as a teacher adds
/// only their own students), about one of twenty courses. Each message's text is `content`, an
/// SQL expression over the chat `c` and the message's number in it `g` (S4's [`SENTENCE`];
/// S8's words); `scenario` names the progress lines.
pub(super) async fn seed(
    sql: &Client,
    offset: i64,
    chats: i64,
    per_chat: i64,
    content: &str,
    scenario: &str,
) -> anyhow::Result<()> {
    let teachers = (chats / 500).max(1);
    let t0: i64 = sql.query_one("SELECT count(*) FROM users WHERE role = 'teacher'", &[]).await?.get(0);
    let low: i64 = sql.query_one("SELECT coalesce(max(id), 0) + 1 FROM chats", &[]).await?.get(0);
    let seeding = Instant::now();
    sql.batch_execute(&format!(
        "INSERT INTO users (email, name, role) SELECT 'bench-teacher-' || g, 'Teacher ' || g, 'teacher' FROM generate_series({t0} + 1, {t0} + {teachers}) g;
         INSERT INTO users (email, name, role) SELECT 'bench-student-' || g, 'Student ' || g, 'student' FROM generate_series({offset} + 1, {offset} + {chats}) g;"
    ))
    .await?;
    // Student `offset + g` learns with teacher `t0 + g mod teachers + 1`, except every fifth
    // student of each teacher.
    sql.batch_execute(&format!(
        "INSERT INTO lessons (teacher_id, student_id, scheduled_at, status)
         SELECT t.id, s.id, now(), 'completed' FROM generate_series(1, {chats}) g
         JOIN users s ON s.email = 'bench-student-' || ({offset} + g)
         JOIN users t ON t.email = 'bench-teacher-' || ({t0} + g % {teachers} + 1)
         WHERE (g / {teachers}) % 5 <> 0;
         INSERT INTO events (chat_id, actor_id, type, payload)
         SELECT nextval('chats_id_seq'), t.id, 'chat_created',
                jsonb_build_object('kind', 'group', 'title', 'Group ' || ({offset} / 5 + g),
                                   'context', jsonb_build_object('type', 'course', 'id', g % 20, 'title', 'Course ' || g % 20))
         FROM generate_series(1, {chats} / 5) g
         JOIN users t ON t.email = 'bench-teacher-' || ({t0} + g % {teachers} + 1)
         ORDER BY g;
         -- A teacher adds to a group only their own students: a scheduled lesson with each.
         INSERT INTO lessons (teacher_id, student_id, scheduled_at, status)
         SELECT DISTINCT c.created_by, s.id, now() + interval '1 day', 'scheduled' FROM chats c
         CROSS JOIN generate_series(1, 5) k
         JOIN users s ON s.email = 'bench-student-' || ({offset} + (c.id * 5 + k) % {chats} + 1)
         WHERE c.kind = 'group' AND c.id >= {low};
         INSERT INTO events (chat_id, actor_id, type, payload)
         SELECT c.id, c.created_by, 'participant_added', jsonb_build_object('user_id', m.user_id)
         FROM chats c
         CROSS JOIN LATERAL (
             SELECT c.created_by AS user_id, 0 AS k
             UNION ALL
             SELECT s.id, k FROM generate_series(1, 5) k
             JOIN users s ON s.email = 'bench-student-' || ({offset} + (c.id * 5 + k) % {chats} + 1)
         ) m
         WHERE c.kind = 'group' AND c.id >= {low}
         ORDER BY c.id, m.k;"
    ))
    .await?;
    let per_teacher: i64 = sql
        .query_one(
            "SELECT count(*) FROM chat_participants p JOIN users u ON u.id = p.user_id WHERE u.email = $1",
            &[&format!("bench-teacher-{}", t0 + 1)],
        )
        .await?
        .get(0);
    anyhow::ensure!(
        per_teacher == chats / teachers,
        "bench-teacher-{} has {per_teacher} chats, not {}",
        t0 + 1,
        chats / teachers
    );
    let kinds: i64 = sql.query_one("SELECT count(DISTINCT kind) FROM chats WHERE id >= $1", &[&low]).await?.get(0);
    anyhow::ensure!(kinds == 2, "the data set should mix direct chats and groups");
    let high: i64 = sql.query_one("SELECT max(id) FROM chats", &[]).await?.get(0);
    let step = (100_000 / per_chat).max(1);
    let mut from = low;
    while from <= high {
        // Through the log's own triggers, as the application would: positions, ids, projections.
        sql.execute(
            &format!(
                "INSERT INTO events (chat_id, actor_id, type, payload)
                 SELECT c.id, CASE WHEN c.kind = 'group' THEN c.created_by
                                   WHEN g % 2 = 0 THEN c.student_id ELSE c.teacher_id END, 'message_created',
                        jsonb_build_object('content', {content})
                 FROM chats c CROSS JOIN generate_series(1, $3::bigint) g
                 WHERE c.id BETWEEN $1 AND $2 ORDER BY c.id, g"
            ),
            &[&from, &(from + step - 1), &per_chat],
        )
        .await?;
        from += step;
        if (from - low) % (step * 20) == 0 {
            eprintln!(
                "{scenario} seeding: {} of {} chats, {:.0} s",
                from - low,
                chats,
                seeding.elapsed().as_secs_f64()
            );
        }
    }
    sql.batch_execute("VACUUM ANALYZE").await?;
    Ok(())
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
    let served_before = standby_served(url).await?;
    let history = timed_gets(url, history_requests.clone(), 8, 4).await;
    let history_one_client = timed_gets(url, history_requests, 1, 2).await;
    let chat_list = timed_gets(url, list_requests.clone(), 4, 1).await;
    let chat_list_one_client = timed_gets(url, list_requests, 1, 1).await;
    let served = standby_served(url).await? - served_before;
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

/// The replica's count of reads its standby answered (warm-ups included).
async fn standby_served(url: &str) -> anyhow::Result<u64> {
    let name = "tutorchat_standby_reads_total{outcome=\"served\"}";
    let served = load::metric(&load::client(), &format!("{url}/metrics"), name).await;
    Ok(served.ok_or_else(|| anyhow::anyhow!("cannot read {url}/metrics"))? as u64)
}

/// The plan as the replicas' sessions get it: under their settings (`db::SESSION_SETTINGS`).
pub(super) async fn explain(
    sql: &Client,
    query: &str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> anyhow::Result<String> {
    for (name, value) in tutorchat::db::SESSION_SETTINGS {
        sql.batch_execute(&format!("SET {name} = {value}")).await?;
    }
    let rows = sql.query(&format!("EXPLAIN (ANALYZE, BUFFERS) {query}"), params).await?;
    Ok(rows.iter().map(|r| r.get::<_, String>(0)).collect::<Vec<_>>().join("\n"))
}
