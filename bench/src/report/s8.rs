//! S8's section: search on a data set of ten million messages of words, by word frequency and
//! by searcher, from 4 clients and from 1, with the server's plans; then S1 with search and
//! without it, rounds alternating, as ratios. Its targets: one-word search p95 ≤ 100 ms from 4
//! clients (for participants, for their typos, for an admin), and S1 within 10 % of itself
//! without search.

use std::fmt::Write as _;

use super::{Page, Target, figure_median, fmt_figure, link, or_not_reported, rounds_of, rounds_table};
use crate::Results;
use crate::report::median;
use crate::scenarios::{S8, Search, WriteCost, WriteFigure};

const HEADING: &str = "S8 — search";
const WRITES_HEADING: &str = "What search costs the write path";

/// The issue's bound on a one-word search's p95 from 4 clients, and on S1's loss.
const BOUND_MS: f64 = 100.0;
const WITHIN: f64 = 0.90;

pub(super) fn section(page: &mut Page, results: &Results, s8: &S8) {
    let _ = writeln!(page.md, "## {HEADING}\n");
    if let Some(search) = &s8.search {
        data_set(&mut page.md, search);
        queries(&mut page.md, search);
        latencies(&mut page.md, results, search);
        plans(&mut page.md, search);
        rounds_table::after(&mut page.md, results, "s8", "S8");
        search_targets(&mut page.targets, results, search);
    }
    if let Some(writes) = &s8.writes {
        write_cost(&mut page.md, writes, s8.search.as_ref().map_or(8.5, |s| s.words_per_message));
        rounds_table::after(&mut page.md, results, "s8-writes", "S8's write path");
        page.targets.push(write_target(writes));
    }
}

fn megabytes(bytes: i64) -> String {
    format!("{:.0} MB", bytes as f64 / 1e6)
}

/// What was seeded, and how big the search column and index are.
fn data_set(md: &mut String, s: &Search) {
    let _ = writeln!(
        md,
        "{} messages in {} chats, seeded for S8 in {:.0} s: S4's chats, people and memberships (every teacher 500 chats, \
         four in five direct, one in five a group of six), through the log's own triggers, with `messages_search` in place as \
         the messages arrived. S8 seeds its own data set even when S4 runs in the same invocation: S4's messages are one \
         sentence each, and rewriting or doubling its ten million would change what S4 measures. Each message is 3–14 words \
         ({:.1} on average) drawn from a vocabulary of {} words with Zipf frequencies (rank r with probability ∝ 1/r): the \
         first {} real Russian and English words of a tutoring chat, stop words among the most frequent (in the text, not in \
         the index), then made-up words of Russian and Latin syllables, one per rank. `messages` is {} without its indexes (a \
         text of {:.0} bytes on average and its `search` vector {:.0}); `messages_search` is {}. One replica; PostgreSQL's \
         shared_buffers {}.{}\n",
        s.messages,
        s.chats,
        s.seed_seconds,
        s.words_per_message,
        s.vocabulary,
        s.head_words,
        megabytes(s.table_bytes),
        s.content_bytes,
        s.search_bytes,
        megabytes(s.index_bytes),
        if s.shared_buffers.is_empty() { "128MB" } else { &s.shared_buffers },
        smaller(s),
    );
}

/// Said in bold when the data set is not S4's size (`--chats`): a teacher's and a student's
/// chats are the same at any size, but each word's posting list, and what an admin reads,
/// grow with it.
fn smaller(s: &Search) -> String {
    if s.chats == 100_000 {
        return String::new();
    }
    format!(
        " **This data set is {} chats (`--chats {}`), not S4's 100000**: every teacher still has 500 chats of 100 messages \
         and every student theirs, but each word's list in the index, and everything an admin searches, is {:.0} % of \
         what it would be at S4's size.",
        s.chats,
        s.chats,
        s.chats as f64 / 1_000.0
    )
}

