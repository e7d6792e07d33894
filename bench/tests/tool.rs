//! The benchmark tool checks what it measures: a delivery dropped on purpose is reported lost, a
//! position out of order is counted, every stream it holds is counted, a forged row is found.

use std::process::Command;

/// Runs the tool (a `--quick` run prints its results as JSON and writes nothing).
fn quick_run(args: &[&str]) -> serde_json::Value {
    let output = Command::new(env!("CARGO_BIN_EXE_tutorchat-bench")).args(args).output().expect("run tutorchat-bench");
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
