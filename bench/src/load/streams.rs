//! Event streams: one read event by event, and many held open idle (or sockets, counted alike).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use futures::StreamExt;

use super::sockets::{SocketKind, read_socket};
use super::unix_nanos;

/// One event read from a stream: its name and the JSON text of its data.
pub struct SseEvent {
    pub event: String,
    pub data: String,
    /// The `id:` line (a log position), absent on signals (typing, presence).
    pub id: Option<String>,
}

/// Opens an event stream and calls `on_event` for every event until the stream ends or
/// `stop` is cancelled. `opened` is called once the response headers have arrived.
pub async fn read_stream(
    http: reqwest::Client,
    url: String,
    token: String,
    last_event_id: Option<String>,
    stop: tokio_util::sync::CancellationToken,
    opened: impl FnOnce(),
    mut on_event: impl FnMut(SseEvent),
) -> anyhow::Result<()> {
    let mut request = http.get(&url).bearer_auth(&token);
    if let Some(id) = last_event_id {
        request = request.header("last-event-id", id);
    }
    let response = request.send().await?;
    anyhow::ensure!(response.status() == 200, "opening the stream: {}", response.status());
    opened();
    let mut body = response.bytes_stream();
    let (mut buffer, mut event, mut data, mut id) = (Vec::new(), String::new(), String::new(), None);
    loop {
        let chunk = tokio::select! {
            _ = stop.cancelled() => return Ok(()),
            chunk = body.next() => match chunk { Some(c) => c?, None => return Ok(()) },
        };
        buffer.extend_from_slice(&chunk);
        while let Some(end) = buffer.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = buffer.drain(..=end).collect();
            let line = String::from_utf8_lossy(&line[..line.len() - 1]).into_owned();
            if line.is_empty() {
                if !data.is_empty() {
                    on_event(SseEvent {
                        event: std::mem::take(&mut event),
                        data: std::mem::take(&mut data),
                        id: id.take(),
                    });
                }
                event.clear();
                id = None;
            } else if let Some(v) = line.strip_prefix("id: ") {
                id = Some(v.to_owned());
            } else if let Some(v) = line.strip_prefix("event: ") {
                event = v.to_owned();
            } else if let Some(v) = line.strip_prefix("data: ") {
                data = v.to_owned();
            }
        }
    }
}

/// A client for streams held open for minutes: no overall timeout, and no TCP user timeout
/// or keep-alive (reqwest's defaults are 30 s and 15 s). Loopback drops packets once more than
/// net.core.netdev_max_backlog (1,000 here) are queued, as in a 57,000-stream fan-out;
/// retransmissions then back off past 30 s and reqwest would abort the connection (ETIMEDOUT).
/// A browser waits much longer than that, and the stream itself sends a heartbeat.
pub fn stream_client(local: Option<std::net::IpAddr>) -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .local_address(local)
        .pool_max_idle_per_host(0)
        .tcp_user_timeout(None)
        .tcp_keepalive(None)
        .build()?)
}

/// Idle event streams held open until `stop`, and what happened to them.
#[derive(Default)]
pub struct HeldStreams {
    pub opened: AtomicUsize,
    /// Never opened.
    pub failed: AtomicUsize,
    /// Opened, then ended or broke before `stop`.
    pub ended: AtomicUsize,
    /// `new_message` events received, over all streams.
    pub received: AtomicUsize,
    /// When the last of them arrived, in nanoseconds since the Unix epoch.
    pub last_received_nanos: AtomicU64,
}

impl HeldStreams {
    /// Opens `count` streams to `url`, 256 at a time, and returns once each has opened or
    /// failed. They stay open, read in the background, until `stop` is cancelled. Stream `i`
    /// is opened with `tokens[i % tokens.len()]`.
    pub async fn open(
        http: &reqwest::Client,
        url: &str,
        tokens: &[String],
        count: usize,
        stop: &tokio_util::sync::CancellationToken,
    ) -> anyhow::Result<Arc<Self>> {
        anyhow::ensure!(!tokens.is_empty(), "no token to open streams with");
        Self::hold(count, stop, |i, opened, streams| {
            let token = tokens[i % tokens.len()].clone();
            read_stream(http.clone(), url.to_owned(), token, None, stop.clone(), opened, move |event| {
                if event.event == "new_message" {
                    streams.received_one();
                }
            })
        })
        .await
    }

    /// [`HeldStreams::open`] with sockets of `kind` to the server at `base`, from `local`: a
    /// socket is counted as a stream is.
    pub async fn open_sockets(
        kind: SocketKind,
        base: &str,
        tokens: &[String],
        count: usize,
        local: Option<std::net::IpAddr>,
        stop: &tokio_util::sync::CancellationToken,
    ) -> anyhow::Result<Arc<Self>> {
        anyhow::ensure!(!tokens.is_empty(), "no token to open sockets with");
        Self::hold(count, stop, |i, opened, streams| {
            let (base, token, stop) = (base.to_owned(), tokens[i % tokens.len()].clone(), stop.clone());
            async move { read_socket(kind, &base, &token, local, stop, opened, move |_| streams.received_one()).await }
        })
        .await
    }

    /// A message received, now.
    fn received_one(&self) {
        self.last_received_nanos.fetch_max(unix_nanos(), Ordering::Relaxed);
        self.received.fetch_add(1, Ordering::Relaxed);
    }

    /// Runs `count` readers, 256 opening at a time: reader `i` is `read(i, opened, counters)`,
    /// which calls `opened` once it may receive and counts its messages in the counters.
    async fn hold<R>(
        count: usize,
        stop: &tokio_util::sync::CancellationToken,
        read: impl Fn(usize, Box<dyn FnOnce() + Send>, Arc<Self>) -> R,
    ) -> anyhow::Result<Arc<Self>>
    where
        R: Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        let streams = Arc::new(Self::default());
        let gate = Arc::new(tokio::sync::Semaphore::new(256));
        for i in 0..count {
            let permit = gate.clone().acquire_owned().await?;
            let was_opened = Arc::new(AtomicBool::new(false));
            let opened: Box<dyn FnOnce() + Send> = {
                let (streams, was_opened) = (streams.clone(), was_opened.clone());
                Box::new(move || {
                    streams.opened.fetch_add(1, Ordering::Relaxed);
                    was_opened.store(true, Ordering::Relaxed);
                    drop(permit);
                })
            };
            let reader = read(i, opened, streams.clone());
            let (streams, stop) = (streams.clone(), stop.clone());
            tokio::spawn(async move {
                let outcome = reader.await;
                if !was_opened.load(Ordering::Relaxed) {
                    if let Err(e) = &outcome
                        && streams.failed.load(Ordering::Relaxed) == 0
                    {
                        eprintln!("a connection did not open (the first such): {e:#}");
                    }
                    streams.failed.fetch_add(1, Ordering::Relaxed);
                } else if !stop.is_cancelled() {
                    if let Err(e) = outcome {
                        eprintln!("a held connection broke: {e:#}");
                    }
                    streams.ended.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
        while streams.opened.load(Ordering::Relaxed) + streams.failed.load(Ordering::Relaxed) < count {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(streams)
    }
}
