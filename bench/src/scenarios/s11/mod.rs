//! S11: one message must not stall the school. Every append takes the log's ordering lock, so
//! whatever a request makes the log do per event is waited for by every writer of the school;
//! a group message's mentions were once resolved inside that lock at a cost of (`@`s in the
//! text) × (members), and one student's text of 10,000 `@`s in a class of 499 held every other
//! send for seconds. This measures what ordinary senders see when someone tries that now.
//!
//! Each round, one cluster (group commit, two replicas): ordinary senders in their own direct
//! chats, closed loop, twice: alone ("quiet"), and beside attackers, students of a 499-member
//! group posting texts of 10,000 `@`s to it back to back ("under attack"). The phases' order
//! alternates from round to round, so neither always gets the fresher machine. The figure: the
//! senders' p99 under attack ÷ quiet, at most 2 (an attacker may cost the others their p99
//! doubled, no more).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio_postgres::Client;

use super::{Cluster, Server};
use crate::load::{self, Percentiles, Throughput};
use crate::rounds::{Figure, Figures, figure};

/// The figure that ranks the rounds and that the target judges.
pub const RATIO: &str = "p99 under attack ÷ quiet";
/// The group's members, its owner included: the class of the security review's finding.
pub const MEMBERS: i64 = 499;
/// `@`s in an attacker's message: the longest text a message may have.
pub const ATS: usize = 10_000;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct S11 {
    pub seconds_per_run: f64,
    /// Ordinary senders, each in a direct chat of its own.
    pub senders: usize,
    /// Students of the group posting its texts of `@`s at once.
    pub attackers: usize,
    pub members: i64,
    pub ats: usize,
    /// The phase run first in this round: "quiet" or "under attack".
    pub first: String,
    /// The ordinary senders alone.
    pub quiet: Throughput,
    /// The ordinary senders beside the attackers.
    pub under_attack: Throughput,
    pub attack: Attack,
    #[serde(default)]
    pub revision: String,
}

/// What the attackers managed: messages the log took (each checked landed) and how long each
/// took to be answered.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Attack {
    pub messages: usize,
    pub errors: usize,
    pub latency: Percentiles,
}

impl S11 {
    /// The senders' p99 under attack ÷ quiet: the target is ≤ 2.
    pub fn ratio(&self) -> f64 {
        self.under_attack.latency.p99_ms / self.quiet.latency.p99_ms.max(1e-9)
    }

    /// The senders' throughput under attack ÷ quiet.
    pub fn throughput_ratio(&self) -> f64 {
        self.under_attack.per_second / self.quiet.per_second.max(1e-9)
    }
}

impl Figures for S11 {
    /// The p99 ratio first (it ranks the rounds), then each phase's figures and the attack's.
    fn figures(&self) -> Vec<Figure> {
        let mut figures =
            vec![figure(RATIO, self.ratio()), figure("msg/s under attack ÷ quiet", self.throughput_ratio())];
        for (phase, t) in [("quiet", &self.quiet), ("under attack", &self.under_attack)] {
            figures.push(figure(format!("{phase}, msg/s"), t.per_second));
            figures.push(figure(format!("{phase}, p50 ms"), t.latency.p50_ms));
            figures.push(figure(format!("{phase}, p99 ms"), t.latency.p99_ms));
            figures.push(figure(format!("{phase}, max ms"), t.latency.max_ms));
        }
        figures.push(figure("attackers' messages", self.attack.messages as f64));
        figures.push(figure("attackers' p50 ms", self.attack.latency.p50_ms));
        figures
    }
}

/// The group: a teacher owns it, [`MEMBERS`] − 1 students named as people are ("Student 17"),
/// added by an admin in one statement, through the log as the product would. A group, not an
/// announcement, so that its students post. Its id, and its students' ids in order.
async fn seed_group(sql: &Client) -> anyhow::Result<(i64, Vec<i64>)> {
    let teacher: i64 = sql
        .query_one(
            "INSERT INTO users (email, name, role) VALUES ('bench-s11-teacher@bench', 'Teacher Owner', 'teacher')
             RETURNING id",
            &[],
        )
        .await?
        .get(0);
    let students: Vec<i64> = sql
        .query(
            "INSERT INTO users (email, name, role)
             SELECT 'bench-s11-student-' || g || '@bench', 'Student ' || g, 'student'
             FROM generate_series(1, $1::bigint - 1) g ORDER BY g RETURNING id",
            &[&MEMBERS],
        )
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let admin: i64 = sql
        .query_one(
            "INSERT INTO users (email, name, role) VALUES ('bench-s11-admin@bench', 'Admin', 'admin') RETURNING id",
            &[],
        )
        .await?
        .get(0);
    let chat: i64 = sql
        .query_one(
            "INSERT INTO events (chat_id, actor_id, type, payload)
             VALUES (nextval('chats_id_seq'), $1, 'chat_created', jsonb_build_object('kind', 'group', 'title', 'Year 9'))
             RETURNING chat_id",
            &[&teacher],
        )
        .await?
        .get(0);
    sql.execute(
        "INSERT INTO events (chat_id, actor_id, type, payload)
         VALUES ($1, $2, 'participant_added', jsonb_build_object('user_id', $2::bigint))",
        &[&chat, &teacher],
    )
    .await?;
    sql.execute(
        "INSERT INTO events (chat_id, actor_id, type, payload)
         SELECT $1, $2, 'participant_added', jsonb_build_object('user_id', s) FROM unnest($3::bigint[]) s",
        &[&chat, &admin, &students],
    )
    .await?;
    let members: i64 =
        sql.query_one("SELECT count(*) FROM chat_participants WHERE chat_id = $1", &[&chat]).await?.get(0);
    anyhow::ensure!(members == MEMBERS, "the group has {members} members, not {MEMBERS}");
    Ok((chat, students))
}

