//! The wall between schools, held by PostgreSQL: every table a school owns carries its school
//! and a FORCEd row-level security policy, so that a statement of the application's role sees
//! and writes only the current school's rows, even one written without a filter, and nothing at
//! all when no school is set and the deployment has several.

use tokio_postgres::error::SqlState;

use crate::helpers::{TestApp, connect, status_and_json};
use crate::roles::{drop_role, runtime_role};

/// The tables that are the deployment's, not a school's: the schema's record, the cursors that
/// follow the log for every school, backups, content-addressed file deletions, spent sign-in
/// states and revoked session ids, and the settings that are still the deployment's. A new
/// table either carries school_id (and is walled) or is named here.
const THE_DEPLOYMENTS: &[&str] = &[
    "backups",
    "file_deletions",
    "flag_cursor",
    "log_floor",
    "notices_fanned_out",
    "notify_settings",
    "presence_replicas",
    "refinery_schema_history",
    "restore_drills",
    "revoked_sessions",
    "safeguarding_settings",
    "schema_functions",
    "schools",
    "spent_sign_ins",
];

#[tokio::test]
async fn every_table_a_school_owns_is_walled_and_every_other_is_named() {
    let app = TestApp::spawn().await;
    let rows = app
        .sql
        .query(
            "SELECT c.relname::text,
                    EXISTS (SELECT 1 FROM pg_attribute a
                            WHERE a.attrelid = c.oid AND a.attname = 'school_id' AND NOT a.attisdropped),
                    c.relrowsecurity, c.relforcerowsecurity,
                    (SELECT p.polcmd::text || ' ' || pg_get_expr(p.polqual, p.polrelid) || ' / '
                            || pg_get_expr(p.polwithcheck, p.polrelid)
                     FROM pg_policy p WHERE p.polrelid = c.oid AND p.polname = 'school_wall'),
                    (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid)
             FROM pg_class c
             WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
             ORDER BY 1",
            &[],
        )
        .await
        .expect("tables");
    let wall = "* (school_id = ( SELECT current_school() AS current_school)) / \
                (school_id = ( SELECT current_school() AS current_school))";
    let mut walled = 0;
    for row in rows {
        let (table, has_school): (String, bool) = (row.get(0), row.get(1));
        let (enabled, forced, policy, policies): (bool, bool, Option<String>, i64) =
            (row.get(2), row.get(3), row.get(4), row.get(5));
        if THE_DEPLOYMENTS.contains(&table.as_str()) {
            assert!(!has_school && !enabled, "{table} is the deployment's and walls nothing");
            continue;
        }
        assert!(has_school, "{table} holds no school_id: walled like the others, or named the deployment's");
        assert!(enabled && forced, "{table}: row-level security enabled {enabled}, forced {forced}");
        assert_eq!(policy.as_deref(), Some(wall), "{table}'s policy");
        assert_eq!(policies, 1, "{table}: a second policy would widen the wall (policies are OR-ed)");
        walled += 1;
    }
    assert!(walled >= 34, "{walled} tables walled");
}

#[tokio::test]
async fn the_application_role_sees_and_writes_only_the_current_school() {
    let app = TestApp::spawn().await;
    let (teacher, student) = (app.user("teacher", "Учитель").await, app.user("student", "Ученик").await);
    let chat = app.chat(&teacher, &student).await;
    app.send(&student, chat, "first school's words").await;
    let (other, stranger) = second_school(&app, "student").await;
    let (name, config) = runtime_role(&app).await;
    let runtime = connect(&config).await;
    let count = async |sql: &str| -> i64 { runtime.query_one(sql, &[]).await.expect(sql).get(0) };
    // A session row of `user`'s, for `school` or, with None, for whichever the column's default
    // gives (the session's school).
    let session = async |sid: &str, user: i64, school: Option<i64>| {
        runtime
            .execute(
                "INSERT INTO sessions (sid, user_id, ends_at, renew_every, device, refresh_hash, school_id) \
                 VALUES ($1, $2, now() + interval '1 hour', interval '5 minutes', 'd', '\\x00', \
                         coalesce($3, current_school()))",
                &[&sid, &user, &school],
            )
            .await
    };

    // Two schools and none named: nothing of either, through the tables and the views the
    // application reads.
    for table in ["users", "chats", "chat_participants", "lessons", "events", "messages", "message_views"] {
        assert_eq!(count(&format!("SELECT count(*) FROM {table}")).await, 0, "{table} without a school");
    }
    let refused = session("s1", student.id, None).await.expect_err("a write without a school");
    assert_eq!(refused.code(), Some(&SqlState::INSUFFICIENT_PRIVILEGE), "{refused}");

    // In the first school: statements written without any filter read its rows only.
    runtime.batch_execute("SET tutorchat.school = '1'").await.expect("first school");
    assert_eq!(count("SELECT count(*) FROM users").await, 2, "the first school's two people, not the stranger");
    assert_eq!(count("SELECT count(*) FROM messages").await, 1);
    assert_eq!(count(&format!("SELECT count(*) FROM users WHERE id = {stranger}")).await, 0, "by id, too");
    let moved = runtime
        .execute("UPDATE users SET email_notify = email_notify WHERE id = $1", &[&stranger])
        .await
        .expect("update");
    assert_eq!(moved, 0, "another school's rows are not there to change");
    let forged = session("s2", stranger, Some(other)).await.expect_err("a row for another school");
    assert_eq!(forged.code(), Some(&SqlState::INSUFFICIENT_PRIVILEGE), "{forged}");
    session("s3", student.id, None).await.expect("a row of its own school");
    let stamped: i64 =
        app.sql.query_one("SELECT school_id FROM sessions WHERE sid = 's3'", &[]).await.expect("row").get(0);
    assert_eq!(stamped, 1, "stamped with the session's school");

    // In the second: its person only; a transaction's SET LOCAL ends with it.
    runtime.batch_execute("SET tutorchat.school = '2'").await.expect("second school");
    assert_eq!(count("SELECT count(*) FROM users").await, 1);
    assert_eq!(count("SELECT count(*) FROM messages").await, 0);
    runtime.batch_execute("RESET tutorchat.school; BEGIN; SET LOCAL tutorchat.school = '1'").await.expect("local");
    assert_eq!(count("SELECT count(*) FROM users").await, 2);
    runtime.batch_execute("COMMIT").await.expect("commit");
    assert_eq!(count("SELECT count(*) FROM users").await, 0, "nothing once the transaction ended");
    drop(runtime);
    drop_role(&app, &name).await;
}

