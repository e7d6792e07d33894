//! Attachments: upload to a chat, attach to a message, delivered live and in history, and
//! downloaded by exactly the people who may see the message, from the local file system and
//! from a real S3-compatible server (moto).

use std::time::Duration;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tutorchat::config::{S3Config, StorageBackend, StorageConfig};

use crate::helpers::{Pair, TestApp, User, pair, status_and_json, walk};

mod allowances;

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
        (vec![mine, mine], "the same upload twice"),
        (vec![987_654], "an unknown id"),
    ] {
        let (status, body) = send_with(&a, &student, chat, "x", &ids).await;
        assert_eq!(status, 400, "{why}: {body}");
    }
    let (status, body) = send_with(&a, &student, chat, "x", &[1; 11]).await;
    assert_eq!(status, 400, "eleven: {body}");
    assert!(body["error"].as_str().expect("error").contains("at most 10"));
    let (status, body) = send_with(&a, &student, chat, "   ", &[]).await;
    assert_eq!(status, 400, "blank without attachments: {body}");

    let (status, _) = send_with(&a, &student, chat, "", &[mine]).await;
    assert_eq!(status, 201);
    let (status, body) = send_with(&a, &student, chat, "again", &[mine]).await;
    assert_eq!(status, 400, "attached already: {body}");
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

#[tokio::test]
async fn only_those_who_may_see_the_message_download_its_files() {
    let Pair { a, teacher, student, admin, chat } = pair().await;
    let outsider = a.user("student", "Outsider").await;
    let id = uploaded(&a, &student, chat, "a.png", PNG).await;

    // Not attached yet: the uploader's alone (and an admin's).
    assert_eq!(download_status(&a, &student, id).await, 200);
    assert_eq!(download_status(&a, &teacher, id).await, 404);
    assert_eq!(download_status(&a, &admin, id).await, 200);

    let (_, sent) = send_with(&a, &student, chat, "", &[id]).await;
    assert_eq!(download_status(&a, &teacher, id).await, 200);
    assert_eq!(download_status(&a, &admin, id).await, 200, "admins read everything");
    assert_eq!(download_status(&a, &outsider, id).await, 404, "as if it did not exist");
    let anonymous = a.http.get(a.url(&format!("/api/attachments/{id}"))).send().await.expect("anonymous");
    assert_eq!(anonymous.status(), 401);
    assert_eq!(download_status(&a, &teacher, 987_654).await, 404);

    // Uploading: participants only; admins are read-only.
    assert_eq!(upload(&a, &outsider, chat, "x.txt", b"x").await.0, 404);
    assert_eq!(upload(&a, &admin, chat, "x.txt", b"x").await.0, 403);
    assert_eq!(upload(&a, &student, 987_654, "x.txt", b"x").await.0, 404);

    // A deleted message's files: gone for the participants, kept for the audit.
    let deleted = a.delete_message(&student, sent["id"].as_i64().expect("id")).await;
    assert_eq!(deleted.status(), 200);
    assert_eq!(download_status(&a, &teacher, id).await, 404);
    assert_eq!(download_status(&a, &student, id).await, 404);
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
    assert_eq!(download_status(&a, &petya, id).await, 404, "removed members lose access at once");

    let added = a
        .http
        .post(a.url(&format!("/api/chats/{chat}/participants")))
        .bearer_auth(&teacher.token)
        .json(&json!({ "user_id": late.id }))
        .send()
        .await
        .expect("add");
    assert_eq!(added.status(), 201);
    assert_eq!(download_status(&a, &late, id).await, 404, "from before they joined, as history");
}

