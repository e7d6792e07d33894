//! Guardians and groups, under the school's `GUARDIAN_GROUPS=own_messages`: a guardian reads,
//! in each group their child belongs to, only the child's own messages as they are now, from
//! where both the child's membership and the link began: live on every replica and on resume,
//! in the list, history and export; never another child's words, not even quoted; ending the
//! link ends it. (Under the default, `none`, they see nothing of groups: `guardians.rs`.) And a
//! guardian with a browser subscribed gets a Web Push for their child's chats while linked.

use std::time::Duration;

use serde_json::{Value, json};
use tutorchat::config::GuardianGroups;

use crate::families::{childrens, replayed_after_own_chat};
use crate::governance::audit_is_clean;
use crate::groups::group;
use crate::guardians::{get, set_link};
use crate::helpers::{PushReceiver, TestApp, User, status_and_json};

/// Two replicas on one database, both reading the school's policy as `own_messages`.
async fn own_messages() -> (TestApp, TestApp) {
    // Editing on: what a guardian sees of an edit is part of what is tested.
    let policy = |c: &mut tutorchat::config::Config| {
        c.safeguarding.guardian_groups = GuardianGroups::OwnMessages;
        c.append.editing = true;
    };
    let a = TestApp::spawn_with(policy).await;
    let b = TestApp::spawn_on(a.database.clone(), policy).await;
    (a, b)
}

struct Class {
    teacher: User,
    child: User,
    other: User,
    guardian: User,
    admin: User,
    class: i64,
}

async fn class(app: &TestApp) -> Class {
    let (teacher, child, other) =
        (app.user("teacher", "Иван").await, app.user("student", "Маша").await, app.user("student", "Петя").await);
    let (guardian, admin) = (app.user("guardian", "Мама Маши").await, app.user("admin", "Завуч").await);
    let class = group(app, &teacher, "7Б", &[&child, &other]).await;
    Class { teacher, child, other, guardian, admin, class }
}

/// `user`'s reply to `parent` in `chat`: its id.
async fn reply(app: &TestApp, user: &User, chat: i64, content: &str, parent: i64) -> i64 {
    let (status, body) = status_and_json(app.post_reply(user, chat, content, parent).await).await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_i64().expect("id")
}

fn contents(history: &Value) -> Vec<&str> {
    history["messages"].as_array().expect("messages").iter().map(|m| m["content"].as_str().expect("text")).collect()
}

