//! S4's section: history and chat-list reads on a large data set, their plans, how hard the
//! machine worked, the same reads on a standby and at a tenth of the data, and its targets.

use std::fmt::Write as _;

use super::{Page, Target, figure_median, link, or_not_reported, rounds_of, rounds_table};
use crate::Results;
use crate::load::Percentiles;
use crate::scenarios::S4;

const HEADING: &str = "S4 — reads on a large data set";

pub(super) fn section(page: &mut Page, results: &Results, s4: &S4) {
    reads(&mut page.md, s4);
    later_plans(&mut page.md, s4);
    phases(&mut page.md, s4);
    against_pgbench(&mut page.md, s4);
    on_standby(&mut page.md, s4);
    cost_curve(&mut page.md, s4);
    targets(&mut page.targets, results, s4);
    rounds_table::after(&mut page.md, results, "s4", "S4");
}

/// "p50 | p99 | max" of a latency row.
fn row(p: &Percentiles) -> String {
    format!("{:.2} ms | {:.2} ms | {:.2} ms", p.p50_ms, p.p99_ms, p.max_ms)
}

/// The data set, the reads and their latencies, and the plans taken right after seeding.
fn reads(md: &mut String, s4: &S4) {
    let _ = writeln!(
        md,
        "## {HEADING}\n\n{} messages in {} chats (seeded through the log's own triggers in {:.0} s; PostgreSQL's shared_buffers {}). History: \
         `limit=50` pages with `before_id` a fifth of the way into random chats (older than four fifths of the chat), {} requests from 8 clients. Chat list: a teacher with 500 chats of mixed kinds (400 direct, 100 groups of six), `limit=500`, \
         {} requests from 4 clients. Then both again from one client at a time. Each is timed after an untimed warm-up of four requests per client (the replica's pooled connections open on first use).\n\n| query | clients | p50 | p99 | max |\n|---|---|---|---|---|\n| history page | 8 | {} |\n| history page | 1 | {} |\n| chat list, 500 chats | 4 | {} |\n| chat list, 500 chats | 1 | {} |\n{}\n\
         Plans (`EXPLAIN (ANALYZE, BUFFERS)` of the statements the handlers run):\n\n```\n{}\n```\n\n```\n{}\n```\n",
        s4.messages,
        s4.chats,
        s4.seed_seconds,
        if s4.shared_buffers.is_empty() { "128MB, the default" } else { &s4.shared_buffers },
        s4.history_requests,
        s4.chat_list_requests,
        row(&s4.history),
        row(&s4.history_one_client),
        row(&s4.chat_list_500),
        row(&s4.chat_list_one_client),
        s4.chat_list_page
            .as_ref()
            .map(|p| format!("| chat list, first page of 50 | 4 | {} |\n", row(p)))
            .unwrap_or_default(),
        s4.history_plan,
        s4.chat_list_plan
    );
}

/// The chat list's plan again after the reads and audits, and a resume's plan.
fn later_plans(md: &mut String, s4: &S4) {
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
}

/// Requests per second and CPU use of the four timed runs.
fn phases(md: &mut String, s4: &S4) {
    if s4.phases.len() != 4 {
        return;
    }
    let _ = writeln!(
        md,
        "How hard the machine worked in each run (requests answered per second; CPU busy across both cores, every process included):\n\n\
         | run | clients | requests/s | CPU busy |\n|---|---|---|---|"
    );
    for (name, phase) in ["history page", "history page", "chat list", "chat list"].iter().zip(&s4.phases) {
        let busy = or_not_reported(phase.cpu_busy_percent, "%");
        let _ = writeln!(md, "| {name} | {} | {:.0} | {busy} |", phase.clients, phase.per_second);
    }
    md.push('\n');
}

