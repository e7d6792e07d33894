//! Resolution, live delivery on two replicas, edits, and the replay of a resumed stream.

use serde_json::json;

use super::{logged, named, sent, shown};
use crate::governance::audit_is_clean;
use crate::helpers::{TestApp, status_and_json};

#[tokio::test]
async fn a_mention_is_resolved_when_sent_and_reaches_every_member_live_on_both_replicas() {
    let a = TestApp::spawn().await;
    let b = a.replica().await;
    let teacher = a.user("teacher", "Иван Петров").await;
    let (full, short, boris) =
        (a.user("student", "Мария Иванова").await, a.user("student", "Мария").await, a.user("student", "Борис").await);
    let (admin, outsider) = (a.user("admin", "Завуч").await, a.user("student", "Петя").await);
    let chat = crate::groups::group(&a, &teacher, "9Б", &[&full, &short, &boris]).await;
    let elsewhere = a.chat(&teacher, &outsider).await;

    let (mut fulls, mut boriss, mut admins) =
        (b.stream(&full, None).await, b.stream(&boris, None).await, a.stream(&admin, None).await);
    let mut outsiders = b.stream(&outsider, None).await;

    // The longest name that fits, in any case; a name must end where a word does; an "@" inside
    // a word (an address) mentions nobody, nor does the sender's own name or a stranger's.
    let text = "@мария иванова, @Мария и @Марияна: x@Борис не в счёт, @Иван Петров тоже, @Петя тоже";
    let answer = sent(&a, &teacher, chat, text).await;
    let message = answer["id"].as_i64().expect("id");
    let expected = named(&[&full, &short], &["Мария Иванова", "Мария"]);
    assert_eq!(answer["mentions"], expected, "the answer names them");
    assert_eq!(logged(&a, "message_created", message).await, json!([full.id, short.id]), "the log keeps ids");

    for (who, stream) in [("Мария Иванова", &mut fulls), ("Борис", &mut boriss), ("admin", &mut admins)]
    {
        let event = stream.event().await;
        assert_eq!(event.event, "new_message", "{who}");
        assert_eq!(event.json()["message"]["mentions"], expected, "{who}: {}", event.data);
    }
    assert_eq!(shown(&b, &boris, chat, message).await, expected);
    assert_eq!(shown(&a, &admin, chat, message).await, expected);

    // Shown with names as they are now.
    a.sql.execute("UPDATE users SET name = 'Маша Иванова' WHERE id = $1", &[&full.id]).await.expect("rename");
    assert_eq!(shown(&b, &short, chat, message).await, named(&[&full, &short], &["Маша Иванова", "Мария"]));

    // A member writes: the teacher is mentioned, the writer never; a direct chat resolves none.
    let back = sent(&b, &boris, chat, "@Иван Петров, а @Борис это я").await;
    assert_eq!(back["mentions"], named(&[&teacher], &["Иван Петров"]));
    let direct = sent(&a, &teacher, elsewhere, "@Петя, привет").await;
    assert_eq!(direct["mentions"], json!([]), "only a group's messages mention");
    assert_eq!(logged(&a, "message_created", direct["id"].as_i64().expect("id")).await, json!(null));

    // The outsider's next event is their own chat's: the group's message never reached them.
    let next = outsiders.event().await;
    assert_eq!((next.event.as_str(), next.json()["message"]["id"].as_i64()), ("new_message", direct["id"].as_i64()));
    audit_is_clean(&a).await;
}

#[tokio::test]
async fn an_edit_resolves_the_mentions_again_live_and_a_resumed_stream_shows_them_as_they_are_now() {
    let a = TestApp::spawn_with(|config| config.append.editing = true).await;
    let b = a.replica().await;
    let (teacher, admin) = (a.user("teacher", "Иван Петров").await, a.user("admin", "Завуч").await);
    let (anya, boris) = (a.user("student", "Аня").await, a.user("student", "Борис").await);
    let chat = crate::groups::group(&a, &teacher, "9Б", &[&anya, &boris]).await;
    let start = crate::helpers::last_position(&a.sql).await;
    let mut live = b.stream(&boris, None).await;

    let edited = sent(&a, &teacher, chat, "@Аня, посмотри задачу").await["id"].as_i64().expect("id");
    let deleted = sent(&a, &teacher, chat, "@Борис, это не тебе").await["id"].as_i64().expect("id");
    let hidden = sent(&a, &teacher, chat, "@Аня @Борис грубость").await["id"].as_i64().expect("id");
    for _ in 0..3 {
        assert_eq!(live.event().await.event, "new_message");
    }

    // The edit's text names Борис instead: so do the answer, the live frame and history.
    let (status, answer) = status_and_json(a.edit(&teacher, edited, "@борис, посмотри задачу").await).await;
    assert_eq!((status, &answer["mentions"]), (200, &named(&[&boris], &["Борис"])), "{answer}");
    let event = live.event().await;
    assert_eq!((event.event.as_str(), &event.json()["message"]["mentions"]), ("message_edited", &answer["mentions"]));
    assert_eq!(logged(&a, "message_edited", edited).await, json!([boris.id]));
    assert_eq!(shown(&a, &anya, chat, edited).await, named(&[&boris], &["Борис"]));
    // Edited to name nobody: nobody.
    assert_eq!(a.edit(&teacher, edited, "посмотрите задачу").await.status(), 200);
    assert_eq!(live.event().await.json()["message"]["mentions"], json!([]));
    assert_eq!(a.edit(&teacher, edited, "@Борис, посмотри задачу").await.status(), 200);
    assert_eq!(live.event().await.json()["message"]["mentions"], named(&[&boris], &["Борис"]));

    assert_eq!(a.delete_message(&teacher, deleted).await.status(), 200);
    let hide = a.http.post(a.url(&format!("/api/admin/messages/{hidden}/hide"))).bearer_auth(&admin.token);
    assert_eq!(hide.json(&json!({ "reason": "rude" })).send().await.expect("hide").status(), 204);
    assert_eq!(live.event().await.event, "message_deleted");
    assert_eq!(live.event().await.event, "message_hidden");

    // Resumed from before it all, on either replica: each message as it is now.
    for (app, user, admins) in [(&a, &anya, false), (&b, &boris, false), (&b, &admin, true)] {
        let mut resumed = app.stream(user, Some(&start.to_string())).await;
        let mut seen = Vec::new();
        while seen.len() < 6 {
            let event = resumed.event().await;
            if ["new_message", "message_edited"].contains(&event.event.as_str()) {
                let message = &event.json()["message"];
                seen.push((message["id"].as_i64().expect("id"), message["mentions"].clone()));
            }
        }
        let now = named(&[&boris], &["Борис"]);
        let hidden_now = if admins { named(&[&anya, &boris], &["Аня", "Борис"]) } else { json!([]) };
        assert_eq!(
            seen,
            [
                (edited, now.clone()),
                (deleted, json!([])),
                (hidden, hidden_now.clone()),
                (edited, now.clone()),
                (edited, now.clone()),
                (edited, now),
            ],
            "admin: {admins}"
        );
        assert_eq!(shown(app, user, chat, hidden).await, hidden_now, "history, admin: {admins}");
    }
    audit_is_clean(&a).await;
}
