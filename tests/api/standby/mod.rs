//! Reads from a streaming standby (`READ_DATABASE_URL`, `src/standby.rs`), against a real
//! standby of the test server made with `pg_basebackup`: history, chat lists and stream replays
//! go there; a read that must include a position gets it (waiting, or from the primary); a
//! paused, dead or foreign standby never shows in an answer.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio_postgres::Client;
use tutorchat::db::embedded::EmbeddedPostgres;

use crate::helpers::{Item, TestApp, User, start_standby, status_and_json};
use replay::connect_when_replayed;

/// The standby tests count reads in the process's metrics: one at a time.
async fn serial() -> tokio::sync::MutexGuard<'static, ()> {
    static LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    LOCK.lock().await
}

struct Setup {
    app: TestApp,
    standby: Arc<EmbeddedPostgres>,
    /// The test's database on the standby (superuser: it can pause replay).
    on_standby: Client,
    /// The test's database's name (on both servers).
    dbname: String,
    teacher: User,
    student: User,
    chat: i64,
}

/// A replica reading from a new standby, a pair and their chat, with the standby caught up;
/// a read that must include a position waits 100 ms for the standby to show it (`READ_WAIT_MS`).
async fn setup() -> Option<Setup> {
    setup_waiting(Duration::from_millis(100)).await
}

/// As [`setup`], a read waiting up to `wait` for the standby.
async fn setup_waiting(wait: Duration) -> Option<Setup> {
    let standby = start_standby().await?;
    let reads = standby.config("postgres");
    let app = TestApp::spawn_with(|config| {
        let mut reads = reads.clone();
        reads.dbname(config.database.as_ref().and_then(|d| d.get_dbname()).expect("the test database"));
        config.reads.database = Some(reads);
        config.reads.wait = wait;
    })
    .await;
    let (teacher, student) = (app.user("teacher", "Мария").await, app.user("student", "Пётр").await);
    let chat = app.chat(&teacher, &student).await;
    let dbname = app.database.get_dbname().expect("dbname").to_owned();
    let on_standby = connect_when_replayed(&app.sql, &standby, &dbname).await;
    let setup = Setup { app, standby: Arc::new(standby), on_standby, dbname, teacher, student, chat };
    setup.caught_up().await;
    Some(setup)
}

impl Setup {
    async fn primary_head(&self) -> i64 {
        self.app.sql.query_one("SELECT coalesce(max(position), 0) FROM events", &[]).await.expect("head").get(0)
    }

    /// The standby's newest replayed position, settled or not.
    async fn standby_head(&self) -> i64 {
        self.on_standby_position("SELECT coalesce(max(position), 0) FROM events").await
    }

    /// The standby's settled head, its answers' position: behind while any older transaction is open.
    async fn standby_settled_head(&self) -> i64 {
        self.on_standby_position("SELECT head FROM log_head()").await
    }

    async fn on_standby_position(&self, sql: &str) -> i64 {
        match self.on_standby.query_one(sql, &[]).await {
            Ok(row) => row.get(0),
            // The database has reached the standby but its tables have not been replayed yet
            // (seen on a loaded machine): nothing of the log is there.
            Err(e) if e.code() == Some(&tokio_postgres::error::SqlState::UNDEFINED_TABLE) => 0,
            // Replay resumed after a pause applies WAL received long before, so a record that
            // conflicts with this statement's snapshot cancels it at once (seen under CI's load):
            // asked again, it sees the replay's progress.
            Err(e) if e.code() == Some(&tokio_postgres::error::SqlState::T_R_SERIALIZATION_FAILURE) => 0,
            Err(e) => panic!("head: {e:?}"),
        }
    }

