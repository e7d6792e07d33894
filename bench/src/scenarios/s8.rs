//! S8: search (`GET /api/search`) on a data set of S4's shape whose messages are words, and
//! what the search column and its index cost the write path.
//!
//! S4's messages are one sentence with a number, useless for search, so S8 seeds a data set of
//! its own, always (also when S4 runs in the same invocation): the same chats, people and
//! memberships as S4's (`s4::seed`, through the log's own triggers, so positions, the
//! projection and the generated `search` column are the product's own, and the
//! `messages_search` index grows as the messages arrive), but each message 3–14 words drawn
//! from a vocabulary of [`VOCABULARY`] words with a Zipf frequency (word of rank r with
//! probability ∝ 1/r): first the 308 real Russian and English words of a tutoring chat in [`HEAD`]
//! (stop words among them, as in real text), then made-up words of Russian and Latin
//! syllables, one per rank. Sharing S4's data set instead would mean rewriting the text of its
//! ten million messages (as long as seeding, and ten million dead rows in its table and index
//! under S4's reads) or adding ten million more (S4's figures would then be at twice its size).
//!
//! The queries are one word each, of three frequencies: the vocabulary's most frequent word
//! that is not a stop word (in about a quarter of all messages), a word of rank
//! [`MEDIUM`] and one of rank [`RARE`]. A participant searches for a word taken from a message
//! they may read (people look for what they remember), so every participant's query finds
//! something; an admin's words come from messages sampled across the data set. A typo query is
//! a participant's medium word with two neighbouring letters swapped, checked to match nothing
//! they may read, so the server tries it again by trigram similarity (its fallback for one
//! word). Each kind is timed from 4 clients and from 1, for students (a chat or a few), for
//! teachers (500 chats each) and for an admin (everything).
//!
//! The plans are `EXPLAIN (ANALYZE, BUFFERS)` of the server's own statements: the text the
//! replica's sessions ran, read back from `pg_stat_activity` (the cluster runs with a
//! `track_activity_query_size` that holds it whole), so nothing of `src/api/search.rs` is
//! copied here but the typo threshold the plans pass. Each is taken as a session of the server
//! gets it: prepared, run for the requests the server ran it for first, then explained, since
//! after five executions PostgreSQL may keep a generic plan (see [`explain_prepared`]).
//!
//! The write path: S1, in rounds, on this build twice, its clusters as they are and with the
//! column and index dropped before the load (`setup_sql`), the order alternating round by round.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio_postgres::Client;

use super::{Cluster, Server};
use crate::load;
use crate::report::median;
use crate::rounds::{self, Figure, Figures, Repeated, Rounds, Usage, figure};

/// Words in the vocabulary (ranks 1 ..= this).
pub const VOCABULARY: i64 = 500_000;
/// The words of a message: from 3 to 3 + 11.
const WORDS_MIN: i64 = 3;
const WORDS_SPREAD: i64 = 12;
/// The ranks of a medium word and of a rare one.
pub const MEDIUM: (i64, i64) = (300, 3_000);
pub const RARE: (i64, i64) = (100_000, VOCABULARY);

