//! Migrations are applied once, also when several replicas start at the same moment.

use crate::helpers::{connect, fresh_database, test_config};
use tutorchat::Application;

/// The migrations shipped in `sql/` (`V{n}__name.sql`).
fn shipped() -> i64 {
    std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/sql"))
        .expect("sql/")
        .filter(|e| e.as_ref().is_ok_and(|e| e.file_name().to_string_lossy().starts_with('V')))
        .count() as i64
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
    assert_eq!(history, (1..=shipped() as i32).map(|v| (v, 1)).collect::<Vec<_>>());
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
    assert_eq!(count, shipped());
}

#[tokio::test]
async fn upgrading_a_database_with_chats_fills_the_chat_list_read_models() {
    let database = fresh_database().await;
    tutorchat::db::migrate_to(&database, refinery::Target::Version(3)).await.expect("migrate to V3");
    let sql = connect(&database).await;
    let user = |email: &str, role: &str| {
        let sql = &sql;
        let (email, role) = (email.to_owned(), role.to_owned());
        async move {
            sql.query_one("INSERT INTO users (email, name, role) VALUES ($1, $1, $2) RETURNING id", &[&email, &role])
                .await
                .expect("user")
                .get::<_, i64>(0)
        }
    };
    let (teacher, student) = (user("t@v3", "teacher").await, user("s@v3", "student").await);
    let quiet_student = user("q@v3", "student").await;
    for s in [student, quiet_student] {
        sql.execute(
            "INSERT INTO lessons (teacher_id, student_id, scheduled_at, status) VALUES ($1, $2, now(), 'completed')",
            &[&teacher, &s],
        )
        .await
        .expect("lesson");
    }
    let chat: i64 =
        sql.query_one("SELECT id FROM chats WHERE student_id = $1", &[&student]).await.expect("chat").get(0);
    let send = |sender: i64, content: &str| {
        let sql = &sql;
        let content = serde_json::json!({ "content": content });
        async move {
            sql.query_one(
                "INSERT INTO events (chat_id, actor_id, type, payload) VALUES ($1, $2, 'message_created', $3)
                 RETURNING (payload ->> 'message_id')::bigint",
                &[&chat, &sender, &content],
            )
            .await
            .expect("message")
            .get::<_, i64>(0)
        }
    };
    send(student, "s1").await;
    let s2 = send(student, "s2").await;
    send(teacher, "t1").await;
    let s3 = send(student, "s3").await;
    for deleted in [s2, s3] {
        sql.execute(
            "INSERT INTO events (chat_id, actor_id, type, payload) VALUES ($1, $2, 'message_deleted', $3)",
            &[&chat, &student, &serde_json::json!({ "message_id": deleted })],
        )
        .await
        .expect("delete");
    }

    tutorchat::db::migrate(&database).await.expect("migrate to the latest version");
    let differences = sql.query("SELECT * FROM audit_replay()", &[]).await.expect("replay");
    assert!(differences.is_empty(), "the backfill matches the log: {} differences", differences.len());
    let (last, count): (Option<String>, i64) = sql
        .query_one(
            "SELECT m.content, c.message_count FROM chats c LEFT JOIN messages m ON m.id = c.last_message_id
             WHERE c.id = $1",
            &[&chat],
        )
        .await
        .map(|r| (r.get(0), r.get(1)))
        .expect("chat");
    assert_eq!((last.as_deref(), count), (Some("t1"), 2), "s3 was deleted: t1 is the newest of s1 and t1");
    let unread: Vec<(i64, i64)> = sql
        .query("SELECT user_id, unread_count FROM chat_participants WHERE chat_id = $1 ORDER BY user_id", &[&chat])
        .await
        .expect("participants")
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(unread, vec![(teacher, 1), (student, 1)], "teacher: s1; student: t1");
    let quiet: (Option<i64>, i64) = sql
        .query_one("SELECT last_message_id, message_count FROM chats WHERE student_id = $1", &[&quiet_student])
        .await
        .map(|r| (r.get(0), r.get(1)))
        .expect("quiet chat");
    assert_eq!(quiet, (None, 0));
}