    /// Waits until the standby's settled head reaches everything the primary has now.
    async fn caught_up(&self) {
        replay::replayed(&self.app.sql, &self.standby).await;
        let (head, deadline) = (self.primary_head().await, Instant::now() + REPLAY_BOUND);
        while self.standby_settled_head().await < head {
            assert!(Instant::now() < deadline, "the standby did not reach position {head}");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    async fn pause_replay(&self) {
        self.on_standby.execute("SELECT pg_wal_replay_pause()", &[]).await.expect("pause replay");
    }

    async fn resume_replay(&self) {
        self.on_standby.execute("SELECT pg_wal_replay_resume()", &[]).await.expect("resume replay");
    }

    /// Sends and returns the message's id and the position the answer gives it.
    async fn send(&self, user: &User, content: &str) -> (i64, i64) {
        let response = self.app.post_message(user, self.chat, content).await;
        let position = position_of(&response);
        let (status, body) = status_and_json(response).await;
        assert_eq!(status, 201, "{body}");
        (body["id"].as_i64().expect("id"), position)
    }

    /// `GET path` as `user`, with `X-Min-Event-Position` when `min` is given: the position the
    /// answer reflects, and its body.
    async fn read(&self, path: &str, user: &User, min: Option<i64>) -> (i64, Value) {
        let mut request = self.app.get(path, user);
        if let Some(min) = min {
            request = request.header("x-min-event-position", min.to_string());
        }
        let response = request.send().await.expect("GET");
        let position = position_of(&response);
        let (status, body) = status_and_json(response).await;
        assert_eq!(status, 200, "{path}: {body}");
        (position, body)
    }

    async fn history(&self, user: &User, min: Option<i64>) -> (i64, Vec<String>) {
        let (position, body) = self.read(&format!("/api/chats/{}/messages", self.chat), user, min).await;
        let texts = body["messages"].as_array().expect("messages").iter();
        (position, texts.map(|m| m["content"].as_str().expect("content").to_owned()).collect())
    }

    /// The pair's chat in `user`'s chat list.
    async fn listed(&self, user: &User, min: Option<i64>) -> (i64, Value) {
        let (position, body) = self.read("/api/chats", user, min).await;
        let chat = body["chats"].as_array().expect("chats").iter().find(|c| c["id"] == self.chat).cloned();
        (position, chat.expect("the chat is listed"))
    }

    /// How many reads meant for the standby ended with `outcome` so far (this process).
    fn reads(&self, outcome: &str) -> u64 {
        let metrics = self.app.state.metrics.render();
        let line = format!("tutorchat_standby_reads_total{{outcome=\"{outcome}\"}} ");
        metrics.lines().find_map(|l| l.strip_prefix(line.as_str())).map_or(0, |n| n.trim().parse().expect("a count"))
    }

    /// Opens `user`'s stream resuming after `after` and collects its replayed messages (and the
    /// chat it opened with) until it has `n` messages.
    async fn replay(&self, user: &User, after: i64, n: usize) -> (Vec<String>, Value) {
        let mut stream = self.app.stream(user, Some(&after.to_string())).await;
        let (mut texts, mut opened) = (Vec::new(), Value::Null);
        while texts.len() < n {
            let Some(Item::Event(event)) = stream.item(Duration::from_secs(10)).await else { continue };
            match event.event.as_str() {
                // Their own messages among them as `message_sent`.
                "new_message" | "message_sent" => {
                    texts.push(event.json()["message"]["content"].as_str().expect("content").to_owned())
                }
                "chat_created" => opened = event.json()["chat"].clone(),
                _ => {}
            }
        }
        (texts, opened)
    }
}

/// How long the standby may take to show a position once it has replayed the WAL before it.
const REPLAY_BOUND: Duration = Duration::from_secs(30);

fn position_of(response: &reqwest::Response) -> i64 {
    let header = response.headers().get("x-event-position").expect("X-Event-Position");
    header.to_str().expect("text").parse().expect("a position")
}

#[tokio::test]
async fn reads_go_to_the_standby_and_one_that_must_include_a_position_gets_it() {
    let _one_at_a_time = serial().await;
    let Some(s) = setup().await else { return };
    let (_, first) = s.send(&s.student, "первое").await;
    s.caught_up().await;
    let _teacher_online = s.app.stream(&s.teacher, None).await;

    // The standby stops replaying: whatever it serves from now on is older than the primary.
    s.pause_replay().await;
    let (_, second) = s.send(&s.student, "второе").await;
    assert!(second > first);

    // Without a position to include, the standby answers as it is: a consistent snapshot that
    // says how old it is, from which the stream brings the rest.
    let served = s.reads("served");
    let (position, texts) = s.history(&s.student, None).await;
    assert_eq!(texts, ["первое"], "history came from the paused standby");
    assert!((first..second).contains(&position), "its position {position} is the standby's, before {second}");
    let (position, chat) = s.listed(&s.student, None).await;
    assert!(position < second);
    assert_eq!(chat["last_message"]["content"], "первое");
    // Presence cannot be read on a standby: it still comes, from the primary.
    assert_eq!(chat["participant"]["online"], true, "the teacher's stream is open: {chat}");
    assert_eq!(s.reads("served"), served + 2, "both reads were the standby's");

    // The sender's own write, named by the position its answer gave: the standby does not get
    // there within READ_WAIT_MS, so the primary answers.
    let lagging = s.reads("lagging");
    let (position, texts) = s.history(&s.student, Some(second)).await;
    assert_eq!(texts, ["первое", "второе"], "read-your-writes");
    assert!(position >= second);
    let (_, chat) = s.listed(&s.teacher, Some(second)).await;
    assert_eq!(chat["last_message"]["content"], "второе");
    assert_eq!(chat["unread_count"], 2);
    // A stream resuming from before both replays up to its live head, which the standby lacks.
    let (texts, opened) = s.replay(&s.teacher, 0, 2).await;
    assert_eq!(texts, ["первое", "второе"], "the replay reached the stream's head");
    assert_eq!(opened["participant"]["name"], "Пётр");
    assert_eq!(s.reads("lagging"), lagging + 3, "each of the three went to the primary");

    // A position that is not one is refused, clearly.
    let response =
        s.app.get("/api/chats", &s.student).header("x-min-event-position", "soon").send().await.expect("GET");
    let (status, body) = status_and_json(response).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["error"].as_str().expect("error").contains("X-Min-Event-Position"), "{body}");

    // Replaying again, the standby catches up and serves all three kinds of read, the replay
    // included (its chat_created frame's presence from the primary).
    s.resume_replay().await;
    s.caught_up().await;
    let served = s.reads("served") + s.reads("waited");
    let (position, texts) = s.history(&s.student, Some(second)).await;
    assert_eq!((texts.len(), position >= second), (2, true));
    let (_, chat) = s.listed(&s.student, Some(second)).await;
    assert_eq!(chat["last_message"]["content"], "второе");
    let (texts, opened) = s.replay(&s.student, 0, 2).await;
    assert_eq!(texts, ["первое", "второе"]);
    assert_eq!((&opened["participant"]["name"], &opened["participant"]["online"]), (&"Мария".into(), &true.into()));
    assert_eq!(s.reads("served") + s.reads("waited"), served + 3, "the standby served them");
}

#[tokio::test]
async fn a_chat_list_paged_across_the_primary_and_a_lagging_standby_repeats_and_skips_nothing() {
    let _one_at_a_time = serial().await;
    let Some(s) = setup().await else { return };
    let other = s.app.user("student", "Ольга").await;
    let newer = s.app.chat(&s.teacher, &other).await;
    let later = s.app.post_message(&other, newer, "позже").await; // the second chat is the more recent one
    assert_eq!(later.status(), 201);
    s.caught_up().await;
    s.pause_replay().await;
    let (_, moved) = s.send(&s.student, "и снова").await; // now the first one is, on the primary only

    // Page by page, one chat a page: the first page read at the sender's position (the primary),
    // the later ones with only their cursor, which names the head the first was read at.
    let mut listed = Vec::new();
    let mut path = "/api/chats?limit=1".to_owned();
    for page in 0.. {
        let (_, body) = s.read(&path, &s.teacher, (page == 0).then_some(moved)).await;
        listed.extend(body["chats"].as_array().expect("chats").iter().map(|c| c["id"].as_i64().expect("id")));
        match body["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/chats?limit=1&cursor={cursor}"),
            None => break,
        }
        assert!(page < 5, "paging does not end: {listed:?}");
    }
    assert_eq!(listed, [s.chat, newer], "each chat once, as ranked at the first page's position");
    s.resume_replay().await;
}

