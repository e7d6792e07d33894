//! Per-user request rates on one replica (token buckets: a sustained rate and a burst), and the
//! life of inquiry chats with guests, who have no account to answer for them.

use std::time::Duration;

use super::env::{ConfigError, Env, Fallback, Var, defaults};

const RATE_WRITES_PER_SEC: Var = Var {
    name: "RATE_WRITES_PER_SEC",
    default: Fallback::Value("10"),
    meaning: "writes (messages, edits, deletions, read markers, typing, uploads, group changes, lesson completions) one user may make per second on one replica; beyond it 429 with `Retry-After`",
};
const RATE_WRITES_BURST: Var =
    Var { name: "RATE_WRITES_BURST", default: Fallback::Value("50"), meaning: "the same writes in a burst" };
const RATE_STREAM_OPENS_PER_SEC: Var = Var {
    name: "RATE_STREAM_OPENS_PER_SEC",
    default: Fallback::Value("2"),
    meaning: "event streams one user may open per second on one replica; beyond it 429 with `Retry-After`",
};
const RATE_STREAM_OPENS_BURST: Var = Var {
    name: "RATE_STREAM_OPENS_BURST",
    default: Fallback::Value("20"),
    meaning: "the same stream opens in a burst",
};
const RATE_READS_PER_SEC: Var = Var {
    name: "RATE_READS_PER_SEC",
    default: Fallback::Value("20"),
    meaning: "history pages and chat lists one user may read per second on one replica (each may wait for the standby, `READ_WAIT_MS`); beyond it 429 with `Retry-After`",
};
const RATE_READS_BURST: Var =
    Var { name: "RATE_READS_BURST", default: Fallback::Value("100"), meaning: "the same reads in a burst" };
const RATE_GUEST_WRITES_PER_MIN: Var = Var {
    name: "RATE_GUEST_WRITES_PER_MIN",
    default: Fallback::Value("20"),
    meaning: "writes (messages, edits, deletions, read markers, typing) one guest may make per minute on one replica, in bursts of as many; beyond it 429",
};
const RATE_INQUIRY_OPENS_PER_MIN: Var = Var {
    name: "RATE_INQUIRY_OPENS_PER_MIN",
    default: Fallback::Value("60"),
    meaning: "new guests (inquiry chats) one inquiry link may open per minute on one replica, from all addresses together; beyond it 429",
};
const RATE_INQUIRY_OPENS_PER_ADDRESS_PER_MIN: Var = Var {
    name: "RATE_INQUIRY_OPENS_PER_ADDRESS_PER_MIN",
    default: Fallback::Value("3"),
    meaning: "new guests one client address may open per minute on one replica, through any link (the address behind `TRUSTED_PROXIES`); beyond it 429, before the link's own count is touched",
};
const SEARCH_TIMEOUT_MS: Var = Var {
    name: "SEARCH_TIMEOUT_MS",
    default: Fallback::Value("5000"),
    meaning: "how long one search may run in the database before it is stopped (422: narrow it), so that no search holds a connection and a core for long",
};
const RATE_COSTLY_READS_AT_ONCE: Var = Var {
    name: "RATE_COSTLY_READS_AT_ONCE",
    default: Fallback::Value("2"),
    meaning: "searches and exports one person may have running at once on one replica (then 429), so that one person holds at most this many database connections with them",
};
const EXPORT_TIMEOUT_SECS: Var = Var {
    name: "EXPORT_TIMEOUT_SECS",
    default: Fallback::Value("300"),
    meaning: "how long one export may take, its download included, before it is stopped (a stalled client or a huge chat never holds a connection longer)",
};
const SCHEDULED_PER_PERSON: Var = Var {
    name: "SCHEDULED_PER_PERSON",
    default: Fallback::Value("100"),
    meaning: "most messages one person may have waiting (at least 1): scheduled and not sent yet, and, counted apart, held by quiet hours; one more answers 409 `too_many_scheduled`. A due scheduled message is sent within its author's write rate (`RATE_WRITES_PER_SEC`, `RATE_WRITES_BURST`): one over it waits for the sender's next round",
};
const INQUIRY_IDLE_SECS: Var = Var {
    name: "INQUIRY_IDLE_SECS",
    default: Fallback::Value("259200"),
    meaning: "an inquiry chat without a new message for this long (3 days) is closed: read-only, announced by `chat_closed`",
};
const INQUIRY_GUEST_TTL_SECS: Var = Var {
    name: "INQUIRY_GUEST_TTL_SECS",
    default: Fallback::Value("2592000"),
    meaning: "how long (30 days) a guest's credential (its own cookie) lasts",
};
const INQUIRY_BLOCK_ADDRESS_HOURS: Var = Var {
    name: "INQUIRY_BLOCK_ADDRESS_HOURS",
    default: Fallback::Value("24"),
    meaning: "for how long after a teacher blocks an inquiry's visitor the link also refuses new visitors from the address that visitor opened from (kept only as a keyed hash, and only this long; 0: by their credential only)",
};

