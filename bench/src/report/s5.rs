//! S5's section: a client resuming with `Last-Event-ID` 10,000 events behind, and its target.

use std::fmt::Write as _;

use super::{Page, Target, link, rounds_table, verdict};
use crate::Results;
use crate::scenarios::S5;

const HEADING: &str = "S5 — resume";

pub(super) fn section(page: &mut Page, results: &Results, s5: &S5) {
    let _ = writeln!(
        page.md,
        "## {HEADING}\n\nA client reconnects with `Last-Event-ID` {} events behind; time until it has all of them ({} runs: {}).\n\n| events | median |\n|---|---|\n| {} | {:.1} ms |\n",
        s5.events,
        s5.runs_ms.len(),
        s5.runs_ms.iter().map(|r| format!("{r:.0} ms")).collect::<Vec<_>>().join(", "),
        s5.events,
        s5.median_ms
    );
    page.targets.push(Target::new(
        &link("S5", HEADING),
        "S5: 10,000 events replayed in ≤ 200 ms".into(),
        format!("{:.0} ms (median of {} replays)", s5.median_ms, s5.runs_ms.len()),
        verdict(s5.median_ms <= 200.0),
    ));
    rounds_table::after(&mut page.md, results, "s5", "S5");
}
