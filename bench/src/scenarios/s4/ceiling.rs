//! S4's reads beside the database's own ceiling on this machine: the replica's requests per
//! second against pgbench running each request's statements, with the same values, at the same
//! concurrency, in the same round. On two cores shared by the load generator, the replica and
//! PostgreSQL, the ratio says what the replica's own work costs where a latency cannot.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio_postgres::Client;

use crate::load::{self, pgbench_reads, timed_gets};
use crate::scenarios::{Cluster, Server};

/// The history pages sampled, and the requests of each read (the replica's and pgbench's
/// alike). Each sample is a pgbench script, whose statements each of its connections prepares
/// on first use (a replica's pooled connection prepares its one statement once): few samples
/// and many requests keep that a few hundredths of pgbench's transactions.
const HISTORY_SAMPLES: usize = 25;
const HISTORY_REQUESTS: usize = 8_000;
const CHAT_LIST_REQUESTS: usize = 600;

/// One read both ways: from `clients` at a time, the replica's requests per second and
/// pgbench's; and the transactions the database committed per request in each (each statement
/// outside a transaction is one), which shows whether pgbench ran what the replica ran.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Ceiling {
    pub clients: usize,
    pub requests: usize,
    pub replica_per_second: f64,
    pub pgbench_per_second: f64,
    /// Per request (the replica's warm-up counted among them; pgbench's prepared statements,
    /// one per script's statement and connection, are transactions too), less what the
    /// replicas' own jobs commit meanwhile at the rate of a quiet stretch before.
    pub replica_statements: f64,
    pub pgbench_statements: f64,
}

impl Ceiling {
    /// The replica's throughput as a share of pgbench's (the target: at least 0.70).
    pub fn ratio(&self) -> f64 {
        self.replica_per_second / self.pgbench_per_second
    }
}

/// S4's two reads against pgbench.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AgainstPgbench {
    pub history: Ceiling,
    pub chat_list: Ceiling,
}

/// The history page from 8 clients and the chat list of 500 from 4, each on replica 0 (which
/// reads the primary) and then by pgbench. pgbench runs this tree's statements: on a
/// `--compare` build's schema they may not run (a column the reference does not have yet), and
/// then its rounds have the replica's figures beside no ceiling (`None`) rather than no result.
pub(super) async fn against_pgbench(
    cluster: &Cluster,
    server: &Server,
    teacher: i64,
    per_chat: i64,
) -> anyhow::Result<Option<AgainstPgbench>> {
    let sql = &cluster.sql;
    if !server.is_this_tree() {
        for statement in STATEMENTS {
            if let Err(e) = sql.prepare(statement).await {
                let Some(refused) = e.as_db_error() else { return Err(e.into()) };
                let reason = refused.message();
                eprintln!(
                    "S4 against pgbench: not on {}: this tree's statements do not run there: {reason}",
                    server.revision
                );
                return Ok(None);
            }
        }
    }
    let (requests, scripts) = history(sql, per_chat).await?;
    let history = ceiling(cluster, "history", requests, scripts, 8).await?;
    let (requests, script) = chat_list(sql, teacher).await?;
    let chat_list = ceiling(cluster, "chat-list", requests, vec![script], 4).await?;
    eprintln!(
        "S4 against pgbench: history page {:.0} / {:.0} per s from 8 clients ({:.2}; statements a request {:.2} / {:.2}), chat list {:.1} / {:.1} from 4 ({:.2}; {:.2} / {:.2})",
        history.replica_per_second,
        history.pgbench_per_second,
        history.ratio(),
        history.replica_statements,
        history.pgbench_statements,
        chat_list.replica_per_second,
        chat_list.pgbench_per_second,
        chat_list.ratio(),
        chat_list.replica_statements,
        chat_list.pgbench_statements,
    );
    Ok(Some(AgainstPgbench { history, chat_list }))
}

/// The statements pgbench runs for the two reads.
const STATEMENTS: [&str; 4] = [
    tutorchat::access::MEMBERSHIP_WINDOWS_SQL,
    tutorchat::api::HISTORY_SQL,
    tutorchat::api::CHAT_LIST_SQL,
    tutorchat::wire::Presences::SQL,
];

async fn ceiling(
    cluster: &Cluster,
    name: &str,
    requests: Vec<(String, String)>,
    scripts: Vec<String>,
    clients: usize,
) -> anyhow::Result<Ceiling> {
    let sql = &cluster.sql;
    let count = requests.len();
    let mut counter = Committed::start(sql).await?;
    let (_, _, phase) = timed_gets(&cluster.urls[0], requests, clients, 1).await;
    let replica_statements = counter.since(sql).await? / (count + clients * 4) as f64;
    let per_client = count / clients;
    let pgbench_per_second = pgbench_reads(cluster.topology(), name, &scripts, clients, per_client).await?;
    let pgbench_statements = counter.since(sql).await? / (per_client * clients) as f64;
    Ok(Ceiling {
        clients,
        requests: count,
        replica_per_second: phase.per_second,
        pgbench_per_second,
        replica_statements,
        pgbench_statements,
    })
}

/// The transactions the database committed for a piece of work, less those the replicas' own
/// jobs commit meanwhile (their rate measured over a quiet stretch first).
struct Committed {
    last: i64,
    at: Instant,
    background_per_second: f64,
}

impl Committed {
    async fn start(sql: &Client) -> anyhow::Result<Self> {
        let (first, since) = (committed(sql).await?, Instant::now());
        let (last, at) = (committed(sql).await?, Instant::now());
        let background_per_second = (last - first) as f64 / at.duration_since(since).as_secs_f64();
        Ok(Self { last, at, background_per_second })
    }

