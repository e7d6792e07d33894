//! The lesson trigger and `POST /api/lessons/{id}/complete`.

use std::time::Duration;

use serde_json::Value;

use crate::helpers::{TestApp, User, connect, status_and_json};

async fn lesson(app: &TestApp, teacher: &User, student: &User, status: &str) -> i64 {
    app.sql
        .query_one(
            "INSERT INTO lessons (teacher_id, student_id, scheduled_at, status) VALUES ($1, $2, now(), $3) RETURNING id",
            &[&teacher.id, &student.id, &status],
        )
        .await
        .expect("insert lesson")
        .get(0)
}

async fn count(app: &TestApp, query: &str) -> i64 {
    app.sql.query_one(query, &[]).await.expect(query).get(0)
}

#[tokio::test]
async fn scheduled_and_cancelled_lessons_open_no_chat() {
    let app = TestApp::spawn().await;
    let (teacher, student) = (app.user("teacher", "T").await, app.user("student", "S").await);
    let scheduled = lesson(&app, &teacher, &student, "scheduled").await;
    lesson(&app, &teacher, &student, "cancelled").await;
    app.sql.execute("UPDATE lessons SET status = 'cancelled' WHERE id = $1", &[&scheduled]).await.expect("cancel");
    app.sql.execute("UPDATE lessons SET scheduled_at = now() + interval '1 day'", &[]).await.expect("reschedule");
    assert_eq!(count(&app, "SELECT count(*) FROM chats").await, 0);
    assert_eq!(count(&app, "SELECT count(*) FROM events").await, 0);
}

#[tokio::test]
async fn completing_lessons_opens_one_chat_per_pair_with_both_participants() {
    let app = TestApp::spawn().await;
    let (teacher, student, other) =
        (app.user("teacher", "T").await, app.user("student", "S").await, app.user("student", "O").await);
    let first = lesson(&app, &teacher, &student, "scheduled").await;
    app.sql.execute("UPDATE lessons SET status = 'completed' WHERE id = $1", &[&first]).await.expect("complete");
    lesson(&app, &teacher, &student, "completed").await; // a second lesson of the same pair
    lesson(&app, &teacher, &other, "completed").await;
    assert_eq!(count(&app, "SELECT count(*) FROM chats").await, 2);
    let participants: Vec<(i64, String)> = app
        .sql
        .query(
            "SELECT p.user_id, p.role FROM chat_participants p JOIN chats c ON c.id = p.chat_id
             WHERE c.student_id = $1 ORDER BY p.role",
            &[&student.id],
        )
        .await
        .expect("participants")
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(participants, vec![(student.id, "student".into()), (teacher.id, "teacher".into())]);
    let completed_at_set =
        count(&app, "SELECT count(*) FROM lessons WHERE status = 'completed' AND completed_at IS NOT NULL").await;
    assert_eq!(completed_at_set, 3);
    assert_eq!(count(&app, "SELECT count(*) FROM events WHERE type = 'chat_created'").await, 2);
}

