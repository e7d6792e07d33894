//! S10: tutorchat against socket.io with its PostgreSQL adapter, the way a Node team would
//! ordinarily build the same write path (`bench/peers/socketio`), both driven by Debian's `wrk`
//! with the same script: 128 connections over both instances (64 per `wrk`, one per instance),
//! 256 chats, each request the next chat's teacher or student. In one round, one cluster:
//! tutorchat's two replicas (group commit), then on the same PostgreSQL the peer's two Node
//! instances in tables of their own, or the other way round (tutorchat first in odd rounds).
//! Each side's rows are counted before and after its run: what wrk saw answered must have
//! landed; and a member's socket on the peer's second instance must receive every message of
//! its chat, half of which reach it only through the adapter. The target: tutorchat ≥ 5× the peer's messages/s.

pub(crate) mod peer;
mod wrk;

use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio_postgres::Client;

pub use peer::Delivered;
pub use wrk::Side;

use super::{Cluster, Server};
use crate::load;
use crate::rounds::{Figure, Figures, figure};

/// Chats the requests rotate over.
pub const CHATS: i64 = 256;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct S10 {
    pub seconds_per_run: f64,
    /// Connections over both instances of a side (each `wrk` has half).
    pub connections: usize,
    pub chats: i64,
    pub tutorchat: Side,
    pub socketio: Side,
    /// What a member's socket on the peer's second instance received of its chat's messages.
    #[serde(default)]
    pub delivered: Delivered,
    /// The side that ran first in this round.
    pub first: String,
    #[serde(default)]
    pub revision: String,
}

impl S10 {
    /// tutorchat's messages/s ÷ the peer's: the target is ≥ 5.
    pub fn ratio(&self) -> f64 {
        self.tutorchat.per_second / self.socketio.per_second.max(1e-9)
    }
}

impl Figures for S10 {
    /// The ratio first (it ranks the rounds), then each side's throughput, latency and errors.
    fn figures(&self) -> Vec<Figure> {
        let mut figures = vec![figure(RATIO, self.ratio())];
        for (name, side) in [("tutorchat", &self.tutorchat), ("socket.io", &self.socketio)] {
            figures.push(figure(format!("{name}, msg/s"), side.per_second));
            figures.push(figure(format!("{name}, p50, ms"), side.p50_ms));
            figures.push(figure(format!("{name}, p99, ms"), side.p99_ms));
            figures.push(figure(format!("{name}, errors"), side.errors as f64));
        }
        figures
    }
}

/// The ratio's figure name (the report takes its median over the rounds).
pub const RATIO: &str = "tutorchat ÷ socket.io, msg/s";

/// One round of S10 against `server` (`round` from 0: even rounds, the first, third…, run
/// tutorchat first).
pub async fn s10(server: &Server, round: usize, run: Duration) -> anyhow::Result<S10> {
    wrk::ensure_installed()?;
    peer::ensure_installed()?;
    let cluster = Cluster::start_on(server, 2, &[("APPEND_MODE", "batched")]).await?;
    let pairs = load::seed_pairs(&cluster.sql, CHATS).await?;
    peer::prepare(&cluster.sql, &pairs).await?;
    let chats = std::env::temp_dir().join(format!("tutorchat-bench-s10-{}.chats", std::process::id()));
    wrk::chats_file(&pairs, &chats)?;
    let tutorchat_first = round.is_multiple_of(2);
    let (mut tutorchat, mut socketio, mut delivered) = (Side::default(), Side::default(), Default::default());
    for turn in 0..2 {
        let keys = format!("r{round}-t{turn}");
        if (turn == 0) == tutorchat_first {
            tutorchat =
                measured("SELECT count(*) FROM messages", &cluster.sql, wrk::run(&cluster.urls, &chats, &keys, run))
                    .await?;
            report(server, "tutorchat", &tutorchat);
        } else {
            let peer = peer::Peer::start(cluster.topology().postgres().socket_dir(), 2).await?;
            let (chat, member) = (pairs[0].chat, &pairs[0].student);
            let listener = peer::Listener::start(&peer.urls[1], member).await?;
            let side =
                measured("SELECT count(*) FROM peer_messages", &cluster.sql, wrk::run(&peer.urls, &chats, &keys, run))
                    .await;
            let landed: i64 =
                cluster.sql.query_one("SELECT count(*) FROM peer_messages WHERE chat_id = $1", &[&chat]).await?.get(0);
            let received = listener.received(landed).await;
            peer.stop().await;
            socketio = side?;
            delivered = peer::Delivered { chat, landed, received: received? };
            report(server, "socket.io", &socketio);
            eprintln!(
                "S10 socket.io: a member's socket on instance 2 received {} of chat {chat}'s {landed}",
                delivered.received
            );
            anyhow::ensure!(
                delivered.received >= landed && landed > 0,
                "the peer delivered {} of chat {chat}'s {landed} messages to a member's socket",
                delivered.received
            );
        }
    }
    let _ = std::fs::remove_file(&chats);
    cluster.stop().await;
    let result = S10 {
        seconds_per_run: run.as_secs_f64(),
        connections: 2 * wrk::CONNECTIONS,
        chats: CHATS,
        tutorchat,
        socketio,
        delivered,
        first: if tutorchat_first { "tutorchat" } else { "socket.io" }.to_owned(),
        revision: server.revision.clone(),
    };
    eprintln!("S10 {} round {}: tutorchat ÷ socket.io {:.2}", server.revision, round + 1, result.ratio());
    Ok(result)
}

/// Runs `load` and checks that what it saw answered landed (`count` counts the side's
/// messages): the rows gained are at least the 201s and at most those and the requests still in
/// flight when wrk stopped.
async fn measured(count: &str, sql: &Client, load: impl Future<Output = anyhow::Result<Side>>) -> anyhow::Result<Side> {
    let before: i64 = sql.query_one(count, &[]).await?.get(0);
    let mut side = load.await?;
    let after: i64 = sql.query_one(count, &[]).await?.get(0);
    side.landed = after - before;
    let answered = side.requests.saturating_sub(side.errors) as i64;
    let in_flight = (2 * wrk::CONNECTIONS) as i64;
    anyhow::ensure!(
        (answered..=answered + in_flight).contains(&side.landed),
        "{count}: {} rows landed for {answered} answered 201 (and at most {in_flight} in flight)",
        side.landed
    );
    Ok(side)
}

fn report(server: &Server, name: &str, side: &Side) {
    eprintln!(
        "S10 {} {name:9}: {:8.0} msg/s  p50 {:.2} ms  p99 {:.2} ms  errors {}  rows landed {} of {} requests",
        server.revision, side.per_second, side.p50_ms, side.p99_ms, side.errors, side.landed, side.requests
    );
}
