//! `tutorchat serve | migrate`: see README.md.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use tokio_util::sync::CancellationToken;
use tutorchat::config::{ConfigError, database_from_env};
use tutorchat::db::embedded::{EmbeddedPostgres, Options};
use tutorchat::{Application, Config, db, demo, telemetry};

#[derive(Parser)]
#[command(version, about = "Event-sourced chat for a tutoring school")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API (and run migrations first). Without DATABASE_URL, starts a private
    /// PostgreSQL in DATA_DIR.
    Serve {
        /// Load demo users and lessons and enable dev login.
        #[arg(long)]
        demo: bool,
    },
    /// Apply database migrations and exit.
    Migrate,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("tutorchat: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = match cli.command {
        Command::Serve { demo } => Config::from_env(demo).map(|config| runtime.block_on(serve(config, demo))),
        Command::Migrate => {
            database_from_env().map(|(database, data_dir)| runtime.block_on(migrate(database, &data_dir)))
        }
    };
    match outcome {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(e)) => {
            eprintln!("tutorchat: {e:#}");
            ExitCode::FAILURE
        }
        Err(ConfigError { var, problem }) => {
            eprintln!("tutorchat: {var}: {problem}");
            ExitCode::from(2)
        }
    }
}

/// `DATABASE_URL`, or a private server in `data_dir` (returned so the caller keeps it alive:
/// dropping it stops the server).
async fn database(
    configured: Option<tokio_postgres::Config>,
    data_dir: &Path,
) -> anyhow::Result<(tokio_postgres::Config, Option<EmbeddedPostgres>)> {
    if let Some(config) = configured {
        return Ok((config, None));
    }
    let base = data_dir.join("postgres");
    let options = Options { durable: true, remove_on_exit: false };
    let server = tokio::task::spawn_blocking(move || EmbeddedPostgres::start(&base, options)).await??;
    db::ensure_database(&server.config("postgres"), "tutorchat").await?;
    eprintln!(
        "tutorchat: DATABASE_URL is not set, so a private PostgreSQL runs with its data in {}\ntutorchat: inspect it with: {}",
        server.base_dir().display(),
        server.psql_command("tutorchat")
    );
    Ok((server.config("tutorchat"), Some(server)))
}

async fn migrate(configured: Option<tokio_postgres::Config>, data_dir: &Path) -> anyhow::Result<()> {
    telemetry::init(tutorchat::config::LogFormat::Text);
    let (database, _private) = database(configured, data_dir).await?;
    db::migrate(&database).await?;
    eprintln!("tutorchat: migrations applied");
    Ok(())
}

async fn serve(mut config: Config, load_demo: bool) -> anyhow::Result<()> {
    telemetry::init(config.log_format);
    let (database, _private) = database(config.database.take(), &config.data_dir.clone()).await?;
    config.database = Some(database);
    let app = Application::build(config).await?;
    if load_demo {
        let mut client = app.state().db.get().await?;
        demo::seed(&mut client).await.context("cannot load the demo data")?;
        eprintln!("tutorchat: demo data loaded; dev login is on");
    }
    eprintln!("tutorchat: listening on http://{}", app.local_addr());
    stop_on_signal(app.shutdown_token());
    app.run_until_stopped().await?;
    eprintln!("tutorchat: stopped");
    Ok(())
}

/// SIGINT or SIGTERM cancels the token: the server stops accepting and drains.
fn stop_on_signal(token: CancellationToken) {
    tokio::spawn(async move {
        let terminate = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut s) => {
                    s.recv().await;
                }
                Err(_) => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = terminate => {}
        }
        tracing::info!("shutting down");
        token.cancel();
    });
}
