//! S8's section: search on a data set of ten million messages of words, by word frequency and
//! by searcher, from 4 clients and from 1, with the server's plans; then S1 with search and
//! without it, rounds alternating, as ratios. Its targets: one-word search p95 ≤ 100 ms from 4
//! clients (for participants, for their typos, for an admin), and S1 within 10 % of itself
//! without search.

use std::fmt::Write as _;

use super::{Page, rounds_table};
use crate::Results;
use crate::scenarios::S8;

mod search;
mod targets;
#[cfg(test)]
mod tests;

use super::writes::{Comparison, write_cost, write_target};
use search::{data_set, latencies, plans, queries};
use targets::search_targets;

const HEADING: &str = "S8 — search";

const WRITES_HEADING: &str = "What search costs the write path";

/// The bound on a one-word search's p95 from 4 clients, and on S1's loss.
const BOUND_MS: f64 = 100.0;

const WITHIN: f64 = 0.90;

pub(super) fn section(page: &mut Page, results: &Results, s8: &S8) {
    let _ = writeln!(page.md, "## {HEADING}\n");
    if let Some(search) = &s8.search {
        data_set(&mut page.md, search);
        queries(&mut page.md, search);
        latencies(&mut page.md, results, search);
        plans(&mut page.md, search);
        rounds_table::after(&mut page.md, results, "s8", "S8");
        search_targets(&mut page.targets, results, search);
    }
    if let Some(writes) = &s8.writes {
        let comparison = comparison(writes, s8.search.as_ref().map_or(8.5, |s| s.words_per_message));
        write_cost(&mut page.md, writes, &comparison);
        rounds_table::after(&mut page.md, results, "s8-writes", "S8's write path");
        page.targets.push(write_target(writes, &comparison));
    }
}

/// S8's words for its write-path comparison (`words`: its mean words per message).
fn comparison(w: &crate::scenarios::WriteCost, words: f64) -> Comparison<'static> {
    Comparison {
        scenario: "S8",
        heading: WRITES_HEADING,
        intro: format!(
            "S1 as S1 runs it ({} senders, {:.0} s per run; group commit, then one transaction per request, then \
             pgbench), on this build twice: its clusters as they are, and with search dropped (`{}` on each fresh \
             cluster before its load). {} rounds of each, the order alternating round by round. Each figure's median \
             (min–max) and the ratio of the medians; the target is a loss within 10 % (with ÷ without ≥ 0.90). The \
             plain table's ceiling and the generator's cannot change with search: they show how much the machine \
             itself moved. S1's messages are a few words each (\"closed loop 12-345\", pgbench's \"pgbench message\"), \
             so each puts two or three words into the column and the index: what a longer text costs per message \
             (S8's average {words:.1} words) is not measured here.",
            w.senders.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(", "),
            w.seconds_per_run,
            w.dropped.join("; "),
            w.rounds,
        ),
        with: "with search",
        without: "search dropped",
        within: WITHIN,
        goal: "S8: search costs S1 (write throughput) at most 10 % (with ÷ without search ≥ 0.90 in each configuration)",
        against: "S1 on the same build with search dropped, rounds alternating",
    }
}
