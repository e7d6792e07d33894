//! What a member sees: the group from their join on, nothing once removed, older quotes as unavailable.

use serde_json::{Value, json};

use super::{add, get, group, history, remove};
use crate::helpers::{TestApp, User};

#[tokio::test]
async fn a_new_member_sees_the_group_from_their_join_on_and_a_removed_one_is_refused_at_once_everywhere() {
    let a = TestApp::spawn_with(|config| config.append.editing = true).await;
    let b = a.replica().await;
    let (teacher, anna, boris) =
        (a.user("teacher", "T").await, a.user("student", "Anna").await, a.user("student", "Boris").await);
    let chat = group(&a, &teacher, "G", &[&anna]).await;
    let before = a.send(&anna, chat, "before Boris").await;
    let edited_later = a.send(&teacher, chat, "edited after Boris joins").await;

    let (status, _) = add(&a, &teacher, chat, boris.id).await;
    assert_eq!(status, 201);
    // Boris sees nothing from before he joined: not in history, not as the last message, not
    // as unread, not as a message to quote.
    assert_eq!(history(&b, &boris, chat).await, (200, vec![]));
    let (_, list) = get(&b, &boris, "/api/chats").await;
    let listed = list["chats"].as_array().expect("chats").iter().find(|c| c["id"] == json!(chat)).expect("the group");
    assert_eq!((listed["last_message"].clone(), listed["unread_count"].clone()), (json!(null), json!(0)));
    let reply = b.post_reply(&boris, chat, "quoting", before).await;
    assert_eq!(reply.status(), 422);
    // Nor an edit of a message from before (its new text), live or replayed.
    let mut boris_live = b.stream(&boris, None).await;
    assert_eq!(a.edit(&teacher, edited_later, "new text").await.status(), 200);
    let after = a.send(&anna, chat, "after Boris joined").await;
    let event = boris_live.event().await;
    assert_eq!((event.event.as_str(), event.json()["message"]["id"].as_i64()), ("new_message", Some(after)));
    assert_eq!(history(&b, &boris, chat).await, (200, vec![after]));
    assert_eq!(a.unread(&boris, chat).await, 1);
    let mut replayed = b.stream(&boris, Some("0")).await;
    // First his direct chat with the teacher, which the lesson that made him the teacher's
    // student opened.
    let opened = replayed.event().await;
    assert_eq!(opened.event, "chat_created");
    assert_ne!(opened.json()["chat"]["id"].as_i64(), Some(chat), "{}", opened.json());
    let first = replayed.event().await;
    assert_eq!((first.event.as_str(), first.json()["user"]["id"].as_i64()), ("participant_added", Some(boris.id)));
    let second = replayed.event().await;
    assert_eq!((second.event.as_str(), second.json()["message"]["id"].as_i64()), ("new_message", Some(after)));

    // Removed on replica A: refused on replica B at once, the moment the removal is answered,
    // for everything but reading back what he was a member for (as a resumed stream replays it).
    assert_eq!(remove(&a, &teacher, chat, boris.id).await, 204);
    let after_removal = a.send(&anna, chat, "after Boris left").await;
    assert_eq!(history(&b, &boris, chat).await, (200, vec![after]), "his membership's messages, nothing after");
    assert_eq!(b.post_message(&boris, chat, "still here?").await.status(), 403);
    assert_eq!(get(&b, &boris, &format!("/api/chats/{chat}")).await.0, 403);
    let typing = b
        .http
        .post(b.url(&format!("/api/chats/{chat}/typing")))
        .bearer_auth(&boris.token)
        .json(&json!({"is_typing": true}));
    assert_eq!(typing.send().await.expect("typing").status(), 403);
    assert_eq!(b.read(&boris, chat, Some(after)).await.status(), 403);
    let (_, list) = get(&b, &boris, "/api/chats").await;
    let listed: Vec<i64> = list["chats"].as_array().expect("chats").iter().filter_map(|c| c["id"].as_i64()).collect();
    assert!(!listed.contains(&chat), "a removed member no longer lists the group: {list}");
    // His own message can no longer be changed either.
    let (_, _) = add(&a, &teacher, chat, boris.id).await;
    let his = b.send(&boris, chat, "mine").await;
    assert_eq!(remove(&a, &teacher, chat, boris.id).await, 204);
    assert_eq!(b.edit(&boris, his, "changed").await.status(), 403);
    assert_eq!(b.delete_message(&boris, his).await.status(), 403);
    // Two memberships: history shows both, never the gap between them, as a replay does.
    assert_eq!(history(&b, &boris, chat).await, (200, vec![after, his]), "not {after_removal}");
    let outsider = a.user("student", "Never a member").await;
    assert_eq!(history(&b, &outsider, chat).await.0, 403, "someone who never was a member reads nothing");
}

