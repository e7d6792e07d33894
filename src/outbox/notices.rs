//! Offline notifications: the notices of the outbox (see [`super`]), posted to the school's
//! webhook and fanned out to Web Push ([`super::push`]).
//!
//! Every replica runs the [`Notices`] delivery. A notice is due once it is
//! `NOTIFY_GRACE_SECS` old and no notice to the same user about the same chat was sent in the
//! last `NOTIFY_QUIET_SECS`; a replica that dies holding one leaves it to be claimed again when
//! the lease runs out, under the same id (delivery is at least once; the id is for the
//! receiver to de-duplicate). At the claim it is cancelled instead when it has become moot: the
//! user has been online since the message (a stream opened: they saw it live), has read the
//! chat up to it, left or muted the chat, or every message it tells of has been deleted.
//!
//! Its preview, count and newest message are taken at the claim too, from the messages as they
//! are then: a deleted message's text never leaves, an edited one's leaves as edited. A notice
//! a message was folded into after the claim's statement began is left for the next round: its
//! snapshot cannot see that message, and judging it would drop it from the count.
//!
//! Muting is judged here, at the claim (`notice_reader()`), and not where notices are written
//! (the log's write path stays as it was): a muted member's notice is cancelled, so neither a
//! Web Push nor the webhook hears of it, and a chat muted during the grace period is silent too.
//! Mentions are the exception, judged there too: a notice whose unread messages mention the
//! person is sent even in a chat they muted, and says so (`mentioned`).
//!
//! The webhook gets a POST with a JSON body and the Standard Webhooks headers:
//! `webhook-id` (the notice's id), `webhook-timestamp` (Unix seconds) and `webhook-signature`
//! (`v1,` + base64 of HMAC-SHA256 over `id.timestamp.body` with `NOTIFY_WEBHOOK_SECRET`). A
//! 2xx answer delivers it; anything else (or no answer within half the lease) is retried with
//! exponential back-off from `NOTIFY_RETRY_BASE_MS`, up to an hour apart, until
//! `NOTIFY_RETRY_FOR_SECS` after its message; then it is `failed`.
//!
//! Settled notices (delivered, failed, cancelled) hold a preview of a private message and are
//! read again only by the quiet period's check: [`super::keep_purging`] deletes them once they are
//! `NOTIFY_KEEP_SECS` old (`notices_purge()`, `sql/functions/notices_purge.sql`), on every
//! replica, with a webhook or without (one configured earlier may have left some).

use std::time::Duration;

use deadpool_postgres::Pool;
use serde::Serialize;
use time::OffsetDateTime;

use crate::config::NotifyConfig;
use crate::metrics::{NOTICES, NOTICES_OLDEST_SECONDS, NOTICES_PENDING};

/// Notices claimed at once.
const BATCH: i64 = 16;

/// How often the outbox gauges are refreshed.
const GAUGE_EVERY: Duration = Duration::from_secs(5);

/// What the webhook receives.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Notice {
    /// The same for every attempt to deliver this notice: de-duplicate on it.
    pub id: uuid::Uuid,
    pub user_id: i64,
    pub chat_id: i64,
    /// The newest message folded into the notice.
    pub message_id: i64,
    /// Its first 100 characters (or its first attachment's name).
    pub preview: String,
    /// How many messages the notice stands for.
    pub count: i32,
    /// When the first of them was written.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// One of the messages it stands for mentions the person (it is sent even when they muted
    /// the chat).
    pub mentioned: bool,
}

/// Records whether this deployment notifies (a webhook, Web Push or email is configured):
/// notices are written only then, and not for what was written while they were off
/// (`notify_announce()`). Every replica sets it at start, so all must agree.
pub async fn announce(pool: &Pool, config: &NotifyConfig) -> anyhow::Result<()> {
    let enabled = config.enabled();
    pool.get().await?.execute("SELECT notify_announce($1)", &[&enabled]).await?;
    Ok(())
}

/// Log positions fanned out per transaction: each holds the log's settled prefix back while it
/// writes, so a few milliseconds' worth.
const FAN_OUT_BATCH: i32 = 256;

/// Writes the notices of the messages committed since the last fan-out, from the log
/// (`notices_fan_out()`, `sql/functions/notices_fan_out.sql`), a batch of positions per
/// transaction until it has caught up with the log's settled head (or another replica is at
/// it), at most [`FAN_OUT_ROUNDS`] batches before the claim has its turn.
pub async fn fan_out(pool: &Pool) -> anyhow::Result<()> {
    let client = pool.get().await?;
    let statement = client.prepare_cached("SELECT notices_fan_out($1)").await?;
    for _ in 0..FAN_OUT_ROUNDS {
        let behind: i64 = client.query_one(&statement, &[&FAN_OUT_BATCH]).await?.get(0);
        if behind == 0 {
            break;
        }
    }
    Ok(())
}

