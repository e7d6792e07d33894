//! S2's sockets: both participants of every chat on a dialect's socket too, beside their event
//! streams on the same replica, every delivery timed and checked as a stream's is.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime};

use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use crate::load::{self, Percentiles, SocketKind};

/// One kind of socket's deliveries in a run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct S2Sockets {
    pub kind: SocketKind,
    pub deliveries_expected: usize,
    pub deliveries: usize,
    pub lost: usize,
    /// Messages whose id was not above the socket's previous message's. A socket carries no log
    /// position, but a message's id is drawn with its position, in the same order
    /// (`events_append`), so ids in log order are ascending.
    pub misordered: usize,
    pub latency: Percentiles,
}

/// A socket of `kind` for each participant of each chat, read in the background until `stop`.
pub(super) struct Receivers {
    kind: SocketKind,
    deliveries: load::Shared<Vec<(u64, Duration)>>,
    misordered: Arc<AtomicUsize>,
}

impl Receivers {
    /// Opens the sockets on the server at `base`; `opened` counts those that may receive.
    pub(super) fn open(
        kind: SocketKind,
        base: &str,
        pairs: &[load::Pair],
        stop: &CancellationToken,
        opened: &Arc<AtomicUsize>,
        starts: &load::Shared<HashMap<u64, (Instant, SystemTime)>>,
    ) -> Self {
        let receivers = Self { kind, deliveries: Default::default(), misordered: Default::default() };
        for token in pairs.iter().flat_map(|pair| [pair.teacher.clone(), pair.student.clone()]) {
            let (base, stop, opened, starts) = (base.to_owned(), stop.clone(), opened.clone(), starts.clone());
            let (deliveries, misordered) = (receivers.deliveries.clone(), receivers.misordered.clone());
            let mut last_id = 0;
            tokio::spawn(async move {
                let opened = move || {
                    opened.fetch_add(1, Ordering::Relaxed);
                };
                let read = load::read_socket(kind, &base, &token, None, stop.clone(), opened, |message| {
                    let received = Instant::now();
                    let id = message.id.unwrap_or_default();
                    if id <= last_id {
                        misordered.fetch_add(1, Ordering::Relaxed);
                    }
                    last_id = last_id.max(id);
                    let seq = message.content.strip_prefix("s2 ").and_then(|s| s.parse::<u64>().ok());
                    if let Some(seq) = seq
                        && let Some((start, _)) = starts.lock().expect("starts").get(&seq).copied()
                    {
                        deliveries.lock().expect("deliveries").push((seq, received - start));
                    }
                });
                if let Err(e) = read.await
                    && !stop.is_cancelled()
                {
                    eprintln!("an S2 {} socket broke: {e:#}", kind.name());
                }
            });
        }
        receivers
    }

    pub(super) fn misordered(&self) -> usize {
        self.misordered.load(Ordering::Relaxed)
    }

    /// Its deliveries of messages `first..seq`, `expected` of them, `misordered_before` the
    /// count of misordered messages before the run.
    pub(super) fn run(&self, first: u64, seq: u64, expected: usize, misordered_before: usize) -> S2Sockets {
        let latencies: Vec<Duration> = self
            .deliveries
            .lock()
            .expect("deliveries")
            .iter()
            .filter(|(s, _)| *s >= first && *s < seq)
            .map(|(_, d)| *d)
            .collect();
        S2Sockets {
            kind: self.kind,
            deliveries_expected: expected,
            deliveries: latencies.len(),
            lost: expected.saturating_sub(latencies.len()),
            misordered: self.misordered() - misordered_before,
            latency: load::percentiles(latencies),
        }
    }
}
