//! What every dialect's WebSocket shares: the socket is a hub connection exactly as an event
//! stream is (`api::events::subscribe`: the same allowance, counted for presence, fed by the
//! same listener), so it gets every event its caller may see once, in log order, on whichever
//! replica it is. This loop pumps it: the hub's frames out as the contract's ([`Frames`]), the
//! client's frames in as the core's operations, pings at the stream's heartbeat, and the end:
//! the credential's expiry, shutdown, a hub that cut the socket off as too slow (its client
//! reconnects), or a client that takes nothing within the stream's send timeout.

use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, close_code};
use futures::StreamExt;
use tokio::time::Instant;

use crate::realtime::hub::Subscription;
use crate::{AppError, AppState};

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

    /// The error frame for a core operation that failed, if it did: the core's sentence for a
    /// refusal, an opaque one (and the cause in the log) for the server's own failure.
    fn failed(&self, done: Result<(), AppError>) -> Option<String> {
        match done {
            Ok(()) => None,
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
    let (beat, send_timeout) = (sse.heartbeat, sse.send_timeout);
    let mut pings = tokio::time::interval_at(Instant::now() + beat, beat);
    let shutdown = state.shutdown.clone();
    let close = |code, reason: &'static str| Message::Close(Some(CloseFrame { code, reason: reason.into() }));
    let expiry = tokio::time::sleep_until(expires);
    tokio::pin!(expiry);
    let last = loop {
        let out = tokio::select! {
            _ = shutdown.cancelled() => break close(close_code::AWAY, "the server is shutting down"),
            _ = &mut expiry => break close(close_code::POLICY, "the credential has expired"),
            _ = pings.tick() => Message::Ping(Default::default()),
            frame = subscription.frames.next() => match frame {
                Some(frame) => match frames.outgoing(&frame.bytes) {
                    Some(text) => Message::Text(Utf8Bytes::from(text)),
                    None => continue,
                },
                None => break close(close_code::AGAIN, "too slow, or your access changed: reconnect"),
            },
            incoming = ws.recv() => match incoming {
                Some(Ok(Message::Text(text))) => match frames.incoming(text.as_str()).await {
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
        if !matches!(tokio::time::timeout(send_timeout, ws.send(out)).await, Ok(Ok(()))) {
            return; // the client takes nothing: it reconnects when it reads again
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(1), ws.send(last)).await;
}
