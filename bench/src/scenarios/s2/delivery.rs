//! `Delivery`: S2's streams (and sockets), opened and read on one replica, every delivery timed
//! and checked, and its runs, whose messages are posted on another.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime};

use serde_json::Value;
use tokio_util::sync::CancellationToken;

use super::S2Run;
use super::senders::{post_messages, type_along};
use super::sockets::Receivers;
use crate::load::{self, SocketKind};
use crate::scenarios::Cluster;

/// S2's load and its measurement on a running cluster: `chats` teacher–student pairs of their
/// own, both participants subscribed on the cluster's second replica, messages posted
/// open-loop on its first, every delivery timed and checked. S2 runs it on a cluster of its
/// own; S7 runs the same on S4's data set while retention purges, so that the two measure
/// delivery the same way.
pub struct Delivery {
    /// The scenario it reports under on stderr ("S2", "S7").
    label: &'static str,
    pairs: Vec<load::Pair>,
    urls: Vec<String>,
    /// The load sources (messages, typing) run on a runtime of their own, so that a sender's
    /// work never queues in front of a stream reader's on the same worker threads: the
    /// latency measured is the system's, not the generator's (real senders are other
    /// machines). Taken on drop (a runtime may not be dropped inside another).
    senders: Option<tokio::runtime::Runtime>,
    senders_http: reqwest::Client,
    stop: CancellationToken,
    typing_received: Arc<AtomicUsize>,
    /// Send start of every message by its sequence number, and every delivery's latency.
    starts: load::Shared<HashMap<u64, (Instant, SystemTime)>>,
    deliveries: load::Shared<Vec<(u64, Duration)>>,
    /// And each delivery's two parts, split at its message's `created_at`.
    splits: load::Shared<Vec<(u64, Duration, Duration)>>,
    misordered: Arc<AtomicUsize>,
    /// The message `--drop-one` ignores: the first of the first reported run.
    drop_seq: Arc<AtomicU64>,
    /// The next message's sequence number.
    seq: u64,
    /// The same participants on each dialect's socket, beside their streams.
    sockets: Vec<Receivers>,
}

impl Drop for Delivery {
    fn drop(&mut self) {
        self.stop.cancel();
        if let Some(senders) = self.senders.take() {
            senders.shutdown_background();
        }
    }
}

