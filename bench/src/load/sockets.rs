//! The dialects' sockets (`/api/v1/ws`, Socket.IO over websocket) and the S10 peer's, read
//! message by message, as `streams.rs` reads event streams.
//!
//! Socket.IO is spoken by hand, Engine.IO 4 over a plain WebSocket (this is a load generator,
//! not a conformance test): the server's open packet `0{…}`, the client's connect with its token
//! `40{"token"}`, the server's `40{…}`, a pong `3` for every ping `2` (or the server drops the
//! idle socket), events as `42["name", data]`. Each socket is one task that only reads and
//! answers pings, with small buffers: the generator shares the machine with the replica whose
//! memory S3 measures.

use std::net::{IpAddr, SocketAddr};

use futures::{SinkExt, StreamExt};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

/// Which socket: a dialect of tutorchat's, or the S10 peer's socket.io.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SocketKind {
    /// `GET /api/v1/ws?token=<JWT>`: `{"type", "data"}` frames, a `message` per new message.
    V1,
    /// `/socket.io/` (the messenger dialect): `new_message` events, `auth: {token}`.
    SocketIo,
    /// `bench/peers/socketio`: `message` events, ready once it says `joined` (its rooms).
    Peer,
}

impl SocketKind {
    /// tutorchat's sockets, as S2 and S3 hold them beside the event streams.
    pub const DIALECTS: [SocketKind; 2] = [SocketKind::V1, SocketKind::SocketIo];

    /// How the page names it.
    pub fn name(self) -> &'static str {
        match self {
            SocketKind::V1 => "/api/v1/ws",
            SocketKind::SocketIo => "Socket.IO",
            SocketKind::Peer => "socket.io peer",
        }
    }

    /// The socket's URL on the server at `base` (`http://host:port`).
    fn url(self, base: &str, token: &str) -> String {
        let host = base.trim_start_matches("http://");
        match self {
            SocketKind::V1 => format!("ws://{host}/api/v1/ws?token={token}"),
            SocketKind::SocketIo | SocketKind::Peer => format!("ws://{host}/socket.io/?EIO=4&transport=websocket"),
        }
    }
}

/// A new message as a socket received it.
#[derive(Debug, PartialEq, Eq)]
pub struct SocketMessage {
    /// The message's id (drawn with its log position, so in log order); absent from the peer's.
    pub id: Option<i64>,
    pub content: String,
    /// RFC 3339, where the frame carries it so (Socket.IO; `/api/v1/ws` has epoch seconds).
    pub created_at: Option<String>,
}

/// What one text frame means to the reader.
#[derive(Debug, PartialEq, Eq)]
enum Packet {
    /// Engine.IO's open: answer with the namespace connect and the token.
    Open,
    /// Engine.IO's ping: answer `3`.
    Ping,
    /// The socket may now receive messages.
    Ready,
    /// The server refused the socket (`connect_error`), or closed it.
    Refused(String),
    Closed,
    Message(SocketMessage),
    Other,
}

fn packet(kind: SocketKind, text: &str) -> Packet {
    if kind == SocketKind::V1 {
        let frame: Value = serde_json::from_str(text).unwrap_or_default();
        let data = &frame["data"];
        return match (frame["type"].as_str(), data["id"].as_str(), data["body"].as_str()) {
            (Some("message"), Some(id), Some(body)) => {
                Packet::Message(SocketMessage { id: id.parse().ok(), content: body.to_owned(), created_at: None })
            }
            _ => Packet::Other,
        };
    }
    match text {
        "2" => return Packet::Ping,
        "1" | "41" => return Packet::Closed,
        _ => {}
    }
    if text.starts_with('0') {
        return Packet::Open;
    }
    if text.starts_with("40") {
        return if kind == SocketKind::Peer { Packet::Other } else { Packet::Ready };
    }
    if text.starts_with("44") {
        return Packet::Refused(text.to_owned());
    }
    let Some(event) = text.strip_prefix("42").and_then(|e| serde_json::from_str::<Value>(e).ok()) else {
        return Packet::Other;
    };
    let string = |v: &Value| v.as_str().map(str::to_owned);
    match (kind, event[0].as_str()) {
        (SocketKind::SocketIo, Some("new_message")) => {
            let m = &event[1]["message"];
            match string(&m["content"]) {
                Some(content) => Packet::Message(SocketMessage {
                    id: m["id"].as_i64(),
                    content,
                    created_at: string(&m["created_at"]),
                }),
                None => Packet::Other,
            }
        }
        (SocketKind::Peer, Some("joined")) => Packet::Ready,
        (SocketKind::Peer, Some("message")) => match string(&event[1]["content"]) {
            Some(content) => Packet::Message(SocketMessage { id: None, content, created_at: None }),
            None => Packet::Other,
        },
        _ => Packet::Other,
    }
}

