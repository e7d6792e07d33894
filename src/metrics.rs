//! Prometheus metrics at `GET /metrics`. Names are prefixed `tutorchat_`; see README.md.

use std::sync::OnceLock;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

pub const HTTP_REQUESTS: &str = "tutorchat_http_requests_total";
pub const HTTP_DURATION: &str = "tutorchat_http_request_duration_seconds";
pub const SSE_CONNECTIONS: &str = "tutorchat_sse_connections";
pub const EVENTS_DELIVERED: &str = "tutorchat_events_delivered_total";
pub const SLOW_CONSUMERS: &str = "tutorchat_slow_consumer_disconnects_total";
pub const LISTENER_CONNECTED: &str = "tutorchat_listener_connected";
/// Supervised tasks (the log writer and listener, the background jobs) started again after a
/// panic, labelled by `job` (`crate::jobs`).
pub const JOB_RESTARTS: &str = "tutorchat_job_restarts_total";
pub const LISTENER_LAG_POSITIONS: &str = "tutorchat_listener_lag_positions";
pub const LISTENER_LAG_SECONDS: &str = "tutorchat_listener_lag_seconds";
/// Times the listener lost its connection (dropped, failed to open, or silent past its probe);
/// each is followed by a new attempt.
pub const LISTENER_RECONNECTS: &str = "tutorchat_listener_reconnects_total";
/// `pg_notification_queue_usage()`, read by the listener's probe: the share of PostgreSQL's
/// notification queue in use, which grows when some listening session stops reading.
pub const NOTIFICATION_QUEUE_USAGE: &str = "tutorchat_notification_queue_usage";
/// How long the oldest transaction of the cluster that holds a transaction id has been open,
/// read by the listener's probe: events appended after it reach no stream until it ends (the
/// log's settled prefix, `events_append`), so a value above a second is a delay to delivery.
pub const LOG_HORIZON_AGE: &str = "tutorchat_log_horizon_age_seconds";
/// Requests refused by a limit, labelled by which (`limit`).
pub const LIMITED: &str = "tutorchat_limited_requests_total";
pub const ACCEPT_ERRORS: &str = "tutorchat_accept_errors_total";
pub const APPEND_BATCH: &str = "tutorchat_append_batch_size";
/// Ephemeral signals received from PostgreSQL, labelled by `kind` (typing, presence).
pub const SIGNALS: &str = "tutorchat_signals_total";
/// Typing signals this replica could not send (queue full, database away).
pub const SIGNALS_DROPPED: &str = "tutorchat_signals_dropped_total";
/// Presence changes this replica failed to record (retried on the next heartbeat).
pub const PRESENCE_ERRORS: &str = "tutorchat_presence_errors_total";
/// Bytes of attachments uploaded through this replica.
pub const UPLOADED_BYTES: &str = "tutorchat_uploaded_bytes_total";
/// Offline notices this replica handed to the webhook (2xx), sent again after a failure,
/// gave up on, and cancelled before sending (the user came back), labelled by `outcome`.
pub const NOTICES: &str = "tutorchat_notices_total";
/// Notices not settled yet (pending, being sent, waiting for a retry), in the whole database.
pub const NOTICES_PENDING: &str = "tutorchat_notices_pending";
/// Age of the oldest of them, in seconds (0: none).
pub const NOTICES_OLDEST_SECONDS: &str = "tutorchat_notices_oldest_pending_seconds";
/// Settled notices this replica deleted once they were `NOTIFY_KEEP_SECS` old.
pub const NOTICES_PURGED: &str = "tutorchat_notices_purged_total";
/// Web Pushes this replica handed to a push service, labelled by `outcome`: `delivered` (2xx),
/// `retried` (429, 5xx, no answer), `failed`, `gone` (404/410: the subscription is deleted) and
/// `cancelled` (the chat was read before it went out).
pub const PUSHES: &str = "tutorchat_pushes_total";
/// Reads meant for the standby (`READ_DATABASE_URL`), labelled by `outcome`: `served`, `waited`
/// (for it to reach the read's position), `lagging` and `unavailable` (both answered by the
/// primary instead).
pub const STANDBY_READS: &str = "tutorchat_standby_reads_total";
/// Fetches of the school's OpenID Provider's metadata and keys, by `outcome` (`ok`, `failed`)
/// and `issuer`: at start-up, when the cached keys are past their age, and for a token signed
/// with a key not yet known (at most once per `OIDC_KEYS_REFETCH_SECS`).
pub const OIDC_KEY_FETCHES: &str = "tutorchat_oidc_key_fetches_total";
/// Event streams asked for as a connection's first request, which the replica answers without
/// hyper's buffers (`serve`); the others are served by hyper (same answer, more memory).
pub const DIRECT_STREAMS: &str = "tutorchat_direct_event_streams_total";
/// Connections closed because the client took nothing written to it for
/// `SSE_SEND_TIMEOUT_SECS` (`serve`): it stopped reading without closing. Mostly event streams
/// (answered without hyper or by hyper); also any other answer hyper was writing.
pub const STALLED_STREAMS: &str = "tutorchat_stalled_stream_disconnects_total";
/// Messages whose content was purged, by `cause` (`retention`, `erasure`).
pub const MESSAGES_PURGED: &str = "tutorchat_messages_purged_total";
/// Messages past `RETENTION_DAYS` not purged yet, as the retention job last counted them (its
/// progress: it falls to 0 as the job catches up).
pub const RETENTION_BACKLOG: &str = "tutorchat_retention_backlog_messages";
/// Files of purged uploads deleted from storage.
pub const PURGED_FILES: &str = "tutorchat_purged_files_deleted_total";
/// Erasures asked for and not complete yet.
pub const ERASURES_PENDING: &str = "tutorchat_erasures_pending";
/// Conversations exported, by `format`.
pub const EXPORTS: &str = "tutorchat_exports_total";
/// Messages quiet hours held, by what became of them as they were due (`outcome`: delivered,
/// refused: the log would not take them any more, and they were dropped).
pub const HELD_MESSAGES: &str = "tutorchat_held_messages_total";
/// Scheduled messages as they came due, by `outcome`: sent, held (by quiet hours), failed (their
/// author could no longer write them there).
pub const SCHEDULED_MESSAGES: &str = "tutorchat_scheduled_messages_total";
/// Messages the system flagged for the moderators, by `cause` (term, burst).
pub const FLAGS: &str = "tutorchat_flags_total";

/// How old the newest backup recorded in `backups` is, in seconds (read at each scrape;
/// absent until the first `tutorchat backup`).
pub const BACKUP_AGE: &str = "tutorchat_backup_age_seconds";
/// How old the newest restore drill that passed is, in seconds (read at each scrape; absent
/// until the first `tutorchat restore-drill`).
pub const RESTORE_DRILL_AGE: &str = "tutorchat_restore_drill_age_seconds";

/// The process-wide recorder (metrics are global to a process; installed on first use).
pub fn handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full(HTTP_DURATION.into()),
                    &[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5],
                )
                .and_then(|b| {
                    b.set_buckets_for_metric(
                        Matcher::Full(APPEND_BATCH.into()),
                        &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0],
                    )
                });
            match builder.map(|b| b.install_recorder()) {
                Ok(Ok(handle)) => handle,
                // Another recorder is installed (or the buckets are invalid, which is a bug):
                // render an empty registry rather than fail the server.
                _ => PrometheusBuilder::new().build_recorder().handle(),
            }
        })
        .clone()
}
