//! Each node's Patroni configuration: the cluster's dynamic settings (written to etcd when the
//! first node bootstraps it; docs/high-availability.md says why each) and the node's own.
//! deploy/patroni/patroni.yml is the same for compose.ha.yaml (tests/api/deploy.rs compares).

use std::path::Path;

use serde_json::json;

use super::{HaCluster, LOOP_WAIT, RETRY_TIMEOUT, SCOPE, TTL};

/// PostgreSQL's parameters in the cluster's dynamic configuration, the same for compose.ha.yaml
/// (deploy/patroni/patroni.yml; tests/api/deploy.rs compares them).
pub fn parameters() -> serde_json::Value {
    json!({
        "max_connections": 300,
        "synchronous_commit": "on",
        "wal_keep_size": "256MB",
        "hot_standby_feedback": "on",
        // Each transaction's commit time, replicated with it: psql can show that the log's
        // positions follow commit order across a failover (docs/high-availability.md).
        "track_commit_timestamp": "on",
        // A standby whose machine is gone stops holding commits back after 10 s (the
        // default, 60 s, would make writes wait that long before Patroni drops it).
        "wal_sender_timeout": "10s",
    })
}

/// Node `i`'s Patroni configuration (YAML; written as JSON, which YAML reads).
pub(super) fn patroni_config(
    cluster: &HaCluster,
    i: usize,
    parameters: &serde_json::Value,
    socket_dir: &Path,
) -> serde_json::Value {
    let node = &cluster.nodes[i];
    let dir = node.config.parent().unwrap_or(&cluster.base);
    let trust = |database: &str| format!("host {database} all 127.0.0.1/32 trust");
    json!({
        "scope": SCOPE,
        "name": node.name,
        "restapi": { "listen": node.rest.to_string(), "connect_address": node.rest.to_string() },
        "etcd3": { "hosts": cluster.etcd.iter().map(|m| m.client.to_string()).collect::<Vec<_>>() },
        "bootstrap": {
            "dcs": {
                "ttl": TTL,
                "loop_wait": LOOP_WAIT,
                "retry_timeout": RETRY_TIMEOUT,
                "maximum_lag_on_failover": 1_048_576,
                // A commit waits for the standby; only the synchronous standby may be promoted.
                "synchronous_mode": true,
                // A crashed primary is failed over from at once, not restarted in place for up to
                // 300 s (safe: the synchronous standby has every acknowledged commit).
                "primary_start_timeout": 0,
                "postgresql": { "use_pg_rewind": true, "use_slots": true, "parameters": parameters },
            },
            "initdb": [{ "encoding": "UTF8" }, { "locale": "C.UTF-8" }, "data-checksums"],
            "pg_hba": ["local all all trust", trust("all"), trust("replication")],
        },
        "postgresql": {
            "listen": node.postgres.to_string(),
            "connect_address": node.postgres.to_string(),
            "data_dir": node.data,
            "bin_dir": cluster.bindir,
            "pgpass": dir.join("pgpass"),
            // A new standby copies the primary at once, not after a spread checkpoint there.
            "basebackup": [{ "checkpoint": "fast" }],
            "authentication": {
                "superuser": { "username": "postgres" },
                "replication": { "username": "postgres" },
                "rewind": { "username": "postgres" },
            },
            "parameters": { "unix_socket_directories": socket_dir },
        },
    })
}
