//! S3's subsection on the dialects' sockets: each kind held idle as the streams are, in the same
//! round, its memory per connection against an SSE stream's (the 1.5× target) and its fan-out;
//! and the S10 peer's socket.io sockets, where the round measured them.

use std::fmt::Write as _;

use super::{Page, Target, figure_median, link, rounds_of, verdict};
use crate::Results;
use crate::load::SocketKind;
use crate::scenarios::{S3, S3Run, S3Sockets};

const HEADING: &str = "The dialects' sockets, idle";

/// How much more than an SSE stream a socket may cost, at ~19,000 (issue 70).
const WITHIN: f64 = 1.5;

pub(super) fn section(page: &mut Page, results: &Results, s3: &S3, s3_link: &str) {
    if s3.sockets.is_empty() {
        for kind in SocketKind::DIALECTS {
            page.targets.push(Target::new(s3_link, goal(kind), "not measured".into(), "**missed**"));
        }
        return;
    }
    let _ = writeln!(
        page.md,
        "\n### {HEADING}\n\nIn the same round as the streams, the same runs with sockets: as many idle `/api/v1/ws` WebSockets \
         (`?token=`) and as many Socket.IO connections (Engine.IO 4 over websocket, `auth: {{token}}`, every ping answered), of the \
         same admin, each kind on a fresh replica of the same build (after streams, the allocator's kept memory would hide the \
         sockets'); the replica's PSS with them against a baseline before any, then one message and the time until every socket had \
         it. The generator speaks Socket.IO by hand, one task per socket that only reads and answers pings \
         (`bench/src/load/sockets.rs`). A socket may cost at most {WITHIN}× an SSE stream at ~19,000.{}\n\n\
         | connections | kind | per connection | against an SSE stream | one event reached all in | received |\n|---|---|---|---|---|---|",
        match &s3.peer {
            Some(_) => format!(
                " For comparison, in the same round, the S10 peer ({}: socket.io 4 on Node with its PostgreSQL adapter, \
                 `bench/peers/socketio`, one instance) holding as many sockets of one chat's member (each in the chat's room, \
                 as each admin stream gets the chat's events), measured the same way on the Node process: a message posted to \
                 the chat through it, until every socket had it.",
                link("S10", super::s10::HEADING)
            ),
            None => String::new(),
        }
    );
    for stream in &s3.runs {
        let n = stream.connections;
        row(&mut page.md, "event stream (SSE)", stream, stream.bytes_per_connection);
        for sockets in &s3.sockets {
            if let Some(r) = sockets.runs.iter().find(|r| r.connections == n) {
                row(&mut page.md, &format!("`{}`", sockets.kind.name()), r, stream.bytes_per_connection);
            }
        }
        if let Some(r) = s3.peer.iter().flat_map(|p| &p.runs).find(|r| r.connections == n) {
            row(&mut page.md, "socket.io peer (Node)", r, stream.bytes_per_connection);
        }
    }
    let here = link("S3", HEADING);
    for sockets in &s3.sockets {
        if let Some(target) = within(results, s3, sockets, &here) {
            page.targets.push(target);
        }
    }
}

fn row(md: &mut String, kind: &str, r: &S3Run, stream_bytes: f64) {
    let _ = writeln!(
        md,
        "| {} | {kind} | {:.0} bytes | {:.2}× | {:.1} ms | {} |",
        r.connections,
        r.bytes_per_connection,
        r.bytes_per_connection / stream_bytes.max(1.0),
        r.fan_out_ms,
        r.received
    );
}

fn goal(kind: SocketKind) -> String {
    format!("S3: an idle {} socket ≤ {WITHIN}× an SSE stream's memory at ~19,000", kind.name())
}

/// A kind's target at the most connections, from the medians over the rounds where recorded.
fn within(results: &Results, s3: &S3, sockets: &S3Sockets, link: &str) -> Option<Target> {
    let stream = s3.runs.iter().max_by_key(|r| r.connections)?;
    let n = stream.connections;
    let socket = sockets.runs.iter().find(|r| r.connections == n)?;
    let stream_bytes =
        figure_median(results, "s3", &format!("bytes per idle stream at {n}")).unwrap_or(stream.bytes_per_connection);
    let bytes =
        figure_median(results, "s3", &S3Sockets::bytes_figure(sockets.kind, n)).unwrap_or(socket.bytes_per_connection);
    let ratio = bytes / stream_bytes.max(1.0);
    let rounds = rounds_of(results, "s3");
    Some(
        Target::new(
            link,
            goal(sockets.kind),
            format!("{bytes:.0} bytes against {stream_bytes:.0} per stream ({ratio:.2}×) at {n}{rounds}"),
            verdict(ratio <= WITHIN && n >= 19_000 && socket.received == socket.connections),
        )
        .against(
            format!("{bytes:.0} bytes ({ratio:.2}×) at {n}{rounds}"),
            format!("an SSE stream, same round: {stream_bytes:.0} bytes"),
        ),
    )
}
