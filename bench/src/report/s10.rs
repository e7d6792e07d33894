//! S10's section: tutorchat against socket.io with its PostgreSQL adapter, both driven by
//! Debian's `wrk` in the same run, and its target (tutorchat ≥ 5× the peer, by the median ratio).

use std::fmt::Write as _;

use super::{Page, Target, figure_median, fmt_figure, link, rounds_of, rounds_table, verdict};
use crate::Results;
use crate::scenarios::{S10, S10_RATIO};

pub(super) const HEADING: &str = "S10 — against socket.io";

pub(super) fn section(page: &mut Page, results: &Results, s10: &S10) {
    let _ = writeln!(
        page.md,
        "## {HEADING}\n\nThe same write path built the ordinary Node way, as the peer: `bench/peers/socketio` (socket.io \
         with `@socket.io/postgres-adapter`, node-postgres, jsonwebtoken; `POST /api/messages` checks the token and \
         membership, inserts the row, emits it to the chat's room, answers 201), two instances on the same PostgreSQL \
         as tutorchat's two replicas (group commit), in tables of their own, the same {} chats and tokens. Both are \
         driven by Debian's `wrk`, not the product's generator: one `wrk -t1 -c{} -d{:.0}s --latency` per instance at \
         once ({} connections in all), the script `bench/peers/wrk/messages.lua` (each request the next chat, its \
         teacher and student in turn); a side's figure is the sum of both processes' 201s per second, its latency the \
         higher of the two processes' percentiles. In each round one cluster serves both sides, one after the other, \
         the order alternating (in the round shown, {} first); each side's rows are counted before and after its run, and the \
         run fails unless every 201 landed. `cargo run --release -p tutorchat-bench -- --only s10` reruns it; \
         bench/README.md says how to run the peer and wrk by hand. The median round (by the ratio):\n\n\
         | side | messages/s | p50 | p99 | errors | rows landed |\n|---|---|---|---|---|---|",
        s10.chats,
        s10.connections / 2,
        s10.seconds_per_run,
        s10.connections,
        s10.first
    );
    for (name, side) in [("tutorchat", &s10.tutorchat), ("socket.io + PostgreSQL adapter", &s10.socketio)] {
        let _ = writeln!(
            page.md,
            "| {name} | {:.0} | {:.2} ms | {:.2} ms | {} | {} |",
            side.per_second, side.p50_ms, side.p99_ms, side.errors, side.landed
        );
    }
    let d = &s10.delivered;
    let _ = writeln!(
        page.md,
        "\nThat the peer delivers: a member's socket (`peers/socketio/listen.js`) on its second instance, in its chat's \
         room before the run, received {} of the chat's {} messages (half posted through the first instance, so \
         forwarded by the adapter); the round fails on fewer. tutorchat's delivery is S2's.\n",
        d.received, d.landed
    );
    rounds_table::after(&mut page.md, results, "s10", "S10");
    let ratio = figure_median(results, "s10", S10_RATIO).unwrap_or(s10.ratio());
    let rounds = rounds_of(results, "s10");
    page.targets.push(
        Target::new(
            &link("S10", HEADING),
            format!(
                "S10: tutorchat ≥ 10× socket.io with its PostgreSQL adapter (wrk, {} connections over {} chats)",
                s10.connections, s10.chats
            ),
            format!(
                "{}×{rounds} ({:.0} against {:.0} msg/s in the round shown)",
                fmt_figure(ratio),
                s10.tutorchat.per_second,
                s10.socketio.per_second
            ),
            verdict(ratio >= 10.0),
        )
        .against(
            format!("{}×{rounds}, tutorchat {:.0} msg/s", fmt_figure(ratio), s10.tutorchat.per_second),
            format!("socket.io with its PostgreSQL adapter, same round: {:.0} msg/s", s10.socketio.per_second),
        ),
    );
}