/// The query sets: who searched for what, and how much of what they may read it matches.
fn queries(md: &mut String, s: &Search) {
    let _ = writeln!(
        md,
        "The queries, one word each, `limit=20`, best first (the default): the vocabulary's most frequent word that is not a \
         stop word (common), a word of rank 300–3,000 (medium) and one of rank 100,000–500,000 (rare). A participant's medium \
         and rare words are taken from a message they may read, so each of their queries finds something; the admin's come \
         from messages sampled across the data set. A typo is a participant's (or the admin's) medium word with two \
         neighbouring letters swapped, checked to match nothing they may read, so the server falls back to trigram \
         similarity over the newest messages they may read (its `FUZZY_WINDOW`). Matching messages are counted with the \
         search's entitlement (what the searcher may read), every word as a prefix (the most the server finds), for up to \
         20 requests of each set.\n\n\
         | query | searcher | requests | searchers | words | for example | matching messages (median, of the sample) |\n\
         |---|---|---|---|---|---|---|"
    );
    for set in &s.sets {
        let matches = match (set.matches_median(), set.matches.iter().max()) {
            (Some(m), Some(max)) => format!("{m:.0} (up to {max})"),
            _ => "not counted".to_owned(),
        };
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {matches} |",
            crate::scenarios::query_label(&set.query),
            set.searcher,
            set.requests,
            set.searchers,
            set.words,
            set.examples.join(", ")
        );
    }
    md.push('\n');
}

/// "met" or "**missed**" against the bound.
fn within_bound(p95: f64) -> &'static str {
    if p95 <= BOUND_MS { "met" } else { "**missed**" }
}

/// Every timed run of the median round.
fn latencies(md: &mut String, results: &Results, s: &Search) {
    let _ = writeln!(
        md,
        "Each set timed from 4 closed-loop clients, then from 1, each request once after an untimed warm-up of one per \
         client; no request starts after {:.0} s, so the slowest sets time fewer{}. The target (p95 ≤ 100 ms) is on the \
         4-client runs; the 1-client runs are the service time without the two cores' queue.\n\n\
         | query | searcher | clients | requests | p50 | p95 | p99 | max | requests/s | CPU busy | p95 ≤ 100 ms |\n\
         |---|---|---|---|---|---|---|---|---|---|---|",
        s.budget_seconds,
        rounds_of(results, "s8")
    );
    for r in &s.rows {
        let mut requests = format!("{} of {}", r.requests, r.planned);
        if r.stopped() {
            requests.push_str(" (time)");
        }
        if r.errors > 0 {
            let _ = write!(requests, ", **{} failed**", r.errors);
        }
        if r.empty > 0 {
            let _ = write!(requests, ", {} found nothing", r.empty);
        }
        let _ = writeln!(
            md,
            "| {} | {} | {} | {requests} | {:.1} ms | {:.1} ms | {:.1} ms | {:.1} ms | {:.1} | {} | {} |",
            crate::scenarios::query_label(&r.query),
            r.searcher,
            r.clients,
            r.latency.p50_ms,
            r.latency.p95_ms,
            r.latency.p99_ms,
            r.latency.max_ms,
            r.per_second,
            or_not_reported(r.cpu_busy_percent, "%"),
            within_bound(r.latency.p95_ms)
        );
    }
    md.push('\n');
}

