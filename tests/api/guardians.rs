//! Guardians: linked to a student by an admin (an event of the log), a guardian reads the
//! student's direct chats, live on any replica and in history, from the link on, never a group
//! and never another child's chat, and writes nothing; ending the link ends their stream and
//! their reading at once, and the audit shows who could read the chat when.

use std::time::Duration;

use serde_json::Value;

use crate::governance::audit_is_clean;
use crate::groups::group;
use crate::helpers::{TestApp, User, status_and_json};

pub(crate) async fn get(app: &TestApp, path: &str, user: &User) -> (u16, Value) {
    status_and_json(app.get(path, user).send().await.expect("GET")).await
}

/// `PUT` (link) or `DELETE` (unlink) `/api/admin/guardians/{guardian}/students/{student}` as `by`.
pub(crate) async fn set_link(app: &TestApp, by: &User, guardian: i64, student: i64, linked: bool) -> (u16, Value) {
    let url = app.url(&format!("/api/admin/guardians/{guardian}/students/{student}"));
    let request = if linked { app.http.put(url) } else { app.http.delete(url) };
    let response = request.bearer_auth(&by.token).send().await.expect("link");
    match response.status().as_u16() {
        status @ (200 | 201 | 204) => (status, Value::Null),
        _ => status_and_json(response).await,
    }
}

struct School {
    teacher: User,
    child: User,
    other: User,
    guardian: User,
    admin: User,
    chat: i64,
    others_chat: i64,
    class: i64,
}

async fn school(app: &TestApp) -> School {
    let (teacher, child, other) =
        (app.user("teacher", "Иван").await, app.user("student", "Маша").await, app.user("student", "Петя").await);
    let (guardian, admin) = (app.user("guardian", "Мама Маши").await, app.user("admin", "Завуч").await);
    let (chat, others_chat) = (app.chat(&teacher, &child).await, app.chat(&teacher, &other).await);
    let class = group(app, &teacher, "7Б", &[&child, &other]).await;
    School { teacher, child, other, guardian, admin, chat, others_chat, class }
}

