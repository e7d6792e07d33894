//! Each node's Patroni configuration: the cluster's dynamic settings (written to etcd when the
//! first node bootstraps it; docs/high-availability.md says why each) and the node's own.
//! deploy/patroni/patroni.yml is the same for compose.ha.yaml (tests/api/deploy.rs compares).

use std::path::Path;

use serde_json::json;

use super::{HaCluster, LOOP_WAIT, REST_USER, RETRY_TIMEOUT, SCOPE, TTL};

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

/// Node `i`'s Patroni configuration (YAML; written as JSON, which YAML reads). Every TCP
/// connection is TLS with a password, the local socket takes passwords too (no role is open to
/// every local user), and the standby checks the primary's certificate against the topology's
/// CA (`verify-full`: the name too); etcd is reached with the client certificate; the REST API
/// answers its changing endpoints (switchover, restart, reinitialize…) only with the password.
pub(super) fn patroni_config(
    cluster: &HaCluster,
    i: usize,
    parameters: &serde_json::Value,
    socket_dir: &Path,
) -> serde_json::Value {
    let node = &cluster.nodes[i];
    let dir = node.config.parent().unwrap_or(&cluster.base);
    let (tls, passwords) = (&cluster.tls, &cluster.passwords);
    // The node's certificate as its client certificate, named so that libpq does not look for
    // one in $HOME (root's, which the server's user may not read).
    let verified = |username: &str, password: &str| {
        json!({
            "username": username,
            "password": password,
            "sslmode": "verify-full",
            "sslrootcert": tls.file("ca.crt"),
            "sslcert": tls.file("server.crt"),
            "sslkey": tls.file("server.key"),
        })
    };
    json!({
        "scope": SCOPE,
        "name": node.name,
        "restapi": {
            "listen": node.rest.to_string(),
            "connect_address": node.rest.to_string(),
            "certfile": tls.file("server.crt"),
            "keyfile": tls.file("server.key"),
            // patronictl and the other node check the API's certificate against it.
            "cafile": tls.file("ca.crt"),
            "authentication": { "username": REST_USER, "password": passwords.rest },
        },
        "etcd3": {
            "hosts": cluster.etcd.iter().map(|m| m.client.to_string()).collect::<Vec<_>>(),
            "protocol": "https",
            "cacert": tls.file("ca.crt"),
            "cert": tls.file("server.crt"),
            "key": tls.file("server.key"),
        },
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
            // initdb's own rules take passwords too, until Patroni replaces them (below).
            "initdb": [
                { "encoding": "UTF8" },
                { "locale": "C.UTF-8" },
                "data-checksums",
                { "auth-local": "scram-sha-256" },
                { "auth-host": "scram-sha-256" },
            ],
        },
        "postgresql": {
            "listen": node.postgres.to_string(),
            "connect_address": node.postgres.to_string(),
            "data_dir": node.data,
            "bin_dir": cluster.bindir,
            "pgpass": dir.join("pgpass"),
            // The whole of pg_hba.conf, rewritten at each start (bootstrap.pg_hba would be added
            // to initdb's rules). No `host` line: TCP without TLS finds no rule and is refused.
            "pg_hba": [
                "local all all scram-sha-256",
                "hostssl replication replicator 127.0.0.1/32 scram-sha-256",
                "hostssl all all 127.0.0.1/32 scram-sha-256",
            ],
            // Patroni's own connections to its server: the socket, with the superuser's password.
            "use_unix_socket": true,
            // A new standby copies the primary at once, not after a spread checkpoint there.
            "basebackup": [{ "checkpoint": "fast" }],
            "authentication": {
                "superuser": verified("postgres", &passwords.superuser),
                "replication": verified("replicator", &passwords.replication),
                "rewind": verified("postgres", &passwords.superuser),
            },
            "parameters": {
                "unix_socket_directories": socket_dir,
                "ssl": "on",
                "ssl_cert_file": tls.file("server.crt"),
                "ssl_key_file": tls.file("server.key"),
                "password_encryption": "scram-sha-256",
            },
        },
    })
}
