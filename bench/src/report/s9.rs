//! S9's section: S1 with the school's flag terms and without them, rounds alternating, as
//! ratios. Its target: flagging costs S1 at most 5 %.

use std::fmt::Write as _;

use super::writes::{Comparison, write_cost, write_target};
use super::{Page, rounds_table};
use crate::Results;
use crate::scenarios::WriteCost;

const HEADING: &str = "S9 — what flagging costs the write path";

pub(super) fn section(page: &mut Page, results: &Results, s9: &WriteCost) {
    let _ = writeln!(page.md, "## {HEADING}\n");
    let comparison = Comparison {
        scenario: "S9",
        heading: "S1 with and without flag terms",
        intro: format!(
            "S1 as S1 runs it ({} senders, {:.0} s per run; group commit, then one transaction per request, then \
             pgbench), on this build twice: with the school's list of flag terms filled (twenty words and phrases, \
             none of which S1's messages contain; inserted on each fresh cluster before its load), so the flagger \
             reads every message the log takes and matches its search vector against the list, a batch at a time, \
             behind the writers; and with the list empty, when it only moves its cursor. {} rounds of each, the order \
             alternating. Each figure's median (min–max) and the ratio of the medians; the target is a loss within \
             5 % (with ÷ without ≥ 0.95). Flagging never runs inside an append: what it costs the writers is the \
             machine's CPU and the database's reads it takes beside them.",
            s9.senders.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(", "),
            s9.seconds_per_run,
            s9.rounds,
        ),
        with: "with flag terms",
        without: "no flag terms",
        within: 0.95,
        goal: "S9: flagging costs S1 (write throughput) at most 5 % (with ÷ without flag terms ≥ 0.95 in each configuration)",
        against: "S1 on the same build with the list of flag terms empty, rounds alternating",
    };
    write_cost(&mut page.md, s9, &comparison);
    rounds_table::after(&mut page.md, results, "s9", "S9");
    page.targets.push(write_target(s9, &comparison));
}
