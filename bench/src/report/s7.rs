//! S7's section: retention on S4's data set: the purge's rate, slice by slice, and S2's
//! delivery latency without a purge and during one, window by window, with the log's locks
//! waits; then the end state's checks and the one target (exactness: the rate and the cost
//! to delivery are reported, not judged, since the issue sets no bound for them).

use std::fmt::Write as _;

use super::{Page, Target, link, median, or_not_reported, rounds_table, verdict};
use crate::Results;
use crate::load::Percentiles;
use crate::scenarios::{S2Run, S7};

const HEADING: &str = "S7 — retention";

pub(super) fn section(page: &mut Page, results: &Results, s7: &S7) {
    purge(&mut page.md, s7);
    delivery(&mut page.md, s7);
    windows(&mut page.md, s7);
    checks(&mut page.md, s7);
    page.targets.push(target(s7));
    page.md.push('\n');
    rounds_table::after(&mut page.md, results, "s7", "S7");
}

/// "×1.23", or "not measured" when either side has no window.
fn ratio(during: Option<f64>, without: Option<f64>) -> String {
    match (during, without) {
        (Some(d), Some(w)) if w > 0.0 => format!("×{:.2}", d / w),
        _ => "not measured".to_owned(),
    }
}

fn ms(v: Option<f64>) -> String {
    v.map_or("—".to_owned(), |v| format!("{v:.2} ms"))
}

/// What ran, and the purge slice by slice.
fn purge(md: &mut String, s7: &S7) {
    let pauses = s7.batches as f64 * s7.purge_pause_ms as f64 / 1000.0;
    let working = (s7.seconds - pauses).max(f64::EPSILON);
    let _ = writeln!(
        md,
        "## {HEADING}\n\nOn S4's data set ({} messages, {}) and S4's topology: {} replicas{}. \
         The purge is this build's `governance::retention::purge`, the function a replica's retention loop calls, run by a replica \
         built in the tool's process (`Application::build`) on the same database, with the defaults `PURGE_BATCH={}` and \
         `PURGE_PAUSE_MS={}`; each batch appends its `messages_purged` events (one per chat) through `events_append`, holding only those chats' turns, and \
         their trigger blanks the messages' text in the projection and in the log's own copies. The seeded messages were all \
         created within minutes (the log stamps its own clock), so the horizon is taken from the data: the oldest {} % ({} \
         messages), up to the `created_at` of the message at that position in retention's order. It is purged in {} slices \
         of successive horizons, as the job's passes do when its horizon moves on, so that runs without a purge alternate with \
         runs during one.{}\n\n| slice | horizon | older, not purged yet | purged | seconds | messages/s |\n|---|---|---|---|---|---|",
        s7.messages,
        if s7.after_reads_and_audits {
            "after S4's reads and S6's audits"
        } else {
            "seeded for S7 alone: no reads or audits before it"
        },
        s7.replicas,
        if s7.standby { " and a streaming standby, which replays the purge as it happens" } else { "" },
        s7.purge_batch,
        s7.purge_pause_ms,
        s7.percent,
        s7.planned,
        s7.slices.len(),
        if s7.stopped_by_budget {
            format!(
                " **`--purge-minutes` stopped it after {} slices: {} of the {} messages planned were purged.**",
                s7.slices.len(),
                s7.purged,
                s7.planned
            )
        } else {
            String::new()
        }
    );
    for (k, slice) in s7.slices.iter().enumerate() {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {:.1} | {:.0} |",
            k + 1,
            slice.before,
            slice.expected,
            slice.purged,
            slice.seconds,
            slice.purged as f64 / slice.seconds.max(f64::EPSILON)
        );
    }
    let _ = writeln!(
        md,
        "| all | | {} | {} | {:.1} | **{:.0}** |\n\n\
         {} batches; the pauses between them alone are {:.1} s of the {:.1} s ({} × {} ms), so the batches' own work ran at \
         {:.0} messages/s. The purge ran while S2's load did (below), and its rate is with that load.\n",
        s7.slices.iter().map(|s| s.expected).sum::<i64>(),
        s7.purged,
        s7.seconds,
        s7.per_second,
        s7.batches,
        pauses,
        s7.seconds,
        s7.batches,
        s7.purge_pause_ms,
        s7.purged as f64 / working
    );
}

