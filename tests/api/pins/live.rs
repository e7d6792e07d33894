//! A pin reaches exactly whom the chat concerns, on every replica: its members, its admins
//! and a direct chat's guardians, nobody else; a resumed stream replays the pins as they are.

use serde_json::json;

use super::{pin, pinned, pins};
use crate::governance::{audit_is_clean, timeline};
use crate::helpers::TestApp;

#[tokio::test]
async fn a_pin_made_on_one_replica_reaches_the_chats_readers_on_the_other_and_nobody_else() {
    let a = TestApp::spawn().await;
    let b = a.replica().await;
    let (teacher, student) = (a.user("teacher", "Иван Петрович").await, a.user("student", "Мария").await);
    let (admin, mother) = (a.user("admin", "Завуч").await, a.user("guardian", "Мама Марии").await);
    let outsider = a.user("student", "Петя").await;
    let chat = a.chat(&teacher, &student).await;
    let elsewhere = a.chat(&teacher, &outsider).await;
    let link = a.url(&format!("/api/admin/guardians/{}/students/{}", mother.id, student.id));
    assert_eq!(a.http.put(link).bearer_auth(&admin.token).send().await.expect("link").status(), 201);
    let homework = a.send(&student, chat, "Домашнее задание: №1–5\nи ещё повторить формулы").await;

    let (mut students, mut admins, mut mothers, mut outsiders) = (
        b.stream(&student, None).await,
        b.stream(&admin, None).await,
        b.stream(&mother, None).await,
        b.stream(&outsider, None).await,
    );
    assert_eq!(pin(&a, &teacher, chat, homework, true).await, (204, None));
    for (who, stream) in [("student", &mut students), ("admin", &mut admins), ("guardian", &mut mothers)] {
        let pinned = stream.event().await;
        assert_eq!(pinned.event, "message_pinned", "{who}: {}", pinned.data);
        let data = pinned.json();
        assert_eq!(
            (&data["chat_id"], &data["message_id"], &data["actor_id"]),
            (&json!(chat), &json!(homework), &json!(teacher.id)),
            "{who}"
        );
    }
    // The outsider's next event is their own chat's message: the pin was not theirs.
    let marker = a.send(&teacher, elsewhere, "Петя, завтра в 15:00").await;
    let next = outsiders.event().await;
    assert_eq!(
        (next.event.as_str(), next.json()["message"]["id"].as_i64()),
        ("new_message", Some(marker)),
        "{}",
        next.data
    );

    assert_eq!(pin(&b, &teacher, chat, homework, true).await, (204, None), "pinned already: the same answer");
    let (status, listed) = pins(&b, &student, chat).await;
    assert_eq!((status, listed.len()), (200, 1), "{listed:?}");
    assert_eq!((&listed[0]["message_id"], &listed[0]["pinned_by"]), (&json!(homework), &json!(teacher.id)));
    assert_eq!(listed[0]["message"]["content"], "Домашнее задание: №1–5\nи ещё повторить формулы");
    assert!(listed[0]["pinned_at"].is_string(), "{listed:?}");
    assert_eq!(pinned(&a, &admin, chat).await, [homework], "admins read the pins");
    assert_eq!(pinned(&a, &mother, chat).await, [homework], "so does the student's guardian");
    assert_eq!(pins(&a, &outsider, chat).await.0, 403);

    // Admins and guardians read, never write; a stranger may not touch the chat.
    assert_eq!(pin(&a, &admin, chat, homework, false).await, (403, Some("admin_read_only".into())));
    assert_eq!(pin(&a, &mother, chat, homework, false).await, (403, Some("guardian_read_only".into())));
    assert_eq!(pin(&a, &outsider, chat, homework, false).await, (403, Some("forbidden".into())));
    assert_eq!(
        pin(&a, &teacher, elsewhere, homework, true).await,
        (403, Some("forbidden".into())),
        "another chat's message"
    );

    // Either participant unpins; the other hears of it on the other replica.
    let mut teachers = a.stream(&teacher, None).await;
    assert_eq!(pin(&b, &student, chat, homework, false).await, (204, None));
    let unpinned = teachers.event().await;
    assert_eq!((unpinned.event.as_str(), &unpinned.json()["actor_id"]), ("message_unpinned", &json!(student.id)));
    assert_eq!(pin(&a, &student, chat, homework, false).await, (204, None), "not pinned: the same answer");
    assert!(pinned(&b, &teacher, chat).await.is_empty());
    let count: i64 = a
        .sql
        .query_one("SELECT count(*) FROM events WHERE type IN ('message_pinned', 'message_unpinned')", &[])
        .await
        .expect("count")
        .get(0);
    assert_eq!(count, 2, "one event per change, none for a repeat or a refusal");
    let pinned_lines = timeline(&a, chat, "message_pinned").await;
    assert!(pinned_lines[0].contains("Иван Петрович pinned message"), "{pinned_lines:?}");
    assert!(timeline(&a, chat, "message_unpinned").await[0].contains("Мария unpinned message"));
    audit_is_clean(&a).await;
}

