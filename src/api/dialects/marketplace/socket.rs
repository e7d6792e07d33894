//! `GET /api/chat/ws/{chat_id}`: one WebSocket per chat, for its visitor (`?user_id=<uuid>`),
//! its people (signed in, `?user_id=` their id) and admins.
//!
//! The socket is a hub connection as an event stream is (`api::events::subscribe`: counted for
//! presence, fed by the same listener, every event the caller may see once, in log order, on
//! any replica); it forwards that chat's messages, the sender's own included (this contract's
//! client learns its message's id from it), and the others' typing. In, each frame becomes the
//! core's operation with the caller's credential. A frame the core refuses gets
//! `{"type": "error", "error"}` and the socket stays open.

use axum::Router;
use axum::extract::State;
use axum::extract::ws::WebSocketUpgrade;
use axum::response::Response;
use axum::routing::get;
use serde_json::{Value, json};
use tokio::time::Instant;

use super::{Caller, Names, escaped};
use crate::access::{Act, Writer};
use crate::api::messages::{SendMessage, post_message};
use crate::api::presence::Typing;
use crate::error::ErrorBody;
use crate::extract::{JsonBody, OptionalJsonBody, PathParam};
use crate::realtime::RealtimeState;
use crate::{AppError, AppState, Result};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/chat/ws/{chat_id}", get(connect))
}

/// Opens a socket on the chat: refused before the upgrade for an unknown visitor id (401), a
/// person without their credential (401), anyone not in the chat and an unknown chat (403).
/// Its frames are described in docs/dialect-marketplace.md.
#[utoipa::path(get, path = "/api/chat/ws/{chat_id}", operation_id = "marketplace_socket", tag = "marketplace",
    params(("chat_id" = i64, Path), ("user_id" = Option<String>, Query, description = "a visitor's UUID, or the signed-in person's id")),
    security(("marketplace_visitor" = []), ("cookie" = [])),
    responses((status = 101, description = "switching to the WebSocket protocol"), (status = 400, body = ErrorBody, description = "a malformed WebSocket handshake"), (status = 426, body = ErrorBody, description = "not a WebSocket handshake"),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody, description = "no such chat, or not the caller's"),
              (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = caller.user.id, chat_id = chat_id))]
pub async fn connect(
    State(state): State<AppState>,
    State(realtime): State<RealtimeState>,
    caller: Caller,
    PathParam(chat_id): PathParam<i64>,
    upgrade: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Result<Response> {
    let upgrade = crate::api::dialects::socket::upgrade(upgrade)?;
    crate::access::check_access(&state, chat_id, &caller.user).await?;
    let names = Names::of(&state, chat_id, &caller).await?;
    // Subscribed before the answer: everything after the hub's head reaches the socket.
    let subscription = crate::api::events::subscribe(&realtime, &caller.user, Some(chat_id)).await?;
    let expires = Instant::now() + crate::api::events::until(caller.user.expires_at);
    let socket = Socket { state, caller, chat_id, names };
    Ok(upgrade.on_upgrade(move |ws| async move {
        crate::api::dialects::socket::run(&socket.state, subscription, ws, expires, &socket).await
    }))
}

struct Socket {
    state: AppState,
    caller: Caller,
    chat_id: i64,
    names: Names,
}

impl crate::api::dialects::socket::Frames for Socket {
    /// This contract's frame for a core frame of this chat, if it has one.
    fn outgoing(&self, bytes: &[u8]) -> Option<String> {
        let (event, data) = crate::api::dialects::core_event(bytes)?;
        if data["chat_id"].as_i64() != Some(self.chat_id) {
            return None;
        }
        let frame = match event {
            "new_message" | "message_sent" => {
                let message = &data["message"];
                json!({ "type": "message", "message": {
                    "id": message["id"].as_i64()?,
                    "sender_id": self.names.sender(message["sender_id"].as_i64()?),
                    "message_text": escaped(message["content"].as_str()?),
                    "created_at": message["created_at"].as_str()?,
                }})
            }
            "typing" if data["user_id"].as_i64() != Some(self.caller.user.id) => {
                json!({ "type": "typing", "is_typing": data["is_typing"].as_bool()? })
            }
            _ => return None,
        };
        Some(frame.to_string())
    }

    fn error(&self, error: &str) -> String {
        json!({ "type": "error", "error": error }).to_string()
    }

    /// Does what a client frame asks; the `error` frame to answer when it cannot.
    async fn incoming(&self, text: &str) -> Option<String> {
        let Ok(frame) = serde_json::from_str::<Value>(text) else {
            return Some(self.error("a frame is JSON with a \"type\": message, typing or read"));
        };
        let (state, chat_id) = (&self.state, self.chat_id);
        let act = if frame.get("type").and_then(Value::as_str) == Some("read") { Act::MarkRead } else { Act::Write };
        let done = async {
            let writer = Writer::admit_frame(state, self.caller.user.clone(), chat_id, act).await?;
            match frame.get("type").and_then(Value::as_str) {
                Some("message") => {
                    let Some(text) = frame.get("message_text").and_then(Value::as_str) else {
                        return Err(AppError::BadRequest("a message has a string \"message_text\"".into()));
                    };
                    let message = SendMessage {
                        chat_id,
                        content: text.to_owned(),
                        reply_to_message_id: None,
                        attachment_ids: vec![],
                        send_at: None,
                    };
                    post_message(state, &writer, None, message).await.map(|posted| posted.later())
                }
                Some("typing") => {
                    let Some(is_typing) = frame.get("is_typing").and_then(Value::as_bool) else {
                        return Err(AppError::BadRequest("typing has a boolean \"is_typing\"".into()));
                    };
                    let typing = JsonBody(Typing { is_typing });
                    crate::api::presence::typing_as(State(state.clone()), writer, PathParam(chat_id), typing)
                        .await
                        .map(|_| None)
                }
                Some("read") => {
                    let marker = OptionalJsonBody(None);
                    crate::api::read_markers::mark_read_as(State(state.clone()), writer, PathParam(chat_id), marker)
                        .await
                        .map(|_| None)
                }
                _ => Err(AppError::BadRequest("a frame's \"type\" is message, typing or read".into())),
            }
        };
        self.answer(done.await)
    }
}