/// The reads beside pgbench running the statements each request runs.
fn against_pgbench(md: &mut String, s4: &S4) {
    let Some(against) = &s4.against_pgbench else { return };
    let _ = writeln!(
        md,
        "The reads against the database's own ceiling on this machine, in the same round: pgbench running the \
         statements the replica runs for each request, with the same values (`-M prepared`, the replicas' session \
         settings; each history page's script is the student's membership in the chat, then the page; the chat \
         list's is the list, then the presence of its 500 people), at the same concurrency, as many requests. \
         The load generator, the replica and PostgreSQL share the two cores in the replica's run; pgbench and \
         PostgreSQL in pgbench's. The transactions the database committed per request (each statement is one) \
         show that both ran the same statements (less the replicas' own jobs' transactions, at their rate in \
         a quiet stretch before; the replica's requests count its warm-up, pgbench's transactions its statements' \
         preparation: each connection prepares each script's statements once). The history pages are 25 of S4's \
         kind, each asked for 320 times.\n\n| read | clients | requests | replica, per s | pgbench, per s | share | transactions a request, replica / pgbench |\n|---|---|---|---|---|---|---|"
    );
    for (name, c) in [("history page", &against.history), ("chat list, 500 chats", &against.chat_list)] {
        let _ = writeln!(
            md,
            "| {name} | {} | {} | {:.0} | {:.0} | {:.0} % | {:.2} / {:.2} |",
            c.clients,
            c.requests,
            c.replica_per_second,
            c.pgbench_per_second,
            c.ratio() * 100.0,
            c.replica_statements,
            c.pgbench_statements
        );
    }
    md.push('\n');
}

/// The same reads answered by a streaming standby.
fn on_standby(md: &mut String, s4: &S4) {
    let Some(standby) = &s4.on_standby else { return };
    let _ = writeln!(
        md,
        "The same reads from a second replica that reads from a streaming standby (`READ_DATABASE_URL`; the standby \
         was made with `pg_basebackup` before seeding and replayed it as it happened, on the same two cores; after \
         the primary's reads above, the tool waited {:.1} s more for it to reach the primary's WAL position). \
         The replica counted {} reads answered by the standby ({} timed, plus warm-ups).\n\n\
         | query | clients | p50 | p99 | max |\n|---|---|---|---|---|\n\
         | history page | 8 | {} |\n| history page | 1 | {} |\n\
         | chat list, 500 chats | 4 | {} |\n| chat list, 500 chats | 1 | {} |\n",
        standby.catch_up_seconds,
        standby.served,
        standby.requests,
        row(&standby.history),
        row(&standby.history_one_client),
        row(&standby.chat_list_500),
        row(&standby.chat_list_one_client),
    );
}

/// The same reads at a tenth of the data set against the whole: how their cost grows.
fn cost_curve(md: &mut String, s4: &S4) {
    let Some(small) = &s4.smaller else { return };
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
}

/// A key figure's median over the rounds, or the median round's where none were recorded.
fn fig(results: &Results, name: &str, fallback: f64) -> f64 {
    figure_median(results, "s4", name).unwrap_or(fallback)
}

/// Closed-loop clients beyond the two cores measure queueing as much as the read path, so
/// each target shows one client (the service time) and the concurrent run: the figures and the
/// verdict for each.
fn two_ways(one: f64, many: f64, clients: usize, bound: f64) -> (String, String) {
    let figures = format!("{one:.2} ms from one client; {many:.2} ms from {clients}");
    let verdict = match (one <= bound, many <= bound) {
        (true, true) => "met".to_owned(),
        (true, false) => format!("met from one client; **missed** from {clients}"),
        _ => "**missed**".to_owned(),
    };
    (figures, verdict)
}

