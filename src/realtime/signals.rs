//! Ephemeral signals: typing and presence. They cross replicas as PostgreSQL notifications on
//! their own channel, [`CHANNEL`], which every replica's listener LISTENs to on the connection
//! it already holds for the log. Unlike log events they are never stored, have no position,
//! and reach streams as SSE events without an `id:` line, so they never move a client's
//! `Last-Event-ID` and a resume replays exactly the log. A signal missed while a stream was
//! down is not replayed: typing is stale by then, and a client that reconnects reads presence
//! afresh (`GET /api/chats`, `GET /api/presence/{id}`).
//!
//! A notification's payload is JSON, far under NOTIFY's 8,000 bytes: one signal,
//! `{"typing":{"chat_id","user_id","is_typing"}}` or `{"presence":{"user_id","online","last_seen"}}`
//! (~100 bytes), or an array of up to [`BATCH`] of them. Presence is sent by the SQL functions
//! of `sql/functions/presence_*.sql`, once per transition. Typing is sent by the replica that received
//! the request, through [`SignalSender`]: a task that sends whatever signals are waiting in one
//! notification (`SELECT pg_notify(…)`, a transaction that writes no data, so its commit waits
//! for no disk flush), paced to one per [`PACE`] unless [`BATCH`] are waiting. Every notifying
//! commit takes PostgreSQL's one notification lock, which the log's appends need too, and
//! wakes every replica's listener; pacing keeps a flood of typing from doing either a thousand
//! times a second (measured in S2, see docs/bench/notes.md). The request does not wait for
//! it: typing is best effort, and a signal that finds the queue full is dropped.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use deadpool_postgres::Pool;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::frames::signal_frame;
use super::hub::Hub;
use crate::jobs::{Inbox, Jobs};

/// The NOTIFY channel of ephemeral signals.
pub const CHANNEL: &str = "tutorchat_signals";

/// At most one `is_typing: true` per user and chat is forwarded per this period (per replica).
pub const TYPING_THROTTLE: Duration = Duration::from_secs(2);

/// How long a receiver shows `is_typing: true` unless it is renewed (documented for clients;
/// the web client uses it).
pub const TYPING_EXPIRES: Duration = Duration::from_secs(6);

/// The data of SSE `typing`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TypingEvent {
    pub chat_id: i64,
    pub user_id: i64,
    pub is_typing: bool,
}

/// The data of SSE `presence`, and the answer of `GET /api/presence/{user_id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PresenceEvent {
    pub user_id: i64,
    /// Whether the user has an event stream open on any replica.
    pub online: bool,
    /// When their last stream closed; null while online, and for someone never seen.
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_seen: Option<OffsetDateTime>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Signal {
    Typing(TypingEvent),
    Presence(PresenceEvent),
    /// A session signed out (`session_revoke`): every replica refuses it and ends its streams.
    SessionEnded(SessionEnded),
}

/// A signed-out session's id, and when it would have expired (Unix seconds).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionEnded {
    pub sid: String,
    pub until: u64,
}

/// A notification's payload: one signal or several.
#[derive(Deserialize)]
#[serde(untagged)]
enum Payload {
    One(Signal),
    Many(Vec<Signal>),
}

/// Signals per notification at most (each ~100 bytes; NOTIFY takes up to 8,000).
pub const BATCH: usize = 50;

impl Signal {
    /// Routes a notification's payload to this replica's streams. A payload that does not
    /// parse is logged and dropped (signals are best effort by nature).
    pub fn dispatch(payload: &str, hub: &Hub) {
        match serde_json::from_str::<Payload>(payload) {
            Ok(Payload::One(signal)) => signal.route(hub),
            Ok(Payload::Many(signals)) => signals.iter().for_each(|s| s.route(hub)),
            Err(e) => tracing::warn!(error = %e, payload, "unreadable signal dropped"),
        }
    }

    fn route(&self, hub: &Hub) {
        match self {
            Signal::Typing(typing) => {
                hub.signal_chat(typing.chat_id, typing.user_id, || signal_frame("typing", typing))
            }
            Signal::Presence(presence) => hub.signal_contacts(presence.user_id, || signal_frame("presence", presence)),
            Signal::SessionEnded(ended) => {
                hub.revoked().insert(ended.sid.clone(), ended.until);
                hub.end_session(&ended.sid);
            }
        }
        metrics::counter!(crate::metrics::SIGNALS, "kind" => self.kind()).increment(1);
    }

    fn kind(&self) -> &'static str {
        match self {
            Signal::Typing(_) => "typing",
            Signal::Presence(_) => "presence",
            Signal::SessionEnded(_) => "session_ended",
        }
    }
}

/// Sends signals to every replica (this one included) through PostgreSQL, several per
/// notification when several are waiting.
pub struct SignalSender {
    queue: mpsc::Sender<Signal>,
}

impl SignalSender {
    /// Starts the sending task under `jobs`' supervision (`signals`); it ends when the last
    /// `SignalSender` is dropped.
    pub fn start(pool: Pool, jobs: &Arc<Jobs>, shutdown: CancellationToken) -> Self {
        let (queue, signals) = mpsc::channel(BATCH * 20);
        let signals = Inbox::new(signals);
        jobs.supervise("signals", shutdown, move || send_batches(pool.clone(), signals.clone()));
        Self { queue }
    }

