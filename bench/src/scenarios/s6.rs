//! S6: the psql audit on S4's data set: `audit_replay()` over the whole log with its progress
//! notices, the incremental `audit_replay(since)` after a burst of new messages (and that it
//! catches a row forged among them), and one chat's timeline and state at a moment.

use std::time::Instant;

use futures::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use tokio_postgres::{AsyncMessage, Client, NoTls};

use super::Cluster;
use crate::load::{self, Percentiles};
use crate::rounds::{Figure, Figures, figure};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct S6 {
    pub events: i64,
    pub full_seconds: f64,
    pub full_problems: i64,
    /// The NOTICEs the full audit raised, each with the seconds since it started.
    pub progress: Vec<(f64, String)>,
    /// New messages appended after the full audit, and the chats they went to.
    pub incremental_messages: i64,
    pub incremental_chats: i64,
    pub incremental_ms: f64,
    pub incremental_problems: i64,
    /// The incremental audit run again with one of the new messages forged: what it reported.
    pub forged_found: Vec<String>,
    pub timeline: Percentiles,
    pub chat_at: Percentiles,
}

impl Figures for S6 {
    fn figures(&self) -> Vec<Figure> {
        vec![
            figure("audit_replay() over the whole log, s", self.full_seconds),
            figure("its problems", self.full_problems as f64),
            figure(
                format!("audit_replay(since) of {} new messages, ms", self.incremental_messages),
                self.incremental_ms,
            ),
            figure("audit_chat_timeline p50, ms", self.timeline.p50_ms),
            figure("audit_chat_at p50, ms", self.chat_at.p50_ms),
        ]
    }
}

/// A connection of its own, whose NOTICEs arrive on the returned channel as they are raised.
async fn noticing(cluster: &Cluster) -> anyhow::Result<(Client, mpsc::UnboundedReceiver<(Instant, String)>)> {
    let config = tutorchat::config::parse_database_url(cluster.topology().database_url())?;
    let (client, mut connection) = config.connect(NoTls).await?;
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut messages = futures::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(Ok(message)) = messages.next().await {
            if let AsyncMessage::Notice(notice) = message {
                let _ = tx.send((Instant::now(), notice.message().to_owned()));
            }
        }
    });
    Ok((client, rx))
}

pub async fn s6(cluster: &Cluster) -> anyhow::Result<S6> {
    let (sql, mut notices) = noticing(cluster).await?;
    let events: i64 = sql.query_one("SELECT count(*) FROM events", &[]).await?.get(0);

    let started = Instant::now();
    let full_problems: i64 = sql.query_one("SELECT count(*) FROM audit_replay()", &[]).await?.get(0);
    let full_seconds = started.elapsed().as_secs_f64();
    let mut progress = Vec::new();
    while let Ok((at, message)) = notices.try_recv() {
        progress.push((at.saturating_duration_since(started).as_secs_f64(), message));
    }
    eprintln!("S6 audit_replay() over {events} events: {full_seconds:.1} s, {full_problems} problems");

    // A burst of new messages in a hundred chats, through the log's triggers; then the audit of
    // what changed since just before it.
    let since = tutorchat::log::head(&sql).await?;
    let incremental_chats = 100i64;
    let incremental_messages: i64 = sql
        .execute(
            "INSERT INTO events (chat_id, actor_id, type, payload)
             SELECT c.id, coalesce(c.teacher_id, c.created_by), 'message_created',
                    jsonb_build_object('content', 'after the audit ' || g)
             FROM (SELECT * FROM chats ORDER BY random() LIMIT $1) c CROSS JOIN generate_series(1, 10) g
             ORDER BY c.id, g",
            &[&incremental_chats],
        )
        .await? as i64;
    let started = Instant::now();
    let incremental_problems: i64 = sql.query_one("SELECT count(*) FROM audit_replay($1)", &[&since]).await?.get(0);
    let incremental_ms = started.elapsed().as_secs_f64() * 1000.0;
    while notices.try_recv().is_ok() {}

    // The tool's own check: a forged row among the new messages is what the incremental audit reports.
    sql.batch_execute("BEGIN").await?;
    let forged: i64 = sql
        .query_one("UPDATE messages SET content = 'forged' WHERE id = (SELECT max(id) FROM messages) RETURNING id", &[])
        .await?
        .get(0);
    let forged_found: Vec<String> = sql
        .query("SELECT projection || ' ' || row_key || ': ' || problem FROM audit_replay($1)", &[&since])
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    sql.batch_execute("ROLLBACK").await?;
    anyhow::ensure!(
        forged_found == [format!("messages {forged}: differs")],
        "the incremental audit should report message {forged} forged, reported {forged_found:?}"
    );

    let chats: Vec<i64> =
        sql.query("SELECT id FROM chats ORDER BY random() LIMIT 20", &[]).await?.iter().map(|r| r.get(0)).collect();
    let mut timeline = Vec::new();
    let mut chat_at = Vec::new();
    for chat in &chats {
        let started = Instant::now();
        sql.query("SELECT * FROM audit_chat_timeline($1)", &[chat]).await?;
        timeline.push(started.elapsed());
        let started = Instant::now();
        sql.query("SELECT * FROM audit_chat_at($1, now() - interval '1 minute')", &[chat]).await?;
        chat_at.push(started.elapsed());
    }
    drop(notices);
    let result = S6 {
        events,
        full_seconds,
        full_problems,
        progress,
        incremental_messages,
        incremental_chats,
        incremental_ms,
        incremental_problems,
        forged_found,
        timeline: load::percentiles(timeline),
        chat_at: load::percentiles(chat_at),
    };
    eprintln!(
        "S6 incremental audit of {incremental_messages} new messages: {incremental_ms:.0} ms, {incremental_problems} problems; \
         timeline p50 {:.2} ms, chat at a moment p50 {:.2} ms",
        result.timeline.p50_ms, result.chat_at.p50_ms
    );
    Ok(result)
}
