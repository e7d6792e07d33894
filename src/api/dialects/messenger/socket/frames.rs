//! The socket's events: out, a core frame (the event stream's bytes, shared by every
//! connection the hub feeds) becomes this contract's event and its data, integer ids and
//! ISO 8601 times; in, an event's data becomes what the core is asked, or the reason it cannot.

use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// What a client's event asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum Request {
    /// `send_message {conversationId, content[, type, attachments]}`: only text is sent here
    /// (its rules are the core's, as every send's).
    Send { chat_id: i64, content: String },
    /// `typing {conversationId, isTyping}`.
    Typing { chat_id: i64, is_typing: bool },
    /// `read_messages {conversationId, messageIds}`: the ids as sent (one or more).
    Read { chat_id: i64, ids: Vec<i64> },
}

impl Request {
    pub fn chat_id(&self) -> i64 {
        match self {
            Self::Send { chat_id, .. } | Self::Typing { chat_id, .. } | Self::Read { chat_id, .. } => *chat_id,
        }
    }
}

/// A client's event as a request, or what is wrong with it.
pub fn incoming(event: &str, data: &Value) -> Result<Request, String> {
    let chat_id = conversation(data)?;
    match event {
        "send_message" => {
            let content = data.get("content").and_then(Value::as_str).ok_or("send_message has a string \"content\"")?;
            match data.get("type").and_then(Value::as_str) {
                None | Some("text") => Ok(Request::Send { chat_id, content: content.to_owned() }),
                Some(_) => {
                    Err("only text messages are sent over the socket: files go through the attachments API".into())
                }
            }
        }
        "typing" => {
            let is_typing = data.get("isTyping").and_then(Value::as_bool).ok_or("typing has a boolean \"isTyping\"")?;
            Ok(Request::Typing { chat_id, is_typing })
        }
        "read_messages" => {
            let ids = data.get("messageIds").and_then(Value::as_array).filter(|ids| !ids.is_empty());
            let ids = ids.ok_or("read_messages has a non-empty array \"messageIds\"")?;
            let ids: Option<Vec<i64>> = ids.iter().map(integer).collect();
            Ok(Request::Read { chat_id, ids: ids.ok_or("\"messageIds\" are message ids (integers)")? })
        }
        other => Err(format!("unknown event {other:?}: send_message, typing or read_messages")),
    }
}

/// `conversationId`: an id, as a number (or its decimal string).
fn conversation(data: &Value) -> Result<i64, String> {
    data.get("conversationId")
        .and_then(integer)
        .filter(|id| *id > 0)
        .ok_or_else(|| "\"conversationId\" names a conversation (an integer id)".to_owned())
}

fn integer(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// This contract's event for a core frame, for a socket of user `me`, if it has one:
/// `new_message` for a new message (the others' `new_message` and the sender's own
/// `message_sent` alike: this contract echoes to the sender), `user_typing`, `user_status`,
/// `messages_read` (not back to the reader).
pub fn outgoing(bytes: &[u8], me: i64) -> Option<(&'static str, Value)> {
    let (event, data) = crate::api::dialects::core_event(bytes)?;
    let chat = || data["chat_id"].as_i64();
    Some(match event {
        "new_message" | "message_sent" => {
            let m = &data["message"];
            let message = json!({
                "id": m["id"].as_i64()?,
                "conversation_id": chat()?,
                "sender_id": m["sender_id"].as_i64()?,
                "content": m["content"].as_str()?,
                "type": "text",
                "attachments": m.get("attachments").filter(|a| a.is_array()).cloned().unwrap_or(json!([])),
                "created_at": m["created_at"].as_str()?,
            });
            ("new_message", json!({ "conversation_id": chat()?, "message": message }))
        }
        "typing" => (
            "user_typing",
            json!({ "conversation_id": chat()?, "user_id": data["user_id"].as_i64()?,
                    "is_typing": data["is_typing"].as_bool()? }),
        ),
        "presence" => {
            let online = data["online"].as_bool()?;
            // Online: seen now; offline: when the last connection closed.
            let last_seen = match data["last_seen"].as_str() {
                Some(at) if !online => at.to_owned(),
                _ => OffsetDateTime::now_utc().format(&Rfc3339).ok()?,
            };
            (
                "user_status",
                json!({ "user_id": data["user_id"].as_i64()?, "is_online": online, "last_seen": last_seen }),
            )
        }
        "messages_read" => {
            let reader = data["user_id"].as_i64()?;
            if reader == me {
                return None;
            }
            // The ids the reader's client listed, when it said; else the marker's message.
            let ids = match data.get("message_ids").filter(|ids| ids.is_array()) {
                Some(ids) => ids.clone(),
                None => json!([data["up_to_message_id"].as_i64()?]),
            };
            ("messages_read", json!({ "conversation_id": chat()?, "user_id": reader, "message_ids": ids }))
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_message_is_new_message_for_the_sender_too() {
        let data = r#"{"chat_id":7,"message":{"id":9,"sender_id":3,"content":"hi","created_at":"2023-09-18T12:26:40Z","attachments":[]}}"#;
        for event in ["new_message", "message_sent"] {
            let core = format!("id: 12\nevent: {event}\ndata: {data}\n\n");
            let (name, frame) = outgoing(core.as_bytes(), 3).expect("an event");
            assert_eq!(name, "new_message");
            assert_eq!(
                frame,
                json!({"conversation_id": 7, "message": {"id": 9, "conversation_id": 7, "sender_id": 3,
                       "content": "hi", "type": "text", "attachments": [], "created_at": "2023-09-18T12:26:40Z"}})
            );
        }
        assert_eq!(outgoing(b"event: message_deleted\ndata: {\"chat_id\":7,\"message_id\":9}\n\n", 3), None);
    }

    #[test]
    fn reads_go_to_the_others_with_the_ids_as_listed() {
        let read = b"event: messages_read\ndata: {\"chat_id\":7,\"user_id\":4,\"up_to_message_id\":9,\"message_ids\":[8,9]}\n\n";
        assert_eq!(outgoing(read, 4), None, "not back to the reader");
        let (name, frame) = outgoing(read, 3).expect("an event");
        assert_eq!(
            (name, frame),
            ("messages_read", json!({"conversation_id": 7, "user_id": 4, "message_ids": [8, 9]}))
        );
    }

    #[test]
    fn a_malformed_event_says_what_is_wrong() {
        let send = |data| incoming("send_message", &data);
        assert_eq!(
            send(json!({"conversationId": 5, "content": "hi"})),
            Ok(Request::Send { chat_id: 5, content: "hi".into() })
        );
        assert_eq!(
            incoming("read_messages", &json!({"conversationId": "5", "messageIds": [1, "2"]})),
            Ok(Request::Read { chat_id: 5, ids: vec![1, 2] })
        );
        assert!(send(json!({"conversationId": 5})).is_err());
        assert!(send(json!({"conversationId": "c1", "content": "hi"})).is_err());
        assert!(send(json!({"conversationId": 5, "content": "hi", "type": "image"})).is_err());
        assert!(incoming("typing", &json!({"conversationId": 5})).is_err());
        assert!(incoming("read_messages", &json!({"conversationId": 5, "messageIds": []})).is_err());
    }
}
