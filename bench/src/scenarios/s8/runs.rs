//! The searches' rounds: the data set seeded and sized, every query set timed, statements kept.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::plans::{explain_all, statements};
use super::queries::{Request, prefix_query, query_sets, sample_percent, summarise};
use super::words::{VOCABULARY, content_sql, head, vocabulary_sql};
use super::{Cluster, Latency, Plan, Row, Search, Server, query_label};
use crate::load;
use crate::rounds::{Figures, Repeated, Usage};

pub(super) async fn search_on(cluster: &Cluster, this: &Server, plan: &Plan) -> anyhow::Result<Repeated<Search>> {
    let sql = &cluster.sql;
    let seeding = Instant::now();
    crate::scenarios::s4::seed(sql, 0, plan.chats, plan.per_chat, &content_sql(), "S8").await?;
    let seed_seconds = seeding.elapsed().as_secs_f64();
    sql.batch_execute(&vocabulary_sql()).await?;
    let messages: i64 = sql.query_one("SELECT count(*) FROM messages", &[]).await?.get(0);
    let sizes = sql
        .query_one(
            "SELECT pg_table_size('messages'), pg_relation_size('messages_search'),
                    coalesce(avg(pg_column_size(content))::float8, 0), coalesce(avg(pg_column_size(search))::float8, 0),
                    coalesce(avg(array_length(regexp_split_to_array(content, ' '), 1))::float8, 0),
                    current_setting('shared_buffers')
             FROM messages TABLESAMPLE SYSTEM ($1)",
            &[&sample_percent(messages)],
        )
        .await?;
    let shared_buffers: String = sizes.get(5);
    eprintln!(
        "S8 seeded {messages} messages in {} chats in {seed_seconds:.0} s; messages {} MB, messages_search {} MB",
        plan.chats,
        sizes.get::<_, i64>(0) / 1_000_000,
        sizes.get::<_, i64>(1) / 1_000_000
    );

    let words = prefix_query(sql).await?;
    let sets = query_sets(sql, plan, words).await?;
    let mut summaries = Vec::new();
    for (query, searcher, requests) in &sets {
        let summary = summarise(sql, words, query, searcher, requests).await?;
        eprintln!(
            "S8 {query} words for {searcher}s: {} requests, {} searchers, {} words (e.g. {}); matching messages (median of {}): {:?}",
            summary.requests,
            summary.searchers,
            summary.words,
            summary.examples.join(", "),
            summary.matches.len(),
            summary.matches_median()
        );
        summaries.push(summary);
    }

    let url = &cluster.urls[0];
    let statements = statements();
    let mut result = Repeated::new(this, None);
    let mut plans = Vec::new();
    for round in 0..plan.repeat.max(1) {
        let usage = Usage::start();
        let mut rows = Vec::new();
        for (query, searcher, requests) in &sets {
            let paths: Vec<(String, String)> = requests.iter().map(Request::path).collect();
            for clients in [4, 1] {
                let row = timed(url, query, searcher, &paths, clients, plan.budget).await;
                eprintln!(
                    "S8 round {}: {} as {searcher} from {clients}: {} of {} requests, p50 {:.1} ms p95 {:.1} ms p99 {:.1} ms max {:.1} ms; {} errors, {} empty",
                    round + 1,
                    query_label(query),
                    row.requests,
                    row.planned,
                    row.latency.p50_ms,
                    row.latency.p95_ms,
                    row.latency.p99_ms,
                    row.latency.max_ms,
                    row.errors,
                    row.empty
                );
                rows.push(row);
            }
        }
        if round == 0 {
            plans = explain_all(sql, &statements, &sets).await?;
        }
        let search = Search {
            messages,
            chats: plan.chats,
            seed_seconds,
            vocabulary: VOCABULARY,
            head_words: head().len(),
            words_per_message: sizes.get(4),
            table_bytes: sizes.get(0),
            index_bytes: sizes.get(1),
            content_bytes: sizes.get(2),
            search_bytes: sizes.get(3),
            shared_buffers: shared_buffers.clone(),
            budget_seconds: plan.budget.as_secs_f64(),
            sets: summaries.clone(),
            rows,
            plans: plans.clone(),
        };
        result.rounds.rounds.push(usage.round(&this.revision, search.figures()));
        result.this.push(search);
    }
    Ok(result)
}

/// The requests from `clients` closed-loop clients, each once, none started after `budget`,
/// after an untimed warm-up of one request per client (the replica's pooled connections open
/// and prepare the statement on first use).
async fn timed(
    base: &str,
    query: &str,
    searcher: &str,
    requests: &[(String, String)],
    clients: usize,
    budget: Duration,
) -> Row {
    // No 60 s limit (`load::client`'s): a search that takes minutes is measured, not dropped.
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .timeout(Duration::from_secs(900))
        .build()
        .expect("http client");
    let warm_up = futures::future::join_all((0..clients.min(requests.len())).map(|i| {
        let (path, token) = &requests[requests.len() - 1 - i];
        http.get(format!("{base}{path}")).bearer_auth(token).send()
    }));
    for response in warm_up.await.into_iter().flatten() {
        let _ = response.bytes().await;
    }
    let shared = Arc::new(requests.to_vec());
    let next = Arc::new(AtomicUsize::new(0));
    let (started, cpu_before) = (Instant::now(), load::cpu_times());
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let (http, requests, next, base) = (http.clone(), shared.clone(), next.clone(), base.to_owned());
            tokio::spawn(async move {
                let (mut latencies, mut errors, mut empty) = (Vec::new(), 0, 0);
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= requests.len() || started.elapsed() >= budget {
                        return (latencies, errors, empty);
                    }
                    let (path, token) = &requests[i];
                    let sent = Instant::now();
                    let answer = match http.get(format!("{base}{path}")).bearer_auth(token).send().await {
                        Ok(r) if r.status() == 200 => r.bytes().await.ok(),
                        _ => None,
                    };
                    match answer {
                        Some(body) => {
                            latencies.push(sent.elapsed());
                            if body.starts_with(b"{\"results\":[]") {
                                empty += 1;
                            }
                        }
                        None => errors += 1,
                    }
                }
            })
        })
        .collect();
    let (mut all, mut errors, mut empty) = (Vec::new(), 0, 0);
    for task in tasks {
        let (l, e, n) = task.await.expect("client");
        all.extend(l);
        errors += e;
        empty += n;
    }
    Row {
        query: query.to_owned(),
        searcher: searcher.to_owned(),
        clients,
        planned: requests.len(),
        requests: all.len(),
        errors,
        empty,
        per_second: all.len() as f64 / started.elapsed().as_secs_f64(),
        cpu_busy_percent: load::cpu_busy_since(cpu_before),
        latency: Latency::of(all),
    }
}
