//! The event-stream side of the harness: a client for `GET /api/events/chat` that parses the
//! SSE format itself (ids, event names, data lines, comments, retry hints), so the tests see
//! exactly what a browser would.

use std::time::Duration;

use serde_json::Value;

use super::app::{TestApp, User};

/// One item of an event stream, parsed by the rules of the SSE format.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Event(Event),
    Comment(String),
    Retry(u64),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub id: Option<String>,
    pub event: String,
    pub data: String,
}

impl Event {
    pub fn position(&self) -> i64 {
        self.id
            .as_deref()
            .and_then(|id| id.parse().ok())
            .unwrap_or_else(|| panic!("event without a numeric id: {self:?}"))
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.data).unwrap_or_else(|e| panic!("data is not JSON ({e}): {:?}", self.data))
    }
}

/// A test client for `GET /api/events/chat`; `None` from the channel means the server ended it.
pub struct Stream {
    items: tokio::sync::mpsc::UnboundedReceiver<Option<Item>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Stream {
    fn drop(&mut self) {
        self.task.abort(); // drops the connection
    }
}

impl TestApp {
    /// Waits until this replica's listener is connected and has dispatched everything committed
    /// so far, so that a stream opened now starts quiet (it would otherwise, correctly, also
    /// get events committed just before it opened, such as the fixtures' `chat_created`).
    /// Everything committed: the last event visible, not the log head (which stops short of
    /// what is still settling: another test's open transaction in the cluster holds it back).
    pub async fn settled(&self) {
        let deadline = std::time::Instant::now() + super::PATIENCE;
        loop {
            let head = super::last_position(&self.sql).await;
            if self.state.hub.is_listening() && self.state.hub.head() >= head {
                return;
            }
            assert!(std::time::Instant::now() < deadline, "the replica's listener did not catch up");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    pub async fn stream(&self, user: &User, last_event_id: Option<&str>) -> Stream {
        self.settled().await;
        open_stream(&self.fresh, &self.url("/api/events/chat"), &user.token, last_event_id).await
    }
}

pub async fn open_stream(http: &reqwest::Client, url: &str, token: &str, last_event_id: Option<&str>) -> Stream {
    let mut request = http.get(url).bearer_auth(token);
    if let Some(id) = last_event_id {
        request = request.header("last-event-id", id);
    }
    let response = request.send().await.expect("GET /api/events/chat");
    assert_eq!(response.status(), 200, "opening the event stream");
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_eq!(response.headers()["x-accel-buffering"], "no");
    stream_from(response)
}

/// Parses an open `text/event-stream` response in a background task.
pub fn stream_from(response: reqwest::Response) -> Stream {
    use futures::StreamExt;
    let (tx, items) = tokio::sync::mpsc::unbounded_channel();
    let task = tokio::spawn(async move {
        let mut body = response.bytes_stream();
        let (mut buffer, mut fields) = (Vec::<u8>::new(), Vec::<(String, String)>::new());
        while let Some(Ok(chunk)) = body.next().await {
            buffer.extend_from_slice(&chunk);
            while let Some(end) = buffer.iter().position(|b| *b == b'\n') {
                let line = String::from_utf8(buffer.drain(..=end).collect()).expect("utf-8");
                let line = line.trim_end_matches('\n');
                if line.is_empty() {
                    if let Some(item) = assemble(std::mem::take(&mut fields)) {
                        let _ = tx.send(Some(item));
                    }
                } else if let Some(comment) = line.strip_prefix(':') {
                    let _ = tx.send(Some(Item::Comment(comment.trim().to_owned())));
                } else {
                    let (name, value) = line.split_once(':').unwrap_or((line, ""));
                    fields.push((name.to_owned(), value.strip_prefix(' ').unwrap_or(value).to_owned()));
                }
            }
        }
        let _ = tx.send(None);
    });
    Stream { items, task }
}

/// One blank-line-terminated block; like a browser, a block without data dispatches nothing.
fn assemble(fields: Vec<(String, String)>) -> Option<Item> {
    let mut event = Event { id: None, event: "message".into(), data: String::new() };
    let mut data = Vec::new();
    for (name, value) in fields {
        match name.as_str() {
            "retry" if event.id.is_none() && data.is_empty() => return value.parse().ok().map(Item::Retry),
            "id" => event.id = Some(value),
            "event" => event.event = value,
            "data" => data.push(value),
            other => panic!("unexpected SSE field {other:?}"),
        }
    }
    if data.is_empty() {
        return None;
    }
    event.data = data.join("\n");
    Some(Item::Event(event))
}

impl Stream {
    /// The next item, however long it takes; `None` once the stream has ended.
    #[allow(dead_code)] // used by tests/faults, which shares this file
    pub async fn recv(&mut self) -> Option<Item> {
        self.items.recv().await.flatten()
    }

    /// The next item, waiting at most `within`; `None` when the server closed the stream.
    pub async fn item(&mut self, within: Duration) -> Option<Item> {
        tokio::time::timeout(within, self.items.recv())
            .await
            .unwrap_or_else(|_| panic!("nothing on the event stream within {within:?}"))
            .flatten()
    }

    /// The next event, skipping comments, retry hints and `presence` signals (which any
    /// stream may get whenever someone it shares a chat with opens or closes their last
    /// stream; tests of presence read them with [`Stream::any_event`]).
    pub async fn event(&mut self) -> Event {
        self.event_within(super::PATIENCE).await
    }

    pub async fn event_within(&mut self, within: Duration) -> Event {
        loop {
            let event = self.any_event_within(within).await;
            if event.event != "presence" {
                return event;
            }
        }
    }

    /// The next event of any kind, skipping only comments and retry hints.
    pub async fn any_event(&mut self) -> Event {
        self.any_event_within(super::PATIENCE).await
    }

    pub async fn any_event_within(&mut self, within: Duration) -> Event {
        loop {
            match self.item(within).await {
                Some(Item::Event(event)) => return event,
                Some(_) => continue,
                None => panic!("the server closed the event stream"),
            }
        }
    }

    pub async fn events(&mut self, n: usize) -> Vec<Event> {
        let mut events = Vec::with_capacity(n);
        for _ in 0..n {
            events.push(self.event().await);
        }
        events
    }

    /// Waits for the server to close the stream, returning what came before.
    pub async fn until_closed(&mut self, within: Duration) -> Vec<Event> {
        let mut events = Vec::new();
        loop {
            match self.item(within).await {
                Some(Item::Event(event)) => events.push(event),
                Some(_) => {}
                None => return events,
            }
        }
    }
}

/// Whether an event is a new message: `new_message`, or `message_sent` on its sender's own
/// streams (the same data and id).
#[allow(dead_code)] // used by tests/faults, which shares this file
pub fn is_message(event: &str) -> bool {
    matches!(event, "new_message" | "message_sent")
}