/// Opens a socket of `kind` to the server at `base` as the holder of `token` (from `local`, when
/// given) and calls `on_message` for every new message until the socket ends or `stop` is
/// cancelled. `opened` is called once the socket may receive (the upgrade for `/api/v1/ws`,
/// which subscribes before it answers; Socket.IO's connect; the peer's `joined`).
pub async fn read_socket(
    kind: SocketKind,
    base: &str,
    token: &str,
    local: Option<IpAddr>,
    stop: tokio_util::sync::CancellationToken,
    opened: impl FnOnce(),
    mut on_message: impl FnMut(SocketMessage),
) -> anyhow::Result<()> {
    let addr: SocketAddr = base.trim_start_matches("http://").parse()?;
    let socket = if addr.is_ipv4() { tokio::net::TcpSocket::new_v4()? } else { tokio::net::TcpSocket::new_v6()? };
    if let Some(local) = local {
        socket.bind((local, 0).into())?;
    }
    let tcp = socket.connect(addr).await?;
    tcp.set_nodelay(true)?;
    // 4 KiB to read into, nothing kept to write: tungstenite's defaults (128 KiB each) on 19,000
    // sockets would be the generator's largest cost on a machine it shares with the replica.
    let config = WebSocketConfig::default().read_buffer_size(4096).write_buffer_size(0);
    let (mut ws, _) = tokio_tungstenite::client_async_with_config(kind.url(base, token), tcp, Some(config)).await?;
    let mut opened = Some(opened);
    if kind == SocketKind::V1
        && let Some(opened) = opened.take()
    {
        opened(); // it subscribed before it answered the upgrade
    }
    loop {
        let frame = tokio::select! {
            _ = stop.cancelled() => return Ok(()),
            frame = ws.next() => match frame { Some(frame) => frame?, None => return Ok(()) },
        };
        let text = match frame {
            Message::Text(text) => text,
            Message::Close(_) => return Ok(()),
            _ => continue,
        };
        match packet(kind, text.as_str()) {
            Packet::Open => ws.send(Message::text(format!("40{}", serde_json::json!({ "token": token })))).await?,
            Packet::Ping => ws.send(Message::text("3")).await?,
            Packet::Ready => {
                if let Some(f) = opened.take() {
                    f();
                }
            }
            Packet::Refused(why) => anyhow::bail!("the server refused the socket: {why}"),
            Packet::Closed => return Ok(()),
            Packet::Message(message) => on_message(message),
            Packet::Other => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_reads_its_own_message_frame() {
        let v1 = r#"{"type":"message","data":{"id":"9","conversation_id":"7","sender_id":"3","body":"s2 4","created_at":1695040000}}"#;
        let io = r#"42["new_message",{"conversation_id":7,"message":{"id":9,"content":"s2 4","created_at":"2023-09-18T12:26:40Z"}}]"#;
        let peer = r#"42["message",{"id":"9","chat_id":"7","content":"s2 4"}]"#;
        let message = |id, created_at: Option<&str>| {
            Packet::Message(SocketMessage { id, content: "s2 4".into(), created_at: created_at.map(str::to_owned) })
        };
        assert_eq!(packet(SocketKind::V1, v1), message(Some(9), None));
        assert_eq!(packet(SocketKind::SocketIo, io), message(Some(9), Some("2023-09-18T12:26:40Z")));
        assert_eq!(packet(SocketKind::Peer, peer), message(None, None));
        assert_eq!(packet(SocketKind::V1, r#"{"type":"typing","data":{}}"#), Packet::Other);
        assert_eq!(packet(SocketKind::SocketIo, r#"42["user_typing",{}]"#), Packet::Other);
    }

    #[test]
    fn engine_io_opens_pings_and_refuses_by_hand() {
        let open = r#"0{"sid":"a","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#;
        assert_eq!(packet(SocketKind::SocketIo, open), Packet::Open);
        assert_eq!(packet(SocketKind::SocketIo, "2"), Packet::Ping);
        assert_eq!(packet(SocketKind::SocketIo, r#"40{"sid":"b"}"#), Packet::Ready);
        // The peer is ready once it has joined its rooms, not at the connect.
        assert_eq!(packet(SocketKind::Peer, r#"40{"sid":"b"}"#), Packet::Other);
        assert_eq!(packet(SocketKind::Peer, r#"42["joined",1]"#), Packet::Ready);
        assert!(matches!(packet(SocketKind::SocketIo, r#"44{"message":"Authentication error"}"#), Packet::Refused(_)));
        assert_eq!(packet(SocketKind::SocketIo, "41"), Packet::Closed);
    }
}