pub(super) const VARS: &[Var] = &[
    RATE_WRITES_PER_SEC,
    RATE_WRITES_BURST,
    RATE_STREAM_OPENS_PER_SEC,
    RATE_STREAM_OPENS_BURST,
    RATE_READS_PER_SEC,
    RATE_READS_BURST,
    RATE_GUEST_WRITES_PER_MIN,
    RATE_INQUIRY_OPENS_PER_MIN,
    RATE_INQUIRY_OPENS_PER_ADDRESS_PER_MIN,
    SEARCH_TIMEOUT_MS,
    RATE_COSTLY_READS_AT_ONCE,
    EXPORT_TIMEOUT_SECS,
    SCHEDULED_PER_PERSON,
    INQUIRY_IDLE_SECS,
    INQUIRY_GUEST_TTL_SECS,
    INQUIRY_BLOCK_ADDRESS_HOURS,
];

#[derive(Debug, Clone, Copy)]
pub struct RateConfig {
    pub writes_per_sec: u32,
    pub writes_burst: u32,
    pub stream_opens_per_sec: u32,
    pub stream_opens_burst: u32,
    pub reads_per_sec: u32,
    pub reads_burst: u32,
    /// A guest's writes (messages, edits, deletions, read markers), per minute, with a burst of
    /// as many: guests have no account to answer for them.
    pub guest_writes_per_min: u32,
    /// New guests (inquiry chats) per inquiry link, per minute, with a burst of as many.
    pub inquiry_opens_per_min: u32,
    /// New guests per client address, per minute, with a burst of as many.
    pub inquiry_opens_per_address_per_min: u32,
    /// How long one search may run in the database.
    pub search_timeout: std::time::Duration,
    /// Searches and exports one person may have running at once.
    pub costly_reads_at_once: u32,
    /// How long one export may take, its download included.
    pub export_timeout: std::time::Duration,
    /// Most messages one person may have waiting: scheduled and not sent, and (apart) held by
    /// quiet hours. A cap, not a rate: what is waiting is released at once when it is due,
    /// so this bounds how much of it there can be.
    pub scheduled_per_person: u32,
}