#[tokio::test]
async fn a_dead_standby_sends_its_reads_to_the_primary_until_it_is_back() {
    let _one_at_a_time = serial().await;
    let Some(mut s) = setup().await else { return };
    s.send(&s.student, "до").await;
    s.caught_up().await;

    let pg_ctl = async |f: fn(&EmbeddedPostgres) -> anyhow::Result<()>| {
        let standby = s.standby.clone();
        tokio::task::spawn_blocking(move || f(&standby)).await.expect("task").expect("pg_ctl");
    };
    pg_ctl(EmbeddedPostgres::kill_server).await;
    let unavailable = s.reads("unavailable");
    let (_, after) = s.send(&s.student, "после").await;
    let (position, texts) = s.history(&s.teacher, None).await;
    assert_eq!(texts, ["до", "после"], "the primary answered, up to date");
    // Its position is the settled prefix's head: a transaction of another test's database,
    // older than the send, may hold it back a moment (xids are the cluster's); it then reaches
    // the send, still from the primary.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut position = position;
    while position < after {
        assert!(Instant::now() < deadline, "the primary's head stays at {position}, before {after}");
        tokio::time::sleep(Duration::from_millis(50)).await;
        let (now, texts) = s.history(&s.teacher, None).await;
        assert_eq!(texts, ["до", "после"]);
        position = now;
    }
    let (_, chat) = s.listed(&s.teacher, None).await;
    assert_eq!(chat["unread_count"], 2);
    let (texts, _) = s.replay(&s.teacher, 0, 2).await;
    assert_eq!(texts, ["до", "после"]);
    assert!(s.reads("unavailable") >= unavailable + 3, "the failures were counted");

    // Back: after its rest, reads return to it.
    pg_ctl(EmbeddedPostgres::start_server).await;
    s.on_standby = connect_when_replayed(&s.app.sql, &s.standby, &s.dbname).await;
    s.caught_up().await;
    tokio::time::sleep(tutorchat::standby::REST).await;
    let served = s.reads("served");
    let (_, texts) = s.history(&s.teacher, None).await;
    assert_eq!(texts, ["до", "после"]);
    assert_eq!(s.reads("served"), served + 1, "the standby serves again");
}