/// Batches fanned out before a claim, at most.
const FAN_OUT_ROUNDS: usize = 64;

/// The notices' delivery: claims them, and posts those still worth it to the webhook.
pub struct Notices {
    config: NotifyConfig,
    /// The school's settings: its time zone, on whose clock the day's digest is due.
    school: std::sync::Arc<crate::school::Settings>,
    http: reqwest::Client,
    next_gauge: std::sync::Mutex<std::time::Instant>,
}

impl Notices {
    /// `None` when this deployment does not notify (no webhook, no VAPID key), or its HTTP
    /// client cannot be built (logged).
    pub fn new(config: &NotifyConfig, school: std::sync::Arc<crate::school::Settings>) -> Option<Self> {
        if !config.enabled() {
            return None;
        }
        // Never to where the school's end redirects: the signed body goes to the URL the
        // operator set, and nowhere else.
        let http = reqwest::Client::builder()
            .timeout((config.lease / 2).min(Duration::from_secs(10)))
            .redirect(reqwest::redirect::Policy::none())
            .build();
        let http = http
            .inspect_err(|e| tracing::error!(error = %e, "cannot build the webhook client; no notices will be sent"))
            .ok()?;
        let next_gauge = std::sync::Mutex::new(std::time::Instant::now());
        Some(Self { config: config.clone(), school, http, next_gauge })
    }
}

impl super::Delivery for Notices {
    /// A notice for the webhook, with how many attempts it has had, this one included.
    type Item = (Notice, i32);
    const BATCH: usize = BATCH as usize;

    async fn claim(&self, pool: &Pool) -> anyhow::Result<Vec<(Notice, i32)>> {
        fan_out(pool).await?;
        claim(pool, &self.config, &self.school.effective()).await
    }

    async fn deliver(&self, pool: &Pool, (notice, attempts): (Notice, i32)) {
        let Some(webhook) = &self.config.webhook else { return };
        let outcome = super::webhook::deliver(&self.http, webhook, notice.id, &notice).await;
        if let Err(e) = settle(pool, &self.config, &notice, attempts, outcome).await {
            tracing::warn!(error = format!("{e:#}"), notice = %notice.id, "cannot record a notice's outcome; it is sent again after its lease");
        }
    }

    /// The backlog gauges, for scrapes every few seconds: not on every round.
    async fn after_round(&self, pool: &Pool) {
        let due = {
            let mut next = self.next_gauge.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let now = std::time::Instant::now();
            let due = now >= *next;
            if due {
                *next = now + GAUGE_EVERY;
            }
            due
        };
        if due && let Err(e) = gauge(pool).await {
            tracing::debug!(error = format!("{e:#}"), "cannot measure the outbox");
        }
    }
}

