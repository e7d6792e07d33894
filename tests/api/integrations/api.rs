//! The integration API: `PUT /api/integrations/lessons/{external_id}`, its `DELETE` and its
//! batch, as the school's timetable calls them with a provisioning client's token.

use serde_json::{Value, json};

use tutorchat::log::people::By;
use tutorchat::provisioning::people;

use super::{count, provisioned};
use crate::helpers::{TestApp, status_and_json};

/// `PUT /api/integrations/lessons/{id}` with `body`, as `token`.
async fn put(app: &TestApp, token: &str, id: &str, body: &Value) -> (u16, Value) {
    let url = app.url(&format!("/api/integrations/lessons/{id}"));
    status_and_json(app.http.put(url).bearer_auth(token).json(body).send().await.expect("PUT")).await
}

async fn delete(app: &TestApp, token: &str, id: &str) -> (u16, Value) {
    let url = app.url(&format!("/api/integrations/lessons/{id}"));
    status_and_json(app.http.delete(url).bearer_auth(token).send().await.expect("DELETE")).await
}

fn lesson(teacher: &str, student: &str, subject: &str, status: &str) -> Value {
    json!({ "teacher_external_id": teacher, "student_external_id": student, "subject": subject,
            "scheduled_at": "2026-09-01T15:00:00+03:00", "status": status })
}

#[tokio::test]
async fn a_lesson_completed_through_the_api_opens_the_pairs_chat_live_on_both_replicas() {
    let a = TestApp::spawn().await;
    let b = a.replica().await;
    let token = a.provisioning_token(&["lessons"]).await;
    let teacher = provisioned(&a, "t-1", "teacher", "Иван Петрович").await;
    let student = provisioned(&a, "s-1", "student", "Мария").await;
    let (mut on_a, mut on_b) = (a.stream(&teacher, None).await, b.stream(&student, None).await);

    let (status, body) = put(&a, &token, "L-1", &lesson("t-1", "s-1", "Алгебра", "completed")).await;
    assert_eq!(status, 201, "{body}");
    let chat_id = body["chat_id"].as_i64().expect("the completed lesson's chat");
    assert_eq!(
        (&body["external_id"], &body["status"], &body["subject"]),
        (&json!("L-1"), &json!("completed"), &json!("Алгебра"))
    );
    for (who, stream) in [("the teacher on a", &mut on_a), ("the student on b", &mut on_b)] {
        let event = stream.event().await;
        assert_eq!(event.event, "chat_created", "{who}: {}", event.data);
        let chat = &event.json()["chat"];
        assert_eq!((&chat["id"], &chat["subjects"]), (&json!(chat_id), &json!(["Алгебра"])), "{who}");
    }
}

#[tokio::test]
async fn the_same_lesson_again_changes_nothing_and_answers_the_same() {
    let app = TestApp::spawn().await;
    let token = app.provisioning_token(&["lessons"]).await;
    provisioned(&app, "t-1", "teacher", "T").await;
    provisioned(&app, "s-1", "student", "S").await;
    let scheduled = lesson("t-1", "s-1", "Физика", "scheduled");
    let (status, first) = put(&app, &token, "L-1", &scheduled).await;
    assert_eq!(status, 201, "{first}");
    let events = count(&app, "SELECT count(*) FROM events").await;
    let (status, again) = put(&app, &token, "L-1", &scheduled).await;
    assert_eq!((status, &again), (200, &first));
    assert_eq!(count(&app, "SELECT count(*) FROM lessons").await, 1);

    let completed = lesson("t-1", "s-1", "Физика", "completed");
    let (status, done) = put(&app, &token, "L-1", &completed).await;
    assert_eq!((status, &done["status"]), (200, &json!("completed")), "{done}");
    let opened = count(&app, "SELECT count(*) FROM events").await;
    assert_eq!(opened, events + 1, "the completion appends the chat's chat_created only");
    let (status, replayed) = put(&app, &token, "L-1", &completed).await;
    assert_eq!((status, &replayed), (200, &done));
    assert_eq!(count(&app, "SELECT count(*) FROM events").await, opened);
    let timestamps = "SELECT count(*) FROM lessons WHERE completed_at IS NOT NULL AND status = 'completed'";
    assert_eq!(count(&app, timestamps).await, 1);
}

#[tokio::test]
async fn a_completed_lesson_is_never_scheduled_again_and_cancelling_it_keeps_the_chat() {
    let app = TestApp::spawn().await;
    let token = app.provisioning_token(&["lessons"]).await;
    provisioned(&app, "t-1", "teacher", "T").await;
    provisioned(&app, "s-1", "student", "S").await;
    provisioned(&app, "s-2", "student", "S2").await;
    let (_, done) = put(&app, &token, "L-1", &lesson("t-1", "s-1", "Химия", "completed")).await;
    let (status, body) = put(&app, &token, "L-1", &lesson("t-1", "s-1", "Химия", "scheduled")).await;
    assert_eq!((status, &body["code"]), (409, &json!("lesson_completed")), "{body}");
    let (status, body) = put(&app, &token, "L-1", &lesson("t-1", "s-2", "Химия", "completed")).await;
    assert_eq!((status, &body["code"]), (409, &json!("lesson_completed")), "{body}");

    let (status, cancelled) = delete(&app, &token, "L-1").await;
    assert_eq!((status, &cancelled["status"], &cancelled["chat_id"]), (200, &json!("cancelled"), &done["chat_id"]));
    let events = count(&app, "SELECT count(*) FROM events").await;
    assert_eq!(delete(&app, &token, "L-1").await, (200, cancelled));
    assert_eq!(count(&app, "SELECT count(*) FROM events").await, events);
    assert_eq!(count(&app, "SELECT count(*) FROM chats").await, 1, "the chat stays");
    let (status, body) = delete(&app, &token, "L-404").await;
    assert_eq!((status, &body["code"]), (404, &json!("not_found")));
}

