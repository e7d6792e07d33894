//! The database's own work for the write path, measured by pgbench.

use std::time::Duration;

use super::{Percentiles, percentiles};

/// What pgbench measured: messages/s, and with a rate, each transaction's latency from its
/// scheduled start (so a transaction that waited for its turn counts the wait, as S2's do).
pub struct Pgbench {
    pub per_second: f64,
    pub latency: Option<Percentiles>,
}

/// What pgbench writes to.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Table {
    /// The same append as the product's (`events_append`, so the same draw, triggers,
    /// validation, projections and read models), then its NOTIFY after the commit.
    Events,
    /// The plain ceiling: a table with the columns and indexes of `events` and no triggers
    /// (`bench_plain_events`, made by [`plain_table`]), the rows, then one NOTIFY after the
    /// commit.
    Plain,
}

/// `bench_plain_events`: `events`' columns, defaults and indexes (positions from a sequence of
/// its own), without its triggers or foreign keys.
pub async fn plain_table(sql: &tokio_postgres::Client) -> anyhow::Result<()> {
    sql.batch_execute(
        "CREATE TABLE IF NOT EXISTS bench_plain_events (LIKE events INCLUDING DEFAULTS INCLUDING INDEXES);
         CREATE SEQUENCE IF NOT EXISTS bench_plain_positions;
         ALTER TABLE bench_plain_events ALTER COLUMN position SET DEFAULT nextval('bench_plain_positions');",
    )
    .await?;
    Ok(())
}

/// Whether this build appends through `events_append` (else with a plain INSERT).
async fn appends_through_function(topology: &tutorchat_dev::topology::Topology) -> anyhow::Result<bool> {
    let (client, connection) = tokio_postgres::connect(topology.database_url(), tokio_postgres::NoTls).await?;
    let driver = tokio::spawn(connection);
    let row = client.query_one("SELECT to_regproc('events_append') IS NOT NULL", &[]).await?;
    drop(client);
    let _ = driver.await;
    Ok(row.get(0))
}

/// The database's own work for our write: pgbench inserts `per_transaction` messages per
/// statement into `table`, from `clients` connections; flat out, or at `rate` transactions/s
/// (open-loop, latencies logged).
pub async fn pgbench(
    topology: &tutorchat_dev::topology::Topology,
    table: Table,
    per_transaction: i64,
    clients: usize,
    rate: Option<usize>,
    run: Duration,
) -> anyhow::Result<Pgbench> {
    let work = std::env::temp_dir().join(format!("tutorchat-pgbench-{}-{per_transaction}", std::process::id()));
    std::fs::create_dir_all(&work)?;
    let script = work.join("script.sql");
    let insert = |table: &str| {
        format!(
            "INSERT INTO {table} (chat_id, actor_id, type, payload) \
             SELECT c.id, c.student_id, 'message_created', '{{\"content\": \"pgbench message\"}}' \
             FROM chats c, generate_series(1, {per_transaction}) WHERE c.id = :chat;\n"
        )
    };
    // Each as the product appends: the rows in a transaction of their own, then the wake-up
    // after the commit (a NOTIFY inside would hold PostgreSQL's notification lock through the
    // commit's flush). A build from before events_append (a `--compare` reference) appended
    // with a plain INSERT, its NOTIFY inside (the trigger's); the plain ceiling then too.
    let drawn = appends_through_function(topology).await?;
    let body = match table {
        Table::Events if !drawn => insert("events"),
        Table::Plain if !drawn => format!("BEGIN;\n{}NOTIFY bench_plain;\nCOMMIT;\n", insert("bench_plain_events")),
        Table::Events => format!(
            "SELECT count(*) FROM chats c, events_append(array_fill(c.id, ARRAY[{n}]), array_fill(c.student_id, ARRAY[{n}]), \
             array_fill('message_created'::text, ARRAY[{n}]), array_fill('{{\"content\": \"pgbench message\"}}'::jsonb, ARRAY[{n}]), \
             array_fill(NULL::text, ARRAY[{n}]), false) e WHERE c.id = :chat;\nSELECT pg_notify('tutorchat_events', '0');\n",
            n = per_transaction
        ),
        Table::Plain => format!("{}NOTIFY bench_plain;\n", insert("bench_plain_events")),
    };
    std::fs::write(&script, format!("\\set chat random(1, 256)\n{body}"))?;
    let mut command = command(topology, clients);
    command.arg("-T").arg(run.as_secs().max(1).to_string()).arg("-f").arg(&script);
    if let Some(rate) = rate {
        command.arg("-R").arg(rate.to_string()).arg("-l").arg("--log-prefix").arg(work.join("log"));
    }
    let tps = tps(command.arg("tutorchat").output().await?)?;
    // Each log line: client, transaction, latency (µs), script, epoch s, epoch µs[, lag µs].
    let latency = rate.map(|_| {
        let mut samples = Vec::new();
        for file in std::fs::read_dir(&work).into_iter().flatten().flatten() {
            if file.file_name().to_string_lossy().starts_with("log") {
                let log = std::fs::read_to_string(file.path()).unwrap_or_default();
                samples.extend(
                    log.lines()
                        .filter_map(|l| l.split_whitespace().nth(2)?.parse::<u64>().ok())
                        .map(Duration::from_micros),
                );
            }
        }
        percentiles(samples)
    });
    let _ = std::fs::remove_dir_all(&work);
    Ok(Pgbench { per_second: tps * per_transaction as f64, latency })
}

