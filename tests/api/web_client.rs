//! What a phone downloads: the API's JSON and the web client's files compressed when the
//! browser says it can decode them (and never an event stream), hashed assets cached for a year
//! and the pages revalidated, a real `robots.txt`.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use reqwest::header::{ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE, VARY};

use crate::helpers::{TestApp, is_message, status_and_json, stream_from};

const ASSET: &str = "/assets/index-Bx4fT9aZ.js";

fn brotli(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut writer = brotli::CompressorWriter::new(&mut out, 4096, 11, 22);
    writer.write_all(bytes).expect("brotli");
    drop(writer);
    out
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut writer = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    writer.write_all(bytes).expect("gzip");
    writer.finish().expect("gzip")
}

/// `body` as it was before the answer's `Content-Encoding`.
fn decoded(encoding: Option<&str>, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    match encoding {
        None => out.extend_from_slice(body),
        Some("br") => brotli::Decompressor::new(body, 4096).read_to_end(&mut out).map(drop).expect("brotli body"),
        Some("gzip") => flate2::read::GzDecoder::new(body).read_to_end(&mut out).map(drop).expect("gzip body"),
        Some(other) => panic!("unexpected content-encoding {other}"),
    }
    out
}

/// What Vite's build and the client's compression step leave: a page, a hashed script and the
/// script's `.br` and `.gz` beside it.
fn built_client() -> (PathBuf, Vec<u8>) {
    let dir = std::env::temp_dir().join(format!("tutorchat-dist-{}-{}", std::process::id(), rand_suffix()));
    std::fs::create_dir_all(dir.join("assets")).expect("dir");
    let page = format!("<!doctype html><title>tutorchat</title><script type=module src={ASSET}></script>");
    std::fs::write(dir.join("index.html"), &page).expect("index");
    let script = "export function greet(name) { return `hello, ${name}`; }\n".repeat(200).into_bytes();
    let asset = dir.join(ASSET.trim_start_matches('/'));
    std::fs::write(&asset, &script).expect("asset");
    std::fs::write(with_suffix(&asset, "br"), brotli(&script)).expect("asset.br");
    std::fs::write(with_suffix(&asset, "gz"), gzip(&script)).expect("asset.gz");
    (dir, script)
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    PathBuf::from(format!("{}.{suffix}", path.display()))
}

fn rand_suffix() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(0)
}

#[tokio::test]
async fn a_json_list_comes_back_compressed_when_asked_and_decodes_to_the_same_bytes() {
    let app = TestApp::spawn().await;
    let (teacher, student) = (app.user("teacher", "T").await, app.user("student", "S").await);
    let chat = app.chat(&teacher, &student).await;
    for n in 0..20 {
        app.send(&teacher, chat, &format!("Homework {n}: exercises 4 to 12 on page {}, due on Friday", 30 + n)).await;
    }
    let path = format!("/api/chats/{chat}/messages?limit=50");
    let plain = app.get(&path, &student).send().await.expect("GET");
    assert_eq!(plain.status(), 200);
    assert!(plain.headers().get(CONTENT_ENCODING).is_none(), "not asked for, not compressed");
    let plain = plain.bytes().await.expect("body");
    assert!(plain.len() > 2048, "a list worth compressing: {} bytes", plain.len());

    for encoding in ["br", "gzip"] {
        let response = app.get(&path, &student).header(ACCEPT_ENCODING, encoding).send().await.expect("GET");
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()[CONTENT_ENCODING], encoding);
        assert_eq!(response.headers()[VARY], "accept-encoding");
        let body = response.bytes().await.expect("body");
        assert!(body.len() < plain.len() / 2, "{encoding}: {} of {} bytes", body.len(), plain.len());
        assert_eq!(decoded(Some(encoding), &body), plain, "{encoding} decodes to the same JSON");
    }

    // A tiny answer goes as it is.
    let tiny = app.get("/api/unread-count", &student).header(ACCEPT_ENCODING, "br, gzip").send().await.expect("GET");
    assert_eq!(tiny.status(), 200);
    assert!(tiny.headers().get(CONTENT_ENCODING).is_none(), "{:?}", tiny.headers());
}

#[tokio::test]
async fn a_hashed_script_is_served_precompressed_and_kept_for_a_year() {
    let (dir, script) = built_client();
    let app = TestApp::spawn_with(|c| c.http.static_dir = Some(dir.clone())).await;

    for (accept, expected) in [("br, gzip", Some("br")), ("gzip", Some("gzip")), ("identity", None)] {
        let response = app.http.get(app.url(ASSET)).header(ACCEPT_ENCODING, accept).send().await.expect("GET");
        assert_eq!(response.status(), 200, "{accept}");
        let headers = response.headers().clone();
        assert_eq!(headers.get(CONTENT_ENCODING).map(|v| v.to_str().expect("ascii")), expected, "{accept}");
        assert!(headers[CONTENT_TYPE].to_str().expect("ascii").contains("javascript"), "{headers:?}");
        assert_eq!(headers[VARY], "accept-encoding", "{accept}");
        assert_eq!(headers[CACHE_CONTROL], "public, max-age=31536000, immutable", "{accept}");
        assert_eq!(decoded(expected, &response.bytes().await.expect("body")), script, "{accept}");
    }

    // The page and the single-page app's fallback are revalidated on every load.
    for path in ["/", "/index.html", "/chats/12"] {
        let response = app.http.get(app.url(path)).send().await.expect("GET");
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(response.headers()[CACHE_CONTROL], "no-cache", "{path}");
        assert!(response.text().await.expect("body").contains(ASSET), "{path}");
    }
    // An asset that is not there (an older build's chunk) is a 404, not the page, and not kept.
    let missing = app.http.get(app.url("/assets/index-0ld0ld00.js")).send().await.expect("GET");
    assert_eq!(missing.status(), 404);
    assert!(missing.headers().get(CACHE_CONTROL).is_none(), "{:?}", missing.headers());
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn an_event_stream_asked_for_compressed_is_not_and_delivers_an_event_at_once() {
    let app = TestApp::spawn().await;
    let (teacher, student) = (app.user("teacher", "T").await, app.user("student", "S").await);
    let chat = app.chat(&teacher, &student).await;
    app.settled().await;
    let response = app
        .fresh
        .get(app.url("/api/events/chat"))
        .bearer_auth(&student.token)
        .header(ACCEPT_ENCODING, "br, gzip")
        .send()
        .await
        .expect("GET /api/events/chat");
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()[CONTENT_TYPE], "text/event-stream");
    assert!(response.headers().get(CONTENT_ENCODING).is_none(), "{:?}", response.headers());
    let mut stream = stream_from(response);

    let id = app.send(&teacher, chat, "Are you ready for tomorrow's lesson?").await;
    // Promptly: an encoder would hold a small event back until its buffer filled.
    let event = stream.event_within(Duration::from_secs(5)).await;
    assert!(is_message(&event.event), "{event:?}");
    assert_eq!(event.json()["message"]["id"].as_i64(), Some(id), "{event:?}");
}

