//! S2: cross-replica delivery latency at fixed message rates, with every delivery checked. Its
//! load and measurement (`Delivery`) are S7's too, on another data set.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{Cluster, Server};
use crate::load::{self, Percentiles, SocketKind};
use crate::report::median;
use crate::rounds::{Figure, Figures, figure};

mod delivery;
mod senders;
mod sockets;

pub use delivery::Delivery;
pub use sockets::S2Sockets;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct S2Run {
    pub rate: usize,
    /// Typing requests per second posted alongside (half on each replica), and how many typing
    /// signals the streams received during the run.
    #[serde(default)]
    pub typing_rate: usize,
    #[serde(default)]
    pub typing_received: usize,
    pub sent: usize,
    pub acknowledged: usize,
    pub deliveries_expected: usize,
    pub deliveries: usize,
    pub lost: usize,
    /// Events whose `id:` (log position) was not above the stream's previous one.
    #[serde(default)]
    pub misordered: usize,
    pub latency: Percentiles,
    /// Time during the run when every task on the machine was stalled on I/O (Linux pressure
    /// stall information, /proc/pressure/io "full"): commits wait for the WAL flush, so disk
    /// stalls of this virtual machine show up in the tail.
    #[serde(default)]
    pub io_stalled_ms: Option<f64>,
    /// How late the generator sent messages against its own schedule (p99): when it lags, the
    /// rate it offered was lower than `rate` for a while (latency is measured from the actual
    /// send, so the lag is not in it).
    #[serde(default)]
    pub schedule_lag_p99_ms: Option<f64>,
    /// Each delivery's latency split at the message's `created_at`, the append transaction's
    /// start by the database's clock (the same machine's): before it, the request reaching the
    /// sending replica and its handler; after it, the commit, the notification, the receiving
    /// replica's read and write, and the reader.
    #[serde(default)]
    pub before_append: Option<Percentiles>,
    #[serde(default)]
    pub after_append: Option<Percentiles>,
    /// The same messages' deliveries to the dialects' sockets (both participants of every chat
    /// on each kind, beside their streams), kind by kind.
    #[serde(default)]
    pub sockets: Vec<S2Sockets>,
}

/// The database's own latency for the same write at the same rate: pgbench committing one
/// message per transaction (the product's INSERT, with its triggers and NOTIFY), open-loop.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DatabaseRun {
    pub rate: usize,
    pub latency: Percentiles,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct S2 {
    pub chats: usize,
    pub streams: usize,
    pub seconds_per_run: f64,
    pub runs: Vec<S2Run>,
    #[serde(default)]
    pub database: Vec<DatabaseRun>,
}

impl S2 {
    /// A build's rounds as one result: every run and every database run of each.
    pub fn combine(rounds: Vec<S2>) -> S2 {
        let mut rounds = rounds.into_iter();
        let mut all = rounds.next().expect("at least one round");
        for round in rounds {
            all.runs.extend(round.runs);
            all.database.extend(round.database);
        }
        all
    }

    /// The streams-only runs at `rate`, without typing or with (S2's own figures).
    pub fn runs_of(&self, rate: usize, typing: bool) -> Vec<&S2Run> {
        self.runs.iter().filter(|r| r.rate == rate && (r.typing_rate > 0) == typing && r.sockets.is_empty()).collect()
    }

    /// The runs at `rate` with the dialects' sockets open beside the streams (without typing).
    pub fn socket_runs(&self, rate: usize) -> Vec<&S2Run> {
        self.runs.iter().filter(|r| r.rate == rate && r.typing_rate == 0 && !r.sockets.is_empty()).collect()
    }

    /// The kinds of socket its runs had open, in their order.
    pub fn socket_kinds(&self) -> Vec<SocketKind> {
        let mut kinds: Vec<SocketKind> = Vec::new();
        for s in self.runs.iter().flat_map(|r| &r.sockets) {
            if !kinds.contains(&s.kind) {
                kinds.push(s.kind);
            }
        }
        kinds
    }

    /// The deliveries to sockets of `kind` in the runs at `rate` without typing.
    pub fn on_sockets(&self, rate: usize, kind: SocketKind) -> Vec<&S2Sockets> {
        self.socket_runs(rate).into_iter().flat_map(|r| &r.sockets).filter(|s| s.kind == kind).collect()
    }

    /// The name of the figure of sockets of `kind` at `rate` (its median over the runs).
    pub fn socket_p99_figure(rate: usize, kind: SocketKind) -> String {
        format!("p99 at {rate} msg/s on {}, ms", kind.name())
    }

    /// Every rate measured, once each (the rounds' runs repeat them), lowest first.
    pub fn rates(&self) -> Vec<usize> {
        let mut rates: Vec<usize> = self.runs.iter().map(|r| r.rate).collect();
        rates.sort_unstable();
        rates.dedup();
        rates
    }
}

