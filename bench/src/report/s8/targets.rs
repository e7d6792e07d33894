//! S8's search targets: a one-word search's p95 from 4 clients within the bound, by searcher.

use super::{BOUND_MS, HEADING};
use crate::Results;
use crate::report::{Target, figure_median, fmt_figure, link, rounds_of};
use crate::scenarios::Search;

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

pub(super) fn search_targets(targets: &mut Vec<Target>, results: &Results, s: &Search) {
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
