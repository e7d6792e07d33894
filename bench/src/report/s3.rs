//! S3's section: memory per idle stream and fan-out time on one replica, the control without
//! streams, one stream per user, streams spread over three replicas, and its three targets.

use std::fmt::Write as _;
use std::path::Path;

use super::chart::{Series, bar_chart};
use super::{Page, Target, figure_median, link, rounds_of, rounds_table, verdict};
use crate::Results;
use crate::scenarios::S3;

const HEADING: &str = "S3 — idle connections on one replica";

pub(super) fn section(page: &mut Page, results: &Results, s3: &S3, charts: &Path) -> anyhow::Result<()> {
    std::fs::write(charts.join("s3-memory.svg"), chart(s3))?;
    runs(&mut page.md, s3);
    let link = link("S3", HEADING);
    one_replica_targets(&mut page.targets, &link, results, s3);
    super::s3_sockets::section(page, results, s3, &link);
    distinct_users(&mut page.md, s3);
    spread(page, &link, s3);
    page.md.push('\n');
    rounds_table::after(&mut page.md, results, "s3", "S3");
    Ok(())
}

/// Bytes per idle stream by connections (and per socket of each kind, where measured), with
/// the 8 KB target as the line.
fn chart(s3: &S3) -> String {
    let categories: Vec<String> = s3.runs.iter().map(|r| format!("{} connections", r.connections)).collect();
    let mut series = vec![Series {
        name: if s3.sockets.is_empty() { "bytes per connection" } else { "SSE stream" },
        color: "#8e44ad",
        values: s3.runs.iter().map(|r| r.bytes_per_connection).collect(),
    }];
    for (sockets, color) in s3.sockets.iter().zip(["#2980b9", "#16a085", "#d35400"]) {
        let at = |n: usize| sockets.runs.iter().find(|r| r.connections == n).map_or(0.0, |r| r.bytes_per_connection);
        series.push(Series {
            name: sockets.kind.name(),
            color,
            values: s3.runs.iter().map(|r| at(r.connections)).collect(),
        });
    }
    let title = match s3.sockets.is_empty() {
        true => "S3: server memory per idle SSE connection (PSS delta / connections)",
        false => "S3: server memory per idle connection, SSE and the dialects' sockets (PSS delta / connections)",
    };
    bar_chart(title, "bytes", &categories, &series, Some(("target 8 KB", 8192.0)))
}

/// What ran, the chart, a row per stream count, and the control without event streams.
fn runs(md: &mut String, s3: &S3) {
    let _ = writeln!(
        md,
        "## {HEADING}\n\nAdmin streams (an admin receives every chat's events) held open by the generator; the \
         replica's proportional set size (PSS, from /proc) before any stream was opened and with all of them open; then one message, and the time until every \
         stream had it. \"Without hyper\": the streams the replica answered itself (`src/serve.rs`: each opened its connection), from its \
         `tutorchat_direct_event_streams_total`.\n\n![S3](bench/s3-memory.svg)\n\n| connections | without hyper | PSS before | PSS after | per connection | one event reached all in | received |\n|---|---|---|---|---|---|---|"
    );
    for r in &s3.runs {
        let direct = r.direct.map_or("not counted".to_owned(), |d| d.to_string());
        let _ = writeln!(
            md,
            "| {} | {direct} | {:.1} MiB | {:.1} MiB | {:.0} bytes | {:.1} ms | {} |",
            r.connections, r.pss_before_mib, r.pss_after_mib, r.bytes_per_connection, r.fan_out_ms, r.received
        );
    }
    if s3.idle_http_connections > 0 {
        let _ = writeln!(
            md,
            "\nControl: a fresh replica of the same build holding {} plain idle keep-alive HTTP connections (one request answered each, no event stream) \
             grew by {:.0} bytes per connection — what the HTTP server (hyper), the runtime and the allocator cost before any event-stream state.",
            s3.idle_http_connections, s3.idle_http_bytes_per_connection
        );
    }
}