/// Claims the due notices (at most [`BATCH`]), cancelling those that have become moot. The
/// first claim of each also writes its Web Pushes, one per browser the person subscribed
/// (`push_messages`, sent by `super::push`); without a webhook, that claim delivers it, as it
/// does a guardian's (guardians get Web Push only, never the school's webhook).
/// Returns the ones to send to the webhook, with how many attempts each has had, this one
/// included.
/// `school`: its settings now (the email defaults, the clock the digest is due on).
async fn claim(
    pool: &Pool,
    config: &NotifyConfig,
    school: &crate::school::Effective,
) -> anyhow::Result<Vec<(Notice, i32)>> {
    let defaults = school.email_defaults;
    let rows = pool
        .get()
        .await?
        .query(
            "WITH due AS (
                SELECT n.id, n.ctid FROM notices n
                WHERE n.state IN ('pending', 'sending', 'retry')
                  AND CASE n.state
                        WHEN 'pending' THEN n.created_at <= now() - make_interval(secs => $1)
                            AND NOT EXISTS (
                                SELECT 1 FROM notices o
                                WHERE o.user_id = n.user_id AND o.chat_id = n.chat_id AND o.id <> n.id
                                  AND (o.state IN ('sending', 'retry')
                                       OR o.state = 'delivered' AND o.sent_at > now() - make_interval(secs => $2)))
                        WHEN 'retry' THEN n.next_attempt_at <= now()
                        ELSE n.claimed_until < now()
                      END
                ORDER BY n.created_at
                LIMIT $4
                FOR UPDATE SKIP LOCKED
            ), judged AS (
                SELECT n.id, now_.newest, now_.count, coalesce(now_.preview, '') AS preview,
                       now_.count = 0
                       OR presence_online(n.user_id)
                       OR EXISTS (SELECT 1 FROM user_presence s WHERE s.user_id = n.user_id AND s.last_seen > n.created_at)
                       OR NOT r.behind AS moot, r.mentioned,
                       EXISTS (SELECT 1 FROM users u WHERE u.id = n.user_id AND u.role = 'guardian') AS guardian
                -- The statement's snapshot may predate a message folded in before the lock was
                -- taken: the lock holds the newer version (its ctid), which this snapshot cannot
                -- judge. Such a notice is left pending for the next round.
                FROM due JOIN notices n ON n.id = due.id AND n.ctid = due.ctid
                CROSS JOIN LATERAL notice_reader(n.user_id, n.chat_id, n.message_id) r
                -- The folded messages as they are now: deleted ones drop out (all of them: the
                -- notice is cancelled), the newest left gives the preview, with its edits.
                CROSS JOIN LATERAL (
                    SELECT max(m.id) AS newest, count(*)::int AS count,
                           (array_agg(CASE WHEN m.content ~ '[^[:space:]]' THEN left(m.content, 100)
                                           ELSE '📎 ' || (m.attachments -> 0 ->> 'name') END
                                      ORDER BY m.id DESC))[1] AS preview
                    FROM messages m
                    WHERE m.chat_id = n.chat_id AND m.id BETWEEN n.first_message_id AND n.message_id
                      AND m.sender_id <> n.user_id AND NOT m.is_deleted AND m.hidden_at IS NULL AND m.purged_at IS NULL
                      AND (n.author_id IS NULL OR m.sender_id = n.author_id)
                ) now_
            ), pushed AS (
                INSERT INTO push_messages (notice_id, subscription_id)
                SELECT n.id, s.id FROM judged j JOIN notices n ON n.id = j.id
                JOIN push_subscriptions s ON s.user_id = n.user_id
                WHERE $5 AND NOT j.moot AND n.attempts = 0
                ON CONFLICT DO NOTHING
            ), emailed AS (
                -- Email, for members with an address and no browser subscribed to Web Push (a
                -- guardian's children's chats are no email's): an instant one per notice of a
                -- direct or family chat, an inquiry or an announcement, once they have been away
                -- $8 since its message; else the day's digest, one pending per person (the next
                -- $10 on the school's clock, $11).
                INSERT INTO emails (user_id, kind, notice_id, inquiry, due_at)
                SELECT n.user_id, w.choice, CASE WHEN w.choice = 'instant' THEN n.id END,
                       w.choice = 'instant' AND c.kind = 'inquiry',
                       CASE WHEN w.choice = 'instant' THEN n.created_at + make_interval(secs => $8)
                            ELSE (d.day + CASE WHEN d.at::time < $10::time THEN 0 ELSE 1 END + $10::time) AT TIME ZONE $11
                       END
                FROM judged j JOIN notices n ON n.id = j.id
                JOIN users u ON u.id = n.user_id AND u.email IS NOT NULL AND u.deactivated_at IS NULL
                              AND u.erasure_requested_at IS NULL
                JOIN chats c ON c.id = n.chat_id
                CROSS JOIN LATERAL (SELECT coalesce(u.email_notify, CASE u.role WHEN 'student' THEN ($9::text[])[1]
                                                                   WHEN 'teacher' THEN ($9::text[])[2]
                                                                   WHEN 'guardian' THEN ($9::text[])[3] END) AS choice) w
                CROSS JOIN LATERAL (SELECT now() AT TIME ZONE $11 AS at, (now() AT TIME ZONE $11)::date AS day) d
                WHERE $7 AND NOT j.moot AND n.attempts = 0
                  AND (w.choice = 'digest' OR w.choice = 'instant' AND (c.kind <> 'group' OR c.announcement))
                  AND NOT EXISTS (SELECT 1 FROM push_subscriptions s WHERE s.user_id = n.user_id)
                  AND EXISTS (SELECT 1 FROM chat_participants p WHERE p.chat_id = n.chat_id AND p.user_id = n.user_id)
                ON CONFLICT DO NOTHING
            )
            UPDATE notices n
            SET state = CASE WHEN j.moot THEN 'cancelled' WHEN $6 AND NOT j.guardian THEN 'sending' ELSE 'delivered' END,
                preview = j.preview,
                count = CASE WHEN j.count > 0 THEN j.count ELSE n.count END,
                message_id = coalesce(j.newest, n.message_id),
                claimed_until = CASE WHEN NOT j.moot AND $6 AND NOT j.guardian THEN now() + make_interval(secs => $3) END,
                attempts = n.attempts + CASE WHEN j.moot THEN 0 ELSE 1 END,
                sent_at = CASE WHEN j.moot THEN n.sent_at ELSE coalesce(n.sent_at, now()) END,
                settled_at = CASE WHEN j.moot OR NOT $6 OR j.guardian THEN now() END
            FROM judged j WHERE n.id = j.id
            RETURNING n.id, n.user_id, n.chat_id, n.message_id, n.preview, n.count, n.created_at, n.state, n.attempts,
                      j.mentioned",
            &[
                &config.grace.as_secs_f64(),
                &config.quiet.as_secs_f64(),
                &config.lease.as_secs_f64(),
                &BATCH,
                &config.push.vapid.is_some(),
                &config.webhook.is_some(),
                &config.email.smtp.is_some(),
                &config.email.after.as_secs_f64(),
                &vec![defaults.student, defaults.teacher, defaults.guardian],
                &config.email.digest_at,
                &school.time_zone,
            ],
        )
        .await?;
    let mut claimed = Vec::with_capacity(rows.len());
    for row in rows {
        match row.get::<_, &str>("state") {
            "cancelled" => {
                metrics::counter!(NOTICES, "outcome" => "cancelled").increment(1);
                continue;
            }
            "delivered" => continue, // no webhook: its pushes are written
            _ => {}
        }
        let notice = Notice {
            id: row.get("id"),
            user_id: row.get("user_id"),
            chat_id: row.get("chat_id"),
            message_id: row.get("message_id"),
            preview: row.get("preview"),
            count: row.get("count"),
            created_at: row.get("created_at"),
            mentioned: row.get("mentioned"),
        };
        claimed.push((notice, row.get("attempts")));
    }
    Ok(claimed)
}

