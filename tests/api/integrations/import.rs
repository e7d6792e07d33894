//! `tutorchat import --users people.csv --lessons lessons.csv [--dry-run]`, the real binary on
//! the test's database: every bad line reported by its line, nothing changed unless all are
//! good, the same files twice change nothing the second time.

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::json;

use super::count;
use crate::binary::config_url;
use crate::helpers::{TestApp, User, status_and_json, token_for};

const PEOPLE: &str = "external_id,email,name,role
t-1,ivan@school.example,Иван Петрович,teacher
s-1,maria@school.example,Мария,student
s-2,alex@school.example,Alex Kim,student
";

/// The same people with a guardian of two of them, who comes first: the links are made once
/// everyone exists.
const PEOPLE_AND_GUARDIAN: &str = "external_id,email,name,role,guardian_of
g-1,elena@family.example,Елена Иванова,guardian,s-1;s-2
t-1,ivan@school.example,Иван Петрович,teacher,
s-1,maria@school.example,Мария,student,
s-2,alex@school.example,Alex Kim,student,
";

const LESSONS: &str = "external_id,teacher_external_id,student_external_id,subject,scheduled_at,status
L-1,t-1,s-1,Алгебра,2026-09-01T15:00:00+03:00,completed
L-2,t-1,s-1,Геометрия,2026-09-08T15:00:00+03:00,scheduled
L-3,t-1,s-2,Алгебра,2026-09-02T15:00:00+03:00,scheduled
";

/// A directory of the test's own with `people.csv` and `lessons.csv`.
fn files(app: &TestApp, people: &str, lessons: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("{}-import", app.database.name));
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(dir.join("people.csv"), people).expect("write people.csv");
    std::fs::write(dir.join("lessons.csv"), lessons).expect("write lessons.csv");
    dir
}

/// `tutorchat import` in `dir` with `args`, on the test's database.
fn import(app: &TestApp, dir: &PathBuf, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tutorchat"));
    command.current_dir(dir).arg("import").args(args).env("DATABASE_URL", config_url(&app.database));
    command.env_remove("RUST_LOG").output().expect("run tutorchat import")
}

const BOTH: &[&str] = &["--users", "people.csv", "--lessons", "lessons.csv"];

/// Rows of what the import may change, and the log.
async fn state(app: &TestApp) -> [i64; 4] {
    let row = app
        .sql
        .query_one(
            "SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM lessons), (SELECT count(*) FROM chats),
                    (SELECT count(*) FROM events)",
            &[],
        )
        .await
        .expect("counts");
    [row.get(0), row.get(1), row.get(2), row.get(3)]
}

#[tokio::test]
async fn the_dry_run_reports_every_bad_line_by_its_number_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let people = format!("{PEOPLE}s-3,not-an-address,Петя,student\ns-4,petya@school.example,,headmaster\n");
    let lessons = format!(
        "{LESSONS}L-4,t-9,s-1,Алгебра,2026-09-03T15:00:00+03:00,completed\nL-5,t-1,s-1,Алгебра,tomorrow,done\n"
    );
    let dir = files(&app, &people, &lessons);
    let before = state(&app).await;
    for args in [[BOTH, &["--dry-run"]].concat(), BOTH.to_vec()] {
        let out = import(&app, &dir, &args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?}: {stderr}");
        for expected in [
            "people.csv:5: email is not an address",
            "people.csv:6: name must be 1-255 characters",
            "people.csv:6: role must be student, teacher or guardian, not \"headmaster\"",
            "lessons.csv:5: teacher_external_id \"t-9\" names nobody",
            "lessons.csv:6: scheduled_at \"tomorrow\" is not a time",
            "lessons.csv:6: status must be scheduled, completed or cancelled, not \"done\"",
            "4 line(s) are not valid: nothing was changed",
        ] {
            assert!(stderr.contains(expected), "{args:?}: no {expected:?} in:\n{stderr}");
        }
        assert_eq!(state(&app).await, before, "{args:?}");
    }
}

