//! What every dialect's WebSocket shares: the socket is a hub connection exactly as an event
//! stream is (`api::events::subscribe`: the same allowance, counted for presence, fed by the
//! same listener), so it gets every event its caller may see once, in log order, on whichever
//! replica it is. This loop pumps it: the hub's frames out as the contract's ([`Frames`]), the
//! client's frames in as the core's operations, pings at the stream's heartbeat, and the end:
//! the credential's expiry, shutdown, a hub that cut the socket off as too slow (its client
//! reconnects), or a client that takes nothing within the stream's send timeout.

use std::time::Duration;

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade, close_code};
use futures::StreamExt;
use tokio::time::Instant;

use crate::realtime::hub::Subscription;
use crate::{AppError, AppState};

/// What a socket reads into at once. tungstenite fills its read buffer to capacity on the first
/// read, so the capacity is the least an idle socket holds: at axum's default (128 KiB) an idle
/// socket cost the replica ~168 kB, against ~3 kB an event stream (S3). What a client sends is
/// small and seldom (a typing signal, a message, a read marker); a longer frame grows the buffer
/// to its length (tungstenite reserves a frame's length from its header) and is read in reads of
/// this size.
pub const READ_BUFFER: usize = 256;

/// The largest client message or frame, on every socket of every dialect (Socket.IO's too,
/// whichever transport): a chat message is at most 10,000 characters (at most ~60 kB as
/// escaped JSON), where axum's and socketioxide's defaults take 64 MiB.
pub const MAX_MESSAGE: usize = 256 * 1024;

/// A handshake's upgrade, sized for a chat's frames, or the answer refusing it: 426 Upgrade
/// Required for a plain request of the socket's address (no `Upgrade: websocket`, as HTTP
/// says), 400 for a handshake that is malformed.
pub fn upgrade(upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>) -> Result<WebSocketUpgrade, AppError> {
    use WebSocketUpgradeRejection::{InvalidConnectionHeader, InvalidUpgradeHeader};
    let upgrade = upgrade.map_err(|e| match e {
        InvalidConnectionHeader(_) | InvalidUpgradeHeader(_) => AppError::Client(
            axum::http::StatusCode::UPGRADE_REQUIRED,
            "this address is a WebSocket: open it with a handshake (Connection: Upgrade, Upgrade: websocket)".into(),
        ),
        e => AppError::Client(e.status(), e.body_text()),
    })?;
    Ok(upgrade.read_buffer_size(READ_BUFFER).max_message_size(MAX_MESSAGE).max_frame_size(MAX_MESSAGE))
}

/// A contract's frames.
pub trait Frames {
    /// This contract's frame for a hub frame (an event stream's bytes), if it has one.
    fn outgoing(&self, bytes: &[u8]) -> Option<String>;
    /// Does what a client's text frame asks; the frame to answer, if any (an error).
    fn incoming(&self, text: &str) -> impl Future<Output = Option<String>> + Send;
    /// The contract's error frame saying `error`.
    fn error(&self, error: &str) -> String;

    /// The answer to a binary frame, if any.
    fn binary(&self) -> Option<String> {
        Some(self.error("frames are JSON text"))
    }

    /// The frame to answer a client frame with, if any: the error frame with the core's
    /// sentence for a refusal, an opaque one (and the cause in the log) for the server's own
    /// failure, and for a message accepted for later (`done` is `Ok(Some(what became of it))`:
    /// held by quiet hours) the error frame saying so and until when, as the contract has no
    /// other way to tell its sender that their message is not in the chat yet.
    fn answer(&self, done: Result<Option<String>, AppError>) -> Option<String> {
        match done {
            Ok(later) => later.map(|later| self.error(&later)),
            Err(e) if e.status().is_server_error() => {
                tracing::error!(error = %e, "a socket frame failed");
                Some(self.error("internal server error"))
            }
            Err(e) => Some(self.error(&e.to_string())),
        }
    }
}

/// Pumps `ws` until the client or the server closes it (see the module's comment).
pub async fn run(
    state: &AppState,
    mut subscription: Subscription,
    mut ws: WebSocket,
    expires: Instant,
    frames: &impl Frames,
) {
    let sse = &state.config.sse;
    let (period, send_timeout) = (sse.heartbeat, sse.send_timeout);
    let shutdown = state.shutdown.clone();
    let close = |code, reason: &'static str| Message::Close(Some(CloseFrame { code, reason: reason.into() }));
    // One timer for both deadlines, whichever comes first (as an event stream's): the next ping,
    // every heartbeat from the start, and the credential's end. A timer is a good part of what
    // an idle socket holds.
    let mut beat = Instant::now() + period;
    let timer = tokio::time::sleep_until(beat.min(expires));
    tokio::pin!(timer);
    let last = loop {
        let out = tokio::select! {
            _ = shutdown.cancelled() => break close(close_code::AWAY, "the server is shutting down"),
            _ = &mut timer => {
                if Instant::now() >= expires {
                    break close(close_code::POLICY, "the credential has expired");
                }
                beat += period;
                timer.as_mut().reset(beat.min(expires));
                Message::Ping(Default::default())
            }
            frame = subscription.frames.next() => match frame {
                Some(frame) => match frames.outgoing(&frame.bytes) {
                    Some(text) => Message::Text(Utf8Bytes::from(text)),
                    None => continue,
                },
                None => break close(close_code::AGAIN, "too slow, or your access changed: reconnect"),
            },
            incoming = ws.recv() => match incoming {
                // Boxed: the operation's future is the largest part of the loop's, and an idle
                // socket would hold its room in the task all its life.
                Some(Ok(Message::Text(text))) => match Box::pin(frames.incoming(text.as_str())).await {
                    Some(answer) => Message::Text(Utf8Bytes::from(answer)),
                    None => continue,
                },
                Some(Ok(Message::Binary(_))) => match frames.binary() {
                    Some(answer) => Message::Text(Utf8Bytes::from(answer)),
                    None => continue,
                },
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                Some(Ok(Message::Close(_)) | Err(_)) | None => return,
            },
        };
        // Boxed as well, with its timer: the room of a send in progress, only while it is.
        if !matches!(Box::pin(tokio::time::timeout(send_timeout, ws.send(out))).await, Ok(Ok(()))) {
            return; // the client takes nothing: it reconnects when it reads again
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(1), ws.send(last)).await;
}
