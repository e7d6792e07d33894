//! The benchmark tool checks what it measures: a delivery dropped on purpose is reported lost, a
//! position out of order is counted, every stream and socket it holds is counted, a forged row is
//! found.

use std::process::{Command, Output};
use std::sync::{LazyLock, Mutex};
use std::thread::JoinHandle;

/// Every run of the tool the tests below check, one per entry (each test takes its own).
const RUNS: [&[&str]; 7] = [
    &["--quick", "--only", "s2", "--drop-one"],
    &["--quick", "--only", "s2", "--misorder-one"],
    &["--quick", "--only", "s2"],
    &["--quick", "--only", "s3"],
    &["--quick", "--only", "s6"],
    &["--quick", "--only", "s5", "--repeat", "2"],
    &["--quick", "--only", "s8s"],
];

/// The runs, started side by side by the first test that asks for one when the whole file runs:
/// a quick run spends most of its time waiting (for its topologies to start, its deliveries to
/// drain, memory to settle), so together they take about as long as the longest, where two at
/// a time (cargo's test threads on two cores) took the sum over two. When only some tests are
/// asked for (a name filter), each runs its own when it needs it, so none runs for nothing.
static STARTED: LazyLock<Vec<Mutex<Option<JoinHandle<Output>>>>> = LazyLock::new(|| {
    let filtered = std::env::args().skip(1).any(|a| !a.starts_with('-'));
    RUNS.iter().map(|args| Mutex::new((!filtered).then(|| start(args)))).collect()
});

/// The tool with `args`, on a thread of its own that collects its output.
fn start(args: &'static [&'static str]) -> JoinHandle<Output> {
    std::thread::spawn(move || {
        Command::new(env!("CARGO_BIN_EXE_tutorchat-bench")).args(args).output().expect("run tutorchat-bench")
    })
}

/// Runs the tool (a `--quick` run prints its results as JSON and writes nothing), or takes the
/// run already started with the same arguments.
fn quick_run(args: &[&str]) -> serde_json::Value {
    let k = RUNS.iter().position(|run| *run == args).expect("every run the tests make is listed in RUNS");
    let started = STARTED[k].lock().expect("not poisoned").take();
    let output = started.unwrap_or_else(|| start(RUNS[k])).join().expect("the run's thread");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "tutorchat-bench failed: {stderr}");
    serde_json::from_slice(&output.stdout).expect("JSON results on stdout")
}

#[test]
fn the_benchmark_reports_a_delivery_dropped_on_purpose_as_lost() {
    let results = quick_run(&["--quick", "--only", "s2", "--drop-one"]);
    let run = &results["s2"]["runs"][0];
    assert!(run["acknowledged"].as_u64().is_some_and(|n| n > 0), "{run}");
    assert_eq!(run["deliveries_expected"].as_u64(), run["acknowledged"].as_u64().map(|n| n * 2));
    assert_eq!(run["lost"], 1, "one delivery was dropped on purpose: {run}");
    assert_eq!(run["deliveries"].as_u64(), run["deliveries_expected"].as_u64().map(|n| n - 1));
    assert_eq!(run["sockets"], serde_json::json!([]), "S2's own runs are the streams' alone: {run}");
    // Then a run with the dialects' sockets beside the streams (nothing dropped there), each
    // receiver checked on its own.
    let runs = results["s2"]["runs"].as_array().expect("runs");
    let beside = runs.iter().find(|r| r["sockets"].as_array().is_some_and(|s| !s.is_empty())).expect("a socket run");
    assert_eq!((&beside["lost"], &beside["misordered"]), (&0.into(), &0.into()), "{beside}");
    let sockets = beside["sockets"].as_array().expect("sockets");
    assert_eq!(sockets.len(), 2, "/api/v1/ws and Socket.IO: {beside}");
    for s in sockets {
        assert_eq!(s["deliveries_expected"], beside["deliveries_expected"], "{s}");
        assert_eq!((&s["lost"], &s["misordered"]), (&0.into(), &0.into()), "{s}");
    }
    // The database alone at the same rate, from pgbench's per-transaction log.
    let database = &results["s2"]["database"][0];
    assert_eq!(database["rate"], run["rate"], "{database}");
    assert!(database["latency"]["p99_ms"].as_f64().is_some_and(|p| p > 0.0), "{database}");
}

#[test]
fn the_connection_scenario_counts_every_stream_it_holds_across_processes() {
    let results = quick_run(&["--quick", "--only", "s3"]);
    let run = &results["s3"]["runs"][0];
    assert_eq!(run["received"], run["connections"], "one event reached every stream of one replica: {run}");
    let spread = &results["s3"]["spread"];
    assert_eq!(spread["replicas"], 3, "{spread}");
    assert_eq!((spread["held"].as_u64(), spread["failed"].as_u64()), (Some(300), Some(0)), "{spread}");
    assert_eq!(spread["received"], 300, "the helper processes report every receipt: {spread}");
    assert_eq!(spread["ended"], 0, "no stream ended while held: {spread}");
    let per_replica = spread["bytes_per_connection"].as_array().expect("per replica");
    assert_eq!(per_replica.len(), 3, "{spread}");
    // As many sockets of each dialect, and of the socket.io peer, each reached by the event.
    let sockets = results["s3"]["sockets"].as_array().expect("sockets");
    assert_eq!(sockets.len(), 2, "/api/v1/ws and Socket.IO: {sockets:?}");
    for kind in sockets.iter().chain([&results["s3"]["peer"]]) {
        let run = &kind["runs"][0];
        assert_eq!(run["connections"], results["s3"]["runs"][0]["connections"], "{kind}");
        assert_eq!(run["received"], run["connections"], "one event reached every socket: {kind}");
    }
}