#[tokio::test]
async fn a_dry_run_counts_what_would_change_and_the_import_does_it_once() {
    let app = TestApp::spawn().await;
    let dir = files(&app, PEOPLE_AND_GUARDIAN, LESSONS);
    let before = state(&app).await;
    let dry = import(&app, &dir, &[BOTH, &["--dry-run"]].concat());
    let stdout = String::from_utf8_lossy(&dry.stdout);
    assert!(dry.status.success(), "{}", String::from_utf8_lossy(&dry.stderr));
    assert!(stdout.contains("people.csv: people: would be 4 created, 0 changed, 0 unchanged"), "{stdout}");
    assert!(stdout.contains("lessons.csv: lessons: would be 3 created, 0 changed, 0 unchanged"), "{stdout}");
    assert!(stdout.contains("people.csv: guardian links: would be 2 made, 0 kept"), "{stdout}");
    assert!(stdout.contains("dry run: nothing was changed"), "{stdout}");
    assert_eq!(state(&app).await, before);

    let real = import(&app, &dir, BOTH);
    let stdout = String::from_utf8_lossy(&real.stdout);
    assert!(real.status.success(), "{}", String::from_utf8_lossy(&real.stderr));
    assert!(stdout.contains("people.csv: people: 4 created, 0 changed, 0 unchanged"), "{stdout}");
    assert!(stdout.contains("people.csv: guardian links: 2 made, 0 kept"), "{stdout}");
    assert!(stdout.contains("lessons.csv: lessons: 3 created, 0 changed, 0 unchanged"), "{stdout}");
    let by_import = "SELECT count(*) FROM events WHERE type = 'user_provisioned' AND payload ->> 'client' = 'import'";
    assert_eq!(count(&app, by_import).await, 4, "the log names the import as the client");
    let links =
        "SELECT count(*) FROM guardian_links l JOIN users g ON g.id = l.guardian_id JOIN users s ON s.id = l.student_id
                 WHERE g.external_id = 'g-1' AND s.external_id IN ('s-1', 's-2') AND l.to_position IS NULL";
    assert_eq!(count(&app, links).await, 2, "Елена is Мария's and Alex's guardian");
    let linked_by_import = "SELECT count(*) FROM events WHERE type = 'guardian_linked' AND actor_id IS NULL
                            AND payload ->> 'client' = 'import'";
    assert_eq!(count(&app, linked_by_import).await, 2, "the import made the links, as the log says");
    assert_eq!(count(&app, "SELECT count(*) FROM chats WHERE kind = 'direct'").await, 1, "L-1 was completed");
    let family = "SELECT count(*) FROM chats WHERE kind = 'family' AND guardian_id = (SELECT id FROM users WHERE external_id = 'g-1')";
    assert_eq!(count(&app, family).await, 1, "and gave Елена her chat with its teacher");

    // Both people see the pair's subjects, the most recent lesson's first.
    let id = |external_id: &'static str| {
        let sql = &app.sql;
        async move {
            sql.query_one("SELECT id FROM users WHERE external_id = $1", &[&external_id]).await.expect("id").get(0)
        }
    };
    let (ivan, maria): (i64, i64) = (id("t-1").await, id("s-1").await);
    for user in [User { id: ivan, token: token_for(ivan) }, User { id: maria, token: token_for(maria) }] {
        let (status, body) = status_and_json(app.get("/api/chats", &user).send().await.expect("GET")).await;
        assert_eq!(status, 200);
        let lessons = body["chats"].as_array().and_then(|c| c.iter().find(|c| c["kind"] == "direct")).expect("direct");
        assert_eq!(lessons["subjects"], json!(["Геометрия", "Алгебра"]), "{body}");
    }

    let after = state(&app).await;
    let again = import(&app, &dir, BOTH);
    let stdout = String::from_utf8_lossy(&again.stdout);
    assert!(again.status.success(), "{}", String::from_utf8_lossy(&again.stderr));
    assert!(stdout.contains("people.csv: people: 0 created, 0 changed, 4 unchanged"), "{stdout}");
    assert!(stdout.contains("people.csv: guardian links: 0 made, 2 kept"), "{stdout}");
    assert!(stdout.contains("lessons.csv: lessons: 0 created, 0 changed, 3 unchanged"), "{stdout}");
    assert_eq!(state(&app).await, after, "the same files again change nothing");
}