/// The vocabulary's first ranks: real words of a tutoring chat, Russian and English in turn,
/// stop words among the most frequent (they are in the text, not in the index).
pub const HEAD: &str = "и урок the homework в задание to вопрос не lesson на question что ответ and answer я тест is test с \
     exam а экзамен you textbook это учебник it exercise как упражнение of задача по problem for пример \
     but example мы решение in solution он ошибка at mistake все правило we rule так тема be topic уже \
     текст have text только слово can word можно перевод do translation нужно грамматика will grammar \
     завтра словарь tomorrow dictionary сегодня оценка today grade вчера математика yesterday math неделя \
     физика week physics понедельник химия monday chemistry вторник история tuesday history среда \
     литература wednesday literature четверг английский thursday english пятница русский friday russian \
     суббота диктант saturday essay воскресенье сочинение sunday quiz утро контрольная morning chapter \
     вечер глава evening page расписание страница schedule paragraph занятие параграф class formula \
     перенести формула reschedule equation отменить уравнение cancel graph начать график start function \
     закончить функция finish fraction прочитать дробь read number написать число write minute решить \
     время solve hour проверить минута check day повторить час repeat month выучить месяц learn year \
     понять год understand holiday объяснить каникулы explain project спасибо проект thanks report \
     пожалуйста доклад please article хорошо реферат great sentence отлично статья sure verb понятно \
     абзац difficult noun конечно предложение easy adjective сложно глагол interesting adverb легко \
     существительное option tense интересно прилагательное send pronunciation вариант наречие file \
     listening отправить падеж photo reading файл склонение link writing фото спряжение slides speaking \
     ссылка произношение video vocabulary презентация аудирование audio idiom видео чтение notes phrase \
     конспект письмо plan dialogue план говорение goal deadline цель лексика result draft результат \
     идиома progress feedback прогресс фраза score review балл диалог level practice уровень курс course \
     revision группа класс group worksheet школа университет school assignment преподаватель ученик \
     university teacher студент родитель student parent книга тетрадь book notebook ручка карандаш pen \
     pencil доска компьютер board computer интернет звонок internet call встреча олимпиада meeting \
     olympiad";

/// The head's words, most frequent first.
pub fn head() -> Vec<&'static str> {
    HEAD.split_whitespace().collect()
}

/// Made-up words beyond the head: four syllables (consonant, vowel) and a closing consonant,
/// Russian for two ranks in three, Latin for the third; the rank, scrambled (an odd multiplier
/// modulo 2^20, a bijection), gives the syllables, so each rank has a word of its own.
const SYLLABLES_RU: [&str; 32] = [
    "ба", "бо", "бу", "би", "га", "го", "гу", "ги", "да", "до", "ду", "ди", "ка", "ко", "ку", "ки", "ма", "мо", "му",
    "ми", "па", "по", "пу", "пи", "ра", "ро", "ру", "ри", "са", "со", "су", "си",
];
const SYLLABLES_EN: [&str; 32] = [
    "ba", "bo", "bu", "bi", "da", "do", "du", "di", "ga", "go", "gu", "gi", "ka", "ko", "ku", "ki", "ma", "mo", "mu",
    "mi", "pa", "po", "pu", "pi", "ra", "ro", "ru", "ri", "ta", "to", "tu", "ti",
];
const CLOSING_RU: [&str; 8] = ["к", "п", "д", "б", "г", "з", "ш", "ф"];
const CLOSING_EN: [&str; 8] = ["k", "p", "d", "b", "g", "z", "x", "t"];

/// The statements that take search out of a fresh cluster, for S1 without it.
pub const DROP_SEARCH: [&str; 2] = ["DROP INDEX messages_search", "ALTER TABLE messages DROP COLUMN search"];

fn array(words: &[&str]) -> String {
    let quoted: Vec<String> = words.iter().map(|w| format!("'{}'", w.replace('\'', "''"))).collect();
    format!("(ARRAY[{}]::text[])", quoted.join(","))
}

/// The word of rank `r` (an SQL expression over `r` and `x`, the rank scrambled).
fn word_sql(r: &str, x: &str) -> String {
    let tail = |syllables: &[&str], closing: &[&str]| {
        let s = array(syllables);
        format!(
            "{s}[{x} % 32 + 1] || {s}[{x} / 32 % 32 + 1] || {s}[{x} / 1024 % 32 + 1] || {s}[{x} / 32768 % 32 + 1] || {}[{x} % 8 + 1]",
            array(closing)
        )
    };
    format!(
        "CASE WHEN {r} <= {} THEN {}[{r}] WHEN {r} % 3 <> 0 THEN {} ELSE {} END",
        head().len(),
        array(&head()),
        tail(&SYLLABLES_RU, &CLOSING_RU),
        tail(&SYLLABLES_EN, &CLOSING_EN)
    )
}