impl RateConfig {
    pub(super) fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let requests = |var: &Var| env.parse(var, "a number of requests");
        Ok(Self {
            writes_per_sec: requests(&RATE_WRITES_PER_SEC)?,
            writes_burst: requests(&RATE_WRITES_BURST)?,
            stream_opens_per_sec: requests(&RATE_STREAM_OPENS_PER_SEC)?,
            stream_opens_burst: requests(&RATE_STREAM_OPENS_BURST)?,
            reads_per_sec: requests(&RATE_READS_PER_SEC)?,
            reads_burst: requests(&RATE_READS_BURST)?,
            guest_writes_per_min: requests(&RATE_GUEST_WRITES_PER_MIN)?,
            inquiry_opens_per_min: requests(&RATE_INQUIRY_OPENS_PER_MIN)?,
            inquiry_opens_per_address_per_min: requests(&RATE_INQUIRY_OPENS_PER_ADDRESS_PER_MIN)?,
            search_timeout: match env.parse::<u64>(&SEARCH_TIMEOUT_MS, "a number of milliseconds")? {
                0 => {
                    return Err(ConfigError::new(
                        SEARCH_TIMEOUT_MS.name,
                        "must be at least 1 (0 would mean no deadline)",
                    ));
                }
                ms => std::time::Duration::from_millis(ms),
            },
            costly_reads_at_once: match requests(&RATE_COSTLY_READS_AT_ONCE)? {
                0 => return Err(ConfigError::new(RATE_COSTLY_READS_AT_ONCE.name, "must be at least 1")),
                n => n,
            },
            export_timeout: match env.parse::<u64>(&EXPORT_TIMEOUT_SECS, "a number of seconds")? {
                0 => {
                    return Err(ConfigError::new(
                        EXPORT_TIMEOUT_SECS.name,
                        "must be at least 1 (0 would mean no deadline)",
                    ));
                }
                secs => std::time::Duration::from_secs(secs),
            },
            scheduled_per_person: match env.parse::<u32>(&SCHEDULED_PER_PERSON, "a number of messages")? {
                0 => return Err(ConfigError::new(SCHEDULED_PER_PERSON.name, "must be at least 1")),
                n => n,
            },
        })
    }

    /// No limit a test would notice: tests write in bursts; the limits have tests of their own.
    pub fn unlimited() -> Self {
        Self {
            writes_per_sec: 100_000,
            writes_burst: 100_000,
            stream_opens_per_sec: 100_000,
            stream_opens_burst: 100_000,
            reads_per_sec: 100_000,
            reads_burst: 100_000,
            guest_writes_per_min: 100_000,
            inquiry_opens_per_min: 100_000,
            inquiry_opens_per_address_per_min: 100_000,
            search_timeout: std::time::Duration::from_secs(5),
            costly_reads_at_once: 100_000,
            export_timeout: std::time::Duration::from_secs(300),
            scheduled_per_person: 100_000,
        }
    }
}

impl Default for RateConfig {
    fn default() -> Self {
        defaults(Self::from_env)
    }
}

/// Inquiry chats with guests.
#[derive(Debug, Clone, Copy)]
pub struct InquiryConfig {
    /// An inquiry chat without a new message for this long is closed (read-only).
    pub idle: Duration,
    /// How long a guest's credential lasts.
    pub guest_ttl: Duration,
    /// For how long after a block the blocked visitor's address is refused too (zero: never).
    pub block_address: Duration,
}

impl InquiryConfig {
    pub(super) fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            idle: env.secs(&INQUIRY_IDLE_SECS)?.max(Duration::from_secs(1)),
            guest_ttl: env.secs(&INQUIRY_GUEST_TTL_SECS)?.max(Duration::from_secs(60)),
            block_address: Duration::from_secs(
                env.parse::<u64>(&INQUIRY_BLOCK_ADDRESS_HOURS, "a number of hours")? * 3600,
            ),
        })
    }
}

impl Default for InquiryConfig {
    fn default() -> Self {
        defaults(Self::from_env)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheduled_per_person_is_a_positive_number_of_messages() {
        assert_eq!(RateConfig::default().scheduled_per_person, 100);
        let set = |value| RateConfig::from_env(&Env::of(&[("SCHEDULED_PER_PERSON", value)]));
        assert_eq!(set("7").map(|c| c.scheduled_per_person).ok(), Some(7));
        for bad in ["0", "-1", "many"] {
            assert_eq!(set(bad).err().map(|e| e.var), Some("SCHEDULED_PER_PERSON"), "{bad}");
        }
    }
}