/// Idempotency keys of the attackers' messages, unique within this process (a retry's key
/// would be answered 200 with the first message, appending nothing).
static NEXT_KEY: AtomicU64 = AtomicU64::new(0);

/// Each of `tokens` posting [`ATS`] `@`s to `chat`, the next as soon as the last is answered,
/// until `duration` has passed (the last ones are awaited: a phase ends when its load does).
async fn post_ats(urls: &[String], chat: i64, tokens: &[String], duration: Duration) -> Attack {
    let http = load::client();
    let deadline = Instant::now() + duration;
    let text = "@".repeat(ATS);
    let tasks: Vec<_> = tokens
        .iter()
        .enumerate()
        .map(|(a, token)| {
            let (http, url, token) = (http.clone(), format!("{}/api/messages", urls[a % urls.len()]), token.clone());
            let body = json!({ "chat_id": chat, "content": text });
            tokio::spawn(async move {
                let (mut latencies, mut errors) = (Vec::new(), 0);
                while Instant::now() < deadline {
                    let key = format!("bench-s11-{}", NEXT_KEY.fetch_add(1, Ordering::Relaxed));
                    let sent = Instant::now();
                    match http.post(&url).bearer_auth(&token).header("idempotency-key", key).json(&body).send().await {
                        Ok(r) if r.status() == 201 => {
                            latencies.push(sent.elapsed());
                            let _ = r.bytes().await;
                        }
                        _ => errors += 1,
                    }
                }
                (latencies, errors)
            })
        })
        .collect();
    let (mut latencies, mut errors) = (Vec::new(), 0);
    for task in tasks {
        match task.await {
            Ok((l, e)) => {
                latencies.extend(l);
                errors += e;
            }
            Err(_) => errors += 1,
        }
    }
    Attack { messages: latencies.len(), errors, latency: load::percentiles(latencies) }
}

/// One phase's figures, on the terminal as the round ends.
fn log(revision: &str, phase: &str, t: &Throughput, attack: Option<&Attack>) {
    eprintln!(
        "S11 {revision} {phase:12}: {:6.0} msg/s  p50 {:.2} ms  p99 {:.2} ms  max {:.2} ms  errors {}{}",
        t.per_second,
        t.latency.p50_ms,
        t.latency.p99_ms,
        t.latency.max_ms,
        t.errors,
        attack
            .map(|a| format!(
                "; attackers {} messages, p50 {:.0} ms, max {:.0} ms, errors {}",
                a.messages, a.latency.p50_ms, a.latency.max_ms, a.errors
            ))
            .unwrap_or_default()
    );
}

/// One round: the cluster, the senders' chats and the group, a short unrecorded warm-up (the
/// replicas open their pooled connections on first use), then both phases, quiet first in odd
/// rounds (counting from 1) and under attack first in even ones.
pub async fn s11(
    server: &Server,
    round: usize,
    run: Duration,
    senders: usize,
    attackers: usize,
) -> anyhow::Result<S11> {
    let cluster = Cluster::start_on(server, 2, &[("APPEND_MODE", "batched")]).await?;
    let pairs = load::seed_pairs(&cluster.sql, senders as i64).await?;
    let (chat, students) = seed_group(&cluster.sql).await?;
    let tokens: Vec<String> = students.iter().take(attackers).map(|&id| load::token(id)).collect();
    cluster.sql.execute("ANALYZE", &[]).await?;
    load::closed_loop(&cluster.urls, &pairs, senders, Duration::from_secs(1)).await;

    let quiet_first = round.is_multiple_of(2);
    let alone = || load::closed_loop(&cluster.urls, &pairs, senders, run);
    let beside = || async {
        tokio::join!(
            load::closed_loop(&cluster.urls, &pairs, senders, run),
            post_ats(&cluster.urls, chat, &tokens, run)
        )
    };
    let (quiet, (attacked, attack)) = if quiet_first {
        let quiet = alone().await;
        (quiet, beside().await)
    } else {
        let attacked = beside().await;
        (alone().await, attacked)
    };
    log(&server.revision, "quiet", &quiet, None);
    log(&server.revision, "under attack", &attacked, Some(&attack));
    // The attack happened, and every message answered 201 is in the log (one that failed, a
    // timeout say, may be too).
    let landed: i64 = cluster.sql.query_one("SELECT count(*) FROM messages WHERE chat_id = $1", &[&chat]).await?.get(0);
    cluster.stop().await;
    anyhow::ensure!(attack.messages > 0, "S11: no attacker's message was taken ({} errors)", attack.errors);
    anyhow::ensure!(
        (attack.messages..=attack.messages + attack.errors).contains(&(landed as usize)),
        "S11: {} attackers' messages answered 201 and {} failed, but {landed} are in the group",
        attack.messages,
        attack.errors
    );
    let result = S11 {
        seconds_per_run: run.as_secs_f64(),
        senders,
        attackers,
        members: MEMBERS,
        ats: ATS,
        first: if quiet_first { "quiet" } else { "under attack" }.to_owned(),
        quiet,
        under_attack: attacked,
        attack,
        revision: server.revision.clone(),
    };
    eprintln!(
        "S11 {}: p99 under attack ÷ quiet {:.2}, msg/s {:.2}",
        server.revision,
        result.ratio(),
        result.throughput_ratio()
    );
    Ok(result)
}