/// Delivery without a purge and during one: the medians of the windows' figures, the ratio.
fn delivery(md: &mut String, s7: &S7) {
    let (without, during, partly) = (s7.windows_of("without"), s7.windows_of("during"), s7.windows_of("partly"));
    let _ = writeln!(
        md,
        "Delivery, measured as S2 measures it (the same code): {} chats, both participants subscribed ({} streams) on the \
         second replica, {} messages/s posted open-loop on the first, in runs of {:.0} s (then 3 s for the last deliveries). \
         Before each slice and after the last, runs without a purge; during a slice, runs back to back until it ends \
         (a run the purge ended in, \"partly\", is in neither median: {} of them). The log's locks: the sessions waiting \
         for one of them (a chat's or a person's turn, the draw), sampled every 100 ms while a run sent.\n\n\
         | | runs | p50 (median) | p99 (median) | max (worst run) | lost | samples with a session waiting for the log's locks |\n|---|---|---|---|---|---|---|",
        s7.chats,
        s7.streams,
        s7.rate,
        s7.seconds_per_run,
        partly.len()
    );
    let p50 = |phase| s7.median_of(phase, |r| r.latency.p50_ms);
    let p99 = |phase| s7.median_of(phase, |r| r.latency.p99_ms);
    for (name, phase, runs) in [("without a purge", "without", &without), ("during a purge", "during", &during)] {
        let worst =
            runs.iter().map(|w| w.run.latency.max_ms).fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))));
        let (samples, waiting): (usize, usize) =
            runs.iter().fold((0, 0), |(s, w), r| (s + r.lock_samples, w + r.lock_waiting_samples));
        let _ = writeln!(
            md,
            "| {name} | {} | {} | {} | {} | {} | {} |",
            runs.len(),
            ms(p50(phase)),
            ms(p99(phase)),
            ms(worst),
            runs.iter().map(|w| w.run.lost + w.run.misordered).sum::<usize>(),
            if samples == 0 {
                "—".to_owned()
            } else {
                format!("{:.0} % of {samples}", waiting as f64 * 100.0 / samples as f64)
            }
        );
    }
    let _ = writeln!(
        md,
        "| during ÷ without | | {} | {} | | | |\n",
        ratio(p50("during"), p50("without")),
        ratio(p99("during"), p99("without"))
    );
    split(md, s7);
}

/// Each delivery split at its message's `created_at` (drawn inside its append): the POST's way
/// to its append, and from there through the commit, the listener's settled prefix and the hub
/// to the stream, so the report says which of the two a purge lengthens.
fn split(md: &mut String, s7: &S7) {
    let of = |phase, part: fn(&S2Run) -> Option<&Percentiles>, p99: bool| {
        let runs = s7.windows_of(phase);
        median(runs.iter().filter_map(|w| part(&w.run)).map(|x| if p99 { x.p99_ms } else { x.p50_ms }).collect())
    };
    let before: fn(&S2Run) -> Option<&Percentiles> = |r| r.before_append.as_ref();
    let after: fn(&S2Run) -> Option<&Percentiles> = |r| r.after_append.as_ref();
    if of("without", before, true).is_none() {
        return;
    }
    let _ = writeln!(
        md,
        "Each delivery in two parts, split at its message's `created_at` (drawn inside its append): from the POST to its \
         append, and from there (the commit, the listener's settled prefix, the hub) to the stream. Medians of the runs' \
         p50 / p99:\n\n| | POST to append | append to stream |\n|---|---|---|"
    );
    for (name, phase) in [("without a purge", "without"), ("during a purge", "during")] {
        let _ = writeln!(
            md,
            "| {name} | {} / {} | {} / {} |",
            ms(of(phase, before, false)),
            ms(of(phase, before, true)),
            ms(of(phase, after, false)),
            ms(of(phase, after, true))
        );
    }
    let _ = writeln!(
        md,
        "| during ÷ without | {} / {} | {} / {} |\n",
        ratio(of("during", before, false), of("without", before, false)),
        ratio(of("during", before, true), of("without", before, true)),
        ratio(of("during", after, false), of("without", after, false)),
        ratio(of("during", after, true), of("without", after, true))
    );
}