#[tokio::test]
async fn hiding_or_deleting_a_pinned_message_unpins_it_and_a_resume_replays_the_pins_as_they_are() {
    let a = TestApp::spawn().await;
    let b = a.replica().await;
    let (teacher, student, admin) =
        (a.user("teacher", "Иван Петрович").await, a.user("student", "Мария").await, a.user("admin", "Завуч").await);
    let chat = a.chat(&teacher, &student).await;
    let rude = a.send(&student, chat, "грубость").await;
    let mistake = a.send(&student, chat, "не тот файл").await;
    let before = crate::helpers::last_position(&a.sql).await;

    assert_eq!(pin(&a, &teacher, chat, rude, true).await, (204, None));
    assert_eq!(pin(&a, &teacher, chat, mistake, true).await, (204, None));
    let hide = a.http.post(a.url(&format!("/api/admin/messages/{rude}/hide"))).bearer_auth(&admin.token);
    assert_eq!(hide.json(&json!({ "reason": "rude" })).send().await.expect("hide").status(), 204);
    assert_eq!(a.delete_message(&student, mistake).await.status(), 200);
    assert!(pinned(&b, &teacher, chat).await.is_empty(), "hidden and deleted messages are pinned nowhere");
    assert!(pinned(&b, &admin, chat).await.is_empty(), "not even for admins");
    assert_eq!(pin(&a, &teacher, chat, rude, true).await, (409, Some("message_hidden".into())));
    assert_eq!(pin(&a, &teacher, chat, mistake, true).await, (409, Some("message_deleted".into())));
    // Showing the message again does not pin it again.
    let unhide = a.http.post(a.url(&format!("/api/admin/messages/{rude}/unhide"))).bearer_auth(&admin.token);
    assert_eq!(unhide.send().await.expect("unhide").status(), 204);
    assert!(pinned(&b, &teacher, chat).await.is_empty());

    let brief = a.send(&teacher, chat, "план на неделю").await;
    assert_eq!(pin(&a, &student, chat, brief, true).await, (204, None));
    assert_eq!(pin(&a, &teacher, chat, brief, false).await, (204, None));
    let rules = a.send(&teacher, chat, "правила чата").await;
    assert_eq!(pin(&a, &teacher, chat, rules, true).await, (204, None));
    audit_is_clean(&a).await;

    // A resume from before all that, on the other replica: no pin of a message hidden,
    // deleted or unpinned since; the pin that stands, and the rest as it is.
    let mut resumed = b.stream(&student, Some(&before.to_string())).await;
    let replayed: Vec<(String, Option<i64>)> = resumed
        .events(7)
        .await
        .iter()
        .map(|e| {
            let data = e.json();
            (e.event.clone(), data["message_id"].as_i64().or(data["message"]["id"].as_i64()))
        })
        .collect();
    let expected = [
        ("message_hidden", Some(rude)),
        ("message_deleted", Some(mistake)),
        ("message_unhidden", Some(rude)),
        ("new_message", Some(brief)),
        ("message_unpinned", Some(brief)),
        ("new_message", Some(rules)),
        ("message_pinned", Some(rules)),
    ];
    let expected: Vec<(String, Option<i64>)> = expected.iter().map(|(e, id)| ((*e).to_owned(), *id)).collect();
    assert_eq!(replayed, expected);
    assert_eq!(pinned(&b, &student, chat).await, [rules]);
}

#[tokio::test]
async fn a_purged_pinned_message_is_unpinned_and_a_resume_replays_no_pin_of_it() {
    let _turn = crate::governance::one_retention_at_a_time().await;
    let a = TestApp::spawn_with(|c| c.governance.retention = Some(time::Duration::days(30))).await;
    let (teacher, student) = (a.user("teacher", "Иван Петрович").await, a.user("student", "Мария").await);
    let chat = a.chat(&teacher, &student).await;
    let old = a.send(&teacher, chat, "старое объявление").await;
    let before = crate::helpers::last_position(&a.sql).await;
    assert_eq!(pin(&a, &teacher, chat, old, true).await, (204, None));
    let recent = a.send(&teacher, chat, "новое").await;
    let horizon = crate::governance::created_at(&a, recent).await;
    let purged =
        tutorchat::governance::retention::run_at(&a.state, horizon + time::Duration::days(30)).await.expect("run");
    assert_eq!(purged, 1, "the old message only");
    assert!(pinned(&a, &student, chat).await.is_empty(), "purged: pinned nowhere");
    assert_eq!(pin(&a, &teacher, chat, old, true).await.0, 409, "a purged message takes no pin");
    audit_is_clean(&a).await;

    let mut resumed = a.stream(&student, Some(&before.to_string())).await;
    let names: Vec<String> = resumed.events(2).await.into_iter().map(|e| e.event).collect();
    assert_eq!(names, ["new_message", "messages_purged"], "no message_pinned for a message purged since");
}
