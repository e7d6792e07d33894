//! The schema, brought up to this build's: the versioned migrations of `sql/` (tables, indexes,
//! grants, data; applied once each, by refinery), then the functions and triggers of
//! `sql/functions/` (one file each, `CREATE OR REPLACE`, applied again whenever they changed,
//! as Flyway applies its repeatable migrations). Replicas starting together do it once: the
//! first holds an advisory lock while the others wait and then find nothing left to do. See
//! sql/README.md.

use anyhow::Context;
use sha2::{Digest, Sha256};
use tokio_postgres::{Client, NoTls};

use super::describe;

mod migrations {
    refinery::embed_migrations!("sql");
}

/// The functions and triggers, by file name (`sql/functions/{name}.sql`), in name order.
pub const FUNCTIONS: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/functions.rs"));

/// The migration a new database starts from (`sql/V26__baseline.sql`): migrations V1–V26 of
/// earlier builds, in one.
pub const BASELINE: i32 = 26;

/// Session-level advisory lock that serialises migrations across replicas starting together.
/// (The event log's lock is `(1953854575, 1)` and its draw's `(1953854575, 5)`, see
/// `sql/functions/events_append.sql`.)
const MIGRATION_LOCK: (i32, i32) = (1_953_854_575, 0);

/// The digest of [`FUNCTIONS`], recorded in `schema_functions` by the migrating role.
pub fn functions_digest() -> String {
    let mut digest = Sha256::new();
    for (name, text) in FUNCTIONS {
        digest.update(name.as_bytes());
        digest.update([0]);
        digest.update(text.as_bytes());
        digest.update([0]);
    }
    digest.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// The digest of the whole schema this build brings a database to: every versioned migration
/// (by version and checksum) and [`FUNCTIONS`]. Two databases migrated by builds with the same
/// digest have the same schema (the test harness keys its migrated template by it).
pub fn schema_digest() -> String {
    let mut digest = Sha256::new();
    for migration in migrations::migrations::runner().get_migrations() {
        digest.update(migration.version().to_le_bytes());
        digest.update(migration.checksum().to_le_bytes());
    }
    digest.update(functions_digest().as_bytes());
    digest.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// How long `tutorchat migrate` waits for the database to take its connection: an engine that
/// starts the migration step before the database is ready (podman-compose 1.0.3 ignores
/// compose's `condition: service_healthy`; Patroni elects a leader some seconds after start)
/// still migrates, once, instead of failing and leaving the replicas without a schema.
pub const MIGRATE_PATIENCE: std::time::Duration = std::time::Duration::from_secs(120);

/// Waits until the database takes a connection, retrying while it cannot be reached or is still
/// starting (no answer, refused, a name not resolving yet, `57P03`, no server accepting writes),
/// for up to `patience`. A refusal that waiting will not change (a wrong password, a database
/// that does not exist) fails at once.
pub async fn wait_for_database(config: &tokio_postgres::Config, patience: std::time::Duration) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + patience;
    loop {
        let error = match config.connect(NoTls).await {
            Ok((client, connection)) => {
                let driver = tokio::spawn(connection);
                drop(client);
                let _ = driver.await;
                return Ok(());
            }
            Err(error) => error,
        };
        let starting = error.code().is_none_or(|code| *code == tokio_postgres::error::SqlState::CANNOT_CONNECT_NOW);
        if !starting || tokio::time::Instant::now() >= deadline {
            return Err(error)
                .with_context(|| format!("DATABASE_URL: cannot connect to the database ({})", describe(config)));
        }
        tracing::info!(%error, "the database does not take connections yet; retrying");
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
}

/// Brings the schema up to this build's, on its own connection (so the lock dies with it
/// whatever happens): the baseline's history for a database migrated before it, the versioned
/// migrations, then the function files if they changed.
pub async fn migrate(config: &tokio_postgres::Config) -> anyhow::Result<()> {
    let (mut client, connection) = config
        .connect(NoTls)
        .await
        .with_context(|| format!("DATABASE_URL: cannot connect to the database ({})", describe(config)))?;
    let driver = tokio::spawn(connection);
    client
        .execute("SELECT pg_advisory_lock($1, $2)", &[&MIGRATION_LOCK.0, &MIGRATION_LOCK.1])
        .await
        .context("cannot take the migration lock")?;
    let migrated = async {
        rebaseline(&mut client).await?;
        let report =
            migrations::migrations::runner().run_async(&mut client).await.context("database migration failed")?;
        for m in report.applied_migrations() {
            tracing::info!(version = m.version(), name = m.name(), "applied migration");
        }
        apply_functions(&mut client).await?;
        // A log restored from a logical copy carries another cluster's transaction ids.
        let floor: Option<i64> = client.query_one("SELECT log_floor_after_restore()", &[]).await?.get(0);
        if let Some(floor) = floor {
            tracing::warn!(floor, "the log was restored from a logical copy: its events up to here count as settled");
        }
        anyhow::Ok(())
    }
    .await;
    drop(client); // closes the session, which releases the lock even if the run failed
    let _ = driver.await;
    migrated
}

/// A database migrated before the baseline existed is at V26 with V1–V26 in its history: that
/// history becomes the baseline's one row (its schema is the baseline's, and its functions are
/// applied next), so refinery goes on checking every version it knows. One at an older version
/// is refused: only a build from before the baseline can bring it to V26.
async fn rebaseline(client: &mut Client) -> anyhow::Result<()> {
    let has_history: bool =
        client.query_one("SELECT to_regclass('refinery_schema_history') IS NOT NULL", &[]).await?.get(0);
    if !has_history {
        return Ok(());
    }
    let row = client
        .query_one(
            "SELECT max(version), count(*) FILTER (WHERE version < $1) FROM refinery_schema_history",
            &[&BASELINE],
        )
        .await?;
    let (latest, older): (Option<i32>, i64) = (row.get(0), row.get(1));
    match latest {
        None => return Ok(()),
        Some(latest) if latest < BASELINE => anyhow::bail!(
            "DATABASE_URL: the schema is at migration {latest}, older than the baseline (migration {BASELINE}) this build starts from: migrate it first with a tutorchat built before the baseline, then start this one"
        ),
        Some(_) if older == 0 => return Ok(()),
        Some(_) => {}
    }
    let runner = migrations::migrations::runner();
    let baseline = runner
        .get_migrations()
        .iter()
        .find(|m| m.version() == BASELINE)
        .context("the baseline migration is not embedded")?;
    let transaction = client.transaction().await?;
    transaction.execute("DELETE FROM refinery_schema_history WHERE version < $1", &[&BASELINE]).await?;
    transaction
        .execute(
            "UPDATE refinery_schema_history SET name = $2, checksum = $3 WHERE version = $1",
            &[&BASELINE, &baseline.name(), &baseline.checksum().to_string()],
        )
        .await?;
    transaction.commit().await?;
    tracing::info!(version = BASELINE, "the migrations' history before the baseline is now the baseline's");
    Ok(())
}

/// Applies every function file, in one transaction, unless the database has them already (the
/// digest in `schema_functions`): re-creating a trigger locks its table, which a replica's
/// restart must not do to a log in use.
async fn apply_functions(client: &mut Client) -> anyhow::Result<()> {
    let digest = functions_digest();
    let current: Option<String> =
        client.query_opt("SELECT digest FROM schema_functions", &[]).await?.map(|row| row.get(0));
    if current.as_deref() == Some(digest.as_str()) {
        return Ok(());
    }
    let transaction = client.transaction().await?;
    // A function's body may name one whose file comes later in name order.
    transaction.batch_execute("SET LOCAL check_function_bodies = off").await?;
    for (name, text) in FUNCTIONS {
        transaction.batch_execute(text).await.with_context(|| format!("sql/functions/{name}.sql failed"))?;
    }
    transaction
        .execute(
            "INSERT INTO schema_functions (digest) VALUES ($1)
             ON CONFLICT (only_row) DO UPDATE SET digest = excluded.digest, applied_at = now()",
            &[&digest],
        )
        .await?;
    transaction.commit().await?;
    tracing::info!(files = FUNCTIONS.len(), "applied the functions and triggers");
    Ok(())
}

/// [`migrate`] when the connection's role may change the schema; otherwise (a least-privilege
/// runtime role, with migrations run by the owner: `tutorchat migrate` or
/// `MIGRATION_DATABASE_URL`) only checks that they have been, and says what to do if not.
pub async fn migrate_or_check(config: &tokio_postgres::Config) -> anyhow::Result<()> {
    let (client, connection) = config
        .connect(NoTls)
        .await
        .with_context(|| format!("DATABASE_URL: cannot connect to the database ({})", describe(config)))?;
    let driver = tokio::spawn(connection);
    let checked = check(&client).await;
    drop(client);
    let _ = driver.await;
    match checked? {
        Check::MayMigrate => migrate(config).await,
        Check::UpToDate => Ok(()),
    }
}

enum Check {
    MayMigrate,
    UpToDate,
}

async fn check(client: &Client) -> anyhow::Result<Check> {
    let may_migrate: bool = client.query_one("SELECT has_schema_privilege('public', 'CREATE')", &[]).await?.get(0);
    if may_migrate {
        return Ok(Check::MayMigrate);
    }
    const MIGRATE: &str = "run `tutorchat migrate` as the schema's owner (or set MIGRATION_DATABASE_URL)";
    let applied: i32 = client
        .query_one("SELECT coalesce(max(version), 0) FROM refinery_schema_history", &[])
        .await
        .with_context(|| format!("DATABASE_URL: its role may not migrate the database, and cannot read refinery_schema_history: {MIGRATE} first"))?
        .get(0);
    let needed = migrations::migrations::runner().get_migrations().iter().map(|m| m.version()).max().unwrap_or(0);
    if applied < needed {
        anyhow::bail!(
            "DATABASE_URL: the schema is at migration {applied}, this build needs {needed}, and the role of DATABASE_URL may not migrate it: {MIGRATE}"
        );
    }
    let digest: Option<String> =
        client.query_opt("SELECT digest FROM schema_functions", &[]).await?.map(|row| row.get(0));
    if digest != Some(functions_digest()) {
        anyhow::bail!(
            "DATABASE_URL: the schema's functions are not this build's (sql/functions/), and the role of DATABASE_URL may not replace them: {MIGRATE}"
        );
    }
    Ok(Check::UpToDate)
}
