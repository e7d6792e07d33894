//! `tutorchat-dev topology | schema`: the development harness's commands (README.md). The
//! topology runs the `tutorchat` binary built next to this one (`cargo build --workspace`).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use tutorchat::config::ConfigError;
use tutorchat::db::embedded::{EmbeddedPostgres, Options};
use tutorchat::{Config, db, demo, telemetry};
use tutorchat_dev::topology;

#[derive(Parser)]
#[command(version, about = "tutorchat's development harness")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the production topology on this machine: a private PostgreSQL, several replicas and
    /// nginx in front (deploy/nginx.conf), with the demo data. Ctrl-C stops everything.
    Topology {
        #[arg(long, default_value_t = 3)]
        replicas: usize,
        /// nginx's port.
        #[arg(long, default_value_t = 8088)]
        port: u16,
        /// PostgreSQL highly available: etcd and two servers run by Patroni (primary and
        /// synchronous standby), which fail over by themselves (docs/high-availability.md).
        #[arg(long)]
        ha: bool,
    },
    /// Write sql/schema.sql: the schema after every migration, dumped from a private
    /// PostgreSQL (run in the repository's root after adding a migration; a test checks it).
    Schema,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Topology { replicas, port, ha } => {
            Config::from_env(Some(demo::signing_key)).map(|config| run_topology(config, replicas, port, ha))
        }
        Command::Schema => write_schema(),
    };
    match outcome {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(e)) => {
            eprintln!("tutorchat-dev: {e:#}");
            ExitCode::FAILURE
        }
        Err(ConfigError { var, problem }) => {
            eprintln!("tutorchat-dev: {var}: {problem}");
            ExitCode::from(2)
        }
    }
}

/// The server binary the topology runs: `tutorchat`, built next to this one.
fn server_binary() -> anyhow::Result<PathBuf> {
    let here = std::env::current_exe().context("cannot find the tutorchat-dev executable")?;
    let binary = here.with_file_name("tutorchat");
    anyhow::ensure!(
        binary.is_file(),
        "{} is not built: run `cargo build --workspace` (or `cargo build --bin tutorchat`) first",
        binary.display()
    );
    Ok(binary)
}

fn run_topology(config: Config, replicas: usize, port: u16, ha: bool) -> anyhow::Result<()> {
    telemetry::init(config.log_format, &tutorchat::config::log_filter());
    let binary = server_binary()?;
    let secret = String::from_utf8_lossy(config.auth.jwt.secret.expose()).into_owned();
    let mut env = vec![("JWT_SECRET".to_owned(), secret)];
    if let Some(dir) = &config.http.static_dir {
        env.push(("STATIC_DIR".to_owned(), dir.canonicalize().unwrap_or(dir.clone()).display().to_string()));
    }
    let options = topology::Options {
        binary,
        replicas: replicas.max(1),
        front: std::net::SocketAddr::from(([127, 0, 0, 1], port)),
        base: config.db.data_dir.join("topology"),
        durable: true,
        remove_on_exit: false,
        nginx: true,
        env,
        demo: true,
        pg_bindir: config.db.pg_bindir.clone(),
        standby: false,
        pg_settings: Vec::new(),
        backups: !ha && pgbackrest_installed(),
        ha,
    };
    if ha {
        eprintln!(
            "tutorchat-dev: starting etcd and two PostgreSQL servers under Patroni (no pgBackRest in this topology: docs/backups.md)"
        );
    } else if !options.backups {
        eprintln!(
            "tutorchat-dev: pgBackRest is not installed, so the topology runs without backups (apt-get install pgbackrest)"
        );
    }
    let topology = topology::Topology::start(options)?;
    eprintln!("tutorchat-dev: the topology is up; open {} (Ctrl-C stops it)\n{}", topology.url(), topology.describe());
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        let _ = tokio::signal::ctrl_c().await;
    });
    eprintln!("tutorchat-dev: stopping the topology");
    drop(topology);
    Ok(())
}

fn pgbackrest_installed() -> bool {
    std::process::Command::new("pgbackrest").arg("version").output().is_ok_and(|out| out.status.success())
}

/// `tutorchat-dev schema`: migrates a throwaway private PostgreSQL and dumps its schema.
fn write_schema() -> Result<anyhow::Result<()>, ConfigError> {
    let bindir = tutorchat::config::pg_bindir_from_env()?;
    Ok((|| {
        let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
        let base = std::env::temp_dir().join(format!("tutorchat-schema-{}", std::process::id()));
        let options = Options { durable: false, remove_on_exit: true, bindir, settings: Vec::new() };
        let server = EmbeddedPostgres::start(&base, options)?;
        runtime.block_on(async {
            db::ensure_database(&server.config("postgres"), "tutorchat").await?;
            db::migrate(&server.config("tutorchat")).await
        })?;
        let schema = tutorchat_dev::schema::dump(&server.config("tutorchat"), Some(server.bindir()))?;
        std::fs::write("sql/schema.sql", schema)
            .context("cannot write sql/schema.sql (run this in the repository's root)")?;
        eprintln!("tutorchat-dev: wrote sql/schema.sql");
        Ok(())
    })())
}
