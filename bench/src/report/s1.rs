//! S1's section: write throughput with group commit and with one transaction per request,
//! against pgbench's ceilings, and its three targets.

use std::fmt::Write as _;
use std::path::Path;

use super::chart::{Series, bar_chart};
use super::{Page, Target, fmt_figure, link, median, or_not_reported, rounds_ran, rounds_table, verdict};
use crate::Results;
use crate::load::Throughput;
use crate::scenarios::S1;

const HEADING: &str = "S1 — write throughput";

pub(super) fn section(page: &mut Page, results: &Results, s1: &S1, charts: &Path) -> anyhow::Result<()> {
    std::fs::write(charts.join("s1-throughput.svg"), chart(s1))?;
    table(&mut page.md, s1);
    rounds_table::after(&mut page.md, results, "s1", "S1");
    targets(&mut page.targets, s1, &median_round(results));
    against_reference(&mut page.targets, results);
    Ok(())
}

/// Messages per second by senders, both modes, with pgbench's batched ceiling as the line.
fn chart(s1: &S1) -> String {
    let categories: Vec<String> = s1.batched.iter().map(|t| format!("{} senders", t.senders)).collect();
    bar_chart(
        "S1: accepted messages per second",
        "messages/s",
        &categories,
        &[
            Series {
                name: "group commit",
                color: "#2e86de",
                values: s1.batched.iter().map(|t| t.per_second).collect(),
            },
            Series {
                name: "one transaction each",
                color: "#95a5a6",
                values: s1.single.iter().map(|t| t.per_second).collect(),
            },
        ],
        Some(("pgbench, 20 per transaction", s1.pgbench_twenty_per_transaction)),
    )
}

/// What ran, the chart, and a row per run and per database ceiling.
fn table(md: &mut String, s1: &S1) {
    let _ = writeln!(
        md,
        "## {HEADING}\n\n{} replicas, 256 chats, closed-loop senders spread over both replicas, {:.0} s per run. \
         The database ceilings are pgbench with 16 clients, appending as the product does (`events_append`: the chats' locks, \
         the draw, validation, projections; then a NOTIFY after the commit), and a plain INSERT of the same rows into a table with \
         `events`' columns and indexes and none of its triggers, then one NOTIFY after the commit (the issue's \"plain batched \
         ceiling\"); a build from before `events_append` (a `--compare` reference) runs its own INSERT, the NOTIFY inside the \
         transaction, and the plain ceiling likewise. The generator's own ceiling (closed loop against a route that does no work): {:.0} requests/s.\n\n\
         ![S1](bench/s1-throughput.svg)\n\n| mode | senders | messages/s | POST p50 | POST p99 | errors | I/O stalled |\n|---|---|---|---|---|---|---|",
        s1.replicas, s1.seconds_per_run, s1.generator_ceiling
    );
    for (mode, runs) in [("group commit", &s1.batched), ("one transaction each", &s1.single)] {
        for t in runs.iter() {
            let _ = writeln!(
                md,
                "| {mode} | {} | {:.0} | {:.2} ms | {:.2} ms | {} | {} |",
                t.senders,
                t.per_second,
                t.latency.p50_ms,
                t.latency.p99_ms,
                t.errors,
                or_not_reported(t.io_stalled_ms, "ms")
            );
        }
    }
    let _ = writeln!(
        md,
        "| pgbench, 1 message per transaction | 16 | {:.0} | | | | |\n| pgbench, 20 messages per transaction | 16 | {:.0} | | | | |",
        s1.pgbench_one_per_transaction, s1.pgbench_twenty_per_transaction
    );
    if let Some(plain) = s1.pgbench_plain_twenty_per_transaction {
        let _ = writeln!(md, "| pgbench, 20 per transaction, no product triggers | 16 | {plain:.0} | | | | |");
    }
    md.push('\n');
}

/// ", the median round of N" when S1 ran in rounds: its targets are judged on the round the
/// section shows (the median by group commit at the most senders), not on each figure's median,
/// so that a ratio's two sides come from the same round.
fn median_round(results: &Results) -> String {
    let n = rounds_ran(results, "s1");
    if n > 1 { format!(", the median round of {n}") } else { String::new() }
}

