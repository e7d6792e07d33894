//! Quiet hours (`QUIET_HOURS=21:00-08:00` in `Europe/Moscow`, on the replicas' test clocks): a
//! teacher's message to a student at 22:00 is accepted and held, not delivered nor counted;
//! when the window ends it is delivered once to every replica's streams, whichever replica
//! accepted it and even if that one stopped meanwhile; students still write; admins see held
//! messages at once and may deliver one early.

use std::time::Duration;

use serde_json::{Value, json};
use time::macros::datetime;
use tutorchat::config::QuietHours;

use crate::governance::audit_is_clean;
use crate::helpers::{TestApp, User, status_and_json};

pub fn quiet(config: &mut tutorchat::Config) {
    config.safeguarding.quiet_hours = QuietHours::parse("21:00-08:00");
    config.safeguarding.school_timezone = "Europe/Moscow".into();
    config.safeguarding.release_every = Duration::from_millis(100);
}

/// 22:00 in Moscow (UTC+3), and 08:00:01 the next morning.
pub const EVENING: time::OffsetDateTime = datetime!(2036-11-25 19:00 UTC);
const MORNING: time::OffsetDateTime = datetime!(2036-11-26 05:00:01 UTC);

async fn post(app: &TestApp, user: &User, chat: i64, content: &str) -> (u16, Value) {
    status_and_json(app.post_message(user, chat, content).await).await
}

async fn held(app: &TestApp, user: &User) -> Vec<Value> {
    let (status, body) = status_and_json(app.get("/api/held-messages", user).send().await.expect("GET")).await;
    assert_eq!(status, 200, "{body}");
    body["messages"].as_array().expect("messages").clone()
}

#[tokio::test]
async fn a_teachers_message_at_22_is_delivered_once_at_8_on_every_replica_across_a_restart() {
    let a = TestApp::spawn_with(quiet).await;
    let b = TestApp::spawn_on(a.database.clone(), quiet).await;
    let (teacher, student, admin) =
        (a.user("teacher", "Иван").await, a.user("student", "Маша").await, a.user("admin", "Завуч").await);
    let chat = a.chat(&teacher, &student).await;
    a.state.clock.set(EVENING);
    b.state.clock.set(EVENING);
    let mut on_a = a.stream(&student, None).await;
    let mut on_b = b.stream(&student, None).await;

    // Accepted and held until 08:00 Moscow time.
    let (status, body) = post(&a, &teacher, chat, "Домашнее задание на завтра").await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["deliver_at"], "2036-11-26T05:00:00Z");
    // The student still writes, and that is what the streams get first.
    let (status, own) = post(&a, &student, chat, "Спокойной ночи").await;
    assert_eq!(status, 201, "{own}");
    for stream in [&mut on_a, &mut on_b] {
        let first = stream.event().await;
        assert_eq!(first.json()["message"]["content"], "Спокойной ночи", "{}", first.data);
    }
    assert_eq!(a.unread(&student, chat).await, 0, "nothing of the teacher's counts yet");
    let (_, history) =
        status_and_json(a.get(&format!("/api/chats/{chat}/messages"), &student).send().await.expect("GET")).await;
    assert_eq!(history["messages"].as_array().map(Vec::len), Some(1), "{history}");
    // Its sender and admins see it at once; the student does not.
    assert_eq!(held(&a, &teacher).await.len(), 1);
    assert_eq!(held(&b, &admin).await[0]["content"], "Домашнее задание на завтра");
    assert!(held(&a, &student).await.is_empty());

    // The replica that accepted it stops; another starts; it is still 22:30.
    drop(on_a);
    drop(a);
    let c = TestApp::spawn_on(b.database.clone(), quiet).await;
    c.state.clock.set(EVENING + time::Duration::minutes(30));
    let mut on_c = c.stream(&student, None).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(held(&c, &admin).await.len(), 1, "not delivered before 08:00");

    // 08:00 on both: delivered once to each replica's streams, then nothing more of it.
    b.state.clock.set(MORNING);
    c.state.clock.set(MORNING);
    for stream in [&mut on_b, &mut on_c] {
        let delivered = stream.event_within(Duration::from_secs(15)).await;
        assert_eq!(delivered.event, "new_message", "{}", delivered.data);
        assert_eq!(delivered.json()["message"]["content"], "Домашнее задание на завтра");
    }
    tokio::time::sleep(Duration::from_millis(500)).await; // both replicas' jobs have run again
    let (status, _) = post(&b, &student, chat, "Доброе утро").await;
    assert_eq!(status, 201);
    for stream in [&mut on_b, &mut on_c] {
        assert_eq!(stream.event().await.json()["message"]["content"], "Доброе утро", "no second delivery");
    }
    assert!(held(&c, &admin).await.is_empty());
    assert_eq!(c.unread(&student, chat).await, 1, "counted as it is delivered");
    let says: bool = b
        .sql
        .query_one(
            "SELECT payload ? 'held_since' FROM events WHERE type = 'message_created' AND actor_id = $1",
            &[&teacher.id],
        )
        .await
        .expect("the teacher's message")
        .get(0);
    assert!(says, "the log says it was held");
    audit_is_clean(&b).await;
}

