//! S11's section: ordinary senders alone and beside students posting texts of 10,000 `@`s to a
//! 499-member group, in one cluster, and its target (the senders' p99 at most doubled).

use std::fmt::Write as _;

use super::{Page, Target, figure_median, fmt_figure, link, rounds_of, rounds_table, verdict};
use crate::Results;
use crate::load::Throughput;
use crate::scenarios::{S11, S11_RATIO};

const HEADING: &str = "S11 — one message must not stall the school: adversarial mentions beside normal senders";

/// The throughput ratio's figure name, as the scenario records it.
const THROUGHPUT_RATIO: &str = "msg/s under attack ÷ quiet";

pub(super) fn section(page: &mut Page, results: &Results, s: &S11) {
    let _ = writeln!(
        page.md,
        "## {HEADING}\n\nEvery append takes the log's ordering lock, so what the log does per event is waited for by \
         every writer of the school; a group message's mentions were once resolved inside it, at a cost of (`@`s in \
         the text) × (members). In each round one cluster (group commit, two replicas) holds {} direct chats and a \
         group of {} members (a teacher and students named as people are, \"Student 17\"), created through the log. \
         {} ordinary senders post to their direct chats, closed loop, {:.0} s alone (\"quiet\") and {:.0} s beside \
         {} students of the group (\"under attack\"), each posting a text of {} `@`s to it as soon as their last was \
         answered (a text of `@`s alone mentions nobody, so the log takes it as it takes any message to the \
         group: a message and one unread counter per member, within the append); the phases' order alternates \
         from round to round (in the round shown, {} first), and every attacker's message answered 201 must be in \
         the group after the round. The target: the ordinary senders' p99 under attack at most twice their p99 \
         quiet. The median round (by that ratio):\n\n\
         | phase | msg/s | p50 | p99 | max | errors | attackers' messages | attackers' p50 |\n\
         |---|---|---|---|---|---|---|---|",
        s.senders,
        s.members,
        s.senders,
        s.seconds_per_run,
        s.seconds_per_run,
        s.attackers,
        thousands(s.ats),
        s.first
    );
    let row = |t: &Throughput| {
        format!(
            "{:.0} | {:.2} ms | {:.2} ms | {:.2} ms | {}",
            t.per_second, t.latency.p50_ms, t.latency.p99_ms, t.latency.max_ms, t.errors
        )
    };
    let (q, u) = (&s.quiet, &s.under_attack);
    let _ = writeln!(page.md, "| quiet | {} | — | — |", row(q));
    let _ =
        writeln!(page.md, "| under attack | {} | {} | {:.0} ms |", row(u), s.attack.messages, s.attack.latency.p50_ms);
    let times = |a: f64, b: f64| format!("×{}", fmt_figure(a / b.max(1e-9)));
    let _ = writeln!(
        page.md,
        "| under attack ÷ quiet | {} | {} | {} | {} | | | |",
        times(u.per_second, q.per_second),
        times(u.latency.p50_ms, q.latency.p50_ms),
        times(u.latency.p99_ms, q.latency.p99_ms),
        times(u.latency.max_ms, q.latency.max_ms)
    );
    let _ = writeln!(
        page.md,
        "\nThe attackers' messages: {} answered 201 ({} errors), p99 {:.0} ms, the slowest {:.0} ms.\n",
        s.attack.messages, s.attack.errors, s.attack.latency.p99_ms, s.attack.latency.max_ms
    );
    rounds_table::after(&mut page.md, results, "s11", "S11");
    let ratio = figure_median(results, "s11", S11_RATIO).unwrap_or(s.ratio());
    let throughput = figure_median(results, "s11", THROUGHPUT_RATIO).unwrap_or(s.throughput_ratio());
    let rounds = rounds_of(results, "s11");
    page.targets.push(
        Target::new(
            &link("S11", HEADING),
            format!(
                "S11: {} students posting texts of {} `@`s to a {}-member group cost ordinary senders at most their \
                 p99 doubled (p99 under attack ÷ quiet ≤ 2)",
                s.attackers,
                thousands(s.ats),
                s.members
            ),
            format!(
                "×{}{rounds} (p99 {:.2} ms under attack against {:.2} ms quiet in the round shown); throughput under \
                 attack ÷ quiet ×{}",
                fmt_figure(ratio),
                u.latency.p99_ms,
                q.latency.p99_ms,
                fmt_figure(throughput)
            ),
            verdict(ratio <= 2.0),
        )
        .against(
            format!("×{}{rounds}, p99 {:.2} ms under attack", fmt_figure(ratio), u.latency.p99_ms),
            format!("the same senders quiet, same round: p99 {:.2} ms", q.latency.p99_ms),
        ),
    );
}