/// Every run in order, with its phase and the lock samples.
fn windows(md: &mut String, s7: &S7) {
    let _ = writeln!(
        md,
        "Every run, in order:\n\n| run | phase | slice | sent | acknowledged | deliveries | lost | p50 | p99 | max | I/O stalled | generator late | lock waited | most waiting |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    );
    for (k, w) in s7.windows.iter().enumerate() {
        let r = &w.run;
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} of {} | {} | {:.2} ms | {:.2} ms | {:.2} ms | {} | {} | {} of {} | {} |",
            k + 1,
            w.phase,
            w.slice,
            r.sent,
            r.acknowledged,
            r.deliveries,
            r.deliveries_expected,
            r.lost + r.misordered,
            r.latency.p50_ms,
            r.latency.p99_ms,
            r.latency.max_ms,
            or_not_reported(r.io_stalled_ms, "ms"),
            r.schedule_lag_p99_ms.map_or("not measured".to_owned(), |ms| format!("{ms:.2} ms")),
            w.lock_waiting_samples,
            w.lock_samples,
            w.lock_waiting_max
        );
    }
    md.push('\n');
}

/// The end state against what `purge` returned.
fn checks(md: &mut String, s7: &S7) {
    let c = &s7.check;
    let _ = writeln!(
        md,
        "Checks at the end (the database, and the purging replica's own counter): {} messages have `purged_at` \
         (`purge` returned {}); {} purged at or after the last horizon; {} older than it left unpurged; {} purged messages \
         whose `message_created` event in the log still has text; `tutorchat_messages_purged_total{{cause=\"retention\"}}` {}. \
         {}",
        c.purged_rows,
        s7.purged,
        c.newer_purged,
        c.older_left,
        c.log_copies_with_text,
        c.counted.map_or("not read".to_owned(), |v| format!("{v:.0}")),
        if c.exact(s7.purged) { "Exact." } else { "**Not exact.**" }
    );
}