#[tokio::test]
async fn limits_are_answered_413_and_429_and_leave_nothing_behind() {
    let a = TestApp::spawn_with(|c| {
        c.storage.max_file_bytes = 1_000;
        c.storage.daily_bytes_per_user = 2_500;
    })
    .await;
    let (teacher, student) = (a.user("teacher", "T").await, a.user("student", "S").await);
    let chat = a.chat(&teacher, &student).await;

    let (status, body) = upload(&a, &student, chat, "big.bin", &[7u8; 1_001]).await;
    assert_eq!(status, 413, "{body}");
    assert!(body["error"].as_str().expect("error").contains("1000 bytes"), "{body}");
    let (status, body) = upload(&a, &student, chat, "empty.txt", b"").await;
    assert_eq!(status, 422, "{body}");

    // 2,500 bytes a day: 1,000 + 1,000 fit, the next 1,000 does not.
    uploaded(&a, &student, chat, "1.bin", &[1u8; 1_000]).await;
    uploaded(&a, &student, chat, "2.bin", &[2u8; 1_000]).await;
    let (status, body) = upload(&a, &student, chat, "3.bin", &[3u8; 1_000]).await;
    assert_eq!(status, 429, "{body}");
    // The teacher's own quota is untouched.
    uploaded(&a, &teacher, chat, "t.bin", &[4u8; 1_000]).await;

    let rows: i64 = a.sql.query_one("SELECT count(*) FROM attachments", &[]).await.expect("count").get(0);
    assert_eq!(rows, 3);
    let StorageBackend::Local(dir) = &a.state.config.storage.backend else { panic!("local storage") };
    assert_eq!(walk(&dir.join("blobs")).len(), 3);
    assert!(walk(&dir.join("tmp")).is_empty(), "refused uploads leave no temporary object");

    // Not a multipart form at all, or one without `file`.
    let request = a
        .http
        .post(a.url(&format!("/api/chats/{chat}/attachments")))
        .bearer_auth(&teacher.token)
        .json(&json!({ "file": "x" }));
    let (status, _) = status_and_json(request.send().await.expect("json")).await;
    assert_eq!(status, 400);
    let form = reqwest::multipart::Form::new().text("other", "x");
    let request =
        a.http.post(a.url(&format!("/api/chats/{chat}/attachments"))).bearer_auth(&teacher.token).multipart(form);
    let (status, body) = status_and_json(request.send().await.expect("form")).await;
    assert_eq!(status, 400, "{body}");
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

/// Makes uploads look `age` old, as the database's owner.
async fn age_uploads(app: &TestApp, ids: &[i64], age: &str) {
    app.sql
        .execute(&format!("UPDATE attachments SET created_at = now() - interval '{age}' WHERE id = ANY($1)"), &[&ids])
        .await
        .expect("age uploads");
}

#[tokio::test]
async fn the_sweep_forgets_unattached_uploads_and_never_an_attached_one() {
    let Pair { a, student, teacher, chat, .. } = pair().await;
    let attached = uploaded(&a, &student, chat, "kept.png", PNG).await;
    assert_eq!(send_with(&a, &student, chat, "", &[attached]).await.0, 201);
    // The same bytes, uploaded again and never attached: the row goes, the blob stays.
    let same_bytes = uploaded(&a, &teacher, chat, "copy.png", PNG).await;
    let orphan = uploaded(&a, &student, chat, "orphan.txt", b"never sent").await;
    let fresh = uploaded(&a, &student, chat, "fresh.txt", b"sent soon").await;
    age_uploads(&a, &[attached, same_bytes, orphan], "2 days").await;

    let day = Duration::from_secs(24 * 3600);
    let deleted = tutorchat::api::attachments::sweep(&a.state.db, &a.state.storage, day).await.expect("sweep");
    assert_eq!(deleted, 2, "the aged unattached uploads");
    assert!(a.state.storage.has(&sha256(PNG)).await.expect("head"), "an attached file's bytes stay");
    assert!(!a.state.storage.has(&sha256(b"never sent")).await.expect("head"), "an orphan's bytes go");
    assert!(a.state.storage.has(&sha256(b"sent soon")).await.expect("head"), "a young upload stays");
    assert_eq!(download_status(&a, &teacher, attached).await, 200);
    assert_eq!(download_status(&a, &student, orphan).await, 404);
    assert_eq!(send_with(&a, &student, chat, "", &[orphan]).await.0, 400, "a forgotten upload cannot be attached");
    assert_eq!(send_with(&a, &student, chat, "", &[fresh]).await.0, 201);
    assert!(a.sql.query("SELECT * FROM audit_replay()", &[]).await.expect("replay").is_empty());

    // The runtime role cannot delete an attached upload behind the sweep's back.
    let refused = a.sql.batch_execute("SET ROLE tutorchat_app; DELETE FROM attachments").await;
    assert!(refused.is_err(), "the app role may not delete attachments");
}

/// A moto S3 server for one test, stopped when dropped.
pub(crate) struct Moto {
    child: std::process::Child,
    endpoint: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts moto's server mode (`moto_server`, which `scripts/test` installs with pip when
/// missing) on a free port, with one bucket.
pub(crate) async fn moto(bucket: &str) -> Moto {
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port").local_addr().expect("addr").port();
    let child = std::process::Command::new(std::env::var("MOTO_SERVER").unwrap_or_else(|_| "moto_server".into()))
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start moto_server (pip install 'moto[server]')");
    let moto = Moto { child, endpoint: format!("http://127.0.0.1:{port}") };
    let http = reqwest::Client::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        // Creating the bucket is also the readiness probe.
        match http.put(format!("{}/{bucket}", moto.endpoint)).send().await {
            Ok(r) if r.status().is_success() => return moto,
            _ if std::time::Instant::now() < deadline => tokio::time::sleep(Duration::from_millis(200)).await,
            other => panic!("moto did not start: {other:?}"),
        }
    }
}

pub(crate) fn s3(moto: &Moto, bucket: &str) -> StorageConfig {
    StorageConfig {
        backend: StorageBackend::S3(S3Config {
            bucket: bucket.into(),
            endpoint: Some(moto.endpoint.clone()),
            region: "us-east-1".into(),
            access_key_id: Some("testing".into()),
            secret_access_key: Some(tutorchat::config::Secret::new("testing")),
        }),
        ..StorageConfig::local(std::path::PathBuf::new())
    }
}

#[tokio::test]
async fn the_same_flow_works_against_a_real_s3_compatible_server() {
    let moto = moto("school-files").await;
    let a = TestApp::spawn_with(|c| c.storage = s3(&moto, "school-files")).await;
    let b = TestApp::spawn_on(a.database.clone(), |c| c.storage = s3(&moto, "school-files")).await;
    let (teacher, student) = (a.user("teacher", "T").await, a.user("student", "S").await);
    let chat = a.chat(&teacher, &student).await;
    round_trip(&a, &b, &teacher, &student, chat).await;

    // A file larger than one multipart part (5 MiB) streams through a multipart upload.
    let big: Vec<u8> = (0..6 * 1024 * 1024 + 17).map(|i| (i % 251) as u8).collect();
    let id = uploaded(&a, &teacher, chat, "lecture.bin", &big).await;
    assert_eq!(send_with(&a, &teacher, chat, "запись урока", &[id]).await.0, 201);
    let body = download(&b, &student, id).await.bytes().await.expect("bytes");
    assert_eq!(sha256(&body), sha256(&big));

    // The sweep, on S3 too: an orphan's object goes, an attached one stays.
    let orphan = uploaded(&a, &student, chat, "orphan.txt", b"s3 orphan").await;
    age_uploads(&a, &[id, orphan], "2 days").await;
    let day = Duration::from_secs(24 * 3600);
    assert_eq!(tutorchat::api::attachments::sweep(&a.state.db, &a.state.storage, day).await.expect("sweep"), 1);
    assert!(!a.state.storage.has(&sha256(b"s3 orphan")).await.expect("head"));
    assert!(a.state.storage.has(&sha256(&big)).await.expect("head"));
    assert!(a.state.storage.has(&sha256(PNG)).await.expect("head"));
}

#[tokio::test]
async fn an_erasure_deletes_the_persons_files_from_a_real_s3_compatible_server() {
    let moto = moto("erasure-files").await;
    let app = TestApp::spawn_with(|c| c.storage = s3(&moto, "erasure-files")).await;
    crate::governance::erasure_leaves_nothing(&app).await;
}
