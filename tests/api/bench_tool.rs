//! The benchmark tool checks what it measures: a delivery dropped on purpose is reported lost.

use std::process::Command;

#[test]
fn the_benchmark_reports_a_delivery_dropped_on_purpose_as_lost() {
    let output = Command::new(env!("CARGO_BIN_EXE_tutorchat-bench"))
        .args(["--quick", "--only", "s2", "--drop-one"])
        .output()
        .expect("run tutorchat-bench");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "tutorchat-bench failed: {stderr}");
    let results: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON results on stdout");
    let run = &results["s2"]["runs"][0];
    assert!(run["acknowledged"].as_u64().is_some_and(|n| n > 0), "{run}");
    assert_eq!(run["deliveries_expected"].as_u64(), run["acknowledged"].as_u64().map(|n| n * 2));
    assert_eq!(run["lost"], 1, "one delivery was dropped on purpose: {run}");
    assert_eq!(run["deliveries"].as_u64(), run["deliveries_expected"].as_u64().map(|n| n - 1));
}
