//! Who left the school hears nothing more from it: no offline notice is written for them nor
//! sent (one pending when they left is cancelled), their browsers' Web Push subscriptions go,
//! their inquiry links open no new chat, and nobody adds them to a group.

use std::time::Duration;

use serde_json::json;
use tutorchat::config::NotifyConfig;

use super::deactivate;
use crate::governance::audit_is_clean;
use crate::groups::{add, group};
use crate::helpers::{PushReceiver, Receiver, TestApp, status_and_json};
use crate::inquiries::{link, visit};
use crate::notices::notify;
use crate::push::{config, subscribe, to};

/// How many notices `user` has, in any state.
async fn notices_of(app: &TestApp, user: i64) -> Vec<String> {
    let rows = app.sql.query("SELECT state FROM notices WHERE user_id = $1", &[&user]).await.expect("notices");
    rows.iter().map(|r| r.get(0)).collect()
}

#[tokio::test]
async fn a_member_who_left_gets_no_webhook_notice_of_the_groups_messages() {
    let (receiver, url) = Receiver::start().await;
    let a = TestApp::spawn_with(|c| c.notify = notify(&url)).await;
    let (teacher, maria, alex) =
        (a.user("teacher", "Иван").await, a.user("student", "Мария").await, a.user("student", "Alex").await);
    let admin = a.user("admin", "Завуч").await;
    let class = group(&a, &teacher, "7Б", &[&maria, &alex]).await;
    assert_eq!(deactivate(&a, &admin, &maria, true).await.0, 204);

    a.send(&teacher, class, "after-she-left: контрольная в пятницу").await;
    // Alex's notice comes after the grace period; Мария's would have come with it.
    let calls = receiver.wait_for(1, Duration::from_secs(2)).await;
    let users: Vec<i64> = calls.iter().map(|c| c.json()["user_id"].as_i64().expect("user_id")).collect();
    assert_eq!(users, [alex.id], "only the member who is still at the school: {calls:?}");
    a.notices_written().await;
    assert_eq!(notices_of(&a, maria.id).await, Vec::<String>::new(), "no notice is even written for her");
    audit_is_clean(&a).await;
}

#[tokio::test]
async fn a_notice_pending_when_its_person_leaves_is_cancelled_and_never_sent() {
    let (receiver, url) = Receiver::start().await;
    // A grace period nothing outlives, then both notices made due by moving their times back
    // (a short one raced the test: under load, writing the notice and the deactivation took
    // longer than 2 s, and once than 6).
    let config = NotifyConfig { grace: Duration::from_secs(3600), ..notify(&url) };
    let a = TestApp::spawn_with(|c| c.notify = config).await;
    let (teacher, maria, alex) =
        (a.user("teacher", "Иван").await, a.user("student", "Мария").await, a.user("student", "Alex").await);
    let admin = a.user("admin", "Завуч").await;
    let (hers, his) = (a.chat(&teacher, &maria).await, a.chat(&teacher, &alex).await);

    a.send(&teacher, hers, "written while she was still here").await;
    a.notices_written().await;
    assert_eq!(notices_of(&a, maria.id).await, ["pending"], "queued, within its grace period");
    assert_eq!(deactivate(&a, &admin, &maria, true).await.0, 204);
    a.send(&teacher, his, "and one for Alex").await;
    a.notices_written().await;
    a.sql
        .execute("UPDATE notices SET created_at = created_at - interval '2 hours'", &[])
        .await
        .expect("both notices due");

    // Both are due now: once Alex's has come, hers would have.
    let calls = receiver.wait_for(1, Duration::from_secs(2)).await;
    let users: Vec<i64> = calls.iter().map(|c| c.json()["user_id"].as_i64().expect("user_id")).collect();
    assert_eq!(users, [alex.id], "{calls:?}");
    assert_eq!(notices_of(&a, maria.id).await, ["cancelled"]);
    let preview: String = a
        .sql
        .query_one("SELECT preview FROM notices WHERE user_id = $1", &[&maria.id])
        .await
        .expect("her notice")
        .get(0);
    assert_eq!(preview, "", "a cancelled notice quotes nobody");
}

#[tokio::test]
async fn the_browsers_of_someone_who_left_are_unsubscribed_and_get_no_push() {
    let receiver = PushReceiver::start().await;
    let a = TestApp::spawn_with(|c| c.notify = config(&receiver)).await;
    let (teacher, maria, alex) =
        (a.user("teacher", "Иван").await, a.user("student", "Мария").await, a.user("student", "Alex").await);
    let admin = a.user("admin", "Завуч").await;
    let (hers, her_subscription) = receiver.subscribe().await;
    let (his, his_subscription) = receiver.subscribe().await;
    assert_eq!(subscribe(&a, &maria, &her_subscription).await.0, 201);
    assert_eq!(subscribe(&a, &alex, &his_subscription).await.0, 201);
    let class = group(&a, &teacher, "7Б", &[&maria, &alex]).await;

    assert_eq!(deactivate(&a, &admin, &maria, true).await.0, 204);
    let left: i64 = a
        .sql
        .query_one("SELECT count(*) FROM push_subscriptions WHERE user_id = $1", &[&maria.id])
        .await
        .expect("count")
        .get(0);
    assert_eq!(left, 0, "her browsers' subscriptions go when she leaves");

    a.send(&teacher, class, "after-she-left: контрольная в пятницу").await;
    receiver.wait_for("Alex's push", Duration::from_secs(10), |r| !to(r, &his).is_empty()).await;
    tokio::time::sleep(Duration::from_secs(1)).await; // hers would have been sent with his
    let received = receiver.received().await;
    assert!(to(&received, &hers).is_empty(), "{received:#?}");
}

