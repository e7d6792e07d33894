//! The replica watches its own parts: a listener task that panics is restarted, and readiness
//! says so while it is down.

use std::time::{Duration, Instant};

use crate::helpers::TestApp;

async fn readyz(app: &TestApp) -> u16 {
    app.http.get(app.url("/readyz")).send().await.expect("GET /readyz").status().as_u16()
}

/// Polls `/readyz` until it answers `status`, at most `within`.
async fn readiness_becomes(app: &TestApp, status: u16, within: Duration) {
    let deadline = Instant::now() + within;
    loop {
        if readyz(app).await == status {
            return;
        }
        assert!(Instant::now() < deadline, "/readyz did not answer {status} within {within:?}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn a_listener_that_panics_turns_readiness_false_then_restarts_and_delivers() {
    let app = TestApp::spawn().await;
    let (teacher, student) = (app.user("teacher", "T").await, app.user("student", "S").await);
    let chat = app.chat(&teacher, &student).await;
    app.settled().await;
    assert_eq!(readyz(&app).await, 200);
    let mut stream = app.stream(&student, None).await;

    app.state.hub.crash_listener();
    readiness_becomes(&app, 503, Duration::from_secs(5)).await;
    // Written while the listener is down: the restarted listener catches up from its cursor.
    let missed = app.send(&teacher, chat, "while the listener was down").await;
    readiness_becomes(&app, 200, Duration::from_secs(10)).await;
    let after = app.send(&teacher, chat, "after the restart").await;

    let events = stream.events(2).await;
    let ids: Vec<i64> = events.iter().map(|e| e.json()["message"]["id"].as_i64().expect("id")).collect();
    assert_eq!(ids, [missed, after], "both messages, once each, in order: {events:?}");
    let metrics = app.metrics().await;
    assert!(metrics.contains("tutorchat_listener_restarts_total"), "the restart is counted: {metrics}");
}
