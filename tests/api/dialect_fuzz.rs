//! Random frames on every dialect's socket, each seen by its own client (Python's `websockets`,
//! socket.io's client): text that is no JSON, JSON of any shape, and frames of the contract's
//! own types with fields of any type and size, the real conversation's id among them. None
//! gets the server's own failure (`internal server error`), none ends the socket, and after
//! them all a valid message still goes through and the replica is ready. The seed is printed
//! and may be set (`FUZZ_SEED`) to replay a run.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Map, Value, json};

use crate::dialect_messenger::{Sio, Transports};
use crate::helpers::{TestApp, WsClient, WsCredential};

/// Frames sent to each socket, in rounds of [`ROUND`].
const FRAMES: usize = 150;
const ROUND: usize = 25;

/// The largest frame sent, in bytes: below the sockets' one limit (256 KiB), past which a
/// socket is ended by design (`dialect_messenger::limits` proves that).
const LARGEST: usize = 200 * 1024;

/// A string of up to `max` characters from a pool with the awkward ones in it (quotes,
/// backslashes, control characters, markup, right-to-left and emoji), never a line break
/// (the clients send a line as a frame).
fn text(rng: &mut StdRng, max: usize) -> String {
    const POOL: &[char] =
        &['a', 'Я', ' ', '"', '\\', '\u{0}', '\u{7}', '\t', '<', '>', '&', '{', '}', '\u{202e}', '😀', '\u{fffd}'];
    let len = rng.random_range(0..=max);
    (0..len).map(|_| POOL[rng.random_range(0..POOL.len())]).collect()
}

/// A JSON value of any type, `id` (the real chat's) among the numbers, nested at most 3 deep.
fn value(rng: &mut StdRng, id: i64, depth: u32) -> Value {
    match rng.random_range(0..10) {
        0 => Value::Null,
        1 => json!(rng.random_bool(0.5)),
        2 => json!([i64::MIN, -1, 0, 1, i64::MAX, id][rng.random_range(0..6)]),
        3 => json!(id.to_string()),
        4 => json!(rng.random::<f64>() * 1e300),
        5 if depth < 3 => Value::Array((0..rng.random_range(0..4)).map(|_| value(rng, id, depth + 1)).collect()),
        6 if depth < 3 => object(rng, &["a", "type", "data"], id, depth + 1),
        7 => json!(text(rng, 12_000)),
        _ => json!(text(rng, 40)),
    }
}

/// An object of some of `fields` (and an unknown one now and then), each of any value.
fn object(rng: &mut StdRng, fields: &[&str], id: i64, depth: u32) -> Value {
    let mut object = Map::new();
    for field in fields {
        if rng.random_bool(0.7) {
            object.insert((*field).to_owned(), value(rng, id, depth));
        }
    }
    if rng.random_bool(0.2) {
        object.insert(text(rng, 8), value(rng, id, depth));
    }
    Value::Object(object)
}

/// One random frame of a contract whose frames have these `types` and `fields` (inside `data`
/// when `wrapped`, as `/api/v1`'s are).
fn frame(rng: &mut StdRng, types: &[&str], fields: &[&str], wrapped: bool, id: i64) -> String {
    loop {
        let frame = any_frame(rng, types, fields, wrapped, id);
        if frame.len() < LARGEST {
            return frame;
        }
    }
}

fn any_frame(rng: &mut StdRng, types: &[&str], fields: &[&str], wrapped: bool, id: i64) -> String {
    match rng.random_range(0..6) {
        0 => text(rng, 300),
        1 => value(rng, id, 0).to_string(),
        _ => {
            let kind =
                if rng.random_bool(0.9) { json!(types[rng.random_range(0..types.len())]) } else { value(rng, id, 2) };
            let mut frame = if wrapped {
                json!({ "type": kind, "data": object(rng, fields, id, 1) })
            } else {
                let mut frame = object(rng, fields, id, 1);
                frame.as_object_mut().expect("an object").insert("type".into(), kind);
                frame
            };
            if rng.random_bool(0.1) {
                frame = json!([frame]);
            }
            frame.to_string()
        }
    }
}

