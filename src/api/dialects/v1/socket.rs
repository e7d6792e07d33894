//! `GET /api/v1/ws`: one WebSocket per user, `{"type", "data"}` frames both ways.
//!
//! The socket is a hub connection exactly as an event stream is (`api::events::subscribe`: the
//! same allowance, counted for presence, fed by the same listener), so it gets every event the
//! caller may see once, in log order, on whichever replica it is. Out, it translates the core's
//! frames (`frames.rs`); in, each frame becomes the core's operation (the send, typing, the
//! read marker) with the caller's credential, checked as a request's would be. A frame that is
//! wrong in any way gets an `error` frame and the socket stays open; nothing reaches the log
//! unless the core's rules accept it.

use axum::Router;
use axum::extract::State;
use axum::extract::ws::WebSocketUpgrade;
use axum::response::Response;
use axum::routing::get;
use tokio::time::Instant;

use super::ErrorBody;
use crate::access::{Act, Writer};
use crate::api::messages::{SendMessage, post_message};
use crate::api::presence::Typing;
use crate::auth::AuthUser;
use crate::extract::{JsonBody, OptionalJsonBody, PathParam};
use crate::realtime::RealtimeState;
use crate::{AppState, Result};

mod frames;

/// The socket's route; it takes the token as `?token=` too (a browser's `WebSocket` sends no
/// header), never written to a log.
pub fn router() -> Router<AppState> {
    crate::access::without_cookies(crate::access::for_tickets(Router::new().route("/api/v1/ws", get(connect))))
}

/// Opens the caller's socket (`Authorization: Bearer <JWT>` or `?token=<JWT>`): 401 without a
/// valid token, before any upgrade. Its frames are described in docs/dialect-v1.md.
#[utoipa::path(get, path = "/api/v1/ws", operation_id = "v1_socket", tag = "v1",
    params(("token" = Option<String>, Query, description = "the caller's JWT, for a client that cannot send the header")),
    responses((status = 101, description = "switching to the WebSocket protocol"), (status = 400, body = ErrorBody, description = "a malformed WebSocket handshake"), (status = 426, body = ErrorBody, description = "not a WebSocket handshake"),
              (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = user.id))]
pub async fn connect(
    State(state): State<AppState>,
    State(realtime): State<RealtimeState>,
    user: AuthUser,
    upgrade: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Result<Response> {
    let upgrade = crate::api::dialects::socket::upgrade(upgrade)?;
    // Subscribed before the answer: everything after the hub's head reaches the socket.
    let subscription = crate::api::events::subscribe(&realtime, &user, None).await?;
    let expires = Instant::now() + crate::api::events::until(user.expires_at);
    let socket = Socket { state, user };
    Ok(upgrade.on_upgrade(move |ws| async move {
        super::super::socket::run(&socket.state, subscription, ws, expires, &socket).await
    }))
}

struct Socket {
    state: AppState,
    user: AuthUser,
}

impl super::super::socket::Frames for Socket {
    fn outgoing(&self, bytes: &[u8]) -> Option<String> {
        frames::outgoing(bytes)
    }

    fn error(&self, error: &str) -> String {
        frames::error(error)
    }

    /// Does what a client frame asks; the `error` frame to answer when it cannot.
    async fn incoming(&self, text: &str) -> Option<String> {
        let request = match frames::incoming(text) {
            Ok(request) => request,
            Err(error) => return Some(frames::error(&error)),
        };
        let state = &self.state;
        let (chat_id, act) = match &request {
            frames::Request::Message { chat_id, .. } | frames::Request::Typing { chat_id, .. } => {
                (*chat_id, Act::Write)
            }
            frames::Request::Read { chat_id } => (*chat_id, Act::MarkRead),
        };
        let done = async {
            let writer = Writer::admit_frame(state, self.user.clone(), chat_id, act).await?;
            match request {
                frames::Request::Message { chat_id, body } => {
                    let message = SendMessage {
                        chat_id,
                        content: body,
                        reply_to_message_id: None,
                        attachment_ids: vec![],
                        send_at: None,
                    };
                    post_message(state, &writer, None, message).await.map(|posted| posted.later())
                }
                frames::Request::Typing { chat_id, is_typing } => {
                    let typing = JsonBody(Typing { is_typing });
                    crate::api::presence::typing_as(State(state.clone()), writer, PathParam(chat_id), typing)
                        .await
                        .map(|_| None)
                }
                frames::Request::Read { chat_id } => {
                    let marker = OptionalJsonBody(None);
                    crate::api::read_markers::mark_read_as(State(state.clone()), writer, PathParam(chat_id), marker)
                        .await
                        .map(|_| None)
                }
            }
        };
        self.answer(done.await)
    }
}
