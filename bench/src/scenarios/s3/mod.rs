//! S3: memory per idle stream and fan-out time on one replica (and the same for the dialects'
//! sockets), and streams spread over three replicas held by helper processes (`hold`).

use serde::{Deserialize, Serialize};

use super::Server;
use crate::load::SocketKind;
use crate::rounds::{Figure, Figures, figure};

mod one_replica;
mod peer;
mod spread;
mod users;

use one_replica::s3;
pub use spread::hold;
use spread::s3_spread;
pub use users::s3_users;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct S3Run {
    pub connections: usize,
    pub pss_before_mib: f64,
    pub pss_after_mib: f64,
    pub bytes_per_connection: f64,
    /// From the POST until the last of the connections had the event.
    pub fan_out_ms: f64,
    pub received: usize,
    /// Of the streams, how many the replica answered without hyper (its
    /// `tutorchat_direct_event_streams_total` moved by this much while they opened).
    #[serde(default)]
    pub direct: Option<u64>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct S3 {
    pub runs: Vec<S3Run>,
    /// Control: the same replica holding plain idle keep-alive HTTP connections (one request
    /// answered each, no event stream): what the HTTP server, runtime and allocator cost alone.
    #[serde(default)]
    pub idle_http_connections: usize,
    #[serde(default)]
    pub idle_http_bytes_per_connection: f64,
    /// Streams held on several replicas at once, by several generator processes.
    #[serde(default)]
    pub spread: Option<S3Spread>,
    /// One stream per user, each user distinct: what per-user state (presence above all)
    /// adds to a stream.
    #[serde(default)]
    pub distinct_users: Option<S3Users>,
    /// The dialects' sockets held as the streams are, at the same counts, each kind on a
    /// replica of its own.
    #[serde(default)]
    pub sockets: Vec<S3Sockets>,
    /// The S10 peer's socket.io holding as many, measured the same way, in the same round.
    #[serde(default)]
    pub peer: Option<S3Sockets>,
}

/// One kind of socket's runs: idle sockets of the same admin, as many as the streams'.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct S3Sockets {
    pub kind: SocketKind,
    pub runs: Vec<S3Run>,
}

impl S3Sockets {
    /// Its figures' names at `n` (the report takes their medians over the rounds).
    pub fn bytes_figure(kind: SocketKind, n: usize) -> String {
        format!("bytes per idle {} socket at {n}", kind.name())
    }

    pub fn fan_out_figure(kind: SocketKind, n: usize) -> String {
        format!("one event to {n} {} sockets, ms", kind.name())
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct S3Users {
    pub streams: usize,
    /// PSS delta / streams, with every user's presence recorded.
    pub bytes_per_connection: f64,
    /// The same replica holding as many admin streams of one user, measured just before.
    pub one_user_bytes_per_connection: f64,
    /// How long until every user's presence was recorded in PostgreSQL.
    pub presence_seconds: f64,
    /// Users whose presence PostgreSQL had recorded when the tool stopped waiting (all of them,
    /// unless presence fell behind), and the replica's count of presence changes that failed.
    #[serde(default)]
    pub presence_recorded: Option<usize>,
    #[serde(default)]
    pub presence_errors: Option<f64>,
    /// Streams that ended before the tool closed them (each takes its user offline).
    #[serde(default)]
    pub streams_ended: Option<usize>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct S3Spread {
    pub replicas: usize,
    /// Streams asked of each replica.
    pub per_replica: usize,
    /// Streams open at the same moment, across all replicas.
    pub held: usize,
    /// Streams that failed to open.
    pub failed: usize,
    /// Streams that opened and then ended before the measurement was over (a stream that ends
    /// cannot receive the event; a real client would reconnect and resume).
    #[serde(default)]
    pub ended: usize,
    /// PSS delta / streams, per replica.
    pub bytes_per_connection: Vec<f64>,
    /// From the POST (on the first replica) until the last stream, on any replica, had it.
    pub fan_out_ms: f64,
    pub received: usize,
    /// How long opening every stream took.
    pub open_seconds: f64,
}

impl Figures for S3 {
    /// Per stream at the most streams first (it ranks the rounds), then the rest.
    fn figures(&self) -> Vec<Figure> {
        let mut figures = Vec::new();
        for r in self.runs.iter().rev() {
            figures.push(figure(format!("bytes per idle stream at {}", r.connections), r.bytes_per_connection));
            figures.push(figure(format!("one event to {} streams, ms", r.connections), r.fan_out_ms));
        }
        if let Some(spread) = &self.spread {
            let most = spread.bytes_per_connection.iter().copied().fold(0.0, f64::max);
            figures.push(figure(
                format!("bytes per stream, {} on each of {} replicas (the most)", spread.per_replica, spread.replicas),
                most,
            ));
            figures.push(figure(
                format!("one event to every stream on {} replicas, ms", spread.replicas),
                spread.fan_out_ms,
            ));
        }
        for sockets in self.sockets.iter().chain(&self.peer) {
            for r in sockets.runs.iter().rev() {
                figures.push(figure(S3Sockets::bytes_figure(sockets.kind, r.connections), r.bytes_per_connection));
                figures.push(figure(S3Sockets::fan_out_figure(sockets.kind, r.connections), r.fan_out_ms));
            }
        }
        if let Some(users) = &self.distinct_users {
            figures.push(figure(format!("bytes per stream, {} users", users.streams), users.bytes_per_connection));
        }
        figures.push(figure("bytes per idle keep-alive connection (control)", self.idle_http_bytes_per_connection));
        figures
    }
}

/// A loopback source address of round `round` (127.0.round.host): each run of each round
/// connects from its own, because the last run's closed connections wait out `TIME_WAIT` on
/// their ports for a minute, and two runs of 19,000 would exhaust one address.
fn source(round: usize, host: u8) -> std::net::IpAddr {
    std::net::IpAddr::from([127, 0, round as u8, host])
}

/// One round of S3 against `server`: idle streams on one replica at each of `counts` (with the
/// control), each dialect's sockets the same way, across three replicas, and one per user.
pub async fn s3_all(server: &Server, round: usize, quick: bool) -> anyhow::Result<S3> {
    let counts: &[usize] = if quick { &[200] } else { &[5_000, 19_000] };
    let mut s3 = s3(server, round, counts).await?;
    for kind in SocketKind::DIALECTS {
        s3.sockets.push(one_replica::sockets(server, round, counts, kind).await?);
    }
    s3.peer = Some(peer::s3_peer(server, round, counts).await?);
    let (replicas, per_replica) = if quick { (3, 100) } else { (3, 19_000) };
    s3.spread = Some(s3_spread(server, round, replicas, per_replica).await?);
    s3.distinct_users = Some(s3_users(server, round, if quick { 200 } else { 19_000 }).await?);
    Ok(s3)
}
