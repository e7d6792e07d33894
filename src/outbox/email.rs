//! Email to people who never open the app: the `emails` the notices' claim writes (an instant
//! one per notice of a person whose choice is `instant`, one pending digest per person whose
//! choice is `digest`), sent through the school's SMTP server (`SMTP_URL`) by whichever
//! replica claims each first, as the notices are (a lease, `FOR UPDATE SKIP LOCKED`).
//!
//! An email holds no text until it is sent: it is judged and composed then, from the messages
//! as they are. It is cancelled when the person has been online since its message (they saw
//! it), has read it, has left the school or been erased, chose `none` meanwhile (an
//! unsubscribe link), or a digest finds nothing unread; inside the person's quiet hours
//! (`QUIET_HOURS`, a guardian's `QUIET_HOURS_FAMILIES`) it waits until they end. A person gets
//! at most [`INSTANT_PER_HOUR`] instant emails an hour, and [`INQUIRIES_PER_HOUR`] about new
//! inquiries: the rest fold into their digest, due when the hour frees a place. The text of a
//! message goes only as far as `PUSH_PREVIEW` lets a notification show it. Every email carries
//! a signed link (and `List-Unsubscribe`, RFC 8058's one click) that turns the person's email
//! off without signing in.

use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::Pool;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, Message};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use time::OffsetDateTime;

use crate::auth::{Keys, Role};
use crate::config::{EmailChoice, EmailDefaults, Language, NotifyConfig, Smtp};

mod compose;

pub use compose::{LINK_TTL, Unsubscribe, unsubscribe_link, unsubscriber};

/// The school's default for `role` (`NOTIFY_EMAIL`; admins and guests get none).
pub fn default_for(defaults: &EmailDefaults, role: Role) -> EmailChoice {
    match role {
        Role::Student => defaults.student,
        Role::Teacher => defaults.teacher,
        Role::Guardian => defaults.guardian,
        _ => EmailChoice::None,
    }
}

/// Emails claimed at once.
const BATCH: i64 = 16;

/// The most instant emails one person is sent in an hour; past it, the rest fold into their
/// next digest, due when the hour frees a place: however many people write to them (a teacher's
/// open inquiry link, a teacher's announcements), a mailbox gets a few emails an hour.
pub const INSTANT_PER_HOUR: i64 = 4;

/// The most instant emails about new inquiries one person is sent in an hour (the rest fold
/// into their digest): a link passed around opens many chats, each with its visitor's words.
pub const INQUIRIES_PER_HOUR: i64 = 1;

/// The email delivery: claims due emails, judges and composes each, and sends it.
pub struct Emails {
    smtp: Smtp,
    transport: AsyncSmtpTransport<Tokio1Executor>,
    config: NotifyConfig,
    /// The school's settings: its time zone and quiet hours (the students', the families'), as
    /// they are when each email is judged.
    school: Arc<crate::school::Settings>,
    keys: Arc<Keys>,
}

impl Emails {
    /// `None` without `SMTP_URL` (or with one lettre refuses now: checked at start already).
    pub fn new(config: &NotifyConfig, school: Arc<crate::school::Settings>, keys: Arc<Keys>) -> Option<Self> {
        let smtp = config.email.smtp.clone()?;
        let transport = smtp
            .transport((config.lease / 2).min(Duration::from_secs(30)))
            .inspect_err(|e| tracing::error!(error = %e, "SMTP_URL: no emails will be sent"))
            .ok()?;
        Some(Self { smtp, transport, config: config.clone(), school, keys })
    }
}

/// A claimed email, with the attempts it has had (this one included).
pub struct Claimed {
    id: i64,
    attempts: i32,
}

impl super::Delivery for Emails {
    type Item = Claimed;
    const BATCH: usize = BATCH as usize;

    async fn claim(&self, pool: &Pool) -> anyhow::Result<Vec<Claimed>> {
        let rows = pool
            .get()
            .await?
            .query(
                "WITH due AS (
                     SELECT id FROM emails
                     WHERE state = 'pending' AND due_at <= now() OR state = 'sending' AND claimed_until < now()
                     ORDER BY due_at LIMIT $2 FOR UPDATE SKIP LOCKED)
                 UPDATE emails e SET state = 'sending', claimed_until = now() + make_interval(secs => $1),
                                     attempts = e.attempts + 1
                 FROM due WHERE e.id = due.id RETURNING e.id, e.attempts",
                &[&self.config.lease.as_secs_f64(), &BATCH],
            )
            .await?;
        Ok(rows.iter().map(|r| Claimed { id: r.get("id"), attempts: r.get("attempts") }).collect())
    }

    async fn deliver(&self, pool: &Pool, item: Claimed) {
        let recorded = match self.judge(pool, &item).await {
            Ok(Verdict::Send(email)) => match self.transport.send(*email).await {
                Ok(_) => settle(pool, item.id, "sent").await,
                Err(e) => self.retry(pool, &item, &e.to_string()).await,
            },
            Ok(Verdict::Cancel) => settle(pool, item.id, "cancelled").await,
            Ok(Verdict::Wait(until)) => wait(pool, item.id, until).await,
            Ok(Verdict::Fold(until)) => fold(pool, item.id, until).await,
            Err(e) => self.retry(pool, &item, &format!("{e:#}")).await,
        };
        if let Err(e) = recorded {
            tracing::warn!(
                error = format!("{e:#}"),
                email = item.id,
                "cannot record an email's outcome; it is tried again after its lease"
            );
        }
    }
}