#[tokio::test]
async fn a_guardian_streams_only_their_childs_own_messages_of_a_group_live_and_on_resume() {
    let (a, b) = own_messages().await;
    let s = class(&a).await;
    a.send(&s.child, s.class, "до привязки").await;
    assert_eq!(set_link(&a, &s.admin, s.guardian.id, s.child.id, true).await.0, 201);

    // Live on the other replica: the child's message, not the others' before it.
    let mut live = b.stream(&s.guardian, None).await;
    a.send(&s.other, s.class, "секрет Пети").await;
    a.send(&s.teacher, s.class, "всем привет").await;
    let mine = a.send(&s.child, s.class, "мой ответ").await;
    let mut seen = vec![live.event().await];
    let first = seen[0].json();
    assert_eq!((seen[0].event.as_str(), first["message"]["id"].as_i64()), ("new_message", Some(mine)), "{first}");
    assert_eq!(first["chat_id"], s.class);

    // A reply quoting another child: the quote unavailable, its words nowhere. Quoting the
    // child's own message: shown.
    let petya = a.send(&s.other, s.class, "слова Пети").await;
    let quoting_petya = reply(&a, &s.child, s.class, "согласна", petya).await;
    seen.push(live.event().await);
    let replied = seen[1].json();
    assert_eq!(replied["message"]["id"].as_i64(), Some(quoting_petya), "{replied}");
    assert_eq!(replied["message"]["reply_to"]["unavailable"], true, "{replied}");
    assert_eq!(replied["message"]["reply_to"]["sender_id"], Value::Null, "{replied}");
    assert!(!seen[1].data.contains("слова Пети"), "{replied}");
    let quoting_mine = reply(&a, &s.child, s.class, "и ещё", mine).await;
    seen.push(live.event().await);
    assert_eq!(seen[2].json()["message"]["reply_to"]["content_preview"], "мой ответ", "{}", seen[2].data);
    assert_eq!(seen[2].json()["message"]["id"].as_i64(), Some(quoting_mine));

    // The child's messages edited, hidden, deleted: as the child's classmates see them; another
    // child's edit never arrives.
    assert!(a.edit(&s.other, petya, "Петя правит").await.status().is_success());
    assert!(a.edit(&s.child, mine, "мой ответ, исправленный").await.status().is_success());
    seen.push(live.event().await);
    assert_eq!(
        (seen[3].event.as_str(), seen[3].json()["message"]["content"].as_str()),
        ("message_edited", Some("мой ответ, исправленный"))
    );
    let hide = a
        .http
        .post(a.url(&format!("/api/admin/messages/{quoting_mine}/hide")))
        .bearer_auth(&s.admin.token)
        .json(&json!({ "reason": "не по теме" }));
    assert_eq!(hide.send().await.expect("hide").status(), 204);
    seen.push(live.event().await);
    assert_eq!((seen[4].event.as_str(), seen[4].json()["message_id"].as_i64()), ("message_hidden", Some(quoting_mine)));
    assert!(a.delete_message(&s.other, petya).await.status().is_success());
    assert!(a.delete_message(&s.child, quoting_petya).await.status().is_success());
    seen.push(live.event().await);
    assert_eq!(
        (seen[5].event.as_str(), seen[5].json()["message_id"].as_i64()),
        ("message_deleted", Some(quoting_petya))
    );

    // A stream resumed from the start, on the first replica: exactly these events, no other.
    let mut resumed = a.stream(&s.guardian, Some("0")).await;
    let replayed = replayed_after_own_chat(&mut resumed, seen.len()).await;
    let shape =
        |events: &[crate::helpers::Event]| events.iter().map(|e| (e.event.clone(), e.position())).collect::<Vec<_>>();
    assert_eq!(shape(&replayed), shape(&seen));
    let last = a.send(&s.child, s.class, "конец").await;
    a.send(&s.other, s.class, "после конца").await;
    assert_eq!(resumed.event().await.json()["message"]["id"].as_i64(), Some(last), "nothing else was replayed");
    assert_eq!(live.event().await.json()["message"]["id"].as_i64(), Some(last));
    for event in replayed.iter().chain(&seen) {
        for words in ["секрет Пети", "всем привет", "слова Пети", "Петя правит", "до привязки"]
        {
            assert!(!event.data.contains(words), "{words:?} reached the guardian: {}", event.data);
        }
    }
    audit_is_clean(&a).await;
}

