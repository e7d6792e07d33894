//! The replica watches its own parts: the log writer or listener that panics is restarted, and
//! readiness says so while it is down; every background job that panics is started again, and
//! one that keeps failing makes the replica unready.

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

    let restarts = "tutorchat_job_restarts_total{job=\"log-listener\"}";
    assert_eq!(app.metric(restarts).await, None, "no restart yet");
    assert!(app.state.jobs.crash("log-listener"), "the listener takes the crash");
    readiness_becomes(&app, 503, Duration::from_secs(5)).await;
    // Written while the listener is down: the restarted listener catches up from its cursor.
    let missed = app.send(&teacher, chat, "while the listener was down").await;
    readiness_becomes(&app, 200, Duration::from_secs(10)).await;
    let after = app.send(&teacher, chat, "after the restart").await;

    let events = stream.events(2).await;
    let ids: Vec<i64> = events.iter().map(|e| e.json()["message"]["id"].as_i64().expect("id")).collect();
    assert_eq!(ids, [missed, after], "both messages, once each, in order: {events:?}");
    assert_eq!(app.metric(restarts).await, Some(1.0), "the restart is counted");
}

#[tokio::test]
async fn a_log_writer_that_panics_turns_readiness_false_then_restarts_and_sends_succeed_again() {
    let app = TestApp::spawn().await;
    let (teacher, student) = (app.user("teacher", "T").await, app.user("student", "S").await);
    let chat = app.chat(&teacher, &student).await;
    app.settled().await;
    assert_eq!(readyz(&app).await, 200);
    app.send(&teacher, chat, "before the writer fails").await;
    let mut stream = app.stream(&student, None).await;
    let restarts = "tutorchat_job_restarts_total{job=\"log-writer\"}";
    assert_eq!(app.metric(restarts).await, None, "no restart yet");

    assert!(app.state.jobs.crash("log-writer"), "the writer takes the crash");
    // Down: nothing can be appended, so the replica is not ready (and says why).
    let deadline = Instant::now() + Duration::from_secs(5);
    let status = loop {
        let answer = app.http.get(app.url("/readyz")).send().await.expect("GET /readyz");
        if answer.status() == 503 {
            break answer.json::<serde_json::Value>().await.expect("json")["status"].clone();
        }
        assert!(Instant::now() < deadline, "/readyz never failed while the writer was down");
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    assert!(status.as_str().expect("status").contains("log-writer is down"), "{status}");
    // A send while it is down waits for the restarted writer, and is appended once.
    let during = app.send(&teacher, chat, "while the writer restarts").await;
    readiness_becomes(&app, 200, Duration::from_secs(10)).await;
    let after = app.send(&student, chat, "after the restart").await;

    let events = stream.events(2).await;
    let ids: Vec<i64> = events.iter().map(|e| e.json()["message"]["id"].as_i64().expect("id")).collect();
    assert_eq!(ids, [during, after], "both messages, once each, in order: {events:?}");
    assert_eq!(app.metric(restarts).await, Some(1.0), "the restart is counted");
    let history = app.get(&format!("/api/chats/{chat}/messages"), &teacher).send().await.expect("history");
    let history: serde_json::Value = history.json().await.expect("json");
    assert_eq!(history["messages"].as_array().map(Vec::len), Some(3), "{history}");
}

/// Waits until `what` holds, at most `within`.
async fn until(what: &str, within: Duration, mut holds: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !holds().await {
        assert!(Instant::now() < deadline, "{what}: not within {within:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn every_background_job_that_panics_comes_back_and_one_that_keeps_failing_fails_readiness() {
    let (receiver, url) = crate::helpers::Receiver::start().await;
    let (private_key, public_key) =
        tutorchat::config::vapid_key("IQ9Ur0ykXoHS9gzfYX0aBjy9lvdrjx_PFUXmie9YRcY").expect("key");
    let app = TestApp::spawn_with(|c| {
        c.notify.grace = Duration::from_secs(1);
        c.notify.webhook = Some(tutorchat::config::Webhook {
            url,
            secret: tutorchat::config::webhook_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").expect("secret"),
        });
        c.notify.push.vapid =
            Some(tutorchat::config::Vapid { private_key, public_key, subject: "mailto:it@school.example".into() });
        // A mail server nobody answers at: the email job runs (it connects only to send).
        c.notify.email.smtp = Some(
            tutorchat::config::Smtp::new(
                "smtp://127.0.0.1:9",
                "School <chat@school.test>".parse().expect("a mailbox"),
                "http://chat.school.test/".parse().expect("a URL"),
                None,
            )
            .expect("an SMTP URL"),
        );
    })
    .await;
    let jobs = app.state.jobs.clone();
    let names = [
        "attachment-sweep",
        "emails",
        "flags",
        "follow-users",
        "governance",
        "inquiry-closing",
        "log-listener",
        "log-writer",
        "notice-purge",
        "notices",
        "presence",
        "pushes",
        "quiet-hours",
        "rate-limits",
        "scheduled-messages",
        "signals",
        "stream-reads",
    ];
    assert_eq!(jobs.names(), names, "every long-lived task of the replica is supervised");

    for name in names {
        until(&format!("{name} running"), Duration::from_secs(5), async || jobs.running(name)).await;
        let restarts = format!("tutorchat_job_restarts_total{{job=\"{name}\"}}");
        let before = app.metric(&restarts).await.unwrap_or_default();
        assert!(jobs.crash(name), "{name} takes the crash");
        until(&format!("{name} restarted"), Duration::from_secs(5), async || {
            app.metric(&restarts).await.unwrap_or_default() > before && jobs.running(name)
        })
        .await;
    }
    assert_eq!(readyz(&app).await, 200, "one panic each is not failing");

    // The restarted jobs work: presence records a stream, the outbox notifies an offline person.
    let (teacher, student) = (app.user("teacher", "T").await, app.user("student", "S").await);
    let chat = app.chat(&teacher, &student).await;
    let _online = app.stream(&teacher, None).await;
    until("the teacher online", Duration::from_secs(5), async || {
        let path = format!("/api/presence/{}", teacher.id);
        let answer = app.get(&path, &student).send().await.expect("presence");
        answer.json::<serde_json::Value>().await.expect("json")["online"] == true
    })
    .await;
    let message = app.send(&teacher, chat, "after every job came back").await;
    let calls = receiver.wait_for(1, Duration::from_secs(3)).await;
    assert_eq!(calls.first().map(|c| c.json()["message_id"].clone()), Some(serde_json::json!(message)));

    // A job that keeps failing stops the replica being ready, and says which.
    for _ in 1..tutorchat::jobs::FAILING_AFTER {
        until("notice-purge running", Duration::from_secs(10), async || jobs.running("notice-purge")).await;
        assert!(jobs.crash("notice-purge"));
        until("notice-purge down", Duration::from_secs(5), async || !jobs.running("notice-purge")).await;
    }
    let answer = app.http.get(app.url("/readyz")).send().await.expect("GET /readyz");
    assert_eq!(answer.status(), 503);
    let body: serde_json::Value = answer.json().await.expect("json");
    assert!(body["status"].as_str().expect("status").contains("notice-purge keeps failing"), "{body}");
    until("notice-purge back", Duration::from_secs(10), async || jobs.running("notice-purge")).await;
}