#[tokio::test]
async fn outside_the_window_and_for_students_nothing_is_held_and_an_admin_may_deliver_early() {
    let a = TestApp::spawn_with(quiet).await;
    let (teacher, student, admin) =
        (a.user("teacher", "Иван").await, a.user("student", "Маша").await, a.user("admin", "Завуч").await);
    let chat = a.chat(&teacher, &student).await;
    a.state.clock.set(datetime!(2036-11-25 09:00 UTC)); // noon in Moscow
    assert_eq!(post(&a, &teacher, chat, "днём").await.0, 201);

    a.state.clock.set(EVENING);
    assert_eq!(post(&a, &student, chat, "вечером от ученицы").await.0, 201);
    let (status, body) = post(&a, &teacher, chat, "вечером от учителя").await;
    assert_eq!(status, 202, "{body}");
    let id = body["id"].as_i64().expect("held id");

    // A retry with the same key answers the same held message.
    let keyed = |content: &'static str| {
        a.http
            .post(a.url("/api/messages"))
            .bearer_auth(&teacher.token)
            .header("Idempotency-Key", "k-1")
            .json(&json!({ "chat_id": chat, "content": content }))
    };
    let (first, again) = (
        status_and_json(keyed("с ключом").send().await.expect("POST")).await,
        status_and_json(keyed("с ключом").send().await.expect("POST")).await,
    );
    assert_eq!((first.0, again.0, &first.1["id"]), (202, 202, &again.1["id"]), "{first:?} {again:?}");

    // An admin delivers one early; the teacher may not; twice is 404.
    let deliver =
        |by: &User| a.http.post(a.url(&format!("/api/admin/held-messages/{id}/deliver"))).bearer_auth(&by.token);
    assert_eq!(deliver(&teacher).send().await.expect("POST").status(), 403);
    let (status, delivered) = status_and_json(deliver(&admin).send().await.expect("POST")).await;
    assert_eq!(status, 200, "{delivered}");
    assert_eq!(deliver(&admin).send().await.expect("POST").status(), 404);
    let (_, history) =
        status_and_json(a.get(&format!("/api/chats/{chat}/messages"), &student).send().await.expect("GET")).await;
    let texts: Vec<&str> = history["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| m["content"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(texts, ["днём", "вечером от ученицы", "вечером от учителя"]);
    assert_eq!(held(&a, &teacher).await.len(), 1, "the keyed one still waits");
    audit_is_clean(&a).await;
}

fn quiet_with_editing(config: &mut tutorchat::Config) {
    quiet(config);
    config.append.editing = true;
}

/// `PATCH /api/chats/{chat}` with a new title, as `by`.
async fn rename(app: &TestApp, by: &User, chat: i64, title: &str) -> (u16, Value) {
    let request =
        app.http.patch(app.url(&format!("/api/chats/{chat}"))).bearer_auth(&by.token).json(&json!({ "title": title }));
    status_and_json(request.send().await.expect("PATCH chat")).await
}