#[tokio::test]
async fn a_guardians_list_history_and_export_of_a_group_hold_only_their_childs_messages_and_are_recorded() {
    let (a, b) = own_messages().await;
    let s = class(&a).await;
    a.send(&s.child, s.class, "до привязки").await;
    assert_eq!(set_link(&a, &s.admin, s.guardian.id, s.child.id, true).await.0, 201);
    let petya = a.send(&s.other, s.class, "слова Пети").await;
    a.send(&s.child, s.class, "мой ответ").await;
    let quoting = reply(&a, &s.child, s.class, "согласна", petya).await;
    a.send(&s.teacher, s.class, "учитель последний").await;
    assert_eq!(a.read(&s.other, s.class, None).await.status(), 204, "Петя has read it all");

    // Listed under the child, marked as the child's messages only.
    let (status, list) = get(&b, "/api/chats", &s.guardian).await;
    assert_eq!(status, 200, "{list}");
    let chats = childrens(&list);
    // The child's direct chat with the teacher (the lesson that made them the teacher's
    // student opened it), and the group (and the guardian's own chat with the teacher).
    assert_eq!(chats.len(), 2, "{list}");
    assert_eq!((&chats[1]["kind"], &chats[1]["ward_only"]), (&json!("direct"), &json!(false)), "{list}");
    let listed = &chats[0];
    assert_eq!(
        (&listed["id"], &listed["ward"]["id"], &listed["ward_only"]),
        (&s.class.into(), &s.child.id.into(), &true.into())
    );
    assert_eq!(listed["participant"], Value::Null, "no other member named");
    assert_eq!(listed["last_message"]["id"].as_i64(), Some(quoting), "the child's last, not the teacher's: {listed}");
    assert_eq!(listed["updated_at"], listed["last_message"]["created_at"], "active as the child was: {listed}");

    // History: the child's messages since the link; the quote of another child unavailable.
    let (status, history) = get(&b, &format!("/api/chats/{}/messages", s.class), &s.guardian).await;
    assert_eq!(status, 200, "{history}");
    assert_eq!(contents(&history), ["мой ответ", "согласна"]);
    assert!(history["messages"].as_array().expect("messages").iter().all(|m| m["read_by"] == json!([])), "{history}");
    let quote = &history["messages"][1]["reply_to"];
    assert_eq!(
        (&quote["unavailable"], &quote["content_preview"], &quote["sender_id"]),
        (&true.into(), &Value::Null, &Value::Null)
    );

    // Export: the same messages, and no member but the child.
    let (status, export) = get(&b, &format!("/api/chats/{}/export", s.class), &s.guardian).await;
    assert_eq!(status, 200, "{export}");
    let senders: Vec<i64> =
        export["messages"].as_array().expect("messages").iter().map(|m| m["sender_id"].as_i64().expect("id")).collect();
    assert_eq!(senders, [s.child.id, s.child.id], "{export}");
    let members: Vec<i64> =
        export["members"].as_array().expect("members").iter().map(|m| m["user_id"].as_i64().expect("id")).collect();
    assert_eq!(members, [s.child.id], "{export}");
    assert!(!export.to_string().contains("слова Пети"));

    // The group's details name its members: not the guardian's to read.
    assert_eq!(get(&b, &format!("/api/chats/{}", s.class), &s.guardian).await.0, 403);

    // Each read recorded; the group's members are told guardians read their own child's words.
    let _stream = a.stream(&s.guardian, None).await;
    let rows = a
        .sql
        .query(
            "SELECT via FROM access_records WHERE chat_id = $1 AND reader_id = $2 ORDER BY id",
            &[&s.class, &s.guardian.id],
        )
        .await
        .expect("access_records");
    let vias: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
    assert_eq!(vias, ["chat_list", "history", "export", "stream"], "the list quoted the child's last message");
    let around = format!("/api/chats/{}/messages?around={petya}", s.class);
    assert_eq!(get(&b, &around, &s.guardian).await.0, 403, "another child's message is as if it did not exist");
    for member in [&s.teacher, &s.other] {
        let (_, theirs) = get(&a, "/api/chats", member).await;
        let header = theirs["chats"].as_array().expect("chats").iter().find(|c| c["id"] == s.class).cloned();
        assert_eq!(header.expect("listed")["guardians_read"], true);
    }
    audit_is_clean(&a).await;
}

#[tokio::test]
async fn ending_the_link_ends_a_guardians_reading_of_the_group_on_every_replica() {
    let (a, b) = own_messages().await;
    let s = class(&a).await;
    assert_eq!(set_link(&a, &s.admin, s.guardian.id, s.child.id, true).await.0, 201);
    let mut stream = b.stream(&s.guardian, None).await;
    let mine = a.send(&s.child, s.class, "пока видно").await;
    assert_eq!(stream.event().await.json()["message"]["id"].as_i64(), Some(mine));

    assert_eq!(set_link(&a, &s.admin, s.guardian.id, s.child.id, false).await.0, 204);
    let last = stream.until_closed(Duration::from_secs(10)).await;
    assert_eq!(last.iter().map(|e| e.event.as_str()).collect::<Vec<_>>(), ["guardian_unlinked"]);
    assert_eq!(get(&b, &format!("/api/chats/{}/messages", s.class), &s.guardian).await.0, 403);
    assert_eq!(get(&b, &format!("/api/chats/{}/export", s.class), &s.guardian).await.0, 403);
    assert!(childrens(&get(&b, "/api/chats", &s.guardian).await.1).is_empty());

    // Resumed from the start: nothing of Маша's any more; linked to Петя, his own messages from
    // the new link on.
    let mut resumed = b.stream(&s.guardian, Some("0")).await;
    a.send(&s.child, s.class, "уже не видно").await;
    assert_eq!(set_link(&a, &s.admin, s.guardian.id, s.other.id, true).await.0, 201);
    a.send(&s.child, s.class, "и это").await;
    let petya = a.send(&s.other, s.class, "теперь Петя").await;
    let next = replayed_after_own_chat(&mut resumed, 2).await;
    assert_eq!(next[0].event, "guardian_linked", "{}", next[0].data);
    assert_eq!(next[1].json()["message"]["id"].as_i64(), Some(petya), "{}", next[1].data);
    let (_, teachers) = get(&a, "/api/chats", &s.teacher).await;
    assert_eq!(teachers["chats"][0]["guardians_read"], true, "Петя's guardian reads now");
    audit_is_clean(&a).await;
}