#[tokio::test]
async fn a_departed_teachers_inquiry_link_opens_no_chat() {
    let a = TestApp::spawn().await;
    let (teacher, admin) = (a.user("teacher", "Иван Петров").await, a.user("admin", "Завуч").await);
    let (status, created) = link(&a, &teacher, json!({ "title": "ЕГЭ математика" })).await;
    assert_eq!(status, 201, "{created}");
    let token = created["token"].as_str().expect("token");
    assert_eq!(deactivate(&a, &admin, &teacher, true).await.0, 204);

    let (status, answer, _) = visit(&a, token, "Мама Пети").await;
    assert_eq!((status, answer["code"].as_str()), (404, Some("not_found")), "as a revoked link: {answer}");
    let (status, _) =
        status_and_json(a.http.get(a.url(&format!("/api/inquiry/{token}"))).send().await.expect("GET")).await;
    assert_eq!(status, 404);
    let chats: i64 =
        a.sql.query_one("SELECT count(*) FROM chats WHERE kind = 'inquiry'", &[]).await.expect("count").get(0);
    assert_eq!(chats, 0, "no chat, so nobody to notify");
    let (_, listed) = status_and_json(a.get("/api/inquiry-links", &admin).send().await.expect("GET")).await;
    assert!(listed["links"][0]["revoked_at"].is_string(), "revoked when he left: {listed}");
    audit_is_clean(&a).await;
}

#[tokio::test]
async fn nobody_adds_someone_who_left_to_a_group() {
    let a = TestApp::spawn().await;
    let (teacher, maria, alex) =
        (a.user("teacher", "Иван").await, a.user("student", "Мария").await, a.user("student", "Alex").await);
    let admin = a.user("admin", "Завуч").await;
    let class = group(&a, &teacher, "7Б", &[&maria]).await;
    a.teaches(&teacher, &[alex.id]).await;
    assert_eq!(deactivate(&a, &admin, &alex, true).await.0, 204);

    for by in [&teacher, &admin] {
        let (status, body) = add(&a, by, class, alex.id).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("person_deactivated")), "{body}");
    }
    let request = a.http.post(a.url("/api/chats")).bearer_auth(&teacher.token).json(&json!({
        "kind": "group", "title": "8А", "participant_ids": [maria.id, alex.id]
    }));
    let (status, body) = status_and_json(request.send().await.expect("POST /api/chats")).await;
    assert_eq!((status, body["code"].as_str()), (422, Some("person_deactivated")), "{body}");
    audit_is_clean(&a).await;
}

#[tokio::test]
async fn an_announcement_to_all_my_students_leaves_out_those_who_left() {
    let a = TestApp::spawn().await;
    let (teacher, maria, alex) =
        (a.user("teacher", "Иван").await, a.user("student", "Мария").await, a.user("student", "Alex").await);
    let admin = a.user("admin", "Завуч").await;
    a.chat(&teacher, &maria).await; // a completed lesson each
    a.chat(&teacher, &alex).await;
    assert_eq!(deactivate(&a, &admin, &alex, true).await.0, 204);

    let request = a.http.post(a.url("/api/chats")).bearer_auth(&teacher.token).json(&json!({
        "kind": "group", "title": "Новости", "audience": "my_students"
    }));
    let (status, body) = status_and_json(request.send().await.expect("POST /api/chats")).await;
    assert_eq!(status, 201, "{body}");
    let mut members: Vec<i64> =
        body["participants"].as_array().expect("participants").iter().filter_map(|p| p["id"].as_i64()).collect();
    members.sort_unstable();
    assert_eq!(members, [teacher.id, maria.id], "{body}");
}

#[tokio::test]
async fn a_plain_message_of_someone_who_left_is_refused_as_deactivated_not_as_suspended() {
    let a = TestApp::spawn().await;
    let (teacher, maria, admin) =
        (a.user("teacher", "Иван").await, a.user("student", "Мария").await, a.user("admin", "Завуч").await);
    let chat = a.chat(&teacher, &maria).await;
    assert_eq!(deactivate(&a, &admin, &maria, true).await.0, 204);
    // What a scheduled or held message of hers meets when it comes due: the log's own refusal.
    let error = a
        .sql
        .execute(
            "INSERT INTO events (chat_id, actor_id, type, payload) VALUES ($1, $2, 'message_created', $3)",
            &[&chat, &maria.id, &json!({ "content": "ещё одно" })],
        )
        .await
        .expect_err("refused");
    let hint = error.as_db_error().and_then(|e| e.hint()).map(str::to_owned);
    assert_eq!(hint.as_deref(), Some("account_deactivated"), "{error:?}");
}
