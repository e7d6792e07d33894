//! Migrations are applied once, also when several replicas start at the same moment.

use crate::helpers::{connect, fresh_database, test_config};
use tutorchat::Application;

/// The versions of the migrations shipped in `sql/` (`V{n}__name.sql`), in order.
fn shipped() -> Vec<i32> {
    let mut versions: Vec<i32> = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/sql"))
        .expect("sql/")
        .filter_map(|e| {
            let name = e.ok()?.file_name().to_string_lossy().into_owned();
            name.strip_prefix('V')?.split_once("__")?.0.parse().ok()
        })
        .collect();
    versions.sort_unstable();
    assert_eq!(versions.first(), Some(&tutorchat::db::BASELINE), "the first migration is the baseline");
    versions
}

#[tokio::test]
async fn replicas_starting_together_apply_each_migration_exactly_once() {
    let database = fresh_database().await;
    let starts = (0..4).map(|_| {
        let config = test_config(database.clone());
        tokio::spawn(async move { Application::build(config).await.map(|app| app.port()) })
    });
    for start in futures::future::join_all(starts).await {
        start.expect("task").expect("every replica starts");
    }
    let sql = connect(&database).await;
    let history: Vec<(i32, i64)> = sql
        .query("SELECT version, count(*) FROM refinery_schema_history GROUP BY version ORDER BY version", &[])
        .await
        .expect("history")
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(history, shipped().into_iter().map(|v| (v, 1)).collect::<Vec<_>>());
    let triggers: Vec<String> = sql
        .query(
            "SELECT tgname::text FROM pg_trigger WHERE tgrelid = 'events'::regclass AND NOT tgisinternal ORDER BY 1",
            &[],
        )
        .await
        .expect("triggers")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        triggers,
        [
            "events_after_insert",
            "events_before_insert",
            "events_immutable",
            "events_member_rule",
            "events_redaction_only"
        ],
        "each trigger on events exists once"
    );
}

#[tokio::test]
async fn migrating_an_up_to_date_database_changes_nothing() {
    let database = fresh_database().await;
    tutorchat::db::migrate(&database).await.expect("first run");
    tutorchat::db::migrate(&database).await.expect("second run");
    let sql = connect(&database).await;
    let count: i64 = sql.query_one("SELECT count(*) FROM refinery_schema_history", &[]).await.expect("count").get(0);
    assert_eq!(count, shipped().len() as i64);
}