#[tokio::test]
async fn an_unknown_wrong_or_departed_person_is_refused_naming_the_external_id() {
    let app = TestApp::spawn().await;
    let token = app.provisioning_token(&["lessons"]).await;
    provisioned(&app, "t-1", "teacher", "T").await;
    provisioned(&app, "s-1", "student", "S").await;
    let (status, body) = put(&app, &token, "L-1", &lesson("t-1", "nobody-7", "История", "completed")).await;
    assert_eq!((status, &body["code"]), (422, &json!("unknown_person")), "{body}");
    assert!(
        body["error"].as_str().is_some_and(|e| e.contains("student_external_id") && e.contains("nobody-7")),
        "{body}"
    );
    let (status, body) = put(&app, &token, "L-1", &lesson("s-1", "s-1", "История", "scheduled")).await;
    assert_eq!((status, &body["code"]), (422, &json!("person_role_mismatch")), "{body}");
    let (status, body) = put(&app, &token, "L-1", &lesson("t-1", "s-1", "  ", "scheduled")).await;
    assert_eq!((status, &body["code"]), (400, &json!("invalid_request")), "{body}");
    assert_eq!(count(&app, "SELECT count(*) FROM lessons").await, 0);

    // A student who left gets no new lesson; one of theirs may still be cancelled.
    let scheduled = lesson("t-1", "s-1", "История", "scheduled");
    assert_eq!(put(&app, &token, "L-2", &scheduled).await.0, 201);
    let student = app.sql.query_one("SELECT id FROM users WHERE external_id = 's-1'", &[]).await.expect("id").get(0);
    people::set_active(&app.sql, &By::Client("sis".into()), student, false).await.expect("deactivate");
    let (status, body) = put(&app, &token, "L-3", &scheduled).await;
    assert_eq!((status, &body["code"]), (422, &json!("person_deactivated")), "{body}");
    assert_eq!(put(&app, &token, "L-2", &scheduled).await.0, 200, "sent again as it is");
    let (status, body) = put(&app, &token, "L-2", &lesson("t-1", "s-1", "История", "cancelled")).await;
    assert_eq!((status, &body["status"]), (200, &json!("cancelled")), "{body}");
}

#[tokio::test]
async fn only_a_client_with_the_lessons_scope_may_call_it() {
    let app = TestApp::spawn().await;
    let scim_only = app.provisioning_token(&["scim"]).await;
    let teacher = provisioned(&app, "t-1", "teacher", "T").await;
    provisioned(&app, "s-1", "student", "S").await;
    let body = lesson("t-1", "s-1", "Алгебра", "completed");
    let (status, refused) = put(&app, &scim_only, "L-1", &body).await;
    assert_eq!((status, &refused["code"]), (403, &json!("provisioning_scope_missing")), "{refused}");
    let (status, refused) = put(&app, &teacher.token, "L-1", &body).await;
    assert_eq!(status, 401, "a person's token is no client's: {refused}");
    assert_eq!(count(&app, "SELECT count(*) FROM lessons").await, 0);
}

#[tokio::test]
async fn a_batch_answers_each_lesson_in_order_and_keeps_the_good_ones() {
    let app = TestApp::spawn().await;
    let token = app.provisioning_token(&["lessons"]).await;
    provisioned(&app, "t-1", "teacher", "T").await;
    provisioned(&app, "s-1", "student", "S").await;
    let item = |id: &str, student: &str| {
        let mut item = lesson("t-1", student, "Алгебра", "scheduled");
        item["external_id"] = json!(id);
        item
    };
    let body =
        json!({ "lessons": [item("B-1", "s-1"), item("B-2", "ghost"), { "external_id": "B-3" }, item("B-1", "s-1")] });
    let send = || app.http.put(app.url("/api/integrations/lessons")).bearer_auth(&token).json(&body).send();
    let (status, answer) = status_and_json(send().await.expect("PUT")).await;
    assert_eq!(status, 200, "{answer}");
    let results = answer["results"].as_array().expect("results");
    let summary: Vec<(Value, Value, Value)> =
        results.iter().map(|r| (r["index"].clone(), r["outcome"].clone(), r["error"]["code"].clone())).collect();
    assert_eq!(
        summary,
        vec![
            (json!(0), json!("created"), Value::Null),
            (json!(1), Value::Null, json!("unknown_person")),
            (json!(2), Value::Null, json!("invalid_request")),
            (json!(3), json!("unchanged"), Value::Null),
        ]
    );
    assert_eq!(results[2]["external_id"], json!("B-3"));
    assert_eq!(count(&app, "SELECT count(*) FROM lessons").await, 1);
    let empty = app.http.put(app.url("/api/integrations/lessons")).bearer_auth(&token).json(&json!({ "lessons": [] }));
    assert_eq!(status_and_json(empty.send().await.expect("PUT")).await.0, 422);
}
