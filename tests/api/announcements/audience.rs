//! Unread counts of an announcement are derived from read markers (no counter row written per
//! member and message); "all my students" follows the lessons, and a student who left is not
//! added back.

use serde_json::json;

use super::{all_my_students, members};
use crate::governance::audit_is_clean;
use crate::helpers::{TestApp, status_and_json};

/// The `xmin` of every membership row of `chat`: unchanged when nothing wrote them.
pub(crate) async fn row_versions(a: &TestApp, chat: i64) -> Vec<String> {
    let rows = a
        .sql
        .query("SELECT xmin::text FROM chat_participants WHERE chat_id = $1 ORDER BY user_id", &[&chat])
        .await
        .expect("xmin");
    rows.iter().map(|r| r.get(0)).collect()
}

#[tokio::test]
async fn an_announcements_unread_counts_are_derived_and_a_message_writes_no_members_row() {
    let a = TestApp::spawn().await;
    let b = a.replica().await;
    let teacher = a.user("teacher", "Иван Петрович").await;
    let (maria, petya) = (a.user("student", "Мария").await, a.user("student", "Петя").await);
    let direct = a.chat(&teacher, &maria).await;
    a.chat(&teacher, &petya).await;
    let chat = all_my_students(&a, &teacher, "Объявления").await;

    let versions = row_versions(&a, chat).await;
    let first = a.send(&teacher, chat, "первое").await;
    let second = a.send(&teacher, chat, "второе").await;
    let third = a.send(&teacher, chat, "третье").await;
    assert_eq!(row_versions(&a, chat).await, versions, "no membership row written by a message");
    a.send(&teacher, direct, "в личном").await;

    assert_eq!((b.unread(&maria, chat).await, b.unread(&petya, chat).await, b.unread(&teacher, chat).await), (3, 3, 0));
    let total = |user| {
        let b = &b;
        async move { status_and_json(b.get("/api/unread-count", user).send().await.expect("GET")).await.1 }
    };
    assert_eq!(
        total(&maria).await,
        json!({ "unread_count": 4, "chats": 2 }),
        "the direct chat's counter and the derived"
    );
    assert_eq!(a.read(&maria, chat, Some(first)).await.status(), 204);
    assert_eq!(b.unread(&maria, chat).await, 2);
    assert_eq!(a.delete_message(&teacher, third).await.status(), 200);
    assert_eq!((b.unread(&maria, chat).await, b.unread(&petya, chat).await), (1, 2), "a deleted message is not unread");
    assert_eq!(a.read(&petya, chat, Some(second)).await.status(), 204);
    assert_eq!(total(&petya).await, json!({ "unread_count": 0, "chats": 0 }));
    audit_is_clean(&a).await;
}

#[tokio::test]
async fn a_student_who_left_all_my_students_is_not_added_back_by_a_later_lesson() {
    let a = TestApp::spawn().await;
    let teacher = a.user("teacher", "Иван Петрович").await;
    let (maria, petya) = (a.user("student", "Мария").await, a.user("student", "Петя").await);
    a.chat(&teacher, &maria).await;
    let chat = all_my_students(&a, &teacher, "Объявления").await;
    let colleague = a.user("teacher", "Ольга Сергеевна").await;
    let other = all_my_students(&a, &colleague, "Чужие").await;
    let leave = a.http.delete(a.url(&format!("/api/chats/{chat}/participants/{}", maria.id))).bearer_auth(&maria.token);
    assert_eq!(leave.send().await.expect("leave").status(), 204);
    a.sql
        .execute(
            "INSERT INTO lessons (teacher_id, student_id, scheduled_at, status) VALUES ($1, $2, now(), 'completed'),
                    ($1, $3, now(), 'completed')",
            &[&teacher.id, &maria.id, &petya.id],
        )
        .await
        .expect("two more lessons");
    assert_eq!(members(&a, &teacher, chat).await, [teacher.id, petya.id], "Петя joins; Мария stays out");
    assert_eq!(members(&a, &colleague, other).await, [colleague.id], "another teacher's audience is theirs");
    audit_is_clean(&a).await;
}

#[tokio::test]
async fn a_lesson_of_a_teacher_who_left_completes_and_adds_nobody_to_their_announcements() {
    let a = TestApp::spawn().await;
    let (teacher, admin) = (a.user("teacher", "Иван Петрович").await, a.user("admin", "A").await);
    let (maria, petya) = (a.user("student", "Мария").await, a.user("student", "Петя").await);
    a.chat(&teacher, &maria).await;
    let chat = all_my_students(&a, &teacher, "Объявления").await;
    let lesson = a.scheduled_lesson(&teacher, &petya).await;
    assert_eq!(crate::departures::deactivate(&a, &admin, &teacher, true).await.0, 204);

    // The owner's appends are refused now: the student does not join, and the completion is
    // not refused for it (it was a 500).
    let complete = a.http.post(a.url(&format!("/api/lessons/{lesson}/complete"))).bearer_auth(&admin.token);
    let (status, body) = status_and_json(complete.send().await.expect("complete")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["lesson"]["status"], "completed");
    assert!(!members(&a, &admin, chat).await.contains(&petya.id), "nobody joins a departed teacher's announcement");
    audit_is_clean(&a).await;
}
