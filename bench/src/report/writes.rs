//! What a part of the product costs the write path: S1 with it and without it as ratios, and
//! its target (S8: search, S9: flagging).

use std::fmt::Write as _;

use crate::report::{Target, fmt_figure, link, median};
use crate::scenarios::{WriteCost, WriteFigure};

/// How a section words its comparison: its heading, what it compares, the two columns, the
/// least ratio allowed, its scenario label and its target's words.
pub(super) struct Comparison<'a> {
    pub scenario: &'a str,
    pub heading: &'a str,
    /// The paragraph before the table (what was run, how).
    pub intro: String,
    pub with: &'a str,
    pub without: &'a str,
    pub within: f64,
    pub goal: &'a str,
    pub against: &'a str,
}

/// A figure the part cannot change (the plain table's ceiling, the generator's): a control
/// for the machine's noise, not judged.
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

/// S1 with the part and without it, figure by figure.
pub(super) fn write_cost(md: &mut String, w: &WriteCost, c: &Comparison) {
    let percent = ((1.0 - c.within) * 100.0).round();
    let _ = writeln!(
        md,
        "### {}\n\n{}\n\n| S1 figure | {} | {} | with ÷ without | within {percent} % |\n|---|---|---|---|---|",
        c.heading, c.intro, c.with, c.without
    );
    for f in &w.figures {
        let ratio = f.ratio().map_or("—".to_owned(), |r| format!("{r:.3}"));
        let verdict = match f.ratio() {
            _ if control(&f.name) => "control".to_owned(),
            Some(r) if r >= c.within => "met".to_owned(),
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

/// The judged figures: every one the part can change.
fn judged(w: &WriteCost) -> Vec<&WriteFigure> {
    w.figures.iter().filter(|f| !control(&f.name)).collect()
}

pub(super) fn write_target(w: &WriteCost, c: &Comparison) -> Target {
    let link = link(c.scenario, c.heading);
    let judged = judged(w);
    let ratios: Vec<(String, Option<f64>)> =
        judged.iter().map(|f| (f.name.trim_end_matches(", msg/s").to_owned(), f.ratio())).collect();
    let missed: Vec<&str> =
        ratios.iter().filter(|(_, r)| r.is_none_or(|r| r < c.within)).map(|(n, _)| n.as_str()).collect();
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
        c.goal.to_owned(),
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
        c.against.to_owned(),
    )
}