/// A database migrated before the baseline existed (V1–V26 in its history, nothing later): its
/// history of V1–V26 becomes the baseline's row, the later migrations and the functions are
/// applied, and its schema is exactly a new database's.
#[tokio::test]
async fn a_database_migrated_before_the_baseline_goes_on_from_it_with_the_same_schema() {
    let database = fresh_database().await;
    let sql = connect(&database).await;
    // What an earlier build left: the baseline's schema with functions of its own, and V1–V26
    // in the history under their old names.
    sql.batch_execute(
        "CREATE TABLE refinery_schema_history (version int4 PRIMARY KEY, name varchar(255), applied_on varchar(255), checksum varchar(255))",
    )
    .await
    .expect("refinery's table");
    sql.batch_execute(include_str!("../../sql/V26__baseline.sql")).await.expect("the baseline's schema");
    sql.batch_execute("SET check_function_bodies = off").await.expect("set");
    // Today's files stand for an earlier build's: those its schema takes (a trigger whose
    // WHEN names a later column, or a policy on a later table, is refused, and its file left
    // out as a whole).
    for (name, text) in tutorchat::db::FUNCTIONS {
        if let Err(e) = sql.batch_execute(text).await {
            use tokio_postgres::error::SqlState;
            let later = [SqlState::UNDEFINED_COLUMN, SqlState::UNDEFINED_TABLE].iter().any(|c| e.code() == Some(c));
            assert!(later, "an earlier build's function {name}: {e}");
        }
    }
    sql.batch_execute(
        "INSERT INTO refinery_schema_history (version, name, applied_on, checksum)
         SELECT v, 'earlier_' || v, '2026-01-01T00:00:00Z', (1000 + v)::text FROM generate_series(1, 26) v;
         COMMENT ON FUNCTION events_apply(events) IS 'an earlier definition'",
    )
    .await
    .expect("an earlier build's history");
    // With a school's people and a lesson in it, which become the first school's.
    sql.batch_execute(
        "INSERT INTO users (email, name, role) VALUES ('t@old.school', 'T', 'teacher'), ('s@old.school', 'S', 'student');
         INSERT INTO lessons (teacher_id, student_id, scheduled_at, status)
         SELECT t.id, s.id, now(), 'scheduled' FROM users t, users s WHERE t.role = 'teacher' AND s.role = 'student'",
    )
    .await
    .expect("an earlier build's data");
    tutorchat::db::migrate(&database).await.expect("migrate an earlier build's database");
    sql.batch_execute("UPDATE lessons SET status = 'completed', completed_at = now()").await.expect("complete");
    let schools: Vec<(String, i64)> = sql
        .query(
            "SELECT 'users', school_id FROM users UNION ALL SELECT 'lessons', school_id FROM lessons
             UNION ALL SELECT 'chats', school_id FROM chats UNION ALL SELECT 'events', school_id FROM events
             ORDER BY 1",
            &[],
        )
        .await
        .expect("schools")
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let first = |table: &str| (table.to_owned(), 1);
    assert_eq!(schools, [first("chats"), first("events"), first("lessons"), first("users"), first("users")]);
    let history: Vec<i32> = sql
        .query("SELECT version FROM refinery_schema_history ORDER BY version", &[])
        .await
        .expect("history")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(history, shipped(), "the baseline's row, then every later migration");
    let baseline: String = sql
        .query_one("SELECT name FROM refinery_schema_history WHERE version = 26", &[])
        .await
        .expect("baseline")
        .get(0);
    assert_eq!(baseline, "baseline");
    assert_eq!(schema_dump(&database).await, committed_schema(), "the same schema as a new database's");
}

#[tokio::test]
async fn a_database_older_than_the_baseline_is_refused_in_one_line() {
    let database = fresh_database().await;
    let sql = connect(&database).await;
    sql.batch_execute(
        "CREATE TABLE refinery_schema_history (version int4 PRIMARY KEY, name varchar(255), applied_on varchar(255), checksum varchar(255));
         INSERT INTO refinery_schema_history VALUES (1, 'schema', '2026-01-01T00:00:00Z', '1'), (2, 'event_log', '2026-01-01T00:00:00Z', '2')",
    )
    .await
    .expect("a database at V2");
    let error = tutorchat::db::migrate(&database).await.expect_err("refused");
    let error = format!("{error:#}");
    assert!(error.contains("the schema is at migration 2, older than the baseline"), "{error}");
    assert!(!error.contains('\n'), "one line: {error}");
}

/// The function files are applied again when they changed (their digest differs from the
/// database's), and not otherwise: re-creating a trigger locks its table, which a restarting
/// replica must not do to a log in use.
#[tokio::test]
async fn function_files_are_applied_again_only_when_they_changed() {
    let database = fresh_database().await;
    tutorchat::db::migrate(&database).await.expect("migrate");
    let sql = connect(&database).await;
    let comment = async || -> Option<String> {
        sql.query_one("SELECT obj_description('events_apply(events)'::regprocedure, 'pg_proc')", &[])
            .await
            .expect("comment")
            .get(0)
    };
    let shipped = comment().await;
    sql.batch_execute("COMMENT ON FUNCTION events_apply(events) IS 'changed by hand'").await.expect("comment");
    tutorchat::db::migrate(&database).await.expect("migrate again");
    assert_eq!(comment().await.as_deref(), Some("changed by hand"), "unchanged files are not applied again");
    let digest: String = sql.query_one("SELECT digest FROM schema_functions", &[]).await.expect("digest").get(0);
    assert_eq!(digest, tutorchat::db::functions_digest());

    sql.batch_execute("UPDATE schema_functions SET digest = 'an earlier build''s'").await.expect("stale");
    tutorchat::db::migrate(&database).await.expect("migrate again");
    assert_eq!(comment().await, shipped, "changed files are applied again");
    assert_eq!(schema_dump(&database).await, committed_schema());
}