    /// Queues a signal; `false` (and nothing sent) when the queue is full.
    pub fn send(&self, signal: Signal) -> bool {
        let queued = self.queue.try_send(signal).is_ok();
        if !queued {
            metrics::counter!(crate::metrics::SIGNALS_DROPPED).increment(1);
        }
        queued
    }
}

/// One notification per this period leaves a replica (sooner only when [`BATCH`] signals are
/// waiting): a signal after a quiet period leaves at once, and those that arrive while one has
/// just left wait for the period's end and go together. PostgreSQL and every listener see at
/// most one notification per period instead of one per signal. The period is short because a
/// batch is a burst of frames on the receiving replica, and the messages that arrive during one
/// wait behind it. In S2 with 1,000 typing requests/s at 500 messages/s, the median pair of
/// runs added +71 % to the p99 at 25 ms (batches of ~12 signals, six pairs) and +23 % at 5 ms
/// (36 pairs); at 2,000 messages/s, where the extra notifications cost more, +6 % and +10 %
/// (docs/bench/notes.md, 2026-11-23).
pub const PACE: Duration = Duration::from_millis(5);

async fn send_batches(pool: Pool, signals: Inbox<Signal>) {
    let mut signals = signals.take().await;
    let mut batch = Vec::with_capacity(BATCH);
    let mut last_sent: Option<tokio::time::Instant> = None;
    while signals.recv_many(&mut batch, BATCH).await > 0 {
        let now = tokio::time::Instant::now();
        if let Some(due) = last_sent.map(|at| at + PACE).filter(|due| *due > now) {
            while batch.len() < BATCH {
                let room = BATCH - batch.len();
                match tokio::time::timeout_at(due, signals.recv_many(&mut batch, room)).await {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
            }
        }
        last_sent = Some(tokio::time::Instant::now());
        let payload = match batch.as_slice() {
            [one] => serde_json::to_string(one),
            many => serde_json::to_string(many),
        }
        .unwrap_or_default();
        batch.clear();
        let sent = async {
            let client = pool.get().await?;
            // Prepared once per pooled connection: one round trip per notification, not two.
            let notify = client.prepare_cached("SELECT pg_notify($1, $2)").await?;
            client.execute(&notify, &[&CHANNEL, &payload]).await?;
            anyhow::Ok(())
        }
        .await;
        if let Err(e) = sent {
            metrics::counter!(crate::metrics::SIGNALS_DROPPED).increment(1);
            tracing::warn!(error = format!("{e:#}"), "signals not sent");
        }
    }
}

/// Signals one user may have forwarded in one chat in a burst, and per second after it: room
/// for typing, stopping and starting again (a blur, a refocus), never a flood.
pub const TYPING_BURST: f64 = 4.0;
pub const TYPING_PER_SEC: f64 = 2.0;

/// Which typing requests are forwarded, per user and chat, on this replica. A `true` renews a
/// shown indicator at most once per [`TYPING_THROTTLE`]; a `false` is forwarded only to end a
/// shown one; and every forwarded signal, whatever its value, takes a token from a bucket of
/// [`TYPING_BURST`] refilled at [`TYPING_PER_SEC`]: alternating true and false forwards no more
/// than that (an unended indicator expires on its own). Sending a message ends typing.
#[derive(Default)]
pub struct TypingThrottle {
    state: Mutex<HashMap<(i64, i64), Typing>>,
}

#[derive(Clone, Copy)]
struct Typing {
    /// When a `true` was last forwarded.
    renewed: Instant,
    /// Not yet ended by a forwarded `false`, a message, or the bucket.
    shown: bool,
    tokens: f64,
    filled: Instant,
}

impl TypingThrottle {
    /// Whether to forward this request.
    pub fn admit(&self, user: i64, chat: i64, is_typing: bool) -> bool {
        let now = Instant::now();
        let mut state = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if state.len() > 10_000 {
            // Entries that would start afresh anyway: indicator expired, bucket full again.
            state.retain(|_, t| now.duration_since(t.filled) < TYPING_EXPIRES);
        }
        let t = state.entry((user, chat)).or_insert(Typing {
            renewed: now,
            shown: false,
            tokens: TYPING_BURST,
            filled: now,
        });
        t.tokens = (t.tokens + now.duration_since(t.filled).as_secs_f64() * TYPING_PER_SEC).min(TYPING_BURST);
        t.filled = now;
        let wanted = match is_typing {
            true => !(t.shown && now.duration_since(t.renewed) < TYPING_THROTTLE),
            false => t.shown,
        };
        if !is_typing {
            t.shown = false; // a `false` ends it whether or not it is forwarded
        }
        if !wanted || t.tokens < 1.0 {
            return false;
        }
        t.tokens -= 1.0;
        if is_typing {
            (t.renewed, t.shown) = (now, true);
        }
        true
    }

    /// `user` sent a message to `chat`: their typing there has ended (the partner's client
    /// ends the indicator on the message), so their next `true` starts a new one.
    pub fn ended(&self, user: i64, chat: i64) {
        if let Some(t) = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).get_mut(&(user, chat)) {
            t.shown = false;
        }
    }
}
