//! Backups and the restore drill: the topology's PostgreSQL archived and backed up by pgBackRest,
//! restored by `tutorchat restore-drill` to a time between two batches of messages and to the end
//! of the archive, each restored copy audited.

use std::process::Command;
use std::time::Duration;

use crate::support::{self, Cluster};

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
    // Everything in the archive: the segment holding the last commits, switched and pushed.
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

    let database_url = cluster.topology(|t| Ok(t.database_url().to_owned())).await;
    let drill = |to: Option<&str>| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_tutorchat"));
        command.arg("restore-drill").env("PGBACKREST_CONFIG", &config).env("DATABASE_URL", &database_url);
        if let Some(to) = to {
            command.args(["--to", to]);
        }
        let out = command.output().expect("run tutorchat restore-drill");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(out.status.success(), "restore-drill failed: {text}{}", String::from_utf8_lossy(&out.stderr));
        eprintln!("{text}");
        text
    };
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
