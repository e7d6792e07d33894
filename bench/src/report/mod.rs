//! docs/benchmarks.md and its SVG charts, generated from docs/bench/results.json.
//!
//! This file is the page's frame and the helpers its sections share; each scenario's section
//! (its text, chart and the targets it judges) is a file of its own, `s1.rs` … `s11.rs`, so that
//! changing what a scenario reports means reading one small file, not the whole page.

mod chart;
mod intro;
mod machine;
mod rounds_table;
mod s1;
mod s10;
mod s11;
mod s12;
mod s1_audience;
mod s2;
mod s2_sockets;
mod s3;
mod s3_sockets;
mod s4;
mod s5;
mod s6;
mod s7;
mod s8;
mod s9;
mod summary;
mod writes;

use std::path::Path;

use crate::Results;

pub use machine::Machine;

/// The page as the sections write it: their text in order, and every target they judge (the
/// summary at the top and the Targets table at the end both list them, so neither can forget
/// one that the other shows).
#[derive(Default)]
struct Page {
    md: String,
    targets: Vec<Target>,
}

/// One target the report judges, with what both tables show of it.
struct Target {
    /// What is promised, e.g. "S1: group commit ≥ 5× one transaction per request".
    goal: String,
    /// The Targets table's column: the figure with whatever it was judged against, in full.
    measured: String,
    /// The summary's figure: this run's (the median where there are rounds), short.
    figure: String,
    /// What the figure is judged against ("—" for a fixed bound).
    peer: String,
    /// "met" or "**missed**" (or both, where S4 judges one client and many apart).
    verdict: String,
    /// A link to the section with the detail.
    link: String,
}

impl Target {
    /// A target judged against a fixed bound: the summary shows the Targets table's figure.
    fn new(link: &str, goal: String, measured: String, verdict: impl Into<String>) -> Self {
        Self {
            goal,
            figure: measured.clone(),
            measured,
            peer: "—".to_owned(),
            verdict: verdict.into(),
            link: link.to_owned(),
        }
    }

    /// A target judged against another measurement: the summary shows the figure and that
    /// peer in columns of their own (the Targets table keeps them in one sentence).
    fn against(self, figure: String, peer: String) -> Self {
        Self { figure, peer, ..self }
    }
}

pub fn write(results: &Results, out: &Path) -> anyhow::Result<()> {
    let charts = out.join("bench");
    std::fs::create_dir_all(&charts)?;
    let mut page = Page::default();
    if let Some(s1) = &results.s1 {
        s1::section(&mut page, results, s1, &charts)?;
    }
    if let Some(s) = &results.s1_audience {
        s1_audience::section(&mut page, results, s);
    }
    if let Some(s2) = &results.s2 {
        s2::section(&mut page, results, s2, &charts)?;
    }
    if let Some(s3) = &results.s3 {
        s3::section(&mut page, results, s3, &charts)?;
    }
    if let Some(s4) = &results.s4 {
        s4::section(&mut page, results, s4);
    }
    if let Some(s5) = &results.s5 {
        s5::section(&mut page, results, s5);
    }
    if let Some(s6) = &results.s6 {
        s6::section(&mut page, results, s6);
    }
    if let Some(s7) = &results.s7 {
        s7::section(&mut page, results, s7);
    }
    if let Some(s8) = &results.s8 {
        s8::section(&mut page, results, s8);
    }
    if let Some(s9) = &results.s9 {
        s9::section(&mut page, results, s9);
    }
    if let Some(s12) = &results.s12 {
        s12::section(&mut page, results, s12);
    }
    if let Some(s10) = &results.s10 {
        s10::section(&mut page, results, s10);
    }
    if let Some(s11) = &results.s11 {
        s11::section(&mut page, results, s11);
    }
    let notes = std::fs::read_to_string(out.join("bench/notes.md")).unwrap_or_default();
    let md = format!(
        "{}{}{}{}## Targets\n\n{}\n{notes}",
        intro::title(),
        summary::summary(&page.targets),
        intro::run(results),
        page.md,
        summary::targets(&page.targets)
    );
    std::fs::write(out.join("benchmarks.md"), md)?;
    Ok(())
}

/// A Markdown link to a section: `label` pointing at GitHub's anchor for `heading` (lower case,
/// spaces to hyphens, punctuation such as the em dash dropped: "S1 — write throughput" is
/// `#s1--write-throughput`), so a heading and the links to it cannot drift apart.
fn link(label: &str, heading: &str) -> String {
    let anchor: String = heading
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect();
    format!("[{label}](#{anchor})")
}