/// `POST /api/chats`: a group of `by` with `members` (whom `by` teaches).
async fn create_group(app: &TestApp, by: &User, title: &str, members: &[&User]) -> (u16, Value) {
    let ids: Vec<i64> = members.iter().map(|m| m.id).collect();
    app.teaches(by, &ids).await;
    let body = json!({ "kind": "group", "title": title, "participant_ids": ids });
    status_and_json(app.http.post(app.url("/api/chats")).bearer_auth(&by.token).json(&body).send().await.expect("POST"))
        .await
}

/// What quiet hours answer a change they cannot hold: 409 `quiet_hours`, saying until when.
fn assert_quiet_refusal(status: u16, body: &Value) {
    assert_eq!((status, body["code"].as_str()), (409, Some("quiet_hours")), "{body}");
    let says = body["error"].as_str().unwrap_or_default();
    assert!(says.contains("2036-11-26T05:00:00Z"), "the answer says when quiet hours end: {body}");
}

#[tokio::test]
async fn a_teachers_edit_in_a_students_chat_is_refused_inside_quiet_hours_and_reaches_nobody() {
    let a = TestApp::spawn_with(quiet_with_editing).await;
    let (teacher, student) = (a.user("teacher", "Иван").await, a.user("student", "Маша").await);
    let chat = a.chat(&teacher, &student).await;
    a.state.clock.set(datetime!(2036-11-25 09:00 UTC)); // noon in Moscow
    let message = a.send(&teacher, chat, "Задание: стр. 12").await;
    let own = a.send(&student, chat, "Хорошо").await;

    a.state.clock.set(EVENING);
    let mut students = a.stream(&student, None).await;
    let (status, body) = status_and_json(a.edit(&teacher, message, "Совсем другой текст").await).await;
    assert_quiet_refusal(status, &body);
    // The student edits her own as always; her stream gets that, and nothing of the teacher's.
    let (status, body) = status_and_json(a.edit(&student, own, "Хорошо, сделаю").await).await;
    assert_eq!(status, 200, "{body}");
    let next = students.event().await;
    assert_eq!(
        (next.event.as_str(), next.json()["message"]["id"].as_i64()),
        ("message_edited", Some(own)),
        "the teacher's edit reached the student: {}",
        next.data
    );
    let (_, history) =
        status_and_json(a.get(&format!("/api/chats/{chat}/messages"), &student).send().await.expect("GET")).await;
    let shown = history["messages"].as_array().expect("messages").iter().find(|m| m["id"] == message).cloned();
    assert_eq!(shown.map(|m| m["content"].clone()), Some(json!("Задание: стр. 12")), "{history}");

    // After the window the same edit is an ordinary one.
    a.state.clock.set(MORNING);
    let (status, body) = status_and_json(a.edit(&teacher, message, "Совсем другой текст").await).await;
    assert_eq!((status, body["content"].as_str()), (200, Some("Совсем другой текст")), "{body}");
    audit_is_clean(&a).await;
}

