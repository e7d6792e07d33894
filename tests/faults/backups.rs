//! Backups and the restore drill: the topology's PostgreSQL archived and backed up by pgBackRest
//! into an encrypted repository, restored by `tutorchat restore-drill` to a time between two
//! batches of messages and to the end of the archive, each restored copy audited; and a restore
//! to before an erasure, after which the erasure ledger erases the person again.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use tutorchat::db::embedded::{EmbeddedPostgres, Options};

use crate::helpers::connect;
use crate::support::{self, Cluster};

/// `tutorchat restore-drill <args>` against the topology's repository, live database and
/// storage (the erasure ledger), as an operator runs it: its report, after it succeeded.
async fn restore_drill(cluster: &Cluster, config: &Path) -> impl Fn(&[&str]) -> String {
    let (database_url, storage) = cluster.topology(|t| Ok((t.database_url().to_owned(), t.storage_dir()))).await;
    let config = config.to_owned();
    move |args| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_tutorchat"));
        command.arg("restore-drill").args(args);
        command.env("PGBACKREST_CONFIG", &config).env("DATABASE_URL", &database_url).env("STORAGE_DIR", &storage);
        let out = command.output().expect("run tutorchat restore-drill");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(out.status.success(), "restore-drill failed: {text}{}", String::from_utf8_lossy(&out.stderr));
        eprintln!("{text}");
        text
    }
}