/// The rank `r`, scrambled: `x` in [`word_sql`].
fn scrambled(r: &str) -> String {
    format!("({r}::bigint * 40503) % 1048576")
}

/// A message's text for `s4::seed` (over its chat `c` and number `g`): its words, each of rank
/// ⌊(V + 1)^u⌋ for a uniform u, which is Zipf's law with exponent 1 (P(r) = ln(1 + 1/r) /
/// ln(V + 1)). The number of words depends on `c` and `g`, which also makes the subquery run
/// again for each message.
pub fn content_sql() -> String {
    format!(
        "(SELECT string_agg({}, ' ') FROM (SELECT r, {} AS x FROM (
             SELECT floor(power({}::float8, random()))::int AS r
             FROM generate_series(1, {WORDS_MIN} + (c.id * 31 + g * 17) % {WORDS_SPREAD})) r) w)",
        word_sql("w.r", "w.x"),
        scrambled("r"),
        VOCABULARY + 1
    )
}

/// The vocabulary as a table, `bench_words (rank, word)`: which rank a word of a message has.
fn vocabulary_sql() -> String {
    format!(
        "CREATE TABLE bench_words AS
             SELECT w.r AS rank, {} AS word FROM (SELECT r, {} AS x FROM generate_series(1, {VOCABULARY}) r) w;
         CREATE INDEX ON bench_words (word);
         ANALYZE bench_words;",
        word_sql("w.r", "w.x"),
        scrambled("r")
    )
}

/// A typo: two neighbouring letters in the middle of the word swapped (the first pair that
/// differs from there on), or the word unchanged if it has no two different letters.
pub fn typo(word: &str) -> String {
    let mut letters: Vec<char> = word.chars().collect();
    let n = letters.len();
    if n < 2 {
        return word.to_owned();
    }
    let start = (n / 2).saturating_sub(1);
    for k in (start..n - 1).chain(0..start) {
        if letters[k] != letters[k + 1] {
            letters.swap(k, k + 1);
            break;
        }
    }
    letters.into_iter().collect()
}

/// `q`, percent-encoded for a query string (everything but ASCII letters and digits).
pub fn escape(q: &str) -> String {
    q.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

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

/// Latency percentiles with the 95th, which the issue's target is on.
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
/// that had run it before gets it (see [`explain_prepared`]).
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

/// S1 with the search column and index and without them, rounds alternating.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WriteCost {
    pub with: String,
    pub without: String,
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
    let with = Server { revision: format!("{}, with search", this.revision), ..this.clone() };
    let without = Server {
        revision: format!("{}, search dropped", this.revision),
        setup_sql: DROP_SEARCH.iter().map(|s| s.to_string()).collect(),
        ..this.clone()
    };
    let repeated =
        rounds::repeat(
            &with,
            Some(&without),
            repeat,
            |server, _| async move { super::s1(&server, run, senders).await },
        )
        .await?;
    let rounds = repeated.rounds;
    let without_values = rounds.values(&without.revision);
    let figures = rounds
        .values(&with.revision)
        .into_iter()
        .filter(|(name, _)| !name.contains("share of"))
        .map(|(name, with)| {
            let without = without_values.iter().find(|(n, _)| *n == name).map(|(_, v)| v.clone()).unwrap_or_default();
            WriteFigure { name, with, without }
        })
        .collect::<Vec<_>>();
    for f in &figures {
        eprintln!("S8 writes: {}: with ÷ without {:.3}", f.name, f.ratio().unwrap_or(f64::NAN));
    }
    let cost = WriteCost {
        with: with.revision.clone(),
        without: without.revision.clone(),
        dropped: without.setup_sql.clone(),
        rounds: repeat.max(1),
        seconds_per_run: run.as_secs_f64(),
        senders: senders.to_vec(),
        figures,
    };
    Ok((cost, rounds))
}

