//! The restore drill: the newest backup (before the target time, if one is given) and the WAL
//! archive restored by pgBackRest into a scratch server of this machine's PostgreSQL, recovered
//! to the target (or to the end of the archive) and promoted; then `audit_replay()` there,
//! which rebuilds every projection from the recovered log and lists what differs, and the
//! log's last position and time, which say how far the recovery got. Before the audit, the
//! drill does what a replica does at start on a restored database: it reads the erasure
//! ledger (`governance::ledger`) and erases again, through the log, everyone a restore to
//! before their erasure brought back, so the audit and the report speak of the copy a real
//! restore would serve. (It deletes no file: the storage is the live one, shared with
//! uploads the restored copy does not know.) The scratch server never archives (it would
//! write a second timeline into the repository) and goes when the drill ends, unless kept.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use tokio_postgres::Client;

use super::{Stanza, backup_before};
use crate::config::StorageConfig;
use crate::db::embedded::{EmbeddedPostgres, Options};
use crate::governance::{erasure, ledger};
use crate::storage::Storage;

/// What to restore, and where.
#[derive(Debug, Clone)]
pub struct Drill {
    pub stanza: Stanza,
    /// Recover to this time (the end of the archive: `None`).
    pub target: Option<OffsetDateTime>,
    /// The database holding tutorchat's schema.
    pub database: String,
    /// The scratch server's folder (removed afterwards).
    pub scratch: PathBuf,
    /// PostgreSQL's server binaries (`PG_BINDIR`), as for the private server.
    pub bindir: Option<PathBuf>,
    /// How long the recovery may take before the drill gives up.
    pub wait: Duration,
    /// Where the erasure ledger is (the attachments' storage); `None`: no ledger to apply.
    pub storage: Option<StorageConfig>,
    /// Keep the scratch folder, the server stopped, for inspection (`--keep`).
    pub keep: bool,
}

/// What the drill found.
#[derive(Debug, Clone)]
pub struct Report {
    pub backup: String,
    pub target: Option<OffsetDateTime>,
    /// The log's last position and its event's time, on the restored server.
    pub position: i64,
    pub position_at: Option<OffsetDateTime>,
    pub events: i64,
    pub messages: i64,
    /// What the erasure ledger did on the restored copy (`None`: not read).
    pub ledger: Option<ledger::Reapplied>,
    /// `audit_replay()`'s rows: projection, row, problem; then any erasure of the ledger that
    /// could not be applied again.
    pub problems: Vec<(String, String, String)>,
    pub took: Duration,
}

impl Drill {
    pub async fn run(&self) -> anyhow::Result<Report> {
        let started = Instant::now();
        let stanza = self.stanza.clone();
        let backups = tokio::task::spawn_blocking(move || stanza.backups()).await??;
        let Some(backup) = backup_before(&backups, self.target) else {
            match self.target {
                Some(t) => bail!("no backup of stanza {} finished before {t}", self.stanza.name),
                None => bail!("stanza {} has no backup yet (run tutorchat backup)", self.stanza.name),
            }
        };
        let label = backup.label.clone();
        let mut args = vec![format!("--set={label}")];
        if let Some(target) = self.target {
            let format = format_description!("[year]-[month]-[day] [hour]:[minute]:[second].[subsecond digits:6]+00");
            let at = target.to_offset(time::UtcOffset::UTC).format(&format)?;
            args.extend(["--type=time".to_owned(), format!("--target={at}"), "--target-action=promote".to_owned()]);
        }
        args.push("restore".to_owned());
        let options = Options {
            durable: false,
            remove_on_exit: !self.keep,
            bindir: self.bindir.clone(),
            settings: vec![("archive_mode".into(), "off".into())],
        };
        let (stanza, scratch, wait) = (self.stanza.clone(), self.scratch.clone(), self.wait);
        let server = tokio::task::spawn_blocking(move || {
            EmbeddedPostgres::start_restored(&scratch, options, wait, |data| {
                let mut command = stanza.plain_command(&args);
                command.arg(format!("--pg1-path={}", data.display()));
                command
            })
        })
        .await??;
        let (sql, connection) = server.config(&self.database).connect(tokio_postgres::NoTls).await?;
        tokio::spawn(connection);
        promoted(&sql, self.wait).await?;
        let (position, position_at, events) =
            crate::log::store::summary(&sql).await.context("the restored database has no tutorchat log")?;
        let messages: i64 = sql.query_one("SELECT count(*) FROM messages", &[]).await?.get(0);
        let ledger = match &self.storage {
            Some(storage) => Some(self.erase_again(&server, storage).await?),
            None => None,
        };
        let mut problems: Vec<(String, String, String)> = sql
            .query("SELECT projection, row_key, problem FROM audit_replay()", &[])
            .await?
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect();
        problems.extend(ledger.iter().flat_map(|l| &l.unattributed).map(|(user, admin)| {
            let problem = format!(
                "erased after the target, but admin {admin} who asked is not in this copy: an admin must ask again"
            );
            ("erasure_ledger".to_owned(), format!("user {user}"), problem)
        }));
        drop(sql);
        drop(server);
        Ok(Report {
            backup: label,
            target: self.target,
            position,
            position_at,
            events,
            messages,
            ledger,
            problems,
            took: started.elapsed(),
        })
    }

