//! S8's search in the report: the data set, the query sets, every timed run and the plans.

use std::fmt::Write as _;

use super::BOUND_MS;
use crate::Results;
use crate::report::{fmt_figure, or_not_reported, rounds_of};
use crate::scenarios::Search;

fn megabytes(bytes: i64) -> String {
    format!("{:.0} MB", bytes as f64 / 1e6)
}

/// What was seeded, and how big the search column and index are.
pub(super) fn data_set(md: &mut String, s: &Search) {
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
pub(super) fn queries(md: &mut String, s: &Search) {
    let _ = writeln!(
        md,
        "The queries, one word each, `limit=20`, best first (the default): the vocabulary's most frequent word that is not a \
         stop word (common), a word of rank 300–3,000 (medium) and one of rank 100,000–500,000 (rare). A participant's medium \
         and rare words are taken from a message they may read, and the common word is asked by those who may read a \
         message with it, so each of their queries finds something; the admin's come \
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
pub(super) fn latencies(md: &mut String, results: &Results, s: &Search) {
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
pub(super) fn plans(md: &mut String, s: &Search) {
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
