//! Exports show each message's pin as it is now: since when it is pinned, in JSON and in the
//! HTML's meta line; a message unpinned or hidden since shows none.

use serde_json::json;

use super::pin;
use crate::governance::audit_is_clean;
use crate::helpers::{TestApp, User, status_and_json};

/// `pinned_at` of each of `messages` in `user`'s JSON export of `chat`.
async fn pinned_at(app: &TestApp, user: &User, chat: i64, messages: &[i64]) -> Vec<serde_json::Value> {
    let response = app.get(&format!("/api/chats/{chat}/export?format=json"), user).send().await.expect("export");
    let (status, export) = status_and_json(response).await;
    assert_eq!(status, 200, "{export}");
    let exported = export["messages"].as_array().expect("messages");
    let of = |id: i64| exported.iter().find(|m| m["message_id"] == id).expect("exported")["pinned_at"].clone();
    messages.iter().map(|id| of(*id)).collect()
}

#[tokio::test]
async fn an_export_says_which_messages_are_pinned_now_and_since_when() {
    let a = TestApp::spawn().await;
    let (teacher, student, admin) =
        (a.user("teacher", "Иван Петрович").await, a.user("student", "Мария").await, a.user("admin", "Завуч").await);
    let chat = a.chat(&teacher, &student).await;
    let rules = a.send(&teacher, chat, "правила чата").await;
    let plan = a.send(&teacher, chat, "план на неделю").await;
    let rude = a.send(&student, chat, "грубость").await;
    for message in [rules, plan, rude] {
        assert_eq!(pin(&a, &teacher, chat, message, true).await, (204, None));
    }
    assert_eq!(pin(&a, &teacher, chat, plan, false).await, (204, None));
    let hide = a.http.post(a.url(&format!("/api/admin/messages/{rude}/hide"))).bearer_auth(&admin.token);
    assert_eq!(hide.json(&json!({ "reason": "rude" })).send().await.expect("hide").status(), 204);

    let since: String = a
        .sql
        .query_one("SELECT to_json(pinned_at) #>> '{}' FROM chat_pins WHERE message_id = $1", &[&rules])
        .await
        .expect("the pin")
        .get(0);
    for user in [&student, &admin] {
        let shown = pinned_at(&a, user, chat, &[rules, plan, rude]).await;
        let at = time::OffsetDateTime::parse(
            shown[0].as_str().expect("a time"),
            &time::format_description::well_known::Rfc3339,
        );
        let stored = time::OffsetDateTime::parse(&since, &time::format_description::well_known::Rfc3339);
        assert_eq!(at.expect("RFC 3339").unix_timestamp(), stored.expect("a time").unix_timestamp());
        assert_eq!(shown[1..], [json!(null), json!(null)], "unpinned, and hidden (which unpins)");
    }
    let response = a.get(&format!("/api/chats/{chat}/export?format=html&lang=en"), &student).send().await;
    let html = response.expect("export").text().await.expect("html");
    assert_eq!(html.matches(" · pinned ").count(), 1, "one message is pinned: {html}");
    audit_is_clean(&a).await;
}
