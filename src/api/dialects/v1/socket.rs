//! `GET /api/v1/ws`: one WebSocket per user, `{"type", "data"}` frames both ways.
//!
//! The socket is a hub connection exactly as an event stream is (`api::events::subscribe`: the
//! same allowance, counted for presence, fed by the same listener), so it gets every event the
//! caller may see once, in log order, on whichever replica it is. Out, it translates the core's
//! frames (`frames.rs`); in, each frame becomes the core's operation (the send, typing, the
//! read marker) with the caller's credential, checked as a request's would be. A frame that is
//! wrong in any way gets an `error` frame and the socket stays open; nothing reaches the log
//! unless the core's rules accept it.

use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade, close_code};
use axum::response::Response;
use axum::routing::get;
use futures::StreamExt;
use tokio::time::Instant;

use super::ErrorBody;
use crate::access::Writer;
use crate::api::messages::{SendMessage, post_message};
use crate::api::presence::Typing;
use crate::auth::AuthUser;
use crate::extract::{JsonBody, OptionalJsonBody, PathParam};
use crate::realtime::RealtimeState;
use crate::realtime::hub::Subscription;
use crate::{AppError, AppState, Result};

mod frames;

/// The socket's route; it takes the token as `?token=` too (a browser's `WebSocket` sends no
/// header), never written to a log.
pub fn router() -> Router<AppState> {
    crate::access::for_tickets(Router::new().route("/api/v1/ws", get(connect)))
}

/// Opens the caller's socket (`Authorization: Bearer <JWT>` or `?token=<JWT>`): 401 without a
/// valid token, before any upgrade. Its frames are described in docs/dialect-v1.md.
#[utoipa::path(get, path = "/api/v1/ws", operation_id = "v1_socket", tag = "v1",
    params(("token" = Option<String>, Query, description = "the caller's JWT, for a client that cannot send the header")),
    responses((status = 101, description = "switching to the WebSocket protocol"), (status = 400, body = ErrorBody, description = "not a WebSocket handshake"),
              (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = user.id))]
pub async fn connect(
    State(state): State<AppState>,
    State(realtime): State<RealtimeState>,
    user: AuthUser,
    upgrade: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Result<Response> {
    let upgrade = upgrade.map_err(|e| AppError::Client(e.status(), e.body_text()))?;
    // Subscribed before the answer: everything after the hub's head reaches the socket.
    let subscription = crate::api::events::subscribe(&realtime, &user).await?;
    let expires = Instant::now() + crate::api::events::until(user.expires_at);
    let socket = Socket { state, user, subscription };
    Ok(upgrade.on_upgrade(move |ws| socket.run(ws, expires)))
}

struct Socket {
    state: AppState,
    user: AuthUser,
    subscription: Subscription,
}

impl Socket {
    /// Until the client or the server closes it: the token's end, shutdown, or a hub that cut
    /// the socket off as too slow (its client reconnects).
    async fn run(mut self, mut ws: WebSocket, expires: Instant) {
        let sse = &self.state.config.sse;
        let (beat, send_timeout) = (sse.heartbeat, sse.send_timeout);
        let mut pings = tokio::time::interval_at(Instant::now() + beat, beat);
        let shutdown = self.state.shutdown.clone();
        let close = |code, reason: &'static str| Message::Close(Some(CloseFrame { code, reason: reason.into() }));
        let expiry = tokio::time::sleep_until(expires);
        tokio::pin!(expiry);
        let last = loop {
            let out = tokio::select! {
                _ = shutdown.cancelled() => break close(close_code::AWAY, "the server is shutting down"),
                _ = &mut expiry => break close(close_code::POLICY, "the token has expired"),
                _ = pings.tick() => Message::Ping(Default::default()),
                frame = self.subscription.frames.next() => match frame {
                    Some(frame) => match frames::outgoing(&frame.bytes) {
                        Some(text) => Message::Text(Utf8Bytes::from(text)),
                        None => continue,
                    },
                    None => break close(close_code::AGAIN, "too slow, or your access changed: reconnect"),
                },
                incoming = ws.recv() => match incoming {
                    Some(Ok(Message::Text(text))) => match self.handle(text.as_str()).await {
                        Some(error) => Message::Text(Utf8Bytes::from(error)),
                        None => continue,
                    },
                    Some(Ok(Message::Binary(_))) => Message::Text(frames::error("frames are JSON text").into()),
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

    /// Does what a client frame asks; the `error` frame to answer when it cannot.
    async fn handle(&self, text: &str) -> Option<String> {
        let request = match frames::incoming(text) {
            Ok(request) => request,
            Err(error) => return Some(frames::error(&error)),
        };
        let state = &self.state;
        let done = async {
            let writer = Writer::admit(state, self.user.clone())?;
            match request {
                frames::Request::Message { chat_id, body } => {
                    let message = SendMessage {
                        chat_id,
                        content: body,
                        reply_to_message_id: None,
                        attachment_ids: vec![],
                        send_at: None,
                    };
                    post_message(state, &writer, None, message).await.map(drop)
                }
                frames::Request::Typing { chat_id, is_typing } => {
                    let typing = JsonBody(Typing { is_typing });
                    crate::api::presence::typing(State(state.clone()), writer, PathParam(chat_id), typing)
                        .await
                        .map(drop)
                }
                frames::Request::Read { chat_id } => {
                    let marker = OptionalJsonBody(None);
                    crate::api::read_markers::mark_read(State(state.clone()), writer, PathParam(chat_id), marker)
                        .await
                        .map(drop)
                }
            }
        };
        match done.await {
            Ok(()) => None,
            Err(e) if e.status().is_server_error() => {
                tracing::error!(error = %e, "a socket frame failed");
                Some(frames::error("internal server error"))
            }
            Err(e) => Some(frames::error(&e.to_string())),
        }
    }
}