#[tokio::test]
async fn once_the_child_leaves_the_group_the_guardian_reads_only_what_came_before() {
    let (a, b) = own_messages().await;
    let s = class(&a).await;
    let lesson = a.chat(&s.teacher, &s.child).await;
    assert_eq!(set_link(&a, &s.admin, s.guardian.id, s.child.id, true).await.0, 201);
    let mut live = b.stream(&s.guardian, None).await;
    let before = a.send(&s.child, s.class, "до ухода").await;
    assert_eq!(live.event().await.json()["message"]["id"].as_i64(), Some(before));

    // Out of the group, a change to the child's old message is no longer the guardian's.
    assert_eq!(crate::groups::remove(&a, &s.child, s.class, s.child.id).await, 204);
    let hide = a.http.post(a.url(&format!("/api/admin/messages/{before}/hide"))).bearer_auth(&s.admin.token);
    assert_eq!(hide.json(&json!({ "reason": "x" })).send().await.expect("hide").status(), 204);
    let next = a.send(&s.teacher, lesson, "урок завтра").await;
    assert_eq!(live.event().await.json()["message"]["id"].as_i64(), Some(next), "nothing of the group came first");

    // The list holds the groups the child is in now; history the stretch they were in.
    let (_, list) = get(&b, "/api/chats", &s.guardian).await;
    let listed: Vec<i64> = childrens(&list).iter().map(|c| c["id"].as_i64().expect("id")).collect();
    assert_eq!(listed, [lesson]);
    let (status, history) = get(&b, &format!("/api/chats/{}/messages", s.class), &s.guardian).await;
    assert_eq!(status, 200, "{history}");
    assert_eq!(history["messages"][0]["id"].as_i64(), Some(before));
    assert_eq!(history["messages"].as_array().map(Vec::len), Some(1));
    audit_is_clean(&a).await;
}