/// What a school appends is its own, every row the append writes: the events (their school
/// taken once per append, not per row) and the messages and chat they make (copied from the
/// events), with the school named by the session, not the first.
#[tokio::test]
async fn a_schools_appends_and_what_they_make_are_the_schools() {
    let app = TestApp::spawn().await;
    let (other, _) = second_school(&app, "teacher").await;
    app.sql
        .batch_execute(&format!(
            "BEGIN; SET LOCAL tutorchat.school = '{other}';
             INSERT INTO users (email, name, role) VALUES ('t2@second.school', 'Т', 'teacher'), ('s2@second.school', 'С', 'student');
             INSERT INTO lessons (teacher_id, student_id, scheduled_at, status)
             SELECT t.id, s.id, now(), 'completed' FROM users t, users s
             WHERE t.email = 't2@second.school' AND s.email = 's2@second.school';
             COMMIT"
        ))
        .await
        .expect("a lesson of the second school");
    let row = app
        .sql
        .query_one("SELECT c.id, c.student_id, c.school_id FROM chats c JOIN users s ON s.id = c.student_id WHERE s.email = 's2@second.school'", &[])
        .await
        .expect("the lesson's chat");
    let (chat, student, school): (i64, i64, i64) = (row.get(0), row.get(1), row.get(2));
    assert_eq!(school, other, "the chat the lesson made is the second school's");

    let (name, config) = runtime_role(&app).await;
    let runtime = connect(&config).await;
    runtime.batch_execute(&format!("SET tutorchat.school = '{other}'")).await.expect("second school");
    let appended: i64 = runtime
        .query_one(
            "SELECT count(*) FROM events_append(ARRAY[$1, $1]::bigint[], ARRAY[$2, $2]::bigint[], \
             ARRAY['message_created', 'message_created'], ARRAY['{\"content\": \"a\"}', '{\"content\": \"b\"}']::jsonb[], \
             ARRAY[NULL, NULL]::text[])",
            &[&chat, &student],
        )
        .await
        .expect("an append in the second school")
        .get(0);
    assert_eq!(appended, 2);
    let schools = async |table: &str| -> Vec<i64> {
        let sql = format!("SELECT DISTINCT school_id FROM {table} WHERE chat_id = $1 ORDER BY 1");
        app.sql.query(&sql, &[&chat]).await.expect(table).iter().map(|r| r.get(0)).collect()
    };
    assert_eq!(schools("events").await, [other], "every event, the chat's creation and both messages");
    assert_eq!(schools("messages").await, [other], "both messages");
    let messages: i64 =
        app.sql.query_one("SELECT count(*) FROM messages WHERE chat_id = $1", &[&chat]).await.expect("count").get(0);
    assert_eq!(messages, 2);
    drop(runtime);
    drop_role(&app, &name).await;
}