/// The searches: a cluster of one replica on a data set seeded for S8, `repeat` rounds.
async fn search(this: &Server, plan: &Plan) -> anyhow::Result<Repeated<Search>> {
    let mut server = this.clone();
    // The server's statements whole in pg_stat_activity (first, so that --pg-setting wins).
    server.pg_settings.insert(0, ("track_activity_query_size".into(), "16384".into()));
    let cluster = Cluster::start_on(&server, 1, &[]).await?;
    let outcome = search_on(&cluster, this, plan).await;
    cluster.stop().await;
    outcome
}

/// A searcher: a user id (none: the admin) and a token.
#[derive(Clone)]
struct Searcher {
    id: Option<i64>,
    token: String,
}

/// One request of a set: who asks for which word.
#[derive(Clone)]
struct Request {
    searcher: Searcher,
    word: String,
}

impl Request {
    fn path(&self) -> (String, String) {
        (format!("/api/search?q={}&limit=20", escape(&self.word)), self.searcher.token.clone())
    }
}

/// The statements S8 reads back from `pg_stat_activity`: what a statement contains and lacks.
const STATEMENTS: [(&str, &[&str], &[&str]); 4] = [
    ("participant", &["search_query($1", "chat_memberships"], &["word_similarity"]),
    ("admin", &["search_query($1"], &["chat_memberships", "word_similarity"]),
    ("participant typo", &["word_similarity($1", "chat_memberships"], &[]),
    ("admin typo", &["word_similarity($1"], &["chat_memberships"]),
];

/// The typo search's similarity threshold, as the server passes it (`FUZZY_THRESHOLD` in
/// src/api/search.rs): only the plans use it.
const FUZZY_THRESHOLD: f32 = 0.4;

async fn search_on(cluster: &Cluster, this: &Server, plan: &Plan) -> anyhow::Result<Repeated<Search>> {
    let sql = &cluster.sql;
    let seeding = Instant::now();
    super::s4::seed(sql, 0, plan.chats, plan.per_chat, &content_sql(), "S8").await?;
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
    let mut statements: Vec<(&str, String)> = Vec::new();
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
                capture(sql, &mut statements).await?;
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

/// The server's query of the words `$1`, every word a prefix (what it finds at most):
/// `search_query($1)` where it takes the words alone, `search_query($1, true)` where it also
/// takes whether to match prefixes (since a14b8fe).
async fn prefix_query(sql: &Client) -> anyhow::Result<&'static str> {
    let arguments: Option<i16> =
        sql.query_one("SELECT max(pronargs) FROM pg_proc WHERE proname = 'search_query'", &[]).await?.get(0);
    Ok(if arguments == Some(1) { "search_query($1)" } else { "search_query($1, true)" })
}

