//! The query sets: who searches for which word (one they may read), and how much it matches.

use tokio_postgres::Client;

use super::words::{MEDIUM, RARE, escape, typo};
use super::{Plan, QuerySet};
use crate::load;

/// A searcher: a user id (none: the admin) and a token.
#[derive(Clone)]
pub(super) struct Searcher {
    pub(super) id: Option<i64>,
    pub(super) token: String,
}

/// One request of a set: who asks for which word.
#[derive(Clone)]
pub(super) struct Request {
    pub(super) searcher: Searcher,
    pub(super) word: String,
}

impl Request {
    pub(super) fn path(&self) -> (String, String) {
        (format!("/api/search?q={}&limit=20", escape(&self.word)), self.searcher.token.clone())
    }
}

/// The server's query of the words `$1`, every word a prefix (what it finds at most):
/// `search_query($1)` where it takes the words alone, `search_query($1, true)` where it also
/// takes whether to match prefixes (since a14b8fe).
pub(super) async fn prefix_query(sql: &Client) -> anyhow::Result<&'static str> {
    let arguments: Option<i16> =
        sql.query_one("SELECT max(pronargs) FROM pg_proc WHERE proname = 'search_query'", &[]).await?.get(0);
    Ok(if arguments == Some(1) { "search_query($1)" } else { "search_query($1, true)" })
}

/// Every query set: (query, searcher, requests), in the report's order.
pub(super) async fn query_sets(
    sql: &Client,
    plan: &Plan,
    words: &str,
) -> anyhow::Result<Vec<(&'static str, &'static str, Vec<Request>)>> {
    let common: String = sql
        .query_one(
            &format!(
                "SELECT word FROM bench_words WHERE numnode({}) > 0 ORDER BY rank LIMIT 1",
                words.replace("$1", "word")
            ),
            &[],
        )
        .await?
        .get(0);
    let admin = Searcher { id: None, token: load::seed_admin(sql, "bench-admin-s8@bench").await? };
    let sample = |role: &str, n: usize| {
        format!(
            "SELECT u.id FROM users u WHERE u.role = '{role}' AND u.email LIKE 'bench-{role}-%'
               AND EXISTS (SELECT 1 FROM chat_memberships p WHERE p.user_id = u.id)
             ORDER BY random() LIMIT {n}"
        )
    };
    let mut sets = Vec::new();
    let mut typos = Vec::new();
    for (searcher, n) in [("student", plan.searchers), ("teacher", plan.searchers / 2)] {
        let people: Vec<Searcher> = sql
            .query(&sample(searcher, n), &[])
            .await?
            .iter()
            .map(|r| {
                let id: i64 = r.get(0);
                Searcher { id: Some(id), token: load::token(id) }
            })
            .collect();
        anyhow::ensure!(!people.is_empty(), "S8: no {searcher} in a chat");
        let mut medium = Vec::new();
        let mut rare = Vec::new();
        for person in &people {
            for (band, into) in [(MEDIUM, &mut medium), (RARE, &mut rare)] {
                if let Some(word) = word_read_by(sql, person.id, band).await? {
                    into.push(Request { searcher: person.clone(), word });
                }
            }
        }
        let mut typo_requests = Vec::new();
        for r in &medium {
            let word = typo(&r.word);
            if matching(sql, words, r.searcher.id, &word).await? == 0 {
                typo_requests.push(Request { searcher: r.searcher.clone(), word });
            }
        }
        // The common word to those who may read it: in a small data set some may not.
        let mut common_requests = Vec::new();
        for person in &people {
            if matching(sql, words, person.id, &common).await? > 0 {
                common_requests.push(Request { searcher: person.clone(), word: common.clone() });
            }
        }
        sets.push(("common", searcher, common_requests));
        sets.push(("medium", searcher, medium));
        sets.push(("rare", searcher, rare));
        typos.push((searcher, typo_requests));
    }
    // The admin's words, from messages sampled across the data set.
    let n = plan.searchers / 2;
    let mut admin_sets = vec![("common", vec![Request { searcher: admin.clone(), word: common.clone() }; n])];
    let mut admin_medium = Vec::new();
    for (query, band) in [("medium", MEDIUM), ("rare", RARE)] {
        let words = words_sampled(sql, band, n).await?;
        let requests: Vec<Request> = words.into_iter().map(|word| Request { searcher: admin.clone(), word }).collect();
        if query == "medium" {
            admin_medium = requests.clone();
        }
        admin_sets.push((query, requests));
    }
    let mut admin_typos = Vec::new();
    for r in &admin_medium {
        let word = typo(&r.word);
        if matching(sql, words, None, &word).await? == 0 {
            admin_typos.push(Request { searcher: admin.clone(), word });
        }
    }
    typos.push(("admin", admin_typos));
    // Common, medium, rare for students, teachers, the admin; then the typos.
    let mut ordered = Vec::new();
    for query in ["common", "medium", "rare"] {
        for (q, searcher, requests) in sets.iter().filter(|(q, _, _)| *q == query) {
            ordered.push((*q, *searcher, requests.clone()));
        }
        for (q, requests) in admin_sets.iter().filter(|(q, _)| *q == query) {
            ordered.push((*q, "admin", requests.clone()));
        }
    }
    for (searcher, requests) in typos {
        ordered.push(("typo", searcher, requests));
    }
    for (query, searcher, requests) in &ordered {
        anyhow::ensure!(!requests.is_empty(), "S8: no {query} words for {searcher}s");
    }
    Ok(ordered)
}

