//! Family chats: a guardian's own chat with each teacher of their child, opened by the
//! database when the pair has a reason (the child's first completed lesson with the teacher
//! while the guardian is linked, or the link when the child has lessons already), one per
//! (guardian, teacher) whatever the number of children; both write, admins read and write
//! nothing, the child does not see it; it is read-only while it concerns no child.

use serde_json::{Value, json};

use crate::governance::audit_is_clean;
use crate::guardians::{get, set_link};
use crate::helpers::{TestApp, User, status_and_json};

mod quiet;
mod read_only;

/// The family chats `user`'s list shows (kind `family`).
pub(crate) async fn family_chats(app: &TestApp, user: &User) -> Vec<Value> {
    let (status, list) = get(app, "/api/chats", user).await;
    assert_eq!(status, 200, "{list}");
    list["chats"].as_array().expect("chats").iter().filter(|c| c["kind"] == "family").cloned().collect()
}

/// A guardian's list without their own chat with the child's teacher (the link opened it, and
/// it stays theirs after the link: tests/api/families/).
pub(crate) fn childrens(list: &Value) -> Vec<&Value> {
    list["chats"].as_array().expect("chats").iter().filter(|c| c["kind"] != "family").collect()
}

/// A guardian's replay from the start, `n` events about their child's chats: first the opening
/// of their own chat with the teacher, which the link made (the events it drops).
pub(crate) async fn replayed_after_own_chat(
    resumed: &mut crate::helpers::Stream,
    n: usize,
) -> Vec<crate::helpers::Event> {
    let mut events = resumed.events(n + 1).await;
    let opened = events.remove(0);
    assert_eq!(
        (opened.event.as_str(), &opened.json()["chat"]["kind"]),
        ("chat_created", &json!("family")),
        "{}",
        opened.data
    );
    events
}

pub(crate) async fn post(app: &TestApp, user: &User, chat: i64, text: &str) -> (u16, Value) {
    status_and_json(app.post_message(user, chat, text).await).await
}

#[tokio::test]
async fn a_link_or_a_lesson_opens_one_chat_per_guardian_and_teacher() {
    let app = TestApp::spawn().await;
    let (teacher, other_teacher) = (app.user("teacher", "Иван").await, app.user("teacher", "Ольга").await);
    let (masha, petya) = (app.user("student", "Маша").await, app.user("student", "Петя").await);
    let (guardian, admin) = (app.user("guardian", "Елена").await, app.user("admin", "Завуч").await);

    // Linked to a child who has a lesson chat already: the link opens the family chat.
    app.chat(&teacher, &masha).await;
    assert!(family_chats(&app, &guardian).await.is_empty());
    assert_eq!(set_link(&app, &admin, guardian.id, masha.id, true).await.0, 201);
    let chats = family_chats(&app, &guardian).await;
    assert_eq!(chats.len(), 1, "{chats:?}");
    let family = chats[0]["id"].as_i64().expect("id");
    assert_eq!(
        (&chats[0]["participant"]["id"], &chats[0]["children"]),
        (&teacher.id.into(), &serde_json::json!(["Маша"]))
    );
    assert!(chats[0]["ward"].is_null(), "their own chat, no child's: {}", chats[0]);

    // A second child of the same teacher: the same chat, which names both.
    assert_eq!(set_link(&app, &admin, guardian.id, petya.id, true).await.0, 201);
    app.chat(&teacher, &petya).await;
    let chats = family_chats(&app, &guardian).await;
    assert_eq!(chats.len(), 1, "one chat per guardian and teacher: {chats:?}");
    assert_eq!(chats[0]["children"], serde_json::json!(["Маша", "Петя"]));

    // A lesson with another teacher while linked: that lesson opens a chat with them.
    app.chat(&other_teacher, &masha).await;
    let chats = family_chats(&app, &guardian).await;
    assert_eq!(chats.len(), 2, "{chats:?}");
    assert!(chats.iter().any(|c| c["participant"]["id"] == other_teacher.id), "{chats:?}");

    // The teacher's list shows it with the guardian; the child's does not.
    let teachers = family_chats(&app, &teacher).await;
    assert_eq!(teachers.len(), 1, "{teachers:?}");
    assert_eq!((teachers[0]["id"].as_i64(), &teachers[0]["participant"]["id"]), (Some(family), &guardian.id.into()));
    assert!(family_chats(&app, &masha).await.is_empty());
    let (status, _) = get(&app, &format!("/api/chats/{family}/messages"), &masha).await;
    assert_eq!(status, 403, "the child is no member of their guardian's chat");

    // Only the database opens one: relinking opens nothing twice.
    assert_eq!(set_link(&app, &admin, guardian.id, masha.id, false).await.0, 204);
    assert_eq!(set_link(&app, &admin, guardian.id, masha.id, true).await.0, 201);
    assert_eq!(family_chats(&app, &guardian).await.len(), 2);
    let opened: i64 = app
        .sql
        .query_one("SELECT count(*) FROM events WHERE type = 'chat_created' AND payload ->> 'kind' = 'family'", &[])
        .await
        .expect("count")
        .get(0);
    assert_eq!(opened, 2, "one chat_created per pair, ever");
    let refused = app
        .sql
        .execute(
            "INSERT INTO events (chat_id, type, payload) VALUES (nextval('chats_id_seq'), 'chat_created', $1)",
            &[&serde_json::json!({"kind": "family", "guardian_id": guardian.id, "teacher_id": admin.id})],
        )
        .await;
    assert!(refused.is_err(), "a family chat is the database's to open");
    audit_is_clean(&app).await;
}

