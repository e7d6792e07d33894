//! S4: history and chat-list reads on a large data set, from one client and under load, with
//! their query plans.

use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::{Cluster, Server};
use crate::load::{Percentiles, Phase};
use crate::rounds::{Figure, Figures, Repeated, Round, Usage, figure};

mod ceiling;
mod reads;
mod seeding;

pub use ceiling::AgainstPgbench;
use reads::{reads_and_audits, scale};
use seeding::SENTENCE;
pub(super) use seeding::seed;

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
    /// The history page from 8 clients and the chat list from 4, against pgbench running the
    /// same statements at the same concurrency.
    #[serde(default)]
    pub against_pgbench: Option<AgainstPgbench>,
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
        // The throughput from 8 and 4 clients, as a `--compare` build's rounds show it beside
        // this one's (its schema may not run this tree's statements for pgbench).
        for (k, name) in [(0, "history page, 8 clients, per s"), (2, "chat list of 500, 4 clients, per s")] {
            if let Some(phase) = self.phases.get(k) {
                figures.push(figure(name, phase.per_second));
            }
        }
        if let Some(page) = &self.chat_list_page {
            figures.push(figure("chat list's first page of 50 p99, 4 clients, ms", page.p99_ms));
        }
        if let Some(against) = &self.against_pgbench {
            figures.push(figure(
                "history page, 8 clients: the replica's share of pgbench's rate",
                against.history.ratio(),
            ));
            figures.push(figure(
                "chat list of 500, 4 clients: the replica's share of pgbench's rate",
                against.chat_list.ratio(),
            ));
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