/// Memory and fan-out at the most streams, from the medians over the rounds where they were
/// recorded (the section shows the median round).
fn one_replica_targets(targets: &mut Vec<Target>, link: &str, results: &Results, s3: &S3) {
    let Some(r) = s3.runs.iter().max_by_key(|r| r.connections) else { return };
    let n = r.connections;
    let bytes =
        figure_median(results, "s3", &format!("bytes per idle stream at {n}")).unwrap_or(r.bytes_per_connection);
    let fan_out = figure_median(results, "s3", &format!("one event to {n} streams, ms")).unwrap_or(r.fan_out_ms);
    targets.push(Target::new(
        link,
        "S3: ≤ 8 KB per idle connection at ~19,000".into(),
        format!("{bytes:.0} bytes at {n}{}", rounds_of(results, "s3")),
        verdict(bytes <= 8192.0 && n >= 19_000),
    ));
    let per_user = figure_median(results, "s3", &format!("bytes per stream, {n} users"));
    for (what, bytes) in [("streams of one user", Some(bytes)), ("one stream per user", per_user)] {
        let Some(bytes) = bytes else { continue };
        targets.push(Target::new(
            link,
            format!("S3: ≤ 3.2 kB per idle stream at ~19,000, {what}"),
            format!("{bytes:.0} bytes at {n}{}", rounds_of(results, "s3")),
            verdict(bytes <= 3200.0 && n >= 19_000),
        ));
    }
    targets.push(Target::new(
        link,
        "S3: one event reaches ~19,000 connections in ≤ 250 ms".into(),
        format!("{fan_out:.0} ms at {n}{}", rounds_of(results, "s3")),
        verdict(fan_out <= 250.0 && n >= 19_000 && r.received == r.connections),
    ));
}

/// One stream per distinct student against as many streams of one user: what a user costs.
fn distinct_users(md: &mut String, s3: &S3) {
    let Some(users) = &s3.distinct_users else { return };
    let presence = match users.presence_recorded {
        Some(recorded) if recorded < users.streams => format!(
            "**presence was recorded in PostgreSQL for only {recorded} of the {} students** when the tool stopped \
             waiting, after {:.0} s (the replica counted {} failed presence changes; {} streams ended early)",
            users.streams,
            users.presence_seconds,
            users.presence_errors.map_or("no".to_owned(), |e| format!("{e:.0}")),
            users.streams_ended.unwrap_or(0)
        ),
        _ => format!("every student's presence was recorded in PostgreSQL after {:.1} s", users.presence_seconds),
    };
    let _ = writeln!(
        md,
        "\n### One stream per user\n\n{} streams of {} distinct students on one replica, against {} admin streams of one user on a fresh \
         replica just before; {presence}. The difference is what a user costs \
         beyond a stream: presence (the hub's stream count, the presence task's record), the hub's per-user entry, the rate limiter's \
         bucket and the user cache's entry.\n\n| streams | one user: per connection | distinct users: per connection | per user |\n|---|---|---|---|\n\
         | {} | {:.0} bytes | {:.0} bytes | {:.0} bytes |",
        users.streams,
        users.streams,
        users.streams,
        users.streams,
        users.one_user_bytes_per_connection,
        users.bytes_per_connection,
        users.bytes_per_connection - users.one_user_bytes_per_connection
    );
}

/// Streams held on every replica at once by helper processes, and one event's fan-out to all,
/// in a subsection of its own (its target links there); its target is missed when not measured.
fn spread(page: &mut Page, link: &str, s3: &S3) {
    const GOAL: &str = "S3: ~57,000 connections across three replicas";
    let Some(spread) = &s3.spread else {
        page.targets.push(Target::new(link, GOAL.into(), "not measured".into(), "**missed**"));
        return;
    };
    let heading = format!("Across {} replicas at once", spread.replicas);
    let _ = writeln!(
        page.md,
        "\n### {heading}\n\n{} admin streams asked of each replica, held by {} helper processes of the tool \
         (`tutorchat-bench hold`, one per replica: a process here may hold at most 20,000 open files), each connecting from its own \
         loopback address (127.0.0.2, .3, …). Then one message, posted to the first replica, and the time until the last stream, on \
         any replica, had it.\n\n| streams held | failed to open | ended early | opening took | one event reached all in | received | per connection, by replica |\n|---|---|---|---|---|---|---|",
        spread.per_replica, spread.replicas
    );
    let per: Vec<String> = spread.bytes_per_connection.iter().map(|b| format!("{b:.0} bytes")).collect();
    let _ = writeln!(
        page.md,
        "| {} | {} | {} | {:.0} s | {:.1} ms | {} | {} |",
        spread.held,
        spread.failed,
        spread.ended,
        spread.open_seconds,
        spread.fan_out_ms,
        spread.received,
        per.join(", ")
    );
    let total = spread.replicas * spread.per_replica;
    page.targets.push(Target::new(
        &super::link("S3", &heading),
        GOAL.into(),
        format!(
            "{} held ({} failed to open, {} ended early), one event reached {} of them in {:.0} ms",
            spread.held, spread.failed, spread.ended, spread.received, spread.fan_out_ms
        ),
        verdict(spread.held >= 57_000 && spread.failed == 0 && spread.received == spread.held && total >= 57_000),
    ));
}
