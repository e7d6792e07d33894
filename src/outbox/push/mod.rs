//! Web Push: notifications to the browsers of people who are offline, next to the school's
//! webhook ([`super::notices`]) or instead of it.
//!
//! A notice (one per person and chat, written by the database with the message) is claimed by
//! [`super::notices`] under its usual rules: after the grace period, one per chat per quiet
//! period, never for one's own message, never for a chat already read or a person who came
//! back online. The statement that first claims it also writes one `push_messages` row per
//! browser the person subscribed (`push_messages` in `sql/schema.sql`), so each browser gets each notice
//! once, whatever crashes. Every replica runs the [`Pushes`] delivery: it claims due pushes with
//! `FOR UPDATE SKIP LOCKED` and a lease (`NOTIFY_LEASE_SECS`), so exactly one replica sends
//! each, builds the payload from the notice as it is then, and sends it (see [`wire`]). A 2xx
//! delivers it; 429, 5xx or no answer retries it with back-off (`NOTIFY_RETRY_BASE_MS`,
//! doubling, at least what `Retry-After` asks) until `NOTIFY_RETRY_FOR_SECS`; 404 or 410 means
//! the browser unsubscribed: the subscription is deleted; any other answer fails it.

pub mod wire;

use std::time::Duration;

use deadpool_postgres::Pool;
use time::OffsetDateTime;

use crate::config::{NotifyConfig, PushPreview};
use crate::metrics::PUSHES;
use wire::{Payload, Signer};

/// Pushes claimed at once.
const BATCH: i64 = 32;

/// One push to send.
pub struct Due {
    id: uuid::Uuid,
    subscription_id: i64,
    endpoint: String,
    p256dh: String,
    auth: String,
    attempts: i32,
    payload: Payload,
}

/// What a push service answered.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    Delivered,
    /// The subscription is gone (404, 410).
    Gone(u16),
    /// Worth trying again (429, 5xx, no answer), not before the given delay.
    Retry(String, Duration),
    Failed(String),
}

/// The pushes' delivery: sends each browser its notice.
pub struct Pushes {
    config: NotifyConfig,
    signer: Signer,
    http: reqwest::Client,
}

impl Pushes {
    /// `None` without a VAPID key, or when the key or the HTTP client cannot be used (logged).
    pub fn new(config: &NotifyConfig) -> Option<Self> {
        let vapid = config.push.vapid.as_ref()?;
        let signer = Signer::new(vapid)
            .inspect_err(|e| {
                tracing::error!(error = format!("{e:#}"), "cannot use PUSH_VAPID_PRIVATE_KEY; no pushes will be sent")
            })
            .ok()?;
        // Each request within its own deadline, and never to where a push service redirects.
        let http = reqwest::Client::builder()
            .timeout((config.lease / 2).min(Duration::from_secs(10)))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .inspect_err(|e| tracing::error!(error = %e, "cannot build the push client; no pushes will be sent"))
            .ok()?;
        Some(Self { config: config.clone(), signer, http })
    }
}

impl super::Delivery for Pushes {
    type Item = Due;
    const BATCH: usize = BATCH as usize;

    async fn claim(&self, pool: &Pool) -> anyhow::Result<Vec<Due>> {
        claim(pool, &self.config).await
    }

    async fn deliver(&self, pool: &Pool, due: Due) {
        let outcome = send(&self.http, &self.signer, &self.config, &due).await;
        if let Err(e) = settle(pool, &self.config, &due, outcome).await {
            tracing::warn!(error = format!("{e:#}"), push = %due.id, "cannot record a push's outcome; it is sent again after its lease");
        }
    }
}

/// Claims the due pushes (at most [`BATCH`]) with what each needs, cancelling those whose chat
/// the person has read since (or, a guardian, may no longer read: `notice_reader()`).
async fn claim(pool: &Pool, config: &NotifyConfig) -> anyhow::Result<Vec<Due>> {
    let client = pool.get().await?;
    let statement = client
        .prepare_cached(
            "WITH due AS (
                SELECT id FROM push_messages
                WHERE state IN ('pending', 'sending', 'retry')
                  AND CASE state WHEN 'pending' THEN true
                                 WHEN 'retry' THEN next_attempt_at <= now()
                                 ELSE claimed_until < now() END
                ORDER BY created_at LIMIT $1
                FOR UPDATE SKIP LOCKED
            ), judged AS (
                SELECT due.id, NOT r.behind OR n.preview = '' AS moot, r.mentioned
                FROM due JOIN push_messages x ON x.id = due.id JOIN notices n ON n.id = x.notice_id
                CROSS JOIN LATERAL notice_reader(n.user_id, n.chat_id, n.message_id) r
            )
            UPDATE push_messages x
            SET state = CASE WHEN j.moot THEN 'cancelled' ELSE 'sending' END,
                claimed_until = CASE WHEN NOT j.moot THEN now() + make_interval(secs => $2) END,
                attempts = x.attempts + CASE WHEN j.moot THEN 0 ELSE 1 END,
                settled_at = CASE WHEN j.moot THEN now() END
            FROM judged j, notices n, push_subscriptions s, chats c, messages m, users u
            WHERE x.id = j.id AND n.id = x.notice_id AND s.id = x.subscription_id AND c.id = n.chat_id
              AND m.id = n.message_id AND u.id = m.sender_id
            RETURNING x.id, x.state, x.attempts, s.id AS subscription_id, s.endpoint, s.p256dh, s.auth,
                      n.chat_id, n.message_id, n.count, n.preview, u.name AS sender,
                      CASE WHEN c.kind = 'group' THEN coalesce(c.title, u.name) ELSE u.name END AS title,
                      j.mentioned",
        )
        .await?;
    let rows = client.query(&statement, &[&BATCH, &config.lease.as_secs_f64()]).await?;
    let mut claimed = Vec::with_capacity(rows.len());
    for row in rows {
        if row.get::<_, &str>("state") == "cancelled" {
            metrics::counter!(PUSHES, "outcome" => "cancelled").increment(1);
            continue;
        }
        // What the school lets a lock screen show (`PUSH_PREVIEW`).
        let (title, body, sender) = match config.push.preview {
            PushPreview::Full => (row.get("title"), row.get("preview"), row.get("sender")),
            PushPreview::Sender => (row.get("title"), String::new(), row.get("sender")),
            PushPreview::Off => (String::new(), String::new(), String::new()),
        };
        claimed.push(Due {
            id: row.get("id"),
            subscription_id: row.get("subscription_id"),
            endpoint: row.get("endpoint"),
            p256dh: row.get("p256dh"),
            auth: row.get("auth"),
            attempts: row.get("attempts"),
            payload: Payload {
                title,
                body,
                chat_id: row.get("chat_id"),
                message_id: row.get("message_id"),
                count: row.get("count"),
                sender,
                mentioned: row.get("mentioned"),
            },
        });
    }
    Ok(claimed)
}