impl Delivery {
    /// Seeds the pairs, opens their streams (and a socket of each of `sockets` per participant)
    /// on the second replica and waits until all are open.
    pub async fn open(
        cluster: &Cluster,
        label: &'static str,
        chats: usize,
        drop_one: bool,
        misorder_one: bool,
        sockets: &[SocketKind],
    ) -> anyhow::Result<Self> {
        let pairs = load::seed_pairs(&cluster.sql, chats as i64).await?;
        let http = load::stream_client(None)?; // the readers: held for minutes, no overall timeout
        let senders = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
        let senders_http = load::client(); // used only on `senders`, so its connections live there
        let stop = CancellationToken::new();
        let opened = Arc::new(AtomicUsize::new(0));
        let typing_received = Arc::new(AtomicUsize::new(0));
        let starts: load::Shared<HashMap<u64, (Instant, SystemTime)>> = Default::default();
        let deliveries: load::Shared<Vec<(u64, Duration)>> = Default::default();
        let splits: load::Shared<Vec<(u64, Duration, Duration)>> = Default::default();
        let stream_url = format!("{}/api/events/chat", cluster.urls[1]); // receive on B, send on A
        // For the tool's own test: one delivery (of message 0, to one stream) is ignored on purpose.
        // (The message dropped is the first of the first reported run, set in `run`: after the warm-up.)
        let dropped = Arc::new(AtomicBool::new(!drop_one));
        // And one event's position is taken as 0 on purpose, which the order check must count.
        let misordered = Arc::new(AtomicUsize::new(0));
        let misplaced = Arc::new(AtomicBool::new(!misorder_one));
        let drop_seq = Arc::new(AtomicU64::new(u64::MAX));
        for pair in &pairs {
            for token in [&pair.teacher, &pair.student] {
                let (opened, starts, deliveries, dropped, typing_received) =
                    (opened.clone(), starts.clone(), deliveries.clone(), dropped.clone(), typing_received.clone());
                let (drop_seq, misordered, misplaced) = (drop_seq.clone(), misordered.clone(), misplaced.clone());
                let splits = splits.clone();
                let mut last_position = 0u64;
                let reader = load::read_stream(
                    http.clone(),
                    stream_url.clone(),
                    token.clone(),
                    None,
                    stop.clone(),
                    move || {
                        opened.fetch_add(1, Ordering::Relaxed);
                    },
                    move |event| {
                        // Every event with a position comes after the stream's previous one.
                        if let Some(position) = event.id.as_deref().and_then(|id| id.parse::<u64>().ok()) {
                            let reported = if drop_seq.load(Ordering::Relaxed) != u64::MAX
                                && !misplaced.swap(true, Ordering::Relaxed)
                            {
                                0
                            } else {
                                position
                            };
                            if reported <= last_position {
                                misordered.fetch_add(1, Ordering::Relaxed);
                            }
                            last_position = last_position.max(reported);
                        }
                        if event.event == "typing" {
                            typing_received.fetch_add(1, Ordering::Relaxed);
                        }
                        // The sender's own streams have it as `message_sent` (the same data and id).
                        if event.event != "new_message" && event.event != "message_sent" {
                            return;
                        }
                        let (received, received_at) = (Instant::now(), SystemTime::now());
                        let data: Value = serde_json::from_str(&event.data).unwrap_or_default();
                        let seq = data["message"]["content"]
                            .as_str()
                            .and_then(|c| c.strip_prefix("s2 "))
                            .and_then(|s| s.parse::<u64>().ok());
                        if seq == Some(drop_seq.load(Ordering::Relaxed)) && !dropped.swap(true, Ordering::Relaxed) {
                            return;
                        }
                        if let Some(seq) = seq
                            && let Some((start, started_at)) = starts.lock().expect("starts").get(&seq).copied()
                        {
                            deliveries.lock().expect("deliveries").push((seq, received - start));
                            if let Some(appended_at) = data["message"]["created_at"].as_str().and_then(wall_clock) {
                                let before = appended_at.duration_since(started_at).unwrap_or_default();
                                let after = received_at.duration_since(appended_at).unwrap_or_default();
                                splits.lock().expect("splits").push((seq, before, after));
                            }
                        }
                    },
                );
                tokio::spawn(reader);
            }
        }
        let sockets_opened = Arc::new(AtomicUsize::new(0));
        let sockets: Vec<Receivers> = sockets
            .iter()
            .map(|&kind| Receivers::open(kind, &cluster.urls[1], &pairs, &stop, &sockets_opened, &starts))
            .collect();
        let delivery = Self {
            label,
            urls: cluster.urls.clone(),
            senders: Some(senders),
            senders_http,
            stop,
            typing_received,
            starts,
            deliveries,
            splits,
            misordered,
            drop_seq,
            seq: 0,
            pairs,
            sockets,
        };
        wait_for(&opened, delivery.streams(), Duration::from_secs(60)).await?;
        let sockets = delivery.streams() * delivery.sockets.len();
        wait_for(&sockets_opened, sockets, Duration::from_secs(60)).await.map_err(|e| e.context("the sockets"))?;
        Ok(delivery)
    }

    /// How many streams it reads: both participants of each pair.
    pub fn streams(&self) -> usize {
        self.pairs.len() * 2
    }

    /// 5 s at `rate` with `typing` alongside, not reported: the first run after the streams
    /// open measured worse than any later one.
    pub async fn warm_up(&mut self, rate: usize, typing: usize) -> anyhow::Result<()> {
        self.measure(rate, typing, Duration::from_secs(5), true).await.map(drop)
    }

    /// One reported run: `rate` messages per second for `length`, with `typing_rate` typing
    /// requests per second alongside; also when its sending began and ended.
    pub async fn run(
        &mut self,
        rate: usize,
        typing_rate: usize,
        length: Duration,
    ) -> anyhow::Result<(S2Run, std::ops::Range<Instant>)> {
        let _ = self.drop_seq.compare_exchange(u64::MAX, self.seq, Ordering::Relaxed, Ordering::Relaxed);
        self.measure(rate, typing_rate, length, false).await
    }

