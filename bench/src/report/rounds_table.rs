//! The table after each scenario's section: every key figure's median and range over the
//! rounds (`--repeat`), per build (`--compare`) with the ratio of the medians, then every round
//! with how busy the machine was, so a figure is read with its spread and its conditions.

use std::fmt::Write as _;

use super::{fmt_figure, median, or_not_reported};
use crate::Results;
use crate::rounds::Rounds;

/// The rounds table of `scenario` ("s1") under its name ("S1"), when it ran in rounds.
pub(super) fn after(md: &mut String, results: &Results, scenario: &str, name: &str) {
    if let Some(rounds) = results.rounds.get(scenario) {
        section(md, name, rounds);
    }
}

/// How the reference's rounds ran beside this build's: alternating, or all after them (S4 and
/// S6 seed a data set per build and repeat their rounds on it).
fn order(rounds: &Rounds, reference: &str) -> String {
    let changes = rounds.rounds.windows(2).filter(|w| w[0].revision != w[1].revision).count();
    if changes > 1 || rounds.rounds.len() <= 2 {
        format!(", alternating with {reference}")
    } else {
        format!(", then those of {reference} on a data set of its own")
    }
}

/// A scenario's rounds: each key figure's median and range per build, the ratio of the medians
/// when a reference was measured, and every round with how busy the machine was.
fn section(md: &mut String, scenario: &str, rounds: &Rounds) {
    let this = rounds.rounds.iter().filter(|r| r.revision == rounds.this).count();
    if this == 0 {
        return;
    }
    let mut builds: Vec<&str> = vec![&rounds.this];
    builds.extend(rounds.reference.as_deref());
    let _ = writeln!(
        md,
        "{scenario}'s rounds: {this} of this build ({}){}; each figure's median (min–max).\n",
        rounds.this,
        rounds.reference.as_deref().map(|r| order(rounds, r)).unwrap_or_default()
    );
    figures(md, rounds, &builds);
    let _ = writeln!(md, "\n| round | build | seconds | CPU busy | I/O stalled |\n|---|---|---|---|---|");
    for (k, round) in rounds.rounds.iter().enumerate() {
        let _ = writeln!(
            md,
            "| {} | {} | {:.0} | {} | {} |",
            k + 1,
            round.revision,
            round.seconds,
            or_not_reported(round.cpu_busy_percent, "%"),
            or_not_reported(round.io_stalled_ms, "ms")
        );
    }
    md.push('\n');
}

/// A row per key figure: its median (min–max) for each build and, with two, this ÷ reference.
fn figures(md: &mut String, rounds: &Rounds, builds: &[&str]) {
    let _ = write!(md, "| figure |");
    for build in builds {
        let _ = write!(md, " {build} |");
    }
    if builds.len() == 2 {
        let _ = write!(md, " this ÷ reference |");
    }
    let _ = writeln!(md, "\n|---|{}", "---|".repeat(builds.len() + usize::from(builds.len() == 2)));
    let per_build: Vec<Vec<(String, Vec<f64>)>> = builds.iter().map(|b| rounds.values(b)).collect();
    for (name, _) in &per_build[0] {
        let _ = write!(md, "| {name} |");
        let mut medians = Vec::new();
        for values in &per_build {
            let values = values.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone()).unwrap_or_default();
            let (low, high) = values.iter().fold((f64::MAX, f64::MIN), |(l, h), v| (l.min(*v), h.max(*v)));
            match median(values) {
                Some(middle) => {
                    medians.push(middle);
                    let _ = write!(md, " {} ({}–{}) |", fmt_figure(middle), fmt_figure(low), fmt_figure(high));
                }
                None => {
                    let _ = write!(md, " not measured |");
                }
            }
        }
        if let [this, reference] = medians[..] {
            let _ = write!(md, " {:.2} |", this / reference.max(1e-9));
        } else if builds.len() == 2 {
            let _ = write!(md, " |");
        }
        md.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rounds::Round;

    fn rounds(order: &[&str]) -> Rounds {
        let round = |revision: &&str| Round {
            revision: revision.to_string(),
            figures: Vec::new(),
            cpu_busy_percent: None,
            io_stalled_ms: None,
            seconds: 1.0,
        };
        Rounds { this: "a".into(), reference: Some("b".into()), rounds: order.iter().map(round).collect() }
    }

    #[test]
    fn a_reference_run_after_this_builds_rounds_is_not_called_alternating() {
        assert_eq!(order(&rounds(&["a", "b", "b", "a", "a", "b"]), "b"), ", alternating with b");
        assert_eq!(order(&rounds(&["a", "b"]), "b"), ", alternating with b");
        assert_eq!(order(&rounds(&["a", "a", "a", "b", "b", "b"]), "b"), ", then those of b on a data set of its own");
    }
}