impl Figures for S2 {
    /// Per rate: p99 and p50 without typing, p99 with typing, lost, and the database's p99.
    fn figures(&self) -> Vec<Figure> {
        let mut figures = Vec::new();
        let p = |runs: Vec<&S2Run>, f: fn(&S2Run) -> f64| median(runs.into_iter().map(f).collect());
        for rate in self.rates() {
            if let Some(v) = p(self.runs_of(rate, false), |r| r.latency.p99_ms) {
                figures.push(figure(format!("p99 at {rate} msg/s, ms"), v));
            }
            if let Some(v) = p(self.runs_of(rate, false), |r| r.latency.p50_ms) {
                figures.push(figure(format!("p50 at {rate} msg/s, ms"), v));
            }
            if let Some(v) = p(self.runs_of(rate, true), |r| r.latency.p99_ms) {
                figures.push(figure(format!("p99 at {rate} msg/s with typing, ms"), v));
            }
            let lost: usize = self
                .runs
                .iter()
                .filter(|r| r.rate == rate && r.sockets.is_empty())
                .map(|r| r.lost + r.misordered)
                .sum();
            figures.push(figure(format!("lost or out of order at {rate} msg/s"), lost as f64));
            for kind in self.socket_kinds() {
                if let Some(v) = median(self.on_sockets(rate, kind).iter().map(|s| s.latency.p99_ms).collect()) {
                    figures.push(figure(Self::socket_p99_figure(rate, kind), v));
                }
                let lost: usize = self.on_sockets(rate, kind).iter().map(|s| s.lost + s.misordered).sum();
                figures.push(figure(format!("lost or out of order at {rate} msg/s on {}", kind.name()), lost as f64));
            }
            if let Some(v) = median(self.database.iter().filter(|d| d.rate == rate).map(|d| d.latency.p99_ms).collect())
            {
                figures.push(figure(format!("the database's p99 at {rate} msg/s, ms"), v));
            }
        }
        figures
    }
}

/// One round of S2 against `server`: each message rate runs `pairs_per_rate` pairs of runs, without
/// and with `typing` typing requests per second alongside (0: one run without only), in an
/// order that alternates from pair to pair, starting from `round`.
#[allow(clippy::too_many_arguments)]
pub async fn s2(
    server: &Server,
    round: usize,
    run: Duration,
    rates: &[usize],
    typing: usize,
    pairs_per_rate: usize,
    chats: usize,
    drop_one: bool,
    misorder_one: bool,
) -> anyhow::Result<S2> {
    let cluster = Cluster::start_on(server, 2, &[]).await?;
    let mut delivery = Delivery::open(&cluster, "S2", chats, drop_one, misorder_one, &[]).await?;
    let mut result =
        S2 { chats, streams: delivery.streams(), seconds_per_run: run.as_secs_f64(), runs: vec![], database: vec![] };
    // The first run after the streams open measured worse than any later one, whichever came
    // first (with typing or without): a short warm-up at the first rate, with typing, is not
    // reported. Then each rate runs `pairs_per_rate` pairs, without and with typing, the order
    // alternating from pair to pair and round to round, so that a drift of the machine during
    // the scenario does not always favour one side (the report compares the medians of every
    // round's runs: a p99 near a millisecond moves by tens of percent between runs of the same
    // code, so one variant's median needs more runs than three).
    if let Some(&rate) = rates.first() {
        delivery.warm_up(rate, typing).await?;
    }
    let pairs_of = |rate: usize| {
        let (without, with) = ((rate, 0), (rate, typing));
        if typing == 0 {
            return vec![without];
        }
        (0..pairs_per_rate)
            .flat_map(|k| if (round + k).is_multiple_of(2) { [without, with] } else { [with, without] })
            .collect::<Vec<_>>()
    };
    for (rate, typing_rate) in rates.iter().flat_map(|&rate| pairs_of(rate)) {
        result.runs.push(delivery.run(rate, typing_rate, run).await?.0);
    }
    // The database alone at each rate, with the same streams open (they receive its messages).
    for &rate in rates {
        let measured = load::pgbench(cluster.topology(), load::Table::Events, 1, 8, Some(rate), run).await?;
        let latency = measured.latency.unwrap_or_default();
        eprintln!(
            "S2 database alone {rate:5} msg/s (pgbench, one message per transaction): p50 {:.2} ms p99 {:.2} ms",
            latency.p50_ms, latency.p99_ms
        );
        result.database.push(DatabaseRun { rate, latency });
    }
    drop(delivery);
    cluster.stop().await;
    // The dialects' sockets, on a cluster of their own: the same pairs with a socket of each
    // kind per participant beside their streams, one run per rate without typing. Apart from the
    // runs above, so that S2's own figures are the streams' alone (three receivers per person
    // are three times the replica's writes on this machine's two cores).
    let cluster = Cluster::start_on(server, 2, &[]).await?;
    if !cluster.serves("/api/v1/ws").await? {
        eprintln!("S2 sockets: {} serves no dialect sockets, skipped", server.revision);
        cluster.stop().await;
        return Ok(result);
    }
    let mut delivery = Delivery::open(&cluster, "S2 sockets", chats, false, false, &SocketKind::DIALECTS).await?;
    if let Some(&rate) = rates.first() {
        delivery.warm_up(rate, 0).await?;
    }
    for &rate in rates {
        result.runs.push(delivery.run(rate, 0, run).await?.0);
    }
    drop(delivery);
    cluster.stop().await;
    Ok(result)
}
