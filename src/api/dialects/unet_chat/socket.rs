//! `GET /api/unet-chat/ws/conversations/{id}/`: one conversation's new messages, as
//! `{"type": "message:new", "payload": Message}`, to every connected client, the sender's own
//! included, for a message sent by any route on any replica.
//!
//! The socket is a hub connection exactly as an event stream is (`api::events::subscribe`:
//! the same allowance, counted for presence, fed by the same listener): it gets every event its
//! caller may see once, in log order, and keeps the new messages of its conversation (the
//! others' `new_message` and the sender's own `message_sent` alike). The client's token comes
//! as `?WWW-Authenticate=Bearer%20<JWT>` (a browser's `WebSocket` sends no header); it becomes
//! the request's `Authorization` before anything reads it, and no log writes a query. The
//! contract defines no client frame: what a client sends is ignored, and it sends with
//! `POST /messages/`. It has no resume either: after a reconnect the client reads the history.

use axum::Router;
use axum::extract::State;
use axum::extract::ws::WebSocketUpgrade;
use axum::http::{HeaderValue, Request, header};
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;
use tokio::time::Instant;

use super::{ErrorBody, Message};
use crate::auth::AuthUser;
use crate::extract::PathParam;
use crate::realtime::RealtimeState;
use crate::{AppState, Result};

/// The query parameter that carries `Bearer <JWT>`.
const CREDENTIAL: &str = "WWW-Authenticate";

pub fn router() -> Router<AppState> {
    crate::access::without_cookies(Router::new().route("/api/unet-chat/ws/conversations/{id}/", get(connect)))
        .route_layer(axum::middleware::map_request(credential_from_query))
}

/// `?WWW-Authenticate=Bearer%20<JWT>` as the request's `Authorization: Bearer <JWT>`, unless
/// the request has that header: the core's authentication then checks it as any Bearer token.
async fn credential_from_query<B>(mut request: Request<B>) -> Request<B> {
    if request.headers().contains_key(header::AUTHORIZATION) {
        return request;
    }
    let query = request.uri().query().unwrap_or_default();
    let value = url::form_urlencoded::parse(query.as_bytes()).find(|(name, _)| name == CREDENTIAL).map(|(_, v)| v);
    if let Some(value) = value.and_then(|v| HeaderValue::from_str(&v).ok()) {
        request.headers_mut().insert(header::AUTHORIZATION, value);
    }
    request
}

/// Opens a socket on one conversation, for its members and admins. Refused before any
/// upgrade: 401 without a valid token, 426 without a handshake, 403 for a conversation that is
/// not the caller's or does not exist (one answer for both, as the core's). Its frame is
/// described in docs/dialect-unet-chat.md.
#[utoipa::path(get, path = "/api/unet-chat/ws/conversations/{id}/", operation_id = "unet_socket", tag = "unet-chat",
    params(("id" = i64, Path, description = "the conversation's id"),
           ("WWW-Authenticate" = Option<String>, Query, description = "`Bearer <JWT>`: the caller's token, for a client that cannot send the header")),
    responses((status = 101, description = "switching to the WebSocket protocol"),
              (status = 400, body = ErrorBody, description = "a malformed WebSocket handshake"), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody, description = "not the caller's conversation, or none"),
              (status = 426, body = ErrorBody, description = "not a WebSocket handshake"), (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = user.id, chat_id = chat_id))]
pub async fn connect(
    State(state): State<AppState>,
    State(realtime): State<RealtimeState>,
    user: AuthUser,
    PathParam(chat_id): PathParam<i64>,
    upgrade: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Result<Response> {
    // The handshake first: a plain request learns nothing of the conversation.
    let upgrade = crate::api::dialects::socket::upgrade(upgrade)?;
    crate::access::check_access(&state, chat_id, &user).await?;
    // Subscribed before the answer: everything after the hub's head reaches the socket.
    let subscription = crate::api::events::subscribe(&realtime, &user, Some(chat_id)).await?;
    let expires = Instant::now() + crate::api::events::until(user.expires_at);
    let socket = Socket { chat_id };
    Ok(upgrade.on_upgrade(move |ws| async move {
        crate::api::dialects::socket::run(&state, subscription, ws, expires, &socket).await
    }))
}

struct Socket {
    chat_id: i64,
}

/// The contract defines no client frame: what a client sends is ignored (it sends with
/// `POST /messages/`), and it has no error frame.
impl crate::api::dialects::socket::Frames for Socket {
    fn outgoing(&self, bytes: &[u8]) -> Option<String> {
        outgoing(bytes, self.chat_id)
    }

    async fn incoming(&self, _: &str) -> Option<String> {
        None
    }

    fn binary(&self) -> Option<String> {
        None
    }

    fn error(&self, error: &str) -> String {
        serde_json::json!({ "type": "error", "payload": { "error": error } }).to_string()
    }
}

/// A core event's `data` with a message (`wire::events::MessageEvent`), the fields this
/// contract shows.
#[derive(Deserialize)]
struct Sent {
    chat_id: i64,
    message: Body,
}

#[derive(Deserialize)]
struct Body {
    id: i64,
    sender_id: Option<i64>,
    content: String,
    #[serde(with = "time::serde::rfc3339")]
    created_at: time::OffsetDateTime,
    is_edited: bool,
    reply_to: Option<Quoted>,
}

#[derive(Deserialize)]
struct Quoted {
    id: i64,
}

/// This contract's frame for a core frame, if it is a new message of `chat_id`: the other
/// participants' `new_message` and the sender's own `message_sent` alike.
fn outgoing(bytes: &[u8], chat_id: i64) -> Option<String> {
    let (event, data) = crate::api::dialects::core_event(bytes)?;
    if !matches!(event, "new_message" | "message_sent") {
        return None;
    }
    let Sent { chat_id: of, message } = serde_json::from_value(data).ok()?;
    if of != chat_id {
        return None;
    }
    let payload = Message {
        id: message.id.to_string(),
        conversation_id: of.to_string(),
        sender_id: message.sender_id?,
        text: message.content,
        reply_to: message.reply_to.map(|r| r.id.to_string()),
        is_edited: message.is_edited,
        created_at: message.created_at,
    };
    Some(serde_json::json!({ "type": "message:new", "payload": payload }).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_message_of_the_conversation_is_a_message_new_frame_for_both_sides() {
        let data = r#"{"chat_id":7,"message":{"id":9,"sender_id":3,"content":"hi","created_at":"2023-09-18T12:26:40Z","is_edited":false,"edited_at":null,"reply_to":{"id":8,"sender_id":4,"content_preview":"q","is_deleted":false},"type":"text","attachments":[],"hidden":null,"purged":null,"mentions":[]}}"#;
        for event in ["new_message", "message_sent"] {
            let core = format!("id: 12\nevent: {event}\ndata: {data}\n\n");
            let frame: serde_json::Value =
                serde_json::from_str(&outgoing(core.as_bytes(), 7).expect("a frame")).expect("json");
            assert_eq!(
                frame,
                serde_json::json!({"type": "message:new", "payload": {"id": "9", "conversation_id": "7",
                    "sender_id": 3, "text": "hi", "reply_to": "8", "is_edited": false,
                    "created_at": "2023-09-18T12:26:40Z"}})
            );
            assert_eq!(outgoing(core.as_bytes(), 8), None, "another conversation's");
        }
        assert_eq!(outgoing(b"id: 13\nevent: message_deleted\ndata: {\"chat_id\":7,\"message_id\":9}\n\n", 7), None);
    }
}
