//! The stored files: limits leave nothing behind, the sweep, and a real S3-compatible server (moto).

use std::time::Duration;

use serde_json::json;
use tutorchat::config::{S3Config, StorageBackend, StorageConfig};

use super::{PNG, age_uploads, download, download_status, round_trip, send_with, sha256, upload, uploaded};
use crate::helpers::{Pair, TestApp, pair, status_and_json, walk};

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
    let deleted = tutorchat::uploads::sweep(&a.state.db, &a.state.storage, day).await.expect("sweep");
    assert_eq!(deleted, 2, "the aged unattached uploads");
    assert!(a.state.storage.has(&sha256(PNG)).await.expect("head"), "an attached file's bytes stay");
    assert!(!a.state.storage.has(&sha256(b"never sent")).await.expect("head"), "an orphan's bytes go");
    assert!(a.state.storage.has(&sha256(b"sent soon")).await.expect("head"), "a young upload stays");
    assert_eq!(download_status(&a, &teacher, attached).await, 200);
    assert_eq!(download_status(&a, &student, orphan).await, 403);
    assert_eq!(send_with(&a, &student, chat, "", &[orphan]).await.0, 422, "a forgotten upload cannot be attached");
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
    let port = crate::helpers::free_port();
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
    assert_eq!(tutorchat::uploads::sweep(&a.state.db, &a.state.storage, day).await.expect("sweep"), 1);
    assert!(!a.state.storage.has(&sha256(b"s3 orphan")).await.expect("head"));
    assert!(a.state.storage.has(&sha256(&big)).await.expect("head"));
    assert!(a.state.storage.has(&sha256(PNG)).await.expect("head"));
}

#[tokio::test]
async fn an_erasure_deletes_the_persons_files_from_a_real_s3_compatible_server() {
    let moto = moto("erasure-files").await;
    let app = TestApp::spawn_with(|c| (c.storage, c.append.editing) = (s3(&moto, "erasure-files"), true)).await;
    crate::governance::erasure_leaves_nothing(&app).await;
}
