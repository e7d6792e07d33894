//! Liveness and readiness for load balancers and orchestrators.

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/healthz", get(healthz)).route("/readyz", get(readyz)).route("/metrics", get(metrics))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Health {
    /// `ok`, or what is wrong.
    pub status: String,
}

async fn database_answers(state: &AppState) -> Result<(), String> {
    let check = async {
        let client = state.db.get().await.map_err(|e| e.to_string())?;
        client.simple_query("SELECT 1").await.map_err(|e| e.to_string())?;
        Ok(())
    };
    tokio::time::timeout(Duration::from_secs(2), check).await.unwrap_or_else(|_| Err("timed out".into()))
}

fn answer(result: Result<(), String>) -> (StatusCode, Json<Health>) {
    match result {
        Ok(()) => (StatusCode::OK, Json(Health { status: "ok".into() })),
        Err(why) => (StatusCode::SERVICE_UNAVAILABLE, Json(Health { status: format!("database unavailable: {why}") })),
    }
}

/// 200 while the process serves and its database answers.
#[utoipa::path(get, path = "/healthz", tag = "health", security(()),
    responses((status = 200, body = Health), (status = 503, body = Health)))]
#[tracing::instrument(skip_all)]
pub async fn healthz(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    answer(database_answers(&state).await)
}

/// 200 when this replica can serve traffic: the log writer and the log listener run (without
/// the first no send is appended, without the second event streams fall behind), the listener
/// is connected, no background job keeps failing, and the database answers.
#[utoipa::path(get, path = "/readyz", tag = "health", security(()),
    responses((status = 200, body = Health), (status = 503, body = Health)))]
#[tracing::instrument(skip_all)]
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    if let Some(job) = state.jobs.essential_down() {
        let status = format!("{job} is down (restarting after a failure)");
        return (StatusCode::SERVICE_UNAVAILABLE, Json(Health { status }));
    }
    if !state.hub.is_listening() {
        return (StatusCode::SERVICE_UNAVAILABLE, Json(Health { status: "log listener is not connected".into() }));
    }
    if let Some((job, failures)) = state.jobs.failing().first() {
        let window = crate::jobs::FAILING_WINDOW.as_secs() / 60;
        let status = format!("background job {job} keeps failing ({failures} panics in {window} minutes)");
        return (StatusCode::SERVICE_UNAVAILABLE, Json(Health { status }));
    }
    answer(database_answers(&state).await)
}

/// Prometheus metrics, for the replica's scraper (no credential: keep it off the public site,
/// as `deploy/nginx.conf` does).
#[utoipa::path(get, path = "/metrics", tag = "meta", security(()),
    responses((status = 200, description = "Prometheus text exposition", content_type = "text/plain")))]
pub async fn metrics(State(state): State<AppState>) -> String {
    // The backups' and drills' ages, read now: a scrape of a replica whose database does not
    // answer shows the last ones it read.
    if let Ok(client) = state.db.get().await
        && let Ok((backup, drill)) = crate::backup::ages(&client).await
    {
        for (name, age) in [(crate::metrics::BACKUP_AGE, backup), (crate::metrics::RESTORE_DRILL_AGE, drill)] {
            if let Some(age) = age {
                metrics::gauge!(name).set(age);
            }
        }
    }
    state.metrics.render()
}
