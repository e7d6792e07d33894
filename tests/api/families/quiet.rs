//! Quiet hours and families: a teacher's late reply to a family, and an announcement to
//! families, wait for the families' window (`QUIET_HOURS_FAMILIES`); one that reaches students
//! too waits for the later of the two windows.

use serde_json::json;

use super::{family_chats, post};
use crate::governance::audit_is_clean;
use crate::guardians::set_link;
use crate::helpers::TestApp;

/// Quiet hours: `QUIET_HOURS=21:00-08:00` for students, and families given their own,
/// `QUIET_HOURS_FAMILIES=22:30-07:00`, in Moscow (UTC+3), on the replica's test clock.
fn quiet(config: &mut tutorchat::Config) {
    use tutorchat::config::{FamilyQuietHours, QuietHours};
    config.safeguarding.quiet_hours = QuietHours::parse("21:00-08:00");
    config.safeguarding.family_quiet_hours =
        FamilyQuietHours::Window(QuietHours::parse("22:30-07:00").expect("a window"));
    config.safeguarding.school_timezone = "Europe/Moscow".into();
    config.safeguarding.release_every = std::time::Duration::from_millis(100);
}

#[tokio::test]
async fn a_teachers_late_reply_to_a_family_waits_for_the_families_quiet_hours_to_end() {
    use time::macros::datetime;
    let app = TestApp::spawn_with(quiet).await;
    let (teacher, masha) = (app.user("teacher", "Иван").await, app.user("student", "Маша").await);
    let (guardian, admin) = (app.user("guardian", "Елена").await, app.user("admin", "Завуч").await);
    let lesson_chat = app.chat(&teacher, &masha).await;
    assert_eq!(set_link(&app, &admin, guardian.id, masha.id, true).await.0, 201);
    let family = family_chats(&app, &guardian).await[0]["id"].as_i64().expect("id");
    let mut guardians = app.stream(&guardian, None).await;

    // 22:00 in Moscow: quiet for the student, not yet for the family.
    app.state.clock.set(datetime!(2036-11-25 19:00 UTC));
    assert_eq!(post(&app, &teacher, lesson_chat, "Маше: завтра тест").await.0, 202);
    assert_eq!(post(&app, &teacher, family, "Елена, завтра тест").await.0, 201);
    let seen = guardians.event().await;
    assert_eq!(seen.json()["message"]["content"], "Елена, завтра тест", "{}", seen.data);

    // 23:00: the family's window too. The guardian still writes; the teacher's answer waits.
    app.state.clock.set(datetime!(2036-11-25 20:00 UTC));
    assert_eq!(post(&app, &guardian, family, "Спасибо! А во сколько?").await.0, 201);
    let (status, held) = post(&app, &teacher, family, "В 9:00").await;
    assert_eq!((status, &held["deliver_at"]), (202, &json!("2036-11-26T04:00:00Z")), "{held}");
    let mine = guardians.event().await;
    assert_eq!(mine.json()["message"]["content"], "Спасибо! А во сколько?", "{}", mine.data);

    // 07:00:01: delivered to the guardian.
    app.state.clock.set(datetime!(2036-11-26 04:00:01 UTC));
    let delivered = guardians.event().await;
    assert_eq!(
        (delivered.event.as_str(), &delivered.json()["message"]["content"]),
        ("new_message", &json!("В 9:00")),
        "{}",
        delivered.data
    );
    audit_is_clean(&app).await;
}