/// One attempt to hand a push to its push service.
async fn send(http: &reqwest::Client, signer: &Signer, config: &NotifyConfig, due: &Due) -> Outcome {
    let prepared = (|| {
        let endpoint = url::Url::parse(&due.endpoint)?;
        let now = OffsetDateTime::now_utc().unix_timestamp().max(0) as u64;
        Ok::<_, anyhow::Error>((
            signer.authorization(&endpoint, now)?,
            wire::encrypt(&due.payload, &due.p256dh, &due.auth)?,
            endpoint,
        ))
    })();
    let (authorization, body, endpoint) = match prepared {
        Ok(prepared) => prepared,
        Err(e) => return Outcome::Failed(format!("cannot prepare the push: {e:#}")),
    };
    let answer = http
        .post(endpoint)
        .header("authorization", authorization)
        .header("content-encoding", "aes128gcm")
        .header("content-type", "application/octet-stream")
        .header("ttl", config.push.ttl.as_secs().to_string())
        .header("urgency", "high")
        // Replaces a pushed notification about the same chat that the browser has not got yet.
        .header("topic", format!("chat-{}", due.payload.chat_id))
        .body(body)
        .send()
        .await;
    match answer {
        Ok(answer) => {
            let status = answer.status().as_u16();
            let retry_after = answer
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs)
                .unwrap_or_default();
            match status {
                200..=299 => Outcome::Delivered,
                404 | 410 => Outcome::Gone(status),
                429 | 500..=599 => Outcome::Retry(format!("the push service answered {status}"), retry_after),
                _ => Outcome::Failed(format!("the push service answered {status}")),
            }
        }
        Err(e) => Outcome::Retry(format!("the push service could not be reached: {e}"), Duration::ZERO),
    }
}

/// Records an attempt's outcome.
async fn settle(pool: &Pool, config: &NotifyConfig, due: &Due, outcome: Outcome) -> anyhow::Result<()> {
    let client = pool.get().await?;
    let label = match &outcome {
        Outcome::Delivered => {
            client
                .execute(
                    "WITH done AS (
                         UPDATE push_messages SET state = 'delivered', settled_at = now(), claimed_until = NULL, last_error = NULL
                         WHERE id = $1 AND state = 'sending' RETURNING subscription_id)
                     UPDATE push_subscriptions SET last_push_at = now() WHERE id IN (SELECT subscription_id FROM done)",
                    &[&due.id],
                )
                .await?;
            "delivered"
        }
        Outcome::Gone(status) => {
            // Its pushes go with it (ON DELETE CASCADE).
            client.execute("DELETE FROM push_subscriptions WHERE id = $1", &[&due.subscription_id]).await?;
            tracing::info!(subscription = due.subscription_id, status, "a push subscription has expired; deleted");
            "gone"
        }
        Outcome::Retry(error, at_least) => {
            let exponent = u32::try_from(due.attempts.saturating_sub(1)).unwrap_or(0).min(20);
            let backoff =
                config.retry_base.saturating_mul(2u32.pow(exponent)).max(*at_least).min(Duration::from_secs(3600));
            let row = client
                .query_opt(
                    "UPDATE push_messages
                     SET state = CASE WHEN created_at < now() - make_interval(secs => $2) THEN 'failed' ELSE 'retry' END,
                         settled_at = CASE WHEN created_at < now() - make_interval(secs => $2) THEN now() END,
                         next_attempt_at = now() + make_interval(secs => $3), claimed_until = NULL, last_error = $4
                     WHERE id = $1 AND state = 'sending' RETURNING state",
                    &[&due.id, &config.retry_for.as_secs_f64(), &backoff.as_secs_f64(), error],
                )
                .await?;
            tracing::info!(push = %due.id, attempts = due.attempts, error, "a push was not delivered");
            if row.is_some_and(|r| r.get::<_, &str>("state") == "failed") { "failed" } else { "retried" }
        }
        Outcome::Failed(error) => {
            client
                .execute(
                    "UPDATE push_messages SET state = 'failed', settled_at = now(), claimed_until = NULL, last_error = $2
                     WHERE id = $1 AND state = 'sending'",
                    &[&due.id, error],
                )
                .await?;
            tracing::warn!(push = %due.id, error, "a push was refused for good");
            "failed"
        }
    };
    metrics::counter!(PUSHES, "outcome" => label).increment(1);
    Ok(())
}
