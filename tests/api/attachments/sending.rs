//! Sending with attachments: the round trip, files and captions, what the log refuses, retries.

use serde_json::json;
use tutorchat::config::StorageBackend;

use super::{PNG, round_trip, send_with, sha256, uploaded};
use crate::helpers::{Pair, pair, status_and_json, walk};

#[tokio::test]
async fn an_image_goes_from_upload_to_the_partner_live_and_back_byte_for_byte() {
    let Pair { a, teacher, student, chat, .. } = pair().await;
    let b = a.replica().await;
    round_trip(&a, &b, &teacher, &student, chat).await;
    let problems = a.sql.query("SELECT * FROM audit_replay()", &[]).await.expect("replay");
    assert!(problems.is_empty(), "{problems:?}");
    let audited = a.sql.query("SELECT name, sha256 FROM audit_chat_attachments($1)", &[&chat]).await.expect("audit");
    assert_eq!(audited.len(), 1);
    assert_eq!(audited[0].get::<_, String>("sha256"), sha256(PNG));
}

#[tokio::test]
async fn files_and_captions_mix_and_the_same_content_is_stored_once() {
    let Pair { a, teacher, student, chat, .. } = pair().await;
    let pdf = b"%PDF-1.7\n1 0 obj\n<< >>\nendobj\n%%EOF\n";
    let first = uploaded(&a, &teacher, chat, "homework.pdf", pdf).await;
    let second = uploaded(&a, &teacher, chat, "homework (copy).pdf", pdf).await;
    let image = uploaded(&a, &teacher, chat, "board.png", PNG).await;
    let (status, sent) = send_with(&a, &teacher, chat, "Задание на завтра", &[image, first, second]).await;
    assert_eq!(status, 201, "{sent}");
    assert_eq!(sent["type"], "file", "not every attachment is an image");
    let names: Vec<&str> =
        sent["attachments"].as_array().expect("list").iter().filter_map(|a| a["name"].as_str()).collect();
    assert_eq!(names, ["board.png", "homework.pdf", "homework (copy).pdf"], "in the order given");
    assert_eq!(sent["attachments"][1]["content_type"], "application/pdf");

    // Two uploads, one blob.
    let storage = match &a.state.config.storage.backend {
        StorageBackend::Local(dir) => dir.clone(),
        other => panic!("expected local storage, got {other:?}"),
    };
    let blobs = walk(&storage.join("blobs"));
    assert_eq!(blobs.len(), 2, "{blobs:?}");
    assert!(walk(&storage.join("tmp")).is_empty(), "no temporary object left");

    // The chat list says what the last message carries.
    let (_, list) = status_and_json(a.get("/api/chats", &student).send().await.expect("list")).await;
    assert_eq!(list["chats"][0]["last_message"]["type"], "file");
}

#[tokio::test]
async fn attaching_is_checked_by_the_log() {
    let Pair { a, teacher, student, chat, .. } = pair().await;
    let other_teacher = a.user("teacher", "Other").await;
    let other_chat = a.chat(&other_teacher, &student).await;
    let mine = uploaded(&a, &student, chat, "a.txt", b"one").await;
    let theirs = uploaded(&a, &teacher, chat, "b.txt", b"two").await;
    let elsewhere = uploaded(&a, &student, other_chat, "c.txt", b"three").await;

    for (ids, why) in [
        (vec![theirs], "another user's upload"),
        (vec![elsewhere], "an upload to another chat"),
        (vec![987_654], "an unknown id"),
    ] {
        // Well-formed, naming what does not fit: 422 (the schema cannot say it).
        let (status, body) = send_with(&a, &student, chat, "x", &ids).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("unprocessable")), "{why}: {body}");
    }
    let (status, body) = send_with(&a, &student, chat, "x", &[mine, mine]).await;
    assert_eq!(status, 400, "the same upload twice: {body}");
    let (status, body) = send_with(&a, &student, chat, "x", &[1; 11]).await;
    assert_eq!(status, 400, "eleven: {body}");
    assert!(body["error"].as_str().expect("error").contains("at most 10"));
    let (status, body) = send_with(&a, &student, chat, "   ", &[]).await;
    assert_eq!(status, 400, "blank without attachments: {body}");

    let (status, _) = send_with(&a, &student, chat, "", &[mine]).await;
    assert_eq!(status, 201);
    let (status, body) = send_with(&a, &student, chat, "again", &[mine]).await;
    assert_eq!(status, 422, "attached already: {body}");
    assert!(body["error"].as_str().expect("error").contains("still unattached"), "{body}");

    // Nothing refused was appended; the log and the projections agree.
    let attached: i64 = a
        .sql
        .query_one("SELECT count(*) FROM attachments WHERE message_id IS NOT NULL", &[])
        .await
        .expect("count")
        .get(0);
    assert_eq!(attached, 1);
    assert!(a.sql.query("SELECT * FROM audit_replay()", &[]).await.expect("replay").is_empty());
}

#[tokio::test]
async fn a_retried_send_with_attachments_answers_the_first_message() {
    let Pair { a, student, chat, .. } = pair().await;
    let id = uploaded(&a, &student, chat, "a.png", PNG).await;
    let send = || {
        a.http
            .post(a.url("/api/messages"))
            .bearer_auth(&student.token)
            .header("idempotency-key", "photo-1")
            .json(&json!({ "chat_id": chat, "content": "", "attachment_ids": [id] }))
            .send()
    };
    let (first, body) = status_and_json(send().await.expect("first")).await;
    let (again, retried) = status_and_json(send().await.expect("retry")).await;
    assert_eq!((first, again), (201, 200));
    assert_eq!(body["id"], retried["id"]);
    assert_eq!(retried["attachments"][0]["id"], id);
}
