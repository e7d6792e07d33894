//! Who pins what: a group's owner (no other member), either participant of a direct chat, an
//! inquiry's teacher (not its guest, who reads the pins); a message the pinner can see and that
//! is shown; at most `PINS_PER_CHAT` per chat; nothing in a closed chat.

use serde_json::json;

use super::{pin, pinned};
use crate::governance::audit_is_clean;
use crate::groups::{add, group};
use crate::helpers::TestApp;

#[tokio::test]
async fn in_a_group_only_its_owner_pins_and_a_later_member_sees_no_pin_from_before_they_joined() {
    let a = TestApp::spawn().await;
    let b = a.replica().await;
    let teacher = a.user("teacher", "Иван Петрович").await;
    let (masha, petya, late) =
        (a.user("student", "Маша").await, a.user("student", "Петя").await, a.user("student", "Новенький").await);
    let chat = group(&a, &teacher, "9 «Б», алгебра", &[&masha, &petya]).await;
    let question = a.send(&masha, chat, "Когда контрольная?").await;

    assert_eq!(pin(&a, &masha, chat, question, true).await, (403, Some("not_group_owner".into())), "a member");
    let mut petyas = b.stream(&petya, None).await;
    assert_eq!(pin(&a, &teacher, chat, question, true).await, (204, None));
    let event = petyas.event().await;
    assert_eq!((event.event.as_str(), &event.json()["message_id"]), ("message_pinned", &json!(question)));
    assert_eq!(pin(&b, &petya, chat, question, false).await, (403, Some("not_group_owner".into())));
    assert_eq!(pinned(&b, &masha, chat).await, [question]);

    // A member who joins later reads nothing from before, pins included, live or listed.
    assert_eq!(add(&a, &teacher, chat, late.id).await.0, 201);
    let mut lates = b.stream(&late, None).await;
    assert_eq!(pin(&a, &teacher, chat, question, false).await, (204, None));
    let notice = a.send(&teacher, chat, "Контрольная в пятницу").await;
    let next = lates.event().await;
    assert_eq!(
        (next.event.as_str(), next.json()["message"]["id"].as_i64()),
        ("new_message", Some(notice)),
        "{}",
        next.data
    );
    assert_eq!(pin(&a, &teacher, chat, notice, true).await, (204, None));
    assert_eq!(lates.event().await.event, "message_pinned");
    assert_eq!(pin(&a, &late, chat, question, true).await, (403, Some("forbidden".into())), "not theirs to see");
    assert_eq!(pin(&a, &late, chat, notice, false).await, (403, Some("not_group_owner".into())));
    assert_eq!(pin(&a, &teacher, chat, question, true).await, (204, None));
    assert_eq!(pinned(&b, &late, chat).await, [notice], "the question is from before they joined");
    assert_eq!(pinned(&b, &masha, chat).await, [question, notice], "newest pin first");
    audit_is_clean(&a).await;
}

#[tokio::test]
async fn a_chat_takes_at_most_pins_per_chat_pins() {
    let a = TestApp::spawn_with(|c| c.pins.per_chat = 2).await;
    let (teacher, student) = (a.user("teacher", "Иван Петрович").await, a.user("student", "Мария").await);
    let chat = a.chat(&teacher, &student).await;
    let mut ids = Vec::new();
    for text in ["первое", "второе", "третье"] {
        ids.push(a.send(&teacher, chat, text).await);
    }
    assert_eq!(pin(&a, &teacher, chat, ids[0], true).await, (204, None));
    assert_eq!(pin(&a, &student, chat, ids[1], true).await, (204, None));
    let url = a.url(&format!("/api/chats/{chat}/pins/{}", ids[2]));
    let (status, body) =
        crate::helpers::status_and_json(a.http.put(url).bearer_auth(&teacher.token).send().await.expect("PUT")).await;
    assert_eq!((status, body["code"].as_str()), (409, Some("too_many_pins")), "{body}");
    assert!(body["error"].as_str().is_some_and(|e| e.contains("PINS_PER_CHAT")), "{body}");
    assert_eq!(pin(&a, &teacher, chat, ids[0], true).await, (204, None), "pinning a pinned one is no new pin");
    assert_eq!(pin(&a, &teacher, chat, ids[1], false).await, (204, None));
    assert_eq!(pin(&a, &teacher, chat, ids[2], true).await, (204, None));
    assert_eq!(pinned(&a, &student, chat).await, [ids[2], ids[0]]);
    audit_is_clean(&a).await;
}

#[tokio::test]
async fn an_inquirys_teacher_pins_its_guest_reads_the_pins_and_a_closed_chat_takes_none() {
    let a = TestApp::spawn().await;
    let (teacher, _, guest, chat) = crate::inquiries::inquiry(&a).await;
    let answer = a.send(&teacher, chat, "Занятия по вторникам и четвергам").await;
    assert_eq!(pin(&a, &guest, chat, answer, true).await, (403, Some("guest_confined".into())));
    assert_eq!(pin(&a, &teacher, chat, answer, true).await, (204, None));
    assert_eq!(pinned(&a, &guest, chat).await, [answer], "the guest reads them, as history");
    let block = a.http.post(a.url(&format!("/api/chats/{chat}/block"))).bearer_auth(&teacher.token);
    assert!(block.send().await.expect("block").status().is_success());
    assert_eq!(pin(&a, &teacher, chat, answer, false).await, (409, Some("chat_closed".into())));
    assert_eq!(pinned(&a, &teacher, chat).await, [answer], "a closed chat keeps its pins");
    audit_is_clean(&a).await;
}

/// A family chat's pair pins as a direct chat's does; the guardian nowhere else; and not once
/// the chat concerns no child (read-only).
#[tokio::test]
async fn a_family_chats_pair_pins_and_a_guardian_nowhere_else() {
    let app = TestApp::spawn().await;
    let (teacher, masha) = (app.user("teacher", "Иван").await, app.user("student", "Маша").await);
    let (guardian, admin) = (app.user("guardian", "Елена").await, app.user("admin", "Завуч").await);
    let direct = app.chat(&teacher, &masha).await;
    assert_eq!(crate::guardians::set_link(&app, &admin, guardian.id, masha.id, true).await.0, 201);
    let (_, list) = crate::helpers::status_and_json(app.get("/api/chats", &guardian).send().await.expect("GET")).await;
    let chats = list["chats"].as_array().expect("chats");
    let family = chats.iter().find(|c| c["kind"] == "family").and_then(|c| c["id"].as_i64()).expect("family chat");

    let asked = app.send(&guardian, family, "Как дела у Маши?").await;
    let answered = app.send(&teacher, family, "Хорошо!").await;
    assert_eq!(pin(&app, &guardian, family, answered, true).await, (204, None));
    assert_eq!(pin(&app, &teacher, family, asked, true).await, (204, None));
    assert_eq!(pinned(&app, &guardian, family).await, [asked, answered]);
    let lesson = app.send(&teacher, direct, "Домашнее задание").await;
    assert_eq!(pin(&app, &guardian, direct, lesson, true).await.0, 403, "their child's chat: they only read");

    // The link ends: the chat concerns no child, read-only, and pins stay as they are.
    assert_eq!(crate::guardians::set_link(&app, &admin, guardian.id, masha.id, false).await.0, 204);
    assert_eq!(pin(&app, &teacher, family, asked, false).await, (409, Some("chat_closed".into())));
    assert_eq!(pinned(&app, &teacher, family).await, [asked, answered]);
}
