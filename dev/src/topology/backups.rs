//! pgBackRest for the topology's PostgreSQL (`Options::backups`), as docs/backups.md sets it up
//! on a real server: a repository and a configuration of its own in the server's folder, the
//! WAL archived as it fills (or after `archive_timeout`, so a quiet school still has its last
//! minute in the archive), and a first full backup once the schema is in. `tutorchat backup`
//! and `tutorchat restore-drill` then work on it with `PGBACKREST_CONFIG` set to
//! [`Topology::backup_config`].
//!
//! The repository is encrypted (`aes-256-cbc`), as a school's must be: its backups hold every
//! message and, until they expire, what was erased since. The passphrase is made here, at
//! set-up, from the system's random source, and lives only in the configuration file, which
//! belongs to the server's user and only it may read (0600): pgBackRest runs as that user.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::process::Command;

use anyhow::Context;
use base64::Engine;
use rand::RngCore;

use super::Topology;
use tutorchat::backup::{Stanza, run};
use tutorchat::db::embedded::{EmbeddedPostgres, as_server_user, give_to_server_user};

/// The stanza: pgBackRest's name for the topology's PostgreSQL.
pub const STANZA: &str = "tutorchat";

/// The server settings archiving needs at start (`archive_command` comes after, by `ALTER
/// SYSTEM`, once the configuration it names exists; until then the server keeps its WAL).
pub fn server_settings() -> Vec<(String, String)> {
    vec![("archive_mode".into(), "on".into()), ("archive_timeout".into(), "60".into())]
}

impl Topology {
    /// Writes pgBackRest's configuration and folders, creates the stanza and starts archiving.
    pub(super) fn set_up_backups(&mut self) -> anyhow::Result<()> {
        let postgres = self.postgres();
        let dir = postgres.base_dir().join("pgbackrest");
        let mut mkdir = Command::new("mkdir");
        mkdir.arg("-p").args(["repo", "log", "lock"].map(|d| dir.join(d)));
        run(as_server_user(&mut mkdir)?, "mkdir")?;
        let config = dir.join("pgbackrest.conf");
        // A topology started again on its folder keeps its passphrase (the repository is
        // encrypted with it: a new one would lock the old backups away), but not the rest: the
        // server's socket folder is new at every start.
        let pass = match std::fs::read_to_string(&config) {
            Ok(text) => text
                .lines()
                .find_map(|line| line.strip_prefix("repo1-cipher-pass="))
                .map(str::to_owned)
                .with_context(|| format!("{} has no repo1-cipher-pass", config.display()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => cipher_pass(),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", config.display())),
        };
        let _ = std::fs::remove_file(&config);
        write_private(&config, &configuration(&dir, postgres, &pass))?;
        Stanza::new(STANZA).run(&[&format!("--config={}", config.display()), "stanza-create"])?;
        let command = format!("pgbackrest --config={} --stanza={STANZA} archive-push %p", config.display());
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        runtime.block_on(async {
            let (client, connection) = postgres.config("postgres").connect(tokio_postgres::NoTls).await?;
            tokio::spawn(connection);
            client
                .execute(&format!("ALTER SYSTEM SET archive_command = '{}'", command.replace('\'', "''")), &[])
                .await?;
            client.execute("SELECT pg_reload_conf()", &[]).await?;
            anyhow::Ok(())
        })?;
        self.backup_config = Some(config);
        Ok(())
    }

    /// `tutorchat backup --type <kind>` against the topology's PostgreSQL and repository.
    pub fn back_up(&self, kind: &str) -> anyhow::Result<()> {
        let config = self.backup_config().context("the topology was started without backups")?;
        let mut command = Command::new(&self.options.binary);
        command.args(["backup", "--type", kind]).env("DATABASE_URL", &self.database_url);
        command.env("PGBACKREST_CONFIG", config).env_remove("MIGRATION_DATABASE_URL");
        run(&mut command, "tutorchat backup").map(drop)
    }

    /// The replicas' shared attachments, where the erasure ledger is too (the restore drill's
    /// `STORAGE_DIR`), unless the environment named another storage.
    pub fn storage_dir(&self) -> std::path::PathBuf {
        self.options.base.join("attachments")
    }

    /// pgBackRest's configuration for this topology (`PGBACKREST_CONFIG`), if it has backups.
    pub fn backup_config(&self) -> Option<&Path> {
        self.backup_config.as_deref()
    }
}

/// A new repository passphrase: 48 random bytes, base64 (as `openssl rand -base64 48`).
fn cipher_pass() -> String {
    let mut bytes = [0u8; 48];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Writes `text` to a new file only its owner may read, then hands it to the server's user.
/// Created 0600, never widened: the passphrase is not readable for a moment in between.
fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(text.as_bytes()).with_context(|| format!("cannot write {}", path.display()))?;
    give_to_server_user(path)
}

fn configuration(dir: &Path, postgres: &EmbeddedPostgres, cipher_pass: &str) -> String {
    let path = |name: &str| dir.join(name).display().to_string();
    format!(
        "# pgBackRest for tutorchat-dev topology (dev/src/topology/backups.rs; docs/backups.md)\n\
         [global]\n\
         repo1-path={}\nrepo1-retention-full=2\n\
         repo1-cipher-type=aes-256-cbc\nrepo1-cipher-pass={cipher_pass}\n\
         log-path={}\nlock-path={}\nlog-level-console=warn\nlog-level-file=info\n\
         start-fast=y\ncompress-type=zst\n\n\
         [{STANZA}]\npg1-path={}\npg1-socket-path={}\npg1-port=5432\npg1-user=postgres\n",
        path("repo"),
        path("log"),
        path("lock"),
        postgres.data_dir().display(),
        postgres.socket_dir().display()
    )
}