/// The application itself, connected as its role: its sessions are in the school it serves,
/// so a person of another school is not found, even with a token signed with the replica's own
/// key; and a replica does not start on a database of several schools.
#[tokio::test]
async fn the_application_as_its_role_serves_its_school_only() {
    let setup = TestApp::spawn().await;
    let (name, config) = runtime_role(&setup).await;
    let runtime = config.clone();
    let app = TestApp::spawn_on(setup.database.clone(), |c| {
        c.migration_database = c.database.clone();
        c.database = Some(runtime);
    })
    .await;
    let (teacher, student) = (app.user("teacher", "Учитель").await, app.user("student", "Ученик").await);
    let chat = app.chat(&teacher, &student).await;
    app.send(&student, chat, "hello").await;
    let (_, stranger) = second_school(&app, "teacher").await;

    let (status, listed) = status_and_json(app.get("/api/chats", &student).send().await.expect("GET")).await;
    assert_eq!((status, listed["chats"].as_array().map(Vec::len)), (200, Some(1)), "its own school: {listed}");
    let token = crate::helpers::token_for(stranger);
    let refused = app.http.get(app.url("/api/chats")).bearer_auth(&token).send().await.expect("GET");
    assert_eq!(refused.status(), 401, "a person of another school is nobody here");

    let error = match tutorchat::Application::build(crate::helpers::test_config(config)).await {
        Ok(_) => panic!("a replica started on a database of two schools"),
        Err(e) => format!("{e:#}"),
    };
    assert!(error.starts_with("DATABASE_URL: the database holds several schools"), "{error}");
    drop(app);
    drop_role(&setup, &name).await;
}

/// A school's names are its own: what one school has taken (a person's email, user name and
/// external id, a lesson's and a group's ids and names, a flag term, a client's name, a link's
/// token, a browser's push endpoint), another takes too. A key unique over every school would
/// refuse it for a row the second school cannot see, telling it that the row exists (a
/// uniqueness check reads past row-level security); within one school each stays unique.
#[tokio::test]
async fn a_schools_names_are_unique_within_it_and_tell_nothing_of_another() {
    let app = TestApp::spawn().await;
    let (other, _) = second_school(&app, "teacher").await;
    let teacher = "(SELECT id FROM users WHERE email = 'same@school.example' AND school_id = current_school())";
    let taken = format!(
        "INSERT INTO users (email, name, role, user_name, external_id) \
             VALUES ('same@school.example', 'Тот', 'teacher', 'Same', 'ext-1'), \
                    ('pupil@school.example', 'Ученик', 'student', 'pupil', 'ext-2');
         INSERT INTO lessons (teacher_id, student_id, scheduled_at, status, external_id) \
             SELECT {teacher}, id, now(), 'scheduled', 'lesson-1' FROM users \
             WHERE email = 'pupil@school.example' AND school_id = current_school();
         INSERT INTO scim_groups (display_name, external_id) VALUES ('Class 7A', 'group-1');
         INSERT INTO flag_terms (term, query) VALUES ('same term', plainto_tsquery('simple', 'same term'));
         INSERT INTO provisioning_clients (name, token_sha256, scopes) \
             VALUES ('timetable', sha256(random()::text::bytea), ARRAY['scim']);
         INSERT INTO inquiry_links (token, host_id, created_by, title) \
             VALUES ('the-same-token-in-both-schools', {teacher}, {teacher}, 'Ask');
         INSERT INTO push_subscriptions (user_id, endpoint, p256dh, auth) \
             VALUES ({teacher}, 'https://push.example/same', 'k', 'a')"
    );
    // As the superuser (the application's role may not write most of these itself): the
    // constraints hold for every role alike.
    for school in [1, other] {
        app.sql
            .batch_execute(&format!("BEGIN; SET LOCAL tutorchat.school = '{school}'; {taken}; COMMIT"))
            .await
            .unwrap_or_else(|e| panic!("school {school} takes the names: {e:?}"));
    }
    let per_school: Vec<(i64, i64)> = app
        .sql
        .query("SELECT school_id, count(*) FROM users WHERE email = 'same@school.example' GROUP BY 1 ORDER BY 1", &[])
        .await
        .expect("count")
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(per_school, [(1, 1), (other, 1)]);
    let again = app
        .sql
        .batch_execute(
            "INSERT INTO users (email, name, role, school_id) VALUES ('same@school.example', 'Другой', 'student', 1)",
        )
        .await
        .expect_err("twice in one school");
    let constraint = again.as_db_error().and_then(|e| e.constraint());
    assert_eq!((again.code(), constraint), (Some(&SqlState::UNIQUE_VIOLATION), Some("users_email_key")), "{again}");
}

/// A second school and a person of it with `role`, arranged by the superuser (who is not
/// walled): the school's id and the person's.
async fn second_school(app: &TestApp, role: &str) -> (i64, i64) {
    let school: i64 = app
        .sql
        .query_one("INSERT INTO schools (slug) VALUES ('second') RETURNING id", &[])
        .await
        .expect("school")
        .get(0);
    let person = app
        .sql
        .query_one(
            "INSERT INTO users (email, name, role, school_id) VALUES ('p@second.school', 'Чужой', $1, $2) RETURNING id",
            &[&role, &school],
        )
        .await
        .expect("a person of the second school")
        .get(0);
    (school, person)
}
