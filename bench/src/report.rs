//! docs/benchmarks.md and its SVG charts, generated from docs/bench/results.json.

use std::fmt::Write as _;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::Results;
use crate::rounds::Rounds;
use crate::scenarios::S2Run;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Machine {
    pub cpus: usize,
    pub memory_gib: f64,
    pub kernel: String,
    pub postgres: String,
    pub date: String,
}

impl Machine {
    pub fn describe() -> Self {
        let memory_kb: f64 = std::fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|t| {
                t.lines().find_map(|l| {
                    l.strip_prefix("MemTotal:").map(|v| v.trim().trim_end_matches("kB").trim().to_owned())
                })
            })
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0);
        let postgres = std::process::Command::new("sh")
            .args(["-c", "ls -d /usr/lib/postgresql/*/bin/postgres | sort -V | tail -1 | xargs -I{} {} --version"])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .unwrap_or_default();
        let date = std::process::Command::new("date").arg("-u").arg("+%Y-%m-%d").output();
        Self {
            cpus: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
            memory_gib: memory_kb / 1048576.0,
            kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default().trim().to_owned(),
            postgres,
            date: date.map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned()).unwrap_or_default(),
        }
    }
}

struct Series<'a> {
    name: &'a str,
    color: &'a str,
    values: Vec<f64>,
}

/// A grouped bar chart with an optional horizontal reference line.
fn bar_chart(
    title: &str,
    unit: &str,
    categories: &[String],
    series: &[Series],
    reference: Option<(&str, f64)>,
) -> String {
    let (width, height, left, right, top, bottom) = (720.0, 380.0, 80.0, 20.0, 50.0, 70.0);
    let max = series
        .iter()
        .flat_map(|s| s.values.iter().copied())
        .chain(reference.map(|r| r.1))
        .fold(0.0f64, f64::max)
        .max(1e-9);
    let magnitude = 10f64.powf(max.log10().floor());
    let step =
        [1.0, 2.0, 2.5, 5.0, 10.0].iter().map(|m| m * magnitude / 2.0).find(|s| max / s <= 6.0).unwrap_or(magnitude);
    let top_value = (max / step).ceil() * step;
    let plot_h = height - top - bottom;
    let y = |v: f64| top + plot_h - v / top_value * plot_h;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\" font-size=\"12\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n<text x=\"{}\" y=\"24\" font-size=\"15\" text-anchor=\"middle\">{title}</text>\n",
        width / 2.0
    );
    let mut tick = 0.0;
    while tick <= top_value + 1e-9 {
        let _ = writeln!(
            svg,
            "<line x1=\"{left}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#ddd\"/><text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            width - right,
            left - 6.0,
            y(tick) + 4.0,
            fmt_number(tick),
            y = y(tick)
        );
        tick += step;
    }
    let _ = writeln!(
        svg,
        "<text x=\"16\" y=\"{}\" transform=\"rotate(-90 16 {})\" text-anchor=\"middle\">{unit}</text>",
        top + plot_h / 2.0,
        top + plot_h / 2.0
    );
    let group = (width - left - right) / categories.len().max(1) as f64;
    let bar = group * 0.7 / series.len().max(1) as f64;
    for (c, category) in categories.iter().enumerate() {
        let x0 = left + group * c as f64 + group * 0.15;
        for (s, serie) in series.iter().enumerate() {
            let value = serie.values.get(c).copied().unwrap_or(0.0);
            let x = x0 + bar * s as f64;
            let _ = writeln!(
                svg,
                "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{}\"/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"10\">{}</text>",
                y(value),
                bar - 2.0,
                (top + plot_h - y(value)).max(0.0),
                serie.color,
                x + bar / 2.0,
                y(value) - 3.0,
                fmt_number(value)
            );
        }
        let _ = writeln!(
            svg,
            "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{category}</text>",
            left + group * (c as f64 + 0.5),
            top + plot_h + 18.0
        );
    }
    if let Some((label, value)) = reference {
        let _ = writeln!(
            svg,
            "<line x1=\"{left}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#c0392b\" stroke-dasharray=\"6 4\"/><text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#c0392b\">{label}</text>",
            width - right,
            width - right,
            y(value) - 5.0,
            y = y(value)
        );
    }
    for (s, serie) in series.iter().enumerate() {
        let x = left + 160.0 * s as f64;
        let _ = writeln!(
            svg,
            "<rect x=\"{x}\" y=\"{}\" width=\"12\" height=\"12\" fill=\"{}\"/><text x=\"{}\" y=\"{}\">{}</text>",
            height - 24.0,
            serie.color,
            x + 16.0,
            height - 14.0,
            serie.name
        );
    }
    svg.push_str("</svg>\n");
    svg
}

fn fmt_number(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

fn verdict(ok: bool) -> &'static str {
    if ok { "met" } else { "**missed**" }
}