/// Waits until everything committed is in the archive: the segment holding the last commits,
/// switched and pushed.
async fn archive_everything(sql: &tokio_postgres::Client) {
    let segment: String =
        sql.query_one("SELECT pg_walfile_name(pg_switch_wal())", &[]).await.expect("switch the WAL segment").get(0);
    let archived = async {
        loop {
            let row = sql
                .query_one("SELECT coalesce(last_archived_wal, ''), failed_count FROM pg_stat_archiver", &[])
                .await
                .expect("pg_stat_archiver");
            let (last, failed): (String, i64) = (row.get(0), row.get(1));
            assert_eq!(failed, 0, "archive-push failed");
            if last.as_str() >= segment.as_str() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(60), archived).await.expect("the segment archived within a minute");
}

/// The log's time now, as `--to` takes it.
async fn now(sql: &tokio_postgres::Client) -> String {
    sql.query_one("SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')", &[])
        .await
        .expect("the time")
        .get(0)
}

/// 15. A full backup (the topology's first), messages, an incremental backup, more messages, a
/// moment T, more messages: the drill restored to T recovers exactly the log through T's last
/// position, restored to the end of the archive everything, `audit_replay()` finds nothing on
/// either copy, each drill is recorded, and every replica's `/metrics` shows how old the
/// newest backup and the last passed drill are.
#[tokio::test]
async fn the_restore_drill_recovers_a_backup_and_the_archive_to_a_time_between() {
    let _one_at_a_time = support::serial().await;
    let cluster = Cluster::start_with_backups().await;
    let sql = cluster.sql().await;
    let config = cluster.topology(|t| Ok(t.backup_config().map(|p| p.to_owned()))).await.expect("backups are on");

    for i in 0..20 {
        cluster.post_one(&format!("before the incremental backup {i}")).await;
    }
    cluster.topology(|t| t.back_up("incr")).await;
    for i in 0..20 {
        cluster.post_one(&format!("after it {i}")).await;
    }
    let between: (i64, String) = {
        let row = sql
            .query_one(
                "SELECT max(position), to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')
                 FROM events",
                &[],
            )
            .await
            .expect("the log's head and the time");
        (row.get(0), row.get(1))
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    for i in 0..20 {
        cluster.post_one(&format!("after T {i}")).await;
    }
    let head: i64 = sql.query_one("SELECT max(position) FROM events", &[]).await.expect("head").get(0);
    archive_everything(&sql).await;

    let drill = restore_drill(&cluster, &config).await;
    let drill = |to: Option<&str>| drill(&to.map(|to| vec!["--to", to]).unwrap_or_default());
    let to_t = drill(Some(&between.1));
    assert!(to_t.contains(&format!("through position {} ", between.0)), "{to_t}");
    assert!(to_t.contains("audit_replay(): no differences"), "{to_t}");
    let to_end = drill(None);
    assert!(to_end.contains(&format!("through position {head} ")), "{to_end}");

    let rows = sql
        .query(
            "SELECT recovered_position, audit_problems, target_time IS NOT NULL FROM restore_drills ORDER BY id",
            &[],
        )
        .await
        .expect("restore_drills");
    let drills: Vec<(i64, i32, bool)> = rows.iter().map(|r| (r.get(0), r.get(1), r.get(2))).collect();
    assert_eq!(drills, [(between.0, 0, true), (head, 0, false)]);
    let backups: Vec<String> = sql
        .query("SELECT type FROM backups ORDER BY finished_at", &[])
        .await
        .expect("backups")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(backups, ["full", "incr"]);
    for i in 0..3 {
        for name in ["tutorchat_backup_age_seconds", "tutorchat_restore_drill_age_seconds"] {
            let age = cluster.metric_of(i, name).await;
            assert!(age > 0.0 && age < 600.0, "replica {i}: {name} = {age}");
        }
    }
}

/// 15a. The repository is encrypted with a passphrase made at set-up: `pgbackrest info` says
/// `aes-256-cbc`, the repository's own files are ciphertext (OpenSSL's `Salted__` header, not
/// pgBackRest's `[backrest]` INI), and the configuration holding the passphrase belongs to the
/// server's user and nobody else may read it.
#[tokio::test]
async fn the_backup_repository_is_encrypted_and_its_passphrase_readable_by_its_owner_only() {
    use std::os::unix::fs::MetadataExt;

    let _one_at_a_time = support::serial().await;
    let cluster = Cluster::start_with_backups().await;
    let config = cluster.topology(|t| Ok(t.backup_config().map(|p| p.to_owned()))).await.expect("backups are on");

    let stanza = tutorchat::backup::Stanza::new("tutorchat");
    let info = stanza.run(&[&format!("--config={}", config.display()), "--output=json", "info"]).expect("info");
    let info: serde_json::Value = serde_json::from_str(&info).expect("pgbackrest info's JSON");
    assert_eq!(info[0]["cipher"], "aes-256-cbc", "{info}");

    let conf = std::fs::read_to_string(&config).expect("the configuration");
    let pass = conf.lines().find_map(|l| l.strip_prefix("repo1-cipher-pass=")).expect("a passphrase");
    assert!(pass.len() >= 64, "a passphrase of 48 random bytes, base64: {} characters", pass.len());
    let meta = std::fs::metadata(&config).expect("stat the configuration");
    assert_eq!(meta.mode() & 0o777, 0o600, "the configuration is its owner's only");
    let postgres = nix::unistd::User::from_name("postgres").expect("getpwnam").map(|u| u.uid.as_raw());
    let server_user = if nix::unistd::geteuid().is_root() { postgres } else { Some(nix::unistd::geteuid().as_raw()) };
    assert_eq!(Some(meta.uid()), server_user, "owned by the user pgBackRest runs as");

    let repo = config.parent().expect("folder").join("repo");
    let backup_info = std::fs::read(repo.join("backup/tutorchat/backup.info")).expect("backup.info");
    assert!(backup_info.starts_with(b"Salted__"), "backup.info is not ciphertext");
    assert!(!String::from_utf8_lossy(&backup_info).contains("[backrest]"), "backup.info is plaintext");
}

/// Asks through nginx for `user`'s erasure, as `admin`, and waits until it is complete.
async fn erase(cluster: &Cluster, sql: &tokio_postgres::Client, admin: &str, user: i64) {
    let response = reqwest::Client::new()
        .post(format!("{}/api/admin/users/{user}/erase", cluster.url))
        .bearer_auth(admin)
        .json(&serde_json::json!({ "reason": "the parent asked, letter of 2026-11-20" }))
        .send()
        .await
        .expect("erase");
    assert_eq!(response.status(), 202);
    let erased = async {
        loop {
            let row = sql.query_one("SELECT erased_at IS NOT NULL FROM users WHERE id = $1", &[&user]).await;
            if row.expect("user").get(0) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(60), erased).await.expect("the erasure completed within a minute");
}

/// 15b. A pupil's messages, a moment T, then the pupil erased (and a newcomer, created and
/// erased after T): the drill restored to T, which brought the pupil back, erases them again
/// from the erasure ledger, so a `pg_dump` of the restored copy has none of their text, name or
/// email, and `audit_replay()` finds nothing. The newcomer is not in that copy; someone given
/// their id there afterwards is another person, and the ledger leaves them alone.
#[tokio::test]
async fn an_erasure_survives_a_restore_to_before_it_and_spares_whoever_gets_the_id_next() {
    let _one_at_a_time = support::serial().await;
    let cluster = Cluster::start_with_backups().await;
    let sql = cluster.sql().await;
    let config = cluster.topology(|t| Ok(t.backup_config().map(|p| p.to_owned()))).await.expect("backups are on");
    let pair = cluster.pair(1);
    let (pupil, chat) = (&pair.student, pair.chat);
    let http = reqwest::Client::new();
    for (who, text) in [(pupil, "my secret diary: 555-0199"), (&pair.teacher, "the teacher's words stay")] {
        let response = http
            .post(format!("{}/api/messages", cluster.url))
            .bearer_auth(&who.token)
            .json(&serde_json::json!({ "chat_id": chat, "content": text }))
            .send()
            .await
            .expect("post");
        assert_eq!(response.status(), 201);
    }
    let t = now(&sql).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    let newcomer: i64 = sql
        .query_one(
            "INSERT INTO users (email, name, role) VALUES ('newcomer@faults.test', 'Quintus Newcomer', 'student') RETURNING id",
            &[],
        )
        .await
        .expect("a newcomer")
        .get(0);
    erase(&cluster, &sql, cluster.admin_token(), pupil.id).await;
    erase(&cluster, &sql, cluster.admin_token(), newcomer).await;
    archive_everything(&sql).await;

    let scratch = std::env::temp_dir().join(format!("tutorchat-faults-drill-{}", std::process::id()));
    let drill = restore_drill(&cluster, &config).await;
    let report = drill(&["--to", &t, "--keep", "--scratch", &scratch.display().to_string()]);
    assert!(
        report.contains(&format!("erased again the people the restore had brought back: [{}]", pupil.id)),
        "{report}"
    );
    assert!(report.contains("audit_replay(): no differences"), "{report}");

    // The copy the drill restored and erased again, started as a real restore would start it.
    let restored = restored_server(&scratch).await;
    let db = connect(&restored.config("tutorchat")).await;
    let dump = dump(&restored);
    for gone in ["my secret diary", "555-0199", "student1@faults.test"] {
        assert!(!dump.contains(gone), "{gone:?} is back in the restored copy");
    }
    assert!(dump.contains("the teacher's words stay"), "the restore brought back everyone else's messages");
    let problems = db.query("SELECT projection, row_key, problem FROM audit_replay()", &[]).await.expect("replay");
    assert!(problems.is_empty(), "audit_replay found {} differences on the restored copy", problems.len());

    // The newcomer's id given to someone else in the restored copy: the ledger names another
    // account (its creation time differs), so a start-up on it erases nobody.
    let absent: i64 =
        db.query_one("SELECT count(*) FROM users WHERE id = $1", &[&newcomer]).await.expect("count").get(0);
    assert_eq!(absent, 0, "the newcomer came after T");
    db.execute(
        "INSERT INTO users (id, email, name, role) VALUES ($1, 'other@faults.test', 'Another Pupil', 'student')",
        &[&newcomer],
    )
    .await
    .expect("someone else with the id");
    let storage_dir = cluster.topology(|t| Ok(t.storage_dir())).await;
    let storage =
        tutorchat::storage::Storage::open(&tutorchat::config::StorageConfig::local(storage_dir)).expect("storage");
    let pool = tutorchat::db::connect(&restored.config("tutorchat"), 2).await.expect("pool");
    let done = tutorchat::governance::ledger::reapply(&pool, &storage).await.expect("reapply");
    assert_eq!((done.entries, done.asked_again.len()), (2, 0), "{done:?}");
    let asked: bool = db
        .query_one("SELECT erasure_requested_at IS NOT NULL FROM users WHERE id = $1", &[&newcomer])
        .await
        .expect("the other person")
        .get(0);
    assert!(!asked, "someone given an erased person's id after the restore was erased");
}

/// The scratch folder the drill kept, served again (removed when dropped).
async fn restored_server(scratch: &Path) -> EmbeddedPostgres {
    let scratch = scratch.to_owned();
    let options = Options {
        durable: false,
        remove_on_exit: true,
        bindir: tutorchat::config::pg_bindir_from_env().expect("PG_BINDIR"),
        settings: vec![("archive_mode".into(), "off".into())],
    };
    tokio::task::spawn_blocking(move || EmbeddedPostgres::start(&scratch, options))
        .await
        .expect("task")
        .expect("start the restored copy")
}

/// Every row of the server's `tutorchat` database, as `pg_dump --data-only` writes it.
fn dump(server: &EmbeddedPostgres) -> String {
    let output = Command::new(server.bindir().join("pg_dump"))
        .args(["--data-only", "--no-owner", "--dbname"])
        .arg(tutorchat::db::describe(&server.config("tutorchat")))
        .output()
        .expect("run pg_dump");
    assert!(output.status.success(), "pg_dump: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).expect("UTF-8")
}
