//! S11: one request must not stall the school. Every append takes the log's ordering lock, so
//! whatever a request makes the log do per event is waited for by every writer of the school.
//! Three adversaries, each of a finding once made: a group message's mentions were resolved
//! inside that lock at a cost of (`@`s in the text) × (members), and one student's text of
//! 10,000 `@`s in a class of 499 held every other send for seconds ([`ats`]); a read receipt's
//! list of ids had no bound, and one of 8 million held every append for 12 s ([`receipts`]: now
//! the largest list a request may send, at the product's write rate); an inquiry's opening, a
//! request nobody signs in to make, took the log's lock for itself ([`opens`]: anonymous
//! visitors through the teachers' links, at the limit's rate).
//!
//! Each round, one cluster (group commit, two replicas): ordinary senders in their own direct
//! chats, closed loop, four times: alone ("quiet"), and beside each adversary. The phases' order
//! turns from round to round, so none always gets the fresher machine. The figures: the
//! senders' p99 beside each adversary ÷ quiet: at most 2 beside the `@`s (an attacker may cost
//! the others their p99 doubled, no more), at most 1.5 beside the receipts and the opens.

mod ats;
mod opens;
mod receipts;

use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio_postgres::Client;

use super::{Cluster, Server};
use crate::load::{self, Percentiles, Throughput};
use crate::rounds::{Figure, Figures, figure};

/// The figure that ranks the rounds and that the target judges (beside the `@`s).
pub const RATIO: &str = "p99 under attack ÷ quiet";
/// Beside the read receipts, and beside the inquiries' opens: their targets are ≤ 1.5.
pub const RECEIPTS_RATIO: &str = "p99 under read receipts ÷ quiet";
pub const OPENS_RATIO: &str = "p99 under inquiry opens ÷ quiet";
/// Students sending read receipts, each at the product's write rate.
pub const RECEIPT_ATTACKERS: usize = 32;
/// Teachers whose inquiry links the visitors open, each on both replicas at the limit's rate.
pub const OPEN_LINKS: usize = 8;
pub use opens::PER_MINUTE as OPENS_PER_MINUTE;
pub use receipts::{LISTED, PER_SECOND as RECEIPTS_PER_SECOND};
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
    /// The ordinary senders beside [`RECEIPT_ATTACKERS`] students sending read receipts of
    /// [`LISTED`] ids (absent from results of before this adversary).
    #[serde(default)]
    pub under_receipts: Option<Throughput>,
    /// The receipts: `messages` the `chat_read` events the log took, `errors` those it did not.
    #[serde(default)]
    pub receipts: Option<Attack>,
    /// The ordinary senders beside anonymous visitors opening inquiries through [`OPEN_LINKS`]
    /// links at the limit's rate.
    #[serde(default)]
    pub under_opens: Option<Throughput>,
    /// The opens: `messages` those answered 201, with their latency.
    #[serde(default)]
    pub opens: Option<Attack>,
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

impl Attack {
    /// The attackers' tasks' answers together: each task's latencies of the requests answered
    /// as hoped, and how many were not (a task that panicked counts as one).
    async fn gather(tasks: Vec<tokio::task::JoinHandle<(Vec<Duration>, usize)>>) -> Self {
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
}

impl S11 {
    /// The senders' p99 under attack ÷ quiet: the target is ≤ 2.
    pub fn ratio(&self) -> f64 {
        self.under_attack.latency.p99_ms / self.quiet.latency.p99_ms.max(1e-9)
    }

    /// The senders' p99 beside the read receipts ÷ quiet: the target is ≤ 1.5.
    pub fn receipts_ratio(&self) -> Option<f64> {
        self.under_receipts.as_ref().map(|t| t.latency.p99_ms / self.quiet.latency.p99_ms.max(1e-9))
    }