/// A row of `upload_claims`: uploader, link, teacher, bytes, and whether it still counts 21 hours
/// from now.
type Claim = (i64, Option<i64>, Option<i64>, i64, bool);

/// V17 starts counting upload allowances in `upload_claims`: what was uploaded in the day
/// before the upgrade counts from the start, a guest's upload against their link and its teacher
/// too, so an upgrade does not hand out a fresh allowance.
#[tokio::test]
async fn upgrading_counts_the_last_day_s_uploads_against_the_allowances() {
    let database = fresh_database().await;
    tutorchat::db::migrate_to(&database, refinery::Target::Version(16)).await.expect("migrate to V16");
    let sql = connect(&database).await;
    let teacher: i64 = sql
        .query_one("INSERT INTO users (email, name, role) VALUES ('t@v16', 'T', 'teacher') RETURNING id", &[])
        .await
        .expect("teacher")
        .get(0);
    let link: i64 = sql
        .query_one(
            "INSERT INTO inquiry_links (token, host_id, created_by, title) VALUES ('v16linkv16linkv16link', $1, $1, 'Курсы')
             RETURNING id",
            &[&teacher],
        )
        .await
        .expect("link")
        .get(0);
    let opened = sql.query_one("SELECT chat_id, guest_id FROM inquiry_open('v16linkv16linkv16link', 'Гость')", &[]);
    let (chat, guest): (i64, i64) = opened.await.map(|r| (r.get(0), r.get(1))).expect("inquiry");
    for (uploader, size, age) in [(guest, 700_i64, "1 hour"), (teacher, 300, "2 hours"), (guest, 5_000, "2 days")] {
        sql.execute(
            &format!(
                "INSERT INTO attachments (chat_id, uploader_id, name, content_type, size, sha256, created_at)
                 VALUES ($1, $2, 'a.bin', 'application/octet-stream', $3, repeat('a', 64), now() - interval '{age}')"
            ),
            &[&chat, &uploader, &size],
        )
        .await
        .expect("an upload before V17");
    }

    tutorchat::db::migrate(&database).await.expect("migrate to the latest version");
    let claims: Vec<Claim> = sql
        .query(
            "SELECT uploader_id, link_id, host_id, bytes, counted_until > now() + interval '21 hours'
             FROM upload_claims ORDER BY bytes DESC",
            &[],
        )
        .await
        .expect("claims")
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)))
        .collect();
    assert_eq!(
        claims,
        [(guest, Some(link), Some(teacher), 700, true), (teacher, None, None, 300, true)],
        "the last day's uploads, each counted for 24 hours from its upload; the older one not at all"
    );
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

/// `sql/schema.sql` shows the schema as the migrations leave it (every function in its current
/// definition), so a trigger change is reviewed as its diff. It is generated, never edited:
/// this dumps a freshly migrated database and compares.
#[tokio::test]
async fn sql_schema_sql_is_exactly_what_the_migrations_produce() {
    let database = fresh_database().await;
    tutorchat::db::migrate(&database).await.expect("migrate");
    let config = (*database).clone();
    let bindir = tutorchat::config::pg_bindir_from_env().expect("PG_BINDIR");
    let dumped = tokio::task::spawn_blocking(move || tutorchat::dev::schema::dump(&config, bindir.as_deref()))
        .await
        .expect("task")
        .expect("pg_dump the migrated database");
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/sql/schema.sql")).unwrap_or_default();
    if dumped != committed {
        let first = dumped.lines().zip(committed.lines()).position(|(a, b)| a != b);
        let line = first.unwrap_or_else(|| dumped.lines().count().min(committed.lines().count()));
        panic!(
            "sql/schema.sql differs from the migrated schema from line {}: run `cargo run -- schema` in the repository's root\n migrated:  {:?}\n committed: {:?}",
            line + 1,
            dumped.lines().nth(line),
            committed.lines().nth(line)
        );
    }
    assert!(committed.contains("CREATE FUNCTION public.events_before_insert()"), "the log's trigger is in it");
}
