//! What S8 measures and keeps: its plan, the query sets, each timed run, the plans, the write cost.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::report::median;
use crate::rounds::{Figure, Figures, Repeated, Rounds, figure};

/// What S8 measures, and how long each timed run may take.
#[derive(Debug, Clone)]
pub struct Plan {
    pub chats: i64,
    pub per_chat: i64,
    pub repeat: usize,
    /// Students sampled (each one request per kind); teachers and the admin's words: half as many.
    pub searchers: usize,
    /// No request of a timed run starts after this long (the slowest kinds stop early).
    pub budget: Duration,
    pub search: bool,
    /// S1 with and without search: its seconds per run and sender counts.
    pub writes: Option<(Duration, Vec<usize>)>,
}

/// Latency percentiles with the 95th, which the target is on.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct Latency {
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl Latency {
    /// Nearest-rank percentiles, as `load::percentiles` takes them.
    pub fn of(mut samples: Vec<Duration>) -> Self {
        if samples.is_empty() {
            return Self::default();
        }
        samples.sort();
        let at = |q: f64| {
            samples[((samples.len() as f64 * q).ceil() as usize).clamp(1, samples.len()) - 1].as_secs_f64() * 1e3
        };
        Self { p50_ms: at(0.50), p95_ms: at(0.95), p99_ms: at(0.99), max_ms: at(1.0) }
    }
}

/// The requests of one kind of query by one kind of searcher.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct QuerySet {
    /// "common", "medium", "rare" or "typo".
    pub query: String,
    /// "student", "teacher" or "admin".
    pub searcher: String,
    pub requests: usize,
    pub searchers: usize,
    pub words: usize,
    /// A few of its words.
    pub examples: Vec<String>,
    /// How many messages the query matches among those the searcher may read, for a sample of
    /// the requests.
    pub matches: Vec<i64>,
}

impl QuerySet {
    pub fn matches_median(&self) -> Option<f64> {
        median(self.matches.iter().map(|&m| m as f64).collect())
    }
}

/// One timed run: a query set from `clients` closed-loop clients.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Row {
    pub query: String,
    pub searcher: String,
    pub clients: usize,
    /// Requests in the set, and those timed (answered 200) before the budget ran out.
    pub planned: usize,
    pub requests: usize,
    pub errors: usize,
    /// Answered with no result.
    pub empty: usize,
    pub latency: Latency,
    pub per_second: f64,
    pub cpu_busy_percent: Option<f64>,
}

impl Row {
    /// Its key figure's name (the rounds table's row).
    pub fn figure_name(&self) -> String {
        let clients = if self.clients == 1 { "1 client".to_owned() } else { format!("{} clients", self.clients) };
        format!("p95, {} as {}, {clients}, ms", query_label(&self.query), self.searcher)
    }

    /// Cut short by the budget.
    pub fn stopped(&self) -> bool {
        self.requests + self.errors < self.planned
    }
}

/// "common word", "typo" …
pub fn query_label(query: &str) -> String {
    if query == "typo" { "typo".to_owned() } else { format!("{query} word") }
}

/// One round of S8's searches on its data set.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Search {
    pub messages: i64,
    pub chats: i64,
    pub seed_seconds: f64,
    pub vocabulary: i64,
    pub head_words: usize,
    pub words_per_message: f64,
    /// `messages` (its table, without indexes), the `messages_search` index, and the mean size
    /// of a message's text and of its `search` vector (sampled).
    pub table_bytes: i64,
    pub index_bytes: i64,
    pub content_bytes: f64,
    pub search_bytes: f64,
    pub shared_buffers: String,
    pub budget_seconds: f64,
    pub sets: Vec<QuerySet>,
    pub rows: Vec<Row>,
    pub plans: Vec<QueryPlan>,
}

/// The plan of one of the server's statements for one request, as a session of the server
/// that had run it before gets it (see [`explain_prepared`](super::plans::explain_prepared)).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct QueryPlan {
    /// What it is of: the request, and the requests run before it.
    pub what: String,
    /// `EXPLAIN (ANALYZE, BUFFERS) EXECUTE`.
    pub plan: String,
    /// Whether PostgreSQL ran it with its generic plan (else one planned for its parameters).
    pub generic: bool,
    /// The same request planned for its parameters (no prepared statement), when the plan
    /// above is generic: its execution time.
    pub custom_ms: Option<f64>,
}

impl Search {
    pub fn row(&self, query: &str, searcher: &str, clients: usize) -> Option<&Row> {
        self.rows.iter().find(|r| r.query == query && r.searcher == searcher && r.clients == clients)
    }