    /// The senders' p99 beside the inquiries' opens ÷ quiet: the target is ≤ 1.5.
    pub fn opens_ratio(&self) -> Option<f64> {
        self.under_opens.as_ref().map(|t| t.latency.p99_ms / self.quiet.latency.p99_ms.max(1e-9))
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
        if let Some(ratio) = self.receipts_ratio() {
            figures.push(figure(RECEIPTS_RATIO, ratio));
        }
        if let Some(ratio) = self.opens_ratio() {
            figures.push(figure(OPENS_RATIO, ratio));
        }
        let beside = [("under read receipts", &self.under_receipts), ("under inquiry opens", &self.under_opens)];
        let phases = [("quiet", &self.quiet), ("under attack", &self.under_attack)]
            .into_iter()
            .chain(beside.into_iter().filter_map(|(phase, t)| t.as_ref().map(|t| (phase, t))));
        for (phase, t) in phases {
            figures.push(figure(format!("{phase}, msg/s"), t.per_second));
            figures.push(figure(format!("{phase}, p50 ms"), t.latency.p50_ms));
            figures.push(figure(format!("{phase}, p99 ms"), t.latency.p99_ms));
            figures.push(figure(format!("{phase}, max ms"), t.latency.max_ms));
        }
        figures.push(figure("attackers' messages", self.attack.messages as f64));
        figures.push(figure("attackers' p50 ms", self.attack.latency.p50_ms));
        if let Some(receipts) = &self.receipts {
            figures.push(figure("read receipts logged", receipts.messages as f64));
        }
        if let Some(opens) = &self.opens {
            figures.push(figure("inquiries opened", opens.messages as f64));
            figures.push(figure("inquiry opens' p50 ms", opens.latency.p50_ms));
        }
        figures
    }
}

/// The group: a teacher owns it, [`MEMBERS`] − 1 students named as people are ("Student 17"),
/// added by an admin in one statement, through the log as the product would. A group, not an
/// announcement, so that its students post. Its id, its teacher's, and its students' in order.
async fn seed_group(sql: &Client) -> anyhow::Result<(i64, i64, Vec<i64>)> {
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
    Ok((chat, teacher, students))
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

/// Teachers for the inquiry links, and their tokens.
async fn seed_hosts(sql: &Client, count: usize) -> anyhow::Result<Vec<String>> {
    let rows = sql
        .query(
            "INSERT INTO users (email, name, role)
             SELECT 'bench-s11-host-' || g || '@bench', 'Host ' || g, 'teacher'
             FROM generate_series(1, $1::bigint) g ORDER BY g RETURNING id",
            &[&(count as i64)],
        )
        .await?;
    Ok(rows.iter().map(|r| load::token(r.get(0))).collect())
}

/// The phases of a round, in the first round's order; each round starts one further on.
const PHASES: [&str; 4] = ["quiet", "under attack", "under read receipts", "under inquiry opens"];

/// One round: the cluster, the senders' chats, the group with a history for the receipts to
/// read through, the links; a short unrecorded warm-up (the replicas open their pooled
/// connections on first use), then the four phases, the first of them turning from round to
/// round.
pub async fn s11(
    server: &Server,
    round: usize,
    run: Duration,
    senders: usize,
    attackers: usize,
) -> anyhow::Result<S11> {
    let cluster = Cluster::start_on(server, 2, &[("APPEND_MODE", "batched")]).await?;
    let pairs = load::seed_pairs(&cluster.sql, senders as i64).await?;
    let (chat, teacher, students) = seed_group(&cluster.sql).await?;
    let history = receipts::seed_history(&cluster.sql, chat, teacher, receipts::history_for(run)).await?;
    let tokens: Vec<String> = students.iter().take(attackers).map(|&id| load::token(id)).collect();
    // Readers of their own: the `@`s' senders have read the group up to their last message.
    let readers = &students[attackers..attackers + RECEIPT_ATTACKERS];
    let reader_tokens: Vec<String> = readers.iter().map(|&id| load::token(id)).collect();
    let hosts = seed_hosts(&cluster.sql, OPEN_LINKS).await?;
    let links = opens::create_links(&cluster.urls[0], &hosts).await?;
    cluster.sql.execute("ANALYZE", &[]).await?;
    load::closed_loop(&cluster.urls, &pairs, senders, Duration::from_secs(1)).await;

    let first = round % PHASES.len();
    let alone = || load::closed_loop(&cluster.urls, &pairs, senders, run);
    let (mut quiet, mut ats, mut receipts, mut opens) = (None, None, None, None);
    for phase in PHASES.iter().cycle().skip(first).take(PHASES.len()) {
        match *phase {
            "quiet" => quiet = Some(alone().await),
            "under attack" => ats = Some(tokio::join!(alone(), ats::post_ats(&cluster.urls, chat, &tokens, run))),
            "under read receipts" => {
                let sent = receipts::send_receipts(&cluster.urls, chat, &reader_tokens, &history, run);
                receipts = Some(tokio::join!(alone(), sent));
            }
            _ => opens = Some(tokio::join!(alone(), opens::open_inquiries(&cluster.urls, &links, run))),
        }
    }
    let (Some(quiet), Some((attacked, attack)), Some((under_receipts, mut sent)), Some((under_opens, opened))) =
        (quiet, ats, receipts, opens)
    else {
        anyhow::bail!("S11: a phase did not run");
    };
    // What the receipts made the log do: the events it took (each moved a marker one message).
    let logged = receipts::landed(&cluster.sql, chat, readers).await? as usize;
    sent.errors += sent.messages.saturating_sub(logged);
    sent.messages = logged;
    log(&server.revision, "quiet", &quiet, None);
    log(&server.revision, "under attack", &attacked, Some(&attack));
    log(&server.revision, "receipts", &under_receipts, Some(&sent));
    log(&server.revision, "opens", &under_opens, Some(&opened));
    // The attack happened, and every message answered 201 is in the log (one that failed, a
    // timeout say, may be too).
    let in_group: i64 =
        cluster.sql.query_one("SELECT count(*) FROM messages WHERE chat_id = $1", &[&chat]).await?.get(0);
    let landed = in_group as usize - history.len();
    cluster.stop().await;
    anyhow::ensure!(attack.messages > 0, "S11: no attacker's message was taken ({} errors)", attack.errors);
    anyhow::ensure!(
        (attack.messages..=attack.messages + attack.errors).contains(&landed),
        "S11: {} attackers' messages answered 201 and {} failed, but {landed} are in the group",
        attack.messages,
        attack.errors
    );
    anyhow::ensure!(sent.messages > 0, "S11: no read receipt was logged ({} not)", sent.errors);
    anyhow::ensure!(opened.messages > 0, "S11: no inquiry was opened ({} refused or failed)", opened.errors);
    let result = S11 {
        seconds_per_run: run.as_secs_f64(),
        senders,
        attackers,
        members: MEMBERS,
        ats: ATS,
        first: PHASES[first].to_owned(),
        quiet,
        under_attack: attacked,
        attack,
        under_receipts: Some(under_receipts),
        receipts: Some(sent),
        under_opens: Some(under_opens),
        opens: Some(opened),
        revision: server.revision.clone(),
    };
    eprintln!(
        "S11 {}: p99 under attack ÷ quiet {:.2}, under read receipts {:.2}, under inquiry opens {:.2}; msg/s {:.2}",
        server.revision,
        result.ratio(),
        result.receipts_ratio().unwrap_or(f64::NAN),
        result.opens_ratio().unwrap_or(f64::NAN),
        result.throughput_ratio()
    );
    Ok(result)
}