/// Every query set: (query, searcher, requests), in the report's order.
async fn query_sets(
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
        let common = people.iter().map(|p| Request { searcher: p.clone(), word: common.clone() }).collect();
        sets.push(("common", searcher, common));
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
fn sample_percent(messages: i64) -> f32 {
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
async fn summarise(
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

/// The server's search statements, as its sessions last ran them: each kind not read yet.
async fn capture(sql: &Client, statements: &mut Vec<(&str, String)>) -> anyhow::Result<()> {
    let texts: Vec<String> = sql
        .query(
            "SELECT query FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'",
            &[],
        )
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    for (kind, contains, lacks) in STATEMENTS {
        if statements.iter().any(|(k, _)| *k == kind) {
            continue;
        }
        let found =
            texts.iter().find(|q| contains.iter().all(|c| q.contains(c)) && !lacks.iter().any(|l| q.contains(l)));
        if let Some(text) = found {
            statements.push((kind, text.clone()));
        }
    }
    Ok(())
}

/// The plans of the server's statements for: a teacher's common word, a student's rare one
/// (and, where the server tries words as prefixes when whole words found less than a page, that
/// second statement), the admin's common and rare words, a teacher's typo and the admin's, each
/// planned for its arguments, as the server plans every search.
async fn explain_all(
    sql: &Client,
    statements: &[(&str, String)],
    sets: &[(&str, &str, Vec<Request>)],
) -> anyhow::Result<Vec<QueryPlan>> {
    let set = |query: &str, searcher: &str| {
        sets.iter().find(|(q, s, _)| *q == query && *s == searcher).map(|(_, _, r)| r.as_slice()).unwrap_or_default()
    };
    let mut plans = Vec::new();
    for (query, searcher, prefix, what) in [
        ("common", "teacher", false, "a teacher (500 chats) searches for the common word"),
        ("rare", "student", false, "a student searches for a rare word"),
        ("rare", "student", true, "the same as prefixes (the server's second try, when whole words find nothing)"),
        ("common", "admin", false, "the admin searches for the common word"),
        ("rare", "admin", false, "the admin searches for a rare word"),
        ("typo", "teacher", false, "a teacher's typo: the trigram fallback (once the words found nothing)"),
        ("typo", "admin", false, "the admin's typo: the trigram fallback"),
    ] {
        let kind = match (query, searcher) {
            ("typo", "admin") => "admin typo",
            ("typo", _) => "participant typo",
            (_, "admin") => "admin",
            _ => "participant",
        };
        let (Some(request), Some((_, text))) =
            (set(query, searcher).first(), statements.iter().find(|(k, _)| *k == kind))
        else {
            eprintln!("S8: no plan of {query} as {searcher}: its statement was not seen in pg_stat_activity");
            continue;
        };
        let typo = query == "typo";
        let target = arguments(request, typo, prefix);
        // The server plans each search for its arguments (a statement prepared per request),
        // so nothing runs before the plan is taken.
        match explain_prepared(sql, text, &[], &target, false).await {
            Ok((plan, generic)) => {
                let custom_ms = if generic {
                    explain_prepared(sql, text, &[], &target, true).await.ok().and_then(|(p, _)| execution_ms(&p))
                } else {
                    None
                };
                eprintln!(
                    "S8: plan of {query} as {searcher}{}: {} plan{}",
                    if prefix { ", as prefixes" } else { "" },
                    if generic { "generic" } else { "custom" },
                    custom_ms.map(|ms| format!(" (planned for its arguments: {ms:.1} ms)")).unwrap_or_default()
                );
                plans.push(QueryPlan { what: format!("{what} («{}»)", request.word), plan, generic, custom_ms });
            }
            Err(e) => eprintln!("S8: EXPLAIN of {query} as {searcher}: {e:#}"),
        }
    }
    Ok(plans)
}

/// The server's arguments for `request`, as SQL literals, in its statements' order: the words,
/// the searcher (NULL: the admin), no chat, whether words match as prefixes, a page of 20 (one
/// more, to know of a next page), no cursor (nor, by relevance, its rank and window); a typo
/// search takes the similarity threshold and the page itself.
fn arguments(request: &Request, typo: bool, prefix: bool) -> String {
    let word = format!("'{}'", request.word.replace('\'', "''"));
    let user = request.searcher.id.map_or("NULL".to_owned(), |id| id.to_string());
    if typo {
        format!("{word}, {user}, NULL, {FUZZY_THRESHOLD}, 20")
    } else {
        format!("{word}, {user}, NULL, {prefix}, 21, NULL, NULL, NULL")
    }
}

/// `text`'s plan for `target` (arguments as SQL literals) as a session of the server gets it:
/// the server prepares each statement once per pooled connection, and PostgreSQL plans a
/// prepared statement's first five executions for their arguments, then keeps a generic plan
/// if its estimate is no worse than theirs. So: prepared, executed for each of `history`,
/// then `EXPLAIN (ANALYZE, BUFFERS) EXECUTE`, under the replicas' session settings. Also
/// whether that plan was the generic one (`pg_prepared_statements`). With `custom`, planned
/// for its arguments whatever came before (`plan_cache_mode = force_custom_plan`).
async fn explain_prepared(
    sql: &Client,
    text: &str,
    history: &[String],
    target: &str,
    custom: bool,
) -> anyhow::Result<(String, bool)> {
    for (name, value) in tutorchat::db::SESSION_SETTINGS {
        sql.batch_execute(&format!("SET {name} = {value}")).await?;
    }
    let mode = if custom { "force_custom_plan" } else { "auto" };
    sql.batch_execute(&format!("SET plan_cache_mode = {mode}; DEALLOCATE ALL")).await?;
    sql.batch_execute(&format!("PREPARE s8_plan AS {text}")).await?;
    for arguments in history {
        sql.batch_execute(&format!("EXECUTE s8_plan({arguments})")).await?;
    }
    let generic = "SELECT generic_plans FROM pg_prepared_statements WHERE name = 's8_plan'";
    let before: i64 = sql.query_one(generic, &[]).await?.get(0);
    let rows = sql.query(&format!("EXPLAIN (ANALYZE, BUFFERS) EXECUTE s8_plan({target})"), &[]).await?;
    let after: i64 = sql.query_one(generic, &[]).await?.get(0);
    sql.batch_execute("DEALLOCATE s8_plan; RESET plan_cache_mode").await?;
    let plan = rows.iter().map(|r| r.get::<_, String>(0)).collect::<Vec<_>>().join("\n");
    Ok((plan, after > before))
}

/// "Execution Time: 12.345 ms" of a plan, in ms.
pub fn execution_ms(plan: &str) -> Option<f64> {
    plan.lines().find_map(|l| l.trim().strip_prefix("Execution Time: ")?.strip_suffix(" ms")?.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typo_swaps_two_different_neighbouring_letters_in_the_middle() {
        assert_eq!(typo("багумиски"), "багмуиски");
        assert_eq!(typo("kalomirud"), "kalmoirud");
        // Equal neighbours are passed over, and a word of one repeated letter stays as it is.
        assert_eq!(typo("abbbc"), "abbcb");
        assert_eq!(typo("aaaa"), "aaaa");
        assert_eq!(typo("ab"), "ba");
        assert_eq!(typo("я"), "я");
    }

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
    fn the_execution_time_is_read_from_the_plans_last_lines() {
        let plan = "Limit  (cost=1..2 rows=1)\nPlanning Time: 1.328 ms\nExecution Time: 10.238 ms";
        assert_eq!(execution_ms(plan), Some(10.238));
        assert_eq!(execution_ms("Limit"), None);
    }

    #[test]
    fn a_requests_arguments_are_sql_literals_in_the_servers_order() {
        let request = |id, word: &str| Request { searcher: Searcher { id, token: String::new() }, word: word.into() };
        assert_eq!(arguments(&request(Some(7), "урок"), false, false), "'урок', 7, NULL, false, 21, NULL, NULL, NULL");
        assert_eq!(arguments(&request(Some(7), "урок"), false, true), "'урок', 7, NULL, true, 21, NULL, NULL, NULL");
        assert_eq!(arguments(&request(None, "o'k"), true, false), "'o''k', NULL, NULL, 0.4, 20");
    }

    #[test]
    fn a_query_is_escaped_byte_by_byte() {
        assert_eq!(escape("урок"), "%D1%83%D1%80%D0%BE%D0%BA");
        assert_eq!(escape("a b&c"), "a%20b%26c");
    }

    #[test]
    fn the_vocabulary_head_has_distinct_words_and_the_syllables_make_words_of_their_own() {
        let mut sorted = head();
        sorted.sort();
        sorted.dedup();
        assert_eq!((sorted.len(), head().len()), (308, 308));
        for syllables in [SYLLABLES_RU, SYLLABLES_EN] {
            let mut s = syllables.to_vec();
            s.sort();
            s.dedup();
            assert_eq!(s.len(), 32);
        }
        // The scramble is a bijection of 20 bits, so different ranks give different syllables.
        let mut seen = std::collections::HashSet::new();
        for r in 1..=VOCABULARY {
            assert!(seen.insert((r * 40503) % 1_048_576), "rank {r}");
        }
        assert!(content_sql().contains("generate_series(1, 3 + (c.id * 31 + g * 17) % 12)"));
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