/// A reply quoting a message from before someone joined shows them only that the quote is
/// unavailable (no author, no text), live, in history and on resume; members who could see
/// the quoted message, and admins, see the quote, and an edit of it follows for them only.
#[tokio::test]
async fn a_later_member_sees_quotes_of_messages_from_before_they_joined_only_as_unavailable() {
    let app = TestApp::spawn().await;
    let (teacher, early, late) =
        (app.user("teacher", "T").await, app.user("student", "Early").await, app.user("student", "Late").await);
    let admin = app.user("admin", "A").await;
    let chat = group(&app, &teacher, "11 Б", &[&early]).await;
    let before = app.send(&early, chat, "a secret from before").await;
    assert_eq!(add(&app, &teacher, chat, late.id).await.0, 201);
    let mut late_live = app.stream(&late, None).await;
    let mut early_live = app.stream(&early, None).await;

    let response = app.post_reply(&teacher, chat, "answering the secret", before).await;
    assert_eq!(response.status(), 201);
    let reply: Value = response.json().await.expect("json");
    let reply_id = reply["id"].as_i64().expect("id");
    assert_eq!(reply["reply_to"]["content_preview"], "a secret from before", "the replier sees what they quote");

    let hidden = json!({ "id": before, "sender_id": null, "content_preview": null, "is_deleted": false, "unavailable": true, "removed": null });
    let live = late_live.event().await;
    assert_eq!((live.event.as_str(), live.json()["message"]["reply_to"].clone()), ("new_message", hidden.clone()));
    assert_eq!(early_live.event().await.json()["message"]["reply_to"]["content_preview"], "a secret from before");

    let page = |user: &User| app.get(&format!("/api/chats/{chat}/messages"), user).send();
    let late_page: Value = page(&late).await.expect("history").json().await.expect("json");
    let late_reply = late_page["messages"].as_array().expect("messages").iter().find(|m| m["id"] == reply_id).cloned();
    assert_eq!(late_reply.expect("the reply")["reply_to"], hidden);
    let admin_page: Value = page(&admin).await.expect("history").json().await.expect("json");
    let admin_reply =
        admin_page["messages"].as_array().expect("messages").iter().find(|m| m["id"] == reply_id).cloned();
    assert_eq!(
        admin_reply.expect("the reply")["reply_to"]["content_preview"],
        "a secret from before",
        "admins see every quote"
    );

    let mut resumed = app.stream(&late, Some("0")).await;
    let mut replayed = Vec::new();
    loop {
        let event = resumed.event().await;
        let done = event.event == "new_message" && event.json()["message"]["id"] == reply_id;
        replayed.push(event);
        if done {
            break;
        }
    }
    let text: String = replayed.iter().map(|e| e.data.clone()).collect();
    assert!(!text.contains("a secret from before"), "the replay shows the quote as live did: {text}");
    assert_eq!(replayed.last().expect("the reply").json()["message"]["reply_to"], hidden);
}

/// A group's messages are admitted by what the replica has read of its members (no query per
/// message) and checked again by the log as it appends them: someone the database no longer
/// counts a member (here removed behind the log's back, as a removal committed and not yet
/// read by this replica would be) is refused as for a chat they are not in, and nothing is
/// appended.
#[tokio::test]
async fn a_member_the_log_no_longer_counts_is_refused_whatever_the_replica_has_read() {
    let app = TestApp::spawn().await;
    let (teacher, anna) = (app.user("teacher", "T").await, app.user("student", "Anna").await);
    let chat = group(&app, &teacher, "G", &[&anna]).await;
    let deadline = std::time::Instant::now() + crate::helpers::PATIENCE;
    while app.state.hub.group_member(chat, anna.id).is_none() {
        assert!(std::time::Instant::now() < deadline, "the replica never read Anna's joining");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    app.send(&anna, chat, "a member").await;
    let removed = "DELETE FROM chat_participants WHERE chat_id = $1 AND user_id = $2";
    assert_eq!(app.sql.execute(removed, &[&chat, &anna.id]).await.expect("remove behind the log's back"), 1);
    assert!(app.state.hub.group_member(chat, anna.id).is_some(), "the replica still counts her");

    let (status, body) = crate::helpers::status_and_json(app.post_message(&anna, chat, "still here?").await).await;
    let (_, none) = crate::helpers::status_and_json(app.post_message(&anna, i64::MAX, "anyone?").await).await;
    assert_eq!(status, 403, "{body}");
    let anonymised = |body: &Value, id: i64| body["error"].as_str().map(|e| e.replace(&id.to_string(), "N"));
    assert_eq!((anonymised(&body, chat), &body["code"]), (anonymised(&none, i64::MAX), &none["code"]));
    let messages: i64 =
        app.sql.query_one("SELECT count(*) FROM messages WHERE chat_id = $1", &[&chat]).await.expect("count").get(0);
    assert_eq!(messages, 1, "only the message from when she was a member");
}