#[tokio::test]
async fn inside_quiet_hours_a_teacher_neither_renames_nor_makes_a_group_with_students_nor_adds_one() {
    let a = TestApp::spawn_with(quiet).await;
    let (teacher, student, colleague, newcomer) = (
        a.user("teacher", "Иван").await,
        a.user("student", "Маша").await,
        a.user("teacher", "Ольга").await,
        a.user("student", "Петя").await,
    );
    a.state.clock.set(datetime!(2036-11-25 09:00 UTC)); // noon in Moscow
    let (status, class) = create_group(&a, &teacher, "7Б", &[&student]).await;
    assert_eq!(status, 201, "{class}");
    let class = class["id"].as_i64().expect("chat id");
    let (status, staff) = create_group(&a, &teacher, "Учительская", &[&colleague]).await;
    assert_eq!(status, 201, "{staff}");
    let staff = staff["id"].as_i64().expect("chat id");

    a.state.clock.set(EVENING);
    let mut students = a.stream(&student, None).await;
    let (status, body) = rename(&a, &teacher, class, "Ночное название").await;
    assert_quiet_refusal(status, &body);
    let (status, body) = create_group(&a, &teacher, "Ночной кружок", &[&student]).await;
    assert_quiet_refusal(status, &body);
    a.teaches(&teacher, &[newcomer.id]).await;
    let add = a
        .http
        .post(a.url(&format!("/api/chats/{staff}/participants")))
        .bearer_auth(&teacher.token)
        .json(&json!({ "user_id": newcomer.id }));
    let (status, body) = status_and_json(add.send().await.expect("POST participants")).await;
    assert_quiet_refusal(status, &body);
    // Nothing reaches a student: a group of teachers is renamed and made as always.
    let (status, body) = rename(&a, &teacher, staff, "Учительская (вечер)").await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = create_group(&a, &teacher, "Методобъединение", &[&colleague]).await;
    assert_eq!(status, 201, "{body}");
    a.send(&student, class, "я тут").await;
    let next = students.event().await;
    assert_eq!(next.event, "message_sent", "no title reached the student: {}", next.data);
    let count: i64 = a
        .sql
        .query_one(
            "SELECT count(*) FROM chat_participants p JOIN chats c ON c.id = p.chat_id
             WHERE p.user_id = ANY($1) AND c.kind = 'group'",
            &[&vec![student.id, newcomer.id]],
        )
        .await
        .expect("count")
        .get(0);
    assert_eq!(count, 1, "only the class from noon");

    // After the window, all of it works.
    a.state.clock.set(MORNING);
    assert_eq!(rename(&a, &teacher, class, "7Б (утро)").await.0, 200);
    assert_eq!(create_group(&a, &teacher, "Утренний кружок", &[&student]).await.0, 201);
    let add = a
        .http
        .post(a.url(&format!("/api/chats/{staff}/participants")))
        .bearer_auth(&teacher.token)
        .json(&json!({ "user_id": newcomer.id }));
    assert_eq!(add.send().await.expect("POST participants").status(), 201);
    audit_is_clean(&a).await;
}

#[tokio::test]
async fn a_teacher_has_at_most_scheduled_per_person_messages_held_at_once() {
    let a = TestApp::spawn_with(|c| {
        quiet(c);
        c.rate.scheduled_per_person = 3;
    })
    .await;
    let (teacher, student, other) =
        (a.user("teacher", "Иван").await, a.user("student", "Маша").await, a.user("student", "Петя").await);
    let (chat, others) = (a.chat(&teacher, &student).await, a.chat(&teacher, &other).await);
    a.state.clock.set(EVENING);
    for n in 0..3 {
        let (status, body) = post(&a, &teacher, if n == 0 { others } else { chat }, &format!("вечером {n}")).await;
        assert_eq!(status, 202, "{body}");
    }
    let (status, body) = post(&a, &teacher, chat, "ещё одно").await;
    assert_eq!((status, body["code"].as_str()), (409, Some("too_many_scheduled")), "{body}");
    assert_eq!(held(&a, &teacher).await.len(), 3, "the refused one is not kept");
    assert_eq!(post(&a, &student, chat, "ученица пишет как всегда").await.0, 201);

    // Delivered in the morning, they free their places.
    a.state.clock.set(MORNING);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while !held(&a, &teacher).await.is_empty() {
        assert!(tokio::time::Instant::now() < deadline, "not delivered within 15 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    a.state.clock.set(EVENING + time::Duration::days(1));
    assert_eq!(post(&a, &teacher, chat, "следующим вечером").await.0, 202);
}

/// A school's clock PostgreSQL does not know stops a replica's start, in one line naming
/// `SCHOOL_TIMEZONE`; one it knows (other than the default, `UTC`, taken without a lookup)
/// starts.
#[tokio::test]
async fn a_school_timezone_postgresql_does_not_know_stops_start_up_naming_the_variable() {
    let database = crate::helpers::migrated_database().await;
    let mut config = crate::helpers::test_config((*database).clone());
    config.safeguarding.school_timezone = "Mars/Olympus_Mons".into();
    let error = tutorchat::Application::build(config).await.err().expect("refused");
    let error = format!("{error:#}");
    assert!(error.starts_with("SCHOOL_TIMEZONE: \"Mars/Olympus_Mons\" is not a time zone"), "{error}");
    assert!(!error.contains('\n'), "{error}");
    let mut config = crate::helpers::test_config((*database).clone());
    config.safeguarding.school_timezone = "Asia/Kamchatka".into();
    drop(tutorchat::Application::build(config).await.expect("a zone PostgreSQL knows"));
}