/// Ten lessons of one pair complete in ten concurrent transactions, all of which have checked
/// "no chat yet" before any of them commits: still exactly one chat.
#[tokio::test]
async fn ten_concurrent_completions_of_one_pair_open_exactly_one_chat() {
    let app = TestApp::spawn().await;
    let (teacher, student) = (app.user("teacher", "T").await, app.user("student", "S").await);
    let mut lessons = Vec::new();
    for _ in 0..10 {
        lessons.push(lesson(&app, &teacher, &student, "scheduled").await);
    }
    // The first completion stays open while the other nine start and queue up behind it.
    let mut first_client = connect(&app.database).await;
    let first = first_client.transaction().await.expect("begin");
    first.execute("UPDATE lessons SET status = 'completed' WHERE id = $1", &[&lessons[0]]).await.expect("complete");
    let others: Vec<_> = lessons[1..]
        .iter()
        .map(|&id| {
            let database = app.database.clone();
            tokio::spawn(async move {
                let mut client = connect(&database).await;
                let tx = client.transaction().await?;
                tx.execute("UPDATE lessons SET status = 'completed' WHERE id = $1", &[&id]).await?;
                tx.commit().await
            })
        })
        .collect();
    tokio::time::timeout(Duration::from_secs(10), async {
        while count(&app, "SELECT count(*) FROM pg_locks WHERE NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())").await < 9 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("the nine other completions wait for the first");
    first.commit().await.expect("commit first");
    for other in others {
        other.await.expect("task").expect("every completion succeeds");
    }
    assert_eq!(count(&app, "SELECT count(*) FROM chats").await, 1);
    assert_eq!(count(&app, "SELECT count(*) FROM chat_participants").await, 2);
    assert_eq!(count(&app, "SELECT count(*) FROM events WHERE type = 'chat_created'").await, 1);
    assert_eq!(count(&app, "SELECT count(*) FROM lessons WHERE status = 'completed'").await, 10);
}

#[tokio::test]
async fn ten_completions_racing_freely_open_exactly_one_chat() {
    let app = TestApp::spawn().await;
    let (teacher, student) = (app.user("teacher", "T").await, app.user("student", "S").await);
    let mut lessons = Vec::new();
    for _ in 0..10 {
        lessons.push(lesson(&app, &teacher, &student, "scheduled").await);
    }
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(10));
    let tasks: Vec<_> = lessons
        .iter()
        .map(|&id| {
            let (database, barrier) = (app.database.clone(), barrier.clone());
            tokio::spawn(async move {
                let client = connect(&database).await;
                barrier.wait().await;
                client.execute("UPDATE lessons SET status = 'completed' WHERE id = $1", &[&id]).await
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("task").expect("completion succeeds");
    }
    assert_eq!(count(&app, "SELECT count(*) FROM chats").await, 1);
    assert_eq!(count(&app, "SELECT count(*) FROM events WHERE type = 'chat_created'").await, 1);
}

#[tokio::test]
async fn complete_endpoint_authorization_and_outcomes() {
    let app = TestApp::spawn().await;
    let (teacher, student) = (app.user("teacher", "T").await, app.user("student", "S").await);
    let (other_teacher, admin) = (app.user("teacher", "T2").await, app.user("admin", "A").await);
    let lesson_id = lesson(&app, &teacher, &student, "scheduled").await;
    let cancelled = lesson(&app, &teacher, &student, "cancelled").await;
    let for_admin = lesson(&app, &other_teacher, &student, "scheduled").await;
    let complete = |user: &User, id: i64| {
        app.http.post(app.url(&format!("/api/lessons/{id}/complete"))).bearer_auth(&user.token).send()
    };

    assert_eq!(status_and_json(complete(&student, lesson_id).await.expect("send")).await.0, 403);
    assert_eq!(status_and_json(complete(&other_teacher, lesson_id).await.expect("send")).await.0, 403);
    assert_eq!(status_and_json(complete(&teacher, 999_999).await.expect("send")).await.0, 404);
    assert_eq!(status_and_json(complete(&teacher, cancelled).await.expect("send")).await.0, 409);
    let bad =
        app.http.post(app.url("/api/lessons/abc/complete")).bearer_auth(&teacher.token).send().await.expect("send");
    assert_eq!(status_and_json(bad).await.0, 400);

    let (status, body) = status_and_json(complete(&teacher, lesson_id).await.expect("send")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["lesson"]["status"], "completed");
    assert!(body["lesson"]["completed_at"].is_string());
    let chat_id = body["chat_id"].as_i64().expect("chat id");
    let (again, body2): (u16, Value) = status_and_json(complete(&teacher, lesson_id).await.expect("send")).await;
    assert_eq!((again, body2["chat_id"].as_i64()), (200, Some(chat_id)), "completing twice is a no-op");

    let (status, body) = status_and_json(complete(&admin, for_admin).await.expect("send")).await;
    assert_eq!(status, 200, "{body}");
    assert_ne!(body["chat_id"].as_i64(), Some(chat_id));
    assert_eq!(count(&app, "SELECT count(*) FROM chats").await, 2);
}

#[tokio::test]
async fn people_list_their_own_lessons_and_admins_every_lesson_with_names() {
    let app = TestApp::spawn().await;
    let (teacher, student) = (app.user("teacher", "Иван").await, app.user("student", "Алекс").await);
    let (other_teacher, other_student) = (app.user("teacher", "T2").await, app.user("student", "S2").await);
    let admin = app.user("admin", "A").await;
    let scheduled = lesson(&app, &teacher, &student, "scheduled").await;
    let done = lesson(&app, &teacher, &student, "completed").await;
    let others = lesson(&app, &other_teacher, &other_student, "scheduled").await;
    let ids = |body: &Value| -> Vec<i64> {
        body["lessons"].as_array().expect("lessons").iter().map(|l| l["id"].as_i64().expect("id")).collect()
    };
    let list = |user: &User, query: &str| status_and_json_of(app.get(&format!("/api/lessons{query}"), user));

    let (status, body) = list(&teacher, "").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(ids(&body), vec![scheduled, done], "the teacher's own lessons only");
    assert_eq!(body["lessons"][0]["teacher_name"], "Иван");
    assert_eq!(body["lessons"][0]["student_name"], "Алекс");
    assert_eq!(ids(&list(&student, "?status=scheduled").await.1), vec![scheduled]);
    assert_eq!(ids(&list(&other_student, "").await.1), vec![others]);
    assert_eq!(ids(&list(&admin, "?status=scheduled").await.1), vec![scheduled, others]);
    let (status, body) = list(&teacher, "?status=finished").await;
    assert_eq!(status, 400, "an unknown status is refused: {body}");
    assert!(body["error"].as_str().is_some_and(|e| e.contains("status")), "{body}");
    let anonymous = app.http.get(app.url("/api/lessons")).send().await.expect("send");
    assert_eq!(anonymous.status(), 401);
}

async fn status_and_json_of(request: reqwest::RequestBuilder) -> (u16, Value) {
    status_and_json(request.send().await.expect("send")).await
}