/// The server's statements' plans, each as a session of the server that ran it before gets it.
fn plans(md: &mut String, s: &Search) {
    if s.plans.is_empty() {
        return;
    }
    let _ = writeln!(
        md,
        "Plans: `EXPLAIN (ANALYZE, BUFFERS)` of the server's own statements, their text read back from `pg_stat_activity` \
         after the timed runs. The server prepares a search's statement for each request, so PostgreSQL plans it for \
         the request's words and searcher (a statement prepared once per connection would get a generic plan after five \
         runs, which knows neither); so each plan below is the statement prepared and explained once for the request \
         named, under the replicas' session settings, after the first round's runs.\n"
    );
    for p in &s.plans {
        let how = match (p.generic, p.custom_ms) {
            (true, Some(ms)) => format!(
                "the generic plan (planned for its arguments, without a prepared statement, the same search runs in {} ms)",
                fmt_figure(ms)
            ),
            (true, None) => "the generic plan".to_owned(),
            (false, _) => "planned for its arguments".to_owned(),
        };
        let _ = writeln!(md, "{}: {how}.\n\n```\n{}\n```\n", capitalised(&p.what), p.plan.trim_end());
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// A run's p95 over the rounds (the median), or the median round's.
fn p95(results: &Results, s: &Search, query: &str, searcher: &str) -> Option<f64> {
    let row = s.row(query, searcher, 4)?;
    Some(figure_median(results, "s8", &row.figure_name()).unwrap_or(row.latency.p95_ms))
}

/// One target over some of the 4-client runs: their p95s, and which missed.
fn bound_target(
    results: &Results,
    s: &Search,
    goal: String,
    runs: &[(&str, &str)],
    peer: String,
    link: &str,
) -> Option<Target> {
    let measured: Vec<(String, f64)> = runs
        .iter()
        .filter_map(|(query, searcher)| {
            p95(results, s, query, searcher)
                .map(|v| (format!("{searcher}, {}", crate::scenarios::query_label(query)), v))
        })
        .collect();
    if measured.is_empty() {
        return None;
    }
    let figures: Vec<String> = measured.iter().map(|(name, v)| format!("{name} {} ms", fmt_figure(*v))).collect();
    let missed: Vec<&str> = measured.iter().filter(|(_, v)| *v > BOUND_MS).map(|(n, _)| n.as_str()).collect();
    let verdict = if missed.is_empty() {
        "met".to_owned()
    } else if missed.len() == measured.len() {
        "**missed**".to_owned()
    } else {
        format!("**missed** ({})", missed.join("; "))
    };
    let of = rounds_of(results, "s8");
    let text = format!("p95 from 4 clients: {}{of}", figures.join("; "));
    Some(Target::new(link, goal, text.clone(), verdict).against(text, peer))
}

fn search_targets(targets: &mut Vec<Target>, results: &Results, s: &Search) {
    let link = link("S8", HEADING);
    let words = [("common", "student"), ("medium", "student"), ("rare", "student")];
    let teachers = [("common", "teacher"), ("medium", "teacher"), ("rare", "teacher")];
    let participant: Vec<(&str, &str)> = words.into_iter().chain(teachers).collect();
    let one_client = |query: &str, searcher: &str| s.row(query, searcher, 1).map(|r| r.latency.p95_ms);
    let worst_one = |runs: &[(&str, &str)]| {
        runs.iter()
            .filter_map(|(q, who)| one_client(q, who))
            .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))))
    };
    let peer = |runs: &[(&str, &str)]| {
        worst_one(runs).map_or("—".to_owned(), |v| format!("from 1 client: p95 up to {} ms", fmt_figure(v)))
    };
    targets.extend(bound_target(
        results,
        s,
        format!("S8: one-word search p95 ≤ 100 ms from 4 clients, as a participant ({} messages)", s.messages),
        &participant,
        peer(&participant),
        &link,
    ));
    let typos = [("typo", "student"), ("typo", "teacher")];
    targets.extend(bound_target(
        results,
        s,
        "S8: a one-word typo (no word matches: trigram fallback) p95 ≤ 100 ms from 4 clients, as a participant".into(),
        &typos,
        peer(&typos),
        &link,
    ));
    let admin = [("common", "admin"), ("medium", "admin"), ("rare", "admin"), ("typo", "admin")];
    targets.extend(bound_target(
        results,
        s,
        "S8: one-word search p95 ≤ 100 ms from 4 clients, as an admin (every message)".into(),
        &admin,
        peer(&admin),
        &link,
    ));
}

/// A figure search cannot change (the plain table's ceiling, the generator's): a control for
/// the machine's noise, not judged.
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

