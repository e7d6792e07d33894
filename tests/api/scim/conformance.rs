//! A SCIM client nobody here wrote, scim2-tester of the python-scim project (through
//! scim2-cli, pinned in scripts/scim.d/requirements.txt), runs every check it has against a
//! server of the suite: it must report nothing but successes for what the discovery endpoints
//! advertise.

use crate::helpers::TestApp;

#[tokio::test]
async fn scim2_tester_finds_no_failure() {
    let app = TestApp::spawn().await;
    let token = app.provisioning_token(&["scim"]).await;
    let url = app.url("/scim/v2");
    let run = tokio::process::Command::new("scripts/scim-conformance")
        .args([&url, &token])
        .output()
        .await
        .expect("run scripts/scim-conformance");
    let report = String::from_utf8_lossy(&run.stdout);
    let errors = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "scim2-tester reported failures:\n{report}\n{errors}");
    assert!(report.contains("SUCCESS"), "scim2-tester checked nothing:\n{report}");
    let problems = crate::provisioning::replay_problems(&app).await;
    assert!(problems.is_empty(), "the log and the read models differ after the conformance run: {problems:?}");
}