/// Exactness and no delivery lost, judged; the rate and the delivery's cost shown beside it.
fn target(s7: &S7) -> Target {
    let lost: usize = s7.windows.iter().map(|w| w.run.lost + w.run.misordered).sum();
    let without = s7.median_of("without", |r| r.latency.p99_ms);
    let during = s7.median_of("during", |r| r.latency.p99_ms);
    let cost = ratio(during, without);
    Target::new(
        &link("S7", HEADING),
        "S7: retention purges exactly the messages older than its horizon, none newer, and no delivery is lost meanwhile \
         (its rate and its cost to delivery are reported, not judged)"
            .to_owned(),
        format!(
            "{} purged of {} older, {} newer, {} log copies with text, lost {lost}; {:.0} msg/s; delivery p99 {} during \
             against {} without ({cost}, medians)",
            s7.purged,
            s7.slices.iter().map(|s| s.expected).sum::<i64>(),
            s7.check.newer_purged,
            s7.check.log_copies_with_text,
            s7.per_second,
            ms(during),
            ms(without)
        ),
        verdict(s7.check.exact(s7.purged) && lost == 0),
    )
    .against(
        format!("{} purged at {:.0} msg/s, lost {lost}; delivery p99 {} during a purge ({cost})", s7.purged, s7.per_second, ms(during)),
        format!("without a purge: p99 {}", ms(without)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenarios::{Check, Slice, Window};

    fn window(phase: &str, p50: f64, p99: f64, waiting: usize) -> Window {
        Window {
            phase: phase.to_owned(),
            slice: 1,
            run: S2Run {
                rate: 500,
                typing_rate: 0,
                typing_received: 0,
                sent: 5000,
                acknowledged: 5000,
                deliveries_expected: 10000,
                deliveries: 10000,
                lost: 0,
                misordered: 0,
                latency: Percentiles { p50_ms: p50, p99_ms: p99, max_ms: p99 * 2.0 },
                io_stalled_ms: None,
                schedule_lag_p99_ms: None,
                before_append: None,
                after_append: None,
                sockets: vec![],
            },
            lock_samples: 100,
            lock_waiting_samples: waiting,
            lock_waiting_max: i64::from(waiting > 0),
        }
    }

    fn fixture() -> S7 {
        S7 {
            messages: 10_000_000,
            planned: 1_000_000,
            percent: 10,
            after_reads_and_audits: true,
            purged: 1_000_000,
            seconds: 400.0,
            per_second: 2500.0,
            batches: 2000,
            purge_batch: 500,
            purge_pause_ms: 50,
            stopped_by_budget: false,
            slices: vec![
                Slice { before: "a".into(), expected: 500_000, purged: 500_000, seconds: 200.0 },
                Slice { before: "b".into(), expected: 500_000, purged: 500_000, seconds: 200.0 },
            ],
            replicas: 2,
            standby: true,
            rate: 500,
            chats: 1000,
            streams: 2000,
            seconds_per_run: 10.0,
            windows: vec![
                window("without", 0.6, 1.0, 0),
                window("during", 0.9, 4.0, 50),
                window("during", 1.1, 6.0, 70),
                window("partly", 5.0, 500.0, 10),
                window("without", 0.7, 1.2, 0),
            ],
            check: Check { purged_rows: 1_000_000, counted: Some(1_000_000.0), ..Check::default() },
        }
    }

    #[test]
    fn the_section_compares_the_medians_during_and_without_leaving_the_partly_runs_out() {
        let (mut page, s7) = (Page::default(), fixture());
        section(&mut page, &Results::default(), &s7);
        // Medians: p50 1.0 against 0.65, p99 (4 + 6) / 2 = 5 against (1 + 1.2) / 2 = 1.1; the partly
        // run's 500 ms in neither.
        assert!(page.md.contains("| during ÷ without | | ×1.54 | ×4.55 | | | |"), "{}", page.md);
        assert!(
            page.md.contains("| during a purge | 2 | 1.00 ms | 5.00 ms | 12.00 ms | 0 | 60 % of 200 |"),
            "{}",
            page.md
        );
        assert!(page.md.contains("| all | | 1000000 | 1000000 | 400.0 | **2500** |"), "{}", page.md);
        // 2000 batches × 50 ms = 100 s of pauses: the work itself ran at 1e6 / 300 s.
        assert!(page.md.contains("ran at 3333 messages/s"), "{}", page.md);
        assert!(page.md.contains("Exact."), "{}", page.md);
        assert_eq!(page.targets.len(), 1);
        assert_eq!(page.targets[0].verdict, "met");
        assert_eq!(page.targets[0].peer, "without a purge: p99 1.10 ms");
    }

    #[test]
    fn the_split_says_whether_a_purge_lengthens_the_post_or_what_follows_its_append() {
        let (mut page, mut s7) = (Page::default(), fixture());
        let part = |p50: f64, p99: f64| Some(Percentiles { p50_ms: p50, p99_ms: p99, max_ms: p99 });
        for w in &mut s7.windows {
            let during = w.phase != "without";
            w.run.before_append = part(1.0, 10.0);
            w.run.after_append = if during { part(9.0, 90.0) } else { part(3.0, 12.0) };
        }
        section(&mut page, &Results::default(), &s7);
        assert!(page.md.contains("| without a purge | 1.00 ms / 10.00 ms | 3.00 ms / 12.00 ms |"), "{}", page.md);
        assert!(page.md.contains("| during a purge | 1.00 ms / 10.00 ms | 9.00 ms / 90.00 ms |"), "{}", page.md);
        assert!(page.md.contains("| during ÷ without | ×1.00 / ×1.00 | ×3.00 / ×7.50 |"), "{}", page.md);
        // Without the split measured (an older result), no such table.
        let mut page = Page::default();
        section(&mut page, &Results::default(), &fixture());
        assert!(!page.md.contains("POST to append"), "{}", page.md);
    }

    #[test]
    fn a_purge_that_touched_a_newer_message_misses_the_target() {
        let mut s7 = fixture();
        s7.check.newer_purged = 1;
        assert_eq!(target(&s7).verdict, "**missed**");
        let mut s7 = fixture();
        s7.windows[1].run.lost = 1;
        assert_eq!(target(&s7).verdict, "**missed**");
    }

    #[test]
    fn a_budget_that_stopped_the_purge_is_said_in_bold() {
        let mut s7 = fixture();
        (s7.stopped_by_budget, s7.purged) = (true, 500_000);
        let mut page = Page::default();
        section(&mut page, &Results::default(), &s7);
        assert!(page.md.contains("500000 of the 1000000 messages planned were purged"), "{}", page.md);
    }
}
