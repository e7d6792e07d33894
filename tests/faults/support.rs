//! The fault tests' harness: a topology with users and chats, followers that behave like
//! browsers (reconnect through nginx with Last-Event-ID), posters, and the delivery check.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tutorchat::config::parse_database_url;
use tutorchat::dev::topology::{Options, Topology};

use crate::helpers::{Item, SECRET, User, connect, kill_listeners, stream_from, token_for};

/// The fault tests each start three replicas, nginx and PostgreSQL: one at a time.
pub async fn serial() -> tokio::sync::MutexGuard<'static, ()> {
    static LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    LOCK.lock().await
}

/// The topology's PostgreSQL.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Database {
    Single,
    WithStandby,
    BackedUp,
    Ha,
}

pub struct Pair {
    pub chat: i64,
    pub teacher: User,
    pub student: User,
}

pub struct Cluster {
    topology: Arc<Mutex<Topology>>,
    pub url: String,
    replica_urls: Vec<String>,
    access_log: std::path::PathBuf,
    database: tokio_postgres::Config,
    http: reqwest::Client,
    pairs: Vec<Pair>,
    admin: User,
}

impl Cluster {
    pub async fn start(env: &[(&str, &str)]) -> Self {
        Self::start_on(env, false).await
    }

    /// [`Cluster::start`], with a streaming standby the replicas read from when `standby`.
    pub async fn start_on(env: &[(&str, &str)], standby: bool) -> Self {
        Self::start_with(env, standby, false).await
    }

    /// [`Cluster::start`], PostgreSQL backed up by pgBackRest (the WAL archived, a first full
    /// backup taken).
    pub async fn start_with_backups() -> Self {
        Self::start_with(&[], false, true).await
    }

    /// The HA topology: etcd and two PostgreSQL servers under Patroni (primary and synchronous
    /// standby), two replicas following whichever leads, nginx in front.
    pub async fn start_ha(env: &[(&str, &str)]) -> Self {
        Self::start_topology(env, Database::Ha).await
    }

    async fn start_with(env: &[(&str, &str)], standby: bool, backups: bool) -> Self {
        let database = match (standby, backups) {
            (true, _) => Database::WithStandby,
            (_, true) => Database::BackedUp,
            _ => Database::Single,
        };
        Self::start_topology(env, database).await
    }

