//! Waiting for a new standby's replay by its WAL position rather than by the clock. While the
//! suite's other tests create and migrate a database each, the primary writes WAL about as fast
//! as a standby started in the middle of it replays (under CI's load a fixed 90 s was once not
//! enough), so a standby is given as long as its replay keeps moving, and one that stops says
//! why: its replay position, its WAL receiver's state and the end of its server log.

use std::time::{Duration, Instant};

use tokio_postgres::{Client, NoTls};
use tutorchat::db::embedded::EmbeddedPostgres;

/// How long replay may stand still before the test gives up on the standby.
const STALL: Duration = Duration::from_secs(60);
/// How long it may take in all.
const LIMIT: Duration = Duration::from_secs(300);

/// Waits until `standby` has replayed everything the primary (`primary`: any session on it)
/// has written so far.
pub async fn replayed(primary: &Client, standby: &EmbeddedPostgres) {
    let target: String = primary
        .query_one("SELECT pg_current_wal_insert_lsn()::text", &[])
        .await
        .expect("the primary's WAL position")
        .get(0);
    let (started, mut moved, mut last) = (Instant::now(), Instant::now(), None::<String>);
    let mut session: Option<Client> = None;
    loop {
        if session.as_ref().is_none_or(Client::is_closed) {
            session = connect(&standby.config("postgres")).await;
        }
        if let Some(on_standby) = &session {
            let sql = "SELECT pg_last_wal_replay_lsn()::text, \
                       pg_wal_lsn_diff($1::text::pg_lsn, pg_last_wal_replay_lsn())::float8";
            if let Ok(row) = on_standby.query_one(sql, &[&target]).await {
                let (at, behind): (Option<String>, Option<f64>) = (row.get(0), row.get(1));
                if behind.is_some_and(|b| b <= 0.0) {
                    return;
                }
                if at.is_some() && at != last {
                    (moved, last) = (Instant::now(), at);
                }
            }
        }
        if moved.elapsed() > STALL || started.elapsed() > LIMIT {
            panic!(
                "the standby did not replay up to {target} in {:?} (replayed up to {last:?}, last moved {:?} ago); {}",
                started.elapsed(),
                moved.elapsed(),
                diagnosis(session.as_ref(), standby).await
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A session on the test's database on `standby` once it has replayed the database's creation
/// and everything else the primary has written so far.
pub async fn connect_when_replayed(primary: &Client, standby: &EmbeddedPostgres, database: &str) -> Client {
    replayed(primary, standby).await;
    connect(&standby.config(database)).await.expect("the standby has replayed the test's database")
}

async fn connect(config: &tokio_postgres::Config) -> Option<Client> {
    let (client, connection) = config.connect(NoTls).await.ok()?;
    tokio::spawn(connection);
    Some(client)
}

/// What the standby's WAL receiver says of itself, and the end of its server log.
async fn diagnosis(session: Option<&Client>, standby: &EmbeddedPostgres) -> String {
    let receiver = match session {
        Some(on_standby) => on_standby
            .query_opt("SELECT status || ' up to ' || coalesce(flushed_lsn::text, '?') FROM pg_stat_wal_receiver", &[])
            .await
            .map(|row| row.map_or("no WAL receiver".to_owned(), |r| r.get(0)))
            .unwrap_or_else(|e| format!("pg_stat_wal_receiver: {e}")),
        None => "no session on the standby".to_owned(),
    };
    let log = std::fs::read_to_string(standby.base_dir().join("postgres.log")).unwrap_or_default();
    let tail: Vec<&str> = log.lines().rev().take(20).collect();
    let tail: Vec<&str> = tail.into_iter().rev().collect();
    format!("WAL receiver: {receiver}; the standby's log ends:\n{}", tail.join("\n"))
}