#[tokio::test]
async fn a_guardian_reads_their_childs_chat_live_on_another_replica_and_nothing_else() {
    let a = TestApp::spawn().await;
    let b = a.replica().await;
    let s = school(&a).await;
    a.send(&s.teacher, s.chat, "до связи").await;

    // Only an admin links, a guardian to a student.
    assert_eq!(set_link(&a, &s.teacher, s.guardian.id, s.child.id, true).await.0, 403);
    assert_eq!(set_link(&a, &s.admin, s.other.id, s.child.id, true).await.0, 404, "a student is no guardian");
    assert_eq!(set_link(&a, &s.admin, s.guardian.id, s.teacher.id, true).await.0, 404, "a teacher is no ward");
    assert_eq!(set_link(&a, &s.admin, s.guardian.id, s.child.id, true).await.0, 201);
    assert_eq!(set_link(&a, &s.admin, s.guardian.id, s.child.id, true).await.0, 200, "linked already");

    // Live, on the other replica: the child's chat only, as the child sees it.
    let mut stream = b.stream(&s.guardian, None).await;
    a.send(&s.teacher, s.others_chat, "чужой ребёнок").await;
    a.send(&s.teacher, s.class, "всему классу").await;
    let hello = a.send(&s.teacher, s.chat, "привет, Маша").await;
    let seen = stream.event().await;
    assert_eq!(
        (seen.event.as_str(), seen.json()["message"]["id"].as_i64()),
        ("new_message", Some(hello)),
        "{}",
        seen.data
    );
    assert_eq!(seen.json()["chat_id"], s.chat);

    // The list, grouped by child: the teacher as the other side, the child as the ward; and
    // the guardian's own chat with the teacher, which the link opened (tests/api/families/).
    let (status, list) = get(&b, "/api/chats", &s.guardian).await;
    assert_eq!(status, 200, "{list}");
    let (own, chats): (Vec<&Value>, Vec<&Value>) =
        list["chats"].as_array().expect("chats").iter().partition(|c| c["kind"] == "family");
    assert_eq!((chats.len(), own.len()), (1, 1), "{list}");
    assert_eq!(own[0]["participant"]["id"], s.teacher.id);
    assert_eq!(
        (&chats[0]["id"], &chats[0]["ward"]["id"], &chats[0]["participant"]["id"]),
        (&s.chat.into(), &s.child.id.into(), &s.teacher.id.into())
    );
    assert_eq!(chats[0]["last_message"]["id"], hello);

    // History from the link on; another child's chat and the group are not theirs.
    let (status, history) = get(&b, &format!("/api/chats/{}/messages", s.chat), &s.guardian).await;
    assert_eq!(status, 200, "{history}");
    let texts: Vec<&str> = history["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| m["content"].as_str().expect("text"))
        .collect();
    assert_eq!(texts, ["привет, Маша"], "nothing from before the link");
    for chat in [s.others_chat, s.class] {
        assert_eq!(get(&b, &format!("/api/chats/{chat}/messages"), &s.guardian).await.0, 403, "chat {chat}");
    }

    // A resumed stream replays the same: the child's chat from the link on (after the opening
    // of the guardian's own chat with the teacher, which the link made).
    let mut resumed = a.stream(&s.guardian, Some("0")).await;
    let opened = resumed.event().await;
    assert_eq!((opened.event.as_str(), &opened.json()["chat"]["kind"]), ("chat_created", &"family".into()));
    let replayed = resumed.event().await;
    assert_eq!(replayed.json()["message"]["id"].as_i64(), Some(hello), "{}", replayed.data);

    // Read-only everywhere a participant writes.
    let refusals = [
        a.post_message(&s.guardian, s.chat, "это мама").await,
        a.read(&s.guardian, s.chat, None).await,
        a.http
            .post(a.url(&format!("/api/chats/{}/typing", s.chat)))
            .bearer_auth(&s.guardian.token)
            .json(&serde_json::json!({ "is_typing": true }))
            .send()
            .await
            .expect("typing"),
    ];
    for response in refusals {
        let (status, body) = status_and_json(response).await;
        assert_eq!((status, body["code"].as_str()), (403, Some("guardian_read_only")), "{body}");
    }

    // The teacher and the child are told a guardian reads their chat; not the other pair.
    let (_, teachers) = get(&a, "/api/chats", &s.teacher).await;
    let says = |id: i64| {
        teachers["chats"].as_array().expect("chats").iter().find(|c| c["id"] == id).expect("chat")["guardians_read"]
            .clone()
    };
    assert_eq!((says(s.chat), says(s.others_chat), says(s.class)), (true.into(), false.into(), false.into()));
    audit_is_clean(&a).await;
}

#[tokio::test]
async fn ending_the_link_ends_the_guardians_stream_and_reading_at_once_and_the_audit_keeps_the_window() {
    let a = TestApp::spawn().await;
    let b = a.replica().await;
    let s = school(&a).await;
    assert_eq!(set_link(&a, &s.admin, s.guardian.id, s.child.id, true).await.0, 201);
    let mut stream = b.stream(&s.guardian, None).await;
    let before = a.send(&s.teacher, s.chat, "пока видно").await;
    assert_eq!(stream.event().await.json()["message"]["id"].as_i64(), Some(before));

    // Ended on one replica: the stream on the other ends, its history answers 403 at once.
    assert_eq!(set_link(&a, &s.admin, s.guardian.id, s.child.id, false).await.0, 204);
    let last = stream.until_closed(Duration::from_secs(10)).await;
    assert_eq!(last.iter().map(|e| e.event.as_str()).collect::<Vec<_>>(), ["guardian_unlinked"]);
    assert_eq!(get(&b, &format!("/api/chats/{}/messages", s.chat), &s.guardian).await.0, 403);
    // Only their own chat with the teacher stays, which concerns no child now (read-only).
    let listed = get(&b, "/api/chats", &s.guardian).await.1["chats"].clone();
    let kinds: Vec<(&Value, &Value)> =
        listed.as_array().expect("chats").iter().map(|c| (&c["kind"], &c["children"])).collect();
    assert_eq!(kinds, [(&"family".into(), &serde_json::json!([]))], "{listed}");
    assert_eq!(set_link(&a, &s.admin, s.guardian.id, s.child.id, false).await.0, 204, "unlinked already");

    // A new stream, resumed from before: nothing of the child's chat any more (what comes
    // next is a later link's, to the other student, and that chat's message).
    let mut resumed = b.stream(&s.guardian, Some("0")).await;
    a.send(&s.teacher, s.chat, "уже не видно").await;
    a.send(&s.child, s.chat, "и это").await;
    assert_eq!(set_link(&a, &s.admin, s.guardian.id, s.other.id, true).await.0, 201);
    let petya = a.send(&s.teacher, s.others_chat, "теперь Петя").await;
    // (Their own chat with the teacher stays theirs: its opening first. Петя's teacher is the
    // same, so his link opens no other.)
    let next = resumed.events(3).await;
    assert_eq!((next[0].event.as_str(), &next[0].json()["chat"]["kind"]), ("chat_created", &"family".into()));
    assert_eq!(next[1].event, "guardian_linked", "{}", next[1].data);
    assert_eq!(
        (next[2].json()["message"]["id"].as_i64(), next[2].json()["chat_id"].as_i64()),
        (Some(petya), Some(s.others_chat))
    );
    let (status, _) = get(&a, &format!("/api/chats/{}/export", s.chat), &s.guardian).await;
    assert_eq!(status, 403);

    // The audit: who could read the chat at each moment, from the log alone.
    let times = a
        .sql
        .query(
            "SELECT created_at FROM events WHERE type IN ('guardian_linked', 'guardian_unlinked') ORDER BY position",
            &[],
        )
        .await
        .expect("links");
    let (linked, unlinked): (time::OffsetDateTime, time::OffsetDateTime) = (times[0].get(0), times[1].get(0));
    let readers_at = |at: time::OffsetDateTime| {
        let (sql, chat) = (&a.sql, s.chat);
        async move {
            let rows = sql
                .query("SELECT user_id, role FROM audit_chat_members_at($1, $2) ORDER BY user_id", &[&chat, &at])
                .await
                .expect("members at");
            rows.iter().map(|r| (r.get::<_, i64>(0), r.get::<_, String>(1))).collect::<Vec<_>>()
        }
    };
    let during = readers_at(linked + (unlinked - linked) / 2).await;
    assert!(during.contains(&(s.guardian.id, "guardian".to_owned())), "{during:?}");
    let after = readers_at(unlinked + time::Duration::milliseconds(1)).await;
    assert!(!after.iter().any(|(id, _)| *id == s.guardian.id), "{after:?}");
    assert!(after.contains(&(s.child.id, "student".to_owned())), "{after:?}");
    audit_is_clean(&a).await;
}

#[tokio::test]
async fn every_read_by_a_guardian_leaves_an_access_record_the_child_can_see() {
    let a = TestApp::spawn().await;
    let s = school(&a).await;
    assert_eq!(set_link(&a, &s.admin, s.guardian.id, s.child.id, true).await.0, 201);
    a.send(&s.teacher, s.chat, "контрольная в пятницу").await;

    let _stream = a.stream(&s.guardian, None).await;
    assert_eq!(get(&a, &format!("/api/chats/{}/messages", s.chat), &s.guardian).await.0, 200);
    assert_eq!(get(&a, &format!("/api/chats/{}/export", s.chat), &s.guardian).await.0, 200);
    let rows = a
        .sql
        .query("SELECT chat_id, reader_id, via FROM access_records ORDER BY id", &[])
        .await
        .expect("access_records");
    let records: Vec<(i64, i64, String)> = rows.iter().map(|r| (r.get(0), r.get(1), r.get(2))).collect();
    let by = |via: &str| (s.chat, s.guardian.id, via.to_owned());
    assert_eq!(records, [by("stream"), by("history"), by("export")]);

    let (status, readers) = get(&a, "/api/me/readers", &s.child).await;
    assert_eq!(status, 200, "{readers}");
    let names: Vec<&str> = readers["readers"]
        .as_array()
        .expect("readers")
        .iter()
        .map(|r| r["reader"]["name"].as_str().expect("name"))
        .collect();
    assert!(!names.is_empty() && names.iter().all(|n| *n == "Мама Маши"), "{readers}");
    let (_, others) = get(&a, "/api/me/readers", &s.other).await;
    assert_eq!(others["readers"], serde_json::json!([]));
    audit_is_clean(&a).await;
}

#[tokio::test]
async fn a_guardian_sees_nobodys_presence_in_a_new_chat_nor_in_its_details() {
    let a = TestApp::spawn().await;
    let (teacher, child) = (a.user("teacher", "Иван").await, a.user("student", "Маша").await);
    let (guardian, admin) = (a.user("guardian", "Мама Маши").await, a.user("admin", "Завуч").await);
    assert_eq!(set_link(&a, &admin, guardian.id, child.id, true).await.0, 201);
    let mut guardians = a.stream(&guardian, None).await;
    let _teacher_online = a.stream(&teacher, None).await;
    crate::presence::until_online(&a, &admin, teacher.id).await;

    // The child's new chat reaches the guardian as the child sees it, without the teacher's presence.
    let chat = a.chat(&teacher, &child).await;
    let opened = guardians.event().await;
    assert_eq!(opened.event, "chat_created", "{}", opened.data);
    let participant = &opened.json()["chat"]["participant"];
    assert_eq!(participant["id"], teacher.id, "{}", opened.data);
    assert_eq!(
        (&participant["online"], &participant["last_seen"]),
        (&Value::Bool(false), &Value::Null),
        "the guardian's chat_created shows no presence: {}",
        opened.data
    );

    // The chat's details: the child sees the teacher online, the guardian nobody.
    let shown = crate::presence::details_presence(&a, &child, chat).await;
    assert!(shown.iter().any(|(id, online, _)| *id == teacher.id && *online == true), "{shown:?}");
    for (id, online, last_seen) in crate::presence::details_presence(&a, &guardian, chat).await {
        assert_eq!((online, last_seen), (Value::Bool(false), Value::Null), "user {id}, to the guardian");
    }
}

#[tokio::test]
async fn a_guardians_search_finds_their_childs_chat_from_the_link_on_and_nothing_else() {
    use crate::search::{found, search};
    let a = TestApp::spawn().await;
    let b = a.replica().await;
    let s = school(&a).await;
    a.send(&s.teacher, s.chat, "контрольная: до связи").await;
    assert_eq!(set_link(&a, &s.admin, s.guardian.id, s.child.id, true).await.0, 201);
    let after = a.send(&s.teacher, s.chat, "контрольная в пятницу").await;
    a.send(&s.teacher, s.others_chat, "контрольная у Пети").await;
    a.send(&s.child, s.class, "контрольная всему классу").await;

    // As history shows it: the child's chat from the link on; no group (GUARDIAN_GROUPS=none),
    // no other child's chat.
    for app in [&a, &b] {
        assert_eq!(found(app, &s.guardian, "контрольная").await, [after]);
        assert_eq!(found(app, &s.guardian, "контрольнаа").await, [after], "a typo, too");
    }
    let (status, body) = search(&b, &s.guardian, &[("q", "контрольная"), ("chat_id", &s.chat.to_string())]).await;
    assert_eq!((status, body["results"][0]["message"]["id"].as_i64()), (200, Some(after)), "{body}");
    let (status, body) =
        search(&b, &s.guardian, &[("q", "контрольная"), ("chat_id", &s.others_chat.to_string())]).await;
    assert_eq!(status, 403, "{body}");
    let (_, readers) = get(&a, "/api/me/readers", &s.child).await;
    let via: Vec<&str> =
        readers["readers"].as_array().expect("readers").iter().filter_map(|r| r["via"].as_str()).collect();
    assert!(via.contains(&"search"), "the child sees the guardian's search: {readers}");

    // Unlinked: nothing any more.
    assert_eq!(set_link(&a, &s.admin, s.guardian.id, s.child.id, false).await.0, 204);
    assert_eq!(found(&b, &s.guardian, "контрольная").await, Vec::<i64>::new());
    audit_is_clean(&a).await;
}