    pub fn set(&self, query: &str, searcher: &str) -> Option<&QuerySet> {
        self.sets.iter().find(|s| s.query == query && s.searcher == searcher)
    }
}

impl Figures for Search {
    /// Each run's p95; a teacher's common word from 4 clients (the slowest participant's
    /// query) first, to rank the rounds.
    fn figures(&self) -> Vec<Figure> {
        let first = self.row("common", "teacher", 4);
        first
            .into_iter()
            .chain(self.rows.iter().filter(|r| !first.is_some_and(|f| std::ptr::eq(f, *r))))
            .map(|r| figure(r.figure_name(), r.latency.p95_ms))
            .collect()
    }
}

/// One of S1's figures in every round, with search and without.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WriteFigure {
    pub name: String,
    pub with: Vec<f64>,
    pub without: Vec<f64>,
}

impl WriteFigure {
    /// The median with search over the median without.
    pub fn ratio(&self) -> Option<f64> {
        let (with, without) = (median(self.with.clone())?, median(self.without.clone())?);
        (without > 0.0).then(|| with / without)
    }
}

/// S1 with a part of the product and without it (search: S8; flagging: S9), rounds alternating.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WriteCost {
    pub with: String,
    pub without: String,
    /// What was run on each cluster of `with` before its load.
    #[serde(default)]
    pub added: Vec<String>,
    /// What was run on each cluster of `without` before its load.
    pub dropped: Vec<String>,
    pub rounds: usize,
    pub seconds_per_run: f64,
    pub senders: Vec<usize>,
    pub figures: Vec<WriteFigure>,
}

/// S8's results: the searches (the median round) and the write path's cost, each kept from
/// the last run that measured it (`--only s8s` or `s8w` runs one).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct S8 {
    pub search: Option<Search>,
    pub writes: Option<WriteCost>,
}

/// What a run of S8 measured: the searches' rounds, and S1's rounds of both variants.
pub struct Measured {
    pub search: Option<Repeated<Search>>,
    pub writes: Option<(WriteCost, Rounds)>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenarios::s8::words::{VOCABULARY, head};

    #[test]
    fn the_percentiles_are_nearest_rank_with_the_95th() {
        let samples: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        let l = Latency::of(samples);
        assert_eq!((l.p50_ms, l.p95_ms, l.p99_ms, l.max_ms), (50.0, 95.0, 99.0, 100.0));
        // Few samples: the 95th is the largest of ten.
        let l = Latency::of((1..=10).map(Duration::from_millis).collect());
        assert_eq!((l.p50_ms, l.p95_ms), (5.0, 10.0));
        assert_eq!(Latency::of(vec![]).max_ms, 0.0);
    }

    #[test]
    fn the_rounds_are_ranked_by_a_teachers_common_word_from_four_clients() {
        let row = |query: &str, searcher: &str, clients, p95| Row {
            query: query.into(),
            searcher: searcher.into(),
            clients,
            planned: 10,
            requests: 10,
            errors: 0,
            empty: 0,
            latency: Latency { p50_ms: 1.0, p95_ms: p95, p99_ms: p95, max_ms: p95 },
            per_second: 1.0,
            cpu_busy_percent: None,
        };
        let search = Search {
            messages: 1,
            chats: 1,
            seed_seconds: 1.0,
            vocabulary: VOCABULARY,
            head_words: head().len(),
            words_per_message: 8.5,
            table_bytes: 0,
            index_bytes: 0,
            content_bytes: 0.0,
            search_bytes: 0.0,
            shared_buffers: "128MB".into(),
            budget_seconds: 20.0,
            sets: vec![],
            rows: vec![
                row("common", "student", 4, 3.0),
                row("common", "teacher", 4, 40.0),
                row("typo", "admin", 1, 9.0),
            ],
            plans: vec![],
        };
        let names: Vec<String> = search.figures().into_iter().map(|f| f.name).collect();
        assert_eq!(
            names,
            [
                "p95, common word as teacher, 4 clients, ms",
                "p95, common word as student, 4 clients, ms",
                "p95, typo as admin, 1 client, ms"
            ]
        );
    }

    #[test]
    fn a_write_figures_ratio_is_of_the_medians() {
        let f = WriteFigure { name: "x".into(), with: vec![90.0, 100.0, 80.0], without: vec![100.0, 120.0, 110.0] };
        assert_eq!(f.ratio(), Some(90.0 / 110.0));
        assert_eq!(WriteFigure { name: "x".into(), with: vec![1.0], without: vec![] }.ratio(), None);
    }
}