#[test]
fn the_audit_scenario_reports_progress_and_catches_a_forged_row() {
    let results = quick_run(&["--quick", "--only", "s6"]);
    let s6 = &results["s6"];
    assert_eq!(s6["full_problems"], 0, "{s6}");
    assert_eq!(s6["incremental_problems"], 0, "{s6}");
    assert!(s6["events"].as_i64().is_some_and(|n| n > 20_000), "the quick data set has 20,000 messages: {s6}");
    let progress: Vec<&str> =
        s6["progress"].as_array().expect("progress").iter().filter_map(|p| p[1].as_str()).collect();
    for percent in (10..=100).step_by(10) {
        assert!(progress.iter().any(|p| p.contains(&format!("({percent} %"))), "no {percent} % in {progress:?}");
    }
    let forged = s6["forged_found"].as_array().expect("forged_found");
    assert_eq!(forged.len(), 1, "{s6}");
    assert!(forged[0].as_str().is_some_and(|f| f.starts_with("messages ") && f.ends_with(": differs")), "{s6}");
}

#[test]
fn the_benchmark_reports_a_position_out_of_order() {
    let results = quick_run(&["--quick", "--only", "s2", "--misorder-one"]);
    let run = &results["s2"]["runs"][0];
    assert_eq!(run["misordered"], 1, "one position was taken as 0 on purpose: {run}");
    assert_eq!(run["lost"], 0, "{run}");
    // Without the injection, the same run finds every position in order.
    let results = quick_run(&["--quick", "--only", "s2"]);
    for run in results["s2"]["runs"].as_array().expect("runs") {
        assert_eq!(run["misordered"], 0, "{run}");
    }
}

#[test]
fn every_round_is_recorded_with_its_figures_and_the_generator_ceiling_is_measured() {
    let results = quick_run(&["--quick", "--only", "s5", "--repeat", "2"]);
    let rounds = &results["rounds"]["s5"];
    let this = rounds["this"].as_str().expect("this build's revision");
    let recorded = rounds["rounds"].as_array().expect("rounds");
    assert_eq!(recorded.len(), 2, "{rounds}");
    for round in recorded {
        assert_eq!(round["revision"], this, "{round}");
        let figures = round["figures"].as_array().expect("figures");
        assert!(
            figures.iter().any(|f| f["value"].as_f64().is_some_and(|v| v > 0.0)),
            "a round measured something: {round}"
        );
        assert!(round["cpu_busy_percent"].as_f64().is_some_and(|b| b > 0.0), "{round}");
        assert!(round["seconds"].as_f64().is_some_and(|s| s > 0.0), "{round}");
    }
    // S5's section shows every replay of both rounds together (five each).
    assert_eq!(results["s5"]["runs_ms"].as_array().map(Vec::len), Some(10), "{}", results["s5"]);
    let generator = &results["generator"];
    assert!(generator["per_second"].as_f64().is_some_and(|r| r > 0.0), "{generator}");
    assert_eq!(generator["latency"].as_array().map(Vec::len), Some(3), "from 1, 4 and 8 clients: {generator}");
}

#[test]
fn the_search_scenario_times_every_set_finds_what_it_looks_for_and_explains_each_statement() {
    let results = quick_run(&["--quick", "--only", "s8s"]);
    let search = &results["s8"]["search"];
    assert!(search["messages"].as_i64().is_some_and(|n| n >= 20_000), "{search}");
    let sets = search["sets"].as_array().expect("sets");
    assert_eq!(sets.len(), 12, "common, medium, rare and typo for students, teachers and an admin: {search}");
    for set in sets {
        let matches = set["matches"].as_array().expect("matches");
        assert!(!matches.is_empty(), "{set}");
        if set["query"] == "typo" {
            assert!(matches.iter().all(|m| m == 0), "a typo matches no word: {set}");
        } else {
            assert!(matches.iter().all(|m| m.as_i64().is_some_and(|m| m > 0)), "every word is in a message: {set}");
        }
    }
    let rows = search["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 24, "each set from 4 clients and from 1: {search}");
    for row in rows {
        assert_eq!(row["errors"], 0, "{row}");
        assert!(row["requests"].as_u64().is_some_and(|n| n > 0), "{row}");
        if row["query"] != "typo" {
            assert_eq!(row["empty"], 0, "a word the searcher may read is found: {row}");
        }
    }
    // Every statement was seen in pg_stat_activity, the typo's fallback included.
    let plans = search["plans"].as_array().expect("plans");
    assert!(plans.len() >= 6, "{search}");
    for plan in plans {
        assert!(plan["plan"].as_str().is_some_and(|p| p.contains("Execution Time")), "{plan}");
    }
    let typos: Vec<&serde_json::Value> =
        plans.iter().filter(|p| p["what"].as_str().is_some_and(|w| w.contains("trigram fallback"))).collect();
    assert_eq!(typos.len(), 2, "{search}");
    for plan in typos {
        assert!(plan["plan"].as_str().is_some_and(|p| p.contains("word_similarity")), "the fallback's plan: {plan}");
    }
}