/// The messages `user` may read (all for `None`), as the server entitles them: for the
/// queries' choice and counts only (the timed statements are the server's own).
fn readable(user: Option<i64>) -> String {
    match user {
        Some(id) => format!(
            "chat_memberships p JOIN messages m ON m.chat_id = p.chat_id
               AND m.position BETWEEN p.from_position AND coalesce(p.to_position, 9223372036854775807)
             WHERE p.user_id = {id} AND NOT m.is_deleted AND m.hidden_at IS NULL AND m.purged_at IS NULL"
        ),
        None => "messages m WHERE NOT m.is_deleted AND m.hidden_at IS NULL AND m.purged_at IS NULL".to_owned(),
    }
}

/// A word of rank within `band` from one of 50 random messages `user` may read.
async fn word_read_by(sql: &Client, user: Option<i64>, band: (i64, i64)) -> anyhow::Result<Option<String>> {
    let row = sql
        .query_opt(
            &format!(
                "SELECT w.word FROM (SELECT m.content FROM {} ORDER BY random() LIMIT 50) m
                 CROSS JOIN LATERAL regexp_split_to_table(m.content, ' ') t(word)
                 JOIN bench_words w ON w.word = t.word
                 WHERE w.rank BETWEEN $1::bigint AND $2::bigint ORDER BY random() LIMIT 1",
                readable(user)
            ),
            &[&band.0, &band.1],
        )
        .await?;
    Ok(row.map(|r| r.get(0)))
}

/// The share of `messages`' pages to sample for about 20,000 messages, in percent.
pub(super) fn sample_percent(messages: i64) -> f32 {
    (100.0 * 20_000.0 / messages.max(1) as f32).min(100.0)
}

/// `n` different words of rank within `band` from messages sampled across the data set.
async fn words_sampled(sql: &Client, band: (i64, i64), n: usize) -> anyhow::Result<Vec<String>> {
    let messages: i64 = sql.query_one("SELECT count(*) FROM messages", &[]).await?.get(0);
    let rows = sql
        .query(
            "SELECT word FROM (
                 SELECT DISTINCT w.word FROM (SELECT content FROM messages TABLESAMPLE SYSTEM ($4)) m
                 CROSS JOIN LATERAL regexp_split_to_table(m.content, ' ') t(word)
                 JOIN bench_words w ON w.word = t.word
                 WHERE w.rank BETWEEN $1::bigint AND $2::bigint) d
             ORDER BY random() LIMIT $3",
            &[&band.0, &band.1, &(n as i64), &sample_percent(messages)],
        )
        .await?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// How many messages `user` may read (all: `None`) match `word` as the search's query does
/// with every word a prefix (`words`, see [`prefix_query`]): the most it finds.
async fn matching(sql: &Client, words: &str, user: Option<i64>, word: &str) -> anyhow::Result<i64> {
    let query = format!("SELECT count(*) FROM {} AND m.search @@ {words}", readable(user));
    Ok(sql.query_one(&query, &[&word]).await?.get(0))
}

/// A set's description, with the matches of up to 20 of its requests (each distinct pair once).
pub(super) async fn summarise(
    sql: &Client,
    words: &str,
    query: &str,
    searcher: &str,
    requests: &[Request],
) -> anyhow::Result<QuerySet> {
    let mut pairs: Vec<(Option<i64>, &str)> = requests.iter().map(|r| (r.searcher.id, r.word.as_str())).collect();
    pairs.dedup();
    let mut matches = Vec::new();
    for (user, word) in pairs.iter().take(20) {
        matches.push(matching(sql, words, *user, word).await?);
    }
    let mut searchers: Vec<Option<i64>> = requests.iter().map(|r| r.searcher.id).collect();
    searchers.sort();
    searchers.dedup();
    let mut words: Vec<&str> = requests.iter().map(|r| r.word.as_str()).collect();
    let examples: Vec<String> = {
        let mut seen = Vec::new();
        for w in &words {
            if !seen.contains(w) && seen.len() < 3 {
                seen.push(*w);
            }
        }
        seen.iter().map(|w| w.to_string()).collect()
    };
    words.sort();
    words.dedup();
    Ok(QuerySet {
        query: query.to_owned(),
        searcher: searcher.to_owned(),
        requests: requests.len(),
        searchers: searchers.len(),
        words: words.len(),
        examples,
        matches,
    })
}