/// "10,000": a count as the page's prose writes it.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::Percentiles;
    use crate::rounds::{Figures, Round, Rounds};
    use crate::scenarios::Attack;

    fn run(per_second: f64, p50_ms: f64, p99_ms: f64, max_ms: f64) -> Throughput {
        Throughput {
            senders: 8,
            messages: (per_second * 10.0) as usize,
            errors: 0,
            seconds: 10.0,
            per_second,
            latency: Percentiles { p50_ms, p99_ms, max_ms },
            io_stalled_ms: None,
            cpu_busy_percent: None,
        }
    }

    /// Quiet p99 10 ms; under attack `p99` ms, the throughput down a tenth.
    fn fixture(p99: f64) -> S11 {
        S11 {
            seconds_per_run: 10.0,
            senders: 8,
            attackers: 2,
            members: 499,
            ats: 10_000,
            first: "quiet".into(),
            quiet: run(1000.0, 4.0, 10.0, 20.0),
            under_attack: run(900.0, 5.0, p99, 40.0),
            attack: Attack {
                messages: 50,
                errors: 0,
                latency: Percentiles { p50_ms: 300.0, p99_ms: 450.0, max_ms: 500.0 },
            },
            revision: "abc".into(),
        }
    }

    #[test]
    fn the_section_shows_both_phases_and_their_ratios_and_meets_the_target_within_double() {
        let mut page = Page::default();
        section(&mut page, &Results::default(), &fixture(15.0));
        for row in [
            "| quiet | 1000 | 4.00 ms | 10.00 ms | 20.00 ms | 0 | — | — |",
            "| under attack | 900 | 5.00 ms | 15.00 ms | 40.00 ms | 0 | 50 | 300 ms |",
            "| under attack ÷ quiet | ×0.90 | ×1.25 | ×1.50 | ×2.00 | | | |",
        ] {
            assert!(page.md.contains(row), "no {row:?} in\n{}", page.md);
        }
        assert_eq!(page.targets.len(), 1);
        let target = &page.targets[0];
        assert_eq!(target.verdict, "met");
        assert!(target.measured.starts_with("×1.50 (p99 15.00 ms"), "{}", target.measured);
        assert!(target.measured.ends_with("throughput under attack ÷ quiet ×0.90"), "{}", target.measured);
        assert_eq!(target.peer, "the same senders quiet, same round: p99 10.00 ms");
    }

    #[test]
    fn a_count_is_written_with_thousands_separated() {
        assert_eq!(
            [thousands(7), thousands(499), thousands(10_000), thousands(1_234_567)],
            ["7", "499", "10,000", "1,234,567"]
        );
    }

    #[test]
    fn senders_whose_p99_more_than_doubles_under_attack_miss_the_target() {
        let mut page = Page::default();
        section(&mut page, &Results::default(), &fixture(25.0));
        assert_eq!(page.targets[0].verdict, "**missed**");
    }

    /// The verdict is the median round's ratio, over the rounds recorded, not one round's.
    #[test]
    fn the_target_judges_the_median_of_the_rounds() {
        let rounds: Vec<Round> = [12.0, 30.0, 35.0]
            .into_iter()
            .map(|p99| Round {
                revision: "abc".into(),
                figures: fixture(p99).figures(),
                cpu_busy_percent: None,
                io_stalled_ms: None,
                seconds: 40.0,
            })
            .collect();
        let mut results = Results::default();
        results.rounds.insert("s11".into(), Rounds { this: "abc".into(), reference: None, rounds });
        let mut page = Page::default();
        section(&mut page, &results, &fixture(12.0));
        let target = &page.targets[0];
        assert_eq!(target.verdict, "**missed**");
        assert!(target.measured.starts_with("×3.00 (median of 3 rounds)"), "{}", target.measured);
    }
}
