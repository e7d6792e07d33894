//! Attachments: upload to a chat, attach to a message, delivered live and in history, and
//! downloaded by exactly the people who may see the message, from the local file system and
//! from a real S3-compatible server (moto).

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::{TestApp, User, status_and_json};

mod allowances;
mod downloads;
mod sending;
mod storage;

/// A real 3×2 PNG (red pixels).
pub const PNG: &[u8] = b"\x89\x50\x4e\x47\x0d\x0a\x1a\x0a\x00\x00\x00\x0d\x49\x48\x44\x52\x00\x00\x00\x03\x00\x00\x00\x02\x08\x02\x00\x00\x00\x12\x16\xf1\x4d\x00\x00\x00\x10\x49\x44\x41\x54\x78\x9c\x63\xf8\xcf\xc0\x00\x41\x0c\x70\x16\x00\x41\xd2\x05\xfb\x87\xf0\xb9\x48\x00\x00\x00\x00\x49\x45\x4e\x44\xae\x42\x60\x82";

pub fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// `POST /api/chats/{chat}/attachments` with one file part; status and JSON body.
pub async fn upload(app: &TestApp, user: &User, chat: i64, name: &str, bytes: &[u8]) -> (u16, Value) {
    let part = reqwest::multipart::Part::bytes(bytes.to_vec()).file_name(name.to_owned());
    let form = reqwest::multipart::Form::new().part("file", part);
    let request =
        app.http.post(app.url(&format!("/api/chats/{chat}/attachments"))).bearer_auth(&user.token).multipart(form);
    status_and_json(request.send().await.expect("upload")).await
}

/// Uploads and insists on 201; returns the attachment's id.
pub async fn uploaded(app: &TestApp, user: &User, chat: i64, name: &str, bytes: &[u8]) -> i64 {
    let (status, body) = upload(app, user, chat, name, bytes).await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_i64().expect("attachment id")
}

/// Sends a message with attachments; status and body.
pub async fn send_with(app: &TestApp, user: &User, chat: i64, content: &str, ids: &[i64]) -> (u16, Value) {
    let request = app
        .http
        .post(app.url("/api/messages"))
        .bearer_auth(&user.token)
        .json(&json!({ "chat_id": chat, "content": content, "attachment_ids": ids }));
    status_and_json(request.send().await.expect("POST /api/messages")).await
}

async fn download(app: &TestApp, user: &User, id: i64) -> reqwest::Response {
    app.get(&format!("/api/attachments/{id}"), user).send().await.expect("GET attachment")
}

/// The status of a download, its error message checked when it is refused.
async fn download_status(app: &TestApp, user: &User, id: i64) -> u16 {
    let response = download(app, user, id).await;
    let status = response.status().as_u16();
    if status >= 400 {
        status_and_json(response).await;
    }
    status
}

/// The whole flow on one store: upload on replica A, attach, the partner's stream on replica
/// B gets it live, history shows it, and the partner downloads the same bytes from B.
async fn round_trip(a: &TestApp, b: &TestApp, teacher: &User, student: &User, chat: i64) {
    let mut teachers = b.stream(teacher, None).await;
    let (status, attachment) = upload(a, student, chat, "решение задачи.png", PNG).await;
    assert_eq!(status, 201, "{attachment}");
    assert_eq!(attachment["content_type"], "image/png");
    assert_eq!(attachment["size"], PNG.len());
    assert_eq!(attachment["sha256"], sha256(PNG));
    assert_eq!((attachment["width"].as_i64(), attachment["height"].as_i64()), (Some(3), Some(2)));
    assert_eq!(attachment["name"], "решение задачи.png");
    let id = attachment["id"].as_i64().expect("id");

    let (status, sent) = send_with(a, student, chat, "", &[id]).await;
    assert_eq!(status, 201, "{sent}");
    assert_eq!(sent["type"], "image");
    assert_eq!(sent["content"], "");
    assert_eq!(sent["attachments"], json!([attachment]));

    let live = teachers.event().await;
    assert_eq!(live.event, "new_message");
    let message = &live.json()["message"];
    assert_eq!(message["type"], "image");
    assert_eq!(message["attachments"], json!([attachment]));

    let (status, history) =
        status_and_json(b.get(&format!("/api/chats/{chat}/messages"), teacher).send().await.expect("history")).await;
    assert_eq!(status, 200);
    let last = history["messages"].as_array().and_then(|m| m.last()).expect("a message");
    assert_eq!(last["attachments"], json!([attachment]));
    assert_eq!(last["type"], "image");

    let response = download(b, teacher, id).await;
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "image/png");
    assert_eq!(headers["etag"], format!("\"{}\"", sha256(PNG)));
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert!(headers["content-disposition"].to_str().expect("ascii").starts_with("attachment;"));
    let body = response.bytes().await.expect("bytes");
    assert_eq!(sha256(&body), sha256(PNG), "the same bytes come back");

    // A range of them.
    let response =
        b.get(&format!("/api/attachments/{id}"), teacher).header("range", "bytes=8-15").send().await.expect("range");
    assert_eq!(response.status(), 206);
    assert_eq!(response.headers()["content-range"], format!("bytes 8-15/{}", PNG.len()));
    assert_eq!(&response.bytes().await.expect("bytes")[..], &PNG[8..16]);
}

/// Makes uploads look `age` old, as the database's owner.
async fn age_uploads(app: &TestApp, ids: &[i64], age: &str) {
    app.sql
        .execute(&format!("UPDATE attachments SET created_at = now() - interval '{age}' WHERE id = ANY($1)"), &[&ids])
        .await
        .expect("age uploads");
}