    /// The transactions committed since the last call, less the background's.
    async fn since(&mut self, sql: &Client) -> anyhow::Result<f64> {
        let (now, at) = (committed(sql).await?, Instant::now());
        let background = self.background_per_second * at.duration_since(self.at).as_secs_f64();
        let work = (now - self.last) as f64 - background;
        (self.last, self.at) = (now, at);
        Ok(work)
    }
}

/// The transactions committed in the database so far, once every backend has reported its
/// own: an idle backend reports what it did at most ten seconds later (`PGSTAT_IDLE_INTERVAL`).
async fn committed(sql: &Client) -> anyhow::Result<i64> {
    tokio::time::sleep(Duration::from_secs(11)).await;
    Ok(sql.query_one("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()", &[]).await?.get(0))
}

/// History pages as S4 asks for them (`limit=50` before the message a fifth of the way into a
/// chat, as its student), 25 chats, each asked for 320 times; and each as a pgbench script of
/// what the replica runs for it: the page; in a group, the student's membership in it first (a
/// replica's hub answers a direct chat's membership itself, never a group's).
async fn history(sql: &Client, per_chat: i64) -> anyhow::Result<(Vec<(String, String)>, Vec<String>)> {
    let samples = sql
        .query(
            "SELECT c.id, (SELECT max(p.user_id) FROM chat_participants p WHERE p.chat_id = c.id),
                    (SELECT id FROM messages m WHERE m.chat_id = c.id ORDER BY id OFFSET $1 LIMIT 1), c.kind = 'direct'
             FROM chats c ORDER BY random() LIMIT $2",
            &[&(per_chat / 5), &(HISTORY_SAMPLES as i64)],
        )
        .await?;
    let (mut requests, mut scripts) = (Vec::new(), Vec::new());
    for row in &samples {
        let (chat, student, before, direct): (i64, i64, i64, bool) = (row.get(0), row.get(1), row.get(2), row.get(3));
        let (from, through, membership) = if direct {
            (vec![0], vec![i64::MAX], String::new())
        } else {
            let windows = sql.query_one(tutorchat::access::MEMBERSHIP_WINDOWS_SQL, &[&student, &vec![chat]]).await?;
            let statement =
                numbered(tutorchat::access::MEMBERSHIP_WINDOWS_SQL, &[":student", &format!("'{{{chat}}}'")]);
            (windows.get("from_positions"), windows.get("through_positions"), format!("{statement};\n"))
        };
        let authors = vec!["NULL"; from.len()].join(",");
        // pgbench's variables are numbers: the arrays and the NULLs are written in place
        // (constants in the plan, as the replica's custom plans make its parameters).
        let page = numbered(
            tutorchat::api::HISTORY_SQL,
            &[
                ":chat",
                ":before",
                "51",
                &format!("'{{{}}}'", join(&from)),
                &format!("'{{{}}}'", join(&through)),
                ":above",
                "1",
                &format!("'{{{authors}}}'"),
            ],
        );
        scripts.push(format!(
            "\\set chat {chat}\n\\set student {student}\n\\set before {before}\n\\set above {}\n{membership}{page};\n",
            before - 1,
        ));
        requests.push((format!("/api/chats/{chat}/messages?limit=50&before_id={before}"), load::token(student)));
    }
    let requests = requests.iter().cycle().take(HISTORY_REQUESTS).cloned().collect();
    Ok((requests, scripts))
}

/// `teacher`'s whole chat list (500 chats), 600 times; and as a pgbench script: the list, then
/// the presence of the 500 people in it.
async fn chat_list(sql: &Client, teacher: i64) -> anyhow::Result<(Vec<(String, String)>, String)> {
    let max = i64::MAX;
    let (kind, pattern) = (None::<&str>, None::<String>);
    let params: [&(dyn tokio_postgres::types::ToSql + Sync); 8] =
        [&Some(teacher), &max, &max, &max, &kind, &pattern, &Some(501i64), &false];
    let rows = sql.query(tutorchat::api::CHAT_LIST_SQL, &params).await?;
    let others: Vec<i64> = rows.iter().filter_map(|r| r.get::<_, Option<i64>>("other_id")).collect();
    let list = numbered(
        tutorchat::api::CHAT_LIST_SQL,
        &[":teacher", ":max", ":max", ":max", "NULL", "NULL", ":limit", ":archived"],
    );
    let presences = numbered(tutorchat::wire::Presences::SQL, &[&format!("'{{{}}}'", join(&others))]);
    let script = format!(
        "\\set teacher {teacher}\n\\set max {max}\n\\set limit 501\n\\set archived false\n{list};\n{presences};\n"
    );
    let requests = (0..CHAT_LIST_REQUESTS).map(|_| ("/api/chats?limit=500".to_owned(), load::token(teacher))).collect();
    Ok((requests, script))
}

/// `sql` with `$1`, `$2`, … replaced by `values` (from the highest number down, so that `$1`
/// never eats the start of `$10`).
fn numbered(sql: &str, values: &[&str]) -> String {
    let mut sql = sql.to_owned();
    for (k, value) in values.iter().enumerate().rev() {
        sql = sql.replace(&format!("${}", k + 1), value);
    }
    sql
}

fn join(values: &[i64]) -> String {
    values.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_replaced_from_the_highest_number_down() {
        assert_eq!(numbered("$1 + $10 - $2", &["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"]), "a + j - b");
    }
}
