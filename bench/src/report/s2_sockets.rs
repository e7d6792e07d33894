//! S2's subsection on the dialects' sockets: the same messages' deliveries to `/api/v1/ws` and
//! Socket.IO receivers, open beside the streams in runs of their own, each rate's latency beside
//! the streams' in the same runs, and a target per rate and kind: nothing lost or out of order.

use std::fmt::Write as _;

use super::{Page, Target, link, median, verdict};
use crate::load::{Percentiles, SocketKind};
use crate::scenarios::{S2, S2Run};

const HEADING: &str = "Delivery to the dialects' sockets";

pub(super) fn section(page: &mut Page, s2: &S2) {
    let kinds = s2.socket_kinds();
    if kinds.is_empty() {
        return;
    }
    let names: Vec<String> = kinds.iter().map(|k| format!("`{}`", k.name())).collect();
    let _ = writeln!(
        page.md,
        "\n### {HEADING}\n\nAfter the runs above, in each round, on a cluster of their own: the same pairs, both participants of \
         each chat with a socket of each of {} (Socket.IO over its websocket transport) open on replica B beside their streams \
         ({} of each kind), one run per rate without typing: every message reached each participant {} ways, and each way is \
         timed from the same POST and checked the same way (lost: not received; out of order: a message whose id is not above \
         the socket's previous one's; a socket has no log position, but a message's id is drawn with its position, in the same \
         order). The streams' row is theirs in the same runs, beside the sockets (the figures above are the streams' alone). Per \
         rate: the medians of the runs' percentiles, and what they lost.\n\n\
         | rate | receiver | runs | deliveries | lost | out of order | p50 | p99 | max |\n|---|---|---|---|---|---|---|---|---|",
        names.join(" and "),
        s2.streams,
        kinds.len() + 1
    );
    let link = link("S2", HEADING);
    for rate in s2.rates() {
        let streams = s2.socket_runs(rate);
        let sse: Vec<(&Percentiles, usize, usize, usize)> =
            streams.iter().map(|r| (&r.latency, r.deliveries, r.lost, r.misordered)).collect();
        row(&mut page.md, rate, "event stream (SSE)", &sse);
        for &kind in &kinds {
            let on: Vec<(&Percentiles, usize, usize, usize)> = s2
                .on_sockets(rate, kind)
                .into_iter()
                .map(|s| (&s.latency, s.deliveries, s.lost, s.misordered))
                .collect();
            row(&mut page.md, rate, &format!("`{}`", kind.name()), &on);
            page.targets.push(target(&link, s2, rate, kind, &streams));
        }
    }
}

/// A rate's row for one kind of receiver: the medians of its runs' percentiles, its totals.
fn row(md: &mut String, rate: usize, receiver: &str, runs: &[(&Percentiles, usize, usize, usize)]) {
    let at = |f: fn(&Percentiles) -> f64| median(runs.iter().map(|r| f(r.0)).collect()).unwrap_or_default();
    let _ = writeln!(
        md,
        "| {rate} msg/s | {receiver} | {} | {} | {} | {} | {:.2} ms | {:.2} ms | {:.2} ms |",
        runs.len(),
        runs.iter().map(|r| r.1).sum::<usize>(),
        runs.iter().map(|r| r.2).sum::<usize>(),
        runs.iter().map(|r| r.3).sum::<usize>(),
        at(|p| p.p50_ms),
        at(|p| p.p99_ms),
        at(|p| p.max_ms)
    );
}

/// Nothing lost or out of order on sockets of `kind` at `rate`, in any run (typing's too); their
/// p99 beside the streams' (no bound of its own: the issue asks for it beside SSE's).
fn target(link: &str, s2: &S2, rate: usize, kind: SocketKind, streams: &[&S2Run]) -> Target {
    let all = s2.runs.iter().filter(|r| r.rate == rate).flat_map(|r| &r.sockets).filter(|s| s.kind == kind);
    let lost: usize = all.map(|s| s.lost + s.misordered).sum();
    let p99 = median(s2.on_sockets(rate, kind).iter().map(|s| s.latency.p99_ms).collect()).unwrap_or_default();
    let sse = median(streams.iter().map(|r| r.latency.p99_ms).collect()).unwrap_or_default();
    Target::new(
        link,
        format!("S2: {rate} msg/s on {}: zero lost or out of order (p99 beside SSE's)", kind.name()),
        format!("lost {lost}, p99 {p99:.1} ms against SSE's {sse:.1} ms (medians of {})", streams.len()),
        verdict(lost == 0),
    )
    .against(format!("lost {lost}, p99 {p99:.1} ms"), format!("SSE, same runs: p99 {sse:.1} ms"))
}
