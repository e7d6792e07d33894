//! The two tables of the targets the sections judge: the summary the page opens with (one
//! screen: figure, peer, verdict, a link to the detail) and the Targets table at its end (the
//! figure and its comparison in one sentence, as it has always read).

use std::fmt::Write as _;

use super::Target;

/// The summary after the title: a row per target, nothing when no scenario has results.
pub(super) fn summary(targets: &[Target]) -> String {
    if targets.is_empty() {
        return String::new();
    }
    let mut md = String::from(
        "## Summary\n\nEvery target the sections below judge, with this run's figure (the median where there are \
         rounds), what it is judged against and the verdict; each links to its section, and the [Targets](#targets) \
         table at the end says the same in full.\n\n| target | figure | peer | verdict | detail |\n|---|---|---|---|---|\n",
    );
    for t in targets {
        let _ = writeln!(md, "| {} | {} | {} | {} | {} |", t.goal, t.figure, t.peer, t.verdict, t.link);
    }
    md.push('\n');
    md
}

/// The Targets table's header and rows (the page adds its heading).
pub(super) fn targets(targets: &[Target]) -> String {
    let mut md = String::from("| target | measured | |\n|---|---|---|\n");
    for t in targets {
        let _ = writeln!(md, "| {} | {} | {} |", t.goal, t.measured, t.verdict);
    }
    md
}
