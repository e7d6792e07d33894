//! Backups by pgBackRest, as the database remembers them, and the restore drill that proves
//! them (docs/backups.md).
//!
//! pgBackRest does the work: full, differential and incremental backups into its repository,
//! the WAL archived continuously (`archive_command`), retention, restores to a point in time.
//! It finds its configuration as it always does (`/etc/pgbackrest/pgbackrest.conf`, or the
//! file `PGBACKREST_CONFIG` names); we only name the stanza. What is ours:
//!
//! - `tutorchat backup` runs a backup, then records every backup of the repository not recorded
//!   yet in the `backups` table, so each replica's `/metrics` shows the age of the newest
//!   (`tutorchat_backup_age_seconds`, see [`ages`]) and psql shows the history;
//! - `tutorchat restore-drill` ([`drill`]) restores the newest backup and the archive, to a
//!   point in time if asked, into a scratch server, runs `audit_replay()` there, reports the
//!   log's last recovered position and its time, and records the drill.

use std::process::{Command, Stdio};

use anyhow::{Context, bail};
use serde::Deserialize;
use time::OffsetDateTime;
use tokio_postgres::Client;

use crate::db::embedded::as_server_user;

pub mod drill;

/// A pgBackRest stanza: the repository's name for one PostgreSQL cluster.
#[derive(Debug, Clone)]
pub struct Stanza {
    pub name: String,
}

