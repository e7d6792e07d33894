//! What bounds a mention's cost: the application resolves a text's mentions before the append,
//! at most twenty people a message, and the log only checks the ids it is given, so no text and
//! no group size can make the work done where appends wait for each other grow.

use serde_json::{Value, json};

use super::{logged, sent};
use crate::helpers::{TestApp, User, status_and_json};

/// A group of `n` students named "Ученик 1" … "Ученик n", by `teacher`.
async fn class(app: &TestApp, teacher: &User, n: usize) -> (i64, Vec<User>) {
    let mut students = Vec::new();
    for i in 1..=n {
        students.push(app.user("student", &format!("Ученик {i}")).await);
    }
    let members: Vec<&User> = students.iter().collect();
    (crate::groups::group(app, teacher, "Все", &members).await, students)
}

fn ids(list: &Value) -> Vec<i64> {
    list.as_array().expect("a list").iter().map(|m| m["id"].as_i64().or_else(|| m.as_i64()).expect("an id")).collect()
}

#[tokio::test]
async fn a_message_and_its_edit_mention_at_most_twenty_people_however_many_they_name() {
    let app = TestApp::spawn_with(|config| config.append.editing = true).await;
    let teacher = app.user("teacher", "Учитель").await;
    let (chat, students) = class(&app, &teacher, 25).await;
    // Named last to first: the first twenty named are the ones mentioned, in that order.
    let roll: String = (1..=25).rev().map(|i| format!("@Ученик {i}, ")).collect();
    let first_twenty: Vec<i64> = students.iter().rev().take(20).map(|s| s.id).collect();

    let answer = sent(&app, &teacher, chat, &roll).await;
    let message = answer["id"].as_i64().expect("id");
    let mut shown = first_twenty.clone();
    shown.sort();
    assert_eq!(ids(&answer["mentions"]), shown, "the answer names twenty, by id");
    assert_eq!(ids(&logged(&app, "message_created", message).await), first_twenty, "the log keeps twenty ids");

    let (status, edited) = status_and_json(app.edit(&teacher, message, &format!("{roll}!")).await).await;
    assert_eq!(status, 200, "{edited}");
    assert_eq!(ids(&logged(&app, "message_edited", message).await), first_twenty, "an edit is bounded too");
    let count: i64 = app
        .sql
        .query_one("SELECT count(*) FROM message_mentions WHERE message_id = $1", &[&message])
        .await
        .expect("count")
        .get(0);
    assert_eq!(count, 20);
}

#[tokio::test]
async fn the_log_checks_the_mentions_it_is_given_and_resolves_none_from_the_text() {
    let app = TestApp::spawn().await;
    let teacher = app.user("teacher", "Учитель").await;
    let (chat, students) = class(&app, &teacher, 3).await;
    let outsider = app.user("student", "Чужой").await;
    let append = |payload: Value| {
        let sql = &app.sql;
        async move {
            sql.query_one(
                "INSERT INTO events (chat_id, actor_id, type, payload) VALUES ($1, $2, 'message_created', $3)
                 RETURNING payload -> 'mentions'",
                &[&chat, &teacher.id, &payload],
            )
            .await
            .map(|row| row.get::<_, Option<Value>>(0))
            .map_err(|e| e.as_db_error().map(|e| e.message().to_owned()).unwrap_or_else(|| e.to_string()))
        }
    };

    // A text that names a member, appended without mentions (psql, say): the log reads no text.
    let plain = append(json!({ "content": "@Ученик 1, привет" })).await.expect("appended");
    assert_eq!(plain, None, "the log resolves nothing itself");

    // Of the ids it is given, it keeps the members whose name follows an "@" in the text: not a
    // member who is not named, nor a stranger, nor the sender, and each once.
    let given = json!([students[1].id, students[0].id, outsider.id, teacher.id, students[1].id]);
    let kept = append(json!({ "content": "@Ученик 2 и @ученик 1", "mentions": given })).await.expect("appended");
    assert_eq!(kept, Some(json!([students[1].id, students[0].id])));

    // More than twenty ids, or what is not an id, is refused.
    let many: Vec<i64> = (0..21).map(|_| students[0].id).collect();
    let refused = append(json!({ "content": "@Ученик 1", "mentions": many })).await.expect_err("refused");
    assert!(refused.contains("at most 20"), "{refused}");
    let refused = append(json!({ "content": "@Ученик 1", "mentions": ["1"] })).await.expect_err("refused");
    assert!(refused.contains("at most 20"), "{refused}");
}
