//! The socket's frames: `{"type", "data"}` JSON both ways. Out, a core frame (the event
//! stream's bytes, shared by every connection the hub feeds) becomes this contract's, ids as
//! decimal strings and times as epoch seconds; in, a client's frame becomes a [`Request`] or
//! the reason it cannot.

use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// What a client's frame asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum Request {
    Message { chat_id: i64, body: String },
    Typing { chat_id: i64, is_typing: bool },
    Read { chat_id: i64 },
}

/// An `error` frame.
pub fn error(error: &str) -> String {
    json!({ "type": "error", "data": { "error": error } }).to_string()
}

/// A client's frame as a request, or what is wrong with it (the core checks the rest: the
/// text's rules, access, the role).
pub fn incoming(text: &str) -> Result<Request, String> {
    let frame: Value = serde_json::from_str(text).map_err(|_| "a frame is JSON: {\"type\", \"data\"}".to_owned())?;
    let kind = frame.get("type").and_then(Value::as_str).ok_or("a frame has a string \"type\"")?;
    let data = frame.get("data").filter(|d| d.is_object()).ok_or("a frame has an object \"data\"")?;
    let chat_id = conversation(data)?;
    match kind {
        "message" => {
            // Its text's rules (not blank, 1–10,000 characters) are the core's, as for every send.
            let body = data.get("body").and_then(Value::as_str).ok_or("a message has a string \"body\"")?;
            Ok(Request::Message { chat_id, body: body.to_owned() })
        }
        "typing" => {
            let is_typing =
                data.get("is_typing").and_then(Value::as_bool).ok_or("typing has a boolean \"is_typing\"")?;
            Ok(Request::Typing { chat_id, is_typing })
        }
        "read" => Ok(Request::Read { chat_id }),
        other => Err(format!("unknown frame type {other:?}: message, typing or read")),
    }
}

/// `data.conversation_id`: a conversation's id, as a string (or a number).
fn conversation(data: &Value) -> Result<i64, String> {
    let id = match data.get("conversation_id") {
        Some(Value::String(id)) => id.parse().ok(),
        Some(Value::Number(id)) => id.as_i64(),
        _ => None,
    };
    id.filter(|id| *id > 0).ok_or_else(|| "\"conversation_id\" names a conversation (\"42\")".to_owned())
}

/// This contract's frame for a core frame, if it has one: `message` for a new message (the
/// other participants' `new_message` and the sender's own `message_sent` alike: this
/// contract sends it to both), `typing`, `presence`.
pub fn outgoing(bytes: &[u8]) -> Option<String> {
    let (event, data) = crate::api::dialects::core_event(bytes)?;
    let frame = match event {
        "new_message" | "message_sent" => {
            let message = &data["message"];
            json!({ "type": "message", "data": {
                "id": id(&message["id"])?,
                "conversation_id": id(&data["chat_id"])?,
                "sender_id": id(&message["sender_id"])?,
                "body": message["content"].as_str()?,
                "created_at": epoch(&message["created_at"])?,
            }})
        }
        "typing" => json!({ "type": "typing", "data": {
            "conversation_id": id(&data["chat_id"])?,
            "user_id": id(&data["user_id"])?,
            "is_typing": data["is_typing"].as_bool()?,
        }}),
        "presence" => json!({ "type": "presence", "data": {
            "user_id": id(&data["user_id"])?,
            "online": data["online"].as_bool()?,
            "last_seen": epoch(&data["last_seen"]),
        }}),
        _ => return None,
    };
    Some(frame.to_string())
}

fn id(value: &Value) -> Option<String> {
    value.as_i64().map(|id| id.to_string())
}

/// An RFC 3339 time as epoch seconds.
fn epoch(value: &Value) -> Option<i64> {
    OffsetDateTime::parse(value.as_str()?, &Rfc3339).ok().map(OffsetDateTime::unix_timestamp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_message_is_a_message_frame_for_both_sides() {
        let data = r#"{"chat_id":7,"message":{"id":9,"sender_id":3,"content":"hi\nthere","created_at":"2023-09-18T12:26:40Z"}}"#;
        for event in ["new_message", "message_sent"] {
            let core = format!("id: 12\nevent: {event}\ndata: {data}\n\n");
            let frame: Value = serde_json::from_str(&outgoing(core.as_bytes()).expect("a frame")).expect("json");
            assert_eq!(
                frame,
                json!({"type": "message", "data": {"id": "9", "conversation_id": "7", "sender_id": "3",
                       "body": "hi\nthere", "created_at": 1695040000}})
            );
        }
        assert_eq!(outgoing(b"id: 13\nevent: message_deleted\ndata: {\"chat_id\":7,\"message_id\":9}\n\n"), None);
    }

    #[test]
    fn presence_says_last_seen_in_epoch_seconds_or_null() {
        let offline = outgoing(
            b"event: presence\ndata: {\"user_id\":4,\"online\":false,\"last_seen\":\"2023-09-18T12:26:40Z\"}\n\n",
        );
        let online = outgoing(b"event: presence\ndata: {\"user_id\":4,\"online\":true,\"last_seen\":null}\n\n");
        assert_eq!(
            offline.as_deref(),
            Some(r#"{"data":{"last_seen":1695040000,"online":false,"user_id":"4"},"type":"presence"}"#)
        );
        assert_eq!(
            online.as_deref(),
            Some(r#"{"data":{"last_seen":null,"online":true,"user_id":"4"},"type":"presence"}"#)
        );
    }

    #[test]
    fn a_malformed_frame_says_what_is_wrong() {
        assert_eq!(incoming(r#"{"type":"read","data":{"conversation_id":"5"}}"#), Ok(Request::Read { chat_id: 5 }));
        for bad in [
            "not json",
            r#"{"data":{}}"#,
            r#"{"type":"message"}"#,
            r#"{"type":"message","data":{"conversation_id":"5"}}"#,
            r#"{"type":"nope","data":{"conversation_id":"5"}}"#,
            r#"{"type":"typing","data":{"conversation_id":"x","is_typing":true}}"#,
        ] {
            assert!(incoming(bad).is_err(), "{bad}");
        }
    }
}