/// A position beyond the primary's own head cannot be waited for: the read goes to the primary
/// at once instead of holding a standby connection for `READ_WAIT_MS` (here 10 s), so a flood of
/// such reads cannot tie up the standby's pool.
#[tokio::test]
async fn a_position_beyond_the_log_is_answered_by_the_primary_at_once() {
    let _one_at_a_time = serial().await;
    let Some(standby) = start_standby().await else { return };
    let reads = standby.config("postgres");
    let app = TestApp::spawn_with(|config| {
        let mut reads = reads.clone();
        reads.dbname(config.database.as_ref().and_then(|d| d.get_dbname()).expect("the test database"));
        config.reads.database = Some(reads);
        config.reads.wait = Duration::from_secs(10);
    })
    .await;
    let (teacher, student) = (app.user("teacher", "T").await, app.user("student", "S").await);
    let chat = app.chat(&teacher, &student).await;
    app.send(&student, chat, "здравствуйте").await;
    let beyond = i64::MAX.to_string();
    let reads = (0..8).map(|_| {
        app.get(&format!("/api/chats/{chat}/messages"), &student).header("x-min-event-position", &beyond).send()
    });
    let answers = tokio::time::timeout(Duration::from_secs(5), futures::future::join_all(reads))
        .await
        .expect("eight reads of an impossible position answered without waiting READ_WAIT_MS (10 s)");
    for answer in answers {
        let (status, body) = status_and_json(answer.expect("GET history")).await;
        assert_eq!((status, body["messages"][0]["content"].as_str()), (200, Some("здравствуйте")), "{body}");
    }
}

/// The replicas follow the primary: `DATABASE_URL` may name several servers, with
/// `target_session_attrs=read-write` (a standby first here, as after a failover that made the
/// second server the primary). The pool and the log listener both connect to the one that takes
/// writes: a message is stored and reaches a stream live.
#[tokio::test]
async fn a_database_url_naming_a_standby_first_writes_and_listens_on_the_primary() {
    use tokio_postgres::config::{Host, TargetSessionAttrs};
    let _one_at_a_time = serial().await;
    let Some(standby) = start_standby().await else { return };
    let app = TestApp::spawn_with(|config| {
        let primary = config.database.clone().expect("the test database");
        let mut both = tokio_postgres::Config::new();
        both.host_path(standby.socket_dir()).port(5432);
        for (host, port) in primary.get_hosts().iter().zip(primary.get_ports().iter().cycle()) {
            match host {
                Host::Tcp(name) => both.host(name),
                Host::Unix(path) => both.host_path(path),
            };
            both.port(*port);
        }
        both.user(primary.get_user().expect("a user")).dbname(primary.get_dbname().expect("a database"));
        if let Some(password) = primary.get_password() {
            both.password(password);
        }
        both.target_session_attrs(TargetSessionAttrs::ReadWrite).connect_timeout(Duration::from_secs(5));
        config.database = Some(both);
    })
    .await;
    let (teacher, student) = (app.user("teacher", "Мария").await, app.user("student", "Пётр").await);
    let chat = app.chat(&teacher, &student).await;
    let mut stream = app.stream(&teacher, None).await;
    let id = app.send(&student, chat, "через два адреса").await;
    let event = stream.event_within(Duration::from_secs(10)).await;
    let data: Value = serde_json::from_str(&event.data).expect("JSON");
    assert_eq!((event.event.as_str(), data["message"]["id"].as_i64()), ("new_message", Some(id)), "live: {data}");
    let on_standby: i64 = {
        let (client, connection) = standby.config("postgres").connect(tokio_postgres::NoTls).await.expect("standby");
        tokio::spawn(connection);
        client
            .query_one(
                "SELECT count(*) FROM pg_stat_activity
                 WHERE backend_type = 'client backend' AND application_name LIKE 'tutorchat%'",
                &[],
            )
            .await
            .expect("the standby's sessions")
            .get(0)
    };
    assert_eq!(on_standby, 0, "no session of the replica stayed on the standby");
}

mod costly;
mod foreign;
mod replay;
mod settling;
