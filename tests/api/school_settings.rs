//! A school's settings (`GET`/`PATCH /api/school/settings`): its admins change the
//! deployment's defaults for it, each change an event of the log, followed by every replica.

use std::time::Duration;

use serde_json::{Value, json};

use crate::families::childrens;
use crate::governance::audit_is_clean;
use crate::groups::group;
use crate::guardians::{get as read, set_link};
use crate::helpers::{Pair, TestApp, User, pair, status_and_json};

const SETTINGS: &str = "/api/school/settings";

async fn patch(app: &TestApp, user: &User, body: Value) -> (u16, Value) {
    let response = app.http.patch(app.url(SETTINGS)).bearer_auth(&user.token).json(&body).send().await;
    status_and_json(response.expect("the request completes")).await
}

async fn get(app: &TestApp, user: &User) -> (u16, Value) {
    status_and_json(app.get(SETTINGS, user).send().await.expect("the request completes")).await
}

async fn editing_for(app: &TestApp, user: &User) -> bool {
    let (status, me) = status_and_json(app.get("/api/me", user).send().await.expect("the request completes")).await;
    assert_eq!(status, 200, "{me}");
    me["message_editing"].as_bool().expect("message_editing")
}

/// Waits (up to 10 s) until `user`'s `/api/me` on `app` says `editing`: the replica's copy of
/// the settings follows the log.
async fn until_editing(app: &TestApp, user: &User, editing: bool) {
    for _ in 0..100 {
        if editing_for(app, user).await == editing {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the replica's message_editing never became {editing}");
}

async fn changes(app: &TestApp) -> Vec<(Option<i64>, Option<i64>, Value)> {
    let rows = app
        .sql
        .query(
            "SELECT chat_id, actor_id, payload FROM events WHERE type = 'school_settings_changed' ORDER BY position",
            &[],
        )
        .await
        .expect("read the log");
    rows.iter().map(|r| (r.get(0), r.get(1), r.get(2))).collect()
}

#[tokio::test]
async fn an_admins_change_is_an_event_of_the_log_and_holds_on_every_replica() {
    let Pair { a, teacher, student, admin, chat } = pair().await;
    let b = a.replica().await;

    // The deployment's defaults, and nothing of the school's own.
    let (status, before) = get(&a, &admin).await;
    assert_eq!(status, 200, "{before}");
    assert_eq!(before["message_editing"], false, "{before}");
    assert_eq!(before["time_zone"], "UTC", "{before}");
    let nothing = json!({ "name": null, "time_zone": null, "quiet_hours": null, "family_quiet_hours": null,
                          "message_editing": null, "retention_days": null, "email_notify": null, "language": null, "email_sender": null,
                          "guardian_groups": null });
    assert_eq!(before["own"], nothing);
    assert_eq!(before["defaults"]["family_quiet_hours"], "students", "QUIET_HOURS_FAMILIES unset");
    assert_eq!(before["defaults"]["message_editing"], false);
    let id = a.send(&student, chat, "helo").await;
    assert_eq!(b.edit(&student, id, "hello").await.status(), 403, "editing is off by default");
    let mut admins = b.stream(&admin, None).await;

    let change = json!({ "name": "Школа на Арбате", "time_zone": "Europe/Moscow", "message_editing": true });
    let (status, after) = patch(&a, &admin, change).await;
    assert_eq!(status, 200, "{after}");
    assert_eq!(
        (&after["name"], &after["time_zone"], &after["message_editing"]),
        (&json!("Школа на Арбате"), &json!("Europe/Moscow"), &json!(true))
    );
    assert_eq!(after["own"]["time_zone"], "Europe/Moscow");
    assert_eq!(after["defaults"]["time_zone"], "UTC", "the defaults stay the deployment's");

    // Who changed what, when: one event of the log, by the admin, of no chat.
    let logged = changes(&a).await;
    assert_eq!(logged.len(), 1, "{logged:?}");
    assert_eq!((logged[0].0, logged[0].1), (None, Some(admin.id)));
    assert_eq!(
        logged[0].2,
        json!({ "name": "Школа на Арбате", "time_zone": "Europe/Moscow", "message_editing": true })
    );

    // The admins' streams on the other replica see it; that replica's requests follow it.
    let event = admins.event().await;
    assert_eq!(event.event, "school_settings_changed", "{event:?}");
    assert_eq!(event.json()["changed"], json!(["name", "time_zone", "message_editing"]));
    until_editing(&b, &student, true).await;
    assert_eq!(b.edit(&student, id, "hello").await.status(), 200, "editing is on for the school now");
    assert!(editing_for(&a, &teacher).await);

    // The same again: nothing changes, nothing is appended.
    let (status, same) = patch(&a, &admin, json!({ "message_editing": true, "name": "Школа на Арбате" })).await;
    assert_eq!((status, &same["message_editing"]), (200, &json!(true)), "{same}");
    assert_eq!(changes(&a).await.len(), 1);

    // null: back to the deployment's default, on every replica; the rest stays.
    let (status, back) = patch(&b, &admin, json!({ "message_editing": null })).await;
    assert_eq!(status, 200, "{back}");
    assert_eq!((&back["message_editing"], &back["own"]["message_editing"]), (&json!(false), &Value::Null));
    assert_eq!(back["time_zone"], "Europe/Moscow");
    until_editing(&a, &student, false).await;
    let (status, refused) = status_and_json(a.edit(&student, id, "hello!").await).await;
    assert_eq!((status, refused["code"].as_str()), (403, Some("editing_off")), "{refused}");

    // A replica that starts now reads them; the log and the read model agree.
    let c = a.replica().await;
    assert!(!editing_for(&c, &student).await);
    assert_eq!(get(&c, &admin).await.1["name"], "Школа на Арбате");
    let differences = a.sql.query("SELECT projection, problem FROM audit_replay()", &[]).await.expect("replay");
    let differences: Vec<(String, String)> = differences.iter().map(|r| (r.get(0), r.get(1))).collect();
    assert!(differences.is_empty(), "{differences:?}");
    a.sql.execute("UPDATE school_settings SET name = 'forged'", &[]).await.expect("tamper with the read model");
    let differences = a.sql.query("SELECT projection FROM audit_replay()", &[]).await.expect("replay");
    assert_eq!(differences.iter().map(|r| r.get::<_, String>(0)).collect::<Vec<_>>(), ["school_settings"]);
}

#[tokio::test]
async fn only_admins_see_or_change_them_and_a_setting_it_cannot_take_is_refused_with_a_reason() {
    let Pair { a, teacher, student, admin, .. } = pair().await;
    for someone in [&teacher, &student] {
        assert_eq!(get(&a, someone).await.0, 403);
        let (status, body) = patch(&a, someone, json!({ "message_editing": true })).await;
        assert_eq!(status, 403, "{body}");
    }
    assert_eq!(a.http.get(a.url(SETTINGS)).send().await.expect("the request completes").status(), 401);

    // 400 for what the API's document states (types, lengths, keys); 422 for the rules it
    // cannot (a time zone PostgreSQL knows, spaces around a name).
    for (body, about, expected) in [
        (json!({ "time_zone": "Mars/Olympus_Mons" }), "time zone", 422),
        (json!({ "time_zone": "" }), "time zone", 422),
        (json!({ "time_zone": 3 }), "time_zone", 400),
        (json!({ "name": "  Школа" }), "name", 422),
        (json!({ "name": "" }), "name", 400),
        (json!({ "name": "ш".repeat(101) }), "name", 400),
        (json!({ "quiet_hours": "" }), "HH:MM-HH:MM", 422),
        (json!({ "message_editing": "yes" }), "message_editing", 400),
        (json!({ "colour": "red" }), "colour", 400),
        (json!({}), "at least one setting", 400),
        // serde reads a struct from an array of its fields: the extractor refuses one.
        (json!([null, null]), "an object", 400),
    ] {
        let (status, answer) = patch(&a, &admin, body.clone()).await;
        assert_eq!(status, expected, "{body}: {answer}");
        let error = answer["error"].as_str().expect("an error message");
        assert!(error.contains(about), "{body}: {error}");
        assert!(answer["code"].is_string(), "{answer}");
    }
    assert!(changes(&a).await.is_empty(), "nothing refused reached the log");
    assert!(!editing_for(&a, &student).await);
}

#[tokio::test]
async fn a_schools_own_quiet_hours_hold_its_teachers_messages_and_off_turns_them_off() {
    let Pair { a, teacher, student, admin, chat } = pair().await;
    // The deployment sets none (QUIET_HOURS unset): the school's own window, around now in
    // the school's time zone (UTC, the default), holds a teacher's message to a student.
    assert_eq!(a.post_message(&teacher, chat, "before").await.status(), 201);
    for (window, about) in
        [("25:00-07:00", "no window of a day"), ("21:00-21:00", "no window"), ("soon", "HH:MM-HH:MM")]
    {
        let (status, answer) = patch(&a, &admin, json!({ "quiet_hours": window })).await;
        assert_eq!(status, 422, "a rule no schema states: {window}: {answer}");
        assert!(answer["error"].as_str().is_some_and(|e| e.contains(about)), "{window}: {answer}");
    }
    let (status, written) = patch(&a, &admin, json!({ "quiet_hours": " 7:00 - 8:30" })).await;
    assert_eq!((status, &written["own"]["quiet_hours"]), (200, &json!("07:00-08:30")), "written back as HH:MM-HH:MM");
    let around_now: String = a
        .sql
        .query_one(
            "SELECT to_char(now() AT TIME ZONE 'UTC' - interval '1 hour', 'HH24:MI') || '-'
                 || to_char(now() AT TIME ZONE 'UTC' + interval '1 hour', 'HH24:MI')",
            &[],
        )
        .await
        .expect("the window around now")
        .get(0);
    let (status, set) = patch(&a, &admin, json!({ "quiet_hours": around_now })).await;
    assert_eq!((status, &set["quiet_hours"]), (200, &json!(around_now)), "{set}");
    assert_eq!(set["defaults"]["quiet_hours"], Value::Null);
    let held = a.post_message(&teacher, chat, "inside the school's quiet hours").await;
    assert_eq!(held.status(), 202, "held: the replica that answered the change applies it");
    assert_eq!(a.post_message(&student, chat, "a student is never held").await.status(), 201);

    let (status, off) = patch(&a, &admin, json!({ "quiet_hours": "off" })).await;
    assert_eq!((status, &off["quiet_hours"], &off["own"]["quiet_hours"]), (200, &Value::Null, &json!("off")));
    assert_eq!(a.post_message(&teacher, chat, "off: sent at once").await.status(), 201);
    let logged = changes(&a).await;
    let windows: Vec<&Value> = logged.iter().map(|(_, _, payload)| &payload["quiet_hours"]).collect();
    assert_eq!(windows, [&json!("07:00-08:30"), &json!(around_now), &json!("off")]);
}

/// A school's own retention (`retention_days`) over the deployment's (`RETENTION_DAYS`, here
/// unset: keep everything): the retention job purges what is older than the school's days, and
/// null brings back the deployment's.
#[tokio::test]
async fn a_schools_own_retention_purges_what_is_older_and_null_keeps_everything_again() {
    use crate::governance::{created_at, one_retention_at_a_time};
    use tutorchat::governance::retention::run_at;
    let _turn = one_retention_at_a_time().await;
    let Pair { a, teacher, student, admin, chat } = pair().await;
    let old = a.send(&student, chat, "an old question").await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    let fresh = a.send(&teacher, chat, "a fresh answer").await;
    let between = created_at(&a, old).await + (created_at(&a, fresh).await - created_at(&a, old).await) / 2;
    let later = between + time::Duration::days(30);
    assert_eq!(run_at(&a.state, later).await.expect("run"), 0, "the deployment keeps everything");

    for days in [json!(0), json!(36501), json!("30"), json!(1.5)] {
        let (status, answer) = patch(&a, &admin, json!({ "retention_days": days })).await;
        assert_eq!(status, 400, "{days}: {answer}");
    }
    let (status, set) = patch(&a, &admin, json!({ "retention_days": 30 })).await;
    assert_eq!((status, &set["retention_days"], &set["defaults"]["retention_days"]), (200, &json!(30), &Value::Null));
    assert_eq!(run_at(&a.state, later).await.expect("run"), 1, "older than the school's 30 days: purged");
    let purged: Option<time::OffsetDateTime> =
        a.sql.query_one("SELECT purged_at FROM messages WHERE id = $1", &[&fresh]).await.expect("read").get(0);
    assert!(purged.is_none(), "the fresh answer stays");

    let (status, back) = patch(&a, &admin, json!({ "retention_days": null })).await;
    assert_eq!((status, &back["retention_days"], &back["own"]["retention_days"]), (200, &Value::Null, &Value::Null));
    assert_eq!(run_at(&a.state, later + time::Duration::days(365)).await.expect("run"), 0, "everything kept again");
    audit_is_clean(&a).await;
}

/// A school's own email defaults (`email_notify`, in `NOTIFY_EMAIL`'s form) and language
/// (`language`, `SCHOOL_LANGUAGE`'s): what a person who chose nothing gets, shown to them as
/// the school's default.
#[tokio::test]
async fn a_schools_email_defaults_and_language_are_what_a_person_who_chose_nothing_gets() {
    let Pair { a, teacher, student, admin, .. } = pair().await;
    let defaults = |user: &User| {
        let (notify, language) = (a.get("/api/me/email-notifications", user), a.get("/api/me/language", user));
        async move {
            let notify = status_and_json(notify.send().await.expect("GET")).await.1;
            let language = status_and_json(language.send().await.expect("GET")).await.1;
            (notify["default"].clone(), language["default"].clone())
        }
    };
    assert_eq!(defaults(&teacher).await, (json!("none"), json!("ru")), "the deployment's (NOTIFY_EMAIL unset)");

    for (body, expected) in [
        (json!({ "email_notify": "sometimes" }), 422),
        (json!({ "email_notify": "admin=instant" }), 422),
        (json!({ "email_notify": 3 }), 400),
        (json!({ "language": "fr" }), 400),
        (json!({ "email_sender": "" }), 400),
        (json!({ "email_sender": "Школа\nBcc: x@example.com" }), 422),
        (json!({ "email_sender": " Школа" }), 422),
    ] {
        let (status, answer) = patch(&a, &admin, body.clone()).await;
        assert_eq!(status, expected, "{body}: {answer}");
    }
    let change = json!({ "email_notify": " guardian = instant, teacher=digest ", "language": "en" });
    let (status, set) = patch(&a, &admin, change).await;
    assert_eq!(status, 200, "{set}");
    assert_eq!(
        (&set["own"]["email_notify"], &set["email_notify"], &set["language"]),
        (
            &json!("guardian=instant,teacher=digest"),
            &json!("student=none,teacher=digest,guardian=instant"),
            &json!("en")
        ),
        "kept without spaces; as it holds, each role's"
    );
    assert_eq!((&set["defaults"]["email_notify"], &set["defaults"]["language"]), (&json!("none"), &json!("ru")));
    assert_eq!(defaults(&teacher).await, (json!("digest"), json!("en")));
    assert_eq!(defaults(&student).await, (json!("none"), json!("en")), "a role not named: none");

    let (status, back) = patch(&a, &admin, json!({ "email_notify": null, "language": null })).await;
    assert_eq!((status, &back["email_notify"], &back["language"]), (200, &json!("none"), &json!("ru")), "{back}");
    assert_eq!(defaults(&teacher).await, (json!("none"), json!("ru")));
    let replayed = a.sql.query("SELECT projection, problem FROM audit_replay()", &[]).await.expect("replay");
    assert!(replayed.is_empty(), "the log and the read model agree");
}

/// A school's own guardians' policy (`guardian_groups`): turned on, a linked guardian reads
/// their child's own messages of a group on every replica, and a group's header says guardians
/// read it; the streams they had open under the old policy end on every replica (the ones they
/// open again read, and are recorded, under the new). Back to the deployment's `none`: the
/// group is theirs to read no more, and their streams end again.
#[tokio::test]
async fn a_schools_own_guardians_policy_holds_on_every_replica_and_ends_the_guardians_streams() {
    let a = TestApp::spawn().await;
    let b = a.replica().await;
    let (teacher, child, other) =
        (a.user("teacher", "Иван").await, a.user("student", "Маша").await, a.user("student", "Петя").await);
    let (guardian, admin) = (a.user("guardian", "Мама Маши").await, a.user("admin", "Завуч").await);
    let class = group(&a, &teacher, "7Б", &[&child, &other]).await;
    assert_eq!(set_link(&a, &admin, guardian.id, child.id, true).await.0, 201);
    let history = format!("/api/chats/{class}/messages");
    let guardians_read = |list: &Value| {
        list["chats"].as_array().expect("chats").iter().find(|c| c["id"] == class).map(|c| c["guardians_read"].clone())
    };
    assert_eq!(read(&b, &history, &guardian).await.0, 403, "the deployment's default: none");
    assert_eq!(guardians_read(&read(&a, "/api/chats", &teacher).await.1), Some(json!(false)));

    let (mut on_a, mut on_b) = (a.stream(&guardian, None).await, b.stream(&guardian, None).await);
    let (status, set) = patch(&a, &admin, json!({ "guardian_groups": "own_messages" })).await;
    assert_eq!(status, 200, "{set}");
    assert_eq!(
        (&set["guardian_groups"], &set["own"]["guardian_groups"], &set["defaults"]["guardian_groups"]),
        (&json!("own_messages"), &json!("own_messages"), &json!("none"))
    );
    assert!(on_a.until_closed(Duration::from_secs(10)).await.is_empty(), "nothing of the group came under none");
    assert!(on_b.until_closed(Duration::from_secs(10)).await.is_empty());

    let mut live = b.stream(&guardian, None).await;
    a.send(&other, class, "слова Пети").await;
    let mine = a.send(&child, class, "мой ответ").await;
    let event = live.event().await;
    assert_eq!(
        (event.event.as_str(), event.json()["message"]["id"].as_i64()),
        ("new_message", Some(mine)),
        "{}",
        event.data
    );
    let (status, theirs) = read(&b, &history, &guardian).await;
    assert_eq!((status, theirs["messages"].as_array().map(Vec::len)), (200, Some(1)), "{theirs}");
    assert_eq!(theirs["messages"][0]["content"], "мой ответ");
    assert_eq!(childrens(&read(&b, "/api/chats", &guardian).await.1).len(), 2, "the child's direct chat and the group");
    assert_eq!(guardians_read(&read(&a, "/api/chats", &teacher).await.1), Some(json!(true)));

    let (status, back) = patch(&b, &admin, json!({ "guardian_groups": null })).await;
    assert_eq!(
        (status, &back["guardian_groups"], &back["own"]["guardian_groups"]),
        (200, &json!("none"), &Value::Null),
        "{back}"
    );
    assert!(live.until_closed(Duration::from_secs(10)).await.is_empty());
    let mut after = a.stream(&guardian, None).await;
    a.send(&child, class, "уже не видно").await;
    let list = read(&a, "/api/chats", &guardian).await.1;
    let children = childrens(&list);
    assert_eq!(children.len(), 1, "the child's direct chat only: {children:?}");
    let direct = children[0]["id"].as_i64().expect("the direct chat");
    let seen = a.send(&teacher, direct, "в личном чате").await;
    let event = after.event().await;
    assert_eq!(event.json()["message"]["id"].as_i64(), Some(seen), "the group's message never came: {}", event.data);
    assert_eq!(read(&a, &history, &guardian).await.0, 403);
    assert_eq!(guardians_read(&read(&b, "/api/chats", &teacher).await.1), Some(json!(false)));
    audit_is_clean(&a).await;
}
