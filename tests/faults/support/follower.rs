//! Followers: event streams that behave like a browser's EventSource, reconnecting with Last-Event-ID.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::Cluster;
use crate::helpers::{Item, User, is_message, stream_from};

impl Cluster {
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

    /// A stream through nginx that is opened and never read.
    pub async fn stalled_stream(&self) -> reqwest::Response {
        let response =
            self.http.get(format!("{}/api/events/chat", self.url)).bearer_auth(&self.stalled_user().token).send().await;
        let response = response.expect("open the stalled stream");
        assert_eq!(response.status(), 200);
        response
    }
}

/// Reads a stream to its end: the ids of the messages it carried and the last event id.
pub async fn drain(response: reqwest::Response) -> (Vec<i64>, Option<String>) {
    let mut stream = stream_from(response);
    let (mut ids, mut last) = (Vec::new(), None);
    loop {
        match tokio::time::timeout(Duration::from_secs(30), stream.recv()).await.expect("the cut stream ends") {
            Some(Item::Event(event)) => {
                last = event.id.clone().or(last);
                if is_message(&event.event) {
                    ids.push(event.json()["message"]["id"].as_i64().expect("id"));
                }
            }
            Some(_) => {}
            None => return (ids, last),
        }
    }
}

/// A message (`new_message`, or `message_sent` on its sender's stream) as a follower received it.
#[derive(Debug, Clone, Copy)]
struct Received {
    position: i64,
    id: i64,
    chat: i64,
    sender: i64,
}

#[derive(Default)]
struct Seen {
    /// Every message, in arrival order.
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
                                    if is_message(&event.event) {
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
    pub(super) fn chat_states(&self) -> BTreeMap<i64, (usize, usize, i64)> {
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
    pub(super) fn newest_of(&self, chat: i64, n: usize) -> Vec<i64> {
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
