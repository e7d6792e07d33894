//! S11's third adversary: anonymous visitors opening inquiry chats through the teachers' links
//! at the limit's rate. Each open makes a guest, a chat, its members and its first message in
//! one append, from a request nobody signed in to make; it once took the log's lock for itself.
//! The visitors come from ever new addresses (the replicas believe `X-Forwarded-For` from this
//! machine, as from nginx), so the per-address limit never stops them, and each link is opened
//! on each replica just under its own limit (`RATE_INQUIRY_OPENS_PER_MIN`, the product's
//! default): the most a school's links let strangers do.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;

use super::Attack;
use crate::load;

/// Opens a minute per link on one replica: the product's default `RATE_INQUIRY_OPENS_PER_MIN`.
pub const PER_MINUTE: u32 = 60;

/// Links `teachers` (tokens) each create one, through the API as a teacher would; their tokens.
pub(super) async fn create_links(url: &str, teachers: &[String]) -> anyhow::Result<Vec<String>> {
    let http = load::client();
    let mut links = Vec::new();
    for (t, teacher) in teachers.iter().enumerate() {
        let response = http
            .post(format!("{url}/api/inquiry-links"))
            .bearer_auth(teacher)
            .json(&json!({ "title": format!("Course {t}") }))
            .send()
            .await?;
        anyhow::ensure!(response.status() == 201, "S11: creating an inquiry link answered {}", response.status());
        let link: serde_json::Value = response.json().await?;
        let token = link["token"].as_str().ok_or_else(|| anyhow::anyhow!("S11: a link without a token: {link}"))?;
        links.push(token.to_owned());
    }
    Ok(links)
}

/// A new client address for every visitor: 10.x.y.z, counting.
fn next_address() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(1);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("10.{}.{}.{}", (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff)
}

/// Every link of `links` opened on every replica of `urls`, one open per link and replica every
/// 60/[`PER_MINUTE`] s (a twentieth slower, so that no open meets the limit only for the
/// clocks' skew), each a visitor of its own, until `duration` has passed. `messages`: the opens
/// answered 201 (their latency); `errors`: every other answer.
pub(super) async fn open_inquiries(urls: &[String], links: &[String], duration: Duration) -> Attack {
    let http = load::client();
    let deadline = Instant::now() + duration;
    let every = Duration::from_secs(60) / PER_MINUTE * 21 / 20;
    let tasks: Vec<_> = links
        .iter()
        .flat_map(|link| urls.iter().map(move |url| format!("{url}/api/inquiry/{link}")))
        .map(|url| {
            let http = http.clone();
            tokio::spawn(async move {
                let mut ticks = tokio::time::interval(every);
                let (mut latencies, mut errors) = (Vec::new(), 0usize);
                loop {
                    ticks.tick().await;
                    if Instant::now() >= deadline {
                        return (latencies, errors);
                    }
                    let body = json!({ "name": "Visitor", "message": "Сколько стоит курс?" });
                    let sent = Instant::now();
                    match http.post(&url).header("x-forwarded-for", next_address()).json(&body).send().await {
                        Ok(r) if r.status() == 201 => latencies.push(sent.elapsed()),
                        _ => errors += 1,
                    }
                }
            })
        })
        .collect();
    Attack::gather(tasks).await
}