/// What to do with a claimed email.
enum Verdict {
    Send(Box<Message>),
    Cancel,
    Wait(OffsetDateTime),
    /// Past the hour's cap: into the person's digest, due then at the latest.
    Fold(OffsetDateTime),
}

impl Emails {
    async fn judge(&self, pool: &Pool, item: &Claimed) -> anyhow::Result<Verdict> {
        let mut client = pool.get().await?;
        let (zone, students, families) =
            (self.school.time_zone(), self.school.quiet_hours(), self.school.family_window());
        let Some(row) = client
            .query_opt(
                "SELECT e.kind, e.state, u.id AS user_id, u.email, u.name, u.role, u.email_link_version,
                        u.deactivated_at IS NOT NULL OR u.erased_at IS NOT NULL
                            OR u.erasure_requested_at IS NOT NULL AS gone, u.email_notify, u.language,
                        presence_online(u.id) OR EXISTS (
                            SELECT 1 FROM user_presence s
                            WHERE s.user_id = u.id AND s.last_seen > coalesce(n.created_at, e.created_at)) AS seen,
                        n.chat_id, n.first_message_id, n.message_id, coalesce(r.behind, false) AS behind,
                        CASE u.role WHEN 'guardian' THEN quiet_hours_end(now(), $3, $4, $2)
                                    ELSE quiet_hours_end(now(), $5, $6, $2) END AS quiet_until
                 FROM emails e JOIN users u ON u.id = e.user_id
                 LEFT JOIN notices n ON n.id = e.notice_id
                 LEFT JOIN LATERAL notice_reader(n.user_id, n.chat_id, n.message_id) r ON true
                 WHERE e.id = $1",
                &[
                    &item.id,
                    &zone,
                    &families.map(|w| w.start),
                    &families.map(|w| w.end),
                    &students.map(|w| w.start),
                    &students.map(|w| w.end),
                ],
            )
            .await?
        else {
            return Ok(Verdict::Cancel);
        };
        let role: Role = row.try_get("role")?;
        let choice: Option<EmailChoice> = row.try_get("email_notify")?;
        let choice = choice.unwrap_or_else(|| default_for(&self.school.email_defaults(), role));
        let kind: &str = row.try_get("kind")?;
        let address: Option<String> = row.try_get("email")?;
        let wanted = match kind {
            "instant" => choice == EmailChoice::Instant && row.try_get("behind")?,
            // The day's digest, or the one an instant person's folded emails wait in.
            _ => choice != EmailChoice::None,
        };
        let gone: bool = row.try_get("gone")?;
        let Some(address) = address.filter(|_| wanted && !gone) else {
            return Ok(Verdict::Cancel);
        };
        if kind == "instant" && row.try_get("seen")? {
            return Ok(Verdict::Cancel); // they were online since: they saw it
        }
        if let Some(until) = row.try_get::<_, Option<OffsetDateTime>>("quiet_until")? {
            return Ok(Verdict::Wait(until));
        }
        let to = Mailbox::new(row.try_get("name")?, address.parse()?);
        let user: i64 = row.try_get("user_id")?;
        let link = unsubscribe_link(&self.keys, &self.smtp.public_url, user, row.try_get("email_link_version")?)?;
        let language = row.try_get::<_, Option<Language>>("language")?.unwrap_or_else(|| self.school.language());
        let text = match kind {
            "instant" => {
                let (chat, first, newest): (i64, i64, i64) =
                    (row.try_get("chat_id")?, row.try_get("first_message_id")?, row.try_get("message_id")?);
                compose::instant(
                    &**client,
                    &self.smtp.public_url,
                    (self.config.push.preview, language),
                    user,
                    chat,
                    (first, newest),
                )
                .await?
            }
            _ => compose::digest(&**client, &self.smtp.public_url, language, user).await?,
        };
        let Some((subject, body)) = text else { return Ok(Verdict::Cancel) }; // nothing left to tell
        if kind == "instant"
            && let Some(until) = take_place(&mut client, item.id, user).await?
        {
            return Ok(Verdict::Fold(until));
        }
        let body = format!("{body}\n\n--\n{}\n{link}\n", compose::unsubscribe_line(language));
        let email = Message::builder()
            // The school's name for itself, at the deployment's address (the server signs for it).
            .from(Mailbox::new(self.school.email_sender(), self.smtp.from.email.clone()))
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .raw_header(HeaderValue::new(HeaderName::new_from_ascii_str("List-Unsubscribe"), format!("<{link}>")))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                "List-Unsubscribe=One-Click".to_owned(),
            ))
            .body(body)?;
        Ok(Verdict::Send(Box::new(email)))
    }

    /// A failed attempt: tried again after a back-off, up to `NOTIFY_RETRY_FOR_SECS` after the
    /// email was written; then `failed`.
    async fn retry(&self, pool: &Pool, item: &Claimed, error: &str) -> anyhow::Result<()> {
        let exponent = u32::try_from(item.attempts.saturating_sub(1)).unwrap_or(0).min(20);
        let backoff = self.config.retry_base.saturating_mul(2u32.pow(exponent)).min(Duration::from_secs(3600));
        tracing::info!(email = item.id, attempts = item.attempts, error, "an email was not sent");
        pool.get()
            .await?
            .execute(
                "UPDATE emails
                 SET state = CASE WHEN created_at < now() - make_interval(secs => $2) THEN 'failed' ELSE 'pending' END,
                     settled_at = CASE WHEN created_at < now() - make_interval(secs => $2) THEN now() END,
                     due_at = now() + make_interval(secs => $3), claimed_until = NULL, last_error = $4
                 WHERE id = $1 AND state = 'sending'",
                &[&item.id, &self.config.retry_for.as_secs_f64(), &backoff.as_secs_f64(), &error],
            )
            .await?;
        Ok(())
    }
}

