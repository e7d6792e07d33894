//! A direct chat's header lists its pair's lesson subjects (not cancelled ones), the most
//! recent lesson's first: in both people's chat lists, an admin's, and the live `chat_created`.

use serde_json::{Value, json};

use crate::helpers::{TestApp, User, status_and_json};

/// A lesson of the pair, `days` from now, with `subject`.
async fn lesson(app: &TestApp, teacher: &User, student: &User, subject: &str, days: i32, status: &str) {
    app.sql
        .execute(
            "INSERT INTO lessons (teacher_id, student_id, scheduled_at, status, subject)
             VALUES ($1, $2, now() + make_interval(days => $5), $3, $4)",
            &[&teacher.id, &student.id, &status, &subject, &days],
        )
        .await
        .expect("insert lesson");
}

/// The `subjects` of chat `chat_id` in the chat list at `path` as `user` reads it.
async fn listed_subjects(app: &TestApp, path: &str, user: &User, chat_id: &Value) -> Value {
    let (status, body) = status_and_json(app.get(path, user).send().await.expect("GET chats")).await;
    assert_eq!(status, 200, "{body}");
    let chats = body["chats"].as_array().expect("chats");
    let chat = chats.iter().find(|c| &c["id"] == chat_id).unwrap_or_else(|| panic!("chat {chat_id} in {body}"));
    chat["subjects"].clone()
}

#[tokio::test]
async fn a_pairs_chat_shows_its_lesson_subjects_live_and_in_both_lists_the_most_recent_first() {
    let a = TestApp::spawn().await;
    let b = a.replica().await;
    let (teacher, student) = (a.user("teacher", "Иван Петрович").await, a.user("student", "Мария").await);
    let admin = a.user("admin", "Завуч").await;
    let (mut teachers, mut students) = (b.stream(&teacher, None).await, b.stream(&student, None).await);

    lesson(&a, &teacher, &student, "Алгебра", -1, "completed").await;
    let mut chat_id = Value::Null;
    for (who, stream) in [("teacher", &mut teachers), ("student", &mut students)] {
        let event = stream.event().await;
        assert_eq!(event.event, "chat_created", "{who}: {}", event.data);
        let chat = &event.json()["chat"];
        assert_eq!(chat["subjects"], json!(["Алгебра"]), "{who}: {chat}");
        chat_id = chat["id"].clone();
    }

    // A later lesson of another subject comes first; a cancelled one's subject never shows;
    // a subject studied again is listed once, where its latest lesson puts it.
    lesson(&a, &teacher, &student, "Геометрия", 3, "scheduled").await;
    lesson(&a, &teacher, &student, "Физика", 5, "cancelled").await;
    lesson(&a, &teacher, &student, "Алгебра", -10, "completed").await;
    for (path, user) in [("/api/chats", &teacher), ("/api/chats", &student), ("/api/admin/chats", &admin)] {
        assert_eq!(listed_subjects(&b, path, user, &chat_id).await, json!(["Геометрия", "Алгебра"]), "{path}");
    }
}

#[tokio::test]
async fn a_pair_whose_lessons_have_no_subject_shows_none_and_a_subject_is_at_most_200_characters() {
    let app = TestApp::spawn().await;
    let (teacher, student) = (app.user("teacher", "T").await, app.user("student", "S").await);
    let chat = app.chat(&teacher, &student).await;
    assert_eq!(listed_subjects(&app, "/api/chats", &student, &json!(chat)).await, json!([]));
    let long = "я".repeat(201);
    let refused = app
        .sql
        .execute(
            "INSERT INTO lessons (teacher_id, student_id, scheduled_at, status, subject) VALUES ($1, $2, now(), 'scheduled', $3)",
            &[&teacher.id, &student.id, &long],
        )
        .await;
    assert!(refused.is_err(), "a subject of 201 characters was kept");
}

/// A pair with a lesson a week has dozens of lessons; a chat list reads each chat's subjects
/// from `lessons_pair_subjects` alone (an index-only scan: once vacuumed, no lesson is read
/// from the table), which holds only the pair's lessons with a subject and not cancelled, so
/// the view's predicate and the index's must stay the same.
#[tokio::test]
async fn a_chat_headers_subjects_are_read_from_the_pairs_index_alone() {
    let app = TestApp::spawn().await;
    let (teacher, student) = (app.user("teacher", "T").await, app.user("student", "S").await);
    let chat = app.chat(&teacher, &student).await;
    app.sql
        .execute(
            "INSERT INTO lessons (teacher_id, student_id, scheduled_at, status, subject)
             SELECT $1, $2, now() - make_interval(days => 7 * w), CASE WHEN w % 10 = 0 THEN 'cancelled' ELSE 'completed' END,
                    (ARRAY['Алгебра', 'Геометрия', 'Физика'])[w % 3 + 1]
             FROM generate_series(1, 60) w",
            &[&teacher.id, &student.id],
        )
        .await
        .expect("a year of lessons");
    // Sixty lessons fit a page, which PostgreSQL would rather read whole: this session asks it
    // not to, to see which index answers (a school's table is large enough to need one).
    app.sql.batch_execute("ANALYZE lessons").await.expect("analyze");
    app.sql.batch_execute("SET enable_seqscan = off").await.expect("set");
    let headers = "SELECT subjects FROM chat_headers WHERE id = $1";
    let plan = crate::helpers::plan(&app.sql, "ANALYZE, COSTS OFF", headers, &[&chat]).await;
    assert!(plan.contains("Index Only Scan using lessons_pair_subjects"), "{plan}");
    let subjects: Vec<String> = app.sql.query_one(headers, &[&chat]).await.expect("subjects").get(0);
    assert_eq!(subjects, ["Геометрия", "Физика", "Алгебра"], "the most recent lesson's subject first");
}