#[tokio::test]
async fn both_write_on_any_replica_admins_read_and_an_ended_link_makes_it_read_only() {
    // A school that lets people edit their messages (MESSAGE_EDITING=on).
    let a = TestApp::spawn_with(|c| c.append.editing = true).await;
    let b = TestApp::spawn_on(a.database.clone(), |c| c.append.editing = true).await;
    let (teacher, masha) = (a.user("teacher", "Иван").await, a.user("student", "Маша").await);
    let (guardian, admin) = (a.user("guardian", "Елена").await, a.user("admin", "Завуч").await);
    let lesson_chat = a.chat(&teacher, &masha).await;
    assert_eq!(set_link(&a, &admin, guardian.id, masha.id, true).await.0, 201);
    let family = family_chats(&a, &guardian).await[0]["id"].as_i64().expect("id");

    // The guardian writes; the teacher, streaming from the other replica, gets it, and answers.
    let mut teachers = b.stream(&teacher, None).await;
    let mut guardians = a.stream(&guardian, None).await;
    let (status, sent) = post(&a, &guardian, family, "Здравствуйте! Как Маша сегодня?").await;
    assert_eq!(status, 201, "{sent}");
    let seen = teachers.event().await;
    assert_eq!((seen.event.as_str(), &seen.json()["chat_id"]), ("new_message", &family.into()), "{}", seen.data);
    let (status, answer) = post(&b, &teacher, family, "Добрый вечер, всё хорошо").await;
    assert_eq!(status, 201, "{answer}");
    let mut heard = guardians.event().await;
    while heard.event != "new_message" || heard.json()["message"]["sender_id"] != teacher.id {
        heard = guardians.event().await; // their own message_sent first
    }
    assert_eq!(heard.json()["message"]["content"], "Добрый вечер, всё хорошо");

    // Their markers work as any member's, and so do their edits, reactions, files and deletions.
    assert_eq!(a.read(&guardian, family, None).await.status(), 204);
    assert_eq!(a.unread(&guardian, family).await, 0);
    let own = sent["id"].as_i64().expect("id");
    let (status, edited) = status_and_json(a.edit(&guardian, own, "Здравствуйте! Как Маша сегодня? 🙂").await).await;
    assert_eq!(status, 200, "{edited}");
    let react = |id: i64| {
        let url = a.url(&format!("/api/messages/{id}/reactions/%F0%9F%91%8D"));
        a.http.put(url).bearer_auth(&guardian.token).send()
    };
    let answered = answer["id"].as_i64().expect("id");
    assert_eq!(react(answered).await.expect("react").status(), 201);
    let (status, file) = crate::attachments::upload(&a, &guardian, family, "note.txt", b"hello").await;
    assert_eq!(status, 201, "{file}");
    let note = a.send(&guardian, family, "лишнее").await;
    assert_eq!(a.delete_message(&guardian, note).await.status(), 200);
    // None of it in the child's chat, which they only read.
    let theirs = a.send(&teacher, lesson_chat, "для Маши").await;
    let (status, refused) = status_and_json(react(theirs).await.expect("react")).await;
    assert_eq!((status, refused["code"].as_str()), (403, Some("guardian_read_only")), "{refused}");
    let (status, refused) = crate::attachments::upload(&a, &guardian, lesson_chat, "x.txt", b"x").await;
    assert_eq!((status, refused["code"].as_str()), (403, Some("guardian_read_only")), "{refused}");

    // Still only a reader in the child's chat; admins read it and write nothing.
    let (status, refused) = post(&a, &guardian, lesson_chat, "можно мне?").await;
    assert_eq!((status, refused["code"].as_str()), (403, Some("guardian_read_only")), "{refused}");
    let (status, refused) = post(&a, &admin, family, "администрация").await;
    assert_eq!((status, refused["code"].as_str()), (403, Some("admin_read_only")), "{refused}");
    let (status, history) = get(&b, &format!("/api/chats/{family}/messages"), &admin).await;
    let shown = |h: &Value| h["messages"].as_array().map(|m| m.iter().filter(|m| m["is_deleted"] != true).count());
    assert_eq!((status, shown(&history)), (200, Some(2)), "{history}");
    let (status, history) = get(&b, &format!("/api/chats/{family}/messages"), &guardian).await;
    assert_eq!((status, shown(&history)), (200, Some(2)), "{history}");
    // Their reads of it are a member's, recorded nowhere; of the child's chat, an outsider's.
    assert_eq!(get(&b, &format!("/api/chats/{lesson_chat}/messages"), &guardian).await.0, 200);
    let records = |chat: i64| {
        let sql = &a.sql;
        let guardian = guardian.id;
        async move {
            let counted = "SELECT count(*) FROM access_records WHERE chat_id = $1 AND reader_id = $2";
            sql.query_one(counted, &[&chat, &guardian]).await.expect("records").get::<_, i64>(0)
        }
    };
    assert_eq!((records(family).await, records(lesson_chat).await > 0), (0, true));

    // The link ends: the chat concerns no child, and is read-only for both.
    assert_eq!(set_link(&a, &admin, guardian.id, masha.id, false).await.0, 204);
    for (app, who) in [(&a, &guardian), (&b, &teacher)] {
        let (status, refused) = post(app, who, family, "ещё вопрос").await;
        assert_eq!((status, refused["code"].as_str()), (409, Some("chat_closed")), "{refused}");
    }
    let chats = family_chats(&a, &guardian).await;
    assert_eq!((chats.len(), &chats[0]["children"]), (1, &serde_json::json!([])), "still theirs to read: {chats:?}");
    let (status, history) = get(&a, &format!("/api/chats/{family}/messages"), &guardian).await;
    assert_eq!((status, history["messages"].as_array().map(Vec::len)), (200, Some(2)), "{history}");

    // A resumed stream replays the chat to the guardian as a member's, as it is now (edited).
    let mut resumed = a.stream(&guardian, Some("0")).await;
    let mut replayed = Vec::new();
    while replayed.len() < 2 {
        let event = resumed.event().await;
        if event.event == "new_message" || event.event == "message_sent" {
            replayed.push(event.json()["message"]["content"].as_str().map(str::to_owned));
        }
    }
    assert_eq!(
        replayed,
        [Some("Здравствуйте! Как Маша сегодня? 🙂".to_owned()), Some("Добрый вечер, всё хорошо".to_owned())]
    );
    audit_is_clean(&a).await;
}

