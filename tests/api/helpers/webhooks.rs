//! A webhook receiver for the offline-notification tests: the school's end, recording every
//! call and answering as scripted.

use std::time::Duration;

use serde_json::Value;

/// One call the webhook received.
#[derive(Debug, Clone)]
pub struct Call {
    pub id: String,
    pub timestamp: String,
    pub signature: String,
    pub body: String,
}

impl Call {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("a JSON body")
    }
}

/// A webhook receiver (the school's): records every call and answers the scripted statuses in
/// turn (then 200); while `hanging`, it records calls and never answers them.
#[derive(Clone, Default)]
pub struct Receiver {
    calls: std::sync::Arc<std::sync::Mutex<Vec<Call>>>,
    script: std::sync::Arc<std::sync::Mutex<std::collections::VecDeque<u16>>>,
    pub hanging: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Receiver {
    pub async fn start() -> (Self, String) {
        let receiver = Self::default();
        let state = receiver.clone();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
                let state = state.clone();
                async move {
                    let header =
                        |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
                    let call = Call {
                        id: header("webhook-id"),
                        timestamp: header("webhook-timestamp"),
                        signature: header("webhook-signature"),
                        body,
                    };
                    state.calls.lock().expect("lock").push(call);
                    if state.hanging.load(std::sync::atomic::Ordering::SeqCst) {
                        std::future::pending::<()>().await;
                    }
                    let status = state.script.lock().expect("lock").pop_front().unwrap_or(200);
                    axum::http::StatusCode::from_u16(status).expect("status")
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
        tokio::spawn(async move { axum::serve(listener, app).await });
        (receiver, url)
    }

    pub fn calls(&self) -> Vec<Call> {
        self.calls.lock().expect("lock").clone()
    }

    pub fn answer(&self, statuses: &[u16]) {
        self.script.lock().expect("lock").extend(statuses);
    }

    /// Waits until at least `n` calls arrived (or 15 s), then `settle` more for stragglers.
    pub async fn wait_for(&self, n: usize, settle: Duration) -> Vec<Call> {
        let deadline = std::time::Instant::now() + Duration::from_secs(15);
        while self.calls().len() < n && std::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        tokio::time::sleep(settle).await;
        self.calls()
    }
}

impl super::TestApp {
    /// Waits until the notices of every message committed so far are written: the replicas'
    /// notices workers fan them out from the log after the commit (`notices_fan_out`), within
    /// a tick of their worker.
    pub async fn notices_written(&self) {
        // The newest committed event (log_head may stop short of it while a transaction of
        // another test's database holds the cluster's horizon).
        let head: i64 =
            self.sql.query_one("SELECT coalesce(max(position), 0) FROM events", &[]).await.expect("head").get(0);
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            let done: i64 =
                self.sql.query_one("SELECT position FROM notices_fanned_out", &[]).await.expect("cursor").get(0);
            if done >= head {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the notices up to {head} were not written within 30 s ({done})"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}