/// A backup in the repository, as `pgbackrest info` describes it.
#[derive(Debug, Clone, Deserialize)]
pub struct Backup {
    pub label: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub timestamp: Span,
    pub archive: WalRange,
    pub info: Sizes,
    /// pgBackRest found page checksum errors while copying (a backup to distrust).
    #[serde(default)]
    pub error: Option<bool>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Span {
    pub start: i64,
    pub stop: i64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct WalRange {
    pub start: String,
    pub stop: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Sizes {
    pub size: i64,
    pub repository: StoredSize,
}

#[derive(Debug, Clone, Deserialize)]
pub struct StoredSize {
    pub delta: i64,
}

#[derive(Debug, Deserialize)]
struct StanzaInfo {
    name: String,
    #[serde(default)]
    backup: Vec<Backup>,
    status: Status,
}

#[derive(Debug, Deserialize)]
struct Status {
    code: i64,
    message: String,
}

impl Stanza {
    pub fn new(name: &str) -> Self {
        Self { name: name.to_owned() }
    }

    /// `pgbackrest --stanza=<name> <args>`.
    pub fn plain_command<S: AsRef<std::ffi::OsStr>>(&self, args: &[S]) -> Command {
        let mut command = Command::new("pgbackrest");
        command.arg(format!("--stanza={}", self.name)).args(args);
        command
    }

    /// [`plain_command`](Self::plain_command), run as the user the repository belongs to.
    pub fn command(&self, args: &[&str]) -> anyhow::Result<Command> {
        let mut command = self.plain_command(args);
        as_server_user(&mut command)?;
        Ok(command)
    }

    /// Runs pgBackRest with `args` (see [`run`]).
    pub fn run(&self, args: &[&str]) -> anyhow::Result<String> {
        run(&mut self.command(args)?, &format!("pgbackrest {}", args.join(" ")))
    }

    /// The repository's good backups, oldest first (one pgBackRest flagged for checksum
    /// errors is left out).
    pub fn backups(&self) -> anyhow::Result<Vec<Backup>> {
        let json = self.run(&["--output=json", "info"])?;
        let info: Vec<StanzaInfo> = serde_json::from_str(&json).context("pgbackrest info: unexpected JSON")?;
        let stanza = info
            .into_iter()
            .find(|s| s.name == self.name)
            .with_context(|| format!("pgbackrest info does not know the stanza {}", self.name))?;
        // 0: ok; 2: no backups yet (an empty list then).
        if stanza.status.code != 0 && stanza.status.code != 2 {
            bail!("stanza {}: {}", self.name, stanza.status.message);
        }
        Ok(stanza.backup.into_iter().filter(|b| b.error != Some(true)).collect())
    }

    /// Takes a backup of `kind` (full, diff or incr), then records it and any earlier one not
    /// recorded yet; the newest backup's label.
    pub async fn back_up(&self, kind: &str, db: &Client) -> anyhow::Result<String> {
        if !["full", "diff", "incr"].contains(&kind) {
            bail!("a backup's type is full, diff or incr, not {kind:?}");
        }
        let stanza = self.clone();
        let kind = kind.to_owned();
        let backups = tokio::task::spawn_blocking(move || {
            stanza.run(&[&format!("--type={kind}"), "backup"])?;
            stanza.backups()
        })
        .await??;
        self.record(&backups, db).await?;
        backups.last().map(|b| b.label.clone()).context("pgbackrest lists no backup after taking one")
    }

    /// Inserts the backups `backups` not in the `backups` table yet.
    pub async fn record(&self, backups: &[Backup], db: &Client) -> anyhow::Result<()> {
        let insert = db
            .prepare(
                "INSERT INTO backups (label, stanza, type, started_at, finished_at, wal_start, wal_stop, size_bytes, stored_bytes)
                 VALUES ($1, $2, $3, to_timestamp($4), to_timestamp($5), $6, $7, $8, $9)
                 ON CONFLICT (label) DO NOTHING",
            )
            .await?;
        for b in backups {
            let (start, stop) = (b.timestamp.start as f64, b.timestamp.stop as f64);
            db.execute(
                &insert,
                &[
                    &b.label,
                    &self.name,
                    &b.kind,
                    &start,
                    &stop,
                    &b.archive.start,
                    &b.archive.stop,
                    &b.info.size,
                    &b.info.repository.delta,
                ],
            )
            .await?;
        }
        Ok(())
    }
}

/// Runs `command` (`what`, for the error): its standard output, or, when it fails, its last
/// words (pgBackRest's `ERROR` line, else the last line it wrote).
pub fn run(command: &mut Command, what: &str) -> anyhow::Result<String> {
    let out = command.stdin(Stdio::null()).output().with_context(|| format!("cannot run {what}"))?;
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.status.success() {
        let all = format!("{said}{}", String::from_utf8_lossy(&out.stderr));
        let why = all
            .lines()
            .rev()
            .find(|l| l.contains("ERROR"))
            .or_else(|| all.lines().rev().find(|l| !l.trim().is_empty()));
        bail!("{what} failed: {}", why.unwrap_or("(no output)").trim());
    }
    Ok(said)
}

/// The newest backup that finished at or before `at` (the newest of all without `at`): what
/// a restore to `at` starts from.
pub fn backup_before(backups: &[Backup], at: Option<OffsetDateTime>) -> Option<&Backup> {
    backups.iter().rev().find(|b| at.is_none_or(|at| b.timestamp.stop <= at.unix_timestamp()))
}

/// How old, in seconds, the newest recorded backup and the newest passed restore drill are
/// (`None`: there is none yet). Every replica publishes both in `/metrics`.
pub async fn ages(db: &Client) -> Result<(Option<f64>, Option<f64>), tokio_postgres::Error> {
    let row = db
        .query_one(
            "SELECT extract(epoch FROM now() - (SELECT max(finished_at) FROM backups))::float8,
                    extract(epoch FROM now() - (SELECT max(ran_at) FROM restore_drills WHERE audit_problems = 0))::float8",
            &[],
        )
        .await?;
    Ok((row.get(0), row.get(1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pgbackrest_info_is_read_and_a_restore_starts_from_the_newest_backup_before_its_target() {
        let json = r#"[{"archive":[],"backup":[
            {"archive":{"start":"000000010000000000000003","stop":"000000010000000000000003"},"error":false,
             "info":{"delta":100,"repository":{"delta":40,"size":40},"size":100},"label":"20261124-010000F",
             "timestamp":{"start":1795914000,"stop":1795914010},"type":"full"},
            {"archive":{"start":"000000010000000000000005","stop":"000000010000000000000005"},
             "info":{"delta":10,"repository":{"delta":4,"size":44},"size":110},"label":"20261124-010000F_20261124-020000I",
             "timestamp":{"start":1795917600,"stop":1795917605},"type":"incr"}],
            "name":"tutorchat","status":{"code":0,"message":"ok"}}]"#;
        let info: Vec<StanzaInfo> = serde_json::from_str(json).expect("pgBackRest 2.45's shape");
        let backups = &info[0].backup;
        assert_eq!((backups[0].kind.as_str(), backups[0].info.repository.delta), ("full", 40));
        let at = |unix| OffsetDateTime::from_unix_timestamp(unix).ok();
        assert_eq!(backup_before(backups, None).map(|b| b.kind.as_str()), Some("incr"));
        assert_eq!(backup_before(backups, at(1795917604)).map(|b| b.kind.as_str()), Some("full"));
        assert!(backup_before(backups, at(1795914009)).is_none());
    }
}
