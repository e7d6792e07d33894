//! Downloads: only for those who may see the message, served so they cannot run, revalidated, ranged.

use serde_json::json;

use super::{PNG, download, download_status, send_with, sha256, upload, uploaded};
use crate::helpers::{Pair, TestApp, pair, status_and_json};

#[tokio::test]
async fn only_those_who_may_see_the_message_download_its_files() {
    let Pair { a, teacher, student, admin, chat } = pair().await;
    let outsider = a.user("student", "Outsider").await;
    let id = uploaded(&a, &student, chat, "a.png", PNG).await;

    // Not attached yet: the uploader's alone (and an admin's).
    assert_eq!(download_status(&a, &student, id).await, 200);
    assert_eq!(download_status(&a, &teacher, id).await, 403);
    assert_eq!(download_status(&a, &admin, id).await, 200);

    let (_, sent) = send_with(&a, &student, chat, "", &[id]).await;
    assert_eq!(download_status(&a, &teacher, id).await, 200);
    assert_eq!(download_status(&a, &admin, id).await, 200, "admins read everything");
    assert_eq!(download_status(&a, &outsider, id).await, 403, "as if it did not exist");
    let anonymous = a.http.get(a.url(&format!("/api/attachments/{id}"))).send().await.expect("anonymous");
    assert_eq!(anonymous.status(), 401);
    assert_eq!(download_status(&a, &teacher, 987_654).await, 403);

    // Uploading: participants only; admins are read-only.
    assert_eq!(upload(&a, &outsider, chat, "x.txt", b"x").await.0, 403);
    assert_eq!(upload(&a, &admin, chat, "x.txt", b"x").await.0, 403);
    assert_eq!(upload(&a, &student, 987_654, "x.txt", b"x").await.0, 403);

    // A deleted message's files: gone for the participants, kept for the audit.
    let deleted = a.delete_message(&student, sent["id"].as_i64().expect("id")).await;
    assert_eq!(deleted.status(), 200);
    assert_eq!(download_status(&a, &teacher, id).await, 403);
    assert_eq!(download_status(&a, &student, id).await, 403);
    assert_eq!(download_status(&a, &admin, id).await, 200);
}

#[tokio::test]
async fn a_removed_group_member_and_a_later_one_cannot_download() {
    let a = TestApp::spawn().await;
    let teacher = a.user("teacher", "Teacher").await;
    let (masha, petya, late) =
        (a.user("student", "Маша").await, a.user("student", "Петя").await, a.user("student", "Поздний").await);
    a.teaches(&teacher, &[masha.id, petya.id, late.id]).await;
    let body = json!({ "kind": "group", "title": "10Б", "participant_ids": [masha.id, petya.id] });
    let created = a.http.post(a.url("/api/chats")).bearer_auth(&teacher.token).json(&body).send().await.expect("group");
    let (status, group) = status_and_json(created).await;
    assert_eq!(status, 201, "{group}");
    let chat = group["id"].as_i64().expect("id");
    let id = uploaded(&a, &masha, chat, "a.png", PNG).await;
    assert_eq!(send_with(&a, &masha, chat, "", &[id]).await.0, 201);
    assert_eq!(download_status(&a, &petya, id).await, 200);

    let removed = a
        .http
        .delete(a.url(&format!("/api/chats/{chat}/participants/{}", petya.id)))
        .bearer_auth(&teacher.token)
        .send()
        .await
        .expect("remove");
    assert_eq!(removed.status(), 204);
    assert_eq!(download_status(&a, &petya, id).await, 403, "removed members lose access at once");

    let added = a
        .http
        .post(a.url(&format!("/api/chats/{chat}/participants")))
        .bearer_auth(&teacher.token)
        .json(&json!({ "user_id": late.id }))
        .send()
        .await
        .expect("add");
    assert_eq!(added.status(), 201);
    assert_eq!(download_status(&a, &late, id).await, 403, "from before they joined, as history");
}

#[tokio::test]
async fn an_uploaded_web_page_is_served_as_a_download_that_cannot_run() {
    let Pair { a, teacher, student, chat, .. } = pair().await;
    let page = b"<!DOCTYPE html><html><body><script>fetch('/api/chats')</script></body></html>";
    let (status, attachment) = upload(&a, &student, chat, "решение.html", page).await;
    assert_eq!(status, 201);
    assert_eq!(attachment["content_type"], "text/html", "sniffed, whatever the client said");
    let id = attachment["id"].as_i64().expect("id");
    assert_eq!(send_with(&a, &student, chat, "see", &[id]).await.0, 201);

    let response = download(&a, &teacher, id).await;
    assert_eq!(response.status(), 200);
    let headers = response.headers();
    assert_eq!(
        headers["content-disposition"],
        "attachment; filename=\"_______.html\"; filename*=UTF-8''%D1%80%D0%B5%D1%88%D0%B5%D0%BD%D0%B8%D0%B5.html"
    );
    let csp = headers["content-security-policy"].to_str().expect("ascii");
    assert!(csp.contains("sandbox") && csp.contains("default-src 'none'"), "{csp}");
    assert_eq!(headers["x-content-type-options"], "nosniff");

    // A client claiming an image does not make it one.
    let part = reqwest::multipart::Part::bytes(page.to_vec()).file_name("cat.png").mime_str("image/png").expect("mime");
    let request = a
        .http
        .post(a.url(&format!("/api/chats/{chat}/attachments")))
        .bearer_auth(&student.token)
        .multipart(reqwest::multipart::Form::new().part("file", part));
    let (_, claimed) = status_and_json(request.send().await.expect("upload")).await;
    assert_eq!(claimed["content_type"], "text/html");
    assert!(claimed.get("width").is_none());
}

#[tokio::test]
async fn downloads_revalidate_and_ranges_are_checked() {
    let Pair { a, student, chat, .. } = pair().await;
    let id = uploaded(&a, &student, chat, "a.png", PNG).await;
    let etag = format!("\"{}\"", sha256(PNG));
    let url = format!("/api/attachments/{id}");
    let not_modified = a.get(&url, &student).header("if-none-match", &etag).send().await.expect("304");
    assert_eq!(not_modified.status(), 304);
    let changed = a.get(&url, &student).header("if-none-match", "\"other\"").send().await.expect("200");
    assert_eq!(changed.status(), 200);

    let tail = a.get(&url, &student).header("range", "bytes=-4").send().await.expect("suffix");
    assert_eq!(tail.status(), 206);
    assert_eq!(&tail.bytes().await.expect("bytes")[..], &PNG[PNG.len() - 4..]);
    let outside = a.get(&url, &student).header("range", "bytes=5000-6000").send().await.expect("416");
    assert_eq!(outside.status(), 416);
    assert_eq!(outside.headers()["content-range"], format!("bytes */{}", PNG.len()));
    status_and_json(outside).await;
    // If-Range with another version: the whole file.
    let stale =
        a.get(&url, &student).header("range", "bytes=0-3").header("if-range", "\"old\"").send().await.expect("200");
    assert_eq!(stale.status(), 200);
    assert_eq!(stale.bytes().await.expect("bytes").len(), PNG.len());
}