#[tokio::test]
async fn the_application_sessions_run_with_their_planner_settings() {
    let database = fresh_database().await;
    let pool = tutorchat::db::connect(&database, 1).await.expect("pool");
    let client = pool.get().await.expect("session");
    for (name, value) in tutorchat::db::SESSION_SETTINGS {
        let shown: String = client.query_one(&format!("SHOW {name}"), &[]).await.expect("show").get(0);
        assert_eq!(&shown, value, "{name}");
    }
}

#[tokio::test]
async fn a_test_database_is_dropped_when_its_last_replica_stops() {
    let app = crate::helpers::TestApp::spawn().await;
    let replica = app.replica().await;
    let name = app.database.get_dbname().expect("a database name").to_owned();
    let admin = connect(&crate::helpers::server()).await;
    let count = |n: &str| {
        let n = n.to_owned();
        let admin = &admin;
        async move {
            admin
                .query_one("SELECT count(*) FROM pg_database WHERE datname = $1", &[&n])
                .await
                .expect("count")
                .get::<_, i64>(0)
        }
    };
    drop(app);
    assert_eq!(count(&name).await, 1, "the other replica still uses it");
    drop(replica);
    assert_eq!(count(&name).await, 0, "dropped with the last replica");
}

/// The schema of `database` as `tutorchat-dev schema` dumps it.
async fn schema_dump(database: &tokio_postgres::Config) -> String {
    let config = database.clone();
    let bindir = tutorchat::config::pg_bindir_from_env().expect("PG_BINDIR");
    tokio::task::spawn_blocking(move || tutorchat_dev::schema::dump(&config, bindir.as_deref()))
        .await
        .expect("task")
        .expect("pg_dump the migrated database")
}

fn committed_schema() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/sql/schema.sql")).unwrap_or_default()
}

/// `sql/schema.sql` shows the schema as the migrations and the function files leave it (every
/// function in its current definition), so a trigger change is reviewed as its diff. It is
/// generated, never edited: this dumps a freshly migrated database and compares.
#[tokio::test]
async fn sql_schema_sql_is_exactly_what_the_migrations_produce() {
    let database = fresh_database().await;
    tutorchat::db::migrate(&database).await.expect("migrate");
    let dumped = schema_dump(&database).await;
    let committed = committed_schema();
    if dumped != committed {
        let first = dumped.lines().zip(committed.lines()).position(|(a, b)| a != b);
        let line = first.unwrap_or_else(|| dumped.lines().count().min(committed.lines().count()));
        panic!(
            "sql/schema.sql differs from the migrated schema from line {}: run `cargo run -p tutorchat-dev -- schema` in the repository's root\n migrated:  {:?}\n committed: {:?}",
            line + 1,
            dumped.lines().nth(line),
            committed.lines().nth(line)
        );
    }
    assert!(committed.contains("CREATE FUNCTION public.events_before_insert()"), "the log's trigger is in it");
}

/// Every function and trigger is defined once, in its own file of `sql/functions/`: no migration
/// restates one.
#[tokio::test]
async fn no_migration_defines_a_function_or_a_trigger() {
    for entry in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/sql")).expect("sql/") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "sql") || path.ends_with("schema.sql") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("read").to_uppercase();
        for definition in
            ["CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", "CREATE TRIGGER", "CREATE OR REPLACE TRIGGER"]
        {
            assert!(!text.contains(definition), "{} has {definition}: put it in sql/functions/", path.display());
        }
    }
}
