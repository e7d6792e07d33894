//! S1 by audience's section: one message's write cost to a direct chat, to announcements of 2
//! and of 2,000 members and to 2,000 students with their guardians, and to groups of 257 and
//! 500, in one run, and its targets (2,000, and the families, within 2× of 2; a group of 257 at
//! least 0.8× a direct chat).

use std::fmt::Write as _;

use super::{Page, Target, fmt_figure, link, median, rounds_table, verdict};
use crate::Results;
use crate::scenarios::S1Audience;

const HEADING: &str = "S1 by audience — a message to 2,000 members";

pub(super) fn section(page: &mut Page, results: &Results, s: &S1Audience) {
    let _ = writeln!(
        page.md,
        "## {HEADING}\n\nS1's closed loop (group commit, two replicas, {} senders, {:.0} s per run) in one cluster, \
         against sets of {} chats in turn, the order rotating from round to round: the lesson pairs' direct \
         chats (both members write), announcements of 2 and of 2,000 members (the owner posts), announcements to \
         2,000 students and their families (`recipients: both`, a guardian linked to each student, every \
         guardian a member too: 3,999 members), and ordinary groups of 257 and of 500 members (the teacher \
         posts). No chat keeps a counter row per member: a member's unread count is derived when read, from \
         their read marker and the chat's messages (`chat_unread`). The median round (by the first ratio):\n\n| audience | msg/s | p50 | p99 | errors |\n|---|---|---|---|---|",
        s.senders, s.seconds_per_run, s.chats
    );
    for a in &s.audiences {
        let t = &a.throughput;
        let _ = writeln!(
            page.md,
            "| {} | {:.0} | {:.2} ms | {:.2} ms | {} |",
            a.label, t.per_second, t.latency.p50_ms, t.latency.p99_ms, t.errors
        );
    }
    page.md.push('\n');
    if !s.reads.is_empty() {
        let _ = writeln!(
            page.md,
            "What the counts cost to read, after the runs (`GET /api/unread-count`, one client, 50 requests): every \
             count is a range of the chat's index after the member's read marker, as long as their unread run.\n\n| reader | unread | p50 | p99 |\n|---|---|---|---|"
        );
        for r in &s.reads {
            let _ = writeln!(
                page.md,
                "| {} | {} | {:.2} ms | {:.2} ms |",
                r.label, r.unread, r.latency.p50_ms, r.latency.p99_ms
            );
        }
        page.md.push('\n');
    }
    let rounds = |prefix: &str| -> Vec<f64> {
        results
            .rounds
            .get("s1-audience")
            .map(|r| {
                r.values(&r.this)
                    .into_iter()
                    .filter(|(name, _)| name.starts_with(prefix))
                    .flat_map(|(_, values)| values)
                    .collect()
            })
            .unwrap_or_default()
    };
    let ratios = rounds("2,000 ÷ 2");
    let ratio = median(ratios.clone()).or(s.ratio());
    let families = rounds("families ÷ 2");
    let families_ratio = median(families.clone()).or(s.families_ratio());
    let groups = rounds("group of 257 ÷");
    let group_ratio = median(groups.clone()).or(s.group_ratio());
    rounds_table::after(&mut page.md, results, "s1-audience", "S1 by audience");
    page.targets.push(Target::new(
        &link("S1 by audience", HEADING),
        "S1 by audience: a message to 2,000 members within 2× of one to 2 (throughput ratio ≥ 0.5)".into(),
        format!(
            "2,000 ÷ 2 members ×{} (median of {} rounds)",
            ratio.map_or("—".to_owned(), fmt_figure),
            ratios.len().max(1)
        ),
        verdict(ratio.is_some_and(|r| r >= 0.5)),
    ));
    page.targets.push(Target::new(
        &link("S1 by audience", HEADING),
        "S1 by audience: a message to 2,000 students and their guardians within 2× of one to 2 (ratio ≥ 0.5)".into(),
        format!(
            "families ÷ 2 members ×{} (median of {} rounds)",
            families_ratio.map_or("—".to_owned(), fmt_figure),
            families.len().max(1)
        ),
        verdict(families_ratio.is_some_and(|r| r >= 0.5)),
    ));
    page.targets.push(Target::new(
        &link("S1 by audience", HEADING),
        "S1 by audience: a message to a group of 257 at least 0.8× the rate of one to a direct chat".into(),
        format!(
            "group of 257 ÷ direct chat ×{} (median of {} rounds)",
            group_ratio.map_or("—".to_owned(), fmt_figure),
            groups.len().max(1)
        ),
        verdict(group_ratio.is_some_and(|r| r >= 0.8)),
    ));
}