#[tokio::test]
async fn a_guardian_reports_a_message_in_any_chat_they_read_and_the_moderators_see_it() {
    let app = TestApp::spawn().await;
    let (teacher, masha) = (app.user("teacher", "Иван").await, app.user("student", "Маша").await);
    let (guardian, admin) = (app.user("guardian", "Елена").await, app.user("admin", "Завуч").await);
    let lesson_chat = app.chat(&teacher, &masha).await;
    let before_link = app.send(&teacher, lesson_chat, "до связи").await;
    assert_eq!(set_link(&app, &admin, guardian.id, masha.id, true).await.0, 201);
    let family = family_chats(&app, &guardian).await[0]["id"].as_i64().expect("id");
    let in_lesson = app.send(&teacher, lesson_chat, "грубость").await;
    let in_family = app.send(&teacher, family, "и здесь").await;
    let own = app.send(&guardian, family, "моё").await;
    let report = |id: i64| {
        let request = app.http.post(app.url(&format!("/api/messages/{id}/report"))).bearer_auth(&guardian.token);
        async move { status_and_json(request.json(&json!({"reason": "тон"})).send().await.expect("report")).await }
    };

    // Their child's chat (which they read) and their own: both reach the moderators, live.
    let mut moderators = app.stream(&admin, None).await;
    for id in [in_lesson, in_family] {
        let (status, body) = report(id).await;
        assert_eq!((status, body["message_id"].as_i64()), (201, Some(id)), "{body}");
        let seen = moderators.event().await;
        assert_eq!(
            (seen.event.as_str(), seen.json()["report"]["message"]["id"].as_i64()),
            ("message_reported", Some(id)),
            "{}",
            seen.data
        );
    }
    // Not from before their link (not theirs to see), not their own, not twice.
    assert_eq!(report(before_link).await.0, 403);
    assert_eq!(report(own).await.0, 422);
    let (status, again) = report(in_lesson).await;
    assert_eq!((status, again["code"].as_str()), (409, Some("already_reported")), "{again}");

    let (status, open) = get(&app, "/api/admin/reports", &admin).await;
    assert_eq!(status, 200, "{open}");
    let reported: Vec<(i64, i64)> = open["reports"]
        .as_array()
        .expect("reports")
        .iter()
        .map(|r| (r["message"]["id"].as_i64().expect("id"), r["reporter"]["id"].as_i64().unwrap_or(0)))
        .collect();
    for id in [in_lesson, in_family] {
        assert!(reported.contains(&(id, guardian.id)), "{open}");
    }
    audit_is_clean(&app).await;
}

