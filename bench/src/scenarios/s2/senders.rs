//! S2's load sources: messages and typing requests sent open-loop, on schedule.

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime};

use serde_json::json;

use crate::load;

/// Posts `total` messages at `rate` per second, open-loop from `began`, alternating each pair's
/// teacher and student, numbered from `first` ("s2 <n>"), recording when each was sent; answers
/// how many were acknowledged, and how late each was sent against the schedule.
#[allow(clippy::too_many_arguments)]
pub(super) async fn post_messages(
    http: &reqwest::Client,
    base: &str,
    pairs: &[load::Pair],
    rate: usize,
    total: usize,
    first: u64,
    began: tokio::time::Instant,
    starts: &load::Shared<HashMap<u64, (Instant, SystemTime)>>,
) -> (usize, Vec<Duration>) {
    // Parsed once: parsing a URL per request (reqwest does, given a string) was a visible
    // share of the generator's own CPU, which the measured system shares.
    let url: reqwest::Url = format!("{base}/api/messages").parse().expect("the messages URL");
    let mut posts = Vec::with_capacity(total);
    for i in 0..total {
        let due = began + Duration::from_secs_f64(i as f64 / rate as f64);
        tokio::time::sleep_until(due).await;
        let pair = &pairs[i % pairs.len()];
        let (token, this) = (if i % 2 == 0 { pair.teacher.clone() } else { pair.student.clone() }, first + i as u64);
        let body = json!({ "chat_id": pair.chat, "content": format!("s2 {this}") });
        let (http, url, starts) = (http.clone(), url.clone(), starts.clone());
        posts.push(tokio::spawn(async move {
            let lag = tokio::time::Instant::now().saturating_duration_since(due);
            starts.lock().expect("starts").insert(this, (Instant::now(), SystemTime::now()));
            let ok = matches!(http.post(url).bearer_auth(&token).json(&body).send().await, Ok(r) if r.status() == 201);
            (ok, lag)
        }));
    }
    let (mut acknowledged, mut lags) = (0, Vec::with_capacity(total));
    for post in posts {
        if let Ok((ok, lag)) = post.await {
            acknowledged += usize::from(ok);
            lags.push(lag);
        }
    }
    (acknowledged, lags)
}

/// Posts `rate` typing requests per second for `run`, open-loop from `began`, alternating the
/// replicas and, per chat, `true` and `false` (each of which the throttle forwards: a `false`
/// ends the typing the `true` began), as the chat's student; the teacher's stream receives them.
pub(super) async fn type_along(
    http: reqwest::Client,
    urls: Vec<String>,
    pairs: Vec<load::Pair>,
    rate: usize,
    run: Duration,
    began: tokio::time::Instant,
) {
    let total = (rate as f64 * run.as_secs_f64()) as usize;
    // Every (replica, chat) URL parsed once, as the message URL is.
    let targets: Vec<Vec<reqwest::Url>> = urls
        .iter()
        .map(|base| {
            pairs.iter().map(|p| format!("{base}/api/chats/{}/typing", p.chat).parse().expect("a typing URL")).collect()
        })
        .collect();
    let mut requests = Vec::with_capacity(total);
    for i in 0..total {
        tokio::time::sleep_until(began + Duration::from_secs_f64(i as f64 / rate as f64)).await;
        let pair = &pairs[i % pairs.len()];
        let is_typing = (i / pairs.len()).is_multiple_of(2);
        let url = targets[i % urls.len()][i % pairs.len()].clone();
        let (http, token) = (http.clone(), pair.student.clone());
        requests.push(tokio::spawn(async move {
            let _ = http.post(url).bearer_auth(&token).json(&json!({ "is_typing": is_typing })).send().await;
        }));
    }
    for request in requests {
        let _ = request.await;
    }
}
