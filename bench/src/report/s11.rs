//! S11's section: ordinary senders alone and beside each adversary (students posting texts of
//! 10,000 `@`s to a 499-member group; students sending read receipts of the longest list;
//! anonymous visitors opening inquiries at the limit's rate), in one cluster, and its targets
//! (the senders' p99 at most doubled beside the first, at most ×1.5 beside the others).

use std::fmt::Write as _;

use super::{Page, Target, figure_median, fmt_figure, link, rounds_of, rounds_table, verdict};
use crate::Results;
use crate::load::Throughput;
use crate::scenarios::{
    S11, S11_LISTED, S11_OPEN_LINKS, S11_OPENS_PER_MINUTE, S11_OPENS_RATIO, S11_RATIO, S11_RECEIPT_ATTACKERS,
    S11_RECEIPTS_PER_SECOND, S11_RECEIPTS_RATIO,
};

const HEADING: &str = "S11 — one request must not stall the school: adversaries beside normal senders";

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
         each adversary in turn; first {} students of the group (\"under attack\"), each posting a text of {} `@`s \
         to it as soon as their last was answered (a text of `@`s alone mentions nobody, so the log takes it as it \
         takes any message to the group). The phases' order turns from round to round (in the round shown, {} \
         first), and every attacker's message answered 201 must be in the group after the round. The targets: the \
         ordinary senders' p99 under attack at most twice their p99 quiet, beside the read receipts and the \
         inquiry opens at most ×1.5. The median round (by the first ratio):\n\n\
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
    let times = |a: f64, b: f64| format!("×{}", fmt_figure(a / b.max(1e-9)));
    // Each adversary's phase, then its ratios to quiet (the later two absent from older results).
    let adversaries = [
        ("under attack", Some(u), Some(&s.attack)),
        ("under read receipts", s.under_receipts.as_ref(), s.receipts.as_ref()),
        ("under inquiry opens", s.under_opens.as_ref(), s.opens.as_ref()),
    ];
    for (phase, t, attack) in adversaries {
        let (Some(t), Some(attack)) = (t, attack) else { continue };
        let p50 = if attack.latency.p50_ms > 0.0 { format!("{:.0} ms", attack.latency.p50_ms) } else { "—".into() };
        let _ = writeln!(page.md, "| {phase} | {} | {} | {p50} |", row(t), attack.messages);
        let _ = writeln!(
            page.md,
            "| {phase} ÷ quiet | {} | {} | {} | {} | | | |",
            times(t.per_second, q.per_second),
            times(t.latency.p50_ms, q.latency.p50_ms),
            times(t.latency.p99_ms, q.latency.p99_ms),
            times(t.latency.max_ms, q.latency.max_ms)
        );
    }
    let _ = writeln!(
        page.md,
        "\nThe attackers' messages: {} answered 201 ({} errors), p99 {:.0} ms, the slowest {:.0} ms.\n",
        s.attack.messages, s.attack.errors, s.attack.latency.p99_ms, s.attack.latency.max_ms
    );
    if let (Some(receipts), Some(opens)) = (&s.receipts, &s.opens) {
        let _ = writeln!(
            page.md,
            "Beside the read receipts: {} students of the group, each on a Socket.IO connection (the messenger \
             dialect's `read_messages`, the one way a client lists what it read), sending a receipt of {} ids (the \
             most a request may list, bounded by the log's own rule too) {} times a second each (the product's \
             default write rate), each receipt moving the reader's marker one message on through a history seeded \
             for it, so each is an event of the log carrying its list to every member's stream: {} logged ({} not). \
             Beside the inquiry opens: anonymous visitors opening inquiry chats through {} teachers' links, on both \
             replicas, each from an address of its own (the per-address limit never stops them), just under each \
             link's limit of {} a minute per replica (the product's default), each open a guest, a chat and its \
             first message in one append: {} opened ({} refused or failed), p99 {:.0} ms.\n",
            S11_RECEIPT_ATTACKERS,
            S11_LISTED,
            S11_RECEIPTS_PER_SECOND,
            receipts.messages,
            receipts.errors,
            S11_OPEN_LINKS,
            S11_OPENS_PER_MINUTE,
            opens.messages,
            opens.errors,
            opens.latency.p99_ms
        );
    }
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
    let receipts = format!(
        "{S11_RECEIPT_ATTACKERS} students sending read receipts of {S11_LISTED} ids, {S11_RECEIPTS_PER_SECOND} a second each,"
    );
    let opens = format!(
        "anonymous visitors opening inquiries through {S11_OPEN_LINKS} links at the limit's rate ({S11_OPENS_PER_MINUTE} a \
         minute per link and replica)"
    );
    let beside = [
        (S11_RECEIPTS_RATIO, "read receipts", receipts, s.receipts_ratio(), &s.under_receipts),
        (S11_OPENS_RATIO, "inquiry opens", opens, s.opens_ratio(), &s.under_opens),
    ];
    for (name, what, adversary, ratio, t) in beside {
        let (Some(ratio), Some(t)) = (ratio, t) else { continue };
        let ratio = figure_median(results, "s11", name).unwrap_or(ratio);
        page.targets.push(
            Target::new(
                &link("S11", HEADING),
                format!(
                    "S11: {adversary} cost ordinary senders at most ×1.5 their p99 (p99 under {what} ÷ quiet ≤ 1.5)"
                ),
                format!(
                    "×{}{rounds} (p99 {:.2} ms under {what} against {:.2} ms quiet in the round shown)",
                    fmt_figure(ratio),
                    t.latency.p99_ms,
                    q.latency.p99_ms
                ),
                verdict(ratio <= 1.5),
            )
            .against(
                format!("×{}{rounds}, p99 {:.2} ms under {what}", fmt_figure(ratio), t.latency.p99_ms),
                format!("the same senders quiet, same round: p99 {:.2} ms", q.latency.p99_ms),
            ),
        );
    }
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
            under_receipts: Some(run(950.0, 4.5, 16.0, 30.0)),
            receipts: Some(Attack { messages: 6400, errors: 0, latency: Percentiles::default() }),
            under_opens: Some(run(980.0, 4.2, 14.0, 25.0)),
            opens: Some(Attack {
                messages: 320,
                errors: 0,
                latency: Percentiles { p50_ms: 8.0, p99_ms: 30.0, max_ms: 40.0 },
            }),
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
        assert_eq!(page.targets.len(), 3, "beside the @s, the receipts and the opens");
        let target = &page.targets[0];
        assert_eq!(target.verdict, "met");
        assert!(target.measured.starts_with("×1.50 (p99 15.00 ms"), "{}", target.measured);
        assert!(target.measured.ends_with("throughput under attack ÷ quiet ×0.90"), "{}", target.measured);
        assert_eq!(target.peer, "the same senders quiet, same round: p99 10.00 ms");
    }

    #[test]
    fn the_receipts_and_the_opens_have_their_rows_and_targets_of_one_and_a_half() {
        let mut page = Page::default();
        section(&mut page, &Results::default(), &fixture(15.0));
        for row in [
            "| under read receipts | 950 | 4.50 ms | 16.00 ms | 30.00 ms | 0 | 6400 | — |",
            "| under read receipts ÷ quiet | ×0.95 | ×1.12 | ×1.60 | ×1.50 | | | |",
            "| under inquiry opens | 980 | 4.20 ms | 14.00 ms | 25.00 ms | 0 | 320 | 8 ms |",
            "32 students of the group",
        ] {
            assert!(page.md.contains(row), "no {row:?} in\n{}", page.md);
        }
        let (receipts, opens) = (&page.targets[1], &page.targets[2]);
        assert!(receipts.goal.contains("read receipts of 100 ids"), "{}", receipts.goal);
        assert_eq!(receipts.verdict, "**missed**", "×1.60 is beyond ×1.5");
        assert!(receipts.measured.starts_with("×1.60 (p99 16.00 ms under read receipts"), "{}", receipts.measured);
        assert_eq!(opens.verdict, "met", "×1.40");
    }

    /// Results of before the receipts and the opens were measured show the one target.
    #[test]
    fn results_without_the_newer_adversaries_show_the_first_alone() {
        let mut s = fixture(15.0);
        (s.under_receipts, s.receipts, s.under_opens, s.opens) = (None, None, None, None);
        let mut page = Page::default();
        section(&mut page, &Results::default(), &s);
        assert_eq!(page.targets.len(), 1);
        assert!(!page.md.contains("under read receipts"), "{}", page.md);
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
