//! S2's section: delivery latency across replicas at each rate, without and with typing, the
//! database alone at the same rates, and each rate's three targets.

use std::fmt::Write as _;
use std::path::Path;

use super::chart::{Series, bar_chart};
use super::{Page, Target, link, median, or_not_reported, rounds_table, verdict};
use crate::Results;
use crate::scenarios::{S2, S2Run};

const HEADING: &str = "S2 — delivery latency";

pub(super) fn section(page: &mut Page, results: &Results, s2: &S2, charts: &Path) -> anyhow::Result<()> {
    std::fs::write(charts.join("s2-latency.svg"), chart(s2))?;
    runs(&mut page.md, s2);
    database(&mut page.md, s2);
    let link = link("S2", HEADING);
    for rate in s2.rates() {
        rate_targets(&mut page.targets, &link, s2, rate);
    }
    super::s2_sockets::section(page, s2);
    page.md.push('\n');
    rounds_table::after(&mut page.md, results, "s2", "S2");
    Ok(())
}

/// One group of bars per rate and variant, each the median over its runs (a bar per run is
/// unreadable with every round's pairs).
fn chart(s2: &S2) -> String {
    let variants: Vec<(usize, bool)> = s2
        .rates()
        .into_iter()
        .flat_map(|rate| [(rate, false), (rate, true)])
        .filter(|&(rate, typing)| !s2.runs_of(rate, typing).is_empty())
        .collect();
    let categories: Vec<String> = variants
        .iter()
        .map(|&(rate, typing)| {
            let runs = s2.runs_of(rate, typing);
            match typing {
                false => format!("{rate} msg/s ({} runs)", runs.len()),
                true => format!("{rate} msg/s + {} typing/s ({} runs)", runs[0].typing_rate, runs.len()),
            }
        })
        .collect();
    let medians = |f: fn(&S2Run) -> f64| -> Vec<f64> {
        variants
            .iter()
            .map(|&(rate, typing)| median(s2.runs_of(rate, typing).into_iter().map(f).collect()).unwrap_or_default())
            .collect()
    };
    bar_chart(
        "S2: delivery latency, POST start to SSE receipt, cross-replica (medians of the runs)",
        "milliseconds",
        &categories,
        &[
            Series { name: "p50", color: "#27ae60", values: medians(|r| r.latency.p50_ms) },
            Series { name: "p99", color: "#f39c12", values: medians(|r| r.latency.p99_ms) },
            Series { name: "max", color: "#c0392b", values: medians(|r| r.latency.max_ms) },
        ],
        None,
    )
}

/// What ran and how it is measured, the chart, and a row per run of every round, in order.
fn runs(md: &mut String, s2: &S2) {
    let _ = writeln!(
        md,
        "## {HEADING}\n\n{} chats, both participants subscribed ({} streams) on replica B; messages posted open-loop on replica A \
         for {:.0} s per rate. Latency is from just before the POST is sent to the moment a stream has the event. \
         \"I/O stalled\" is how long, during the run, every task on the machine waited for the disk (Linux pressure stall information): \
         each commit waits for its WAL flush, so the virtual disk's stalls show in the tail. \
         Each rate runs three pairs of runs per round (one with `--quick`), without and with typing requests posted alongside (open-loop, half on each replica, each \
         chat's student alternating true and false, so the throttle forwards every one; the order alternates from pair to \
         pair): \"typing\" is requests per second and the typing signals the streams received. Every stream also checks that each event's position (its `id:`) is above the previous one's; \
         one that is not is reported out of order. The load sources run on a \
         runtime of their own, apart from the stream readers. The targets compare the medians of each variant's runs (a p99 near a millisecond moves by tens of percent between runs of the same code on this machine, so each median is over every round's runs); each pair's own change is listed after them, with their median.\n\n\
         \"Generator late\" is how late, at the p99, the generator sent a message against its own open-loop schedule (the latency is \
         measured from the actual send; a late generator offers a lower rate for a while). The runs of every round are listed, in order.\n\n\
         ![S2](bench/s2-latency.svg)\n\n| rate | typing | sent | acknowledged | deliveries | lost | p50 | p99 | max | I/O stalled | generator late |\n|---|---|---|---|---|---|---|---|---|---|---|",
        s2.chats, s2.streams, s2.seconds_per_run
    );
    for r in s2.runs.iter().filter(|r| r.sockets.is_empty()) {
        let typing = match r.typing_rate {
            0 => "none".to_owned(),
            rate => format!("{rate}/s ({} received)", r.typing_received),
        };
        let _ = writeln!(
            md,
            "| {} msg/s | {typing} | {} | {} | {} of {} | {} | {:.2} ms | {:.2} ms | {:.2} ms | {} | {} |",
            r.rate,
            r.sent,
            r.acknowledged,
            r.deliveries,
            r.deliveries_expected,
            match r.misordered {
                0 => r.lost.to_string(),
                m => format!("{} (and {m} out of order)", r.lost),
            },
            r.latency.p50_ms,
            r.latency.p99_ms,
            r.latency.max_ms,
            or_not_reported(r.io_stalled_ms, "ms"),
            r.schedule_lag_p99_ms.map_or("not measured".to_owned(), |ms| format!("{ms:.2} ms"))
        );
    }
}

