//! S7: retention on S4's data set: how fast the job purges the oldest tenth of the messages,
//! and what that does to S2's delivery latency while it runs.
//!
//! The purge is the product's own code, not a copy of its SQL: an in-process replica of this
//! tree's server (`Application::build`, as the tests start one) on the benchmark's database
//! calls `governance::retention::purge`, the function a replica's retention loop calls, with
//! the default `PURGE_BATCH` and `PURGE_PAUSE_MS`. So S7 measures this build only (`--compare`
//! builds another binary, not another library).
//!
//! The seeded messages were all created within minutes (the log stamps `clock_timestamp()` and
//! cannot be backdated), so the horizon comes from the data: the `created_at` of the message
//! at the tenth's position in the order retention purges (the `messages_retention` index).
//! The tenth is purged in slices of successive horizons, as the job's passes purge when its
//! horizon moves on, so that runs without a purge can alternate with runs during one:
//! without, slice, without, slice, …, without. While a slice runs, S2's load (`Delivery`: the
//! same pairs, streams, open-loop senders and checks) runs in back-to-back windows until the
//! slice ends; a window the purge ended in is kept apart, in neither median.
//!
//! Each batch appends its `messages_purged` events through `events_append`, which holds its
//! chats' turns (and the draw's, for microseconds) to commit: a sampler counts the sessions
//! waiting for one of the log's locks ten times a second, which shows whether writers wait.
//! At the end, cheap checks: everything older than the last horizon purged, nothing newer,
//! no text left in the log's copies of the purged messages, and the replica's own counter.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::s2::S2Run;
use crate::report::median;
use crate::rounds::{Figure, Figures, figure};

mod purge;

pub use purge::s7;

/// What S7 purges, and the load it measures delivery with.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// The share of the data set's messages to purge, oldest first, in percent.
    pub percent: i64,
    /// In how many slices (successive horizons), each between runs without a purge.
    pub slices: usize,
    /// Runs without a purge before each slice and after the last.
    pub runs_without: usize,
    /// S2's load: messages per second, chats (both participants subscribed), and one run's length.
    pub rate: usize,
    pub chats: usize,
    pub run: Duration,
    /// No further slice once the slices so far took this long (`--purge-minutes`).
    pub budget: Option<Duration>,
}

/// One run of S2's load: whether a purge ran throughout its sending, and the log's lock meanwhile.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Window {
    /// "without", "during", or "partly" (the purge ended while it sent: in neither median).
    pub phase: String,
    /// The slice it ran before (without) or during (from 1).
    pub slice: usize,
    pub run: S2Run,
    /// Samples of the sessions waiting for one of the log's locks while it sent: how many were
    /// taken, in how many at least one session waited, and the most waiting at once.
    pub lock_samples: usize,
    pub lock_waiting_samples: usize,
    pub lock_waiting_max: i64,
}

/// One call of `retention::purge`: its horizon, the messages older than it and not purged
/// yet, and what it purged in how long.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Slice {
    /// The horizon (RFC 3339).
    pub before: String,
    pub expected: i64,
    pub purged: u64,
    pub seconds: f64,
}

/// The end state, from the database and the replica that purged.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct Check {
    /// `count(*) … WHERE purged_at IS NOT NULL`.
    pub purged_rows: i64,
    /// Purged, though created at or after the last horizon (must be 0).
    pub newer_purged: i64,
    /// Created before the last horizon and not purged (must be 0).
    pub older_left: i64,
    /// Purged messages whose `message_created` event in the log still has text (must be 0).
    pub log_copies_with_text: i64,
    /// The replica's `tutorchat_messages_purged_total{cause="retention"}`.
    pub counted: Option<f64>,
}

impl Check {
    /// The purge did exactly what it says: every count agrees with what `purge` returned.
    pub fn exact(&self, purged: u64) -> bool {
        self.purged_rows == purged as i64
            && self.newer_purged == 0
            && self.older_left == 0
            && self.log_copies_with_text == 0
            && self.counted.is_none_or(|c| c as u64 == purged)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct S7 {
    /// Messages in the data set when S7 began, and how many of them the planned horizon
    /// covered (the share asked for; fewer are purged if `--purge-minutes` stopped it).
    pub messages: i64,
    pub planned: i64,
    pub percent: i64,
    /// Whether S4's reads and S6's audits ran on the data set first (else it was seeded for
    /// S7 alone).
    #[serde(default)]
    pub after_reads_and_audits: bool,
    pub purged: u64,
    /// The slices' time together (the runs without a purge between them excluded).
    pub seconds: f64,
    pub per_second: f64,
    /// Batches the job ran (each slice's purged count over `PURGE_BATCH`, rounded up) and
    /// its settings.
    pub batches: u64,
    pub purge_batch: i64,
    pub purge_pause_ms: u64,
    /// Whether `--purge-minutes` stopped it before the planned share.
    pub stopped_by_budget: bool,
    pub slices: Vec<Slice>,
    /// The topology: replicas, and whether a streaming standby replayed meanwhile.
    pub replicas: usize,
    pub standby: bool,
    pub rate: usize,
    pub chats: usize,
    pub streams: usize,
    pub seconds_per_run: f64,
    pub windows: Vec<Window>,
    pub check: Check,
}

impl S7 {
    pub fn windows_of(&self, phase: &str) -> Vec<&Window> {
        self.windows.iter().filter(|w| w.phase == phase).collect()
    }

    /// The median of `f` over the windows of `phase`.
    pub fn median_of(&self, phase: &str, f: fn(&S2Run) -> f64) -> Option<f64> {
        median(self.windows_of(phase).into_iter().map(|w| f(&w.run)).collect())
    }
}

impl Figures for S7 {
    fn figures(&self) -> Vec<Figure> {
        let mut figures = vec![figure("messages purged per second", self.per_second)];
        for phase in ["without", "during"] {
            if let Some(v) = self.median_of(phase, |r| r.latency.p99_ms) {
                figures.push(figure(format!("delivery p99 {phase} a purge (median of windows), ms"), v));
            }
            if let Some(v) = self.median_of(phase, |r| r.latency.p50_ms) {
                figures.push(figure(format!("delivery p50 {phase} a purge (median of windows), ms"), v));
            }
        }
        figures
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_check_is_exact_only_when_every_count_agrees_with_the_purge() {
        let exact = Check { purged_rows: 500, counted: Some(500.0), ..Check::default() };
        assert!(exact.exact(500));
        assert!(!exact.exact(499));
        assert!(!Check { newer_purged: 1, ..exact.clone() }.exact(500));
        assert!(!Check { log_copies_with_text: 1, ..exact.clone() }.exact(500));
        assert!(Check { counted: None, ..exact }.exact(500));
    }
}