/// Records an attempt's outcome: delivered, or retried after a back-off, or failed for good.
async fn settle(
    pool: &Pool,
    config: &NotifyConfig,
    notice: &Notice,
    attempts: i32,
    outcome: Result<(), String>,
) -> anyhow::Result<()> {
    let client = pool.get().await?;
    match outcome {
        Ok(()) => {
            client
                .execute(
                    "UPDATE notices SET state = 'delivered', settled_at = now(), claimed_until = NULL, last_error = NULL
                     WHERE id = $1 AND state = 'sending'",
                    &[&notice.id],
                )
                .await?;
            metrics::counter!(NOTICES, "outcome" => "delivered").increment(1);
        }
        Err(error) => {
            let exponent = u32::try_from(attempts.saturating_sub(1)).unwrap_or(0).min(20);
            let backoff = config.retry_base.saturating_mul(2u32.pow(exponent)).min(Duration::from_secs(3600));
            let row = client
                .query_opt(
                    "UPDATE notices
                     SET state = CASE WHEN created_at < now() - make_interval(secs => $2) THEN 'failed' ELSE 'retry' END,
                         settled_at = CASE WHEN created_at < now() - make_interval(secs => $2) THEN now() END,
                         next_attempt_at = now() + make_interval(secs => $3), claimed_until = NULL, last_error = $4
                     WHERE id = $1 AND state = 'sending' RETURNING state",
                    &[&notice.id, &config.retry_for.as_secs_f64(), &backoff.as_secs_f64(), &error],
                )
                .await?;
            let failed = row.is_some_and(|r| r.get::<_, &str>("state") == "failed");
            tracing::info!(notice = %notice.id, attempts, error, failed, "a notice was not delivered");
            metrics::counter!(NOTICES, "outcome" => if failed { "failed" } else { "retried" }).increment(1);
        }
    }
    Ok(())
}

/// Updates the outbox gauges: notices not settled, and the oldest one's age.
async fn gauge(pool: &Pool) -> anyhow::Result<()> {
    let row = pool
        .get()
        .await?
        .query_one(
            "SELECT count(*) AS open, coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8 AS oldest
             FROM notices WHERE state IN ('pending', 'sending', 'retry')",
            &[],
        )
        .await?;
    metrics::gauge!(NOTICES_PENDING).set(row.get::<_, i64>("open") as f64);
    metrics::gauge!(NOTICES_OLDEST_SECONDS).set(row.get::<_, f64>("oldest"));
    Ok(())
}