    /// The erasure ledger applied to the restored copy, as a replica starting on it would: the
    /// erasures it undid asked for again, then carried out by the erasure job's own code.
    async fn erase_again(
        &self,
        server: &EmbeddedPostgres,
        storage: &StorageConfig,
    ) -> anyhow::Result<ledger::Reapplied> {
        let storage = Storage::open(storage)?;
        let pool = crate::db::connect(&server.config(&self.database), 2).await?;
        let done = ledger::reapply(&pool, &storage).await.context("the erasure ledger")?;
        erasure::run_on(&pool, 1000, || async { true }).await.context("erasing again")?;
        Ok(done)
    }
}

/// Waits until the restored server has finished its recovery and been promoted.
async fn promoted(sql: &Client, wait: Duration) -> anyhow::Result<()> {
    let started = Instant::now();
    loop {
        let recovering: bool = sql.query_one("SELECT pg_is_in_recovery()", &[]).await?.get(0);
        if !recovering {
            return Ok(());
        }
        if started.elapsed() > wait {
            bail!("the restored server was still recovering after {} s", wait.as_secs());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

impl Report {
    /// Records the drill in the live database's `restore_drills`.
    pub async fn record(&self, stanza: &Stanza, db: &Client) -> Result<(), tokio_postgres::Error> {
        db.execute(
            "INSERT INTO restore_drills (stanza, target_time, backup_label, recovered_position, recovered_at, audit_problems, took_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[
                &stanza.name,
                &self.target,
                &self.backup,
                &self.position,
                &self.position_at,
                &(self.problems.len() as i32),
                &(self.took.as_millis() as i64),
            ],
        )
        .await
        .map(|_| ())
    }

    /// The report, a line each.
    pub fn lines(&self) -> Vec<String> {
        let time = |t: OffsetDateTime| t.format(&Rfc3339).unwrap_or_else(|_| t.to_string());
        let target = self.target.map_or("the end of the WAL archive".to_owned(), time);
        let mut lines = vec![
            format!(
                "restored backup {} and the WAL archive to {target} in {:.1} s",
                self.backup,
                self.took.as_secs_f64()
            ),
            format!(
                "recovered the log through position {} ({}): {} events, {} messages",
                self.position,
                self.position_at.map_or("no event".to_owned(), time),
                self.events,
                self.messages
            ),
        ];
        if let Some(ledger) = &self.ledger {
            lines.push(format!(
                "erasure ledger: {} entries; erased again the people the restore had brought back: {:?}",
                ledger.entries, ledger.asked_again
            ));
        }
        if self.problems.is_empty() {
            lines.push("audit_replay(): no differences (the projections are exactly what the log replays to)".into());
        } else {
            lines.push(format!("audit_replay(): {} differences, the first ones:", self.problems.len()));
            lines.extend(self.problems.iter().take(20).map(|(p, k, what)| format!("  {p} {k}: {what}")));
        }
        lines
    }
}
