//! S12's section: S1 with the wall between schools and without it, rounds alternating, as
//! ratios. Its target: the policies' own cost at most 5 %.

use super::writes::{Comparison, write_cost, write_target};
use super::{Page, rounds_table};
use crate::Results;
use crate::scenarios::WriteCost;

pub(super) fn section(page: &mut Page, results: &Results, s12: &WriteCost) {
    page.md.push_str("## S12 — what the wall between schools costs the write path\n\n");
    let comparison = Comparison {
        scenario: "S12",
        heading: "S1 with and without the wall",
        intro: format!(
            "S1 as S1 runs it ({} senders, {:.0} s per run; group commit, then one transaction per request, then \
             pgbench), on this build twice: as it ships, every table a school owns walled by its FORCEd row-level \
             security policy (the replicas connect as the runtime role and the schema's owner is no superuser, so \
             the policy binds every statement of the write path, the functions' included, and each new row takes \
             its session's school); and with the wall taken down on each fresh cluster before its load (the \
             policies disabled, `school_id`'s default a constant). {} rounds of each, the order alternating. Each \
             figure's median (min–max) and the ratio of the medians; the target is a loss within 5 % (with ÷ \
             without ≥ 0.95).",
            s12.senders.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(", "),
            s12.seconds_per_run,
            s12.rounds,
        ),
        with: "walled",
        without: "no wall",
        within: 0.95,
        goal: "S12: the wall between schools costs S1 (write throughput) at most 5 % (walled ÷ no wall ≥ 0.95 in each configuration)",
        against: "S1 on the same build with every school table's policy disabled, rounds alternating",
    };
    write_cost(&mut page.md, s12, &comparison);
    rounds_table::after(&mut page.md, results, "s12", "S12");
    page.targets.push(write_target(s12, &comparison));
}
