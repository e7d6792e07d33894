//! A family chat that concerns no child now (the link ended, the child left the school) is
//! read-only for everything that writes to it: messages, edits, deletions, reactions, pins; and
//! the child's departure takes their guardian out of the teacher's announcements to families.

use serde_json::json;

use super::{family_chats, post};
use crate::governance::audit_is_clean;
use crate::guardians::{get, set_link};
use crate::helpers::{TestApp, User, status_and_json};

#[tokio::test]
async fn a_read_only_family_chat_takes_no_edit_deletion_or_reaction_from_either() {
    let a = TestApp::spawn_with(|c| c.append.editing = true).await;
    let (teacher, masha) = (a.user("teacher", "Иван").await, a.user("student", "Маша").await);
    let (guardian, admin) = (a.user("guardian", "Елена").await, a.user("admin", "Завуч").await);
    a.chat(&teacher, &masha).await;
    assert_eq!(set_link(&a, &admin, guardian.id, masha.id, true).await.0, 201);
    let family = family_chats(&a, &guardian).await[0]["id"].as_i64().expect("id");
    let hers = a.send(&guardian, family, "Позвоните мне").await;
    let his = a.send(&teacher, family, "Хорошо").await;

    // The link ends: the chat is read-only, for its messages too, whoever touches them.
    assert_eq!(set_link(&a, &admin, guardian.id, masha.id, false).await.0, 204);
    let react = |who: &User, id: i64| {
        let url = a.url(&format!("/api/messages/{id}/reactions/%F0%9F%91%8D"));
        a.http.put(url).bearer_auth(&who.token).send()
    };
    for (who, own, theirs) in [(&guardian, hers, his), (&teacher, his, hers)] {
        let (status, body) = status_and_json(a.edit(who, own, "EDITED after the link ended").await).await;
        assert_eq!((status, body["code"].as_str()), (409, Some("chat_closed")), "an edit: {body}");
        let (status, body) = status_and_json(a.delete_message(who, own).await).await;
        assert_eq!((status, body["code"].as_str()), (409, Some("chat_closed")), "a deletion: {body}");
        let (status, body) = status_and_json(react(who, theirs).await.expect("react")).await;
        assert_eq!((status, body["code"].as_str()), (409, Some("chat_closed")), "a reaction: {body}");
    }
    let (status, history) = get(&a, &format!("/api/chats/{family}/messages"), &teacher).await;
    let texts: Vec<_> =
        history["messages"].as_array().expect("messages").iter().map(|m| m["content"].clone()).collect();
    assert_eq!((status, texts), (200, vec![json!("Позвоните мне"), json!("Хорошо")]), "{history}");
    audit_is_clean(&a).await;
}

#[tokio::test]
async fn a_student_who_leaves_takes_the_family_side_with_them() {
    let a = TestApp::spawn().await;
    let (teacher, borya) = (a.user("teacher", "Иван").await, a.user("student", "Боря").await);
    let (guardian, admin) = (a.user("guardian", "Ирина").await, a.user("admin", "Завуч").await);
    a.chat(&teacher, &borya).await;
    assert_eq!(set_link(&a, &admin, guardian.id, borya.id, true).await.0, 201);
    let family = family_chats(&a, &guardian).await[0]["id"].as_i64().expect("id");
    let body = json!({ "kind": "group", "title": "Родителям", "audience": "my_students", "recipients": "both" });
    let (status, announcement) = crate::announcements::create(&a, &teacher, body).await;
    assert_eq!(status, 201, "{announcement}");
    let announcement = announcement["id"].as_i64().expect("id");
    assert!(crate::announcements::members(&a, &teacher, announcement).await.contains(&guardian.id));

    // Боря leaves the school: his family's chat with his teacher concerns no child, and his
    // guardian is no longer among the teacher's families.
    let deactivate = a.http.post(a.url(&format!("/api/admin/users/{}/deactivate", borya.id)));
    assert_eq!(deactivate.bearer_auth(&admin.token).send().await.expect("deactivate").status(), 204);
    for who in [&guardian, &teacher] {
        let (status, refused) = post(&a, who, family, "ещё вопрос").await;
        assert_eq!((status, refused["code"].as_str()), (409, Some("chat_closed")), "{refused}");
    }
    assert!(
        !crate::announcements::members(&a, &teacher, announcement).await.contains(&guardian.id),
        "the guardian of a student who left still gets the teacher's announcements"
    );
    audit_is_clean(&a).await;
}