/// Settled: `sent` or `cancelled`.
async fn settle(pool: &Pool, id: i64, state: &str) -> anyhow::Result<()> {
    pool.get()
        .await?
        .execute(
            "UPDATE emails SET state = $2, settled_at = now(), claimed_until = NULL
             WHERE id = $1 AND state = 'sending'",
            &[&id, &state],
        )
        .await?;
    Ok(())
}

/// Back to pending until `until` (the end of the person's quiet hours), the attempt not counted.
async fn wait(pool: &Pool, id: i64, until: OffsetDateTime) -> anyhow::Result<()> {
    pool.get()
        .await?
        .execute(
            "UPDATE emails SET state = 'pending', due_at = $2, claimed_until = NULL, attempts = attempts - 1
             WHERE id = $1 AND state = 'sending'",
            &[&id, &until],
        )
        .await?;
    Ok(())
}

/// Takes one of `user`'s places of the hour for instant email `id` (None: taken, send it), or
/// answers when one frees: [`INSTANT_PER_HOUR`] in all, [`INQUIRIES_PER_HOUR`] about inquiries.
/// Under a lock per person, so that emails judged at once, on any replica, never pass the cap.
async fn take_place(
    client: &mut deadpool_postgres::Object,
    id: i64,
    user: i64,
) -> anyhow::Result<Option<OffsetDateTime>> {
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock(hashtextextended('tutorchat email places', $1))", &[&user]).await?;
    let row = tx
        .query_one(
            "SELECT CASE WHEN p.placed >= $3 THEN p.oldest + interval '1 hour'
                         WHEN e.inquiry AND p.inquiries >= $4 THEN p.oldest_inquiry + interval '1 hour' END AS full_until
             FROM emails e, LATERAL (
                 SELECT count(*) AS placed, min(x.placed_at) AS oldest,
                        count(*) FILTER (WHERE x.inquiry) AS inquiries,
                        min(x.placed_at) FILTER (WHERE x.inquiry) AS oldest_inquiry
                 FROM emails x
                 WHERE x.user_id = $2 AND x.id <> $1 AND x.state IN ('sending', 'sent')
                   AND x.placed_at > now() - interval '1 hour') p
             WHERE e.id = $1",
            &[&id, &user, &INSTANT_PER_HOUR, &INQUIRIES_PER_HOUR],
        )
        .await?;
    let full_until: Option<OffsetDateTime> = row.try_get("full_until")?;
    if full_until.is_none() {
        tx.execute("UPDATE emails SET placed_at = now() WHERE id = $1 AND placed_at IS NULL", &[&id]).await?;
    }
    tx.commit().await?;
    Ok(full_until)
}

/// Folds instant email `id` into its person's digest, due at `until` at the latest (when the
/// hour frees a place), in one transaction: the digest then lists its chat among the unread.
async fn fold(pool: &Pool, id: i64, until: OffsetDateTime) -> anyhow::Result<()> {
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    let folded = tx
        .query_opt(
            "UPDATE emails SET state = 'folded', settled_at = now(), claimed_until = NULL
             WHERE id = $1 AND state = 'sending' RETURNING user_id",
            &[&id],
        )
        .await?;
    if let Some(row) = folded {
        let user: i64 = row.try_get("user_id")?;
        tx.execute(
            "INSERT INTO emails (user_id, kind, due_at) VALUES ($1, 'digest', $2)
             ON CONFLICT (user_id) WHERE kind = 'digest' AND state IN ('pending', 'sending')
             DO UPDATE SET due_at = least(emails.due_at, excluded.due_at)",
            &[&user, &until],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The replica's email job: sends until shutdown; returns at once without `SMTP_URL`.
pub async fn run(
    pool: Pool,
    config: NotifyConfig,
    school: Arc<crate::school::Settings>,
    keys: Arc<Keys>,
    shutdown: tokio_util::sync::CancellationToken,
) {
    if let Some(emails) = Emails::new(&config, school, keys) {
        super::work(emails, pool, super::tick(&config), shutdown).await;
    }
}
