//! pgBackRest for the topology's PostgreSQL (`Options::backups`), as docs/backups.md sets it up
//! on a real server: a repository and a configuration of its own in the server's folder, the
//! WAL archived as it fills (or after `archive_timeout`, so a quiet school still has its last
//! minute in the archive), and a first full backup once the schema is in. `tutorchat backup`
//! and `tutorchat restore-drill` then work on it with `PGBACKREST_CONFIG` set to
//! [`Topology::backup_config`].

use std::path::Path;
use std::process::Command;

use anyhow::Context;

use super::Topology;
use crate::backup::{Stanza, run};
use crate::db::embedded::{EmbeddedPostgres, as_server_user};

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
        std::fs::write(&config, configuration(&dir, postgres))
            .with_context(|| format!("cannot write {}", config.display()))?;
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

    /// pgBackRest's configuration for this topology (`PGBACKREST_CONFIG`), if it has backups.
    pub fn backup_config(&self) -> Option<&Path> {
        self.backup_config.as_deref()
    }
}

fn configuration(dir: &Path, postgres: &EmbeddedPostgres) -> String {
    let path = |name: &str| dir.join(name).display().to_string();
    format!(
        "# pgBackRest for tutorchat topology (src/dev/topology/backups.rs; docs/backups.md)\n\
         [global]\n\
         repo1-path={}\nrepo1-retention-full=2\n\
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