#[tokio::test]
async fn a_purge_of_several_childrens_messages_shows_a_guardian_only_their_own_childs() {
    let _turn = crate::governance::one_retention_at_a_time().await;
    let policy = |c: &mut tutorchat::config::Config| {
        c.safeguarding.guardian_groups = GuardianGroups::OwnMessages;
        c.governance.retention = Some(time::Duration::days(30));
    };
    let a = TestApp::spawn_with(policy).await;
    let b = TestApp::spawn_on(a.database.clone(), policy).await;
    let s = class(&a).await;
    assert_eq!(set_link(&a, &s.admin, s.guardian.id, s.child.id, true).await.0, 201);
    let petya = a.send(&s.other, s.class, "старое Пети").await;
    let mine = a.send(&s.child, s.class, "старое Маши").await;
    let mut live = b.stream(&s.guardian, None).await;

    // Retention's clock: 30 days after both.
    let horizon = crate::governance::created_at(&a, mine).await + time::Duration::microseconds(1);
    let purged =
        tutorchat::governance::retention::run_at(&a.state, horizon + time::Duration::days(30)).await.expect("run");
    assert_eq!(purged, 2);
    let event = live.event().await;
    assert_eq!((event.event.as_str(), event.json()["message_ids"].clone()), ("messages_purged", json!([mine])));

    // Resumed: the child's message as it is now (purged), then the purge, with only its id.
    let mut resumed = a.stream(&s.guardian, Some("0")).await;
    let replayed = replayed_after_own_chat(&mut resumed, 2).await;
    assert_eq!(replayed[0].json()["message"]["id"].as_i64(), Some(mine), "{}", replayed[0].data);
    assert_eq!(replayed[1].json()["message_ids"], json!([mine]), "{}", replayed[1].data);
    // Its members see both purged, Петя's too.
    let (_, teachers) = get(&a, &format!("/api/chats/{}/messages", s.class), &s.teacher).await;
    let purged_ids: Vec<i64> = teachers["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .filter(|m| m["purged"]["cause"] == "retention")
        .map(|m| m["id"].as_i64().expect("id"))
        .collect();
    assert_eq!(purged_ids, [petya, mine]);
    audit_is_clean(&a).await;
}

#[tokio::test]
async fn a_linked_guardian_with_a_browser_subscribed_gets_a_push_for_their_childs_chats_and_none_once_unlinked() {
    let receiver = PushReceiver::start().await;
    let notify = crate::push::config(&receiver);
    let setup = |c: &mut tutorchat::config::Config| {
        c.notify = notify.clone();
        c.safeguarding.guardian_groups = GuardianGroups::OwnMessages;
    };
    let a = TestApp::spawn_with(setup).await;
    let b = TestApp::spawn_on(a.database.clone(), setup).await;
    let s = class(&a).await;
    let (chat, others_chat) = (a.chat(&s.teacher, &s.child).await, a.chat(&s.teacher, &s.other).await);
    let (sid, subscription) = receiver.subscribe().await;
    assert_eq!(crate::push::subscribe(&b, &s.guardian, &subscription).await.0, 201);
    assert_eq!(set_link(&a, &s.admin, s.guardian.id, s.child.id, true).await.0, 201);
    let notices = |chat: i64| {
        let (sql, guardian) = (&a.sql, s.guardian.id);
        async move {
            let sql_text = "SELECT count(*) FROM notices WHERE user_id = $1 AND chat_id = $2";
            sql.query_one(sql_text, &[&guardian, &chat]).await.expect("notices").get::<_, i64>(0)
        }
    };

    // The child's direct chat, and the child's own message in the group (not another's).
    let lesson = a.send(&s.teacher, chat, "Маша, не забудь тетрадь").await;
    a.send(&s.other, s.class, "Петя пишет классу").await;
    a.notices_written().await;
    assert_eq!(notices(s.class).await, 0, "another child's message is never the guardian's notice");
    let own = a.send(&s.child, s.class, "Маша пишет классу").await;
    let received = receiver
        .wait_for("the guardian's pushes", Duration::from_secs(10), |r| crate::push::to(r, &sid).len() >= 2)
        .await;
    let mut pushes: Vec<(i64, i64, String)> = crate::push::to(&received, &sid)
        .iter()
        .map(|p| {
            let payload = &p["payload"];
            assert_eq!(p["decrypt_error"], Value::Null, "{p:#}");
            (
                payload["chat_id"].as_i64().expect("chat"),
                payload["message_id"].as_i64().expect("message"),
                payload["body"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    pushes.sort();
    let mut expected =
        vec![(chat, lesson, "Маша, не забудь тетрадь".to_owned()), (s.class, own, "Маша пишет классу".to_owned())];
    expected.sort();
    assert_eq!(pushes, expected);

    // Unlinked: no notice is written for the child's chats any more; a new link's chat pushes.
    assert_eq!(set_link(&a, &s.admin, s.guardian.id, s.child.id, false).await.0, 204);
    let (before_direct, before_class) = (notices(chat).await, notices(s.class).await);
    let unseen = a.send(&s.teacher, chat, "после отвязки").await;
    a.send(&s.child, s.class, "и это после").await;
    assert_eq!((notices(chat).await, notices(s.class).await), (before_direct, before_class));
    assert_eq!(set_link(&a, &s.admin, s.guardian.id, s.other.id, true).await.0, 201);
    let petya = a.send(&s.teacher, others_chat, "Петя, до завтра").await;
    let received = receiver
        .wait_for("a push for Петя's chat", Duration::from_secs(10), |r| {
            crate::push::to(r, &sid).iter().any(|p| p["payload"]["message_id"].as_i64() == Some(petya))
        })
        .await;
    let unlinked: Vec<Value> = crate::push::to(&received, &sid)
        .into_iter()
        .filter(|p| p["payload"]["message_id"].as_i64() == Some(unseen))
        .collect();
    assert!(unlinked.is_empty(), "{unlinked:#?}");
}

#[tokio::test]
async fn a_guardians_search_finds_in_a_group_only_their_childs_own_messages() {
    let (a, b) = own_messages().await;
    let s = class(&a).await;
    assert_eq!(set_link(&a, &s.admin, s.guardian.id, s.child.id, true).await.0, 201);
    let mine = a.send(&s.child, s.class, "проект по физике готов").await;
    a.send(&s.other, s.class, "проект по физике у Пети").await;
    a.send(&s.teacher, s.class, "проект по физике: сроки").await;
    assert_eq!(crate::search::found(&b, &s.guardian, "проект").await, [mine]);
    assert_eq!(crate::search::found(&b, &s.guardian, "физика").await, [mine]);
}
