//! The event streams and what keeps them live: heartbeats, retry hints, per-connection queues
//! and send timeouts, stream counts, the replica's LISTEN connection, and presence.

use std::time::Duration;

use super::env::{ConfigError, Env, Fallback, Var, defaults};

const HEARTBEAT_SECS: Var = Var {
    name: "HEARTBEAT_SECS",
    default: Fallback::Value("30"),
    meaning: "`: heartbeat` comment on every event stream this often, from its start (events never reset it), and a ping on every `/api/v1` socket",
};
const SSE_RETRY_MS: Var = Var {
    name: "SSE_RETRY_MS",
    default: Fallback::Value("3000"),
    meaning: "the `retry:` hint sent to event-stream clients (each stream gets a random value from this to 1.5 times it)",
};
const SSE_QUEUE: Var = Var {
    name: "SSE_QUEUE",
    default: Fallback::Value("1024"),
    meaning: "events a stream may have queued before it is cut off as too slow",
};
const SSE_SEND_TIMEOUT_SECS: Var = Var {
    name: "SSE_SEND_TIMEOUT_SECS",
    default: Fallback::Value("60"),
    meaning: "how long a write to an event stream (or any answer) may wait for the client to take it before the connection closes (the client resumes from its last id)",
};
const SSE_MAX_STREAMS: Var = Var {
    name: "SSE_MAX_STREAMS",
    default: Fallback::Computed("the open-file limit − 256"),
    meaning: "open event streams per replica; beyond it new streams get 503 (before the process runs out of file descriptors)",
};
const SSE_MAX_STREAMS_PER_USER: Var = Var {
    name: "SSE_MAX_STREAMS_PER_USER",
    default: Fallback::Value("16"),
    meaning: "open event streams one user (all their tabs and devices) may have on one replica; beyond it new streams get 429 with `Retry-After`, so one user cannot take a replica's whole `SSE_MAX_STREAMS`",
};
const SSE_MAX_STREAMS_PER_LINK: Var = Var {
    name: "SSE_MAX_STREAMS_PER_LINK",
    default: Fallback::Value("100"),
    meaning: "open event streams the guests of one inquiry link may have together on one replica (a link hands out a new guest to anyone); beyond it new streams get 429",
};
const LISTENER_PROBE_SECS: Var = Var {
    name: "LISTENER_PROBE_SECS",
    default: Fallback::Value("10"),
    meaning: "how often (and how long at most) the log listener checks its connection",
};
const PRESENCE_LEASE_SECS: Var = Var {
    name: "PRESENCE_LEASE_SECS",
    default: Fallback::Value("20"),
    meaning: "a replica's presence lease, renewed every quarter of it: a replica killed with `kill -9` takes its users offline within this plus a quarter (at least 2)",
};
const PRESENCE_GRACE_SECS: Var = Var {
    name: "PRESENCE_GRACE_SECS",
    default: Fallback::Value("5"),
    meaning: "how long a user's last closed stream on a replica still counts as online, so a reconnect within it (to any replica) shows no offline/online flap",
};

pub(super) const VARS: &[Var] = &[
    HEARTBEAT_SECS,
    SSE_RETRY_MS,
    SSE_QUEUE,
    SSE_SEND_TIMEOUT_SECS,
    SSE_MAX_STREAMS,
    SSE_MAX_STREAMS_PER_USER,
    SSE_MAX_STREAMS_PER_LINK,
    LISTENER_PROBE_SECS,
    PRESENCE_LEASE_SECS,
    PRESENCE_GRACE_SECS,
];

/// The event streams.
#[derive(Debug, Clone)]
pub struct SseConfig {
    /// Comment line sent on an idle event stream this often.
    pub heartbeat: Duration,
    /// The `retry:` hint sent to event-stream clients.
    pub retry: Duration,
    /// Frames a connection may have waiting before it is cut off as too slow.
    pub queue: usize,
    /// How long a write to an event stream may wait for the client to take it before the
    /// connection is closed (a client that stopped reading without closing; `serve`).
    pub send_timeout: Duration,
    /// Open event streams this replica accepts; beyond it new streams get 503 (default: the
    /// process's open-file limit less room for the database pool, the listener and REST).
    pub max_streams: usize,
    /// Open event streams one user may have on this replica (tabs and devices); beyond it new
    /// streams get 429, so that one user cannot take the replica's whole `max_streams`.
    pub max_streams_per_user: usize,
    /// Open event streams the guests of one inquiry link may have together on this replica.
    pub max_streams_per_link: usize,
}

impl SseConfig {
    pub(super) fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            heartbeat: env.secs(&HEARTBEAT_SECS)?.max(Duration::from_secs(1)),
            retry: env.millis(&SSE_RETRY_MS)?,
            queue: env.parse::<usize>(&SSE_QUEUE, "a number of events")?.max(1),
            send_timeout: env.secs(&SSE_SEND_TIMEOUT_SECS)?.max(Duration::from_secs(1)),
            max_streams: env.parse_opt(&SSE_MAX_STREAMS, "a number of streams")?.unwrap_or_else(default_max_streams),
            max_streams_per_user: env.parse::<usize>(&SSE_MAX_STREAMS_PER_USER, "a number of streams")?.max(1),
            max_streams_per_link: env.parse::<usize>(&SSE_MAX_STREAMS_PER_LINK, "a number of streams")?.max(1),
        })
    }
}

impl Default for SseConfig {
    fn default() -> Self {
        defaults(Self::from_env)
    }
}

/// The open-file limit less 256 descriptors for everything that is not an event stream.
fn default_max_streams() -> usize {
    let (soft, _) = nix::sys::resource::getrlimit(nix::sys::resource::Resource::RLIMIT_NOFILE).unwrap_or((1024, 1024));
    (soft as usize).saturating_sub(256).max(16)
}

/// The replica's LISTEN connection.
#[derive(Debug, Clone)]
pub struct ListenerConfig {
    /// How often the listener checks that its connection still answers (and how long it waits).
    pub probe: Duration,
}

impl ListenerConfig {
    pub(super) fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self { probe: env.secs(&LISTENER_PROBE_SECS)?.max(Duration::from_secs(1)) })
    }
}

impl Default for ListenerConfig {
    fn default() -> Self {
        defaults(Self::from_env)
    }
}

/// Presence across replicas (see `realtime::presence`).
#[derive(Debug, Clone, Copy)]
pub struct PresenceConfig {
    /// A replica's lease: renewed every quarter of it; once it has expired (the replica died),
    /// its users stop counting as online and are swept.
    pub lease: Duration,
    /// How long a user's last closed stream on a replica still counts, so that a reconnect (to
    /// this or another replica) within it shows no offline/online flap.
    pub grace: Duration,
}

impl PresenceConfig {
    pub(super) fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let presence = Self { lease: env.secs(&PRESENCE_LEASE_SECS)?, grace: env.secs(&PRESENCE_GRACE_SECS)? };
        if presence.lease < Duration::from_secs(2) {
            return Err(ConfigError::new(PRESENCE_LEASE_SECS.name, "must be at least 2 seconds"));
        }
        Ok(presence)
    }
}

impl Default for PresenceConfig {
    fn default() -> Self {
        defaults(Self::from_env)
    }
}
