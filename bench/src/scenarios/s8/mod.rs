//! S8: search (`GET /api/search`) on a data set of S4's shape whose messages are words, and
//! what the search column and its index cost the write path.
//!
//! S4's messages are one sentence with a number, useless for search, so S8 seeds a data set of
//! its own, always (also when S4 runs in the same invocation): the same chats, people and
//! memberships as S4's (`s4::seed`, through the log's own triggers, so positions, the
//! projection and the generated `search` column are the product's own, and the
//! `messages_search` index grows as the messages arrive), but each message 3–14 words drawn
//! from a vocabulary of [`VOCABULARY`](words::VOCABULARY) words with a Zipf frequency (word of rank r with
//! probability ∝ 1/r): first the 308 real Russian and English words of a tutoring chat in [`HEAD`](words::HEAD)
//! (stop words among them, as in real text), then made-up words of Russian and Latin
//! syllables, one per rank. Sharing S4's data set instead would mean rewriting the text of its
//! ten million messages (as long as seeding, and ten million dead rows in its table and index
//! under S4's reads) or adding ten million more (S4's figures would then be at twice its size).
//!
//! The queries are one word each, of three frequencies: the vocabulary's most frequent word
//! that is not a stop word (in about a quarter of all messages), a word of rank
//! [`MEDIUM`](words::MEDIUM) and one of rank [`RARE`](words::RARE). A participant searches for a word taken from a message
//! they may read (people look for what they remember), so every participant's query finds
//! something; an admin's words come from messages sampled across the data set. A typo query is
//! a participant's medium word with two neighbouring letters swapped, checked to match nothing
//! they may read, so the server tries it again by trigram similarity (its fallback for one
//! word). Each kind is timed from 4 clients and from 1, for students (a chat or a few), for
//! teachers (500 chats each) and for an admin (everything).
//!
//! The plans are `EXPLAIN (ANALYZE, BUFFERS)` of the server's own statements, written out in
//! `src/api/search/sql.rs` and taken from there (`tutorchat::api::SEARCH_STATEMENTS`), so
//! nothing of them is copied here but the typo threshold the plans pass. Each is taken as a session of the server
//! gets it: prepared, run for the requests the server ran it for first, then explained, since
//! after five executions PostgreSQL may keep a generic plan (see [`explain_prepared`](plans::explain_prepared)).
//!
//! The write path: S1, in rounds, on this build twice, its clusters as they are and with the
//! column and index dropped before the load (`setup_sql`), the order alternating round by round.

use std::time::Duration;

use super::{Cluster, Server};
use crate::rounds::{Repeated, Rounds};

mod plans;
mod queries;
mod results;
mod runs;
mod words;

pub use results::{Latency, Measured, Plan, QueryPlan, QuerySet, Row, S8, Search, WriteCost, WriteFigure, query_label};

/// The statements that take search out of a fresh cluster, for S1 without it.
pub const DROP_SEARCH: [&str; 2] = ["DROP INDEX messages_search", "ALTER TABLE messages DROP COLUMN search"];

pub async fn s8(this: &Server, plan: &Plan) -> anyhow::Result<Measured> {
    let search = if plan.search { Some(search(this, plan).await?) } else { None };
    let writes = match &plan.writes {
        Some((run, senders)) => Some(writes(this, plan.repeat, *run, senders).await?),
        None => None,
    };
    Ok(Measured { search, writes })
}

/// S1 on `this`, as it is and with search dropped, `repeat` rounds each, alternating.
async fn writes(this: &Server, repeat: usize, run: Duration, senders: &[usize]) -> anyhow::Result<(WriteCost, Rounds)> {
    super::write_cost(this, repeat, run, senders, ("with search", &[]), ("search dropped", &DROP_SEARCH)).await
}

/// The searches: a cluster of one replica on a data set seeded for S8, `repeat` rounds.
async fn search(this: &Server, plan: &Plan) -> anyhow::Result<Repeated<Search>> {
    let cluster = Cluster::start_on(this, 1, &[]).await?;
    let outcome = runs::search_on(&cluster, this, plan).await;
    cluster.stop().await;
    outcome
}
