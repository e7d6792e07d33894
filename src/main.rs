//! `tutorchat serve | migrate | provisioning-client | backup | restore-drill | config-doc | openapi |
//! vapid-keys`: see
//! README.md. The development harness (`tutorchat-dev topology | schema`) is the `dev/` crate.

use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use tokio_util::sync::CancellationToken;
use tutorchat::backup::Stanza;
use tutorchat::backup::drill::Drill;
use tutorchat::config::{
    ConfigError, DbConfig, DemoKey, database_from_env, migration_database_from_env, storage_from_env,
};
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
    Migrate {
        /// Also load the demo users and lessons.
        #[arg(long)]
        demo: bool,
    },
    /// Manage the school's provisioning clients (its identity provider's SCIM, its timetable):
    /// each holds one bearer token, printed once, of which the database keeps only a hash. On
    /// the schema owner's connection (MIGRATION_DATABASE_URL, else DATABASE_URL).
    ProvisioningClient {
        #[command(subcommand)]
        action: ClientAction,
    },
    /// Back up the database with pgBackRest (its own configuration, e.g.
    /// /etc/pgbackrest/pgbackrest.conf), then record the repository's backups in the database
    /// (DATABASE_URL), whose /metrics show the newest one's age. docs/backups.md.
    Backup {
        /// The pgBackRest stanza.
        #[arg(long, default_value = "tutorchat")]
        stanza: String,
        /// full, diff (what changed since the last full) or incr (since the last backup).
        #[arg(long = "type", default_value = "full")]
        kind: String,
    },
    /// Restore the newest backup and the WAL archive (to --to, if given) into a scratch server
    /// of this machine's PostgreSQL, run audit_replay() there, report the last recovered
    /// position and its time, and record the drill in DATABASE_URL's database when it is set.
    /// Exits 1 when the audit finds a difference. docs/backups.md.
    RestoreDrill {
        /// The pgBackRest stanza.
        #[arg(long, default_value = "tutorchat")]
        stanza: String,
        /// Recover to this time (RFC 3339); by default to the end of the archive.
        #[arg(long, value_parser = parse_time)]
        to: Option<time::OffsetDateTime>,
        /// The database holding tutorchat's schema.
        #[arg(long, default_value = "tutorchat")]
        database: String,
        /// The scratch server's folder (it needs the database's size; removed afterwards).
        #[arg(long)]
        scratch: Option<std::path::PathBuf>,
        /// How long the recovery may take, in seconds.
        #[arg(long, default_value_t = 3600)]
        wait_secs: u64,
        /// Keep the scratch folder (the restored data, its server stopped) to inspect it.
        #[arg(long)]
        keep: bool,
    },
    /// Write docs/configuration.md from the variables declared in src/config/ (run in the
    /// repository's root after changing one; a test checks that the file is current).
    ConfigDoc,
    /// Print the OpenAPI document (as `GET /api/openapi.json` serves it) to standard output:
    /// what the web client's types are generated from.
    Openapi,
    /// Print a new VAPID key pair for Web Push (PUSH_VAPID_PRIVATE_KEY, and the public key
    /// browsers subscribe with), as configuration lines.
    VapidKeys,
    /// Import the school's people and lessons from CSV files (DATABASE_URL): every line is
    /// checked first, and nothing changes if any is wrong; --dry-run says what would change.
    Import(tutorchat::import::ImportArgs),
}