/// pgbench committing the product's INSERT at the same rates: the tail the database alone has.
fn database(md: &mut String, s2: &S2) {
    if s2.database.is_empty() {
        return;
    }
    let _ = writeln!(
        md,
        "\nThe database alone at the same rates, in the same run (pgbench committing the product's INSERT, one message per \
         transaction, 8 clients, open-loop; latency from each transaction's scheduled start):\n\n| rate | p50 | p99 | max |\n|---|---|---|---|"
    );
    for d in &s2.database {
        let _ = writeln!(
            md,
            "| {} msg/s | {:.2} ms | {:.2} ms | {:.2} ms |",
            d.rate, d.latency.p50_ms, d.latency.p99_ms, d.latency.max_ms
        );
    }
}

/// An event out of order counts as lost: the stream did not have it where it belongs.
fn lost(runs: &[&S2Run]) -> usize {
    runs.iter().map(|r| r.lost + r.misordered).sum()
}

/// A rate's targets, from the medians of each variant's runs (the rounds alternate their
/// order): none lost within a bound, the database's own tail plus 5 ms, and typing's cost.
fn rate_targets(targets: &mut Vec<Target>, link: &str, s2: &S2, rate: usize) {
    let (without, with) = (s2.runs_of(rate, false), s2.runs_of(rate, true));
    let p99 = |runs: &[&S2Run]| median(runs.iter().map(|r| r.latency.p99_ms).collect());
    let (Some(base), n) = (p99(&without), without.len()) else { return };
    let bound = if rate <= 500 { 10.0 } else { 25.0 };
    let measured = format!("lost {}, p99 {base:.1} ms (median of {n})", lost(&without));
    targets.push(Target::new(
        link,
        format!("S2: {rate} msg/s: zero lost, p99 ≤ {bound} ms"),
        measured,
        verdict(lost(&without) == 0 && base <= bound),
    ));
    if let Some(database) = median(s2.database.iter().filter(|d| d.rate == rate).map(|d| d.latency.p99_ms).collect()) {
        let p50 = median(without.iter().map(|r| r.latency.p50_ms).collect()).unwrap_or_default();
        targets.push(
            Target::new(
                link,
                format!("S2: {rate} msg/s: p99 ≤ the database's own p99 at that rate + 5 ms, p50 ≤ 3 ms"),
                format!("p99 {base:.1} ms against {database:.1} + 5 ms, p50 {p50:.2} ms (medians)"),
                verdict(base <= database + 5.0 && p50 <= 3.0),
            )
            .against(
                format!("p99 {base:.1} ms, p50 {p50:.2} ms (medians of {n})"),
                format!("pgbench alone at {rate} msg/s: p99 {database:.1} ms"),
            ),
        );
    }
    if let Some(typed) = p99(&with) {
        targets.push(typing_target(link, rate, &with, &without, typed, base));
    }
}

/// Typing's cost at `rate`: the median p99 with typing against without (each pair's own change
/// listed too, since one pair can move by tens of percent either way).
fn typing_target(link: &str, rate: usize, with: &[&S2Run], without: &[&S2Run], typed: f64, base: f64) -> Target {
    let ratio = typed / base.max(f64::EPSILON);
    let change = |w: f64, o: f64| (w / o.max(f64::EPSILON) - 1.0) * 100.0;
    let changes: Vec<f64> = with.iter().zip(without).map(|(w, o)| change(w.latency.p99_ms, o.latency.p99_ms)).collect();
    let pairs: Vec<String> = changes.iter().map(|c| format!("{c:+.0} %")).collect();
    Target::new(
        link,
        format!(
            "S2: {rate} msg/s with {} typing/s: zero lost, p99 within 20 % of without (medians)",
            with[0].typing_rate
        ),
        format!(
            "lost {}, p99 {typed:.2} ms against {base:.2} ms ({:+.0} %; pairs {}, median pair {:+.0} %)",
            lost(with),
            (ratio - 1.0) * 100.0,
            pairs.join(", "),
            median(changes).unwrap_or_default()
        ),
        verdict(lost(with) == 0 && ratio <= 1.2),
    )
    .against(
        format!("lost {}, p99 {typed:.2} ms ({:+.0} %, median of {})", lost(with), (ratio - 1.0) * 100.0, with.len()),
        format!("the same rate without typing: p99 {base:.2} ms"),
    )
}
