//! S11's second adversary: read receipts with the largest list a request may send. Students of
//! the group, each on a Socket.IO connection of the messenger dialect (the one way a client
//! lists the messages it read), send `read_messages` with [`LISTED`] ids at the product's write
//! rate ([`PER_SECOND`] a second each), every one moving their marker one message on through
//! the group's history: so every receipt is an event of the log, carrying its list to every
//! member's stream, which is what a list once left unbounded made everybody wait on.
//!
//! Socket.IO is spoken by hand, as `load::sockets` does: Engine.IO 4 over a WebSocket, the
//! connect packet with the token, a pong for every ping. A receipt has no answer of its own
//! (the reader's own sockets are not told of it), so the attackers go at a fixed pace, and
//! what landed is counted in the log afterwards.

use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use serde_json::json;
use tokio_postgres::Client;
use tokio_tungstenite::tungstenite::Message;

use super::Attack;

/// Ids in one receipt: the most a request may list (`read_markers::MAX_LISTED_READ`, also
/// bounded by the log's rule for `chat_read`).
pub const LISTED: usize = 100;
/// Receipts a second per attacker: the product's default `RATE_WRITES_PER_SEC` (the benchmark
/// lifts the per-user rates for its senders, so the attackers keep this pace themselves).
pub const PER_SECOND: u32 = 10;

/// `count` messages of the teacher `teacher` in the group `chat`, for the attackers to read
/// through, as the log would take them; their ids in order.
pub(super) async fn seed_history(sql: &Client, chat: i64, teacher: i64, count: i64) -> anyhow::Result<Vec<i64>> {
    let before: i64 = sql.query_one("SELECT coalesce(max(id), 0) FROM messages", &[]).await?.get(0);
    sql.execute(
        "INSERT INTO events (chat_id, actor_id, type, payload)
         SELECT $1, $2, 'message_created', jsonb_build_object('content', 'history ' || g)
         FROM generate_series(1, $3::bigint) g ORDER BY g",
        &[&chat, &teacher, &count],
    )
    .await?;
    let ids: Vec<i64> = sql
        .query("SELECT id FROM messages WHERE chat_id = $1 AND id > $2 ORDER BY id", &[&chat, &before])
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    anyhow::ensure!(ids.len() as i64 == count, "S11: {} of {count} history messages seeded", ids.len());
    Ok(ids)
}

/// How many history messages a run of `run` needs: the first receipt's list, then one message
/// further per receipt, with room to spare.
pub(super) fn history_for(run: Duration) -> i64 {
    LISTED as i64 + 2 * i64::from(PER_SECOND) * run.as_secs().max(1) as i64
}

/// Each of `tokens` (students of `chat` whose markers are still before `history`) on a socket of
/// its own, sending a receipt of [`LISTED`] ids every 1/[`PER_SECOND`] s for `duration`: the
/// i-th lists `history[i ..= i + LISTED - 1]`. `messages` in the result: the `chat_read` events
/// the log took from them (counted by `landed`); `errors`: receipts refused or never sent.
pub(super) async fn send_receipts(
    urls: &[String],
    chat: i64,
    tokens: &[String],
    history: &[i64],
    duration: Duration,
) -> Attack {
    let deadline = Instant::now() + duration;
    let tasks: Vec<_> = tokens
        .iter()
        .enumerate()
        .map(|(a, token)| {
            let (base, token, history) = (urls[a % urls.len()].clone(), token.clone(), history.to_vec());
            tokio::spawn(async move { attacker(&base, &token, chat, &history, deadline).await })
        })
        .collect();
    let (mut sent, mut errors) = (0, 0);
    for task in tasks {
        match task.await {
            Ok(Ok((s, e))) => {
                sent += s;
                errors += e;
            }
            Ok(Err(e)) => {
                eprintln!("S11: a read-receipt attacker's socket failed: {e:#}");
                errors += 1;
            }
            Err(_) => errors += 1,
        }
    }
    Attack { messages: sent, errors, latency: Default::default() }
}

/// One attacker: its socket, then a receipt per tick until `deadline` (or the history's end).
/// (receipts sent, error events the server answered with).
async fn attacker(
    base: &str,
    token: &str,
    chat: i64,
    history: &[i64],
    deadline: Instant,
) -> anyhow::Result<(usize, usize)> {
    let host = base.trim_start_matches("http://");
    let (mut ws, _) =
        tokio_tungstenite::connect_async(format!("ws://{host}/socket.io/?EIO=4&transport=websocket")).await?;
    let mut ticks = tokio::time::interval(Duration::from_secs(1) / PER_SECOND);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let (mut connected, mut sent, mut errors) = (false, 0usize, 0usize);
    let steps = history.len().saturating_sub(LISTED - 1);
    let stop = tokio::time::sleep_until(deadline.into());
    tokio::pin!(stop);
    loop {
        tokio::select! {
            _ = &mut stop => break,
            _ = ticks.tick(), if connected && sent < steps => {
                let ids = &history[sent..sent + LISTED];
                let frame = json!(["read_messages", { "conversationId": chat, "messageIds": ids }]);
                ws.send(Message::text(format!("42{frame}"))).await?;
                sent += 1;
            }
            frame = ws.next() => {
                let text = match frame {
                    Some(Ok(Message::Text(text))) => text,
                    Some(Ok(Message::Close(_))) | None => anyhow::bail!("the server closed the socket"),
                    Some(Ok(_)) => continue,
                    Some(Err(e)) => return Err(e.into()),
                };
                let text = text.as_str();
                if text.starts_with('0') {
                    ws.send(Message::text(format!("40{}", json!({ "token": token })))).await?;
                } else if text == "2" {
                    ws.send(Message::text("3")).await?;
                } else if text.starts_with("40") {
                    connected = true;
                } else if text.starts_with("44") {
                    anyhow::bail!("the server refused the socket: {text}");
                } else if text.starts_with("42[\"error\"") {
                    errors += 1;
                }
            }
        }
    }
    let _ = ws.close(None).await;
    Ok((sent, errors))
}

/// The `chat_read` events in the log from the holders of `readers` (their user ids) in `chat`.
pub(super) async fn landed(sql: &Client, chat: i64, readers: &[i64]) -> anyhow::Result<i64> {
    let row = sql
        .query_one(
            "SELECT count(*) FROM events WHERE type = 'chat_read' AND chat_id = $1 AND actor_id = ANY($2)",
            &[&chat, &readers],
        )
        .await?;
    Ok(row.get(0))
}