/// A chart's label: as many decimals as the value's size needs, never a sign.
fn fmt_number(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// A figure with as many decimals as its size needs.
fn fmt_figure(v: f64) -> String {
    match v.abs() {
        a if a >= 100.0 => format!("{v:.0}"),
        a if a >= 10.0 => format!("{v:.1}"),
        _ => format!("{v:.2}"),
    }
}

fn verdict(ok: bool) -> &'static str {
    if ok { "met" } else { "**missed**" }
}

/// "not reported" when the machine did not say (no pressure stall information, say).
fn or_not_reported(value: Option<f64>, unit: &str) -> String {
    value.map_or("not reported".to_owned(), |v| format!("{v:.0} {unit}"))
}

/// How many rounds of this build `scenario` ran (0 when it recorded none).
fn rounds_ran(results: &Results, scenario: &str) -> usize {
    results.rounds.get(scenario).map_or(0, |r| r.rounds.iter().filter(|x| x.revision == r.this).count())
}

/// " (median of N rounds)" when `scenario` ran in more than one round.
fn rounds_of(results: &Results, scenario: &str) -> String {
    let n = rounds_ran(results, scenario);
    if n > 1 { format!(" (median of {n} rounds)") } else { String::new() }
}

/// The median of a key figure over this build's rounds of `scenario`, where they were recorded.
fn figure_median(results: &Results, scenario: &str, name: &str) -> Option<f64> {
    let rounds = results.rounds.get(scenario)?;
    let values = rounds.values(&rounds.this).into_iter().find(|(n, _)| n == name)?.1;
    median(values)
}

/// The middle value (the mean of the two middle ones for an even count); `None` for none.
pub fn median(mut values: Vec<f64>) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(values[n / 2]),
        _ => Some((values[n / 2 - 1] + values[n / 2]) / 2.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_points_at_githubs_anchor_for_the_heading() {
        assert_eq!(link("S1", "S1 — write throughput"), "[S1](#s1--write-throughput)");
        assert_eq!(link("S3", "Across 3 replicas at once"), "[S3](#across-3-replicas-at-once)");
    }

    #[test]
    fn the_median_of_an_even_count_is_the_mean_of_the_middle_two() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(vec![4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(vec![]), None);
    }

    /// The cells of the table under `heading` (its header and separator rows skipped).
    fn table(md: &str, heading: &str) -> Vec<Vec<String>> {
        md.lines()
            .skip_while(|l| *l != heading)
            .skip_while(|l| !l.starts_with('|'))
            .skip(2)
            .take_while(|l| l.starts_with('|'))
            .map(|l| l.trim_matches('|').split(" | ").map(|c| c.trim().to_owned()).collect())
            .collect()
    }

    /// The committed results give a summary with the Targets table's rows, in its order, with
    /// the same verdicts, each linking to a heading of the page.
    #[test]
    fn the_summary_lists_every_target_with_its_verdict_and_a_link_to_its_section() {
        let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/bench/results.json");
        let results: Results =
            serde_json::from_slice(&std::fs::read(docs).expect("docs/bench/results.json")).expect("results");
        let out = std::env::temp_dir().join(format!("tutorchat-bench-report-{}", std::process::id()));
        write(&results, &out).expect("the report");
        let md = std::fs::read_to_string(out.join("benchmarks.md")).expect("benchmarks.md");
        let _ = std::fs::remove_dir_all(&out);
        let (summary, targets) = (table(&md, "## Summary"), table(&md, "## Targets"));
        assert!(!targets.is_empty(), "{md}");
        assert_eq!(summary.len(), targets.len(), "{summary:?}");
        let anchors: Vec<String> = md
            .lines()
            .filter_map(|l| l.strip_prefix("## ").or_else(|| l.strip_prefix("### ")))
            .map(|heading| link("", heading))
            .collect();
        for (row, target) in summary.iter().zip(&targets) {
            assert_eq!((row.len(), &row[0], &row[3]), (5, &target[0], &target[2]), "{row:?} against {target:?}");
            let anchor = row[4].split_once(']').map(|(_, a)| format!("[]{a}"));
            assert!(anchor.is_some_and(|a| anchors.contains(&a)), "{row:?} links to no heading of the page");
        }
    }
}
