//! Moving a marker over HTTP: forward only, by participants only, and clear answers to bad requests.

use serde_json::json;

use super::{assert_replay_clean, marker, read_events, unread_total};
use crate::helpers::{Pair, pair, status_and_json};

#[tokio::test]
async fn reading_moves_the_marker_forward_and_the_unread_counts_go_down() {
    let Pair { a, teacher, student, chat, .. } = pair().await;
    let m1 = a.send(&teacher, chat, "one").await;
    let m2 = a.send(&teacher, chat, "two").await;
    let m3 = a.send(&teacher, chat, "three").await;
    assert_eq!(a.unread(&student, chat).await, 3);
    assert_eq!(unread_total(&a, &student).await, (200, json!({ "unread_count": 3, "chats": 1 })));

    assert_eq!(a.read(&student, chat, Some(m2)).await.status(), 204);
    assert_eq!(a.unread(&student, chat).await, 1);
    assert_eq!(marker(&a, chat, &student).await, m2);

    // An older marker is a no-op: still 204, nothing appended, nothing moves back.
    assert_eq!(a.read(&student, chat, Some(m1)).await.status(), 204);
    assert_eq!(a.read(&student, chat, Some(m2)).await.status(), 204);
    assert_eq!(marker(&a, chat, &student).await, m2);
    assert_eq!(read_events(&a, chat).await, vec![m2]);

    // No body: up to the newest message.
    assert_eq!(a.read(&student, chat, None).await.status(), 204);
    assert_eq!(a.unread(&student, chat).await, 0);
    assert_eq!(marker(&a, chat, &student).await, m3);
    assert_eq!(unread_total(&a, &student).await, (200, json!({ "unread_count": 0, "chats": 0 })));
    let (_, list) = status_and_json(a.get("/api/chats", &student).send().await.expect("chats")).await;
    assert_eq!(list["chats"][0]["last_read_message_id"], json!(m3));
    assert_eq!(list["chats"][0]["last_message"]["id"], json!(m3));
    assert_eq!(list["chats"][0]["last_message"]["sender_id"], json!(teacher.id));

    // Own messages never count; the partner's count grows with them.
    a.send(&student, chat, "mine").await;
    assert_eq!(a.unread(&student, chat).await, 0);
    assert_eq!(a.unread(&teacher, chat).await, 1);

    // A deleted unread message stops counting.
    let m4 = a.send(&teacher, chat, "four").await;
    assert_eq!(a.unread(&student, chat).await, 1);
    assert_eq!(a.delete_message(&teacher, m4).await.status(), 200);
    assert_eq!(a.unread(&student, chat).await, 0);

    // Reading up to the newest message (her own, now) moves the marker once; again, nothing.
    assert_eq!(a.read(&student, chat, None).await.status(), 204);
    let before = read_events(&a, chat).await;
    assert_eq!(a.read(&student, chat, None).await.status(), 204);
    assert_eq!(read_events(&a, chat).await, before);
    assert_replay_clean(&a).await;
}

#[tokio::test]
async fn only_participants_move_markers_and_bad_requests_get_clear_answers() {
    let Pair { a, teacher, student, admin, chat } = pair().await;
    let (other_teacher, outsider) = (a.user("teacher", "Other").await, a.user("student", "Outsider").await);
    let other_chat = a.chat(&other_teacher, &outsider).await;
    let m1 = a.send(&teacher, chat, "one").await;
    let foreign = a.send(&outsider, other_chat, "elsewhere").await;

    // Admins read without a marker, and reading as one changes no count.
    let (status, _) = status_and_json(
        a.get(&format!("/api/chats/{chat}/messages"), &admin).send().await.expect("the request completes"),
    )
    .await;
    assert_eq!(status, 200);
    let (status, body) = status_and_json(a.read(&admin, chat, Some(m1)).await).await;
    assert_eq!(status, 403, "{body}");
    assert!(body["error"].as_str().expect("a string").contains("admins"), "{body}");
    let (status, _) = unread_total(&a, &admin).await;
    assert_eq!(status, 403);
    assert_eq!(a.unread(&student, chat).await, 1);
    assert!(read_events(&a, chat).await.is_empty());

    let (status, _) = status_and_json(a.read(&outsider, chat, Some(m1)).await).await;
    assert_eq!(status, 403, "as a chat that does not exist");
    let (status, _) = status_and_json(a.read(&student, 987_654, None).await).await;
    assert_eq!(status, 403);
    // A message of another chat, or none at all: 422 naming it.
    for id in [foreign, 987_654, 0, -1] {
        let (status, body) = status_and_json(a.read(&student, chat, Some(id)).await).await;
        assert_eq!(status, 422, "up to {id}: {body}");
        assert!(body["error"].as_str().expect("a string").contains("up_to_message_id"), "{body}");
    }
    let url = a.url(&format!("/api/chats/{chat}/read"));
    // Only whitespace is not JSON either (the contract's fuzzer sent it); no body at all is.
    let bodies: [(&str, &str); 5] = [
        ("application/json", "{\"up_to_message_id\": \"7\"}"),
        ("application/json", "{\"up_to_message_id\": "),
        ("application/json", " "),
        ("application/json", "\n\t"),
        ("text/plain", "{\"up_to_message_id\": 1}"),
    ];
    for (kind, body) in bodies {
        let response = a
            .http
            .post(&url)
            .bearer_auth(&student.token)
            .header("content-type", kind)
            .body(body)
            .send()
            .await
            .expect("the request completes");
        let (status, answer) = status_and_json(response).await;
        assert!(matches!(status, 400 | 415), "{kind} {body}: {status} {answer}");
    }
    let (status, _) = status_and_json(a.http.post(&url).send().await.expect("the request completes")).await;
    assert_eq!(status, 401);
    assert_eq!(a.unread(&student, chat).await, 1, "nothing above moved the marker");
    assert_replay_clean(&a).await;
}
