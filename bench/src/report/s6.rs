//! S6's section: the audit functions on S4's data set (the whole log, incrementally with a
//! forged row, one chat's timeline and state at a moment), and its two targets.

use std::fmt::Write as _;

use super::{Page, Target, figure_median, link, rounds_of, rounds_table, verdict};
use crate::Results;
use crate::scenarios::S6;

const HEADING: &str = "S6 — the audit at scale";

pub(super) fn section(page: &mut Page, results: &Results, s6: &S6) {
    audits(&mut page.md, s6);
    targets(&mut page.targets, results, s6);
    page.md.push('\n');
    rounds_table::after(&mut page.md, results, "s6", "S6");
}

/// What each audit did, how long it took, what it found, and the progress psql showed.
fn audits(md: &mut String, s6: &S6) {
    let _ = writeln!(
        md,
        "## {HEADING}\n\nOn S4's data set, after its reads: `SELECT count(*) FROM audit_replay()` over the whole log \
         ({} events), as an auditor runs it in psql, with the progress it reported on the way; then {} new messages in {} random \
         chats and `audit_replay(position)`, the incremental audit of the chats with events after that position (then run again \
         inside a transaction with one of the new messages forged: the tool checks that this, and only this, is reported); then \
         one chat's `audit_chat_timeline` and `audit_chat_at` for 20 random chats.\n\n\
         | audit | took | problems |\n|---|---|---|\n| `audit_replay()`, {} events | {:.1} s | {} |\n| `audit_replay(since)`, {} new messages | {:.0} ms | {} (forged: {}) |\n\
         | `audit_chat_timeline(chat)` | p50 {:.2} ms, max {:.2} ms | |\n| `audit_chat_at(chat, moment)` | p50 {:.2} ms, max {:.2} ms | |\n\n\
         Progress as psql shows it (seconds since the start, then the NOTICE):\n\n```\n{}\n```\n",
        s6.events,
        s6.incremental_messages,
        s6.incremental_chats,
        s6.events,
        s6.full_seconds,
        s6.full_problems,
        s6.incremental_messages,
        s6.incremental_ms,
        s6.incremental_problems,
        s6.forged_found.join("; "),
        s6.timeline.p50_ms,
        s6.timeline.max_ms,
        s6.chat_at.p50_ms,
        s6.chat_at.max_ms,
        s6.progress.iter().map(|(at, m)| format!("{at:6.1} s  {m}")).collect::<Vec<_>>().join("\n"),
    );
}

/// The whole log's audit within two minutes and clean in every round, and one chat's audits
/// in milliseconds.
fn targets(targets: &mut Vec<Target>, results: &Results, s6: &S6) {
    let link = link("S6", HEADING);
    let full = figure_median(results, "s6", "audit_replay() over the whole log, s").unwrap_or(s6.full_seconds);
    // Every round's problems: one in any round is one too many.
    let problems = results.rounds.get("s6").map_or(s6.full_problems, |r| {
        r.values(&r.this)
            .into_iter()
            .find(|(n, _)| n == "its problems")
            .map_or(s6.full_problems, |(_, v)| v.iter().sum::<f64>() as i64)
    });
    targets.push(Target::new(
        &link,
        format!("S6: `audit_replay()` ≤ 2 minutes ({} events), 0 problems", s6.events),
        format!("{full:.1} s{}, {problems} problems", rounds_of(results, "s6")),
        verdict(full <= 120.0 && problems == 0),
    ));
    targets.push(Target::new(
        &link,
        "S6: one chat's timeline and state at a moment stay in milliseconds (each < 100 ms)".into(),
        format!(
            "p50 {:.2} ms and {:.2} ms (max {:.2}, {:.2})",
            s6.timeline.p50_ms, s6.chat_at.p50_ms, s6.timeline.max_ms, s6.chat_at.max_ms
        ),
        verdict(s6.timeline.max_ms < 100.0 && s6.chat_at.max_ms < 100.0),
    ));
}
