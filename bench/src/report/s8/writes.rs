//! What search costs the write path: S1 with and without search as ratios, and its target.

use std::fmt::Write as _;

use super::{WITHIN, WRITES_HEADING};
use crate::report::{Target, fmt_figure, link, median};
use crate::scenarios::{WriteCost, WriteFigure};

/// A figure search cannot change (the plain table's ceiling, the generator's): a control for
/// the machine's noise, not judged.
fn control(name: &str) -> bool {
    name.contains("no product triggers") || name.contains("generator")
}

fn median_range(values: &[f64]) -> String {
    let (low, high) = values.iter().fold((f64::MAX, f64::MIN), |(l, h), v| (l.min(*v), h.max(*v)));
    match median(values.to_vec()) {
        Some(m) => format!("{} ({}–{})", fmt_figure(m), fmt_figure(low), fmt_figure(high)),
        None => "not measured".to_owned(),
    }
}

/// S1 with search and without it, figure by figure (`words`: S8's mean words per message).
pub(super) fn write_cost(md: &mut String, w: &WriteCost, words: f64) {
    let _ = writeln!(
        md,
        "### {WRITES_HEADING}\n\nS1 as S1 runs it ({} senders, {:.0} s per run; group commit, then one transaction per \
         request, then pgbench), on this build twice: its clusters as they are, and with search dropped (`{}` on each fresh \
         cluster before its load). {} rounds of each, the order alternating round by round. Each figure's median (min–max) \
         and the ratio of the medians; the target is a loss within 10 % (with ÷ without ≥ 0.90). The plain table's ceiling \
         and the generator's cannot change with search: they show how much the machine itself moved. S1's messages are \
         a few words each (\"closed loop 12-345\", pgbench's \"pgbench message\"), so each puts two or three words into \
         the column and the index: what a longer text costs per message (S8's average {:.1} words) is not measured here.\n\n\
         | S1 figure | with search | search dropped | with ÷ without | within 10 % |\n|---|---|---|---|---|",
        w.senders.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(", "),
        w.seconds_per_run,
        w.dropped.join("; "),
        w.rounds,
        words
    );
    for f in &w.figures {
        let ratio = f.ratio().map_or("—".to_owned(), |r| format!("{r:.3}"));
        let verdict = match f.ratio() {
            _ if control(&f.name) => "control".to_owned(),
            Some(r) if r >= WITHIN => "met".to_owned(),
            Some(_) => "**missed**".to_owned(),
            None => "not measured".to_owned(),
        };
        let _ = writeln!(
            md,
            "| {} | {} | {} | {ratio} | {verdict} |",
            f.name,
            median_range(&f.with),
            median_range(&f.without)
        );
    }
    md.push('\n');
}

/// The judged figures: every one search can change.
fn judged(w: &WriteCost) -> Vec<&WriteFigure> {
    w.figures.iter().filter(|f| !control(&f.name)).collect()
}

pub(super) fn write_target(w: &WriteCost) -> Target {
    let link = link("S8", WRITES_HEADING);
    let judged = judged(w);
    let ratios: Vec<(String, Option<f64>)> =
        judged.iter().map(|f| (f.name.trim_end_matches(", msg/s").to_owned(), f.ratio())).collect();
    let missed: Vec<&str> =
        ratios.iter().filter(|(_, r)| r.is_none_or(|r| r < WITHIN)).map(|(n, _)| n.as_str()).collect();
    let verdict = if judged.is_empty() {
        "**missed**".to_owned()
    } else if missed.is_empty() {
        "met".to_owned()
    } else {
        format!("**missed** ({})", missed.join("; "))
    };
    let figures: Vec<String> =
        ratios.iter().map(|(n, r)| format!("{n} ×{}", r.map_or("—".to_owned(), |r| format!("{r:.2}")))).collect();
    let worst = ratios.iter().filter_map(|(_, r)| *r).fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.min(v))));
    let controls: Vec<String> = w
        .figures
        .iter()
        .filter(|f| control(&f.name))
        .map(|f| {
            format!(
                "{} ×{}",
                f.name.trim_end_matches(", msg/s").trim_end_matches(", requests/s"),
                f.ratio().map_or("—".to_owned(), |r| format!("{r:.2}"))
            )
        })
        .collect();
    Target::new(
        &link,
        "S8: search costs S1 (write throughput) at most 10 % (with ÷ without search ≥ 0.90 in each configuration)"
            .into(),
        format!(
            "with ÷ without, medians of {} alternating rounds: {}; controls {}",
            w.rounds,
            figures.join("; "),
            if controls.is_empty() { "none".to_owned() } else { controls.join(", ") }
        ),
        verdict,
    )
    .against(
        worst.map_or("not measured".to_owned(), |r| format!("lowest ×{r:.2} ({} configurations)", judged.len())),
        "S1 on the same build with search dropped, rounds alternating".to_owned(),
    )
}
