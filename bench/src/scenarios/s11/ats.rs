//! S11's first adversary: students of the group posting texts of [`ATS`] `@`s to it, the next as
//! soon as the last is answered (a message's mentions were once resolved inside the log's lock
//! at a cost of `@`s × members).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;

use super::{ATS, Attack};
use crate::load;

/// Idempotency keys of the attackers' messages, unique within this process (a retry's key
/// would be answered 200 with the first message, appending nothing).
static NEXT_KEY: AtomicU64 = AtomicU64::new(0);

/// Each of `tokens` posting [`ATS`] `@`s to `chat`, the next as soon as the last is answered,
/// until `duration` has passed (the last ones are awaited: a phase ends when its load does).
pub(super) async fn post_ats(urls: &[String], chat: i64, tokens: &[String], duration: Duration) -> Attack {
    let http = load::client();
    let deadline = Instant::now() + duration;
    let text = "@".repeat(ATS);
    let tasks: Vec<_> = tokens
        .iter()
        .enumerate()
        .map(|(a, token)| {
            let (http, url, token) = (http.clone(), format!("{}/api/messages", urls[a % urls.len()]), token.clone());
            let body = json!({ "chat_id": chat, "content": text });
            tokio::spawn(async move {
                let (mut latencies, mut errors) = (Vec::new(), 0);
                while Instant::now() < deadline {
                    let key = format!("bench-s11-{}", NEXT_KEY.fetch_add(1, Ordering::Relaxed));
                    let sent = Instant::now();
                    match http.post(&url).bearer_auth(&token).header("idempotency-key", key).json(&body).send().await {
                        Ok(r) if r.status() == 201 => {
                            latencies.push(sent.elapsed());
                            let _ = r.bytes().await;
                        }
                        _ => errors += 1,
                    }
                }
                (latencies, errors)
            })
        })
        .collect();
    Attack::gather(tasks).await
}
