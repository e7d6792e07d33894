//! Writers through nginx or straight to a replica, plain or retrying like the web client, and what they saw.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::task::JoinHandle;

use super::Cluster;

impl Cluster {
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
