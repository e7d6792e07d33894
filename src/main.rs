//! `tutorchat serve | migrate`: see README.md.

use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use tokio_util::sync::CancellationToken;
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
    let demo = matches!(cli.command, Command::Serve { demo: true });
    let config = match Config::from_env(demo) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("tutorchat: {e}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(config.log_format);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("tutorchat: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command, config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tutorchat: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, mut config: Config) -> anyhow::Result<()> {
    // Kept alive until `run` returns; dropping it stops the private server.
    let _private = match config.database {
        Some(_) => None,
        None => {
            let base = config.data_dir.join("postgres");
            let server = tokio::task::spawn_blocking(move || {
                EmbeddedPostgres::start(
                    &base,
                    Options {
                        durable: true,
                        remove_on_exit: false,
                    },
                )
            })
            .await??;
            db::ensure_database(&server.config("postgres"), "tutorchat").await?;
            eprintln!(
                "tutorchat: DATABASE_URL is not set, so a private PostgreSQL runs with its data in {}\ntutorchat: inspect it with: {}",
                server.base_dir().display(),
                server.psql_command("tutorchat")
            );
            config.database = Some(server.config("tutorchat"));
            Some(server)
        }
    };

    match command {
        Command::Migrate => {
            let database = config.database.as_ref().context("DATABASE_URL: not set")?;
            db::migrate(database).await?;
            eprintln!("tutorchat: migrations applied");
            Ok(())
        }
        Command::Serve { demo: load_demo } => {
            let app = Application::build(config).await?;
            if load_demo {
                let mut client = app.state().db.get().await?;
                demo::seed(&mut client)
                    .await
                    .context("cannot load the demo data")?;
                eprintln!("tutorchat: demo data loaded; dev login is on");
            }
            eprintln!("tutorchat: listening on http://{}", app.local_addr());
            stop_on_signal(app.shutdown_token());
            app.run_until_stopped().await?;
            eprintln!("tutorchat: stopped");
            Ok(())
        }
    }
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
