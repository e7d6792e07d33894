//! A message's frames: the same for everyone, but for a hidden message and for a quote that
//! members who joined later may not read.

use axum::body::Bytes;

use super::{frame, shared};
use crate::realtime::hub::{Dispatch, Frames, Sent};
use crate::wire::events::{MessageBody, MessageEvent};

/// A message's frame for everyone (a hidden one's: the placeholder for members, the message
/// for admins), and, when it quotes a message, the frame for members who joined after the
/// quoted one: the quote only as unavailable.
pub(super) fn message_dispatch(position: i64, chat_id: i64, event: &str, message: MessageBody<'_>) -> Dispatch {
    let seen = message.for_participants();
    let sender = message.sender_id.filter(|_| event == "new_message");
    let quoted_by = seen.reply_to.as_ref().and_then(|quote| quote.sender_id);
    let unquoted = seen.reply_to.clone().map(|quote| {
        let quoted = quote.position;
        let message = MessageBody { reply_to: Some(quote.unavailable()), ..seen.clone() };
        (quoted, frame(position, event, &MessageEvent { chat_id, message }))
    });
    let frames = if message.hidden.is_some() {
        Frames::Split {
            members: Some(frame(position, event, &MessageEvent { chat_id, message: seen })),
            admins: frame(position, event, &MessageEvent { chat_id, message }),
        }
    } else {
        shared(position, event, &MessageEvent { chat_id, message })
    };
    let mut dispatch = Dispatch::new(position, chat_id, frames);
    dispatch.quoted_by = quoted_by;
    dispatch.unquoted = unquoted;
    if let Some(sender) = sender {
        dispatch.sent = Some(Sent {
            sender,
            frame: dispatch.frames.for_user(sender).map(as_sent),
            unquoted: dispatch.unquoted.as_ref().map(|(_, bytes)| as_sent(bytes)),
        });
    }
    dispatch
}

/// A `new_message` frame as its sender's streams get it: `event: message_sent`, the same `id:`
/// and `data:` (the event line is the frame's first after its `id:`; JSON data has no newline).
fn as_sent(frame: &Bytes) -> Bytes {
    const NEW: &[u8] = b"\nevent: new_message\n";
    match frame.windows(NEW.len()).position(|w| w == NEW) {
        Some(at) => {
            let mut renamed = Vec::with_capacity(frame.len() + 1);
            renamed.extend_from_slice(&frame[..at]);
            renamed.extend_from_slice(b"\nevent: message_sent\n");
            renamed.extend_from_slice(&frame[at + NEW.len()..]);
            Bytes::from(renamed)
        }
        None => frame.clone(),
    }
}