    async fn measure(
        &mut self,
        rate: usize,
        typing_rate: usize,
        length: Duration,
        warming: bool,
    ) -> anyhow::Result<(S2Run, std::ops::Range<Instant>)> {
        let total = (rate as f64 * length.as_secs_f64()) as usize;
        let first = self.seq;
        let stalled_before = load::io_stalled_micros();
        let typed_before = self.typing_received.load(Ordering::Relaxed);
        let misordered_before = self.misordered.load(Ordering::Relaxed);
        let sockets_misordered_before: Vec<usize> = self.sockets.iter().map(Receivers::misordered).collect();
        let (senders_http, pairs_, starts_, urls) =
            (self.senders_http.clone(), self.pairs.clone(), self.starts.clone(), self.urls.clone());
        let senders = self.senders.as_ref().expect("the senders' runtime lives until drop");
        let began = Instant::now();
        let sending = senders.spawn(async move {
            let began = tokio::time::Instant::now();
            let typists = (typing_rate > 0).then(|| {
                tokio::spawn(type_along(senders_http.clone(), urls.clone(), pairs_.clone(), typing_rate, length, began))
            });
            let sent = post_messages(&senders_http, &urls[0], &pairs_, rate, total, first, began, &starts_).await;
            if let Some(typists) = typists {
                let _ = typists.await;
            }
            sent
        });
        let (acknowledged, lags) = sending.await?;
        let sent = began..Instant::now();
        self.seq += total as u64;
        let seq = self.seq;
        let io_stalled_ms = load::io_stalled_ms_since(stalled_before);
        tokio::time::sleep(Duration::from_secs(3)).await; // let the last deliveries arrive
        let latencies: Vec<Duration> = self
            .deliveries
            .lock()
            .expect("deliveries")
            .iter()
            .filter(|(s, _)| *s >= first && *s < seq)
            .map(|(_, d)| *d)
            .collect();
        let expected = acknowledged * 2;
        let (before, after): (Vec<Duration>, Vec<Duration>) = self
            .splits
            .lock()
            .expect("splits")
            .iter()
            .filter(|(s, _, _)| *s >= first && *s < seq)
            .map(|(_, before, after)| (*before, *after))
            .unzip();
        let run = S2Run {
            rate,
            typing_rate,
            typing_received: self.typing_received.load(Ordering::Relaxed) - typed_before,
            sent: total,
            acknowledged,
            deliveries_expected: expected,
            deliveries: latencies.len(),
            lost: expected.saturating_sub(latencies.len()),
            misordered: self.misordered.load(Ordering::Relaxed) - misordered_before,
            latency: load::percentiles(latencies),
            io_stalled_ms,
            schedule_lag_p99_ms: Some(load::percentiles(lags).p99_ms),
            before_append: (!before.is_empty()).then(|| load::percentiles(before)),
            after_append: (!after.is_empty()).then(|| load::percentiles(after)),
            sockets: self
                .sockets
                .iter()
                .zip(sockets_misordered_before)
                .map(|(receivers, before)| receivers.run(first, seq, expected, before))
                .collect(),
        };
        eprintln!(
            "{}{} {rate:5} msg/s, typing {typing_rate}/s ({} received): {} delivered of {} expected, lost {}, out of order {}, p50 {:.2} ms p99 {:.2} ms max {:.2} ms, I/O stalled {:.0} ms",
            self.label,
            if warming { " (warm-up, not reported)" } else { "" },
            run.typing_received,
            run.deliveries,
            run.deliveries_expected,
            run.lost,
            run.misordered,
            run.latency.p50_ms,
            run.latency.p99_ms,
            run.latency.max_ms,
            run.io_stalled_ms.unwrap_or(0.0)
        );
        for s in &run.sockets {
            eprintln!(
                "    on {}: {} delivered of {} expected, lost {}, out of order {}, p50 {:.2} ms p99 {:.2} ms max {:.2} ms",
                s.kind.name(),
                s.deliveries,
                s.deliveries_expected,
                s.lost,
                s.misordered,
                s.latency.p50_ms,
                s.latency.p99_ms,
                s.latency.max_ms
            );
        }
        if let (Some(before), Some(after)) = (&run.before_append, &run.after_append) {
            eprintln!(
                "    split at the append's start: before p50 {:.2} ms p99 {:.2} ms, after p50 {:.2} ms p99 {:.2} ms",
                before.p50_ms, before.p99_ms, after.p50_ms, after.p99_ms
            );
        }
        Ok((run, sent))
    }
}

/// An RFC 3339 time (a message's `created_at`) as the system clock's.
fn wall_clock(text: &str) -> Option<SystemTime> {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok().map(SystemTime::from)
}

async fn wait_for(counter: &AtomicUsize, n: usize, within: Duration) -> anyhow::Result<()> {
    let deadline = Instant::now() + within;
    while counter.load(Ordering::Relaxed) < n {
        anyhow::ensure!(Instant::now() < deadline, "only {} of {n} streams opened", counter.load(Ordering::Relaxed));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}