#[tokio::test]
async fn the_families_quiet_hours_hold_a_teachers_announcement_to_families_and_both_windows_one_to_both() {
    use time::macros::datetime;
    let app = TestApp::spawn_with(quiet).await;
    let (teacher, masha) = (app.user("teacher", "Иван").await, app.user("student", "Маша").await);
    let (guardian, admin) = (app.user("guardian", "Елена").await, app.user("admin", "Завуч").await);
    app.chat(&teacher, &masha).await;
    assert_eq!(set_link(&app, &admin, guardian.id, masha.id, true).await.0, 201);
    // 15:00 in Moscow: a teacher makes groups with students only outside the students' window.
    app.state.clock.set(datetime!(2036-11-25 12:00 UTC));
    let announce = |recipients: &'static str| {
        let body = json!({ "kind": "group", "title": recipients, "audience": "my_students", "recipients": recipients });
        crate::announcements::create(&app, &teacher, body)
    };
    let (status, parents) = announce("guardians").await;
    assert_eq!(status, 201, "{parents}");
    let (status, both) = announce("both").await;
    assert_eq!(status, 201, "{both}");
    let (parents, both) = (parents["id"].as_i64().expect("id"), both["id"].as_i64().expect("id"));

    // 05:08 in Moscow: inside the families' window (22:30–07:00) and the students' (21:00–08:00).
    app.state.clock.set(datetime!(2036-11-26 02:08 UTC));
    let (status, held) = post(&app, &teacher, parents, "Собрание родителей").await;
    assert_eq!((status, &held["deliver_at"]), (202, &json!("2036-11-26T04:00:00Z")), "to families: {held}");
    let (status, held) = post(&app, &teacher, both, "Всем: собрание").await;
    assert_eq!((status, &held["deliver_at"]), (202, &json!("2036-11-26T05:00:00Z")), "the later of the two: {held}");
    // 07:30: the families' window is over, the students' is not.
    app.state.clock.set(datetime!(2036-11-26 04:30 UTC));
    let (status, sent) = post(&app, &teacher, parents, "Уже утро").await;
    assert_eq!(status, 201, "{sent}");
}

/// A school sets the families' window itself (`family_quiet_hours`), over the deployment's
/// `QUIET_HOURS_FAMILIES`: the students' window, none, or back to the deployment's.
#[tokio::test]
async fn a_schools_own_window_for_families_holds_over_the_deployments() {
    use time::macros::datetime;
    let app = TestApp::spawn_with(quiet).await;
    let (teacher, masha) = (app.user("teacher", "Иван").await, app.user("student", "Маша").await);
    let (guardian, admin) = (app.user("guardian", "Елена").await, app.user("admin", "Завуч").await);
    app.chat(&teacher, &masha).await;
    assert_eq!(set_link(&app, &admin, guardian.id, masha.id, true).await.0, 201);
    let family = family_chats(&app, &guardian).await[0]["id"].as_i64().expect("id");
    let settings = |body: serde_json::Value| {
        let response = app.http.patch(app.url("/api/school/settings")).bearer_auth(&admin.token).json(&body).send();
        async { crate::helpers::status_and_json(response.await.expect("PATCH")).await }
    };

    // 22:00 in Moscow: inside the students' window (21:00-08:00), before the families' (22:30).
    app.state.clock.set(datetime!(2036-11-25 19:00 UTC));
    assert_eq!(post(&app, &teacher, family, "the deployment's window: not yet").await.0, 201);
    let (status, students) = settings(json!({ "family_quiet_hours": "students" })).await;
    assert_eq!((status, &students["family_quiet_hours"]), (200, &json!("21:00-08:00")), "{students}");
    assert_eq!(
        (&students["own"]["family_quiet_hours"], &students["defaults"]["family_quiet_hours"]),
        (&json!("students"), &json!("22:30-07:00"))
    );
    assert_eq!(post(&app, &teacher, family, "the students' window: held").await.0, 202);

    let (status, off) = settings(json!({ "family_quiet_hours": "off" })).await;
    assert_eq!((status, &off["family_quiet_hours"]), (200, &serde_json::Value::Null), "{off}");
    assert_eq!(post(&app, &teacher, family, "none: sent at once").await.0, 201);
    let (status, unfit) = settings(json!({ "family_quiet_hours": "22:30-22:30" })).await;
    assert_eq!(status, 422, "{unfit}");

    let (status, own) = settings(json!({ "family_quiet_hours": " 9:00-23:00" })).await;
    assert_eq!((status, &own["own"]["family_quiet_hours"]), (200, &json!("09:00-23:00")), "{own}");
    assert_eq!(post(&app, &teacher, family, "its own window: held").await.0, 202);
    let (status, back) = settings(json!({ "family_quiet_hours": null })).await;
    assert_eq!(
        (status, &back["family_quiet_hours"], &back["own"]["family_quiet_hours"]),
        (200, &json!("22:30-07:00"), &serde_json::Value::Null)
    );
    assert_eq!(post(&app, &teacher, family, "the deployment's again: not yet").await.0, 201);
    audit_is_clean(&app).await;
}