#[tokio::test]
async fn either_member_blocks_the_other_and_the_school_sees_it_close() {
    let a = TestApp::spawn().await;
    let b = a.replica().await;
    let (teacher, masha) = (a.user("teacher", "Иван").await, a.user("student", "Маша").await);
    let (guardian, admin) = (a.user("guardian", "Елена").await, a.user("admin", "Завуч").await);
    let (other, stranger) = (a.user("teacher", "Ольга").await, a.user("guardian", "Чужая").await);
    let direct = a.chat(&teacher, &masha).await;
    assert_eq!(set_link(&a, &admin, guardian.id, masha.id, true).await.0, 201);
    let family = family_chats(&a, &guardian).await[0]["id"].as_i64().expect("id");
    let block = |app: &TestApp, user: &User, chat: i64| {
        app.http.post(app.url(&format!("/api/chats/{chat}/block"))).bearer_auth(&user.token).send()
    };

    // Nobody else blocks in it, and a lesson chat has nobody to block.
    for (who, user) in [("another teacher", &other), ("another guardian", &stranger), ("the child", &masha)] {
        assert_eq!(block(&a, user, family).await.expect("POST").status(), 403, "{who}");
    }
    assert_eq!(block(&a, &teacher, direct).await.expect("POST").status(), 403);

    // The guardian blocks the teacher through B: both and admins hear it close, on A too.
    let (mut teachers, mut admins) = (a.stream(&teacher, None).await, a.stream(&admin, None).await);
    assert_eq!(block(&b, &guardian, family).await.expect("POST").status(), 204);
    for stream in [&mut teachers, &mut admins] {
        let event = stream.event().await;
        let data = event.json();
        assert_eq!(
            (event.event.as_str(), &data["chat_id"], &data["reason"], &data["actor_id"]),
            ("chat_closed", &json!(family), &json!("blocked"), &json!(guardian.id)),
            "{data}"
        );
    }
    // Read-only for both, readable still; blocking again changes nothing.
    for user in [&teacher, &guardian] {
        let (status, body) = post(&a, user, family, "ещё одно").await;
        assert_eq!((status, &body["code"]), (409, &json!("chat_closed")), "{body}");
        assert_eq!(a.get(&format!("/api/chats/{family}/messages"), user).send().await.expect("GET").status(), 200);
    }
    assert_eq!(block(&a, &teacher, family).await.expect("POST").status(), 204);
    let blocks: i64 = a
        .sql
        .query_one("SELECT count(*) FROM events WHERE chat_id = $1 AND type = 'chat_closed'", &[&family])
        .await
        .expect("count")
        .get(0);
    assert_eq!(blocks, 1);
    // The school's list shows it closed; no other family chat opens for the pair.
    let (_, all) = get(&a, "/api/admin/chats", &admin).await;
    let listed = all["chats"].as_array().expect("chats").iter().find(|c| c["id"] == family).cloned();
    assert!(listed.is_some_and(|c| c["closed_at"].is_string()), "{all}");
    assert_eq!(set_link(&a, &admin, guardian.id, masha.id, false).await.0, 204);
    assert_eq!(set_link(&a, &admin, guardian.id, masha.id, true).await.0, 201);
    assert_eq!(family_chats(&a, &guardian).await.len(), 1);
    audit_is_clean(&a).await;
}

