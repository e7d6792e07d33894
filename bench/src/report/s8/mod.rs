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
mod writes;

use search::{data_set, latencies, plans, queries};
use targets::search_targets;
use writes::{write_cost, write_target};

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
        write_cost(&mut page.md, writes, s8.search.as_ref().map_or(8.5, |s| s.words_per_message));
        rounds_table::after(&mut page.md, results, "s8-writes", "S8's write path");
        page.targets.push(write_target(writes));
    }
}
