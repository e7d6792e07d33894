//! The checker every fault test ends with: nothing acknowledged lost, every stream as the log says.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{Cluster, Follower, PostLog};

/// The committed messages of `chats`, in log order, read on `sql`.
async fn committed_on(sql: &tokio_postgres::Client, chats: &[i64]) -> Vec<i64> {
    let rows = sql
        .query("SELECT id FROM messages WHERE chat_id = ANY($1) ORDER BY id", &[&chats])
        .await
        .expect("committed messages");
    rows.iter().map(|r| r.get(0)).collect()
}

/// Fresh reads by user and the position their stream reached.
type Reads = HashMap<(i64, i64), Fresh>;

/// What a client reads fresh: its chat list, and the newest page of the chat it has open.
struct Fresh {
    chats: Vec<Value>,
    open_page: Option<Vec<i64>>,
}

impl Cluster {
    /// The committed messages of `chats`, in log order: the truth every follower must match.
    pub async fn committed_in(&self, chats: &[i64]) -> Vec<i64> {
        committed_on(&self.sql().await, chats).await
    }

    pub async fn committed(&self, chat: i64) -> Vec<i64> {
        self.committed_in(&[chat]).await
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

    /// The checker every fault test ends with. Writes: every acknowledged message is
    /// committed, and one whose answer was lost or refused (indeterminate) is committed at most
    /// once (every post has its own text). Streams: every follower has every committed message
    /// of its chats exactly once, in log order, and nothing of other chats. Convergence: what a
    /// client would build from its stream (each chat's message count, unread count and newest
    /// message) equals a fresh `GET /api/chats` (`/api/admin/chats` for the admin).
    pub async fn assert_delivered(&self, followers: &[Follower], posts: &PostLog) {
        // One connection for the whole check: a new one per follower (2,000 in the HA tests,
        // each authenticated with SCRAM by a debug build) took most of those tests' time.
        let sql = self.sql().await;
        let all_chats: Vec<i64> = self.pairs.iter().map(|p| p.chat).collect();
        let everything = committed_on(&sql, &all_chats).await;
        for id in posts.acked_ids() {
            assert!(everything.binary_search(&id).is_ok(), "acknowledged message {id} is not in the database");
        }
        let twice = self.duplicated_contents().await;
        assert!(twice.is_empty(), "a write landed more than once: {twice:?}");
        if posts.indeterminate() > 0 {
            eprintln!("checker: {} writes indeterminate, each landed at most once", posts.indeterminate());
        }
        let mut reads = Reads::new();
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
            let expected = committed_on(&sql, &chats).await;
            let received = follower.wait_for_ids(expected.len()).await;
            assert_eq!(received.len(), expected.len(), "{}: count", follower.name);
            if received != expected {
                let missing: Vec<_> = expected.iter().filter(|id| !received.contains(id)).collect();
                panic!("{}: received differs from the log; missing {missing:?}; received {received:?}", follower.name);
            }
            let positions = follower.positions();
            assert!(positions.windows(2).all(|w| w[0] < w[1]), "{}: positions must increase", follower.name);
            self.assert_converged(follower, &mut reads).await;
        }
    }

    /// What `follower`'s stream says of each chat equals what a fresh read says. The reads are
    /// made once for each user and position reached (`reads`): the hundreds of streams one
    /// user holds in the HA tests, all at the log's end, are each compared with the same reads
    /// (two requests a stream, through nginx to debug builds, took about a minute of each).
    async fn assert_converged(&self, follower: &Follower, reads: &mut Reads) {
        let streamed = follower.chat_states();
        let seen = follower.positions().last().copied().unwrap_or(0);
        let open = streamed.keys().next().copied();
        // Streams of one user have each just been checked against that user's committed
        // messages, so at one position they hold the same messages and open the same chat.
        let key = (follower.user.id, seen);
        if let Entry::Vacant(missing) = reads.entry(key) {
            missing.insert(self.fresh_reads(follower, seen, open).await);
        }
        let Fresh { chats, open_page } = &reads[&key];
        let admin = follower.user.id == self.admin.id;
        for chat in chats {
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
        if let (Some(chat), Some(fetched)) = (open, open_page) {
            let built = follower.newest_of(chat, fetched.len());
            assert_eq!(&built, fetched, "{}: chat {chat}'s newest page from the stream and from GET", follower.name);
        }
    }

    /// What a client of `follower`'s user reads fresh once its stream has shown it position
    /// `seen`: every page of its chat list, and the newest page of chat `open`.
    async fn fresh_reads(&self, follower: &Follower, seen: i64, open: Option<i64>) -> Fresh {
        // As the web client does: its reads reflect at least what its stream has shown it (a
        // replica reading from a standby waits for it, or reads the primary).
        const MIN: &str = "x-min-event-position";
        let seen = seen.to_string();
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
        let mut open_page = None;
        if let Some(chat) = open {
            let url = format!("{}/api/chats/{chat}/messages?limit=100", self.url);
            let response = self.http.get(url).bearer_auth(&follower.user.token).header(MIN, &seen).send().await;
            let page: Value = response.expect("history").json().await.expect("JSON");
            let fetched: Vec<i64> =
                page["messages"].as_array().expect("messages").iter().filter_map(|m| m["id"].as_i64()).collect();
            open_page = Some(fetched);
        }
        Fresh { chats, open_page }
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
}