/// Group commit's best against one transaction each, and against pgbench's two ceilings
/// (`round` says which round the summary's figures come from).
fn targets(targets: &mut Vec<Target>, s1: &S1, round: &str) {
    let link = link("S1", HEADING);
    let best = |runs: &[Throughput]| runs.iter().map(|t| t.per_second).fold(0.0, f64::max);
    let (batched, single) = (best(&s1.batched), best(&s1.single));
    let ratio = batched / single.max(1e-9);
    let share = |ceiling: f64| batched / ceiling.max(1e-9) * 100.0;
    targets.push(
        Target::new(
            &link,
            "S1: group commit ≥ 5× one transaction per request".into(),
            format!("{ratio:.1}×"),
            verdict(ratio >= 5.0),
        )
        .against(
            format!("{ratio:.1}× ({batched:.0} msg/s{round})"),
            format!("one transaction per request: {single:.0} msg/s"),
        ),
    );
    let with_triggers = share(s1.pgbench_twenty_per_transaction);
    targets.push(
        Target::new(
            &link,
            "S1: ≥ 40% of pgbench's batched INSERT with the product's triggers".into(),
            format!("{with_triggers:.0}%"),
            verdict(with_triggers >= 40.0),
        )
        .against(
            format!("{with_triggers:.0}% ({batched:.0} msg/s{round})"),
            format!("pgbench, 20 per transaction: {:.0} msg/s", s1.pgbench_twenty_per_transaction),
        ),
    );
    if let Some(plain) = s1.pgbench_plain_twenty_per_transaction {
        // Issue 54: the database's own work, without the replicas: the same pgbench both ways.
        let times = plain / s1.pgbench_twenty_per_transaction.max(1e-9);
        targets.push(
            Target::new(
                &link,
                "S1: the database's work per message ≤ 2.5× a plain insert (pgbench, 20 per transaction, with the product's triggers ÷ without)".into(),
                format!("{times:.2}×"),
                verdict(times <= 2.5),
            )
            .against(
                format!("{times:.2}× ({:.0} msg/s with the triggers{round})", s1.pgbench_twenty_per_transaction),
                format!("the same rows without them: {plain:.0} msg/s"),
            ),
        );
    }
    let plain = match s1.pgbench_plain_twenty_per_transaction {
        Some(plain) => Target::new(
            &link,
            "S1: ≥ 40% of the plain batched ceiling (no product triggers)".into(),
            format!("{:.0}% ({batched:.0} of {plain:.0} msg/s)", share(plain)),
            verdict(share(plain) >= 40.0),
        )
        .against(
            format!("{:.0}% ({batched:.0} msg/s{round})", share(plain)),
            format!("pgbench, 20 per transaction, no product triggers: {plain:.0} msg/s"),
        ),
        None => {
            Target::new(&link, "S1: ≥ 40% of the plain batched ceiling".into(), "not measured".into(), "**missed**")
                .against("not measured".into(), "pgbench without the product's triggers: not measured".into())
        }
    };
    targets.push(plain);
}

/// Group commit at the most senders against the build `--compare` measured in the same rounds,
/// each side the median of its rounds: the write path's target is at least 2.5× the build from
/// before the log lost its serialized window, when that is the reference. Only when S1 ran
/// against a reference.
fn against_reference(targets: &mut Vec<Target>, results: &Results) {
    let Some(rounds) = results.rounds.get("s1") else { return };
    let Some(reference) = rounds.reference.as_deref() else { return };
    let most = |revision: &str| {
        let values = rounds.values(revision);
        let senders = |name: &str| name.strip_prefix("group commit, ")?.split(' ').next()?.parse::<u32>().ok();
        let (name, values) =
            values.into_iter().filter(|(name, _)| senders(name).is_some()).max_by_key(|(name, _)| senders(name))?;
        Some((name, median(values)?))
    };
    let (Some((name, this)), Some((_, before))) = (most(&rounds.this), most(reference)) else { return };
    let ratio = this / before.max(1e-9);
    let n = rounds_ran(results, "s1");
    targets.push(
        Target::new(
            &link("S1", HEADING),
            "S1: group commit ≥ 2.5× the build it ran against (`--compare`), same rounds".into(),
            format!(
                "×{ratio:.2} ({name}: {} against {}, medians of {n} rounds each)",
                fmt_figure(this),
                fmt_figure(before)
            ),
            verdict(ratio >= 2.5),
        )
        .against(
            format!("×{ratio:.2} ({} msg/s)", fmt_figure(this)),
            format!("{reference}, same rounds: {} msg/s", fmt_figure(before)),
        ),
    );
}