/// The school pgbench's sessions are in, as a replica's are (`tutorchat::db::in_school`): the
/// first, the only one the topology's database holds. (A session that names none looks the one
/// school up for every row it inserts: `sql/functions/current_school.sql`.)
const IN_SCHOOL: &str = "-c tutorchat.school=1";

/// pgbench on the topology's primary, as its superuser, from `clients` connections (two threads),
/// its sessions in the school ([`IN_SCHOOL`]).
fn command(topology: &tutorchat_dev::topology::Topology, clients: usize) -> tokio::process::Command {
    let postgres = topology.postgres();
    // Next to the server binaries, or where their symlinks point (Debian: /usr/lib/postgresql/N/bin).
    let beside = |dir: &std::path::Path| Some(dir.join("pgbench")).filter(|p| p.is_file());
    let pgbench = beside(postgres.bindir())
        .or_else(|| postgres.bindir().join("initdb").canonicalize().ok().and_then(|p| p.parent().and_then(beside)))
        .unwrap_or_else(|| "pgbench".into());
    let mut command = tokio::process::Command::new(pgbench);
    command
        .arg("-h")
        .arg(postgres.socket_dir())
        .args(["-p", "5432", "-U", "postgres", "-n", "-j", "2", "-c"])
        .arg(clients.to_string())
        .env("PGOPTIONS", IN_SCHOOL);
    command
}

/// The transactions per second a finished pgbench printed.
fn tps(output: std::process::Output) -> anyhow::Result<f64> {
    let text = String::from_utf8_lossy(&output.stdout);
    text.lines()
        .find_map(|l| l.strip_prefix("tps = ").and_then(|r| r.split_whitespace().next()).and_then(|v| v.parse().ok()))
        .ok_or_else(|| anyhow::anyhow!("pgbench printed no tps: {text} {}", String::from_utf8_lossy(&output.stderr)))
}

/// Reads as the replicas run them, straight to the database: `scripts` (each one request's
/// statements, pgbench picking one at random for each transaction) from `clients` connections,
/// `per_client` transactions each, prepared once per connection (`-M prepared`, as a
/// replica's pooled connections prepare theirs) under the replicas' session settings
/// (`tutorchat::db::SESSION_SETTINGS`). Transactions (requests) per second.
pub async fn reads(
    topology: &tutorchat_dev::topology::Topology,
    name: &str,
    scripts: &[String],
    clients: usize,
    per_client: usize,
) -> anyhow::Result<f64> {
    anyhow::ensure!((1..=128).contains(&scripts.len()), "pgbench takes 1 to 128 scripts, not {}", scripts.len());
    let work = std::env::temp_dir().join(format!("tutorchat-pgbench-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&work)?;
    let settings: Vec<String> = tutorchat::db::SESSION_SETTINGS
        .iter()
        .map(|(name, value)| format!("-c {name}={value}"))
        .chain([IN_SCHOOL.to_owned()])
        .collect();
    let mut command = command(topology, clients);
    command.env("PGOPTIONS", settings.join(" ")).args(["-M", "prepared", "-t"]).arg(per_client.max(1).to_string());
    for (k, body) in scripts.iter().enumerate() {
        let script = work.join(format!("{k}.sql"));
        std::fs::write(&script, body)?;
        command.arg("-f").arg(script);
    }
    let output = command.arg("tutorchat").output().await;
    let _ = std::fs::remove_dir_all(&work);
    tps(output?)
}