#[tokio::test]
async fn robots_txt_is_a_robots_file_not_the_app() {
    let public = Path::new(env!("CARGO_MANIFEST_DIR")).join("client/public");
    let app = TestApp::spawn_with(|c| c.http.static_dir = Some(public)).await;
    let response = app.http.get(app.url("/robots.txt")).send().await.expect("GET /robots.txt");
    assert_eq!(response.status(), 200);
    assert!(response.headers()[CONTENT_TYPE].to_str().expect("ascii").starts_with("text/plain"));
    let body = response.text().await.expect("body");
    assert!(body.lines().any(|line| line.trim() == "User-agent: *"), "{body}");
    assert!(body.lines().any(|line| line.trim() == "Disallow: /api/"), "{body}");
    assert!(!body.contains("<html") && !body.contains("<!doctype"), "{body}");
    let (status, _) = status_and_json(app.http.get(app.url("/api/nothing")).send().await.expect("GET")).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_streamed_export_comes_back_compressed_and_whole() {
    let app = TestApp::spawn().await;
    let (teacher, student) = (app.user("teacher", "T").await, app.user("student", "S").await);
    let chat = app.chat(&teacher, &student).await;
    for n in 0..10 {
        app.send(&student, chat, &format!("Question {n}: how do I solve exercise {n} of the homework?")).await;
    }
    let path = format!("/api/chats/{chat}/export?format=html&lang=en");
    let plain = app.get(&path, &teacher).send().await.expect("export").bytes().await.expect("body");
    for encoding in ["br", "gzip"] {
        let response = app.get(&path, &teacher).header(ACCEPT_ENCODING, encoding).send().await.expect("export");
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()[CONTENT_ENCODING], encoding);
        let body = response.bytes().await.expect("the whole body, its end included");
        let html = String::from_utf8(decoded(Some(encoding), &body)).expect("utf-8");
        assert!(html.trim_end().ends_with("</html>"), "{encoding}: {html}");
        // The same page but for the moment it was made.
        assert!(html.len().abs_diff(plain.len()) < 64, "{encoding}: {} vs {} bytes", html.len(), plain.len());
    }
}

#[tokio::test]
async fn the_service_worker_is_revalidated_and_the_manifest_served_as_a_manifest() {
    let (dir, _) = built_client();
    let worker = "self.addEventListener('push', () => {});\n".repeat(100);
    std::fs::write(dir.join("sw.js"), &worker).expect("sw.js");
    std::fs::write(dir.join("sw.js.br"), brotli(worker.as_bytes())).expect("sw.js.br");
    std::fs::write(dir.join("manifest.ru.webmanifest"), r#"{"name": "Tutorchat: чат школы"}"#).expect("manifest");
    std::fs::create_dir_all(dir.join("icons")).expect("icons");
    std::fs::write(dir.join("icons/icon-192.png"), b"\x89PNG\r\n\x1a\n").expect("icon");
    let app = TestApp::spawn_with(|c| c.http.static_dir = Some(dir.clone())).await;

    // A browser checks for a new worker on every load; a cached one would hide a new version.
    let response = app.http.get(app.url("/sw.js")).header(ACCEPT_ENCODING, "br").send().await.expect("GET");
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()[CACHE_CONTROL], "no-cache");
    assert!(response.headers()[CONTENT_TYPE].to_str().expect("ascii").contains("javascript"), "{response:?}");
    assert_eq!(response.headers()[CONTENT_ENCODING], "br");
    assert_eq!(decoded(Some("br"), &response.bytes().await.expect("body")), worker.as_bytes());

    let response = app.http.get(app.url("/manifest.ru.webmanifest")).send().await.expect("GET");
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()[CONTENT_TYPE], "application/manifest+json");
    assert_eq!(response.headers()[CACHE_CONTROL], "no-cache");
    assert!(response.text().await.expect("body").contains("чат школы"));

    let icon = app.http.get(app.url("/icons/icon-192.png")).send().await.expect("GET");
    assert_eq!((icon.status().as_u16(), &icon.headers()[CONTENT_TYPE]), (200, &"image/png".parse().expect("value")));
    let _ = std::fs::remove_dir_all(&dir);
}
