//! `GET /conversations/` has no paging: an admin's is the school's most recently active
//! hundred, chosen by the database, while a teacher's holds every chat of theirs.

use super::{answer, world};
use crate::helpers::{TestApp, User};

/// The ids of `user`'s list, in its order.
async fn list(app: &TestApp, user: &User) -> Vec<String> {
    let (status, body) = answer(app.get("/api/unet-chat/conversations/", user).send().await.expect("GET")).await;
    assert_eq!(status, 200, "{body}");
    body.as_array().expect("a list").iter().map(|c| c["id"].as_str().expect("id").to_owned()).collect()
}

#[tokio::test]
async fn an_admins_list_is_the_schools_hundred_most_recently_active_a_teachers_all_of_theirs() {
    let w = world().await;
    let bulk = "WITH s AS (INSERT INTO users (email, name, role)
                           SELECT 'bulk' || g || '@test.school', 'Ученик ' || g, 'student' FROM generate_series(1, 100) g
                           RETURNING id)
                INSERT INTO lessons (teacher_id, student_id, scheduled_at, status)
                SELECT $1, s.id, now(), 'completed' FROM s";
    w.a.sql.execute(bulk, &[&w.teacher.id]).await.expect("a hundred more lesson chats");
    w.a.send(&w.student, w.chat, "свежее").await; // the pair's chat, the oldest, is now the newest
    let admins = list(&w.b, &w.admin).await;
    assert_eq!(admins.len(), 100, "of 102 chats");
    assert_eq!(admins[0], w.chat.to_string(), "the most recently active first");
    assert!(!admins.contains(&w.other_chat.to_string()), "the least recently active left out");
    assert_eq!(list(&w.b, &w.teacher).await.len(), 101, "a teacher's every chat");
}