fn seed() -> u64 {
    let seed = std::env::var("FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(rand::random);
    eprintln!("dialect_fuzz: FUZZ_SEED={seed}");
    seed
}

/// Reads `client`'s reports until a frame `is_control` says is the control, failing on a
/// close or the server's own failure first.
async fn until_control(client: &mut WsClient, is_control: impl Fn(&Value) -> bool) {
    loop {
        let report = client.report(std::time::Duration::from_secs(20)).await;
        assert_eq!(report["event"], "frame", "the socket did not survive the random frames: {report}");
        assert!(!report["data"].to_string().contains("internal server error"), "{report}");
        if is_control(&report["data"]) {
            return;
        }
    }
}

async fn world() -> (TestApp, crate::helpers::User, i64) {
    let app = TestApp::spawn().await;
    let (teacher, student) = (app.user("teacher", "Учитель").await, app.user("student", "Ученик").await);
    let chat = app.chat(&teacher, &student).await;
    app.settled().await;
    (app, teacher, chat)
}

#[tokio::test]
async fn random_frames_on_the_websockets_are_refused_or_ignored_and_survived() {
    let mut rng = StdRng::seed_from_u64(seed());
    let (app, teacher, chat) = world().await;
    let mut v1 = app.socket(&teacher, WsCredential::Header).await;
    let url = format!("ws://{}/api/chat/ws/{chat}?user_id={}", app.addr, teacher.id);
    let mut market = WsClient::start_with_headers(&[url], &[format!("Cookie: access_token={}", teacher.token)], false);
    market.opened().await;
    // unet-chat's socket reads nothing its client sends: whatever comes is ignored.
    let token = &teacher.token;
    let url = format!("ws://{}/api/unet-chat/ws/conversations/{chat}/?WWW-Authenticate=Bearer%20{token}", app.addr);
    let mut unet = WsClient::start_with_headers(&[url], &[], false);
    unet.opened().await;
    // In rounds, each ended by a valid message it waits for (see the Socket.IO test).
    for round in 0..FRAMES / ROUND {
        for _ in 0..ROUND {
            let types = ["message", "typing", "read"];
            v1.send_text(&frame(&mut rng, &types, &["conversation_id", "body", "is_typing"], true, chat)).await;
            let fields = ["message_text", "is_typing", "sender_is_registered"];
            market.send_text(&frame(&mut rng, &types, &fields, false, chat)).await;
            unet.send_text(&frame(&mut rng, &["message:new"], &["payload", "text"], false, chat)).await;
        }
        // Each socket's own, told apart: the others' controls reach it too.
        let control = format!("v1 control {round}");
        v1.send("message", json!({ "conversation_id": chat.to_string(), "body": control })).await;
        until_control(&mut v1, |f| f["type"] == "message" && f["data"]["body"] == control).await;
        let control = format!("market control {round}");
        market.send_text(&json!({ "type": "message", "message_text": control }).to_string()).await;
        until_control(&mut market, |f| f["type"] == "message" && f["message"]["message_text"] == control).await;
        until_control(&mut unet, |f| f["type"] == "message:new" && f["payload"]["text"] == control).await;
    }
    assert_eq!(app.http.get(app.url("/readyz")).send().await.expect("GET").status(), 200);
}

#[tokio::test]
async fn random_events_on_socket_io_are_refused_and_survived() {
    let mut rng = StdRng::seed_from_u64(seed());
    let (app, teacher, chat) = world().await;
    let base = format!("http://{}", app.addr);
    let mut socket =
        Sio::start(&[base], crate::dialect_messenger::Auth::Token(&teacher.token), Transports::WebsocketOnly, false);
    socket.connected().await;
    let events = ["send_message", "typing", "read_messages"];
    // In rounds, each ended by a valid message it waits for: a client that floods faster than
    // it reads is cut off by design (the socket's bounded buffer), and that is not what this is.
    for round in 0..FRAMES / ROUND {
        for _ in 0..ROUND {
            // An unknown event's name is of letters: one that JSON must escape (a quote, a
            // backslash, a control character) makes socketioxide's parser end the sender's own
            // connection, which is no refusal of ours to test here.
            let event = if rng.random_bool(0.9) {
                events[rng.random_range(0..events.len())].to_owned()
            } else {
                (0..rng.random_range(1..12)).map(|_| rng.random_range(b'a'..=b'z') as char).collect()
            };
            let data = loop {
                let data = if rng.random_bool(0.1) {
                    value(&mut rng, chat, 0)
                } else {
                    object(&mut rng, &["conversationId", "content", "isTyping", "messageIds"], chat, 1)
                };
                if data.to_string().len() < LARGEST {
                    break data;
                }
            };
            socket.emit(&event, data).await;
        }
        let control = format!("control {round}");
        socket.emit("send_message", json!({ "conversationId": chat, "content": control })).await;
        loop {
            let report = socket.report(std::time::Duration::from_secs(20)).await;
            assert_eq!(report["event"], "frame", "the socket did not survive the random events: {report}");
            assert!(!report["data"].to_string().contains("internal server error"), "{report}");
            if report["name"] == "new_message" && report["data"]["message"]["content"] == control {
                break;
            }
        }
    }
    assert_eq!(app.http.get(app.url("/readyz")).send().await.expect("GET").status(), 200);
}
