//! S8's section rendered from a fixture: its tables, its targets, and what it says of them.

use super::*;
use crate::scenarios::{Latency, QueryPlan, QuerySet, Row, Search, WriteCost, WriteFigure};

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
        added: Vec::new(),
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
    assert!(
        md.contains(
            "| common word | teacher | 4 | 200 of 200 | 30.0 ms | 60.0 ms | 90.0 ms | 120.0 ms | 50.0 | 90 % | met |"
        ),
        "{md}"
    );
    assert!(md.contains("| common word | admin | 4 | 12 of 200 (time) | 2000.0 ms | 4000.0 ms |"), "{md}");
    assert!(
        md.contains(
            "| typo | teacher | 4 | 200 of 200 | 125.0 ms | 250.0 ms | 375.0 ms | 500.0 ms | 50.0 | 90 % | **missed** |"
        ),
        "{md}"
    );
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
        md.contains("| one transaction each, 32 senders, msg/s | 500 (480–520) | 600 (590–610) | 0.833 | **missed** |"),
        "{md}"
    );
    assert!(md.contains("| pgbench, 20 per transaction, no product triggers, msg/s | 9.00 (9.00–9.00) | 10.0 (10.0–10.0) | 0.900 | control |"), "{md}");
    let target = page.targets.last().expect("the write target");
    assert_eq!(target.figure, "lowest ×0.83 (2 configurations)");
    assert!(
        target
            .measured
            .contains("controls pgbench, 20 per transaction, no product triggers ×0.90, the generator's ceiling ×1.00"),
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
