//! How messages and deletions are appended to the log: group commit, or one transaction per
//! request for comparison; and whether authors may edit them.

use std::time::Duration;

use super::env::{ConfigError, Env, Fallback, Var, defaults};

const APPEND_MODE: Var = Var {
    name: "APPEND_MODE",
    default: Fallback::Value("batched"),
    meaning: "`batched` (group commit) or `single` (one transaction per request, for comparison)",
};
const APPEND_BATCH_MAX: Var = Var {
    name: "APPEND_BATCH_MAX",
    default: Fallback::Value("256"),
    meaning: "most messages/deletions appended in one transaction",
};
const APPEND_LINGER_MICROS: Var = Var {
    name: "APPEND_LINGER_MICROS",
    default: Fallback::Value("0"),
    meaning: "after the first waiting write, how long the writer waits for more (0: take what is waiting)",
};

const MESSAGE_EDITING: Var = Var {
    name: "MESSAGE_EDITING",
    default: Fallback::Value("off"),
    meaning: "`on`: authors may edit their messages; `off` (the primary spec's rule): edits are refused (`editing_off`) and the client offers none (deleting stays); the default of every school, whose admins may set their own (`PATCH /api/school/settings`)",
};

pub(super) const VARS: &[Var] = &[APPEND_MODE, APPEND_BATCH_MAX, APPEND_LINGER_MICROS, MESSAGE_EDITING];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppendMode {
    /// Group commit: one writer task appends what is waiting in one transaction.
    Batched,
    /// One transaction per request (for comparison).
    Single,
}

#[derive(Debug, Clone, Copy)]
pub struct AppendConfig {
    pub mode: AppendMode,
    /// Most events in one transaction.
    pub max_batch: usize,
    /// After the first waiting event, how long to wait for more before appending (0: take
    /// only what is already waiting; under load the queue fills while the previous batch
    /// commits, which is what makes batches large).
    pub linger: Duration,
    /// Whether authors may edit their messages (`MESSAGE_EDITING`): a school's choice, off by
    /// default as the primary specification says (messages are deleted, never edited);
    /// deleting is always allowed.
    pub editing: bool,
}

impl AppendConfig {
    pub(super) fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            mode: env.choice(&APPEND_MODE, &[("batched", AppendMode::Batched), ("single", AppendMode::Single)])?,
            max_batch: env.parse::<usize>(&APPEND_BATCH_MAX, "a number of events")?.max(1),
            linger: Duration::from_micros(env.parse(&APPEND_LINGER_MICROS, "a number of microseconds")?),
            editing: env.choice(&MESSAGE_EDITING, &[("on", true), ("off", false)])?,
        })
    }
}

impl Default for AppendConfig {
    fn default() -> Self {
        defaults(Self::from_env)
    }
}
