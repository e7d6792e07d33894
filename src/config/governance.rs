//! Children's data: how long messages are kept, how purges run, and what an export says.

use std::path::PathBuf;
use std::time::Duration;

use super::env::{ConfigError, Env, Fallback, Var, defaults};

const RETENTION_DAYS: Var = Var {
    name: "RETENTION_DAYS",
    default: Fallback::Unset("keep forever"),
    meaning: "purge the content (text, edits' texts, files) of messages older than this many days; what remains is that a message existed, who sent it and when (docs/governance.md); the default of every school, whose admins may set their own number of days (`PATCH /api/school/settings`)",
};
const PURGE_EVERY_SECS: Var = Var {
    name: "PURGE_EVERY_SECS",
    default: Fallback::Value("300"),
    meaning: "how often a replica looks for work to purge: messages past `RETENTION_DAYS`, people whose erasure was asked for (an erasure also starts at once), files of purged uploads",
};
const PURGE_BATCH: Var = Var {
    name: "PURGE_BATCH",
    default: Fallback::Value("500"),
    meaning: "messages purged per transaction (1–1000): each batch holds the log's write lock while it runs",
};
const PURGE_PAUSE_MS: Var = Var {
    name: "PURGE_PAUSE_MS",
    default: Fallback::Value("50"),
    meaning: "pause between two purge batches, leaving the log to the writers",
};
const SCHOOL_NAME: Var = Var {
    name: "SCHOOL_NAME",
    default: Fallback::Value("tutorchat"),
    meaning: "the school's name, at the top of every export; the default of every school, whose admins may set their own (`PATCH /api/school/settings`)",
};
const EXPORT_FONT: Var = Var {
    name: "EXPORT_FONT",
    default: Fallback::Value("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    meaning: "the TrueType font PDF exports are set in (Debian's fonts-dejavu-core); its `-Bold` sibling, when present, sets the headings. Read when the first PDF is asked for, then kept (a font replaced on disk is read after a restart): missing, PDF exports answer 503 until it is there",
};

const EXPORT_FALLBACK_FONT: Var = Var {
    name: "EXPORT_FALLBACK_FONT",
    default: Fallback::Value("/usr/share/fonts/truetype/ancient-scripts/Symbola_hint.ttf"),
    meaning: "the TrueType font that draws what `EXPORT_FONT` lacks in a PDF export, emoji above all (Debian's fonts-symbola, monochrome). Missing: those characters print as the text font's empty box",
};

pub(super) const VARS: &[Var] =
    &[RETENTION_DAYS, PURGE_EVERY_SECS, PURGE_BATCH, PURGE_PAUSE_MS, SCHOOL_NAME, EXPORT_FONT, EXPORT_FALLBACK_FONT];

/// Retention, purges and exports.
#[derive(Debug, Clone)]
pub struct GovernanceConfig {
    /// Messages' content is purged once they are this old (None: kept forever).
    pub retention: Option<time::Duration>,
    pub purge_every: Duration,
    pub purge_batch: i64,
    pub purge_pause: Duration,
    pub school_name: String,
    pub export_font: PathBuf,
    pub export_fallback_font: PathBuf,
}

impl GovernanceConfig {
    pub(super) fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let days: Option<u32> = env.parse_opt(&RETENTION_DAYS, "a whole number of days")?;
        if days == Some(0) {
            return Err(ConfigError::new(RETENTION_DAYS.name, "must be at least 1 (unset: keep forever)"));
        }
        let purge_batch: i64 = env.parse(&PURGE_BATCH, "a number of messages")?;
        if !(1..=1000).contains(&purge_batch) {
            return Err(ConfigError::new(PURGE_BATCH.name, format!("must be 1 to 1000 (got {purge_batch})")));
        }
        Ok(Self {
            retention: days.map(|d| time::Duration::days(i64::from(d))),
            purge_every: env.secs(&PURGE_EVERY_SECS)?.max(Duration::from_secs(1)),
            purge_batch,
            purge_pause: env.millis(&PURGE_PAUSE_MS)?,
            school_name: env.text(&SCHOOL_NAME).unwrap_or_default().to_owned(),
            export_font: PathBuf::from(env.text(&EXPORT_FONT).unwrap_or_default()),
            export_fallback_font: PathBuf::from(env.text(&EXPORT_FALLBACK_FONT).unwrap_or_default()),
        })
    }
}

impl Default for GovernanceConfig {
    fn default() -> Self {
        defaults(Self::from_env)
    }
}