/// The cost curve's target, then each read's bound on the primary and on the standby.
fn targets(targets: &mut Vec<Target>, results: &Results, s4: &S4) {
    let link = link("S4", HEADING);
    targets.extend(flat_target(&link, results, s4));
    if let Some(against) = &s4.against_pgbench {
        let history =
            fig(results, "history page, 8 clients: the replica's share of pgbench's rate", against.history.ratio());
        let list = fig(
            results,
            "chat list of 500, 4 clients: the replica's share of pgbench's rate",
            against.chat_list.ratio(),
        );
        let verdict = if history >= 0.7 && list >= 0.7 { "met" } else { "**missed**" };
        let shares = format!("history {:.0} %, chat list {:.0} %", history * 100.0, list * 100.0);
        targets.push(
            Target::new(
                &link,
                "S4: reads ≥ 70 % of pgbench running the same statements (history from 8 clients, chat list from 4)"
                    .into(),
                format!("{shares}{}", rounds_of(results, "s4")),
                verdict,
            )
            .against(
                shares,
                format!(
                    "pgbench in the median round's run: {:.0} history pages/s, {:.1} chat lists/s",
                    against.history.pgbench_per_second, against.chat_list.pgbench_per_second
                ),
            ),
        );
    }
    let of = rounds_of(results, "s4");
    let mut bound = |goal: String, (one, many): (&str, &str), (fallback_one, fallback_many), clients, limit| {
        let (figures, verdict) =
            two_ways(fig(results, one, fallback_one), fig(results, many, fallback_many), clients, limit);
        targets.push(Target::new(&link, goal, format!("{figures}{of}"), verdict));
    };
    bound(
        format!("S4: history page p99 ≤ 2 ms ({} messages)", s4.messages),
        ("history page p99, 1 client, ms", "history page p99, 8 clients, ms"),
        (s4.history_one_client.p99_ms, s4.history.p99_ms),
        8,
        2.0,
    );
    bound(
        "S4: chat list of 500 chats p99 ≤ 20 ms".into(),
        ("chat list of 500 p99, 1 client, ms", "chat list of 500 p99, 4 clients, ms"),
        (s4.chat_list_one_client.p99_ms, s4.chat_list_500.p99_ms),
        4,
        20.0,
    );
    if let Some(standby) = &s4.on_standby {
        bound(
            "S4 on the standby: history page p99 ≤ 2 ms".into(),
            ("on the standby: history page p99, 1 client, ms", "on the standby: history page p99, 8 clients, ms"),
            (standby.history_one_client.p99_ms, standby.history.p99_ms),
            8,
            2.0,
        );
        bound(
            "S4 on the standby: chat list of 500 chats p99 ≤ 20 ms".into(),
            (
                "on the standby: chat list of 500 p99, 1 client, ms",
                "on the standby: chat list of 500 p99, 4 clients, ms",
            ),
            (standby.chat_list_one_client.p99_ms, standby.chat_list_500.p99_ms),
            4,
            20.0,
        );
    }
}

/// Flat cost from a tenth of the data set to all of it, from one client: the service time,
/// which is what grows with the data (the concurrent runs add the two cores' queue, which
/// does not).
fn flat_target(link: &str, results: &Results, s4: &S4) -> Option<Target> {
    let small = s4.smaller.as_ref()?;
    let history =
        fig(results, "history page p99, 1 client, ms", s4.history_one_client.p99_ms) / small.history_one_client.p99_ms;
    let list = fig(results, "chat list of 500 p99, 1 client, ms", s4.chat_list_one_client.p99_ms)
        / small.chat_list_one_client.p99_ms;
    let verdict = if history <= 1.25 && list <= 1.25 { "met" } else { "**missed**" };
    let ratios = format!("history ×{history:.2}, chat list ×{list:.2}");
    let target = Target::new(
        link,
        format!("S4: cost flat from {} to {} messages (one client's p99 within 25 %)", small.messages, s4.messages),
        ratios.clone(),
        verdict,
    )
    .against(
        ratios,
        format!(
            "the same reads at {} messages: p99 {:.2} ms and {:.2} ms from one client",
            small.messages, small.history_one_client.p99_ms, small.chat_list_one_client.p99_ms
        ),
    );
    Some(target)
}