#[tokio::test]
async fn a_guardian_finds_their_family_chats_messages_with_their_childs() {
    let app = TestApp::spawn().await;
    let (teacher, masha) = (app.user("teacher", "Иван").await, app.user("student", "Маша").await);
    let (guardian, admin) = (app.user("guardian", "Елена").await, app.user("admin", "Завуч").await);
    let direct = app.chat(&teacher, &masha).await;
    assert_eq!(set_link(&app, &admin, guardian.id, masha.id, true).await.0, 201);
    let family = family_chats(&app, &guardian).await[0]["id"].as_i64().expect("id");
    let asked = app.send(&guardian, family, "Когда контрольная по дробям?").await;
    let lesson = app.send(&teacher, direct, "Повтори дроби к пятнице").await;

    let (status, found) = crate::search::search(&app, &guardian, &[("q", "дроби"), ("order", "recent")]).await;
    let ids: Vec<&Value> = found["results"].as_array().expect("results").iter().map(|r| &r["message"]["id"]).collect();
    assert_eq!((status, ids), (200, vec![&json!(lesson), &json!(asked)]), "{found}");
    let (status, found) =
        crate::search::search(&app, &guardian, &[("q", "дроби"), ("chat_id", &family.to_string())]).await;
    assert_eq!((status, found["results"].as_array().map(Vec::len)), (200, Some(1)), "{found}");
    // Their own chat's reads are no one else's business: only the child's chat is recorded.
    let (_, records) = get(&app, &format!("/api/admin/access-records?reader_id={}", guardian.id), &admin).await;
    let chats: Vec<&Value> = records["records"].as_array().expect("records").iter().map(|r| &r["chat_id"]).collect();
    assert!(chats.iter().all(|c| **c == json!(direct)) && !chats.is_empty(), "{records}");
}