/// S1 with search and without it, figure by figure (`words`: S8's mean words per message).
fn write_cost(md: &mut String, w: &WriteCost, words: f64) {
    let _ = writeln!(
        md,
        "### {WRITES_HEADING}\n\nS1 as S1 runs it ({} senders, {:.0} s per run; group commit, then one transaction per \
         request, then pgbench), on this build twice: its clusters as they are, and with search dropped (`{}` on each fresh \
         cluster before its load). {} rounds of each, the order alternating round by round. Each figure's median (min–max) \
         and the ratio of the medians; the target is a loss within 10 % (with ÷ without ≥ 0.90). The plain table's ceiling \
         and the generator's cannot change with search: they show how much the machine itself moved. S1's messages are \
         a few words each (\"closed loop 12-345\", pgbench's \"pgbench message\"), so each puts two or three words into \
         the column and the index: what a longer text costs per message (S8's average {:.1} words) is not measured here.\n\n\
         | S1 figure | with search | search dropped | with ÷ without | within 10 % |\n|---|---|---|---|---|",
        w.senders.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(", "),
        w.seconds_per_run,
        w.dropped.join("; "),
        w.rounds,
        words
    );
    for f in &w.figures {
        let ratio = f.ratio().map_or("—".to_owned(), |r| format!("{r:.3}"));
        let verdict = match f.ratio() {
            _ if control(&f.name) => "control".to_owned(),
            Some(r) if r >= WITHIN => "met".to_owned(),
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

/// The judged figures: every one search can change.
fn judged(w: &WriteCost) -> Vec<&WriteFigure> {
    w.figures.iter().filter(|f| !control(&f.name)).collect()
}

fn write_target(w: &WriteCost) -> Target {
    let link = link("S8", WRITES_HEADING);
    let judged = judged(w);
    let ratios: Vec<(String, Option<f64>)> =
        judged.iter().map(|f| (f.name.trim_end_matches(", msg/s").to_owned(), f.ratio())).collect();
    let missed: Vec<&str> =
        ratios.iter().filter(|(_, r)| r.is_none_or(|r| r < WITHIN)).map(|(n, _)| n.as_str()).collect();
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
        "S8: search costs S1 (write throughput) at most 10 % (with ÷ without search ≥ 0.90 in each configuration)"
            .into(),
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
        "S1 on the same build with search dropped, rounds alternating".to_owned(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenarios::{Latency, QueryPlan, QuerySet, Row};

    fn row(query: &str, searcher: &str, clients: usize, p95: f64) -> Row {
        Row {
            query: query.into(),
            searcher: searcher.into(),
            clients,
            planned: 200,
            requests: 200,
            errors: 0,
            empty: 0,
            latency: Latency { p50_ms: p95 / 2.0, p95_ms: p95, p99_ms: p95 * 1.5, max_ms: p95 * 2.0 },
            per_second: 50.0,
            cpu_busy_percent: Some(90.0),
        }
    }

    fn fixture() -> S8 {
        let mut rows = Vec::new();
        for (query, searcher, p95) in [
            ("common", "student", 8.0),
            ("medium", "student", 5.0),
            ("rare", "student", 4.0),
            ("common", "teacher", 60.0),
            ("medium", "teacher", 20.0),
            ("rare", "teacher", 15.0),
            ("common", "admin", 4000.0),
            ("medium", "admin", 30.0),
            ("rare", "admin", 6.0),
            ("typo", "student", 10.0),
            ("typo", "teacher", 250.0),
            ("typo", "admin", 180.0),
        ] {
            rows.push(row(query, searcher, 4, p95));
            rows.push(row(query, searcher, 1, p95 / 3.0));
        }
        rows[12].requests = 12; // the admin's common word from 4 clients: out of time
        let search = Search {
            messages: 10_000_000,
            chats: 100_000,
            seed_seconds: 900.0,
            vocabulary: 500_000,
            head_words: 308,
            words_per_message: 8.5,
            table_bytes: 3_000_000_000,
            index_bytes: 900_000_000,
            content_bytes: 80.0,
            search_bytes: 110.0,
            shared_buffers: "128MB".into(),
            budget_seconds: 20.0,
            sets: vec![QuerySet {
                query: "common".into(),
                searcher: "teacher".into(),
                requests: 100,
                searchers: 100,
                words: 1,
                examples: vec!["урок".into()],
                matches: vec![13_000, 14_000, 12_500],
            }],
            rows,
            plans: vec![QueryPlan {
                what: "a teacher searches («урок»), after 5 × common word as student".into(),
                plan: "Limit\n  ->  Sort".into(),
                generic: true,
                custom_ms: Some(9.5),
            }],
        };
        let figure = |name: &str, with: [f64; 3], without: [f64; 3]| WriteFigure {
            name: name.into(),
            with: with.to_vec(),
            without: without.to_vec(),
        };
        let writes = WriteCost {
            with: "abc, with search".into(),
            without: "abc, search dropped".into(),
            dropped: vec!["DROP INDEX messages_search".into(), "ALTER TABLE messages DROP COLUMN search".into()],
            rounds: 3,
            seconds_per_run: 10.0,
            senders: vec![32, 64, 128],
            figures: vec![
                figure("group commit, 128 senders, msg/s", [3900.0, 4000.0, 3800.0], [4100.0, 4000.0, 4200.0]),
                figure("one transaction each, 32 senders, msg/s", [500.0, 520.0, 480.0], [600.0, 610.0, 590.0]),
                figure("pgbench, 20 per transaction, no product triggers, msg/s", [9.0, 9.0, 9.0], [10.0, 10.0, 10.0]),
                figure("the generator's ceiling, requests/s", [1.0, 1.0, 1.0], [1.0, 1.0, 1.0]),
            ],
        };
        S8 { search: Some(search), writes: Some(writes) }
    }

    #[test]
    fn every_run_is_judged_on_its_p95_and_a_run_out_of_time_says_so() {
        let mut page = Page::default();
        section(&mut page, &Results::default(), &fixture());
        let md = &page.md;
        assert!(md.contains("| common word | teacher | 4 | 200 of 200 | 30.0 ms | 60.0 ms | 90.0 ms | 120.0 ms | 50.0 | 90 % | met |"), "{md}");
        assert!(md.contains("| common word | admin | 4 | 12 of 200 (time) | 2000.0 ms | 4000.0 ms |"), "{md}");
        assert!(md.contains("| typo | teacher | 4 | 200 of 200 | 125.0 ms | 250.0 ms | 375.0 ms | 500.0 ms | 50.0 | 90 % | **missed** |"), "{md}");
        assert!(md.contains("| common word | teacher | 100 | 100 | 1 | урок | 13000 (up to 14000) |"), "{md}");
        assert!(
            md.contains(
                "A teacher searches («урок»), after 5 × common word as student: the generic plan (planned for its \
                 arguments, without a prepared statement, the same search runs in 9.50 ms).\n\n```\nLimit\n  ->  Sort\n```"
            ),
            "{md}"
        );
    }

    #[test]
    fn the_targets_name_the_runs_that_missed() {
        let mut page = Page::default();
        section(&mut page, &Results::default(), &fixture());
        let verdicts: Vec<(&str, &str)> = page.targets.iter().map(|t| (t.goal.as_str(), t.verdict.as_str())).collect();
        assert_eq!(verdicts.len(), 4, "{verdicts:?}");
        assert_eq!(verdicts[0].1, "met");
        assert_eq!(verdicts[1].1, "**missed** (teacher, typo)");
        assert_eq!(verdicts[2].1, "**missed** (admin, common word; admin, typo)");
        assert_eq!(verdicts[3].1, "**missed** (one transaction each, 32 senders)");
        assert_eq!(page.targets[0].peer, "from 1 client: p95 up to 20.0 ms");
        assert!(
            page.targets[0].figure.starts_with("p95 from 4 clients: student, common word 8.00 ms;"),
            "{}",
            page.targets[0].figure
        );
    }

    #[test]
    fn the_write_path_is_shown_as_ratios_of_medians_and_the_controls_are_not_judged() {
        let mut page = Page::default();
        section(&mut page, &Results::default(), &fixture());
        let md = &page.md;
        // 3900 ÷ 4100 = 0.951: within 10 %; 500 ÷ 600 = 0.833: not.
        assert!(
            md.contains("| group commit, 128 senders, msg/s | 3900 (3800–4000) | 4100 (4000–4200) | 0.951 | met |"),
            "{md}"
        );
        assert!(
            md.contains(
                "| one transaction each, 32 senders, msg/s | 500 (480–520) | 600 (590–610) | 0.833 | **missed** |"
            ),
            "{md}"
        );
        assert!(md.contains("| pgbench, 20 per transaction, no product triggers, msg/s | 9.00 (9.00–9.00) | 10.0 (10.0–10.0) | 0.900 | control |"), "{md}");
        let target = page.targets.last().expect("the write target");
        assert_eq!(target.figure, "lowest ×0.83 (2 configurations)");
        assert!(
            target.measured.contains(
                "controls pgbench, 20 per transaction, no product triggers ×0.90, the generator's ceiling ×1.00"
            ),
            "{}",
            target.measured
        );
    }

    #[test]
    fn a_data_set_smaller_than_s4s_is_said_in_bold() {
        let mut s8 = fixture();
        let mut page = Page::default();
        section(&mut page, &Results::default(), &s8);
        assert!(!page.md.contains("not S4's"), "{}", page.md);
        s8.search.as_mut().expect("search").chats = 20_000;
        let mut page = Page::default();
        section(&mut page, &Results::default(), &s8);
        assert!(page.md.contains("**This data set is 20000 chats (`--chats 20000`), not S4's 100000**"), "{}", page.md);
        assert!(page.md.contains("is 20 % of what it would be"), "{}", page.md);
    }

    #[test]
    fn a_section_with_only_the_write_path_has_only_its_target() {
        let mut s8 = fixture();
        s8.search = None;
        let mut page = Page::default();
        section(&mut page, &Results::default(), &s8);
        assert_eq!(page.targets.len(), 1);
        assert!(page.md.contains(&format!("### {WRITES_HEADING}")));
    }
}