pub fn write(results: &Results, out: &Path) -> anyhow::Result<()> {
    let charts = out.join("bench");
    std::fs::create_dir_all(&charts)?;
    let mut md = String::from(
        "# Benchmarks\n\nGenerated by `cargo run --release -p tutorchat-bench` from `docs/bench/results.json`; \
         do not edit by hand. Each scenario starts its own private PostgreSQL (fsync on) and release-build \
         replicas on this machine, with the load generator on the same machine, so every number below \
         shares two cores with everything else. Ratios within one run are the meaningful part.\n\n",
    );
    if let Some(m) = &results.machine {
        let _ = writeln!(
            md,
            "Machine: {} CPUs, {:.0} GiB, Linux {}, {}; measured {}.\n",
            m.cpus, m.memory_gib, m.kernel, m.postgres, m.date
        );
    }
    if let Some(command) = &results.command {
        let _ = writeln!(md, "Last command: `{command}`\n");
    }
    if let Some(g) = &results.generator {
        let floors: Vec<String> = g
            .latency
            .iter()
            .map(|(clients, p)| format!("p50 {:.2} / p99 {:.2} ms from {clients}", p.p50_ms, p.p99_ms))
            .collect();
        let _ = writeln!(
            md,
            "The load generator's own ceiling, measured at the start of the last run against one replica's route that does no \
             work (an unknown API path, answered 404 without touching the database): **{:.0} requests/s** from 128 closed-loop \
             clients; one such request takes {} clients. A figure near these is the generator's (and the HTTP stack's), not the \
             product's work.\n",
            g.per_second,
            floors.join(", ")
        );
    }
    let _ = writeln!(
        md,
        "Each scenario runs in rounds (`--repeat`, 3 by default; S4 seeds its data set once per build and repeats its reads, \
         and S6 its audits, on it); its section shows the median round (S2 and S5: every round's runs together), and a table \
         after it each key figure's median and range over the rounds, with how busy the machine was in each. With \
         `--compare REF` every round runs another revision's build too, the order alternating, and the table adds the ratio \
         of the medians.\n"
    );
    let mut targets = String::from("| target | measured | |\n|---|---|---|\n");

    if let Some(s1) = &results.s1 {
        let categories: Vec<String> = s1.batched.iter().map(|t| format!("{} senders", t.senders)).collect();
        let svg = bar_chart(
            "S1: accepted messages per second",
            "messages/s",
            &categories,
            &[
                Series {
                    name: "group commit",
                    color: "#2e86de",
                    values: s1.batched.iter().map(|t| t.per_second).collect(),
                },
                Series {
                    name: "one transaction each",
                    color: "#95a5a6",
                    values: s1.single.iter().map(|t| t.per_second).collect(),
                },
            ],
            Some(("pgbench, 20 per transaction", s1.pgbench_twenty_per_transaction)),
        );
        std::fs::write(charts.join("s1-throughput.svg"), svg)?;
        let _ = writeln!(
            md,
            "## S1 — write throughput\n\n{} replicas, 256 chats, closed-loop senders spread over both replicas, {:.0} s per run. \
             The database ceilings are pgbench with 16 clients, running the same INSERT into `events` (same triggers: ordering lock, \
             validation, projections, NOTIFY), and a plain INSERT of the same rows into a table with `events`' columns and indexes and \
             none of its triggers, plus one NOTIFY per transaction (the issue's \"plain batched ceiling\"). The generator's own ceiling (closed loop against a route that does no work): {:.0} requests/s.\n\n\
             ![S1](bench/s1-throughput.svg)\n\n| mode | senders | messages/s | POST p50 | POST p99 | errors | I/O stalled |\n|---|---|---|---|---|---|---|",
            s1.replicas, s1.seconds_per_run, s1.generator_ceiling
        );
        for (mode, runs) in [("group commit", &s1.batched), ("one transaction each", &s1.single)] {
            for t in runs.iter() {
                let _ = writeln!(
                    md,
                    "| {mode} | {} | {:.0} | {:.2} ms | {:.2} ms | {} | {} |",
                    t.senders,
                    t.per_second,
                    t.latency.p50_ms,
                    t.latency.p99_ms,
                    t.errors,
                    t.io_stalled_ms.map_or("not reported".to_owned(), |ms| format!("{ms:.0} ms"))
                );
            }
        }
        let _ = writeln!(
            md,
            "| pgbench, 1 message per transaction | 16 | {:.0} | | | | |\n| pgbench, 20 messages per transaction | 16 | {:.0} | | | | |",
            s1.pgbench_one_per_transaction, s1.pgbench_twenty_per_transaction
        );
        if let Some(plain) = s1.pgbench_plain_twenty_per_transaction {
            let _ = writeln!(md, "| pgbench, 20 per transaction, no product triggers | 16 | {plain:.0} | | | | |");
        }
        md.push('\n');
        if let Some(rounds) = results.rounds.get("s1") {
            rounds_section(&mut md, "S1", rounds);
        }
        let best = |runs: &[crate::load::Throughput]| runs.iter().map(|t| t.per_second).fold(0.0, f64::max);
        let (batched, single) = (best(&s1.batched), best(&s1.single));
        let ratio = batched / single.max(1e-9);
        let share = |ceiling: f64| batched / ceiling.max(1e-9) * 100.0;
        let _ = writeln!(
            targets,
            "| S1: group commit ≥ 5× one transaction per request | {ratio:.1}× | {} |",
            verdict(ratio >= 5.0)
        );
        let with_triggers = share(s1.pgbench_twenty_per_transaction);
        let _ = writeln!(
            targets,
            "| S1: ≥ 40% of pgbench's batched INSERT with the product's triggers | {with_triggers:.0}% | {} |",
            verdict(with_triggers >= 40.0)
        );
        match s1.pgbench_plain_twenty_per_transaction {
            Some(plain) => {
                let _ = writeln!(
                    targets,
                    "| S1: ≥ 40% of the plain batched ceiling (no product triggers) | {:.0}% ({batched:.0} of {plain:.0} msg/s) | {} |",
                    share(plain),
                    verdict(share(plain) >= 40.0)
                );
            }
            None => {
                let _ = writeln!(targets, "| S1: ≥ 40% of the plain batched ceiling | not measured | **missed** |");
            }
        }
    }

    if let Some(s2) = &results.s2 {
        // One group of bars per rate and variant, each the median over its runs (a bar per run
        // is unreadable with every round's pairs).
        let variants: Vec<(usize, bool)> = s2
            .rates()
            .into_iter()
            .flat_map(|rate| [(rate, false), (rate, true)])
            .filter(|&(rate, typing)| !s2.runs_of(rate, typing).is_empty())
            .collect();
        let categories: Vec<String> = variants
            .iter()
            .map(|&(rate, typing)| {
                let runs = s2.runs_of(rate, typing);
                match typing {
                    false => format!("{rate} msg/s ({} runs)", runs.len()),
                    true => format!("{rate} msg/s + {} typing/s ({} runs)", runs[0].typing_rate, runs.len()),
                }
            })
            .collect();
        let medians = |f: fn(&S2Run) -> f64| -> Vec<f64> {
            variants
                .iter()
                .map(|&(rate, typing)| {
                    median(s2.runs_of(rate, typing).into_iter().map(f).collect()).unwrap_or_default()
                })
                .collect()
        };
        let svg = bar_chart(
            "S2: delivery latency, POST start to SSE receipt, cross-replica (medians of the runs)",
            "milliseconds",
            &categories,
            &[
                Series { name: "p50", color: "#27ae60", values: medians(|r| r.latency.p50_ms) },
                Series { name: "p99", color: "#f39c12", values: medians(|r| r.latency.p99_ms) },
                Series { name: "max", color: "#c0392b", values: medians(|r| r.latency.max_ms) },
            ],
            None,
        );
        std::fs::write(charts.join("s2-latency.svg"), svg)?;
        let _ = writeln!(
            md,
            "## S2 — delivery latency\n\n{} chats, both participants subscribed ({} streams) on replica B; messages posted open-loop on replica A \
             for {:.0} s per rate. Latency is from just before the POST is sent to the moment a stream has the event. \
             \"I/O stalled\" is how long, during the run, every task on the machine waited for the disk (Linux pressure stall information): \
             each commit waits for its WAL flush, so the virtual disk's stalls show in the tail. \
             Each rate runs three pairs of runs per round (one with `--quick`), without and with typing requests posted alongside (open-loop, half on each replica, each \
             chat's student alternating true and false, so the throttle forwards every one; the order alternates from pair to \
             pair): \"typing\" is requests per second and the typing signals the streams received. Every stream also checks that each event's position (its `id:`) is above the previous one's; \
             one that is not is reported out of order. The load sources run on a \
             runtime of their own, apart from the stream readers. The targets compare the medians of each variant's runs (a p99 near a millisecond moves by tens of percent between runs of the same code on this machine, so each median is over every round's runs); each pair's own change is listed after them, with their median.\n\n\
             \"Generator late\" is how late, at the p99, the generator sent a message against its own open-loop schedule (the latency is \
             measured from the actual send; a late generator offers a lower rate for a while). The runs of every round are listed, in order.\n\n\
             ![S2](bench/s2-latency.svg)\n\n| rate | typing | sent | acknowledged | deliveries | lost | p50 | p99 | max | I/O stalled | generator late |\n|---|---|---|---|---|---|---|---|---|---|---|",
            s2.chats, s2.streams, s2.seconds_per_run
        );
        for r in &s2.runs {
            let typing = match r.typing_rate {
                0 => "none".to_owned(),
                rate => format!("{rate}/s ({} received)", r.typing_received),
            };
            let _ = writeln!(
                md,
                "| {} msg/s | {typing} | {} | {} | {} of {} | {} | {:.2} ms | {:.2} ms | {:.2} ms | {} | {} |",
                r.rate,
                r.sent,
                r.acknowledged,
                r.deliveries,
                r.deliveries_expected,
                match r.misordered {
                    0 => r.lost.to_string(),
                    m => format!("{} (and {m} out of order)", r.lost),
                },
                r.latency.p50_ms,
                r.latency.p99_ms,
                r.latency.max_ms,
                r.io_stalled_ms.map_or("not reported".to_owned(), |ms| format!("{ms:.0} ms")),
                r.schedule_lag_p99_ms.map_or("not measured".to_owned(), |ms| format!("{ms:.2} ms"))
            );
        }
        if !s2.database.is_empty() {
            let _ = writeln!(
                md,
                "\nThe database alone at the same rates, in the same run (pgbench committing the product's INSERT, one message per \
                 transaction, 8 clients, open-loop; latency from each transaction's scheduled start):\n\n| rate | p50 | p99 | max |\n|---|---|---|---|"
            );
            for d in &s2.database {
                let _ = writeln!(
                    md,
                    "| {} msg/s | {:.2} ms | {:.2} ms | {:.2} ms |",
                    d.rate, d.latency.p50_ms, d.latency.p99_ms, d.latency.max_ms
                );
            }
        }
        // Targets from the medians of each variant's runs (the rounds alternate their order).
        for rate in s2.rates() {
            let (without, with) = (s2.runs_of(rate, false), s2.runs_of(rate, true));
            // An event out of order counts as lost: the stream did not have it where it belongs.
            let lost = |runs: &[&S2Run]| runs.iter().map(|r| r.lost + r.misordered).sum::<usize>();
            let p99 = |runs: &[&S2Run]| median(runs.iter().map(|r| r.latency.p99_ms).collect());
            let (Some(base), n) = (p99(&without), without.len()) else { continue };
            let target = if rate <= 500 { 10.0 } else { 25.0 };
            let _ = writeln!(
                targets,
                "| S2: {rate} msg/s: zero lost, p99 ≤ {target} ms | lost {}, p99 {base:.1} ms (median of {n}) | {} |",
                lost(&without),
                verdict(lost(&without) == 0 && base <= target)
            );
            if let Some(database) =
                median(s2.database.iter().filter(|d| d.rate == rate).map(|d| d.latency.p99_ms).collect())
            {
                let p50 = median(without.iter().map(|r| r.latency.p50_ms).collect()).unwrap_or_default();
                let _ = writeln!(
                    targets,
                    "| S2: {rate} msg/s: p99 ≤ the database's own p99 at that rate + 5 ms, p50 ≤ 3 ms | p99 {base:.1} ms against {database:.1} + 5 ms, p50 {p50:.2} ms (medians) | {} |",
                    verdict(base <= database + 5.0 && p50 <= 3.0)
                );
            }
            if let Some(typed) = p99(&with) {
                let ratio = typed / base.max(f64::EPSILON);
                let change = |w: f64, o: f64| (w / o.max(f64::EPSILON) - 1.0) * 100.0;
                let changes: Vec<f64> =
                    with.iter().zip(&without).map(|(w, o)| change(w.latency.p99_ms, o.latency.p99_ms)).collect();
                let pairs: Vec<String> = changes.iter().map(|c| format!("{c:+.0} %")).collect();
                let _ = writeln!(
                    targets,
                    "| S2: {rate} msg/s with {} typing/s: zero lost, p99 within 20 % of without (medians) | lost {}, p99 {typed:.2} ms against {base:.2} ms ({:+.0} %; pairs {}, median pair {:+.0} %) | {} |",
                    with[0].typing_rate,
                    lost(&with),
                    (ratio - 1.0) * 100.0,
                    pairs.join(", "),
                    median(changes).unwrap_or_default(),
                    verdict(lost(&with) == 0 && ratio <= 1.2)
                );
            }
        }
        md.push('\n');
        if let Some(rounds) = results.rounds.get("s2") {
            rounds_section(&mut md, "S2", rounds);
        }
    }

    if let Some(s3) = &results.s3 {
        let categories: Vec<String> = s3.runs.iter().map(|r| format!("{} connections", r.connections)).collect();
        let svg = bar_chart(
            "S3: server memory per idle SSE connection (PSS delta / connections)",
            "bytes",
            &categories,
            &[Series {
                name: "bytes per connection",
                color: "#8e44ad",
                values: s3.runs.iter().map(|r| r.bytes_per_connection).collect(),
            }],
            Some(("target 8 KB", 8192.0)),
        );
        std::fs::write(charts.join("s3-memory.svg"), svg)?;
        let _ = writeln!(
            md,
            "## S3 — idle connections on one replica\n\nAdmin streams (an admin receives every chat's events) held open by the generator; the \
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
        if let Some(r) = s3.runs.iter().max_by_key(|r| r.connections) {
            // The medians over the rounds where they were recorded (the section shows the median round).
            let n = r.connections;
            let bytes = figure_median(results, "s3", &format!("bytes per idle stream at {n}"))
                .unwrap_or(r.bytes_per_connection);
            let fan_out =
                figure_median(results, "s3", &format!("one event to {n} streams, ms")).unwrap_or(r.fan_out_ms);
            let _ = writeln!(
                targets,
                "| S3: ≤ 8 KB per idle connection at ~19,000 | {bytes:.0} bytes at {n}{} | {} |",
                rounds_of(results, "s3"),
                verdict(bytes <= 8192.0 && n >= 19_000)
            );
            let _ = writeln!(
                targets,
                "| S3: one event reaches ~19,000 connections in ≤ 250 ms | {fan_out:.0} ms at {n}{} | {} |",
                rounds_of(results, "s3"),
                verdict(fan_out <= 250.0 && n >= 19_000 && r.received == r.connections)
            );
        }
        if let Some(users) = &s3.distinct_users {
            let _ = writeln!(
                md,
                "\n### One stream per user\n\n{} streams of {} distinct students on one replica, against {} admin streams of one user on a fresh \
                 replica just before; {}. The difference is what a user costs \
                 beyond a stream: presence (the hub's stream count, the presence task's record), the hub's per-user entry, the rate limiter's \
                 bucket and the user cache's entry.\n\n| streams | one user: per connection | distinct users: per connection | per user |\n|---|---|---|---|\n\
                 | {} | {:.0} bytes | {:.0} bytes | {:.0} bytes |",
                users.streams,
                users.streams,
                users.streams,
                match users.presence_recorded {
                    Some(recorded) if recorded < users.streams => format!(
                        "**presence was recorded in PostgreSQL for only {recorded} of the {} students** when the tool stopped \
                         waiting, after {:.0} s (the replica counted {} failed presence changes; {} streams ended early)",
                        users.streams,
                        users.presence_seconds,
                        users.presence_errors.map_or("no".to_owned(), |e| format!("{e:.0}")),
                        users.streams_ended.unwrap_or(0)
                    ),
                    _ => format!(
                        "every student's presence was recorded in PostgreSQL after {:.1} s",
                        users.presence_seconds
                    ),
                },
                users.streams,
                users.one_user_bytes_per_connection,
                users.bytes_per_connection,
                users.bytes_per_connection - users.one_user_bytes_per_connection
            );
        }
        match &s3.spread {
            Some(spread) => {
                let total = spread.replicas * spread.per_replica;
                let _ = writeln!(
                    md,
                    "\n### Across {} replicas at once\n\n{} admin streams asked of each replica, held by {} helper processes of the tool \
                     (`tutorchat-bench hold`, one per replica: a process here may hold at most 20,000 open files), each connecting from its own \
                     loopback address (127.0.0.2, .3, …). Then one message, posted to the first replica, and the time until the last stream, on \
                     any replica, had it.\n\n| streams held | failed to open | ended early | opening took | one event reached all in | received | per connection, by replica |\n|---|---|---|---|---|---|---|",
                    spread.replicas, spread.per_replica, spread.replicas
                );
                let per: Vec<String> = spread.bytes_per_connection.iter().map(|b| format!("{b:.0} bytes")).collect();
                let _ = writeln!(
                    md,
                    "| {} | {} | {} | {:.0} s | {:.1} ms | {} | {} |",
                    spread.held,
                    spread.failed,
                    spread.ended,
                    spread.open_seconds,
                    spread.fan_out_ms,
                    spread.received,
                    per.join(", ")
                );
                let _ = writeln!(
                    targets,
                    "| S3: ~57,000 connections across three replicas | {} held ({} failed to open, {} ended early), one event reached {} of them in {:.0} ms | {} |",
                    spread.held,
                    spread.failed,
                    spread.ended,
                    spread.received,
                    spread.fan_out_ms,
                    verdict(
                        spread.held >= 57_000
                            && spread.failed == 0
                            && spread.received == spread.held
                            && total >= 57_000
                    )
                );
            }
            None => {
                let _ =
                    writeln!(targets, "| S3: ~57,000 connections across three replicas | not measured | **missed** |");
            }
        }
        md.push('\n');
        if let Some(rounds) = results.rounds.get("s3") {
            rounds_section(&mut md, "S3", rounds);
        }
    }

    if let Some(s4) = &results.s4 {
        let fig = |name: &str, fallback: f64| figure_median(results, "s4", name).unwrap_or(fallback);
        let _ = writeln!(
            md,
            "## S4 — reads on a large data set\n\n{} messages in {} chats (seeded through the log's own triggers in {:.0} s; PostgreSQL's shared_buffers {}). History: \
             `limit=50` pages with `before_id` a fifth of the way into random chats (older than four fifths of the chat), {} requests from 8 clients. Chat list: a teacher with 500 chats of mixed kinds (400 direct, 100 groups of six), `limit=500`, \
             {} requests from 4 clients. Then both again from one client at a time. Each is timed after an untimed warm-up of four requests per client (the replica's pooled connections open on first use).\n\n| query | clients | p50 | p99 | max |\n|---|---|---|---|---|\n| history page | 8 | {:.2} ms | {:.2} ms | {:.2} ms |\n| history page | 1 | {:.2} ms | {:.2} ms | {:.2} ms |\n| chat list, 500 chats | 4 | {:.2} ms | {:.2} ms | {:.2} ms |\n| chat list, 500 chats | 1 | {:.2} ms | {:.2} ms | {:.2} ms |\n{}\n\
             Plans (`EXPLAIN (ANALYZE, BUFFERS)` of the statements the handlers run):\n\n```\n{}\n```\n\n```\n{}\n```\n",
            s4.messages,
            s4.chats,
            s4.seed_seconds,
            if s4.shared_buffers.is_empty() { "128MB, the default" } else { &s4.shared_buffers },
            s4.history_requests,
            s4.chat_list_requests,
            s4.history.p50_ms,
            s4.history.p99_ms,
            s4.history.max_ms,
            s4.history_one_client.p50_ms,
            s4.history_one_client.p99_ms,
            s4.history_one_client.max_ms,
            s4.chat_list_500.p50_ms,
            s4.chat_list_500.p99_ms,
            s4.chat_list_500.max_ms,
            s4.chat_list_one_client.p50_ms,
            s4.chat_list_one_client.p99_ms,
            s4.chat_list_one_client.max_ms,
            s4.chat_list_page
                .as_ref()
                .map(|p| format!(
                    "| chat list, first page of 50 | 4 | {:.2} ms | {:.2} ms | {:.2} ms |\n",
                    p.p50_ms, p.p99_ms, p.max_ms
                ))
                .unwrap_or_default(),
            s4.history_plan,
            s4.chat_list_plan
        );
        if !s4.chat_list_plan_warm.is_empty() {
            let _ = writeln!(
                md,
                "The chat list's plan above was taken right after seeding, before the timed reads; again after the last \
                 round (its reads, then S6's audits of the whole log):\n\n```\n{}\n```\n",
                s4.chat_list_plan_warm.trim_end()
            );
        }
        if !s4.resume_plan.is_empty() {
            let _ = writeln!(
                md,
                "A resume from position 0 by a student with two chats, among {} messages: the replay reads each of the \
                 student's chats through `idx_events_chat_position` and merges them, so its cost follows those chats, \
                 not the log.\n\n```\n{}\n```\n",
                s4.messages, s4.resume_plan
            );
        }
        if s4.phases.len() == 4 {
            let _ = writeln!(
                md,
                "How hard the machine worked in each run (requests answered per second; CPU busy across both cores, every process included):\n\n\
                 | run | clients | requests/s | CPU busy |\n|---|---|---|---|"
            );
            for (name, phase) in ["history page", "history page", "chat list", "chat list"].iter().zip(&s4.phases) {
                let busy = phase.cpu_busy_percent.map_or("not reported".to_owned(), |b| format!("{b:.0} %"));
                let _ = writeln!(md, "| {name} | {} | {:.0} | {busy} |", phase.clients, phase.per_second);
            }
            md.push('\n');
        }
        if let Some(standby) = &s4.on_standby {
            let _ = writeln!(
                md,
                "The same reads from a second replica that reads from a streaming standby (`READ_DATABASE_URL`; the standby \
                 was made with `pg_basebackup` before seeding and replayed it as it happened, on the same two cores; after \
                 the primary's reads above, the tool waited {:.1} s more for it to reach the primary's WAL position). \
                 The replica counted {} reads answered by the standby ({} timed, plus warm-ups).\n\n\
                 | query | clients | p50 | p99 | max |\n|---|---|---|---|---|\n\
                 | history page | 8 | {:.2} ms | {:.2} ms | {:.2} ms |\n| history page | 1 | {:.2} ms | {:.2} ms | {:.2} ms |\n\
                 | chat list, 500 chats | 4 | {:.2} ms | {:.2} ms | {:.2} ms |\n| chat list, 500 chats | 1 | {:.2} ms | {:.2} ms | {:.2} ms |\n",
                standby.catch_up_seconds,
                standby.served,
                standby.requests,
                standby.history.p50_ms,
                standby.history.p99_ms,
                standby.history.max_ms,
                standby.history_one_client.p50_ms,
                standby.history_one_client.p99_ms,
                standby.history_one_client.max_ms,
                standby.chat_list_500.p50_ms,
                standby.chat_list_500.p99_ms,
                standby.chat_list_500.max_ms,
                standby.chat_list_one_client.p50_ms,
                standby.chat_list_one_client.p99_ms,
                standby.chat_list_one_client.max_ms,
            );
        }
        if let Some(small) = &s4.smaller {
            let _ = writeln!(
                md,
                "The cost curve: the same reads on the primary when a tenth of the data set was seeded ({} messages in {} chats; \
                 the same teacher's 500 chats, new random history pages), then at the whole data set (the tables above). \
                 Ratios are whole-set / tenth (flat: 1.0).\n\n\
                 | query | clients | p99 at {} messages | p99 at {} messages | ratio |\n|---|---|---|---|---|",
                small.messages, small.chats, small.messages, s4.messages
            );
            for (name, clients, at_small, at_large) in [
                ("history page", 8, &small.history, &s4.history),
                ("history page", 1, &small.history_one_client, &s4.history_one_client),
                ("chat list, 500 chats", 4, &small.chat_list_500, &s4.chat_list_500),
                ("chat list, 500 chats", 1, &small.chat_list_one_client, &s4.chat_list_one_client),
            ] {
                let _ = writeln!(
                    md,
                    "| {name} | {clients} | {:.2} ms | {:.2} ms | {:.2} |",
                    at_small.p99_ms,
                    at_large.p99_ms,
                    at_large.p99_ms / at_small.p99_ms
                );
            }
            md.push('\n');
            if !small.chat_list_plan.is_empty() {
                let _ = writeln!(
                    md,
                    "The chat list's plan at {} messages:\n\n```\n{}\n```\n",
                    small.messages,
                    small.chat_list_plan.trim_end()
                );
            }
            // One client: the service time, which is what grows with the data (the concurrent
            // runs add the two cores' queue, which does not).
            let history =
                fig("history page p99, 1 client, ms", s4.history_one_client.p99_ms) / small.history_one_client.p99_ms;
            let list = fig("chat list of 500 p99, 1 client, ms", s4.chat_list_one_client.p99_ms)
                / small.chat_list_one_client.p99_ms;
            let verdict = if history <= 1.25 && list <= 1.25 { "met" } else { "**missed**" };
            let _ = writeln!(
                targets,
                "| S4: cost flat from {} to {} messages (one client's p99 within 25 %) | history ×{history:.2}, chat list ×{list:.2} | {verdict} |",
                small.messages, s4.messages
            );
        }
        // Closed-loop clients beyond the two cores measure queueing as much as the read path,
        // so each target shows one client (the service time) and the concurrent run.
        let two_ways = |one: f64, many: f64, clients: usize, target: f64| {
            let figures = format!("{one:.2} ms from one client; {many:.2} ms from {clients}");
            let verdict = match (one <= target, many <= target) {
                (true, true) => "met".to_owned(),
                (true, false) => format!("met from one client; **missed** from {clients}"),
                _ => "**missed**".to_owned(),
            };
            (figures, verdict)
        };
        let of = rounds_of(results, "s4");
        let (figures, met) = two_ways(
            fig("history page p99, 1 client, ms", s4.history_one_client.p99_ms),
            fig("history page p99, 8 clients, ms", s4.history.p99_ms),
            8,
            2.0,
        );
        let _ = writeln!(targets, "| S4: history page p99 ≤ 2 ms ({} messages) | {figures}{of} | {met} |", s4.messages);
        let (figures, met) = two_ways(
            fig("chat list of 500 p99, 1 client, ms", s4.chat_list_one_client.p99_ms),
            fig("chat list of 500 p99, 4 clients, ms", s4.chat_list_500.p99_ms),
            4,
            20.0,
        );
        let _ = writeln!(targets, "| S4: chat list of 500 chats p99 ≤ 20 ms | {figures}{of} | {met} |");
        if let Some(standby) = &s4.on_standby {
            let (figures, met) = two_ways(
                fig("on the standby: history page p99, 1 client, ms", standby.history_one_client.p99_ms),
                fig("on the standby: history page p99, 8 clients, ms", standby.history.p99_ms),
                8,
                2.0,
            );
            let _ = writeln!(targets, "| S4 on the standby: history page p99 ≤ 2 ms | {figures}{of} | {met} |");
            let (figures, met) = two_ways(
                fig("on the standby: chat list of 500 p99, 1 client, ms", standby.chat_list_one_client.p99_ms),
                fig("on the standby: chat list of 500 p99, 4 clients, ms", standby.chat_list_500.p99_ms),
                4,
                20.0,
            );
            let _ =
                writeln!(targets, "| S4 on the standby: chat list of 500 chats p99 ≤ 20 ms | {figures}{of} | {met} |");
        }
        if let Some(rounds) = results.rounds.get("s4") {
            rounds_section(&mut md, "S4", rounds);
        }
    }

    if let Some(s5) = &results.s5 {
        let _ = writeln!(
            md,
            "## S5 — resume\n\nA client reconnects with `Last-Event-ID` {} events behind; time until it has all of them ({} runs: {}).\n\n| events | median |\n|---|---|\n| {} | {:.1} ms |\n",
            s5.events,
            s5.runs_ms.len(),
            s5.runs_ms.iter().map(|r| format!("{r:.0} ms")).collect::<Vec<_>>().join(", "),
            s5.events,
            s5.median_ms
        );
        let _ = writeln!(
            targets,
            "| S5: 10,000 events replayed in ≤ 200 ms | {:.0} ms (median of {} replays) | {} |",
            s5.median_ms,
            s5.runs_ms.len(),
            verdict(s5.median_ms <= 200.0)
        );
        if let Some(rounds) = results.rounds.get("s5") {
            rounds_section(&mut md, "S5", rounds);
        }
    }

    if let Some(s6) = &results.s6 {
        let _ = writeln!(
            md,
            "## S6 — the audit at scale\n\nOn S4's data set, after its reads: `SELECT count(*) FROM audit_replay()` over the whole log \
             ({} events), as an auditor runs it in psql, with the progress it reported on the way; then {} new messages in {} random \
             chats and `audit_replay(position)`, the incremental audit of the chats with events after that position (then run again \
             inside a transaction with one of the new messages forged: the tool checks that this, and only this, is reported); then \
             one chat's `audit_chat_timeline` and `audit_chat_at` for 20 random chats.\n\n\
             | audit | took | problems |\n|---|---|---|\n| `audit_replay()`, {} events | {:.1} s | {} |\n| `audit_replay(since)`, {} new messages | {:.0} ms | {} (forged: {}) |\n\
             | `audit_chat_timeline(chat)` | p50 {:.2} ms, max {:.2} ms | |\n| `audit_chat_at(chat, moment)` | p50 {:.2} ms, max {:.2} ms | |\n\n\
             Progress as psql shows it (seconds since the start, then the NOTICE):\n\n```\n{}\n```\n",
            s6.events,
            s6.incremental_messages,
            s6.incremental_chats,
            s6.events,
            s6.full_seconds,
            s6.full_problems,
            s6.incremental_messages,
            s6.incremental_ms,
            s6.incremental_problems,
            s6.forged_found.join("; "),
            s6.timeline.p50_ms,
            s6.timeline.max_ms,
            s6.chat_at.p50_ms,
            s6.chat_at.max_ms,
            s6.progress.iter().map(|(at, m)| format!("{at:6.1} s  {m}")).collect::<Vec<_>>().join("\n"),
        );
        let full = figure_median(results, "s6", "audit_replay() over the whole log, s").unwrap_or(s6.full_seconds);
        // Every round's problems: one in any round is one too many.
        let problems = results.rounds.get("s6").map_or(s6.full_problems, |r| {
            r.values(&r.this)
                .into_iter()
                .find(|(n, _)| n == "its problems")
                .map_or(s6.full_problems, |(_, v)| v.iter().sum::<f64>() as i64)
        });
        let _ = writeln!(
            targets,
            "| S6: `audit_replay()` ≤ 2 minutes ({} events), 0 problems | {full:.1} s{}, {problems} problems | {} |",
            s6.events,
            rounds_of(results, "s6"),
            verdict(full <= 120.0 && problems == 0)
        );
        let _ = writeln!(
            targets,
            "| S6: one chat's timeline and state at a moment stay in milliseconds (each < 100 ms) | p50 {:.2} ms and {:.2} ms (max {:.2}, {:.2}) | {} |",
            s6.timeline.p50_ms,
            s6.chat_at.p50_ms,
            s6.timeline.max_ms,
            s6.chat_at.max_ms,
            verdict(s6.timeline.max_ms < 100.0 && s6.chat_at.max_ms < 100.0)
        );
        md.push('\n');
        if let Some(rounds) = results.rounds.get("s6") {
            rounds_section(&mut md, "S6", rounds);
        }
    }

    let notes = std::fs::read_to_string(out.join("bench/notes.md")).unwrap_or_default();
    let md = format!("{md}## Targets\n\n{targets}\n{notes}");
    std::fs::write(out.join("benchmarks.md"), md)?;
    Ok(())
}

/// A scenario's rounds (`--repeat`, `--compare`): each key figure's median and range per
/// build, the ratio of the medians when a reference was measured, and every round with how busy
/// the machine was.
fn rounds_section(md: &mut String, scenario: &str, rounds: &Rounds) {
    let this = rounds.rounds.iter().filter(|r| r.revision == rounds.this).count();
    if this == 0 {
        return;
    }
    let mut builds: Vec<&str> = vec![&rounds.this];
    builds.extend(rounds.reference.as_deref());
    let _ = writeln!(
        md,
        "{scenario}'s rounds: {this} of this build ({}){}; each figure's median (min–max).\n",
        rounds.this,
        rounds.reference.as_deref().map(|r| format!(", alternating with {r}")).unwrap_or_default()
    );
    let _ = write!(md, "| figure |");
    for build in &builds {
        let _ = write!(md, " {build} |");
    }
    if builds.len() == 2 {
        let _ = write!(md, " this ÷ reference |");
    }
    let _ = writeln!(md, "\n|---|{}", "---|".repeat(builds.len() + usize::from(builds.len() == 2)));
    let per_build: Vec<Vec<(String, Vec<f64>)>> = builds.iter().map(|b| rounds.values(b)).collect();
    for (name, _) in &per_build[0] {
        let _ = write!(md, "| {name} |");
        let mut medians = Vec::new();
        for values in &per_build {
            let values = values.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone()).unwrap_or_default();
            let (low, high) = values.iter().fold((f64::MAX, f64::MIN), |(l, h), v| (l.min(*v), h.max(*v)));
            match median(values) {
                Some(middle) => {
                    medians.push(middle);
                    let _ = write!(md, " {} ({}–{}) |", fmt_figure(middle), fmt_figure(low), fmt_figure(high));
                }
                None => {
                    let _ = write!(md, " not measured |");
                }
            }
        }
        if let [this, reference] = medians[..] {
            let _ = write!(md, " {:.2} |", this / reference.max(1e-9));
        } else if builds.len() == 2 {
            let _ = write!(md, " |");
        }
        md.push('\n');
    }
    let _ = writeln!(md, "\n| round | build | seconds | CPU busy | I/O stalled |\n|---|---|---|---|---|");
    for (k, round) in rounds.rounds.iter().enumerate() {
        let _ = writeln!(
            md,
            "| {} | {} | {:.0} | {} | {} |",
            k + 1,
            round.revision,
            round.seconds,
            round.cpu_busy_percent.map_or("not reported".to_owned(), |b| format!("{b:.0} %")),
            round.io_stalled_ms.map_or("not reported".to_owned(), |ms| format!("{ms:.0} ms"))
        );
    }
    md.push('\n');
}

/// ", median of N rounds" when `scenario` ran in more than one round.
fn rounds_of(results: &Results, scenario: &str) -> String {
    let n = results.rounds.get(scenario).map_or(0, |r| r.rounds.iter().filter(|x| x.revision == r.this).count());
    if n > 1 { format!(" (median of {n} rounds)") } else { String::new() }
}

/// The median of a key figure over this build's rounds of `scenario`, where they were recorded.
fn figure_median(results: &Results, scenario: &str, name: &str) -> Option<f64> {
    let rounds = results.rounds.get(scenario)?;
    let values = rounds.values(&rounds.this).into_iter().find(|(n, _)| n == name)?.1;
    median(values)
}

/// A figure with as many decimals as its size needs.
fn fmt_figure(v: f64) -> String {
    match v.abs() {
        a if a >= 100.0 => format!("{v:.0}"),
        a if a >= 10.0 => format!("{v:.1}"),
        _ => format!("{v:.2}"),
    }
}

/// The middle value (the mean of the two middle ones for an even count); `None` for none.
pub fn median(mut values: Vec<f64>) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(values[n / 2]),
        _ => Some((values[n / 2 - 1] + values[n / 2]) / 2.0),
    }
}