#[derive(Subcommand)]
enum ClientAction {
    /// Create a client and print its token (shown this once).
    Create {
        /// Its name, as the log's events name it (letters, digits, dots, dashes, underscores).
        name: String,
        /// What it may call: scim (people), lessons (the timetable), or both.
        #[arg(long, value_delimiter = ',', required = true)]
        scopes: Vec<String>,
    },
    /// Give a client a new token (printed) and make its old one stop working.
    Rotate { name: String },
    /// Refuse a client's token from now on, for good.
    Revoke { name: String },
    /// List the clients, their scopes and when they were created, rotated, revoked.
    List,
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
        Command::Serve { demo } => Config::from_env(demo.then_some(demo::signing_key as DemoKey))
            .map(|config| runtime.block_on(serve(config, demo))),
        Command::Migrate { demo } => migration_database_from_env().and_then(|owner| {
            database_from_env().map(|(database, db)| runtime.block_on(migrate(owner.or(database), &db, demo)))
        }),
        Command::ProvisioningClient { action } => migration_database_from_env().and_then(|owner| {
            database_from_env()
                .map(|(database, db)| runtime.block_on(provisioning_client(owner.or(database), &db, action)))
        }),
        Command::Backup { stanza, kind } => database_from_env().and_then(|(database, _)| {
            let database = database.ok_or(ConfigError::new(
                "DATABASE_URL",
                "required by tutorchat backup: the backups are recorded in the database they back up",
            ))?;
            Ok(runtime.block_on(back_up(&database, &Stanza::new(&stanza), &kind)))
        }),
        Command::RestoreDrill { stanza, to, database, scratch, wait_secs, keep } => {
            database_from_env().and_then(|(live, db)| {
                // The erasure ledger is where the replicas keep attachments (STORAGE_DIR or S3_BUCKET).
                let storage = storage_from_env(&db.data_dir)?;
                if let tutorchat::config::StorageBackend::Local(dir) = &storage.backend
                    && !dir.is_dir()
                {
                    let problem = format!(
                        "{} does not exist: the drill reads the erasure ledger where the replicas keep attachments",
                        dir.display()
                    );
                    return Err(ConfigError::new("STORAGE_DIR", problem));
                }
                let scratch = scratch.unwrap_or_else(|| {
                    std::env::temp_dir().join(format!("tutorchat-restore-drill-{}", std::process::id()))
                });
                let drill = Drill {
                    stanza: Stanza::new(&stanza),
                    target: to,
                    database,
                    scratch,
                    bindir: db.pg_bindir,
                    wait: std::time::Duration::from_secs(wait_secs),
                    storage: Some(storage),
                    keep,
                };
                Ok(runtime.block_on(restore_drill(&drill, live)))
            })
        }
        Command::ConfigDoc => write_file("docs/configuration.md", &tutorchat::config::reference()),
        Command::Openapi => Ok(serde_json::to_string_pretty(&tutorchat::api::openapi::document())
            .map_err(anyhow::Error::from)
            .map(|text| println!("{text}"))),
        Command::VapidKeys => Ok(tutorchat::outbox::push::wire::new_key_pair().map(|lines| print!("{lines}"))),
        Command::Import(args) => {
            database_from_env().map(|(database, db)| runtime.block_on(import(database, &db, &args)))
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

/// `DATABASE_URL`, or a private server in `DATA_DIR` (returned so the caller keeps it alive:
/// dropping it stops the server).
async fn database(
    configured: Option<tokio_postgres::Config>,
    db: &DbConfig,
) -> anyhow::Result<(tokio_postgres::Config, Option<EmbeddedPostgres>)> {
    if let Some(config) = configured {
        return Ok((config, None));
    }
    let base = db.data_dir.join("postgres");
    let options = Options { durable: true, remove_on_exit: false, bindir: db.pg_bindir.clone(), settings: Vec::new() };
    let server = tokio::task::spawn_blocking(move || EmbeddedPostgres::start(&base, options)).await??;
    db::ensure_database(&server.config("postgres"), "tutorchat").await?;
    eprintln!(
        "tutorchat: DATABASE_URL is not set, so a private PostgreSQL runs with its data in {}\ntutorchat: inspect it with: {}",
        server.base_dir().display(),
        server.psql_command("tutorchat")
    );
    Ok((server.config("tutorchat"), Some(server)))
}

/// `tutorchat migrate`: as the schema's owner (`MIGRATION_DATABASE_URL`, else `DATABASE_URL`).
async fn migrate(configured: Option<tokio_postgres::Config>, db: &DbConfig, load_demo: bool) -> anyhow::Result<()> {
    telemetry::init(tutorchat::config::LogFormat::Text, &tutorchat::config::log_filter());
    let (database, _private) = database(configured, db).await?;
    db::wait_for_database(&database, db::MIGRATE_PATIENCE).await?;
    db::migrate(&database).await?;
    eprintln!("tutorchat: migrations applied");
    if load_demo {
        seed_demo(&database).await?;
        eprintln!("tutorchat: demo data loaded");
    }
    Ok(())
}

/// `tutorchat provisioning-client`.
async fn provisioning_client(
    configured: Option<tokio_postgres::Config>,
    db: &DbConfig,
    action: ClientAction,
) -> anyhow::Result<()> {
    use tutorchat::provisioning::{Scope, clients};
    let (database, _private) = database(configured, db).await?;
    db::wait_for_database(&database, db::MIGRATE_PATIENCE).await?;
    let (client, connection) = database.connect(tokio_postgres::NoTls).await?;
    let driver = tokio::spawn(connection);
    match action {
        ClientAction::Create { name, scopes } => {
            let scopes = scopes
                .iter()
                .map(|s| Scope::parse(s).ok_or_else(|| anyhow::anyhow!("unknown scope {s:?}: scim or lessons")))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let token = clients::create(&client, &name, &scopes).await?;
            eprintln!("tutorchat: provisioning client {name} created; its token (shown once):");
            println!("{token}");
        }
        ClientAction::Rotate { name } => {
            let token = clients::rotate(&client, &name).await?;
            eprintln!("tutorchat: provisioning client {name} has a new token (the old one works no more):");
            println!("{token}");
        }
        ClientAction::Revoke { name } => {
            clients::revoke(&client, &name).await?;
            eprintln!("tutorchat: provisioning client {name} revoked");
        }
        ClientAction::List => {
            let stamp = |at: Option<time::OffsetDateTime>| at.map_or_else(|| "-".to_owned(), |at| at.to_string());
            println!("name\tscopes\tcreated\trotated\trevoked");
            for c in clients::list(&client).await? {
                let (created, rotated, revoked) = (stamp(Some(c.created_at)), stamp(c.rotated_at), stamp(c.revoked_at));
                println!("{}\t{}\t{created}\t{rotated}\t{revoked}", c.name, c.scopes.join(","));
            }
        }
    }
    drop(client);
    let _ = driver.await;
    Ok(())
}

/// Loads the demo users and lessons, on a connection of the schema's owner (the replicas' own
/// role may not write users or lessons).
async fn seed_demo(owner: &tokio_postgres::Config) -> anyhow::Result<()> {
    let (mut client, connection) = owner.connect(tokio_postgres::NoTls).await?;
    let driver = tokio::spawn(connection);
    demo::seed(&mut client).await.context("cannot load the demo data")?;
    drop(client);
    let _ = driver.await;
    Ok(())
}

async fn serve(mut config: Config, load_demo: bool) -> anyhow::Result<()> {
    telemetry::init(config.log_format, &tutorchat::config::log_filter());
    let (database, _private) = database(config.database.take(), &config.db).await?;
    config.database = Some(database);
    let stop_on_eof = config.stop_on_eof;
    if config.auth.dev_login && !load_demo {
        tracing::warn!(
            "DEV_LOGIN is on without --demo: anyone who reaches this server can sign in as any user, admins included. Never set it in production."
        );
    }
    let owner = config.migration_database.clone().or(config.database.clone());
    let app = Application::build(config).await?;
    if load_demo && let Some(owner) = owner {
        seed_demo(&owner).await?;
        eprintln!("tutorchat: demo data loaded; dev login is on");
    }
    eprintln!("tutorchat: listening on http://{}", app.local_addr());
    if load_demo {
        let path = demo::DEMO_INQUIRY_PATH;
        eprintln!(
            "tutorchat: ask Иван as a visitor without an account: http://{}{path} (in a private window)",
            app.local_addr()
        );
    }
    stop_on_signal(app.shutdown_token(), stop_on_eof);
    app.run_until_stopped().await?;
    eprintln!("tutorchat: stopped");
    Ok(())
}

fn parse_time(text: &str) -> Result<time::OffsetDateTime, String> {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .map_err(|e| format!("not an RFC 3339 time such as 2026-11-24T10:00:00Z ({e})"))
}

/// `tutorchat backup`.
async fn back_up(database: &tokio_postgres::Config, stanza: &Stanza, kind: &str) -> anyhow::Result<()> {
    let (client, connection) = database.connect(tokio_postgres::NoTls).await?;
    tokio::spawn(connection);
    let label = stanza.back_up(kind, &client).await?;
    eprintln!("tutorchat: backup {label} taken and recorded");
    Ok(())
}

/// `tutorchat restore-drill`: the report on standard output; an error when the audit found a
/// difference.
async fn restore_drill(drill: &Drill, live: Option<tokio_postgres::Config>) -> anyhow::Result<()> {
    let report = drill.run().await?;
    for line in report.lines() {
        println!("{line}");
    }
    if drill.keep {
        println!("kept the restored copy in {}", drill.scratch.display());
    }
    if let Some(live) = live {
        let (client, connection) = live.connect(tokio_postgres::NoTls).await?;
        tokio::spawn(connection);
        report.record(&drill.stanza, &client).await.context("cannot record the drill in restore_drills")?;
        println!("recorded in restore_drills");
    }
    if !report.problems.is_empty() {
        anyhow::bail!("the restored database is not what its log replays to");
    }
    Ok(())
}

/// Writes a generated file and says so (`Ok` in the configuration's terms: nothing to name).
fn write_file(path: &str, text: &str) -> Result<anyhow::Result<()>, ConfigError> {
    Ok(std::fs::write(path, text)
        .with_context(|| format!("cannot write {path} (run this in the repository's root)"))
        .map(|()| eprintln!("tutorchat: wrote {path}")))
}

/// SIGINT or SIGTERM cancels the token: the server stops accepting and drains. With
/// `stop_on_eof` (`TUTORCHAT_STOP_ON_EOF=1`, set by `tutorchat-dev topology` for its replicas) so
/// does the end of standard input, so a replica never outlives the process that started it.
fn stop_on_signal(token: CancellationToken, stop_on_eof: bool) {
    if stop_on_eof {
        let token = token.clone();
        std::thread::spawn(move || {
            let _ = std::io::copy(&mut std::io::stdin(), &mut std::io::sink());
            token.cancel();
        });
    }
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

/// `tutorchat import`, on the replicas' connection: it writes as the application does.
async fn import(
    configured: Option<tokio_postgres::Config>,
    db: &DbConfig,
    args: &tutorchat::import::ImportArgs,
) -> anyhow::Result<()> {
    let (database, _private) = database(configured, db).await?;
    let (mut client, connection) = database.connect(tokio_postgres::NoTls).await?;
    let driver = tokio::spawn(connection);
    let outcome = tutorchat::import::run(&mut client, args).await;
    drop(client);
    let _ = driver.await;
    outcome
}