    async fn start_topology(env: &[(&str, &str)], database: Database) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let base = std::env::temp_dir().join(format!(
            "tutorchat-faults-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let mut vars: Vec<(String, String)> = [
            ("JWT_SECRET", SECRET),
            ("HEARTBEAT_SECS", "1"),
            ("SSE_RETRY_MS", "100"),
            ("LISTENER_PROBE_SECS", "2"),
            ("RUST_LOG", "warn"),
            // The posters are load generators, not people: the per-user rates (tested on
            // their own in tests/api/limits.rs) would refuse most of their writes.
            ("RATE_WRITES_PER_SEC", "100000"),
            ("RATE_WRITES_BURST", "100000"),
            ("RATE_READS_PER_SEC", "100000"),
            ("RATE_READS_BURST", "100000"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        vars.extend(env.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let options = Options {
            binary: env!("CARGO_BIN_EXE_tutorchat").into(),
            replicas: if database == Database::Ha { 2 } else { 3 },
            front: "127.0.0.1:0".parse().expect("addr"),
            base,
            durable: false,
            remove_on_exit: true,
            nginx: true,
            env: vars,
            demo: false,
            pg_bindir: tutorchat::config::pg_bindir_from_env().expect("PG_BINDIR"),
            standby: database == Database::WithStandby,
            pg_settings: Vec::new(),
            backups: database == Database::BackedUp,
            ha: database == Database::Ha,
        };
        let topology = tokio::task::spawn_blocking(move || Topology::start(options))
            .await
            .expect("task")
            .expect("start the topology (PostgreSQL, the replicas, nginx)");
        let database = parse_database_url(topology.database_url()).expect("url");
        let sql = connect(&database).await;
        let mut pairs = Vec::new();
        for i in 0..2 {
            let teacher = user(&sql, "teacher", i).await;
            let student = user(&sql, "student", i).await;
            sql.execute(
                "INSERT INTO lessons (teacher_id, student_id, scheduled_at, status) VALUES ($1, $2, now(), 'completed')",
                &[&teacher.id, &student.id],
            )
            .await
            .expect("lesson");
            let chat = sql
                .query_one(
                    "SELECT id FROM chats WHERE teacher_id = $1 AND student_id = $2",
                    &[&teacher.id, &student.id],
                )
                .await
                .expect("chat")
                .get(0);
            pairs.push(Pair { chat, teacher, student });
        }
        let admin = user(&sql, "admin", 0).await;
        let replica_urls = (0..topology.replica_count()).map(|i| topology.replica_url(i)).collect();
        Self {
            url: topology.url(),
            replica_urls,
            access_log: topology.nginx_access_log(),
            topology: Arc::new(Mutex::new(topology)),
            database,
            http: reqwest::Client::new(),
            pairs,
            admin,
        }
    }

    /// Runs a blocking operation on the topology (kill, restart, stop PostgreSQL…).
    pub async fn topology<R: Send + 'static>(
        &self,
        operation: impl FnOnce(&mut Topology) -> anyhow::Result<R> + Send + 'static,
    ) -> R {
        let topology = self.topology.clone();
        tokio::task::spawn_blocking(move || {
            let mut topology = topology.lock().unwrap_or_else(|p| p.into_inner());
            operation(&mut topology)
        })
        .await
        .expect("task")
        .expect("topology operation")
    }

    /// A follower for every participant of every chat, and one for the admin.
    pub async fn follow_everyone(&self) -> Vec<Follower> {
        self.follow_everyone_times(1).await
    }

    /// `n` followers (streams) for every participant of every chat and for the admin. Every
    /// 100 of them come from an address of their own (127.0.0.2, .3…), as many browsers do:
    /// nginx limits the streams one address may open and hold.
    pub async fn follow_everyone_times(&self, n: usize) -> Vec<Follower> {
        let mut followers = Vec::new();
        for round in 0..n {
            let http = if n == 1 {
                self.http.clone()
            } else {
                let local: std::net::IpAddr = format!("127.0.0.{}", 2 + round / 20).parse().expect("address");
                reqwest::Client::builder().local_address(local).build().expect("client")
            };
            for pair in &self.pairs {
                followers.push(Follower::start_from(self, &http, &pair.teacher, None).await);
                followers.push(Follower::start_from(self, &http, &pair.student, None).await);
            }
            followers.push(Follower::start_from(self, &http, &self.admin, None).await);
        }
        followers
    }

    pub fn posters(&self, tasks: usize, per_task: usize, pace: Duration) -> Vec<JoinHandle<PostLog>> {
        self.posters_with(tasks, per_task, pace, "message")
    }

    /// `tasks` posters through nginx, alternating chats and authors.
    pub fn posters_with(&self, tasks: usize, per_task: usize, pace: Duration, text: &str) -> Vec<JoinHandle<PostLog>> {
        self.posters_at(&self.url, tasks, per_task, pace, text)
    }

    /// Posters like [`Cluster::posters_with`], straight to replica `i` (not through nginx).
    pub fn posters_to(
        &self,
        i: usize,
        tasks: usize,
        per_task: usize,
        pace: Duration,
        text: &str,
    ) -> Vec<JoinHandle<PostLog>> {
        self.posters_at(&self.replica_urls[i], tasks, per_task, pace, text)
    }

    fn posters_at(
        &self,
        base: &str,
        tasks: usize,
        per_task: usize,
        pace: Duration,
        text: &str,
    ) -> Vec<JoinHandle<PostLog>> {
        (0..tasks)
            .map(|task| {
                let pair = &self.pairs[task % self.pairs.len()];
                let (chat, authors) = (pair.chat, [pair.teacher.clone(), pair.student.clone()]);
                let (http, url, text) = (self.http.clone(), format!("{base}/api/messages"), text.to_owned());
                tokio::spawn(async move {
                    let mut log = Vec::new();
                    for k in 0..per_task {
                        let author = &authors[k % 2];
                        let body = json!({ "chat_id": chat, "content": format!("{text} {task}-{k}") });
                        let response = http.post(&url).bearer_auth(&author.token).json(&body).send().await;
                        log.push(match response {
                            Ok(r) if r.status() == 201 => {
                                (201, r.json::<Value>().await.ok().and_then(|b| b["id"].as_i64()))
                            }
                            Ok(r) => (r.status().as_u16(), None),
                            Err(_) => (0, None),
                        });
                        tokio::time::sleep(pace).await;
                    }
                    PostLog(log)
                })
            })
            .collect()
    }

    /// Posters like [`Cluster::posters`] that behave like the web client: each message has
    /// its own `Idempotency-Key`, and a send whose answer is lost (no answer, 502, 503) is
    /// retried with the same key until it is answered. Every message ends acknowledged.
    pub fn retrying_posters(&self, tasks: usize, per_task: usize, pace: Duration) -> Vec<JoinHandle<PostLog>> {
        (0..tasks)
            .map(|task| {
                let pair = &self.pairs[task % self.pairs.len()];
                let (chat, authors) = (pair.chat, [pair.teacher.clone(), pair.student.clone()]);
                let (http, url) = (self.http.clone(), format!("{}/api/messages", self.url));
                tokio::spawn(async move {
                    let mut log = Vec::new();
                    for k in 0..per_task {
                        let author = &authors[k % 2];
                        let (key, content) = (format!("key-{task}-{k}"), format!("retried {task}-{k}"));
                        let body = json!({ "chat_id": chat, "content": content });
                        let deadline = Instant::now() + Duration::from_secs(30);
                        let answer = loop {
                            let sent = http
                                .post(&url)
                                .bearer_auth(&author.token)
                                .header("idempotency-key", &key)
                                .json(&body)
                                .send()
                                .await;
                            match sent {
                                Ok(r) if r.status() == 200 || r.status() == 201 => {
                                    let status = r.status().as_u16();
                                    break (status, r.json::<Value>().await.ok().and_then(|b| b["id"].as_i64()));
                                }
                                Ok(r) if ![502, 503].contains(&r.status().as_u16()) => {
                                    break (r.status().as_u16(), None);
                                }
                                _ => {}
                            }
                            assert!(Instant::now() < deadline, "{key} was never answered");
                            tokio::time::sleep(Duration::from_millis(50)).await;
                        };
                        log.push(answer);
                        tokio::time::sleep(pace).await;
                    }
                    PostLog(log)
                })
            })
            .collect()
    }

    /// Contents that were committed more than once (with the number of times).
    pub async fn duplicated_contents(&self) -> Vec<(String, i64)> {
        let rows = self
            .sql()
            .await
            .query("SELECT content, count(*) FROM messages GROUP BY content HAVING count(*) > 1", &[])
            .await
            .expect("duplicates");
        rows.iter().map(|r| (r.get(0), r.get(1))).collect()
    }

    /// The admin's token (every chat's events).
    pub fn admin_token(&self) -> &str {
        &self.admin.token
    }

    /// nginx's error log so far.
    pub fn nginx_errors(&self) -> String {
        std::fs::read_to_string(self.access_log.with_file_name("error.log")).unwrap_or_default()
    }

    /// Posts one message of the first pair's teacher through nginx; returns its id.
    pub async fn post_one(&self, content: &str) -> i64 {
        let response = self.post(content).await;
        assert_eq!(response.status(), 201);
        response.json::<Value>().await.expect("json")["id"].as_i64().expect("id")
    }

    /// Posts one message as [`Cluster::post_one`] does, whatever the answer: its status and
    /// `Retry-After`.
    pub async fn post_answer(&self, content: &str) -> (u16, Option<String>) {
        let response = self.post(content).await;
        let retry_after = response.headers().get("retry-after").and_then(|v| v.to_str().ok()).map(str::to_owned);
        (response.status().as_u16(), retry_after)
    }

    async fn post(&self, content: &str) -> reqwest::Response {
        let pair = &self.pairs[0];
        self.http
            .post(format!("{}/api/messages", self.url))
            .bearer_auth(&pair.teacher.token)
            .json(&json!({ "chat_id": pair.chat, "content": content }))
            .send()
            .await
            .expect("POST through nginx")
    }

    /// The committed messages of `chats`, in log order: the truth every follower must match.
    pub async fn committed_in(&self, chats: &[i64]) -> Vec<i64> {
        let rows = self
            .sql()
            .await
            .query("SELECT id FROM messages WHERE chat_id = ANY($1) ORDER BY id", &[&chats])
            .await
            .expect("committed messages");
        rows.iter().map(|r| r.get(0)).collect()
    }

    pub async fn committed(&self, chat: i64) -> Vec<i64> {
        self.committed_in(&[chat]).await
    }

    /// The checker every fault test ends with. Writes: every acknowledged message is
    /// committed, and one whose answer was lost or refused (indeterminate) is committed at most
    /// once (every post has its own text). Streams: every follower has every committed message
    /// of its chats exactly once, in log order, and nothing of other chats. Convergence: what a
    /// client would build from its stream (each chat's message count, unread count and newest
    /// message) equals a fresh `GET /api/chats` (`/api/admin/chats` for the admin).
    pub async fn assert_delivered(&self, followers: &[Follower], posts: &PostLog) {
        let all_chats: Vec<i64> = self.pairs.iter().map(|p| p.chat).collect();
        let everything = self.committed_in(&all_chats).await;
        for id in posts.acked_ids() {
            assert!(everything.binary_search(&id).is_ok(), "acknowledged message {id} is not in the database");
        }
        let twice = self.duplicated_contents().await;
        assert!(twice.is_empty(), "a write landed more than once: {twice:?}");
        if posts.indeterminate() > 0 {
            eprintln!("checker: {} writes indeterminate, each landed at most once", posts.indeterminate());
        }
        for follower in followers {
            let chats: Vec<i64> = if follower.user.id == self.admin.id {
                all_chats.clone()
            } else {
                self.pairs
                    .iter()
                    .filter(|p| p.teacher.id == follower.user.id || p.student.id == follower.user.id)
                    .map(|p| p.chat)
                    .collect()
            };
            let expected = self.committed_in(&chats).await;
            let received = follower.wait_for_ids(expected.len()).await;
            assert_eq!(received.len(), expected.len(), "{}: count", follower.name);
            if received != expected {
                let missing: Vec<_> = expected.iter().filter(|id| !received.contains(id)).collect();
                panic!("{}: received differs from the log; missing {missing:?}; received {received:?}", follower.name);
            }
            let positions = follower.positions();
            assert!(positions.windows(2).all(|w| w[0] < w[1]), "{}: positions must increase", follower.name);
            self.assert_converged(follower).await;
        }
    }

    /// What `follower`'s stream says of each chat equals what a fresh read says.
    async fn assert_converged(&self, follower: &Follower) {
        let streamed = follower.chat_states();
        // As the web client does: its reads reflect at least what its stream has shown it (a
        // replica reading from a standby waits for it, or reads the primary).
        const MIN: &str = "x-min-event-position";
        let seen = follower.positions().last().copied().unwrap_or(0).to_string();
        let admin = follower.user.id == self.admin.id;
        let path = if admin { "/api/admin/chats?limit=500" } else { "/api/chats?limit=500" };
        // Every page (the admin sees every chat of the run).
        let mut chats: Vec<Value> = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let url = match &cursor {
                Some(c) => format!("{}{path}&cursor={c}", self.url),
                None => format!("{}{path}", self.url),
            };
            let response = self.http.get(url).bearer_auth(&follower.user.token).header(MIN, &seen).send().await;
            let body: Value = response.expect(path).json().await.expect("JSON");
            chats.extend(body["chats"].as_array().expect("a list of chats").iter().cloned());
            match body["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => break,
            }
        }
        for chat in &chats {
            let id = chat["id"].as_i64().expect("chat id");
            let (count, from_others, newest) = streamed.get(&id).copied().unwrap_or_default();
            if admin {
                assert_eq!(chat["messages_count"].as_i64(), Some(count as i64), "{}: chat {id}'s count", follower.name);
            } else {
                let unread = chat["unread_count"].as_i64();
                assert_eq!(unread, Some(from_others as i64), "{}: chat {id}'s unread count", follower.name);
                let last = chat["last_message"]["id"].as_i64().unwrap_or(0);
                assert_eq!(last, newest, "{}: chat {id}'s newest message", follower.name);
            }
        }
        let listed: Vec<i64> = chats.iter().filter_map(|c| c["id"].as_i64()).collect();
        for id in streamed.keys() {
            assert!(listed.contains(id), "{}: streamed chat {id}, which its list does not show", follower.name);
        }
        // The open chat: its newest page as the stream built it equals the page a GET returns.
        if let Some(&chat) = streamed.keys().next() {
            let url = format!("{}/api/chats/{chat}/messages?limit=100", self.url);
            let response = self.http.get(url).bearer_auth(&follower.user.token).header(MIN, &seen).send().await;
            let page: Value = response.expect("history").json().await.expect("JSON");
            let fetched: Vec<i64> =
                page["messages"].as_array().expect("messages").iter().filter_map(|m| m["id"].as_i64()).collect();
            let built = follower.newest_of(chat, fetched.len());
            assert_eq!(built, fetched, "{}: chat {chat}'s newest page from the stream and from GET", follower.name);
        }
    }

    pub async fn assert_ready(&self) {
        for url in &self.replica_urls {
            let deadline = Instant::now() + Duration::from_secs(20);
            loop {
                let ready =
                    self.http.get(format!("{url}/readyz")).send().await.map(|r| r.status() == 200).unwrap_or(false);
                if ready {
                    break;
                }
                assert!(Instant::now() < deadline, "{url} not ready again within 20 s");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }

    pub async fn terminate_listeners(&self) -> i64 {
        kill_listeners(&self.sql().await).await
    }

    /// Requests nginx sent to replica `i`: sends GETs through nginx until one lands there.
    pub async fn requests_served_by(&self, i: usize, _since: Instant, attempts: usize) -> usize {
        let addr = self.replica_urls[i].trim_start_matches("http://").to_owned();
        let count = || {
            std::fs::read_to_string(&self.access_log).unwrap_or_default().lines().filter(|l| l.contains(&addr)).count()
        };
        let before = count();
        for _ in 0..attempts {
            let _ = self.http.get(format!("{}/healthz", self.url)).send().await;
            if count() > before {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        count() - before
    }

    /// A counter or gauge summed over every replica's `/metrics`.
    pub async fn metric(&self, name: &str) -> i64 {
        let prefix = format!("{name} ");
        let mut total = 0.0;
        for url in &self.replica_urls {
            let response = self.http.get(format!("{url}/metrics")).send().await.expect("metrics");
            let text = response.text().await.expect("text");
            total += text
                .lines()
                .find_map(|l| l.strip_prefix(&prefix).and_then(|v| v.trim().parse::<f64>().ok()))
                .unwrap_or(0.0);
        }
        total as i64
    }

    /// A metric as replica `i` reports it (0 when it does not report it yet).
    pub async fn metric_of(&self, i: usize, name: &str) -> f64 {
        let prefix = format!("{name} ");
        let response = self.http.get(format!("{}/metrics", self.replica_urls[i])).send().await.expect("metrics");
        let text = response.text().await.expect("text");
        text.lines().find_map(|l| l.strip_prefix(&prefix).and_then(|v| v.trim().parse::<f64>().ok())).unwrap_or(0.0)
    }

    /// Database sessions by `application_name` (replicas' pools are `tutorchat`).
    pub async fn connections_by_application(&self) -> BTreeMap<String, i64> {
        let rows = self
            .sql()
            .await
            .query(
                "SELECT application_name, count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' GROUP BY 1",
                &[],
            )
            .await
            .expect("sessions");
        rows.iter().map(|r| (r.get(0), r.get(1))).collect()
    }

    /// The process ids of the replicas' listener sessions in PostgreSQL.
    pub async fn listener_backends(&self) -> Vec<i32> {
        let rows = self
            .sql()
            .await
            .query("SELECT pid FROM pg_stat_activity WHERE application_name = 'tutorchat-listener'", &[])
            .await
            .expect("listener sessions");
        rows.iter().map(|r| r.get(0)).collect()
    }

    /// A fresh connection (PostgreSQL may have restarted since the last one).
    pub fn database(&self) -> &tokio_postgres::Config {
        &self.database
    }

    pub async fn sql(&self) -> tokio_postgres::Client {
        connect(&self.database).await
    }

    /// How many requests nginx answered with each status, of those whose request line starts
    /// with `request` (`"POST /api/messages"`, say).
    pub fn statuses_of(&self, request: &str) -> BTreeMap<u16, usize> {
        let log = std::fs::read_to_string(&self.access_log).unwrap_or_default();
        let mut statuses = BTreeMap::new();
        for line in log.lines() {
            let Some((_, rest)) = line.split_once(&format!("\"{request}")) else { continue };
            let status = rest.split_once("\" ").and_then(|(_, after)| after.split(' ').next()?.parse().ok());
            if let Some(status) = status {
                *statuses.entry(status).or_default() += 1;
            }
        }
        statuses
    }

    /// How often each kind of nginx error occurred (the text after the upstream's name).
    pub fn nginx_error_summary(&self) -> BTreeMap<String, usize> {
        let log = std::fs::read_to_string(self.access_log.with_file_name("error.log")).unwrap_or_default();
        let mut kinds = BTreeMap::new();
        for line in log.lines() {
            let kind = line.split(": ").nth(1).unwrap_or(line).split(" while ").next().unwrap_or("").to_owned();
            let kind = kind.trim_start_matches(|c: char| c == '*' || c.is_ascii_digit() || c == ' ').to_owned();
            *kinds.entry(kind).or_default() += 1;
        }
        kinds
    }

    /// A stream through nginx that is opened and never read.
    pub async fn stalled_stream(&self) -> reqwest::Response {
        let response =
            self.http.get(format!("{}/api/events/chat", self.url)).bearer_auth(&self.stalled_user().token).send().await;
        let response = response.expect("open the stalled stream");
        assert_eq!(response.status(), 200);
        response
    }

    pub async fn status_through_nginx(&self, path: &str) -> u16 {
        self.http.get(format!("{}{path}", self.url)).send().await.expect("request").status().as_u16()
    }

    /// The i-th chat and its two participants.
    pub fn pair(&self, i: usize) -> &Pair {
        &self.pairs[i]
    }

    /// A replica's own address, bypassing nginx.
    pub fn replica_url(&self, i: usize) -> &str {
        &self.replica_urls[i]
    }

    pub fn stalled_user(&self) -> &User {
        &self.pairs[0].student
    }

    pub fn stalled_chat(&self) -> i64 {
        self.pairs[0].chat
    }
}

async fn user(sql: &tokio_postgres::Client, role: &str, i: usize) -> User {
    let email = format!("{role}{i}@faults.test");
    let id: i64 = sql
        .query_one("INSERT INTO users (email, name, role) VALUES ($1, $2, $3) RETURNING id", &[&email, &email, &role])
        .await
        .expect("user")
        .get(0);
    User { id, token: token_for(id) }
}

/// Reads a stream to its end: the `new_message` ids it carried and the last event id.
pub async fn drain(response: reqwest::Response) -> (Vec<i64>, Option<String>) {
    let mut stream = stream_from(response);
    let (mut ids, mut last) = (Vec::new(), None);
    loop {
        match tokio::time::timeout(Duration::from_secs(30), stream.recv()).await.expect("the cut stream ends") {
            Some(Item::Event(event)) => {
                last = event.id.clone().or(last);
                if event.event == "new_message" {
                    ids.push(event.json()["message"]["id"].as_i64().expect("id"));
                }
            }
            Some(_) => {}
            None => return (ids, last),
        }
    }
}

/// What posters saw: per request, the status (0 for a failed connection) and the new id.
pub struct PostLog(pub Vec<(u16, Option<i64>)>);

impl PostLog {
    pub async fn join(posters: Vec<JoinHandle<PostLog>>) -> PostLog {
        let mut all = Vec::new();
        for poster in posters {
            all.extend(poster.await.expect("poster").0);
        }
        PostLog(all)
    }

    pub fn acked_ids(&self) -> Vec<i64> {
        self.0.iter().filter_map(|(_, id)| *id).collect()
    }

    pub fn acked(&self) -> usize {
        self.acked_ids().len()
    }

    /// Not acknowledged: refused, or indeterminate (see [`PostLog::indeterminate`]).
    pub fn failed(&self) -> usize {
        self.0.len() - self.acked()
    }

    /// Requests whose outcome the client cannot know: no answer at all (0), or nginx's 502/504
    /// (the replica went away or went silent with the request). The checker allows each to
    /// have landed at most once; the others (a replica's own 4xx/5xx answer) refused it.
    pub fn indeterminate(&self) -> usize {
        self.0.iter().filter(|(status, id)| id.is_none() && matches!(status, 0 | 502 | 504)).count()
    }

    pub fn failures(&self) -> BTreeMap<u16, usize> {
        let mut counts = BTreeMap::new();
        for (status, id) in &self.0 {
            if id.is_none() {
                *counts.entry(*status).or_default() += 1;
            }
        }
        counts
    }
}

/// A `new_message` as a follower received it.
#[derive(Debug, Clone, Copy)]
struct Received {
    position: i64,
    id: i64,
    chat: i64,
    sender: i64,
}

#[derive(Default)]
struct Seen {
    /// Every `new_message`, in arrival order.
    messages: Vec<Received>,
    /// (when the stream was lost, when it was open again).
    reconnects: Vec<(Instant, Instant)>,
}

/// A subscriber that behaves like a browser's EventSource: through nginx, and on any loss of
/// the stream it reconnects with `Last-Event-ID`.
pub struct Follower {
    pub name: String,
    pub user: User,
    seen: Arc<Mutex<Seen>>,
    stop: CancellationToken,
    /// Drops the stream, to reconnect with `Last-Event-ID` (churn).
    kick: Arc<tokio::sync::Notify>,
    task: JoinHandle<()>,
}

impl Drop for Follower {
    fn drop(&mut self) {
        self.stop.cancel();
        self.task.abort();
    }
}

impl Follower {
    pub async fn start(cluster: &Cluster, user: &User, last_id: Option<String>) -> Self {
        Self::start_from(cluster, &cluster.http, user, last_id).await
    }

    /// [`Follower::start`] with `http` (bound to an address of its own, say).
    pub async fn start_from(cluster: &Cluster, http: &reqwest::Client, user: &User, last_id: Option<String>) -> Self {
        let seen = Arc::new(Mutex::new(Seen::default()));
        let stop = CancellationToken::new();
        let (http, url, token) = (http.clone(), format!("{}/api/events/chat", cluster.url), user.token.clone());
        let (task_seen, task_stop) = (seen.clone(), stop.clone());
        let kick = Arc::new(tokio::sync::Notify::new());
        let task_kick = kick.clone();
        let (opened_tx, opened_rx) = tokio::sync::oneshot::channel();
        let task = tokio::spawn(async move {
            let (mut last, mut lost_at, mut opened) = (last_id, None::<Instant>, Some(opened_tx));
            let mut retry = Duration::from_millis(100);
            while !task_stop.is_cancelled() {
                let mut request = http.get(&url).bearer_auth(&token);
                if let Some(id) = &last {
                    request = request.header("last-event-id", id);
                }
                match request.send().await {
                    Ok(response) if response.status() == 200 => {
                        if let Some(lost) = lost_at.take() {
                            task_seen.lock().expect("seen").reconnects.push((lost, Instant::now()));
                        }
                        if let Some(opened) = opened.take() {
                            let _ = opened.send(());
                        }
                        let mut stream = stream_from(response);
                        loop {
                            let item = tokio::select! {
                                _ = task_stop.cancelled() => return,
                                _ = task_kick.notified() => break,
                                item = stream.recv() => item,
                            };
                            match item {
                                Some(Item::Event(event)) => {
                                    last = event.id.clone().or(last);
                                    if event.event == "new_message" {
                                        let data = event.json();
                                        let number = |v: &Value, name: &str| v[name].as_i64().expect(name);
                                        let received = Received {
                                            position: event.position(),
                                            id: number(&data["message"], "id"),
                                            chat: number(&data, "chat_id"),
                                            sender: number(&data["message"], "sender_id"),
                                        };
                                        task_seen.lock().expect("seen").messages.push(received);
                                    }
                                }
                                Some(Item::Retry(ms)) => retry = Duration::from_millis(ms),
                                Some(_) => {}
                                None => break,
                            }
                        }
                        lost_at = Some(Instant::now());
                    }
                    _ => {
                        lost_at.get_or_insert_with(Instant::now);
                    }
                }
                tokio::time::sleep(retry).await; // as an EventSource does: the server's last hint
            }
        });
        tokio::time::timeout(Duration::from_secs(10), opened_rx).await.expect("the stream opens").expect("opened");
        Self { name: format!("user {}", user.id), user: user.clone(), seen, stop, kick, task }
    }

    /// Waits (up to 30 s) until `n` messages have arrived and returns their ids in order.
    pub async fn wait_for_ids(&self, n: usize) -> Vec<i64> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let ids: Vec<i64> = self.seen.lock().expect("seen").messages.iter().map(|m| m.id).collect();
            if ids.len() >= n || Instant::now() > deadline {
                return ids;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub async fn wait_for(&mut self, n: usize) -> Vec<i64> {
        self.wait_for_ids(n).await
    }

    pub fn positions(&self) -> Vec<i64> {
        self.seen.lock().expect("seen").messages.iter().map(|m| m.position).collect()
    }

    /// What the stream says of each chat: (messages received, from others, the newest id).
    fn chat_states(&self) -> BTreeMap<i64, (usize, usize, i64)> {
        let mut states = BTreeMap::new();
        for m in &self.seen.lock().expect("seen").messages {
            let state: &mut (usize, usize, i64) = states.entry(m.chat).or_default();
            state.0 += 1;
            state.1 += usize::from(m.sender != self.user.id);
            state.2 = state.2.max(m.id);
        }
        states
    }

    pub fn reconnects(&self) -> usize {
        self.seen.lock().expect("seen").reconnects.len()
    }

    /// The ids of the newest `n` messages of `chat` this follower received, oldest first.
    fn newest_of(&self, chat: i64, n: usize) -> Vec<i64> {
        let seen = self.seen.lock().expect("seen");
        let ids: Vec<i64> = seen.messages.iter().filter(|m| m.chat == chat).map(|m| m.id).collect();
        ids[ids.len().saturating_sub(n)..].to_vec()
    }

    /// Drops the stream now; it reconnects with its `Last-Event-ID`, as a browser does after a
    /// network blip.
    pub fn reconnect(&self) {
        self.kick.notify_one();
    }

    /// When the stream was open again after each loss at or after `t`.
    pub fn reopened_after(&self, t: Instant) -> Vec<Instant> {
        self.seen
            .lock()
            .expect("seen")
            .reconnects
            .iter()
            .filter(|(lost, _)| *lost >= t)
            .map(|(_, back)| *back)
            .collect()
    }

    /// How long the first stream loss at or after `t` took to be repaired.
    pub fn first_reconnect_after(&self, t: Instant) -> Option<Duration> {
        let seen = self.seen.lock().expect("seen");
        seen.reconnects.iter().find(|(lost, _)| *lost >= t).map(|(lost, back)| *back - *lost)
    }
}
